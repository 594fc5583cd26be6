import Foundation
import Logging
import Testing
import TrailmarkEngine
import TrailmarkWire
@testable import TrailmarkServices

/// The per-install key of `event_id` fingerprints (`EventIDFingerprint`, `event-id.key`).
@Suite struct EventIDKeyTests {
    static func keyPath(_ dir: String) -> String { dir + "/" + ServiceHub.fingerprintKeyFileName }

    @Test func theKeyIsMadeOnceKeptPrivateAndUsedAfterRestart() async throws {
        let h = try await GatewayTests.Harness().ready()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.keyPath(h.dir)))
        #expect(bytes.count == 16)
        let mode = try FileManager.default.attributesOfItem(atPath: Self.keyPath(h.dir))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let fingerprint = h.hub.engine.fingerprint
        #expect(fingerprint != .fixedKey, "a server must not use the key written in the source")
        #expect(fingerprint("e1") != EventIDFingerprint.fixedKey("e1"))
        await h.close()

        let again = try await GatewayTests.Harness(dir: h.dir).ready()
        #expect(again.hub.engine.fingerprint == fingerprint)
        #expect(try Data(contentsOf: URL(fileURLWithPath: Self.keyPath(h.dir))) == bytes)
        await again.close()

        let other = try await GatewayTests.Harness().ready()
        #expect(other.hub.engine.fingerprint != fingerprint, "each data directory has its own key")
        await other.close()
    }

    /// Erased slots keep only the keyed fingerprint of their id, so this holds only if the
    /// restarted server fingerprints with the same key.
    @Test func aRetryOfAnErasedEventIsStillADuplicateAfterRestart() async throws {
        let h = try await GatewayTests.Harness().ready()
        let body = #"{"event":"a","anonymous_id":"anon-9","user_id":"u9","event_id":"erased-1","timestamp":"2026-05-01T10:00:00Z"}"#
        var (status, ack) = await h.send("POST", "/v1/track", key: h.sk, json: body)
        #expect(status == 202 && ack["duplicate"] == false)
        (status, _) = await h.send("DELETE", "/v1/users/u9", key: h.sk)
        #expect(status == 200 || status == 202)
        try await h.hub.eraseForgottenNow()
        await h.close()
        let onDisk = try FileManager.default.subpathsOfDirectory(atPath: h.dir + "/log").compactMap { FileManager.default.contents(atPath: h.dir + "/log/" + $0) }
        #expect(!onDisk.contains { $0.range(of: Data("erased-1".utf8)) != nil }, "the id itself is gone from disk")

        let again = try await GatewayTests.Harness(dir: h.dir).ready()
        (status, ack) = await again.send("POST", "/v1/track", key: again.sk, json: body)
        #expect(status == 202 && ack["duplicate"] == true)
        await again.close()
    }

    @Test func aKeyFileOfTheWrongSizeStopsStartUpNamingIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: Self.keyPath(dir)))
        do {
            _ = try ServiceHub(configuration: .init(dataDirectory: dir), logger: Logger(label: "test"))
            Issue.record("a 3-byte key was accepted")
        } catch {
            #expect("\(error)".contains(ServiceHub.fingerprintKeyFileName) && "\(error)".contains("3 bytes"))
        }
    }

    @Test func aPepperOfTheWrongSizeIsAnErrorNotANewPepper() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-pepper-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let pepper = dir.appendingPathComponent(KeyStore.pepperFileName)
        try Data(repeating: 7, count: 31).write(to: pepper)
        #expect(throws: InstallSecret.Failure.self) { _ = try KeyStore(directory: dir) }
        #expect(try Data(contentsOf: pepper) == Data(repeating: 7, count: 31), "the file is left for the operator")
    }

    /// A server and `trailmark keys` starting together on a new directory must not each
    /// keep a pepper of their own.
    @Test func concurrentCreatorsAgreeOnOneSecret() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-secret-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("pepper")
        let results = try await withThrowingTaskGroup(of: ([UInt8], Bool).self) { group in
            for _ in 0..<16 {
                group.addTask {
                    let r = try InstallSecret.loadOrCreate(url, byteCount: 32)
                    return (r.bytes, r.created)
                }
            }
            var all: [([UInt8], Bool)] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(Set(results.map(\.0)).count == 1, "every creator uses the same secret")
        #expect(results.filter(\.1).count == 1, "exactly one created it")
        #expect(try Data(contentsOf: url) == Data(results[0].0))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["pepper"], "no temporary file is left")
    }
}
