import Foundation
import Testing
import TrailmarkWire

/// `Proto/vectors/`: each `.bin` decodes to the message its `.json` describes and the sample
/// re-encodes to the `.bin` byte for byte. `TRAILMARK_WRITE_VECTORS=1 swift test --filter
/// GoldenVectorTests` rewrites the files after an intended format change.
@Suite struct GoldenVectorTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Proto/vectors")

    static var writing: Bool { ProcessInfo.processInfo.environment["TRAILMARK_WRITE_VECTORS"] == "1" }

    private func check<M: WireMessage & Hashable>(_ sample: M, stem: String, type: String) throws {
        let binURL = Self.directory.appendingPathComponent(stem + ".bin")
        let jsonURL = Self.directory.appendingPathComponent(stem + ".json")
        if Self.writing {
            try Data(sample.encoded()).write(to: binURL)
            try VectorJSON.render(type: type, sample).write(to: jsonURL, atomically: true, encoding: .utf8)
        }
        let bin = [UInt8](try Data(contentsOf: binURL))
        let json = try String(contentsOf: jsonURL, encoding: .utf8)
        let decoded = try M(decoding: bin)
        #expect(decoded == sample, "\(stem).bin does not decode to the sample")
        #expect(VectorJSON.render(type: type, decoded) == json, "\(stem).bin does not decode to what \(stem).json describes")
        #expect(sample.encoded() == bin, "\(stem): encoding differs from \(stem).bin")
        #expect(WireMessageCatalog.type(named: type) == M.self)
    }

    @Test(arguments: VectorSamples.all.map(\.stem))
    func vectorDecodesAndReencodesByteExact(stem: String) throws {
        let entry = try #require(VectorSamples.all.first { $0.stem == stem })
        try check(entry.message, stem: entry.stem, type: entry.type)
    }

    @Test func everyMessageTypeHasAVectorAndNoFileIsStale() throws {
        #expect(Set(VectorSamples.all.map(\.type)) == Set(WireMessageCatalog.all.map(\.name)))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
        let expected = Set(VectorSamples.all.flatMap { [$0.stem + ".bin", $0.stem + ".json"] })
        #expect(Set(files.filter { $0.hasSuffix(".bin") || $0.hasSuffix(".json") }) == expected)
    }
}
