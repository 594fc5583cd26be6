/// A typed property value (SEMANTICS §1): string, number, bool or null.
///
/// Numbers keep their JSON-visible type: integers (`int`) and floating point (`double`)
/// are distinct, and a funnel filter value matches only an equal value of the same type
/// (SEMANTICS §4). `null` is an explicit null; a missing property is the absence of an entry.
public enum PropertyValue: Hashable, Sendable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null

    /// The string, when this is a string value.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// One entry of a flat property map.
public struct Property: Hashable, Sendable {
    public var key: String
    public var value: PropertyValue

    public init(_ key: String, _ value: PropertyValue) {
        self.key = key
        self.value = value
    }
}

/// A flat map of string keys to `PropertyValue`s that keeps insertion order, so encoding
/// is deterministic (golden vectors re-encode byte for byte). Keys are unique: the codec
/// and the JSON gateway reject a repeated key.
public struct Properties: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence {
    public private(set) var entries: [Property]

    public init() { entries = [] }

    public init(_ entries: [Property]) { self.entries = entries }

    public init(dictionaryLiteral elements: (String, PropertyValue)...) {
        entries = elements.map { Property($0.0, $0.1) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The value of `key`, or `nil` when the key is absent (an explicit null is `.null`).
    /// Linear: property maps are small; the engine builds per-key columns for hot paths.
    public subscript(key: String) -> PropertyValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append(Property(key, newValue))
            }
        }
    }

    /// Appends an entry without checking for a duplicate key (decoders check separately).
    public mutating func append(_ property: Property) { entries.append(property) }

    public func makeIterator() -> IndexingIterator<[Property]> { entries.makeIterator() }
}
