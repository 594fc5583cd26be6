/// Where a decoded event block's columns lie in the buffer it was decoded from.
struct EventBlockLayout: Sendable {
    /// The byte range of each field's value by field number (nil = absent), as indices
    /// into the decoded buffer.
    var columns: [Range<Int>?]
    /// Events in the block.
    var count: Int
    /// Entries in the block's dictionary.
    var dictionaryEntries: Int
    /// Whether every dictionary entry is referenced by some decoded column (canonical
    /// encoders never write an unreferenced one).
    var allEntriesReferenced: Bool
}

/// A client's encoded event block kept beside its decoded events, sharing the message's
/// bytes (no copy), so the server can store the batch by copying the columns it does not
/// change instead of encoding every string again (`StoredEventBatch.encoded(reusing:)`).
///
/// Invariant: `layout` was produced by decoding `storage`, so every column range lies in
/// `storage` and holds exactly `count` well-formed entries whose dictionary references are
/// below `layout.dictionaryEntries`.
public struct EventBlock: Sendable {
    let storage: [UInt8]
    let layout: EventBlockLayout

    /// Events in the block.
    public var count: Int { layout.count }
}

extension EventBatch {
    /// Decodes an `EventBatch` message body like `init(decoding:limits:)` and also returns
    /// its event block (nil when the batch has no `events` field).
    public static func decodingKeepingBlock(_ bytes: [UInt8], limits: WireLimits = .default) throws(WireError) -> (batch: EventBatch, block: EventBlock?) {
        try limits.checkMessageSize(bytes.count)
        let result: Result<(EventBatch, EventBlockLayout?), WireError> = bytes.withUnsafeBytes { raw in
            var reader = WireReader(raw, limits: limits)
            var layout: EventBlockLayout?
            do throws(WireError) {
                let batch = try EventBatch(decoding: &reader, layout: &layout)
                try reader.checkAtEnd()
                return .success((batch, layout))
            } catch {
                return .failure(error)
            }
        }
        let (batch, layout) = try result.get()
        return (batch, layout.map { EventBlock(storage: bytes, layout: $0) })
    }
}

extension WireLimits {
    /// Throws `messageTooLarge` for a body above `messageBytesMax`.
    func checkMessageSize(_ bytes: Int) throws(WireError) {
        guard bytes <= messageBytesMax else {
            throw WireError(.messageTooLarge, field: "", "message of \(bytes) bytes exceeds the maximum of \(messageBytesMax) bytes")
        }
    }
}

extension WireReader {
    /// Throws when a top-level decoder left bytes of its message unread.
    func checkAtEnd() throws(WireError) {
        guard isAtEnd else {
            throw WireError(.invalidValue, field: "", "decoder stopped before the end of the message")
        }
    }
}
