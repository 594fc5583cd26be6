import Testing
import TrailmarkWire
@testable import TrailmarkEngine

/// The worked examples of `shared/seeds/`: the anonymous-to-known timeline, the five-step
/// signup funnel, and Facebook paid vs social.
@Suite("Seed recipes")
struct SeedRecipeTests {
    static let day: Int64 = 86_400_000_000
    static let hour: Int64 = 3_600_000_000
    static let minute: Int64 = 60_000_000
    /// Day 1 = 2026-05-05 (a Tuesday) 00:00 UTC.
    static let day1: Int64 = 1_777_939_200_000_000

    static func at(day d: Int64, _ h: Int64, _ m: Int64) -> Int64 { day1 + (d - 1) * day + h * hour + m * minute }

    /// An event as the ingest service stores it: attribution computed from url/referrer.
    static func stored(_ name: String, anon: String, user: String? = nil, at t: Int64, url: String? = nil, referrer: String? = nil) -> Event {
        Event(
            event: name, anonymousID: anon, userID: user, timestamp: t, url: url, referrer: referrer,
            attribution: AttributionClassifier.classify(url: url, referrer: referrer)
        )
    }

    @Test("anonymous to known: u_abc becomes user_42, first touch facebook/paid")
    func anonymousToKnown() throws {
        let engine = EventEngine()
        let p = "acme"
        engine.ingest(StoredEventBatch(project: p, events: [
            Self.stored("$pageview", anon: "u_abc", at: Self.at(day: 1, 14, 0), url: "https://acme.io/?fbclid=IwAR0", referrer: "https://l.facebook.com/"),
            Self.stored("clicked_pricing", anon: "u_abc", at: Self.at(day: 1, 14, 2), url: "https://acme.io/pricing?fbclid=IwAR0", referrer: "https://l.facebook.com/"),
            Self.stored("$pageview", anon: "u_abc", at: Self.at(day: 5, 9, 30), url: "https://acme.io/"),
        ]), recordSeq: 1)
        engine.ingest(StoredIdentifyBatch(project: p, identifies: [Identify(anonymousID: "u_abc", userID: "user_42", timestamp: Self.at(day: 7, 11, 14))]), recordSeq: 2)
        engine.ingest(StoredEventBatch(project: p, events: [
            Self.stored("signup", anon: "u_abc", user: "user_42", at: Self.at(day: 7, 11, 14)),
            Self.stored("feature_used", anon: "u_abc", user: "user_42", at: Self.at(day: 9, 16, 22)),
        ]), recordSeq: 3)

        let user = engine.user(project: p, UserQuery(userID: "user_42", conversionEvent: "signup"))
        #expect(user.anonymousIDs == ["u_abc"])
        #expect(user.firstTouch == FirstTouch(event: "$pageview", timestamp: Self.at(day: 1, 14, 0), source: "facebook", medium: "paid", campaign: nil))
        #expect(user.prelogin.map(\.event.event) == ["$pageview", "clicked_pricing", "$pageview"])
        #expect(user.prelogin.allSatisfy { $0.event.userID == nil && $0.user == "user_42" })
        #expect(user.timeToConversion == Self.at(day: 7, 11, 14) - Self.at(day: 1, 14, 0))

        // History is not rewritten, but the stitched user covers the whole timeline, with
        // the $identify event before signup at the same timestamp (seq breaks the tie).
        let page = try engine.events(project: p, EventsQuery(from: Self.day1, to: Self.day1 + 10 * Self.day, userID: "user_42"))
        #expect(page.rows.map(\.event.event) == ["$pageview", "clicked_pricing", "$pageview", "$identify", "signup", "feature_used"])
        #expect(page.rows.map(\.event.userID) == [nil, nil, nil, "user_42", "user_42", "user_42"])
        #expect(page.rows.allSatisfy { $0.user == "user_42" })
        #expect(page.rows[3].event.attribution?.source == "direct")

        // A second device signs in later: another anonymous id, same first touch.
        engine.ingest(StoredEventBatch(project: p, events: [Self.stored("$pageview", anon: "phone", at: Self.at(day: 8, 8, 0), referrer: "https://www.google.com/")]), recordSeq: 4)
        engine.ingest(StoredIdentifyBatch(project: p, identifies: [Identify(anonymousID: "phone", userID: "user_42", timestamp: Self.at(day: 8, 8, 5))]), recordSeq: 5)
        let again = engine.user(project: p, UserQuery(userID: "user_42"))
        #expect(again.anonymousIDs == ["phone", "u_abc"])
        #expect(again.firstTouch?.source == "facebook" && again.firstTouch?.medium == "paid")
        let uniques = try engine.stats(project: p, StatsQuery(metric: .uniques))
        #expect(uniques.rows == [StatsRow(value: 1)])
        let devices = try engine.stats(project: p, StatsQuery(metric: .uniques, unit: .anonymous))
        #expect(devices.rows == [StatsRow(value: 2)])

        // Forget: nothing of the user is returned any more.
        #expect(engine.forget(StoredForget(project: p, userID: "user_42", requestedAt: 0), recordSeq: 6).hidden == 8)
        #expect(try engine.events(project: p, EventsQuery(from: 0, to: .max)).rows.isEmpty)
        #expect(engine.user(project: p, UserQuery(userID: "user_42")).anonymousIDs.isEmpty)
    }

    /// Five visitors of the signup recipe (see each comment) on 2026-05-05.
    static func signupData() -> EventEngine {
        let engine = EventEngine()
        let t = at(day: 1, 10, 0)
        let m = minute
        let fbPaid = (url: Optional("https://acme.io/?fbclid=abc"), referrer: Optional<String>.none)
        let fbSocial = (url: Optional("https://acme.io/"), referrer: Optional("https://m.facebook.com/"))
        var events: [Event] = []
        func add(_ name: String, _ anon: String, _ dt: Int64, user: String? = nil, from: (url: String?, referrer: String?) = (nil, nil)) {
            events.append(stored(name, anon: anon, user: user, at: t + dt, url: from.url, referrer: from.referrer))
        }
        // A: the whole funnel in order, from a Facebook ad.
        add("$pageview", "a", 0, from: fbPaid); add("clicked_cta", "a", 1 * m); add("viewed_signup_form", "a", 2 * m)
        add("signup", "a", 5 * m); add("activated", "a", 30 * m)
        // B: signed up before viewing the form (a deep link): stops at the form.
        add("$pageview", "b", 0, from: fbSocial); add("clicked_cta", "b", 1 * m); add("signup", "b", 2 * m); add("viewed_signup_form", "b", 3 * m)
        // C: landed only.
        add("$pageview", "c", 0)
        // D: clicked before landing: only step 1.
        add("clicked_cta", "d", 0); add("$pageview", "d", 1 * m)
        // E: browses on a laptop, signs up server-side, activates on a phone.
        add("$pageview", "e-laptop", 0, from: fbSocial); add("clicked_cta", "e-laptop", 2 * m); add("viewed_signup_form", "e-laptop", 3 * m)
        add("signup", "e-laptop", 4 * m, user: "user_e"); add("activated", "e-phone", 60 * m, user: "user_e")
        engine.ingest(StoredEventBatch(project: "acme", events: events), recordSeq: 1)
        engine.ingest(StoredIdentifyBatch(project: "acme", identifies: [
            Identify(anonymousID: "e-laptop", userID: "user_e", timestamp: t + 4 * m),
            Identify(anonymousID: "e-phone", userID: "user_e", timestamp: t + 59 * m),
        ]), recordSeq: 2)
        return engine
    }

    static let signupSteps = ["$pageview", "clicked_cta", "viewed_signup_form", "signup", "activated"].map { FunnelQuery.Step(event: $0) }

    @Test("signup funnel: five steps, each at or after the previous one")
    func signupFunnel() throws {
        let engine = Self.signupData()
        let q = FunnelQuery(from: Self.day1, to: Self.day1 + Self.day, steps: Self.signupSteps)
        let users = try engine.funnel(project: "acme", q)
        #expect(users.groups.count == 1 && users.groups[0].key == .all)
        #expect(users.groups[0].steps.map(\.reached) == [5, 3, 3, 2, 2])
        #expect(users.groups[0].steps.map(\.conversion) == [1.0, 0.6, 1.0, 2.0 / 3.0, 1.0])
        #expect(users.groups[0].steps.last?.overall == 0.4)
        #expect(users.groups[0].timeToComplete == FunnelResult.TimeToComplete(n: 2, mean: 45.0 * 60e6, median: 45.0 * 60e6, p90: (30 + 0.9 * 30) * 60e6))

        var devices = q
        devices.unit = .anonymous
        #expect(try engine.funnel(project: "acme", devices).groups[0].steps.map(\.reached) == [5, 3, 3, 2, 1])

        // The recipe's per-step uniques.
        let perStep = try Self.signupSteps.map { try engine.stats(project: "acme", StatsQuery(metric: .uniques, events: [$0.event])).rows[0].value }
        #expect(perStep == [5, 4, 3, 3, 2])
    }

    @Test("first-touch breakdown puts Facebook paid and Facebook social on different rows")
    func facebookPaidVersusSocial() throws {
        let engine = Self.signupData()
        var q = FunnelQuery(from: Self.day1, to: Self.day1 + Self.day, steps: Self.signupSteps)
        q.breakdown = .firstTouch
        let r = try engine.funnel(project: "acme", q)
        #expect(r.groups.map(\.key) == [
            .firstTouch(source: "direct", medium: "direct"), .firstTouch(source: "facebook", medium: "paid"), .firstTouch(source: "facebook", medium: "social"),
        ])
        #expect(r.groups.map { $0.steps.map(\.reached) } == [[2, 0, 0, 0, 0], [1, 1, 1, 1, 1], [2, 2, 2, 1, 1]])

        let sources = engine.sources(project: "acme", SourcesQuery())
        let facebook = sources.rows.filter { $0.source == "facebook" }.map { "\($0.medium):\($0.events):\($0.uniques)" }.sorted()
        #expect(facebook == ["paid:1:1", "social:2:2"])

        // The classifier itself, as the attribution page of the recipe describes it.
        #expect(AttributionClassifier.classify(url: "https://acme.io/?fbclid=1", referrer: "https://l.facebook.com/").medium == "paid")
        #expect(AttributionClassifier.classify(url: "https://acme.io/", referrer: "https://m.facebook.com/").medium == "social")
        #expect(AttributionClassifier.classify(url: "https://acme.io/?utm_source=facebook&utm_medium=paid_social", referrer: nil).medium == "paid")
        #expect(AttributionClassifier.classify(url: "https://acme.io/?utm_source=facebook", referrer: nil).medium == "social")
    }
}
