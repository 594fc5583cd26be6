import Synchronization
import TrailmarkWire

/// One property key's values for the rows of a project, read through the engine's
/// `RecordFetcher` once and kept as a column of dense value ids (4 B per row), so property
/// filters and breakdowns never decode a log record per row.
///
/// Value id 0 means "missing or null" (every query treats the two alike: SEMANTICS §4
/// filters, breakdown keys, experiment groups); id `i > 0` is `values[i]`, each distinct
/// value interned once (`idByValue`). Mutated only under the `PropertyColumns` lock.
struct PropertyColumn: @unchecked Sendable {  // @unchecked: its columns are mutated only under the `PropertyColumns` lock.
    var ids = AppendOnlyColumn<UInt32>()
    var values = AppendOnlyColumn<PropertyValue>()
    var idByValue: [PropertyValue: UInt32] = [:]
    /// Bytes of string values stored out of line (UTF-8 beyond the 15 stored inline).
    var stringBytes = 0
    var lastUse: UInt64 = 0

    init() {
        values.append(.null)  // id 0: missing or null
    }

    mutating func append(_ value: PropertyValue?) {
        guard let value, value != .null else { return ids.append(0) }
        if let id = idByValue[value] { return ids.append(id) }
        let id = UInt32(values.count)
        precondition(id < UInt32.max, "too many distinct values of one property key")
        values.append(value)
        idByValue[value] = id
        if case .string(let text) = value, text.utf8.count > 15 { stringBytes += text.utf8.count }
        ids.append(id)
    }

    func publish() {
        ids.publish()
        values.publish()
    }

    /// Bytes held: ids, values, the value table and out-of-line string bytes (estimate).
    var allocatedBytes: Int {
        let entry = MemoryLayout<PropertyValue>.stride + MemoryLayout<UInt32>.stride + 1
        return ids.allocatedBytes + values.allocatedBytes + idByValue.capacity * entry + stringBytes
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
///
/// Concurrency: one mutex guards every column; it plays the project lock's role for the
/// columns' slots (`AppendOnlyColumn`): `views(_:covering:)` extends the columns under it
/// to the snapshot's rows, publishes, and returns immutable snapshots read without a lock.
/// Rows are append-only and keep their row number, so a column is never invalidated: a
/// later snapshot only extends it. Rows a forget deleted before they were read are stored
/// as id 0 (queries skip deleted rows anyway, and their values never enter memory).
final class PropertyColumns: Sendable {
    /// Each cached key costs 4 B per row, so a bound keeps the store's size bounded.
    static let maxKeys = 16

    private let columns = Mutex<(byKey: [String: PropertyColumn], clock: UInt64)>(([:], 0))

    /// Views of `keys` covering every row of `snap`. Rows no needed column covers yet are
    /// read through the snapshot's fetcher once each, in row order (so a record cache
    /// decodes each log record once), whatever the number of keys.
    func views(_ keys: [String], covering snap: StoreSnapshot) -> [PropertyColumnView] {
        guard !keys.isEmpty else { return [] }
        return columns.withLock { c in
            c.clock &+= 1
            var needed: [(key: String, column: PropertyColumn)] = []
            for key in Set(keys) {
                var column = c.byKey.removeValue(forKey: key) ?? PropertyColumn()
                column.lastUse = c.clock
                needed.append((key, column))
            }
            let start = needed.map(\.column.ids.count).min() ?? snap.rowCount
            if start < snap.rowCount {
                for row in start..<snap.rowCount {
                    let properties = snap.isDeleted(row) ? Properties() : snap.properties(row)
                    for i in needed.indices where needed[i].column.ids.count == row {
                        needed[i].column.append(properties[needed[i].key])
                    }
                }
            }
            for (key, column) in needed {
                column.publish()
                c.byKey[key] = column
            }
            while c.byKey.count > Self.maxKeys, let oldest = c.byKey.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                c.byKey[oldest] = nil
            }
            let byKey = Dictionary(uniqueKeysWithValues: needed.map { ($0.key, $0.column) })
            return keys.map { key in
                let column = byKey[key]!  // every key was placed in `needed`
                return PropertyColumnView(ids: column.ids.snapshot(), values: column.values.snapshot())
            }
        }
    }

    /// Keys cached now (for tests and the memory report).
    var keys: [String] { columns.withLock { Array($0.byKey.keys) } }

    /// Bytes of every cached column.
    var allocatedBytes: Int {
        columns.withLock { c in c.byKey.values.reduce(0) { $0 + $1.allocatedBytes } }
    }
}
