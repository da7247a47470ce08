import Foundation
import SafeIO
import Yams

/// Reads a YAML run configuration (`--config FILE.yaml`): a mapping whose keys are the command-line flag names
/// without `--` (e.g. `batch-size: 128`, `hidden: "64,64"`, `early-stopping: "patience=5"`).
///
/// Each value is converted by the key's `RunConfiguration.ValueKind` (not by a `Decoder`), so a wrong type reads
/// "FILE: epochs: expected a whole number, got 'two'". A null value (`epochs: ~`, `epochs:`) means "not set".
///
/// Thread-safety: stateless; safe from any thread.
public enum ConfigFile {
    /// Parses `path`. Throws `ConfigurationError` naming the file and the problem: unreadable file, invalid YAML or an
    /// unknown key (with the list of known keys) as key `config`; a value of the wrong type as its own key with
    /// `file` set.
    public static func load(_ path: String) throws -> RunConfiguration {
        let bytes: [UInt8]
        do { bytes = try SafeFile.read(path, limit: maximumFileBytes) } catch let e as FileError {
            throw ConfigurationError(key: "config", e.description)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let offset = TextCheck.firstInvalidUTF8Offset(bytes) ?? 0
            throw ConfigurationError(key: "config", "\(path): not UTF-8 text (invalid byte at offset \(offset))")
        }
        return try parse(text, path: path)
    }

    /// The largest config file read (64 KiB: a run configuration is a few dozen short lines).
    public static let maximumFileBytes = 64 << 10

    /// Parses YAML `text`; `path` names the file in messages.
    ///
    /// Anchors and aliases (`&name`, `*name`) are refused before the YAML is composed: a config file has no use for
    /// them, and a few hundred bytes of nested aliases (a "billion laughs" file) expand exponentially.
    public static func parse(_ text: String, path: String) throws -> RunConfiguration {
        if let (line, token) = firstAnchorOrAlias(in: text) {
            throw ConfigurationError(key: "config", "\(path):\(line): anchors and aliases are not supported in config files "
                                     + "(found '\(TextCheck.excerpt(token, limit: 20))'); write each value out")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ConfigurationError(key: "config", "\(path) is not valid YAML: \(yamlProblem(error))")
        }
        guard let root, !isNull(root) else { return RunConfiguration() }
        guard let map = root.mapping else {
            throw ConfigurationError(key: "config", "\(path): expected a mapping of flag names to values at the top level")
        }
        var config = RunConfiguration()
        for (keyNode, valueNode) in map {
            guard let key = keyNode.scalar?.string else {
                let line = keyNode.mark.map { ":\($0.line)" } ?? ""
                throw ConfigurationError(key: "config", "\(path)\(line): a key must be a flag name, got \(describe(keyNode))")
            }
            guard let field = RunConfiguration.field(key) else {
                throw ConfigurationError(key: "config", "\(path): unknown key '\(TextCheck.excerpt(key))'; known keys: \(RunConfiguration.keyNames.joined(separator: ", "))")
            }
            let value = try convert(valueNode, key: key, kind: field.kind, acceptsList: field.acceptsList, path: path)
            _ = field.set(value, in: &config)
        }
        return config
    }

    static func isNull(_ node: Node) -> Bool {
        node.null != nil
    }

    /// The node's value as the Swift type of `kind` (nil for a YAML null), or a `ConfigurationError` saying what was
    /// expected and what was found. With `acceptsList`, a list of whole numbers is read as their comma-separated text.
    static func convert(_ node: Node, key: String, kind: RunConfiguration.ValueKind, acceptsList: Bool = false,
                        path: String) throws -> Any? {
        if isNull(node) { return nil }
        func mismatch() -> ConfigurationError {
            ConfigurationError(key: key, "expected \(kind.expectation), got \(describe(node))", file: path)
        }
        // `hidden: [64, 64]` and `hidden: 64` are accepted as well as "64,64".
        if acceptsList, let items = node.sequence {
            return try items.map { item -> String in
                guard let s = item.scalar, Int.construct(from: s) != nil else { throw mismatch() }
                return s.string
            }.joined(separator: ",")
        }
        guard let scalar = node.scalar else { throw mismatch() }
        let value: Any?
        switch kind {
        case .wholeNumber: value = Int.construct(from: scalar)
        case .number: value = Double.construct(from: scalar)
        case .boolean: value = Bool.construct(from: scalar)
        case .seed: value = UInt64.construct(from: scalar)
        case .text: value = scalar.string
        }
        guard let value else { throw mismatch() }
        return value
    }

    /// A node in a few words for messages: a scalar as a short quoted excerpt, otherwise its kind.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "'\(TextCheck.excerpt(s.string))'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }

    /// Yams's error in one short line: its problem and position, without echoing the file's text.
    static func yamlProblem(_ error: Error) -> String {
        let text = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
        return TextCheck.excerpt(text, limit: 160)
    }

    /// The 1-based line and text of the first anchor (`&name`) or alias (`*name`) outside quotes and comments, or nil.
    ///
    /// A YAML anchor or alias indicator starts a token: it follows the start of a line, white space, or a flow
    /// indicator (`[`, `{`, `,`) or `:`. Inside a plain scalar (`a*b`, `x&y`) the characters are text and pass.
    static func firstAnchorOrAlias(in text: String) -> (line: Int, token: String)? {
        var line = 1
        var quote: Character? = nil
        var inComment = false
        var previous: Character = "\n"
        var iterator = text.makeIterator()
        var pending: Character? = iterator.next()
        while let c = pending {
            pending = iterator.next()
            defer { previous = c; if c == "\n" { line += 1 } }
            if c == "\n" { inComment = false; continue }
            if inComment { continue }
            if let q = quote {
                if q == "\"" && c == "\\" { pending = iterator.next(); continue }  // skip the escaped character
                if c == q { quote = nil }
                continue
            }
            let startsToken = previous == "\n" || previous == " " || previous == "\t" || "[{,:".contains(previous)
            switch c {
            case "#" where previous == "\n" || previous == " " || previous == "\t": inComment = true
            case "\"", "'": if startsToken { quote = c }
            case "&", "*":
                if startsToken, let n = pending, !(n == " " || n == "\t" || n == "\n") {
                    var token = String(c)
                    var rest = iterator
                    var next: Character? = n
                    while let ch = next, !(ch == " " || ch == "\n" || ch == "\t" || ",]}".contains(ch)), token.count < 30 {
                        token.append(ch)
                        next = rest.next()
                    }
                    return (line, token)
                }
            default: break
            }
        }
        return nil
    }
}
