/// The ids the server made for the events of a batch sent without one, as bytes in one
/// buffer (a `String` and a dictionary entry per id were a tenth of the fast path when
/// clients send no ids).
///
/// Invariant: `starts` and `ends` are empty (no id generated) or hold `count` entries;
/// event `i` has an id exactly when `starts[i] >= 0`, and then its bytes are
/// `bytes[starts[i] ..< ends[i]]`.
public struct GeneratedEventIDs: Sendable {
    /// The ids' UTF-8 bytes, one after another.
    public private(set) var bytes: [UInt8] = []
    /// Per event: where its id starts in `bytes`, or -1 (the client sent one); empty while
    /// no id was generated.
    private var starts: [Int32] = []
    private var ends: [Int32] = []
    private let count: Int

    /// No ids yet, for a batch of `count` events.
    public init(count: Int) { self.count = count }

    /// An id of exactly `width` bytes for each event `generate` marks (a batch of
    /// `generate.count` events), written in event order by `write(event, id)` into its
    /// slot of one buffer allocated once (zeroed first: bytes `write` leaves are 0). The
    /// ingest fast path: no growth, no closure and no exclusivity check per id.
    public init(width: Int, generating generate: [Bool], _ write: (_ event: Int, _ id: UnsafeMutableBufferPointer<UInt8>) -> Void) {
        count = generate.count
        var ids = 0
        for g in generate where g { ids += 1 }
        guard ids > 0 else { return }
        precondition(width > 0 && ids * width <= Int(Int32.max), "generated ids fit an Int32 offset")
        var starts = [Int32](repeating: -1, count: count), ends = [Int32](repeating: -1, count: count)
        var bytes = [UInt8](repeating: 0, count: ids * width)
        bytes.withUnsafeMutableBufferPointer { buffer in
            var at = 0
            for event in 0 ..< count where generate[event] {
                starts[event] = Int32(at)
                ends[event] = Int32(at + width)
                write(event, UnsafeMutableBufferPointer(rebasing: buffer[at ..< at + width]))
                at += width
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.ends = ends
    }

    /// Whether no id was generated.
    public var isEmpty: Bool { starts.isEmpty }

    /// Appends event `event`'s id with `write`, which appends its bytes to the buffer.
    public mutating func add(event: Int, _ write: (inout [UInt8]) -> Void) {
        if starts.isEmpty {
            starts = [Int32](repeating: -1, count: count)
            ends = [Int32](repeating: -1, count: count)
        }
        starts[event] = Int32(bytes.count)
        write(&bytes)
        ends[event] = Int32(bytes.count)
    }

    /// Event `event`'s generated id, or nil.
    public func withID<R>(_ event: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
        try withIDs { try body($0[event]) }
    }

    /// Calls `body` with a reader of every event's id: one access to the buffer for a loop
    /// over the batch.
    public func withIDs<R>(_ body: (IDs) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { try body(IDs(bytes: $0, starts: starts, ends: ends)) }
    }

    /// The ids of a batch by event. Invariant: `bytes` points into the ids' buffer, so an
    /// `IDs` is used only inside the `withIDs` call that made it.
    public struct IDs {
        let bytes: UnsafeBufferPointer<UInt8>
        let starts: [Int32]
        let ends: [Int32]

        /// Event `event`'s generated id, or nil.
        public subscript(event: Int) -> UnsafeBufferPointer<UInt8>? {
            guard !starts.isEmpty, starts[event] >= 0 else { return nil }
            return UnsafeBufferPointer(rebasing: bytes[Int(starts[event]) ..< Int(ends[event])])
        }
    }

    /// Event `event`'s generated id as a `String` (the ids are ASCII), or nil.
    public func string(_ event: Int) -> String? {
        withID(event) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }
}
