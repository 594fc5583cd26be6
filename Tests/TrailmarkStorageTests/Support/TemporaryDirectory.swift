import Glibc
@testable import TrailmarkStorage

/// A fresh directory under /tmp for one test, removed (with its files) by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "log") {
        var template = Array("/tmp/trailmark-storage-\(label)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buffer in
            // The array is never empty, so baseAddress is non-nil.
            guard let made = mkdtemp(buffer.baseAddress!) else { preconditionFailure("mkdtemp failed") }
            return String(cString: made)
        }
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// The names of the directory's files, sorted.
    func entries() -> [String] {
        ((try? Directory(path: path).entries()) ?? []).sorted()
    }

    func segmentNames() -> [String] { entries().filter { $0.hasSuffix(".seg") } }

    /// Removes the directory and the files in it (the log never makes subdirectories).
    func remove() {
        for name in entries() { unlink(file(name)) }
        rmdir(path)
    }

    /// Reads a whole file.
    func read(_ name: String) -> [UInt8] {
        let fd = open(file(name), O_RDONLY)
        precondition(fd >= 0, "open \(name)")
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        precondition(n == bytes.count, "short read of \(name)")
        return bytes
    }

    /// Overwrites bytes of a file at `offset`.
    func patch(_ name: String, at offset: Int, with bytes: [UInt8]) {
        let fd = open(file(name), O_WRONLY | O_CREAT, 0o644)
        precondition(fd >= 0, "open \(name)")
        defer { close(fd) }
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        precondition(n == bytes.count, "short write to \(name)")
    }
}

/// A small configuration for tests: 64 KiB segments so rolls happen quickly.
func smallConfiguration(segmentBytes: Int = 64 << 10, ringCapacity: Int = 64) -> LogConfiguration {
    var configuration = LogConfiguration()
    configuration.segmentBytes = segmentBytes
    configuration.ringCapacity = ringCapacity
    configuration.indexIntervalBytes = 4096
    configuration.logger.logLevel = .warning
    return configuration
}

/// A deterministic payload for record `tag`: its tag then bytes derived from it.
func payload(tag: UInt64, bytes: Int) -> [UInt8] {
    var out = withUnsafeBytes(of: tag.littleEndian) { Array($0) }
    var state = tag &* 0x9E37_79B9_7F4A_7C15 | 1
    while out.count < bytes {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out.append(UInt8(truncatingIfNeeded: state))
    }
    return Array(out.prefix(max(bytes, 8)))
}

/// Reads every committed record into (seq, kind, payload) triples.
func readAll(_ log: SegmentLog, from seq: UInt64 = 0) throws -> [(seq: UInt64, kind: RecordKind, payload: [UInt8])] {
    var records: [(seq: UInt64, kind: RecordKind, payload: [UInt8])] = []
    try log.read(from: seq) { seq, kind, span in
        span.withUnsafeBytes { records.append((seq, kind, Array($0))) }
    }
    return records
}
