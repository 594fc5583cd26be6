import TrailmarkWire

/// A generated batch, encoded once and sent again and again with fresh event ids, times
/// and batch id, so that the harness spends its CPU on the server under test rather than
/// on building and encoding events (generation and encoding were about 60% of the
/// harness's CPU, which shares the machine with the server).
///
/// Patching works on the encoded bytes because every patched value has a fixed width:
/// - event ids are `<run>-<stream>-<seq, 10 digits>-<index>` (`EventGenerator`), so a new
///   batch seq rewrites ten ASCII digits of each id in the dictionary;
/// - every event of a generated batch has the same `timestamp`, which is also `sent_at`: the
///   timestamp column holds it once (then zero deltas) and `sent_at` once, each as an 8-byte
///   zigzag varint for any time between 1978 and 3111;
/// - `batch_id` is `seq | 2^56` (`batchID(seq:)`), a 9-byte varint at the end of the message.
///
/// `init` checks each of these in the encoded bytes and then decodes one instance to
/// compare it with what it expects; any surprise makes it fail (nil), and the caller
/// encodes batches from scratch instead.
struct BatchTemplate {
    /// The encoding of the template batch (seq `templateSeq`, time `templateTime`).
    private let bytes: [UInt8]
    /// Where each event id's ten seq digits start.
    private let seqDigits: [Int]
    /// Where the two 8-byte varints of the time start (timestamp column, `sent_at`).
    private let times: [Int]
    /// Events in the batch.
    let count: Int

    static let seqWidth = 10
    static let batchIDBase: UInt64 = 1 << 56
    static let timeVarintBytes = 8
    static let batchIDVarintBytes = 9

    /// The `batch_id` a stream sends for batch `seq` (fixed varint width; see the type).
    static func batchID(seq: Int) -> UInt64 { batchIDBase | UInt64(seq) }

    /// The ten-digit form of a batch seq inside event ids.
    static func paddedSeq(_ seq: Int) -> String {
        let digits = String(seq)
        return String(repeating: "0", count: max(0, seqWidth - digits.count)) + digits
    }

    /// A template of `events` (generated for batch `seq` at time `time`, every event stamped
    /// `time`, ids `<idPrefix><index>` with `idPrefix` = `<run>-<stream>-<10-digit seq>-`);
    /// nil when the encoding does not have the shape the type's comment describes.
    init?(events: [Event], seq: Int, time: Int64, idPrefix: String) {
        guard !events.isEmpty, seq < 10_000_000_000, Self.timeVarint(time) != nil else { return nil }
        for (i, e) in events.enumerated() where e.timestamp != time || e.eventID != idPrefix + String(i) { return nil }
        let encoded = EventBatch(events: events, sentAt: time, batchID: Self.batchID(seq: seq)).encoded(capacity: events.count * 160)
        // Event ids: each occurrence of the prefix starts one id; its digits follow it.
        let prefix = Array(idPrefix.utf8)
        let digitsAt = prefix.count - Self.seqWidth - 1
        var starts: [Int] = []
        starts.reserveCapacity(events.count)
        Self.forEachOccurrence(of: prefix, in: encoded) { starts.append($0 + digitsAt) }
        // Times: exactly the timestamp column's first value and `sent_at`.
        var times: [Int] = []
        if let varint = Self.timeVarint(time) { Self.forEachOccurrence(of: varint, in: encoded) { times.append($0) } }
        guard starts.count == events.count, times.count == 2,
              Array(encoded.suffix(Self.batchIDVarintBytes)) == Self.varint(Self.batchID(seq: seq)) else { return nil }
        bytes = encoded
        seqDigits = starts
        self.times = times
        count = events.count
        // Self-check: an instance for another seq and time decodes to exactly the events
        // with those ids and times.
        let (checkSeq, checkTime) = (seq + 1, time + 1_000_000)
        guard let instance = self.bytes(seq: checkSeq, time: checkTime),
              let decoded = try? EventBatch(decoding: instance, limits: .default),
              decoded.sentAt == checkTime, decoded.batchID == Self.batchID(seq: checkSeq) else { return nil }
        let checkPrefix = String(idPrefix.dropLast(Self.seqWidth + 1)) + Self.paddedSeq(checkSeq) + "-"
        for (i, e) in events.enumerated() {
            var expected = e
            expected.eventID = checkPrefix + String(i)
            expected.timestamp = checkTime
            guard decoded.events[i] == expected else { return nil }
        }
    }

    /// The encoded `EventBatch` for batch `seq` at `time`: the template with its ids, times
    /// and batch id rewritten; nil when `seq` or `time` does not fit the fixed widths.
    func bytes(seq: Int, time: Int64) -> [UInt8]? {
        guard seq >= 0, seq < 10_000_000_000, let timeBytes = Self.timeVarint(time) else { return nil }
        var out = bytes
        let digits = Array(Self.paddedSeq(seq).utf8)
        out.withUnsafeMutableBufferPointer { buffer in
            for start in seqDigits {
                for k in 0..<Self.seqWidth { buffer[start + k] = digits[k] }
            }
            for start in times {
                for k in 0..<Self.timeVarintBytes { buffer[start + k] = timeBytes[k] }
            }
            let id = Self.varint(Self.batchID(seq: seq))
            let at = buffer.count - Self.batchIDVarintBytes
            for k in 0..<Self.batchIDVarintBytes { buffer[at + k] = id[k] }
        }
        return out
    }

    /// The zigzag varint of `time` when it is 8 bytes long (times from 1978 to 3111).
    private static func timeVarint(_ time: Int64) -> [UInt8]? {
        var w = WireWriter(capacity: 12)
        w.writeSInt64(2, time)
        let varint = Array(w.bytes.dropFirst())  // the one-byte tag of field 2
        return varint.count == timeVarintBytes ? varint : nil
    }

    private static func varint(_ value: UInt64) -> [UInt8] {
        var w = WireWriter(capacity: 12)
        w.appendVarint(value)
        return w.bytes
    }

    /// Calls `body` with the start of each non-overlapping occurrence of `needle`.
    private static func forEachOccurrence(of needle: [UInt8], in haystack: [UInt8], _ body: (Int) -> Void) {
        guard let first = needle.first, needle.count <= haystack.count else { return }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) {
                body(i)
                i += needle.count
            } else {
                i += 1
            }
        }
    }
}
