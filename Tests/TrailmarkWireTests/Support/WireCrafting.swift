import Testing
import TrailmarkWire

/// Hand-built (often malformed) encodings for the negative tests.
enum Craft {
    /// An `EventBatch` whose `events` block has the given dictionary, count and columns
    /// (written in the order given, so tests control order and duplicates).
    static func batch(dictionary: [String] = ["a"], count: UInt64 = 1, columns: [(Int, [UInt8])] = [(3, [0]), (4, [0])],
                      rawDictionary: [UInt8]? = nil, extra: (inout WireWriter) -> Void = { _ in }) -> [UInt8] {
        var w = WireWriter()
        w.writeMessage(1) { w in
            w.writeBytes(1, rawDictionary ?? dictionaryBytes(dictionary))
            w.writeUInt64(2, count)
            for (field, bytes) in columns { w.writeBytes(field, bytes) }
            extra(&w)
        }
        return w.bytes
    }

    static func dictionaryBytes(_ strings: [String]) -> [UInt8] {
        var w = WireWriter()
        for s in strings {
            w.appendVarint(UInt64(s.utf8.count))
            w.appendBytes(Array(s.utf8))
        }
        return w.bytes
    }

    static func varints(_ values: [UInt64]) -> [UInt8] {
        var w = WireWriter()
        for v in values { w.appendVarint(v) }
        return w.bytes
    }

    /// A message made by `body`.
    static func message(_ body: (inout WireWriter) -> Void) -> [UInt8] {
        var w = WireWriter()
        body(&w)
        return w.bytes
    }
}

/// Expects decoding `bytes` as `M` to throw `code` at `field`.
func expectWireError<M: WireMessage>(
    _ type: M.Type, _ bytes: [UInt8], _ code: WireError.Code, field: String, limits: WireLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        _ = try M(decoding: bytes, limits: limits)
        Issue.record("expected \(code) at \(field), decoded fine", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
    }
}
