import Foundation
import SafeIO

/// One hyperparameter value: a whole number, a number, a boolean or text (the kinds of Trainboard's options).
///
/// Encoded in JSON as the plain value (`32`, `0.01`, `true`, `"glorot_uniform"`), as scikit-learn's `params` hold them.
/// Thread-safety: a value; safe to send between threads.
public enum ParamValue: Codable, Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        self = .string(try c.decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        }
    }

    /// The value as it is written on the command line and in tables: `32`, `0.01`, `true`, `glorot_uniform`.
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return CVNumber.format(v)
        case .bool(let v): return v ? "true" : "false"
        case .string(let v): return v
        }
    }

    /// The value as a JSON literal (`"text"` quoted and escaped).
    public var jsonLiteral: String {
        switch self {
        case .string(let s): return JSONText.quote(s)
        case .double(let v): return v.isFinite ? CVNumber.format(v) : "null"
        default: return description
        }
    }

    /// The value as a `Double` when it is a number (whole or not).
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        default: return nil
        }
    }
}

/// The kind of value an option takes, which decides how a value in a search space is read.
public enum ParamKind: Sendable, Equatable {
    /// A whole number (`epochs`, `batch-size`); `randint(a,b)` draws them.
    case wholeNumber
    /// A real number (`lr`, `dropout`); `uniform(a,b)` and `loguniform(a,b)` draw them.
    case number
    /// `true` / `false`.
    case boolean
    /// A non-negative whole number (`seed`).
    case seed
    /// Text (`init`, `hidden`, `schedule`).
    case text

    /// Reads `text` as a value of this kind, or nil when it is not one.
    public func parse(_ text: String) -> ParamValue? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch self {
        case .wholeNumber: return Int(t).map(ParamValue.int)
        case .seed: return UInt64(t).flatMap { Int(exactly: $0) }.map(ParamValue.int)
        case .number:
            guard let d = Double(t), d.isFinite else { return nil }
            return .double(d)
        case .boolean:
            switch t.lowercased() {
            case "true", "yes", "on", "1": return .bool(true)
            case "false", "no", "off", "0": return .bool(false)
            default: return nil
            }
        case .text: return t.isEmpty ? nil : .string(t)
        }
    }

    /// What a value of this kind looks like, for error messages.
    public var expectation: String {
        switch self {
        case .wholeNumber: return "a whole number"
        case .seed: return "a non-negative whole number"
        case .number: return "a finite number"
        case .boolean: return "true or false"
        case .text: return "non-empty text"
        }
    }
}

/// Number formatting shared by the CSV and JSON files: the shortest text that reads back to the same `Double`
/// (`0.85`, `1e-05`), `NaN` for not-a-number (pandas reads it as NaN).
public enum CVNumber {
    /// `v` as the shortest round-trip text; whole values keep a `.0` (`1.0`) so that pandas reads a float column.
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return "\(v)"
    }
}

/// Minimal JSON text helpers (the files are written by hand so that columns keep scikit-learn's order).
public enum JSONText {
    /// `s` as a JSON string literal.
    public static func quote(_ s: String) -> String { TextCheck.jsonQuoted(s) }

    /// A number as JSON: NaN and infinities become `null` (JSON has no NaN).
    public static func number(_ v: Double) -> String { v.isFinite ? CVNumber.format(v) : "null" }

    /// A parameter set as a JSON object with keys sorted as scikit-learn sorts them.
    public static func object(_ params: [String: ParamValue]) -> String {
        "{" + ParameterGrid.sortedKeys(params.keys).map { "\(quote($0)): \(params[$0]!.jsonLiteral)" }
            .joined(separator: ", ") + "}"
    }
}
