import Foundation
import Testing
import TrailmarkWire

/// Replays every input under `FuzzTesting/Regressions/` through the fuzzer's property
/// (`FuzzTesting/Sources/FuzzWireDecoders`): selector byte, then a body that must be
/// rejected with a `WireError` or round-trip stably. Runs in `make test`.
@Suite struct FuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzTesting/Regressions")

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted()
    }

    @Test func regressionDirectoryHasInputs() {
        #expect(!Self.inputs.isEmpty, "no inputs under \(Self.directory.path)")
    }

    @Test(arguments: inputs)
    func replay(name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
        try #require(!bytes.isEmpty)
        let entry = WireMessageCatalog.all[Int(bytes[0]) % WireMessageCatalog.all.count]
        let stable = bytes.withUnsafeBytes { raw in
            WireMessageCatalog.decodeReencodeIsStable(UnsafeRawBufferPointer(rebasing: raw[1...]), as: entry.type)
        }
        #expect(stable, "\(name) (\(entry.name)) does not round-trip stably")
    }
}
