import Testing
import TokenMeterCore

@Suite struct JSONValueTests {
    @Test func parsesNestedValues() throws {
        let json = try JSONValue.parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(json["a"]?[0]?.intValue == 1)
        #expect(json["a"]?[1]?.doubleValue == -2500)
        #expect(json["a"]?[2]?.boolValue == true)
        #expect(json["a"]?[4]?.isNull == true)
        #expect(json["b"]?["c"]?.stringValue == "d")
        #expect(json["e"]?.stringValue == "")
        #expect(json["missing"] == nil)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let json = try JSONValue.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#)
        #expect(json.stringValue == "a\"b\\c/d\n\té😀")
        let lone = try JSONValue.parse(#""\ud83d x""#)
        #expect(lone.stringValue == "\u{FFFD} x")
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":1,}", "\"\u{01}\"", "01x", "[\"\\q\"]"])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsExcessiveNesting() {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func serializationRoundTrips() throws {
        let text = #"{"model":"m","prompt":"line\nquote\" tab\t ctl\u0001","n":3,"x":0.5,"ok":true,"none":null,"list":[1,"two"]}"#
        let value = try JSONValue.parse(text)
        #expect(try JSONValue.parse(value.serialized) == value)
        #expect(value.serialized.contains("\\u0001"))
    }

    @Test func mergingOverridesAndAppends() throws {
        let base = try JSONValue.parse(#"{"a":1,"b":2}"#)
        let merged = base.merging(try JSONValue.parse(#"{"b":3,"c":4}"#))
        #expect(merged == (try JSONValue.parse(#"{"a":1,"b":3,"c":4}"#)))
    }
}
