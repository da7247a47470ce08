import Foundation

/// A checkpoint path with Python `str.format` placeholders, as Keras's `ModelCheckpoint` formats its `filepath`
/// with `filepath.format(epoch=epoch + 1, **logs)`: `{epoch}` is the 1-based epoch number, any other name is a log
/// key (`{val_loss}`, `{accuracy}`).
///
/// Supported replacement fields: `{name}` and `{name:spec}` with spec `[+][0][width][.precision][type]`, type one
/// of `d` (integer), `f`/`F`, `e`/`E`, `g`/`G` (C/Python float formats, default precision 6) or none (the epoch as
/// an integer, a log value as Python's `str(float)`: shortest round-trip form, e.g. `0.25`, `1e-05`). `{{` and
/// `}}` are literal braces. NaN and infinities format as `nan`, `inf`, `-inf` (Python). `d` on a log value requires
/// an integral value (Python rejects `d` for every float; this is more lenient).
///
/// Limits: a width is at most `maximumWidth` (64) and a precision at most `maximumPrecision` (30), so a spec such as
/// `{epoch:999999999999d}` is refused when the template is parsed instead of allocating a terabyte of padding.
///
/// A template ending in `/` names a directory: `defaultFileName` (`model.keras`) is written inside it, so
/// `dir/{epoch:02d}/` saves `dir/01/model.keras`.
///
/// Examples: `ckpt/weights-{epoch:02d}-{val_loss:.2f}.json` at epoch index 2 with `val_loss` 0.4567 ->
/// `ckpt/weights-03-0.46.json`.
///
/// Thread-safety: a value; safe to share.
public struct FilepathTemplate: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case field(name: String, spec: Spec)
    }

    struct Spec: Sendable, Equatable {
        var plus = false
        var zero = false
        var width: Int?
        var precision: Int?
        var type: Character?
    }

    /// The largest field width accepted.
    public static let maximumWidth = 64
    /// The largest precision accepted.
    public static let maximumPrecision = 30
    /// The file name used inside a template that ends in `/`.
    public static let defaultFileName = "model.keras"

    /// The template as given.
    public let template: String
    let pieces: [Piece]

    /// The names used in the template (`epoch` and log keys), in order of appearance.
    public var fieldNames: [String] {
        pieces.compactMap { if case .field(let n, _) = $0 { return n } else { return nil } }
    }

    /// Parses `template`. Throws `ModelError.invalidArgument` naming the problem (unbalanced brace, empty field
    /// name, unsupported format spec).
    public init(_ template: String) throws {
        self.template = template
        var pieces: [Piece] = []
        var literal = ""
        var i = template.startIndex
        func bad(_ why: String) -> ModelError { .invalidArgument("checkpoint path \"\(template)\": \(why)") }
        while i < template.endIndex {
            let c = template[i]
            let next = template.index(after: i)
            if c == "}" {
                guard next < template.endIndex, template[next] == "}" else { throw bad("single '}' (write '}}')") }
                literal.append("}")
                i = template.index(after: next)
                continue
            }
            guard c == "{" else { literal.append(c); i = next; continue }
            if next < template.endIndex, template[next] == "{" {
                literal.append("{")
                i = template.index(after: next)
                continue
            }
            guard let close = template[next...].firstIndex(of: "}") else { throw bad("'{' without '}'") }
            let body = template[next..<close]
            if body.contains("{") { throw bad("nested '{' in a field") }
            let parts = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard !name.isEmpty else { throw bad("empty field name in {\(body)} (positional fields are not supported)") }
            let spec = try FilepathTemplate.parseSpec(parts.count > 1 ? String(parts[1]) : "") { bad($0) }
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
            pieces.append(.field(name: name, spec: spec))
            i = template.index(after: close)
        }
        if template.hasSuffix("/") { literal += FilepathTemplate.defaultFileName }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    static func parseSpec(_ s: String, _ bad: (String) -> ModelError) throws -> Spec {
        var spec = Spec()
        var chars = Array(s)[...]
        if chars.first == "+" { spec.plus = true; chars = chars.dropFirst() }
        if chars.first == "0" { spec.zero = true; chars = chars.dropFirst() }
        var digits = ""
        while let c = chars.first, c.isASCII, c.isNumber { digits.append(c); chars = chars.dropFirst() }
        if !digits.isEmpty {
            guard digits.count <= 3, let w = Int(digits), w <= maximumWidth else {
                throw bad("format spec '\(s)': width \(digits.prefix(20)) is too large (at most \(maximumWidth))")
            }
            spec.width = w
        }
        if chars.first == "." {
            chars = chars.dropFirst()
            var p = ""
            while let c = chars.first, c.isASCII, c.isNumber { p.append(c); chars = chars.dropFirst() }
            guard !p.isEmpty else { throw bad("format spec '\(s)': '.' must be followed by a precision") }
            guard p.count <= 3, let v = Int(p), v <= maximumPrecision else {
                throw bad("format spec '\(s)': precision \(p.prefix(20)) is too large (at most \(maximumPrecision))")
            }
            spec.precision = v
        }
        if let c = chars.first {
            guard "dfFeEgG".contains(c) else { throw bad("format spec '\(s)': unsupported type '\(c)'") }
            spec.type = c
            chars = chars.dropFirst()
        }
        guard chars.isEmpty else { throw bad("format spec '\(s)' is not supported (use [+][0][width][.precision][type])") }
        if spec.type == "d" && spec.precision != nil { throw bad("format spec '\(s)': precision not allowed with 'd'") }
        return spec
    }

    /// The path for epoch index `epoch` (0-based; formatted as `epoch + 1`) and `logs`. Throws
    /// `ModelError.invalidArgument` naming a placeholder missing from the logs or a value its spec cannot format.
    public func format(epoch: Int, logs: Logs) throws -> String {
        var out = ""
        for p in pieces {
            switch p {
            case .literal(let s): out += s
            case .field(let name, let spec):
                if name == "epoch" {
                    out += try FilepathTemplate.format(int: epoch + 1, spec: spec, name: name)
                } else if let v = logs[name] {
                    out += try FilepathTemplate.format(double: v, spec: spec, name: name)
                } else {
                    throw ModelError.invalidArgument(
                        "Failed to format this callback filepath: \"\(template)\". Reason: no log value '\(name)' "
                        + "(available: epoch, \(logs.keys.sorted().joined(separator: ", ")))")
                }
            }
        }
        return out
    }

    static func pad(_ s: String, _ spec: Spec, zeroAllowed: Bool) -> String {
        guard let w = spec.width, s.count < w else { return s }
        let n = w - s.count
        if spec.zero && zeroAllowed {
            if let f = s.first, f == "-" || f == "+" { return String(f) + String(repeating: "0", count: n) + s.dropFirst() }
            return String(repeating: "0", count: n) + s
        }
        return String(repeating: " ", count: n) + s
    }

    static func format(int v: Int, spec: Spec, name: String) throws -> String {
        guard let t = spec.type, t != "d" else {
            let s = (spec.plus && v >= 0 ? "+" : "") + String(v)
            return pad(s, spec, zeroAllowed: true)
        }
        return try format(double: Double(v), spec: spec, name: name)
    }

    static func format(double v: Double, spec: Spec, name: String) throws -> String {
        if !v.isFinite {
            let s = v.isNaN ? "nan" : (v < 0 ? "-inf" : (spec.plus ? "+inf" : "inf"))
            return pad(s, spec, zeroAllowed: false)
        }
        switch spec.type {
        case nil where spec.precision == nil:
            let s = (spec.plus && v >= 0 ? "+" : "") + v.description
            return pad(s, spec, zeroAllowed: true)
        case "d":
            guard v.rounded() == v, abs(v) < 9.0e15 else {
                throw ModelError.invalidArgument("format code 'd' needs an integer, but '\(name)' is \(v)")
            }
            return try format(int: Int(v), spec: spec, name: name)
        default:
            let t = spec.type ?? "g"
            var f = "%"
            if spec.plus { f += "+" }
            if spec.zero { f += "0" }
            if let w = spec.width { f += String(w) }
            f += "." + String(spec.precision ?? 6) + String(t)
            return String(format: f, v)
        }
    }
}
