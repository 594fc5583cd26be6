import TrailmarkWire

/// Computes an event's attribution columns from its `url` and `referrer` (SEMANTICS §6).
///
/// A pure function: the same inputs always give the same `Attribution`, so the ingest
/// service computes it once and the log stores it. Rules are tried in the order of the
/// table in §6 and the first match wins.
///
/// Readings of §6 this code had to choose (also in `docs/ENGINE.md`):
/// - a referrer whose host is empty (`https:///x`, `?q`) counts as no referrer;
/// - an empty query value is dropped before "first occurrence wins", so
///   `?utm_source=&utm_source=x` gives `x`;
/// - query parameter names are URL-decoded too (still compared case-sensitively);
/// - `utm_source=meta` with `fbclid` gives source `meta` ("that network");
/// - a bare host `utm_source` is a value made only of `a-z 0-9 . -` with a dot.
public enum AttributionClassifier {
    /// Values of `utm_medium` (case-insensitive) that make rule 4 (`utm_paid`) match.
    static let paidMedia: Set<String> = ["cpc", "ppc", "paid", "paidsearch", "paid_social", "paidsocial", "cpm", "display"]
    /// Rule 1's click ids in priority order, with the source each implies.
    static let clickIDs: [(parameter: AttributionParameters.Name, source: String)] = [
        (.gclid, "google"), (.gbraid, "google"), (.wbraid, "google"),
        (.msclkid, "bing"), (.ttclid, "tiktok"), (.liFatID, "linkedin"),
    ]

    /// The attribution of an event with this `url` and `referrer` (either may be nil).
    public static func classify(url: String?, referrer: String?) -> Attribution {
        AttributionKey(url: url, referrer: referrer).attribution
    }

    /// The attribution from the only bytes it depends on (`AttributionKey`): the url's raw
    /// host and query and the referrer's raw host (`URLParts.Spans`; empty when absent).
    public static func classify(urlHost: UnsafeBufferPointer<UInt8>, urlQuery: UnsafeBufferPointer<UInt8>, referrerHost rawReferrerHost: UnsafeBufferPointer<UInt8>) -> Attribution {
        let params = URLParts.parameters(ofQuery: urlQuery)
        let campaign = params[.utmCampaign]
        let referrerHost = URLParts.normalisedHost(rawReferrerHost)
        let referral = referrerClass(referrerHost: referrerHost, urlHost: URLParts.normalisedHost(urlHost))

        func make(_ source: String, _ medium: String, _ rule: String, _ confidence: Attribution.Confidence) -> Attribution {
            Attribution(source: source, medium: medium, campaign: campaign, rule: rule, confidence: confidence)
        }

        // Rule 1: click ids; the first of the list present wins.
        for click in clickIDs where params[click.parameter] != nil {
            return make(click.source, "paid", "click_id", .high)
        }
        let utmSource = params[.utmSource].map(normaliseSource)
        let utmMediumRaw = params[.utmMedium]?.lowercased()
        let hasFbclid = params[.fbclid] != nil
        // Rule 2: fbclid arriving through facebook's link shim.
        if hasFbclid && (referrerHost == "l.facebook.com" || referrerHost == "lm.facebook.com") {
            return make("facebook", "paid", "fbclid_facebook_link", .high)
        }
        // Rule 3: fbclid with a Meta network as utm_source.
        if hasFbclid, let s = utmSource, s == "facebook" || s == "instagram" || s == "meta" {
            return make(s, "paid", "fbclid_utm", .high)
        }
        // The source of rules 4 and 6 when utm_source is missing: the referrer's name.
        let sourceOrReferrer = utmSource ?? referral?.source ?? "unknown"
        // Rule 4: a paid utm_medium.
        if let m = utmMediumRaw, paidMedia.contains(m) {
            return make(sourceOrReferrer, "paid", "utm_paid", .high)
        }
        // Rule 5: fbclid that rules 2-4 did not take.
        if hasFbclid { return make("facebook", "paid", "fbclid", .medium) }
        // Rule 6: any utm_source / utm_medium.
        if utmSource != nil || utmMediumRaw != nil {
            let medium = utmMediumRaw.map(normaliseMedium) ?? defaultMedium(forSource: sourceOrReferrer)
            return make(sourceOrReferrer, medium, "utm", .high)
        }
        // Rules 7-11 and 13 by referrer; rule 12 without one.
        if let r = referral { return make(r.source, r.medium, r.rule, r.confidence) }
        return make("direct", "direct", "direct", .high)
    }

    /// Rules 7-11 and 13 for a referrer host; nil when there is no referrer (rule 12).
    static func referrerClass(referrerHost: String, urlHost: String) -> (source: String, medium: String, rule: String, confidence: Attribution.Confidence)? {
        guard !referrerHost.isEmpty else { return nil }
        if KnownHosts.isDomainOrSubdomain(referrerHost, of: "facebook.com") {
            return ("facebook", "social", "facebook_referrer", .medium)
        }
        switch KnownHosts.classify(referrerHost) {
        case .social(let name): return (name, "social", "social_referrer", .medium)
        case .search(let name): return (name, "organic", "search_referrer", .medium)
        case .webmail: return ("email", "email", "email_referrer", .medium)
        case nil: break
        }
        if referrerHost == urlHost { return ("internal", "direct", "internal", .high) }
        return (referrerHost, "referral", "referral", .low)
    }

    /// `utm_source` normalisation: aliases, bare known host names, else lower-cased.
    static func normaliseSource(_ raw: String) -> String {
        let v = raw.lowercased()
        switch v {
        case "fb", "facebook.com", "m.facebook.com", "l.facebook.com": return "facebook"
        case "ig": return "instagram"
        case "x.com", "t.co": return "twitter"
        case "lnkd.in": return "linkedin"
        default: break
        }
        if isBareHost(v), let name = KnownHosts.name(of: URLParts.normalisedHost(v)) { return name }
        return v
    }

    /// `utm_medium` normalisation of a lower-cased value.
    static func normaliseMedium(_ lower: String) -> String {
        switch lower {
        case "social", "social-network", "sm": "social"
        case "email", "e-mail", "newsletter": "email"
        default: lower
        }
    }

    /// Rule 6's medium when `utm_medium` is missing, from the normalised source.
    static func defaultMedium(forSource source: String) -> String {
        if KnownHosts.socialNames.contains(source) { return "social" }
        if KnownHosts.searchNames.contains(source) { return "organic" }
        return "referral"
    }

    /// A bare host name: only `a-z`, `0-9`, `.`, `-`, with at least one dot (no scheme,
    /// port or path).
    static func isBareHost(_ lower: String) -> Bool {
        var dot = false
        for b in lower.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): continue
            case UInt8(ascii: "."): dot = true
            default: return false
            }
        }
        return dot
    }
}
