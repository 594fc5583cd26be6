import Testing
@testable import TrailmarkServices

@Suite struct JSONParserTests {
    func parse(_ s: String) throws(JSONParser.SyntaxError) -> JSONValue { try JSONParser.parse(Array(s.utf8)) }

    @Test func keepsIntegersAndDoublesApart() throws {
        let v = try parse(#"{"a": 1, "b": 1.0, "c": -0, "d": 1e3, "e": 9223372036854775807, "f": 9223372036854775808}"#)
        #expect(v["a"] == .int(1))
        #expect(v["b"] == .double(1.0))
        #expect(v["c"] == .int(0))
        #expect(v["d"] == .double(1000))
        #expect(v["e"] == .int(Int64.max))
        #expect(v["f"] == .double(9223372036854775808.0))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let v = try parse(#"["a\"b\\c\/d\n\t", "\u00e9\ud83d\ude00", "日本"]"#)
        #expect(v == .array([.string("a\"b\\c/d\n\t"), .string("é😀"), .string("日本")]))
    }

    @Test func keepsMemberOrderAndNull() throws {
        let v = try parse(#"{"z": null, "a": true, "m": [false, {}]}"#)
        guard case .object(let members) = v else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["z", "a", "m"])
        #expect(members[0].value == .null)
        #expect(v["m"] == .array([.bool(false), .object([])]))
    }

    @Test(arguments: [
        "", "{", "}", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "tru", "nul", "\"abc", "\"\\x\"",
        "\"\\u12\"", "\"\\ud800\"", "\"\\udc00x\"", "{\"a\" 1}", "{1:2}", "[1 2]", "1 2", "\"a\u{01}b\"", "NaN", "Infinity",
        "1e999",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try parse(text) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(bytes) }
    }

    @Test func boundsNesting() throws {
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONParser.SyntaxError.self) { try parse(deep) }
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        _ = try parse(ok)
    }

    @Test func reportsOffset() {
        do {
            _ = try parse("[1, 2, x]")
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 7)
        }
    }

    @Test func writerRoundTrips() throws {
        let v: JSONValue = ["s": "a\"\n\u{01}é", "i": -5, "d": 2.5, "whole": 3.0, "b": true, "n": nil, "a": [1, "x"]]
        let text = JSONWriter.string(v)
        #expect(text.contains(#""whole":3.0"#))
        #expect(try parse(text) == v)
    }
}
