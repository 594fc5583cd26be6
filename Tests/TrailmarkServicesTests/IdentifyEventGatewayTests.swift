import Foundation
import Testing
import TrailmarkWire
@testable import TrailmarkServices

/// The `$identify` event of an identify call (SEMANTICS §1) through the identity service,
/// the log and the JSON gateway: every column, including the server's received time, and
/// the same row after a restart replays the log.
@Suite struct IdentifyEventGatewayTests {
    static let received: Int64 = 1_777_636_800_000_000  // 2026-05-01T12:00:00Z
    static let query = "/v1/query?from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00Z&event=$identify"

    /// The columns of a `$identify` row of `anon` at `timestamp` (RFC 3339, µs), received
    /// at `received`.
    static func expectIdentifyRow(_ row: JSONValue, anon: String, timestamp: (String, Int64), sourceLocation: SourceLocation = #_sourceLocation) {
        let expected: [(String, JSONValue)] = [
            ("project", "p"), ("event", "$identify"), ("anonymous_id", .string(anon)), ("user_id", "u9"), ("user", "u9"),
            ("timestamp", .string(timestamp.0)), ("timestamp_us", .int(timestamp.1)),
            ("received_at", "2026-05-01T12:00:00.000000Z"), ("received_at_us", .int(received)),
            ("session_id", .null), ("event_id", .null), ("url", .null), ("path", .null), ("referrer", .null),
            ("properties", .object([])), ("source", "direct"), ("medium", "direct"), ("campaign", .null),
            ("source_rule", "direct"), ("source_confidence", "high"),
        ]
        for (key, value) in expected {
            #expect(row[key] == value, "\(key)", sourceLocation: sourceLocation)
        }
        #expect(row["seq"] != nil && row["seq"] != .null, sourceLocation: sourceLocation)
    }

    @Test func identifyEventRowsCarryTheReceivedTimeAcrossReplay() async throws {
        let h = try await GatewayTests.Harness(now: { Self.received }).ready()
        // A client's received_at is ignored like every server field.
        var (status, _) = await h.send("POST", "/v1/identify", key: h.sk, json: #"{"anonymous_id":"dev1","user_id":"u9","traits":{"plan":"pro"},"timestamp":"2026-05-01T11:00:00Z","received_at":"2026-05-01T01:00:00Z"}"#)
        #expect(status == 200)
        (status, _) = await h.send("POST", "/v1/identify", key: h.sk, json: #"{"anonymous_id":"dev2","user_id":"u9"}"#)
        #expect(status == 200)

        func check(_ h: GatewayTests.Harness) async -> JSONValue? {
            let (qs, page) = await h.send("GET", Self.query, key: h.rk)
            #expect(qs == 200)
            guard case .array(let rows)? = page["events"], rows.count == 2 else {
                Issue.record("expected two $identify rows: \(page)")
                return nil
            }
            Self.expectIdentifyRow(rows[0], anon: "dev1", timestamp: ("2026-05-01T11:00:00.000000Z", Self.received - 3_600_000_000))
            // No timestamp sent: the identify and its event take the received time.
            Self.expectIdentifyRow(rows[1], anon: "dev2", timestamp: ("2026-05-01T12:00:00.000000Z", Self.received))
            return page
        }
        let before = await check(h)
        await h.close()

        // A restart rebuilds the rows from the identify records on disk.
        let again = try await GatewayTests.Harness(dir: h.dir, now: { Self.received + 86_400_000_000 }).ready()
        let after = await check(again)
        #expect(before == after)
        await again.close()
    }
}
