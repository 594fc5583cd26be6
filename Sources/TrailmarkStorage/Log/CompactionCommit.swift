import Glibc

/// Puts several prepared segment rewrites in place as one atomic step.
///
/// A rewrite that spans segments (a forget erasing a user's records across the log) must
/// not be half applied after a crash: replay of a half-erased log could judge the
/// remaining records differently. The commit point is a manifest:
///
/// 1. every replacement is already durable as `<segment>.compact.tmp` (`SegmentCompactor`);
/// 2. the segment names are written (always, even for one segment, so a manifest left by
///    an I/O error can never be mistaken for a later rewrite's) to `compaction.commit.tmp`, synced, and renamed to
///    `compaction.commit` (directory synced) — **the commit point**;
/// 3. each temporary is renamed over its segment;
/// 4. the manifest is removed.
///
/// Recovery (`rollForward`) finishes step 3 when it finds a manifest and then removes it;
/// without a manifest any temporaries are from an uncommitted rewrite and are deleted, so
/// the originals stay. Either every listed segment is replaced, or none is.
struct CompactionCommit {
    static let manifest = "compaction.commit"
    static let manifestTemporary = "compaction.commit.tmp"

    let directory: Directory

    /// Commits `prepared` (see the type's comment). `willRename` is a test hook called
    /// before each rename with the number renamed so far; throwing from it simulates a
    /// crash after the commit point.
    func commit(_ prepared: [SegmentCompactor.Prepared], willRename: ((Int) throws -> Void)? = nil) throws {
        guard !prepared.isEmpty else { return }
        do {
            let text = prepared.map { $0.original.name + "\n" }.joined()
            let file = try FileDescriptor.open(directory.file(Self.manifestTemporary), flags: O_RDWR | O_CREAT | O_TRUNC)
            try file.write(Array(text.utf8), at: 0)
            try file.syncData()
            try directory.rename(Self.manifestTemporary, to: Self.manifest)
        } catch {
            // Before the commit point: nothing is replaced; drop the temporaries now.
            discard(prepared)
            throw error
        }
        for (i, rewrite) in prepared.enumerated() {
            try willRename?(i)
            try directory.rename(rewrite.temporary, to: rewrite.original.name)
        }
        try directory.remove(Self.manifest)
    }

    /// Removes the temporaries of rewrites that will not be committed (best effort:
    /// recovery deletes whatever is left).
    func discard(_ prepared: [SegmentCompactor.Prepared]) {
        for rewrite in prepared { try? directory.remove(rewrite.temporary) }
    }

    /// Recovery: completes a committed rewrite, then deletes uncommitted temporaries.
    /// Returns the segment names it replaced.
    func rollForward() throws(StorageError) -> [String] {
        var replaced: [String] = []
        let names = Set(try directory.entries())
        if names.contains(Self.manifest) {
            let file = try FileDescriptor.open(directory.file(Self.manifest), flags: O_RDONLY)
            let size = try file.size()
            let text = String(decoding: try file.read(count: size, at: 0), as: UTF8.self)
            for segment in text.split(separator: "\n").map(String.init) where !segment.isEmpty {
                let temporary = FileName.compactionTemporary(segment)
                // Names come from our own manifest; still, never follow a path out of the directory.
                guard !segment.contains("/"), names.contains(temporary) else { continue }
                try directory.rename(temporary, to: segment)
                replaced.append(segment)
            }
            try directory.remove(Self.manifest)
        }
        for name in try directory.entries() where name.hasSuffix(".compact.tmp") || name == Self.manifestTemporary {
            // An uncommitted rewrite: the original segment is still in place.
            try directory.remove(name)
        }
        return replaced
    }
}
