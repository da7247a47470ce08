import Foundation
import SafeIO
import Yams

/// Where one parameter's values come from: a list (grid search, or drawn uniformly by a randomized search), or a
/// distribution (randomized search only).
///
/// Thread-safety: a value.
public enum Distribution: Equatable, Sendable, CustomStringConvertible {
    /// These values, in this order.
    case list([ParamValue])
    /// A real number uniform on [low, high) (the interval itself, not SciPy's `uniform(loc, scale)`).
    case uniform(Double, Double)
    /// A real number whose logarithm is uniform on [log low, log high) (SciPy's `loguniform(a, b)`), low > 0.
    case logUniform(Double, Double)
    /// A whole number uniform on low ..< high (SciPy's `randint(low, high)`: the high end excluded).
    case randInt(Int, Int)

    public var description: String {
        switch self {
        case .list(let v): return v.map(\.description).joined(separator: ",")
        case .uniform(let a, let b): return "uniform(\(CVNumber.format(a)),\(CVNumber.format(b)))"
        case .logUniform(let a, let b): return "loguniform(\(CVNumber.format(a)),\(CVNumber.format(b)))"
        case .randInt(let a, let b): return "randint(\(a),\(b))"
        }
    }

    /// Whether this is a list (scikit-learn samples without replacement when every parameter is one).
    public var isList: Bool { if case .list = self { return true } else { return false } }
}

/// A bad search space: the message names the part of the spec, the key or value and what was expected. The CLI exits
/// with status 2 on it.
public struct SearchSpaceError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A search space: one or more grids (scikit-learn's `param_grid` as a list of dicts), each mapping an option name
/// to its values or distribution.
///
/// Written on the command line as `init=lecun_uniform,glorot_uniform;batch-size=32,128` (`;` between parameters,
/// `,` between values; `[...]` groups a value that contains commas or semicolons, e.g. `hidden=[64,64],[128]`), or
/// as a YAML file: a mapping from option names to a list, a single value or a distribution string
/// (`lr: loguniform(1e-3, 1e-1)`), or a list of such mappings (several grids).
///
/// Thread-safety: a value.
public struct ParameterSpace: Equatable, Sendable {
    /// The grids; each maps an option name to its values.
    public var grids: [[String: Distribution]]

    /// The most values one list may hold, and the most candidates a grid may expand to (bounds before allocating).
    public static let maximumCandidates = 1_000_000

    public init(grids: [[String: Distribution]]) { self.grids = grids }

    /// Whether every parameter of every grid is a list (then a grid search is possible, and a randomized search
    /// samples without replacement).
    public var isAllLists: Bool { grids.allSatisfy { $0.values.allSatisfy(\.isList) } }

    /// Parses an inline spec (see the type's documentation). `kind` gives the kind of each allowed option name and
    /// nil for a name that cannot be searched. Throws `SearchSpaceError` naming the bad part.
    public static func parse(_ spec: String, kind: (String) -> ParamKind?) throws -> ParameterSpace {
        var grid: [String: Distribution] = [:]
        let parts = try splitTopLevel(spec, separator: ";").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !parts.isEmpty else { throw SearchSpaceError("--grid: empty; expected NAME=V1,V2;NAME=... (e.g. init=lecun_uniform,glorot_uniform;batch-size=32,128)") }
        for part in parts {
            guard let eq = part.firstIndex(of: "=") else {
                throw SearchSpaceError("--grid: '\(part)' has no '='; expected NAME=V1,V2,...")
            }
            let name = part[..<eq].trimmingCharacters(in: .whitespaces)
            let valuesText = String(part[part.index(after: eq)...])
            guard grid[name] == nil else { throw SearchSpaceError("--grid: '\(name)' is given twice") }
            grid[name] = try parseValues(valuesText, name: name, kind: kind, context: "--grid")
        }
        return ParameterSpace(grids: [grid])
    }

    /// Reads a YAML space file (at most 1 MiB). Throws `SearchSpaceError` naming the file and the bad entry, or for
    /// a file that cannot be read.
    public static func load(yamlFile path: String, kind: (String) -> ParamKind?) throws -> ParameterSpace {
        let bytes: [UInt8]
        do { bytes = try SafeFile.read(path, limit: 1 << 20) } catch { throw SearchSpaceError("--grid: \(error)") }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw SearchSpaceError("--grid: \(path): not UTF-8 text")
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw SearchSpaceError("--grid: \(path): not valid YAML: \(error)") }
        let maps: [Any]
        if let list = root as? [Any] { maps = list } else if let m = root { maps = [m] } else {
            throw SearchSpaceError("--grid: \(path): empty; expected a mapping of option names to lists of values")
        }
        var grids: [[String: Distribution]] = []
        for (gi, m) in maps.enumerated() {
            let context = maps.count > 1 ? "\(path): grid \(gi + 1)" : path
            guard let map = m as? [String: Any], !map.isEmpty else {
                throw SearchSpaceError("--grid: \(context): expected a mapping of option names to lists of values (e.g. init: [lecun_uniform, zero])")
            }
            var grid: [String: Distribution] = [:]
            for (name, value) in map {
                if let list = value as? [Any] {
                    guard let k = kind(name) else { throw unknownName(name, context: context) }
                    guard !list.isEmpty else { throw SearchSpaceError("--grid: \(context): \(name): an empty list") }
                    guard list.count <= maximumCandidates else { throw SearchSpaceError("--grid: \(context): \(name): more than \(maximumCandidates) values") }
                    grid[name] = .list(try list.map { try typed(scalarText($0), name: name, kind: k, context: context) })
                } else {
                    grid[name] = try parseValues(scalarText(value), name: name, kind: kind, context: context,
                                                 splitCommas: false)
                }
            }
            grids.append(grid)
        }
        return ParameterSpace(grids: grids)
    }

    static func scalarText(_ v: Any) -> String {
        if let b = v as? Bool { return b ? "true" : "false" }
        if let d = v as? Double { return "\(d)" }
        return "\(v)"
    }

    static func unknownName(_ name: String, context: String) -> SearchSpaceError {
        SearchSpaceError("\(context): '\(name)' is not an option that can be searched (see `trainboard search --help` for the list)")
    }

    /// Values of one parameter: a distribution `f(a,b)` or a comma-separated list.
    static func parseValues(_ text: String, name: String, kind: (String) -> ParamKind?, context: String,
                            splitCommas: Bool = true) throws -> Distribution {
        guard let k = kind(name) else { throw unknownName(name, context: context) }
        let t = text.trimmingCharacters(in: .whitespaces)
        for (fn, make) in [("uniform", 0), ("loguniform", 1), ("randint", 2)] where t.hasPrefix(fn + "(") {
            guard t.hasSuffix(")") else { throw SearchSpaceError("\(context): \(name): '\(t)' lacks its closing ')'") }
            let args = t.dropFirst(fn.count + 1).dropLast().split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard args.count == 2 else { throw SearchSpaceError("\(context): \(name): \(fn) takes two bounds, as \(fn)(a,b); got '\(t)'") }
            if make == 2 {
                guard k == .wholeNumber || k == .seed else {
                    throw SearchSpaceError("\(context): \(name): randint draws whole numbers but \(name) takes \(k.expectation); use uniform(a,b) or loguniform(a,b)")
                }
                guard let a = Int(args[0]), let b = Int(args[1]), a < b else {
                    throw SearchSpaceError("\(context): \(name): randint(a,b) needs whole numbers a < b (b excluded), got '\(t)'")
                }
                if k == .seed && a < 0 { throw SearchSpaceError("\(context): \(name): a seed is >= 0, got '\(t)'") }
                return .randInt(a, b)
            }
            guard k == .number else {
                throw SearchSpaceError("\(context): \(name): \(fn) draws real numbers but \(name) takes \(k.expectation)\(k == .wholeNumber ? "; use randint(a,b)" : "")")
            }
            guard let a = Double(args[0]), let b = Double(args[1]), a.isFinite, b.isFinite, a < b else {
                throw SearchSpaceError("\(context): \(name): \(fn)(a,b) needs finite numbers a < b, got '\(t)'")
            }
            if make == 1 {
                guard a > 0 else { throw SearchSpaceError("\(context): \(name): loguniform(a,b) needs 0 < a < b, got '\(t)'") }
                return .logUniform(a, b)
            }
            return .uniform(a, b)
        }
        let items = splitCommas ? try splitTopLevel(t, separator: ",") : [t]
        guard items.count <= maximumCandidates else { throw SearchSpaceError("\(context): \(name): more than \(maximumCandidates) values") }
        let values = try items.map { item -> ParamValue in
            var v = item.trimmingCharacters(in: .whitespaces)
            if v.hasPrefix("[") && v.hasSuffix("]") { v = String(v.dropFirst().dropLast()) }
            return try typed(v, name: name, kind: k, context: context)
        }
        var seen = Set<ParamValue>()
        for v in values where !seen.insert(v).inserted {
            throw SearchSpaceError("\(context): \(name): the value \(v) is listed twice")
        }
        return .list(values)
    }

    static func typed(_ text: String, name: String, kind: ParamKind, context: String) throws -> ParamValue {
        guard let v = kind.parse(text) else {
            let shown = text.isEmpty ? "an empty value" : "'\(text)'"
            throw SearchSpaceError("\(context): \(name): \(shown) is not \(kind.expectation)")
        }
        return v
    }

    /// Splits `text` at `separator` outside `[...]` groups. Throws for unbalanced brackets.
    static func splitTopLevel(_ text: String, separator: Character) throws -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for ch in text {
            if ch == "[" { depth += 1 } else if ch == "]" {
                depth -= 1
                if depth < 0 { throw SearchSpaceError("--grid: unbalanced ']' in '\(text)'") }
            }
            if ch == separator && depth == 0 { parts.append(current); current = "" } else { current.append(ch) }
        }
        guard depth == 0 else { throw SearchSpaceError("--grid: unbalanced '[' in '\(text)'") }
        parts.append(current)
        return parts
    }
}
