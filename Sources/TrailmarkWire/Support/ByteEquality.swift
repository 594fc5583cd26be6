#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-for-byte equality with `memcmp`: the one helper the codec's interner and the
/// ingest service's attribution cache share.
public enum ByteEquality {
    /// Whether `a` and `b` hold the same bytes. Both buffers must be valid for the call.
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return true }  // both empty
        return memcmp(pa, pb, a.count) == 0
    }

    /// Whether two strings have the same UTF-8 bytes (`==` compares by Unicode canonical
    /// equivalence instead, so "é" and "e\u{301}" are equal there and different here).
    public static func equal(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in equal(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) } }
    }
}
