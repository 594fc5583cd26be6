import Synchronization
import TrailmarkWire

/// One property key's values for every row of a project, read through the engine's
/// `RecordFetcher` once and kept as a column of dense value ids (4 B per row), so property
/// filters and breakdowns never decode a log record per row.
///
/// Value id 0 means "missing or null" (every query treats the two alike: SEMANTICS §4
/// filters, breakdown keys, experiment groups); id `i > 0` is `values[i]`, each distinct
/// value interned once (`idByValue`).
///
/// Concurrency: the column's own mutex plays the project lock's role for its slots
/// (`AppendOnlyColumn`): `view(covering:)` extends the column under it to the snapshot's
/// rows, publishes, and returns immutable snapshots that are then read without a lock.
/// Rows are append-only and keep their row number, so a column is never invalidated: a
/// later snapshot only extends it. Rows a forget deleted before they were read are stored
/// as id 0 (queries skip deleted rows anyway, and their values then never enter memory).
final class PropertyColumn: Sendable {
    private struct State: Sendable {
        var ids = AppendOnlyColumn<UInt32>()
        var values = AppendOnlyColumn<PropertyValue>()
        var idByValue: [PropertyValue: UInt32] = [:]
        /// Bytes of string values stored out of line (UTF-8 beyond the 15 stored inline).
        var stringBytes = 0
    }

    let key: String
    private let state = Mutex(State())

    init(key: String) {
        self.key = key
        state.withLock { s in
            s.values.append(.null)  // id 0: missing or null
            s.values.publish()
        }
    }

    /// The column extended to every row of `snap` (rows it did not cover yet are read
    /// through the snapshot's fetcher, in row order, so a record cache decodes each log
    /// record once), as a lock-free view.
    func view(covering snap: StoreSnapshot) -> PropertyColumnView {
        state.withLock { s in
            if s.ids.count < snap.rowCount {
                for row in s.ids.count..<snap.rowCount {
                    let value = snap.isDeleted(row) ? nil : snap.properties(row)[key]
                    s.ids.append(Self.intern(value, into: &s))
                }
                s.ids.publish()
                s.values.publish()
            }
            return PropertyColumnView(ids: s.ids.snapshot(), values: s.values.snapshot())
        }
    }

    /// Bytes held: ids, values, the value table and out-of-line string bytes (estimate).
    var allocatedBytes: Int {
        state.withLock { s in
            let entry = MemoryLayout<PropertyValue>.stride + MemoryLayout<UInt32>.stride + 1
            return s.ids.allocatedBytes + s.values.allocatedBytes + s.idByValue.capacity * entry + s.stringBytes
        }
    }

    private static func intern(_ value: PropertyValue?, into s: inout State) -> UInt32 {
        guard let value, value != .null else { return 0 }
        if let id = s.idByValue[value] { return id }
        let id = UInt32(s.values.count)
        precondition(id < UInt32.max, "too many distinct values of one property key")
        s.values.append(value)
        s.idByValue[value] = id
        if case .string(let text) = value, text.utf8.count > 15 { s.stringBytes += text.utf8.count }
        return id
    }
}

/// An immutable view of a `PropertyColumn` covering a snapshot's rows.
struct PropertyColumnView: Sendable {
    let ids: ColumnSnapshot<UInt32>
    let values: ColumnSnapshot<PropertyValue>

    /// The value of `row`: `.null` when missing or null.
    @inline(__always)
    func value(_ row: Int) -> PropertyValue { values[Int(ids[row])] }
}

/// A project's property columns: at most `maxKeys` keys, the least recently used one
/// dropped when another is needed (a query holding its view keeps reading it safely).
final class PropertyColumns: Sendable {
    /// Each cached key costs 4 B per row, so a bound keeps the store's size bounded.
    static let maxKeys = 16

    private struct Entry {
        let column: PropertyColumn
        var lastUse: UInt64
    }

    private let columns = Mutex<(entries: [String: Entry], clock: UInt64)>(([:], 0))

    /// The column of `key`, created (empty) on first use.
    func column(_ key: String) -> PropertyColumn {
        columns.withLock { c in
            c.clock &+= 1
            if var entry = c.entries[key] {
                entry.lastUse = c.clock
                c.entries[key] = entry
                return entry.column
            }
            if c.entries.count >= Self.maxKeys, let oldest = c.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                c.entries[oldest] = nil
            }
            let column = PropertyColumn(key: key)
            c.entries[key] = Entry(column: column, lastUse: c.clock)
            return column
        }
    }

    /// Keys cached now (for tests and the memory report).
    var keys: [String] { columns.withLock { Array($0.entries.keys) } }

    /// Bytes of every cached column.
    var allocatedBytes: Int {
        let all = columns.withLock { $0.entries.values.map(\.column) }
        return all.reduce(0) { $0 + $1.allocatedBytes }
    }
}
