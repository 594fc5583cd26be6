// The crash test's victim: appends batches to a log until it is killed with SIGKILL, and
// prints every acknowledged batch on stdout as soon as the log acknowledges it.
//
// Usage: TrailmarkStorageCrashHelper <directory> <round> [producers]
//
// Output lines (each written with one write(2), so a kill never leaves half a line buffered):
//   open <nextSeq>                            after recovery
//   ack <firstSeq> <count> <firstTag>         batch durable: seq firstSeq+i holds tag firstTag+i
//
// Record payload: the tag (8 bytes little-endian), then byte i = UInt8(truncating: tag &+ i)
// for i in 8..<length; length is 16...600. Tags are round << 40 | producer << 32 | counter,
// unique across rounds.
import Glibc
import TrailmarkStorage

func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

func record(tag: UInt64, length: Int) -> [UInt8] {
    var bytes = withUnsafeBytes(of: tag.littleEndian) { Array($0) }
    for i in 8..<length { bytes.append(UInt8(truncatingIfNeeded: tag &+ UInt64(i))) }
    return bytes
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let round = UInt64(arguments[2]) else {
    say("usage: TrailmarkStorageCrashHelper <directory> <round> [producers]")
    exit(2)
}
let producers = arguments.count > 3 ? UInt64(arguments[3]) ?? 4 : 4

var configuration = LogConfiguration()
configuration.segmentBytes = 256 << 10 // small segments: kills land inside rolls too
configuration.ringCapacity = 64
configuration.indexIntervalBytes = 4096
configuration.logger.logLevel = .warning
let log: SegmentLog
do {
    log = try SegmentLog.open(directory: arguments[1], configuration: configuration)
} catch {
    say("error \(error)")
    exit(1)
}
say("open \(log.recoveryReport.nextSeq)")

await withTaskGroup(of: Void.self) { group in
    for producer in 0..<producers {
        group.addTask {
            var generator = SystemRandomNumberGenerator()
            var counter: UInt64 = 0
            while true {
                let count = Int.random(in: 1...8, using: &generator)
                let firstTag = round << 40 | producer << 32 | counter
                let batch = (0..<count).map { i in
                    AppendRecord(kind: .eventBatch, payload: record(tag: firstTag + UInt64(i), length: Int.random(in: 16...600, using: &generator)))
                }
                counter += UInt64(count)
                do {
                    let seqs = try await log.append(batch)
                    say("ack \(seqs.lowerBound) \(seqs.count) \(firstTag)")
                } catch {
                    say("error \(error)")
                    exit(1)
                }
            }
        }
    }
}
