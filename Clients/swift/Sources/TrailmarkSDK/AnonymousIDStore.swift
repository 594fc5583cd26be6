import Foundation
import Synchronization

/// Where the SDK keeps the device's anonymous id between launches. `load` returns nil
/// when none was saved yet; the SDK then makes one (a random UUID) and saves it.
public protocol AnonymousIDStore: Sendable {
    func load() -> String?
    func save(_ id: String)
}

/// Keeps the id for the life of the process only.
public final class InMemoryAnonymousIDStore: AnonymousIDStore {
    private let value = Mutex<String?>(nil)

    public init(_ initial: String? = nil) { value.withLock { $0 = initial } }

    public func load() -> String? { value.withLock { $0 } }
    public func save(_ id: String) { value.withLock { $0 = id } }
}

/// Keeps the id in a small text file (created with its directory on first save, replaced
/// atomically), so it survives restarts. Unreadable or empty files count as "no id".
public final class FileAnonymousIDStore: AnonymousIDStore {
    public let path: String

    public init(path: String) { self.path = path }

    public func load() -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty || text.utf8.count > 200 ? nil : text
    }

    public func save(_ id: String) {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data((id + "\n").utf8).write(to: url, options: .atomic)
    }
}
