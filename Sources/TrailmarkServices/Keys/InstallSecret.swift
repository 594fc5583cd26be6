import Foundation

/// A random secret made once per data directory and kept in a file of its own (mode
/// 0600): the API-key `pepper` and the `event_id` fingerprint key (`event-id.key`).
///
/// Created with the system's random generator, written atomically (`writeAtomically`), and
/// read back unchanged at every start. A file of the wrong size is an error naming it:
/// silently replacing a secret would invalidate every API key, or change which
/// `event_id`s count as retries.
enum InstallSecret {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The secret in `url`, creating it with `byteCount` random bytes if the file is absent;
    /// `created` says which. Creation is exclusive (the file appears whole, by `link`, only
    /// if it does not exist yet): when a server and `trailmark keys` start on a new data
    /// directory together, one creates the secret and the other reads that one.
    static func loadOrCreate(_ url: URL, byteCount: Int) throws(Failure) -> (bytes: [UInt8], created: Bool) {
        if let existing = try read(url, byteCount: byteCount) { return (existing, false) }
        var rng = SystemRandomNumberGenerator()
        let fresh = (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let temp = try writeTemporary(Data(fresh), next: url)
        defer { unlink(temp.path) }
        if link(temp.path, url.path) == 0 {
            syncDirectory(of: url)
            return (fresh, true)
        }
        guard errno == EEXIST, let winner = try read(url, byteCount: byteCount) else {
            throw Failure(description: "cannot create \(url.path): errno \(errno)")
        }
        return (winner, false)
    }

    /// The secret in `url`, nil when there is no such file.
    private static func read(_ url: URL, byteCount: Int) throws(Failure) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = try? Data(contentsOf: url) else { throw Failure(description: "cannot read \(url.path)") }
        guard data.count == byteCount else {
            throw Failure(description: "\(url.path) holds \(data.count) bytes, expected \(byteCount): restore it from a backup of this data directory")
        }
        return Array(data)
    }

    /// Writes `data` (mode 0600) to a temporary file of its own, fsyncs it, renames it over
    /// `url`, fsyncs the directory.
    static func writeAtomically(_ data: Data, to url: URL) throws(Failure) {
        let temp = try writeTemporary(data, next: url)
        guard rename(temp.path, url.path) == 0 else {
            let code = errno
            unlink(temp.path)
            throw Failure(description: "cannot rename \(temp.path) to \(url.path): errno \(code)")
        }
        syncDirectory(of: url)
    }

    /// A new file (mode 0600, name unique to this process and call) beside `url` holding
    /// `data`, synced to disk.
    private static func writeTemporary(_ data: Data, next url: URL) throws(Failure) -> URL {
        let name = ".\(url.lastPathComponent).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let temp = url.deletingLastPathComponent().appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: temp.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw Failure(description: "cannot write \(temp.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temp)
            try handle.synchronize()
            try handle.close()
        } catch {
            unlink(temp.path)
            throw Failure(description: "cannot sync \(temp.path): \(error)")
        }
        return temp
    }

    private static func syncDirectory(of url: URL) {
        if let dir = try? FileHandle(forReadingFrom: url.deletingLastPathComponent()) {
            try? dir.synchronize()
            try? dir.close()
        }
    }
}
