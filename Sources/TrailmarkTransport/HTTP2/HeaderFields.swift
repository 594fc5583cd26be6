/// An ordered list of HTTP header fields (names lower-case, as HTTP/2 requires — RFC 9113
/// §8.2.1), used for requests, responses and trailers on both HTTP/2 and HTTP/1.1.
public struct HeaderFields: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// The fields in wire order; names are lower-case.
    public private(set) var fields: [(name: String, value: String)]

    public init() { fields = [] }

    public init(_ fields: [(name: String, value: String)]) {
        self.fields = fields.map { ($0.name.lowercased(), $0.value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { (name: $0.0, value: $0.1) })
    }

    /// Appends a field; `name` is lower-cased.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name.lowercased(), value))
    }

    mutating func reserveCapacity(_ count: Int) { fields.reserveCapacity(count) }

    /// Fields whose names are already lower-case, taken as they are.
    init(fields: [(name: String, value: String)]) { self.fields = fields }

    /// Internal fast path for names already known to be lower-case.
    mutating func addLowercased(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// The first value of `name` (case-insensitive), or nil.
    public subscript(_ name: String) -> String? {
        for field in fields where field.name == name { return field.value }
        let lower = name.lowercased()
        guard lower != name else { return nil }
        for field in fields where field.name == lower { return field.value }
        return nil
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return fields.filter { $0.name == lower }.map(\.value)
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") }
}
