import Foundation
import Testing
import TrailmarkWire
@testable import TrailmarkServices

@Suite struct QueryRequestsTests {
    let validator = QueryValidator()

    @Test func parsesTheSeedRecipeStatsQuery() throws {
        let q = try QueryRequests.stats(QueryString("metric=uniques&from=2026-05-01T00%3A00%3A00Z&to=2026-05-17T00:00:00Z&event=%24pageview"))
        #expect(q.metric == .uniques && q.events == ["$pageview"])
        #expect(q.from == 1_777_593_600_000_000)
        try validator.validate(q)
    }

    @Test func queryStringDecodesPlusAndRepeats() throws {
        let q = try QueryString("a=x+y&event=a&event=b&empty=")
        #expect(q["a"] == "x y" && q.all("event") == ["a", "b"] && q["empty"] == nil)
        #expect(throws: APIError.self) { try QueryString("a=%zz") }
        #expect(throws: APIError.self) { try QueryString("a=%C3%28") }
    }

    @Test func eventsQueryNeedsRangeAndSaneLimit() throws {
        #expect(throws: APIError.self) { try QueryRequests.events(QueryString("to=5")) }
        let q = try QueryRequests.events(QueryString("from=1&to=5&limit=10001"))
        #expect(throws: APIError.self) { try validator.validate(q) }
        let desc = try QueryRequests.events(QueryString("from=1&to=5&order=desc&user_id=user_42"))
        #expect(desc.order == .descending && desc.userID == "user_42")
        try validator.validate(desc)
        #expect(throws: APIError.self) { try validator.validate(try QueryRequests.events(QueryString("from=5&to=5"))) }
    }

    @Test func funnelPostDecodesEveryOption() throws {
        let body = #"""
        {"from": "2026-05-01T00:00:00Z", "to": 1779000000000000,
         "steps": [{"event": "$exposure"}, {"event": "clicked_cta", "where": {"location": "hero", "n": null}}, "signup"],
         "windows": [null, "1h", 86400000000], "window": "7d", "strict": true, "allowance": "500ms",
         "count": "units", "unit": "anonymous", "breakdown": "property:plan"}
        """#
        let q = try FunnelRequest.decode(Array(body.utf8))
        #expect(q.steps.count == 3 && q.steps[1].filters["n"] == .null && q.steps[2].event == "signup")
        #expect(q.windows == [nil, 3_600_000_000, 86_400_000_000])
        #expect(q.window == 604_800_000_000 && q.strict && q.allowance == 500_000)
        #expect(q.unit == .anonymous && q.breakdown == .property("plan"))
        try validator.validate(q)
    }

    @Test func funnelValidationNamesTheField() throws {
        func field(_ q: FunnelQuery) -> String? {
            do { try validator.validate(q); return nil } catch { return error.field }
        }
        let steps = [FunnelQuery.Step(event: "a"), FunnelQuery.Step(event: "b")]
        #expect(field(FunnelQuery(from: 0, to: 1, steps: [steps[0]])) == "steps")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: Array(repeating: steps[0], count: 21))) == "steps")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, windows: [nil])) == "windows")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, windows: [5, nil])) == "windows[0]")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, allowance: -1)) == "allowance")
        #expect(field(FunnelQuery(from: 1, to: 1, steps: steps)) == "to")
        let exp = FunnelQuery.Experiment(name: "x", exposureAsFirstStep: true)
        #expect(field(FunnelQuery(from: 0, to: 1, steps: [steps[0]], experiment: exp)) == nil)
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, count: .sessions, experiment: exp)) == "experiment.exposure_as_first_step")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, breakdown: .firstTouch, experiment: exp)) == "breakdown")
    }

    @Test func funnelGetForm() throws {
        let q = try QueryRequests.funnel(QueryString("steps=a,b,c&from=0&to=10&windows=,30m,&breakdown=first_touch&experiment=exp1"))
        #expect(q.steps.map(\.event) == ["a", "b", "c"])
        #expect(q.windows == [nil, 1_800_000_000, nil])
        #expect(q.breakdown == .firstTouch && q.experiment?.name == "exp1" && q.experiment?.control == "control")
    }
}

@Suite struct ResponseTests {
    @Test func apiErrorBodyAndStatusTable() {
        let e = APIError(.rateLimited, "slow down", retryAfterSeconds: 2)
        #expect(e.httpStatus == 429 && e.statusCode == .resourceExhausted)
        #expect(JSONWriter.string(e.jsonBody) == #"{"error":"rate_limited","message":"slow down","details":{"retry_after":2}}"#)
        #expect(APIError(.originNotAllowed, "").httpStatus == 403)
        #expect(APIError(.unauthorized, "").statusCode == .unauthenticated)
        #expect(APIError(.unavailable, "").httpStatus == 503)
        #expect(APIError(.payloadTooLarge, "").httpStatus == 413)
    }

    @Test func statsWithoutGroupsHasOneRowForTheSeedJqFilter() {
        let json = JSONResponses.stats(StatsResult(metric: .uniques, rows: [StatsRow(value: 4830)]))
        #expect(JSONWriter.string(json) == #"{"metric":"uniques","rows":[{"value":4830}]}"#)
    }

    @Test func funnelKeysRenderAsAPIDescribes() {
        #expect(JSONResponses.key(.all) == .null)
        #expect(JSONResponses.key(.firstTouch(source: "facebook", medium: "paid")) == ["facebook", "paid"])
        #expect(JSONResponses.key(.property(.int(3))) == .int(3))
        #expect(JSONResponses.key(.experimentGroup(nil)) == .null)
    }

    @Test func uuidV7HasVersionVariantAndTimeOrder() {
        var rng = SplitMix(seed: 1)
        let a = UUIDv7.make(milliseconds: 1_700_000_000_000, using: &rng)
        let b = UUIDv7.make(milliseconds: 1_700_000_000_001, using: &rng)
        #expect(a.count == 36 && Array(a)[14] == "7")
        #expect("89ab".contains(Array(a)[19]))
        #expect(a < b)
        // Byte for byte what a plain formatter gives for the same bits.
        let stamps: [UInt64] = [0, 1, 1_700_000_000_123, (1 << 48) - 1]
        for ms in stamps {
            var left = SplitMix(seed: ms), right = SplitMix(seed: ms)
            let id = UUIDv7.make(milliseconds: ms, using: &left)
            let r1: UInt64 = right.next()
            let r2: UInt64 = right.next()
            var hex = String(ms, radix: 16)
            hex = String(repeating: "0", count: 12 - hex.count) + hex
            let random = (6..<16).map { i -> UInt8 in UInt8(truncatingIfNeeded: (i < 14 ? r1 : r2) >> (8 * UInt64(i % 8))) }
            var tail = random
            tail[0] = 0x70 | (tail[0] & 0x0F)
            tail[2] = 0x80 | (tail[2] & 0x3F)
            let all = hex + tail.map { String(format: "%02x", $0) }.joined()
            let dashed = [all.prefix(8), all.dropFirst(8).prefix(4), all.dropFirst(12).prefix(4), all.dropFirst(16).prefix(4), all.dropFirst(20)].joined(separator: "-")
            #expect(id == dashed, "ms \(ms)")
        }
    }
}
