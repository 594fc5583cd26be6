/// What lies past the end of the valid record chain: the bytes that decide between a torn
/// tail (truncate) and corruption (refuse) in recovery (`docs/STORAGE.md` § Recovery).
///
/// The writer appends write group G+1 only after G is durable. So if any valid record
/// beyond the chain's end belongs to a group that *started after* the first missing seq,
/// the missing record was in a durable group: corruption. Records of the same group as the
/// missing seq (group start ≤ it) are the torn, never-acknowledged group itself.
struct TailEvidence: Sendable {
    /// A valid record found from a group that started after the first missing seq.
    var laterGroupRecord: (offset: Int, seq: UInt64)?
    /// One past the last non-zero 8-byte word seen (what must be zeroed to truncate).
    var dirtyEnd = 0

    /// Scans `region[from...]` at every 8-byte boundary for valid records with
    /// seq ≥ `missingSeq`; memory speed (a word load per step, a CRC only for plausible
    /// headers), reads nothing outside `region`.
    static func scan(_ region: UnsafeRawBufferPointer, from start: Int, missingSeq: UInt64) -> TailEvidence {
        var evidence = TailEvidence(laterGroupRecord: nil, dirtyEnd: start)
        guard let base = region.baseAddress else { return evidence }
        var offset = (start + RecordHeader.alignment - 1) & ~(RecordHeader.alignment - 1)
        let end = region.count & ~(RecordHeader.alignment - 1)
        while offset < end {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            if word != 0 {
                evidence.dirtyEnd = offset + 8
                // Cheap filter before any CRC: a plausible seq at header offset 8.
                if region.count - offset >= RecordHeader.byteCount {
                    let seq = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                    if seq >= missingSeq, seq - missingSeq < 1 << 32,
                       case .success(let header) = RecordHeader.validate(in: region, at: offset)
                    {
                        if header.groupStartSeq > missingSeq && evidence.laterGroupRecord == nil {
                            evidence.laterGroupRecord = (offset, header.seq)
                        }
                        // Step over the whole record: its payload cannot hold the next header.
                        let next = offset + header.storedBytes
                        evidence.dirtyEnd = max(evidence.dirtyEnd, min(next, region.count))
                        offset = next
                        continue
                    }
                }
            }
            offset += 8
        }
        evidence.dirtyEnd = min(evidence.dirtyEnd, region.count)
        return evidence
    }
}
