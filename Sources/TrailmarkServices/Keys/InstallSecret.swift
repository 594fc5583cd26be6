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

    /// The secret in `url`, creating it with `byteCount` random bytes if the file is absent.
    static func loadOrCreate(_ url: URL, byteCount: Int) throws(Failure) -> [UInt8] {
        if FileManager.default.fileExists(atPath: url.path) {
            guard let data = try? Data(contentsOf: url) else { throw Failure(description: "cannot read \(url.path)") }
            guard data.count == byteCount else {
                throw Failure(description: "\(url.path) holds \(data.count) bytes, expected \(byteCount): restore it from a backup of this data directory")
            }
            return Array(data)
        }
        var rng = SystemRandomNumberGenerator()
        let fresh = (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try writeAtomically(Data(fresh), to: url)
        return fresh
    }

    /// Writes `data` (mode 0600) to a temporary file, fsyncs it, renames it over `url`,
    /// fsyncs the directory.
    static func writeAtomically(_ data: Data, to url: URL) throws(Failure) {
        let temp = url.appendingPathExtension("tmp")
        guard FileManager.default.createFile(atPath: temp.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw Failure(description: "cannot write \(temp.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temp)
            try handle.synchronize()
            try handle.close()
        } catch {
            throw Failure(description: "cannot sync \(temp.path): \(error)")
        }
        guard rename(temp.path, url.path) == 0 else {
            throw Failure(description: "cannot rename \(temp.path) to \(url.path): errno \(errno)")
        }
        if let dir = try? FileHandle(forReadingFrom: url.deletingLastPathComponent()) {
            try? dir.synchronize()
            try? dir.close()
        }
    }
}
