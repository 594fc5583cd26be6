import Testing
@testable import TrailmarkTransport

/// `StreamTable` against a plain dictionary: slot collisions (a stream still open 128 ids
/// back), removal from slot and overflow, and ids that were never inserted.
@Suite struct StreamTableTests {
    @Test func matchesADictionaryUnderCollisions() {
        var table = StreamTable()
        var reference: [Int32: ServerStream] = [:]
        #expect(table[1] == nil && table.isEmpty)
        #expect(table.removeValue(forKey: 1) == nil)
        // A long-lived stream 1, then 600 more ids: many share slots with open streams.
        var next: Int32 = 1
        var open: [Int32] = []
        for step in 0..<600 {
            let stream = ServerStream(id: next)
            table.insert(stream)
            reference[next] = stream
            open.append(next)
            next += 2
            // Close every stream but 1 and every seventh, oldest first, once 40 are open.
            if open.count > 40, let victim = open.first(where: { $0 != 1 && $0 % 7 != 0 }) {
                open.removeAll { $0 == victim }
                #expect(table.removeValue(forKey: victim) === reference.removeValue(forKey: victim))
            }
            if step % 50 == 0 {
                for id in stride(from: Int32(1), to: next + 10, by: 2) { #expect(table[id] === reference[id]) }
            }
        }
        #expect(table.count == reference.count)
        #expect(Set(table.values.map(\.id)) == Set(reference.keys))
        #expect(table[next] == nil && table[2] == nil)
        for id in reference.keys { #expect(table.removeValue(forKey: id)?.id == id) }
        #expect(table.isEmpty && table.values.isEmpty)
        table.insert(ServerStream(id: 9999))
        table.removeAll()
        #expect(table.isEmpty && table[9999] == nil)
    }
}
