import Testing
import TrailmarkWire
@testable import trailmark_load

@Suite struct EventGeneratorTests {
    /// Identifies beyond one call's maximum wait for the next call; none is dropped.
    @Test func identifiesBeyondTheMaximumAreKeptForTheNextCall() {
        var generator = EventGenerator(run: "Lrun12345", stream: 0, seed: 3, visitors: 300)
        for seq in 0..<8 { _ = generator.batch(seq: UInt64(seq), count: 500, now: 1_780_000_000_000_000) }
        let all = generator.identifies
        #expect(all.count > 20, "the funnel makes signups")
        var taken: [Identify] = []
        while !generator.identifies.isEmpty { taken += generator.takeIdentifies(max: 7) }
        #expect(taken == all)
    }
}
