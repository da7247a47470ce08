import Foundation
import SafeIO

/// A JSON value whose objects keep their keys in insertion order, for writing Keras's configuration files in the
/// order Keras writes them (readers do not care; people reading the files do). Reading goes through
/// `JSONSerialization` and `JSONReader`.
///
/// Thread-safety: a value.
indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Compact JSON text (`", "` and `": "` separators, as Python's `json.dumps`). Non-finite numbers become `null`.
    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let d): out += d.isFinite ? "\(d)" : "null"
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += ", " }
                v.write(into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += ", " }
                JSONValue.quote(k, into: &out)
                out += ": "
                v.write(into: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ s: String, into out: inout String) { TextCheck.appendJSONQuoted(s, to: &out) }
}

/// Typed access to parsed JSON (`JSONSerialization` objects) with errors that say where a value was wrong:
/// `config.layers[2].config.units: expected a whole number, got "64"`.
struct JSONReader {
    let value: Any?
    /// Where this value is, e.g. `config.layers[1].config`.
    let path: String

    /// Parses `bytes` (at most `maxBytes`; nesting deeper than `maxDepth` is refused before parsing).
    /// - Throws: `ModelFormatError` describing the problem.
    static func parse(_ bytes: [UInt8], what: String, maxDepth: Int = 64) throws -> JSONReader {
        var depth = 0, inString = false, escaped = false
        for b in bytes {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true }
                else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= maxDepth else { throw ModelFormatError("\(what) nests deeper than \(maxDepth) levels") }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        do {
            let v = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return JSONReader(value: v, path: "")
        } catch {
            throw ModelFormatError("\(what) is not valid JSON: \((error as NSError).localizedDescription)")
        }
    }

    private func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    var isNull: Bool { value == nil || value is NSNull }

    /// The member `key` of an object (a reader for `nil` when absent or when this is not an object).
    subscript(_ key: String) -> JSONReader {
        JSONReader(value: (value as? [String: Any])?[key], path: at(key))
    }

    var isObject: Bool { value is [String: Any] }
    var keys: [String] { (value as? [String: Any]).map { Array($0.keys) } ?? [] }

    func fail(_ expected: String) -> ModelFormatError {
        let got: String
        switch value {
        case nil: got = "nothing"
        case is NSNull: got = "null"
        case let s as String: got = "\"\(s.prefix(40))\""
        case let n as NSNumber: got = "\(n)"
        case is [Any]: got = "a list"
        case is [String: Any]: got = "an object"
        default: got = "\(type(of: value!))"
        }
        return ModelFormatError("\(path.isEmpty ? "the top level" : path): expected \(expected), got \(got)")
    }

    func string() throws -> String {
        guard let s = value as? String else { throw fail("a string") }
        return s
    }
    var stringOrNil: String? { value as? String }

    func number() throws -> Double {
        guard let n = value as? NSNumber, !isBoolean(n) else { throw fail("a number") }
        return n.doubleValue
    }
    var numberOrNil: Double? { try? number() }

    func integer() throws -> Int {
        let d = try number()
        guard d == d.rounded(), abs(d) < 1e15 else { throw fail("a whole number") }
        return Int(d)
    }

    func bool() throws -> Bool {
        if let n = value as? NSNumber, isBoolean(n) { return n.boolValue }
        throw fail("true or false")
    }
    var boolOrNil: Bool? { try? bool() }

    func array() throws -> [JSONReader] {
        guard let a = value as? [Any] else { throw fail("a list") }
        return a.enumerated().map { JSONReader(value: $1, path: "\(path)[\($0)]") }
    }

    /// JSON's `true`/`false` come out of `JSONSerialization` as boolean `NSNumber`s (type code `c`); `1` and `0`
    /// do not.
    private func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
}
