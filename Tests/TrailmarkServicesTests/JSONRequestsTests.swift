import Testing
import TrailmarkWire
@testable import TrailmarkServices

@Suite struct JSONRequestsTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func decodesATrackCallWithEveryField() throws {
        let batch = try JSONRequests.track(bytes(#"""
        {"event": "clicked_cta", "anonymous_id": "u_abc", "user_id": "user_42",
         "timestamp": "2026-05-01T00:00:00Z", "session_id": "s1", "event_id": "e1",
         "url": "https://x.io/?utm_source=fb", "path": "/", "referrer": "https://l.facebook.com/",
         "properties": {"location": "hero", "n": 3, "f": 1.5, "ok": true, "none": null},
         "sent_at": 1777593600000000, "source": "ignored", "unknown_field": [1, 2]}
        """#))
        #expect(batch.sentAt == 1_777_593_600_000_000)
        let e = try #require(batch.events.first)
        #expect(e.event == "clicked_cta" && e.anonymousID == "u_abc" && e.userID == "user_42")
        #expect(e.timestamp == 1_777_593_600_000_000)
        #expect(e.properties["n"] == .int(3) && e.properties["f"] == .double(1.5) && e.properties["none"] == .null)
        #expect(e.properties["missing"] == nil)
        #expect(e.attribution == nil)
    }

    @Test func batchNamesTheFailingEventsField() {
        let body = #"{"events": [{"event": "a", "anonymous_id": "x"}, {"event": "b", "anonymous_id": "x", "timestamp": "soon"}]}"#
        do {
            _ = try JSONRequests.batch(bytes(body))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidEvent)
            #expect(error.field == "events[1].timestamp")
            #expect(error.httpStatus == 400)
        }
    }

    @Test(arguments: [
        (#"not json"#, "invalid_json", nil as String?),
        (#"[]"#, "invalid_event", nil),
        (#"{"anonymous_id": "x"}"#, "invalid_event", "event"),
        (#"{"event": 5, "anonymous_id": "x"}"#, "invalid_event", "event"),
        (#"{"event": "a", "anonymous_id": 7}"#, "invalid_event", "anonymous_id"),
        (#"{"event": "a", "anonymous_id": "x", "timestamp": true}"#, "invalid_event", "timestamp"),
        (#"{"event": "a", "anonymous_id": "x", "properties": {"k": {"nested": 1}}}"#, "invalid_event", "properties.k"),
        (#"{"event": "a", "anonymous_id": "x", "properties": {"k": 1, "k": 2}}"#, "invalid_event", "properties.k"),
        (#"{"event": "a", "anonymous_id": "x", "properties": [1]}"#, "invalid_event", "properties"),
        (#"{"event": "a", "anonymous_id": "x", "sent_at": "never"}"#, "invalid_event", "sent_at"),
    ])
    func rejectsBadTrackBodies(_ body: String, _ code: String, _ field: String?) {
        do {
            _ = try JSONRequests.track(Array(body.utf8))
            Issue.record("expected \(code)")
        } catch {
            #expect(error.code.name == code)
            #expect(error.field == field)
        }
    }

    @Test func batchLimitsAndEmptiness() {
        let many = "{\"events\": [" + Array(repeating: #"{"event":"a","anonymous_id":"x"}"#, count: 1001).joined(separator: ",") + "]}"
        #expect(throws: APIError.self) { try JSONRequests.batch(bytes(many)) }
        #expect(throws: APIError.self) { try JSONRequests.batch(bytes(#"{"events": []}"#)) }
        #expect(throws: APIError.self) { try JSONRequests.batch(bytes(#"{"sent_at": 1}"#)) }
    }

    @Test func identifyRequiresBothIds() throws {
        let ok = try JSONRequests.identify(bytes(#"{"anonymous_id": "u_abc", "user_id": "user_42", "traits": {"plan": "pro"}}"#))
        #expect(ok.identifies.first?.userID == "user_42")
        #expect(ok.identifies.first?.traits["plan"] == .string("pro"))
        do {
            _ = try JSONRequests.identify(bytes(#"{"anonymous_id": "u_abc"}"#))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidIdentify && error.field == "user_id")
        }
    }
}

@Suite struct EventValidatorTests {
    let validator = EventValidator()

    func check(_ event: Event) -> APIError? {
        var e = event
        do { try validator.validate(&e, path: "events[0]") } catch { return error }
        return nil
    }

    @Test func acceptsAndNormalises() throws {
        var e = Event(event: "a", anonymousID: "x", sessionID: "", eventID: "", referrer: "", receivedAt: 5, seq: 9)
        #expect(try validator.validate(&e, path: ""))  // normalised: the client's block is not reusable
        #expect(e.sessionID == nil && e.eventID == nil && e.referrer == nil && e.receivedAt == nil && e.seq == nil)
        // Only dropped server fields: client fields unchanged.
        var clean = Event(event: "a", anonymousID: "x", sessionID: "s", url: "https://x.io/", receivedAt: 5, seq: 9)
        #expect(try !validator.validate(&clean, path: ""))
        for field in 0 ..< 3 {
            var one = Event(event: "a", anonymousID: "x")
            switch field {
            case 0: one.url = ""
            case 1: one.path = ""
            default: one.sessionID = ""
            }
            #expect(try validator.validate(&one, path: ""), "field \(field)")
        }
    }

    @Test func enforcesEveryFieldLimit() {
        let long = { (n: Int) in String(repeating: "x", count: n) }
        #expect(check(Event(event: "", anonymousID: "x"))?.field == "events[0].event")
        #expect(check(Event(event: long(201), anonymousID: "x"))?.field == "events[0].event")
        #expect(check(Event(event: long(200), anonymousID: "x")) == nil)
        #expect(check(Event(event: "a", anonymousID: long(201)))?.field == "events[0].anonymous_id")
        #expect(check(Event(event: "a", anonymousID: ""))?.field == "events[0].anonymous_id")
        #expect(check(Event(event: "a", userID: "u")) == nil)
        #expect(check(Event(event: "a", userID: ""))?.field == "events[0].user_id")
        #expect(check(Event(event: "a", userID: long(257)))?.field == "events[0].user_id")
        #expect(check(Event(event: "a", anonymousID: "x", sessionID: long(129)))?.field == "events[0].session_id")
        #expect(check(Event(event: "a", anonymousID: "x", eventID: long(129)))?.field == "events[0].event_id")
        #expect(check(Event(event: "a", anonymousID: "x", url: long(2049)))?.field == "events[0].url")
        #expect(check(Event(event: "a", anonymousID: "x", path: long(2049)))?.field == "events[0].path")
        #expect(check(Event(event: "a", anonymousID: "x", referrer: long(2049)))?.field == "events[0].referrer")
        #expect(check(Event(event: "a", anonymousID: "x", timestamp: -1))?.field == "events[0].timestamp")
        #expect(check(Event(event: "a", anonymousID: "x", properties: [long(257): .null]))?.reason == "key_too_long")
        #expect(check(Event(event: "a", anonymousID: "x", properties: ["big": .string(long(70_000))]))?.reason == "too_large")
        #expect(check(Event(event: "a", anonymousID: "x", properties: ["big": .string(long(60_000))])) == nil)
    }

    @Test func identifyRejectsEmptyIds() {
        #expect(throws: APIError.self) { try validator.validate(Identify(anonymousID: "", userID: "u"), path: "") }
        #expect(throws: APIError.self) { try validator.validate(Identify(anonymousID: "a", userID: ""), path: "") }
    }
}

@Suite struct ClockSkewTests {
    let skew = ClockSkew()

    @Test func withinToleranceKeepsTimestamps() {
        let off = skew.offset(receivedAt: 100_000_000, sentAt: 100_000_000 - 59_000_000)
        #expect(off == 0)
        #expect(skew.correct(5_000_000, receivedAt: 100_000_000, offset: off) == 5_000_000)
    }

    @Test func beyondToleranceShiftsByTheSkew() {
        // Client clock 2 hours behind: sent_at = received - 2h; an event 10 s before sending.
        let received: Int64 = 10_000_000_000_000
        let sent = received - 7_200_000_000
        let off = skew.offset(receivedAt: received, sentAt: sent)
        #expect(skew.correct(sent - 10_000_000, receivedAt: received, offset: off) == received - 10_000_000)
        #expect(skew.correct(nil, receivedAt: received, offset: off) == received)
        #expect(skew.offset(receivedAt: received, sentAt: nil) == 0)
    }
}
