/// One record to append: its kind and its payload (opaque bytes, the wire codec's encoding).
public struct AppendRecord: Sendable {
    public var kind: RecordKind
    public var payload: [UInt8]

    public init(kind: RecordKind, payload: [UInt8]) {
        self.kind = kind
        self.payload = payload
    }
}

/// A producer's request travelling through the ring to the log writer.
struct AppendRequest: Sendable {
    enum Records: Sendable {
        case one(RecordKind, [UInt8])
        case many([AppendRecord])
        /// No record: the writer rolls to a new segment if the tail holds any record.
        case seal
    }

    let records: Records
    /// Resumed by the writer with the assigned seqs once durable, or with the failure.
    let acknowledgement: CheckedContinuation<Range<UInt64>, any Error>

    var count: Int {
        switch records {
        case .one: 1
        case .many(let batch): batch.count
        case .seal: 0
        }
    }

    func fail(_ error: StorageError) { acknowledgement.resume(throwing: error) }
}
