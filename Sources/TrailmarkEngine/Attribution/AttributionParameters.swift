/// The query parameters attribution reads (SEMANTICS §6), one slot per name: the
/// classifier looks up about ten names per event, which a `[String: String]` paid for
/// with a SipHash each.
struct AttributionParameters {
    /// The names, case-sensitive as SEMANTICS §6 says.
    enum Name: Int, CaseIterable {
        case gclid, gbraid, wbraid, msclkid, ttclid, liFatID, fbclid, utmSource, utmMedium, utmCampaign

        /// The parameter's name in a query string.
        var text: String {
            switch self {
            case .gclid: "gclid"
            case .gbraid: "gbraid"
            case .wbraid: "wbraid"
            case .msclkid: "msclkid"
            case .ttclid: "ttclid"
            case .liFatID: "li_fat_id"
            case .fbclid: "fbclid"
            case .utmSource: "utm_source"
            case .utmMedium: "utm_medium"
            case .utmCampaign: "utm_campaign"
            }
        }

        /// Each name's UTF-8 bytes, for matching raw query bytes without allocating.
        static let bytes: [(name: Name, utf8: [UInt8])] = allCases.map { ($0, Array($0.text.utf8)) }

        /// The name `text` spells, if attribution reads it.
        init?(text: String) {
            guard let match = Self.allCases.first(where: { $0.text == text }) else { return nil }
            self = match
        }
    }

    /// One slot per `Name` (raw value), inline: no allocation per parsed URL.
    private var values = InlineArray<10, String?>(repeating: nil)

    /// The first non-empty value of `name`, URL-decoded; nil when absent.
    subscript(name: Name) -> String? {
        get { values[name.rawValue] }
        set { values[name.rawValue] = newValue }
    }
}
