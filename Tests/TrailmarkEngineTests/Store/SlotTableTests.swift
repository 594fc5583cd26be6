import Testing
@testable import TrailmarkEngine

@Suite("SlotTable")
struct SlotTableTests {
    @Test("zeroed tables of every size hold count zeros and are ordinary arrays", arguments: [0, 1, 1000, 1 << 20, (1 << 20) + 3, 3 << 20])
    func zeroed(count: Int) {
        var table = SlotTable.zeroed(count: count)
        #expect(table.count == count)
        #expect(table.allSatisfy { $0 == 0 })
        if count > 0 {
            table[count - 1] = 7
            let copy = table
            table[count - 1] = 8  // value semantics: the copy keeps 7
            #expect(copy[count - 1] == 7 && table[count - 1] == 8)
        }
    }
}
