import Foundation
import Synchronization
import Testing
@testable import TrailmarkServices

@Suite struct KeyStoreTests {
    func tempDir() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tm-keys-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func createdKeysAuthenticateAndPersistOnlyHashes() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try KeyStore(directory: dir)
        let sk = try store.create(project: "dev", kind: .secret)
        let pk = try store.create(project: "dev", kind: .public, origins: ["https://app.example"])
        #expect(sk.hasPrefix("sk_live_") && pk.hasPrefix("pk_live_"))
        #expect(store.authenticate(sk[...])?.kind == .secret)
        #expect(store.authenticate(pk[...])?.origins == ["https://app.example"])

        let onDisk = try String(contentsOf: dir.appendingPathComponent("keys.json"), encoding: .utf8)
        let secret = String(sk.split(separator: "_")[3])
        #expect(!onDisk.contains(secret))

        // A reopened store (same pepper) still authenticates.
        let reopened = try KeyStore(directory: dir)
        #expect(reopened.authenticate(sk[...])?.project == "dev")
    }

    @Test func rejectsWrongSecretsKindsAndRevokedKeys() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try KeyStore(directory: dir)
        let rk = try store.create(project: "p", kind: .read)
        let parts = rk.split(separator: "_")
        #expect(store.authenticate("\(parts[0])_live_\(parts[2])_wrongsecret"[...]) == nil)
        #expect(store.authenticate("sk_live_\(parts[2])_\(parts[3])"[...]) == nil)
        #expect(store.authenticate("garbage"[...]) == nil)
        #expect(store.authenticate(""[...]) == nil)
        #expect(try store.revoke(id: String(parts[2])))
        #expect(store.authenticate(rk[...]) == nil)
        #expect(try store.revoke(id: "nosuchid") == false)
    }

    @Test func rightsFollowAPITable() {
        func key(_ kind: KeyKind) -> StoredKey {
            StoredKey(id: "x", kind: kind, project: "p", hash: "", origins: [], createdAt: "", revoked: false)
        }
        #expect(key(.secret).may(.write) && key(.secret).may(.read) && key(.secret).may(.forget))
        #expect(key(.public).may(.write) && !key(.public).may(.read) && !key(.public).may(.forget))
        #expect(key(.read).may(.read) && !key(.read).may(.write) && !key(.read).may(.forget))
    }
}

@Suite struct RateLimiterTests {
    final class FakeClock: Sendable {
        let micros = Mutex<Int64>(0)
        func advance(_ d: Int64) { micros.withLock { $0 += d } }
    }

    @Test func refillsAtTheConfiguredRate() {
        let clock = FakeClock()
        let limiter = RateLimiter(
            limits: .init(requestsPerSecond: 2, requestsBurst: 2, eventsPerSecond: 100, eventsBurst: 100),
            now: { clock.micros.withLock { $0 } })
        #expect(limiter.acquire(key: "k") == nil)
        #expect(limiter.acquire(key: "k") == nil)
        #expect(limiter.acquire(key: "k") == 1)
        #expect(limiter.acquire(key: "other") == nil)
        clock.advance(500_000)
        #expect(limiter.acquire(key: "k") == nil)
        #expect(limiter.acquire(key: "k", events: 0) == 1)
    }

    @Test func eventsAreAllOrNothing() {
        let clock = FakeClock()
        let limiter = RateLimiter(
            limits: .init(requestsPerSecond: 100, requestsBurst: 100, eventsPerSecond: 10, eventsBurst: 10),
            now: { clock.micros.withLock { $0 } })
        #expect(limiter.acquire(key: "k", events: 8) == nil)
        #expect(limiter.acquire(key: "k", events: 5) == 1)
        clock.advance(300_000)
        #expect(limiter.acquire(key: "k", events: 5) == nil)
        #expect(limiter.acquire(key: "k", events: 11) == 60)
    }
}
