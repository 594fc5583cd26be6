import TrailmarkStorage
import TrailmarkWire

/// One log record read for the engine: decoding is pure, so replay decodes the next chunk
/// of records on a second thread while the engine applies the current one. An event batch
/// is kept as its payload bytes (copied out of the mapped log), which the engine indexes
/// in place (`EventEngine.ingest(storedEventBatch:recordSeq:)`).
enum DecodedRecord: Sendable {
    case events(payload: [UInt8])
    case identifies(StoredIdentifyBatch)
    case forget(StoredForget)
    case other(RecordKind)

    /// Decodes a record's payload by its kind. A payload that does not decode is corruption
    /// the CRC did not catch (or a newer writer): the caller stops rather than skip it.
    init(kind: RecordKind, payload: RawSpan) throws {
        self = try payload.withUnsafeBytes { bytes in
            switch kind {
            case .eventBatch: .events(payload: Array(bytes))
            case .identifyBatch: .identifies(try StoredIdentifyBatch(decoding: bytes, limits: .logRecords))
            case .forget: .forget(try StoredForget(decoding: bytes, limits: .logRecords))
            default: .other(kind)
            }
        }
    }
}

/// Records read and decoded ahead of the engine during replay.
struct DecodedChunk: Sendable {
    var records: [(seq: UInt64, record: DecodedRecord)] = []
    /// The seq to read from next.
    var end: UInt64
    var payloadBytes = 0
}
