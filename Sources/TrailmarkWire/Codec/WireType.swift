/// The wire type in the low three bits of a field tag (`Proto/WIRE.md` § 2 Tags).
///
/// A tag is the varint `fieldNumber << 3 | wireType`. Wire types 3, 4, 6 and 7 are not
/// defined; a reader cannot skip them and rejects them (`wrongWireType`).
public enum WireType: UInt8, Hashable, Sendable {
    /// A varint: unsigned integers, zigzag signed integers, bools, enums.
    case varint = 0
    /// Eight bytes, little-endian: IEEE 754 doubles.
    case fixed64 = 1
    /// A varint length, then that many bytes: strings, embedded messages, columns.
    case lengthDelimited = 2
    /// Four bytes, little-endian (unused by schema v1; skippable for forward compatibility).
    case fixed32 = 5

    var name: String {
        switch self {
        case .varint: "varint"
        case .fixed64: "fixed64"
        case .lengthDelimited: "length-delimited"
        case .fixed32: "fixed32"
        }
    }
}

/// One decoded field tag: the field number (1 ... 2^29 - 1) and its wire type.
public struct FieldHeader: Hashable, Sendable {
    public var number: Int
    public var wireType: WireType

    public init(number: Int, wireType: WireType) {
        self.number = number
        self.wireType = wireType
    }

    /// Largest field number a tag may carry.
    public static let numberMax = (1 << 29) - 1
}

/// Zigzag mapping of signed integers to unsigned (`Proto/WIRE.md` § 3): 0, -1, 1, -2 → 0, 1, 2, 3.
@inline(__always)
func zigzagEncode(_ n: Int64) -> UInt64 {
    UInt64(bitPattern: (n << 1) ^ (n >> 63))
}

@inline(__always)
func zigzagDecode(_ u: UInt64) -> Int64 {
    Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
}

extension WireError {
    /// This error with `prefix` prepended to its field path: `steps[2]` + `event` →
    /// `steps[2].event`; `events` + `[3].name` → `events[3].name`. Called only on error paths.
    public func nested(in prefix: String) -> WireError {
        var copy = self
        if field.isEmpty {
            copy.field = prefix
        } else if field.hasPrefix("[") {
            copy.field = prefix + field
        } else {
            copy.field = prefix + "." + field
        }
        return copy
    }
}
