import Testing
@testable import TrailmarkTransport

/// The per-connection header caches (`RepeatedHeaderList`, `HeaderStringCache`) and, end to
/// end, that every call on one connection sees exactly its own header fields whether they
/// repeat the previous call's, differ in a value, or add or drop fields.
@Suite struct HeaderListTests {
    private func withBytes<R>(_ name: String, _ value: String, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> R) -> R {
        Array(name.utf8).withUnsafeBufferPointer { n in Array(value.utf8).withUnsafeBufferPointer { v in body(n, v) } }
    }

    @Test func repeatedListMatchesFieldByFieldAndSharesPrefixes() {
        var list = RepeatedHeaderList()
        #expect(!withBytes("user-agent", "a") { list.matches(index: 0, name: $0, value: $1) })
        list.remember(HeaderFields(fields: [("user-agent", "a"), ("te", "trailers"), ("x-id", "")]))
        #expect(withBytes("user-agent", "a") { list.matches(index: 0, name: $0, value: $1) })
        #expect(!withBytes("user-agent", "b") { list.matches(index: 0, name: $0, value: $1) })
        #expect(!withBytes("te", "trailers") { list.matches(index: 0, name: $0, value: $1) })
        #expect(withBytes("te", "trailers") { list.matches(index: 1, name: $0, value: $1) })
        #expect(withBytes("x-id", "") { list.matches(index: 2, name: $0, value: $1) })
        #expect(!withBytes("x-id", "") { list.matches(index: 3, name: $0, value: $1) })
        #expect(list.value(at: 1) == "trailers")
        #expect(list.list(count: 3).fields.map(\.name) == ["user-agent", "te", "x-id"])
        #expect(list.list(count: 1).fields.map(\.value) == ["a"])
        #expect(list.list(count: 0).isEmpty)
    }

    @Test func repeatedListForgetsOversizedLists() {
        var list = RepeatedHeaderList()
        list.remember(HeaderFields(fields: [("a", "1")]))
        list.remember(HeaderFields(fields: (0...RepeatedHeaderList.fieldsMax).map { ("h\($0)", "v") }))
        #expect(list.count == 0)
        list.remember(HeaderFields(fields: [("a", "1")]))
        list.remember(HeaderFields(fields: [("big", String(repeating: "x", count: RepeatedHeaderList.fieldBytesMax + 1))]))
        #expect(list.count == 0)
        #expect(!withBytes("a", "1") { list.matches(index: 0, name: $0, value: $1) })
    }

    @Test func stringCacheReturnsTheBytesItWasGiven() {
        var cache = HeaderStringCache()
        for round in 0..<3 {
            for field in 0..<(HeaderStringCache.capacity + 3) {
                let (name, value) = withBytes("x-\(field)", "v\(field)-\(round % 2)") { cache.strings(name: $0, value: $1) }
                #expect(name == "x-\(field)")
                #expect(value == "v\(field)-\(round % 2)")
            }
        }
        let long = String(repeating: "y", count: HeaderStringCache.valueBytesMax + 10)
        #expect(withBytes("x-long", long) { cache.strings(name: $0, value: $1) }.value == long)
        #expect(withBytes("x-long", "short") { cache.strings(name: $0, value: $1) }.value == "short")
    }

    @Test func eachCallSeesItsOwnHeadersOnOneConnection() async throws {
        let echo = try await EchoServer.start(plaintext: true)
        let client = try echo.client()
        func headers(_ metadata: HeaderFields) async throws -> [String] {
            let reply = try await client.unary("/trailmark.v1.Echo/Headers", [], metadata: metadata, timeout: .seconds(5))
            return String(decoding: reply, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.hasPrefix("x-") }
        }
        #expect(try await headers(["x-a": "1", "x-b": "2"]) == ["x-a=1", "x-b=2"])
        #expect(try await headers(["x-a": "1", "x-b": "2"]) == ["x-a=1", "x-b=2"])  // repeated list
        #expect(try await headers(["x-a": "1", "x-b": "3"]) == ["x-a=1", "x-b=3"])  // a value differs
        #expect(try await headers(["x-a": "1"]) == ["x-a=1"])                       // a field fewer
        #expect(try await headers(["x-a": "1"]) == ["x-a=1"])
        #expect(try await headers(["x-a": "1", "x-c": "4"]) == ["x-a=1", "x-c=4"])  // a field more
        #expect(try await headers([:]) == [])
        #expect(try await headers(["x-a": "1", "x-c": "4"]) == ["x-a=1", "x-c=4"])
        await client.close()
        await echo.stop()
    }
}
