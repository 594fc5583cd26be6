import Foundation
import Testing
import TrailmarkSDK
import TrailmarkWire

/// Pure parts of the SDK: ids, backoff, the bounded queue, address and duration parsing.
@Suite struct SDKUnitTests {
    @Test func uuidv7CarriesTimeVersionAndVariant() {
        var generator = FixedGenerator()
        let id = UUIDv7.make(nowMillis: 0x0123_4567_89AB, using: &generator)
        #expect(id.count == 36)
        #expect(id.hasPrefix("01234567-89ab-7"))
        let variant = id[id.index(id.startIndex, offsetBy: 19)]
        #expect("89ab".contains(variant))
        #expect(UUIDv7.make(nowMillis: 1) < UUIDv7.make(nowMillis: 2))
        #expect(UUIDv7.make() != UUIDv7.make())
    }

    @Test(arguments: [(0, 100), (1, 200), (3, 800), (10, 10_000), (40, 10_000)])
    func backoffCeilingDoublesUpToTheCap(attempt: Int, ceiling: Int64) {
        let policy = RetryPolicy(base: .milliseconds(100), cap: .seconds(10))
        #expect(policy.ceilingMillis(attempt: attempt) == ceiling)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let delay = policy.delay(attempt: attempt, after: nil, using: &generator)
            #expect(delay >= .zero && delay <= .milliseconds(ceiling))
        }
    }

    @Test func serverHintWinsOverBackoff() {
        var generator = SystemRandomNumberGenerator()
        let error = TrailmarkError(.resourceExhausted, "rate_limited", retryAfter: .milliseconds(1500))
        #expect(RetryPolicy().delay(attempt: 0, after: error, using: &generator) == .milliseconds(1500))
    }

    @Test(arguments: [
        (StatusCode.unavailable, true), (.resourceExhausted, true), (.deadlineExceeded, true),
        (.invalidArgument, false), (.unauthenticated, false), (.permissionDenied, false), (.internalError, false),
    ])
    func onlyTransientStatusesAreRetried(code: StatusCode, retryable: Bool) {
        #expect(TrailmarkError(code, "x").isRetryable == retryable)
    }

    @Test func queueDropsTheOldestWhenFull() {
        var queue = EventQueue(capacity: 3)
        for i in 0..<5 { queue.append(Event(event: "e\(i)", anonymousID: "a")) }
        #expect(queue.count == 3)
        #expect(queue.dropped == 2)
        let batch = queue.take(eventsMax: 10, bytesMax: 1 << 20)
        #expect(batch.map(\.event) == ["e2", "e3", "e4"])
        #expect(queue.isEmpty)
    }

    @Test func queueSplitsBatchesByCountAndBytes() {
        var queue = EventQueue(capacity: 100)
        for i in 0..<10 { queue.append(Event(event: "event-\(i)", anonymousID: "anon")) }
        #expect(queue.take(eventsMax: 4, bytesMax: 1 << 20).count == 4)
        let one = EventQueue.estimatedBytes(Event(event: "event-0", anonymousID: "anon"))
        #expect(queue.take(eventsMax: 100, bytesMax: one * 2).count == 2)
        #expect(queue.take(eventsMax: 100, bytesMax: 1).count == 1)  // never stuck on one large event
        queue.putBack([Event(event: "back", anonymousID: "a")])
        #expect(queue.take(eventsMax: 1, bytesMax: 1 << 20).first?.event == "back")
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", "127.0.0.1", 8080, true), ("https://example.com", "example.com", 443, false),
        ("example.com:8443/", "example.com", 8443, false), ("http://[::1]:9000", "::1", 9000, true),
    ])
    func addressesParse(text: String, host: String, port: Int, plaintext: Bool) throws {
        let address = try ServerAddress(parsing: text)
        #expect(address.host == host && address.port == port && address.plaintext == plaintext)
    }

    @Test(arguments: ["", "http://", "host:99999", "host:abc"])
    func badAddressesNameTheField(text: String) {
        #expect(throws: TrailmarkError.self) { try ServerAddress(parsing: text) }
        do { _ = try ServerAddress(parsing: text) } catch { #expect(error.message.hasPrefix("host")) }
    }

    @Test(arguments: [("250ms", Int64(250_000)), ("30s", 30_000_000), ("5m", 300_000_000), ("7d", 604_800_000_000), ("2", 2_000_000)])
    func durationsParse(text: String, micros: Int64) throws {
        #expect(try DurationText.micros(text, field: "window") == micros)
    }

    @Test func badDurationsNameTheField() {
        do {
            _ = try DurationText.micros("7 days", field: "window")
            Issue.record("accepted a bad duration")
        } catch {
            #expect(error.message.hasPrefix("window"))
        }
    }

    @Test func fileStoreKeepsTheAnonymousID() throws {
        let path = NSTemporaryDirectory() + "/tm-anon-\(UUIDv7.random())/id"
        let store = FileAnonymousIDStore(path: path)
        #expect(store.load() == nil)
        store.save("anon-1")
        #expect(FileAnonymousIDStore(path: path).load() == "anon-1")
    }
}

/// Deterministic randomness for id tests.
struct FixedGenerator: RandomNumberGenerator {
    mutating func next() -> UInt64 { 0xFFFF_FFFF_FFFF_FFFF }
}
