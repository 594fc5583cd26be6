import Foundation
import Logging
import Testing
import TrailmarkWire
@testable import TrailmarkServices

/// The gateway and the three services over a real log in a temporary directory,
/// without the network.
@Suite struct GatewayTests {
    final class Harness: Sendable {
        let dir: String
        let hub: ServiceHub
        let gateway: JSONGateway
        let tailer: Task<Void, Never>
        let sk: String
        let rk: String
        let pk: String

        init(dir: String? = nil, now: @escaping @Sendable () -> Int64 = ServiceHub.systemClock) throws {
            self.dir = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("tm-gw-\(UUID().uuidString)").path
            var config = ServiceHub.Configuration(dataDirectory: self.dir)
            config.log.segmentBytes = 1 << 20
            hub = try ServiceHub(configuration: config, logger: Logger(label: "test"), now: now)
            gateway = JSONGateway(hub: hub)
            let hub = self.hub
            tailer = Task { await hub.runTailer() }
            let existing = hub.keys.list()
            if existing.isEmpty {
                sk = try hub.keys.create(project: "p", kind: .secret)
                rk = try hub.keys.create(project: "p", kind: .read)
                pk = try hub.keys.create(project: "p", kind: .public, origins: ["https://app.example"])
                try String("\(sk)\n\(rk)\n\(pk)").write(toFile: self.dir + "/test-keys", atomically: true, encoding: .utf8)
            } else {
                let saved = try String(contentsOfFile: self.dir + "/test-keys", encoding: .utf8).split(separator: "\n").map(String.init)
                (sk, rk, pk) = (saved[0], saved[1], saved[2])
            }
        }

        /// Waits for start-up replay, as clients of a real server wait for `/v1/health`.
        func ready() async -> Self {
            _ = await hub.progress.waitReplayed()
            return self
        }

        func send(_ method: String, _ target: String, key: String? = nil, json: String? = nil, headers: [(name: String, value: String)] = []) async -> (Int, JSONValue) {
            var h = headers
            if let key { h.append((name: "authorization", value: "Bearer \(key)")) }
            if json != nil { h.append((name: "content-type", value: "application/json")) }
            let r = await gateway.handle(GatewayRequest(method: method, target: target, headers: h, body: Array((json ?? "").utf8)))
            let body = r.body.isEmpty ? JSONValue.null : ((try? JSONParser.parse(r.body)) ?? .string(String(decoding: r.body, as: UTF8.self)))
            return (r.status, body)
        }

        func close() async {
            await hub.shutdown()
            _ = await tailer.value
        }
    }

    @Test func trackThenQueryIncludesTheEvent() async throws {
        let h = try await Harness().ready()
        let (status, ack) = await h.send("POST", "/v1/track", key: h.sk, json: #"{"event":"signup","anonymous_id":"a1","timestamp":"2026-05-01T10:00:00Z","url":"https://x.io/?gclid=1"}"#)
        #expect(status == 202)
        #expect(ack["ok"] == true && ack["duplicate"] == false)
        let (qs, page) = await h.send("GET", "/v1/query?from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00Z", key: h.rk)
        #expect(qs == 200)
        guard case .array(let rows)? = page["events"] else { Issue.record("no events: \(page)"); return }
        #expect(rows.count == 1)
        #expect(rows.first?["source"] == "google" && rows.first?["medium"] == "paid")
        #expect(rows.first?["event_id"] == ack["event_id"])
        await h.close()
    }

    @Test func retriesAreDuplicatesEvenAcrossReopen() async throws {
        let h = try await Harness().ready()
        let body = #"{"events":[{"event":"a","anonymous_id":"x","event_id":"e1"},{"event":"a","anonymous_id":"x","event_id":"e2"},{"event":"a","anonymous_id":"x","event_id":"e1"}]}"#
        var (status, ack) = await h.send("POST", "/v1/batch", key: h.sk, json: body)
        #expect(status == 202 && ack["accepted"] == 2 && ack["duplicates"] == 1)
        (status, ack) = await h.send("POST", "/v1/batch", key: h.sk, json: body)
        #expect(ack["accepted"] == 0 && ack["duplicates"] == 3)
        await h.close()

        let again = try await Harness(dir: h.dir).ready()
        (status, ack) = await again.send("POST", "/v1/batch", key: again.sk, json: body)
        #expect(status == 202 && ack["accepted"] == 0 && ack["duplicates"] == 3)
        let (_, stats) = await again.send("GET", "/v1/stats?metric=count", key: again.rk)
        #expect(stats["rows"] == [["value": 2]])
        await again.close()
    }

    @Test func concurrentRetriesOfOneIdStoreItOnce() async throws {
        let h = try await Harness().ready()
        let body = #"{"events":[{"event":"a","anonymous_id":"x","event_id":"same"}]}"#
        let accepted = await withTaskGroup(of: Int64.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let (_, ack) = await h.send("POST", "/v1/batch", key: h.sk, json: body)
                    if case .int(let n)? = ack["accepted"] { return n }
                    return -100
                }
            }
            return await group.reduce(0, +)
        }
        #expect(accepted == 1)
        let (_, stats) = await h.send("GET", "/v1/stats?metric=count", key: h.rk)
        #expect(stats["rows"] == [["value": 1]])
        await h.close()
    }

    @Test func authRightsAndOrigins() async throws {
        let h = try await Harness().ready()
        let track = #"{"event":"a","anonymous_id":"x"}"#
        #expect(await h.send("POST", "/v1/track", json: track).0 == 401)
        #expect(await h.send("POST", "/v1/track", key: "sk_live_AAAAAAAA_nope", json: track).0 == 401)
        #expect(await h.send("POST", "/v1/track", key: h.rk, json: track).1["error"] == "forbidden")
        #expect(await h.send("GET", "/v1/stats?metric=count", key: h.pk, headers: [(name: "origin", value: "https://app.example")]).1["error"] == "forbidden")
        #expect(await h.send("POST", "/v1/track", key: h.pk, json: track).1["error"] == "origin_not_allowed")
        #expect(await h.send("POST", "/v1/track", key: h.pk, json: track, headers: [(name: "origin", value: "https://evil.example")]).1["error"] == "origin_not_allowed")
        #expect(await h.send("POST", "/v1/track", key: h.pk, json: track, headers: [(name: "origin", value: "https://app.example")]).0 == 202)
        #expect(await h.send("DELETE", "/v1/users/u", key: h.rk).1["error"] == "forbidden")
        #expect(await h.send("GET", "/v1/health").0 == 200)
        #expect(await h.send("GET", "/v1/nope", key: h.sk).0 == 404)
        await h.close()
    }

    @Test func rejectedBatchesStoreNothing() async throws {
        let h = try await Harness().ready()
        let bad = #"{"events":[{"event":"ok","anonymous_id":"x"},{"event":"","anonymous_id":"x"}]}"#
        let (status, err) = await h.send("POST", "/v1/batch", key: h.sk, json: bad)
        #expect(status == 400 && err["error"] == "invalid_event")
        #expect(err["details"]?["field"] == "events[1].event")
        let (_, stats) = await h.send("GET", "/v1/stats?metric=count", key: h.rk)
        #expect(stats["rows"] == [["value": 0]])
        await h.close()
    }

    @Test func identifyStitchesAndForgetHides() async throws {
        let h = try await Harness().ready()
        _ = await h.send("POST", "/v1/track", key: h.sk, json: #"{"event":"$pageview","anonymous_id":"dev1","timestamp":"2026-05-01T10:00:00Z","referrer":"https://www.google.com/"}"#)
        let (istatus, _) = await h.send("POST", "/v1/identify", key: h.sk, json: #"{"anonymous_id":"dev1","user_id":"u9","timestamp":"2026-05-01T11:00:00Z"}"#)
        #expect(istatus == 200)
        let (_, user) = await h.send("GET", "/v1/users/u9", key: h.rk)
        #expect(user["anonymous_ids"] == ["dev1"])
        #expect(user["first_touch"]?["source"] == "google")
        let (fstatus, forgot) = await h.send("DELETE", "/v1/users/u9", key: h.sk)
        #expect(fstatus == 200 && forgot["events_hidden"] == 2)
        let (_, page) = await h.send("GET", "/v1/query?from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00Z", key: h.rk)
        #expect(page["events"] == .array([]))
        await h.close()
    }
}
