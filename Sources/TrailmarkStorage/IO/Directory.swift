import Glibc

/// The data directory: listing, creating, renaming and removing files, each followed by the
/// directory fsync that makes the name change durable.
struct Directory: Sendable {
    let path: String

    /// Creates the directory (and parents) if missing.
    static func create(_ path: String) throws(StorageError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw SystemCall.error("mkdir", path: prefix)
            }
        }
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// The names of the directory's entries (no `.` or `..`).
    func entries() throws(StorageError) -> [String] {
        guard let dir = opendir(path) else { throw SystemCall.error("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// fsync on the directory: makes created, renamed and removed names durable.
    func sync() throws(StorageError) {
        let fd = try FileDescriptor.open(path, flags: O_RDONLY | O_DIRECTORY)
        try fd.syncAll()
    }

    /// Atomically replaces `to` with `from` (both names in this directory), then syncs.
    func rename(_ from: String, to: String) throws(StorageError) {
        try SystemCall.check("rename", path: file(from)) { Glibc.rename(file(from), file(to)) }
        try sync()
    }

    /// Removes a file, then syncs. Missing files are not an error.
    func remove(_ name: String) throws(StorageError) {
        if unlink(file(name)) != 0 && errno != ENOENT { throw SystemCall.error("unlink", path: file(name)) }
        try sync()
    }
}
