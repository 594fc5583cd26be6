import Glibc
import Testing
@testable import TrailmarkStorage

/// Kills a real appending process with SIGKILL at random moments and checks the promise:
/// every acknowledged record is present exactly once, intact and in order, and the log
/// accepts new appends. Rounds: `TRAILMARK_CRASH_ROUNDS` (default 20; `make crash` uses 500).
@Suite(.serialized) struct CrashTests {
    static var rounds: Int {
        getenv("TRAILMARK_CRASH_ROUNDS").flatMap { Int(String(cString: $0)) } ?? 20
    }

    /// The tag of a payload written by the helper, if the payload has the helper's shape.
    private func tag(of payload: [UInt8]) -> UInt64? {
        guard payload.count >= 16 else { return nil }
        let tag = payload.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        for i in 8..<payload.count where payload[i] != UInt8(truncatingIfNeeded: tag &+ UInt64(i)) { return nil }
        return tag
    }

    /// Damages a random byte range of the log's last write group when that group lies in the
    /// last segment and holds no acknowledged seq (everything below `acknowledgedBelow`).
    private func damageUnacknowledgedTail(_ dir: TemporaryDirectory, acknowledgedBelow: UInt64, rng: inout SplitMix) {
        guard let name = dir.segmentNames().last else { return }
        let bytes = dir.read(name)
        let layout = recordLayout(bytes)
        guard let last = layout.last, last.header.groupStartSeq >= acknowledgedBelow,
              let first = layout.firstIndex(where: { $0.header.seq == last.header.groupStartSeq })
        else { return }
        let victim = layout[first + Int(rng.next() % UInt64(layout.count - first))]
        let offset = victim.offset + Int(rng.next() % UInt64(RecordHeader.byteCount + Int(victim.header.payloadBytes)))
        if rng.next() % 2 == 0 {
            dir.patch(name, at: offset, with: [bytes[offset] ^ 0x40])
        } else {
            dir.patch(name, at: offset, with: [UInt8](repeating: 0, count: last.offset + last.header.storedBytes - offset))
        }
    }

    @Test func acknowledgedRecordsSurviveSIGKILL() async throws {
        let helper = ChildProcess.sibling("TrailmarkStorageCrashHelper")
        try #require(access(helper, X_OK) == 0, "build the helper first (swift build): \(helper)")
        let dir = TemporaryDirectory("crash")
        defer { dir.remove() }
        var rng = SplitMix(seed: UInt64(getpid()))
        var acknowledged: [UInt64: UInt64] = [:] // seq → tag, over every round
        var ownTag: UInt64 = 0xFFFF_0000_0000_0000
        var tornRecoveries = 0

        for round in 0..<Self.rounds {
            let child = try ChildProcess(helper, [dir.path, String(round), "4"])
            let acksBeforeKill = Int(rng.next() % 40)
            var acks = 0
            var opened = false
            var lines: [String] = []
            while let line = child.readLine() {
                lines.append(line)
                if line.hasPrefix("open ") { opened = true }
                if line.hasPrefix("ack ") { acks += 1 }
                if opened && acks >= acksBeforeKill { break }
            }
            // A random moment after the chosen acknowledgement: 0 to 3 ms later.
            usleep(UInt32(rng.next() % 3000))
            child.kill(SIGKILL)
            while let line = child.readLine() { lines.append(line) } // acks printed before death
            child.waitForExit()

            #expect(opened, "round \(round): helper did not open the log: \(lines.prefix(3))")
            for line in lines where line.hasPrefix("ack ") {
                let fields = line.split(separator: " ").compactMap { UInt64($0) }
                try #require(fields.count == 3, "malformed line \(line)")
                for i in 0..<fields[1] {
                    let previous = acknowledged.updateValue(fields[2] + i, forKey: fields[0] + i)
                    #expect(previous == nil, "round \(round): seq \(fields[0] + i) acknowledged twice")
                }
            }
            #expect(!lines.contains { $0.hasPrefix("error") }, "round \(round): \(lines.filter { $0.hasPrefix("error") })")

            // Every other round, also lose part of the last write group if it was never
            // acknowledged, as a power cut would (unsynced pages): a flipped byte, or zeros
            // from a random offset on.
            if rng.next() % 2 == 0 { damageUnacknowledgedTail(dir, acknowledgedBelow: (acknowledged.keys.max() ?? 0) + 1, rng: &rng) }

            // Recover in this process and check every acknowledged record.
            let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration(segmentBytes: 256 << 10))
            let report = log.recoveryReport
            if report.tornBytesTruncated > 0 || !report.tornSegmentsRemoved.isEmpty { tornRecoveries += 1 }
            var tags: [UInt64: UInt64] = [:]
            var expectedSeq: UInt64 = 0
            var problems = 0
            try log.read(from: 0) { seq, _, span in
                if seq != expectedSeq { problems += 1 }
                expectedSeq = seq + 1
                let bytes = span.withUnsafeBytes { Array($0) }
                guard let tag = tag(of: bytes) else { problems += 1; return }
                if tags.updateValue(seq, forKey: tag) != nil { problems += 1 } // stored twice
                if let acked = acknowledged[seq], acked != tag { problems += 1 }
            }
            #expect(problems == 0, "round \(round): \(problems) records out of order, damaged or duplicated")
            let missing = acknowledged.keys.filter { $0 >= expectedSeq }
            #expect(missing.isEmpty, "round \(round): acknowledged seqs lost: \(missing.sorted().prefix(5))")
            // The recovered log accepts new appends.
            var own = withUnsafeBytes(of: ownTag.littleEndian) { Array($0) }
            for i in 8..<16 { own.append(UInt8(truncatingIfNeeded: ownTag &+ UInt64(i))) }
            let seq = try await log.append(own, kind: .eventBatch)
            #expect(seq == expectedSeq)
            acknowledged[seq] = ownTag
            ownTag += 1
            await log.close()
            if problems > 0 || !missing.isEmpty { break }
        }
        #expect(acknowledged.count > Self.rounds, "the helper acknowledged appends")
        print("crash test: \(Self.rounds) SIGKILL rounds, \(acknowledged.count) acknowledged records checked, "
            + "\(tornRecoveries) recoveries truncated a torn tail")
    }
}
