import Foundation
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
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError(key: "config", "cannot read \(path): \(FileProblem.reason(path, error))")
        }
        return try parse(text, path: path)
    }

    /// Parses YAML `text`; `path` names the file in messages.
    public static func parse(_ text: String, path: String) throws -> RunConfiguration {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ConfigurationError(key: "config", "\(path) is not valid YAML: \(error)")
        }
        guard let root, !isNull(root) else { return RunConfiguration() }
        guard let map = root.mapping else {
            throw ConfigurationError(key: "config", "\(path): expected a mapping of flag names to values at the top level")
        }
        var config = RunConfiguration()
        for (keyNode, valueNode) in map {
            let key = keyNode.string ?? "\(keyNode)"
            guard let field = RunConfiguration.field(key) else {
                throw ConfigurationError(key: "config", "\(path): unknown key '\(key)'; known keys: \(RunConfiguration.keyNames.joined(separator: ", "))")
            }
            let value = try convert(valueNode, key: key, kind: field.kind, path: path)
            _ = field.set(value, in: &config)
        }
        return config
    }

    static func isNull(_ node: Node) -> Bool {
        node.null != nil
    }

    /// The node's value as the Swift type of `kind` (nil for a YAML null), or a `ConfigurationError` saying what was
    /// expected and what was found.
    static func convert(_ node: Node, key: String, kind: RunConfiguration.ValueKind, path: String) throws -> Any? {
        if isNull(node) { return nil }
        func mismatch() -> ConfigurationError {
            let got: String
            switch node {
            case .scalar(let s): got = "'\(s.string)'"
            case .sequence: got = "a list"
            case .mapping: got = "a mapping"
            case .alias: got = "an alias"
            }
            return ConfigurationError(key: key, "expected \(kind.expectation), got \(got)", file: path)
        }
        // `hidden: [64, 64]` and `hidden: 64` are accepted as well as "64,64".
        if key == "hidden", let items = node.sequence {
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
}
