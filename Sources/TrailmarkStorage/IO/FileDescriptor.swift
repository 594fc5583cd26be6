import Glibc

/// An open file descriptor, closed when the object goes away.
///
/// Invariant: `raw` is a valid descriptor for the object's whole life; it is never closed
/// twice. Methods retry on EINTR and turn failures into `StorageError.io` naming `path`.
final class FileDescriptor: Sendable {
    let raw: Int32
    let path: String

    private init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    deinit { _ = Glibc.close(raw) }

    /// Opens `path` with `flags` (O_CLOEXEC is always added); `mode` applies to O_CREAT.
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(StorageError) -> FileDescriptor {
        let fd = try SystemCall.check("open", path: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return FileDescriptor(raw: fd, path: path)
    }

    /// The file's size in bytes.
    func size() throws(StorageError) -> Int {
        var st = stat()
        try SystemCall.check("fstat", path: path) { fstat(raw, &st) }
        return Int(st.st_size)
    }

    /// Reserves `bytes` on disk (posix_fallocate, which is Linux `fallocate(2)`), falling back
    /// to `ftruncate` where the file system cannot preallocate.
    func preallocate(bytes: Int) throws(StorageError) {
        let result = posix_fallocate(raw, 0, off_t(bytes))
        if result == 0 { return }
        guard result == EOPNOTSUPP || result == EINVAL else {
            throw StorageError(.io, "posix_fallocate \(path) (\(bytes) bytes): \(String(cString: strerror(result)))")
        }
        try SystemCall.check("ftruncate", path: path) { ftruncate(raw, off_t(bytes)) }
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(raw, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done)) // non-empty: loop guard
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCall.error("pwrite", path: path)
            }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: Int) throws(StorageError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(StorageError) in try write(buffer, at: offset) }
        }
        try result.get()
    }

    /// Reads up to `count` bytes at `offset` (fewer only at end of file).
    func read(count: Int, at offset: Int) throws(StorageError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let result = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(StorageError) in try read(into: buffer, at: offset) }
        }
        bytes.removeLast(count - (try result.get()))
        return bytes
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many (short only at EOF).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(StorageError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(raw, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done)) // non-empty: loop guard
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCall.error("pread", path: path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Makes the file's data (and the metadata needed to read it back: size, extent state)
    /// durable. On Linux a MAP_SHARED mapping shares the page cache with the file, so pages
    /// dirtied through the mapping are written back by this call exactly as `msync(MS_SYNC)`
    /// would (Linux implements that msync as `vfs_fsync_range(..., datasync: 1)`).
    func syncData() throws(StorageError) {
        #if os(Linux)
        try SystemCall.check("fdatasync", path: path) { fdatasync(raw) }
        #else
        try SystemCall.check("fsync", path: path) { fsync(raw) }
        #endif
    }

    /// Makes data and all metadata durable (used for directories after create/rename/unlink).
    func syncAll() throws(StorageError) {
        try SystemCall.check("fsync", path: path) { fsync(raw) }
    }

    /// Releases the `flock` lock now. Needed before dropping the descriptor: a child process
    /// being spawned by another thread briefly holds a copy of every descriptor (until its
    /// exec closes the O_CLOEXEC ones), and would keep the lock alive past our close(2).
    func unlock() {
        _ = flock(raw, LOCK_UN)
    }

    /// Takes an exclusive advisory lock without waiting; false when someone else holds it.
    func tryLockExclusive() throws(StorageError) -> Bool {
        while true {
            if flock(raw, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw SystemCall.error("flock", path: path)
        }
    }
}
