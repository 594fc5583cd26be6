/// The regular (non-pseudo) header fields of the last request on one connection whose list
/// was built field by field, kept with their bytes, so the next request sending the same
/// fields in the same order shares that `HeaderFields` array instead of building its own.
///
/// Why: clients repeat their header list from call to call (`user-agent`, `content-type`,
/// `te`, `authorization`, …). Building it per request cost two String retains and an append
/// per field, and as many releases when the stream closed (about 3% of the server's time
/// in the echo benchmark); a repeated list costs two `memcmp` per field and one retain.
///
/// Use per request: `matches(index:…)` for each field in arrival order while all earlier
/// ones matched; the first mismatch switches that request to building its own list, seeded
/// with `prefix(index)`. A request whose fields all matched takes `list(count:)`.
///
/// Bounds: at most `fieldsMax` fields of at most `fieldBytesMax` bytes per name or value are
/// kept (a longer list is not remembered), so a connection holds a few KiB here at most.
/// Not thread-safe: one connection, one event loop.
struct RepeatedHeaderList {
    static let fieldsMax = 16
    static let fieldBytesMax = 256

    /// The remembered fields.
    private(set) var fields = HeaderFields()
    /// Name and value bytes of each remembered field: name of field i at 2i, value at 2i+1.
    private var bytes: [[UInt8]] = []

    var count: Int { fields.count }

    /// Whether field `index` of the remembered list has exactly these name and value bytes.
    @inline(__always)
    func matches(index: Int, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        index < fields.count && HeaderBytes.equal(name, stored: bytes[2 * index]) && HeaderBytes.equal(value, stored: bytes[2 * index + 1])
    }

    /// The value String of remembered field `index` (valid index).
    func value(at index: Int) -> String { fields.fields[index].value }

    /// The first `count` remembered fields: the shared list itself when that is all of them.
    func list(count: Int) -> HeaderFields {
        count == fields.count ? fields : HeaderFields(fields: Array(fields.fields[..<count]))
    }

    /// Remembers `list` (a request built its own), or forgets everything when it is too large.
    mutating func remember(_ list: HeaderFields) {
        guard list.count <= Self.fieldsMax,
              list.fields.allSatisfy({ $0.name.utf8.count <= Self.fieldBytesMax && $0.value.utf8.count <= Self.fieldBytesMax }) else {
            fields = HeaderFields()
            bytes = []
            return
        }
        fields = list
        bytes = list.fields.flatMap { [Array($0.name.utf8), Array($0.value.utf8)] }
    }
}
