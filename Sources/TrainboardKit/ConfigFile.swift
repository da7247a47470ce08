import Foundation
import Yams

/// Reads a YAML run configuration (`--config FILE.yaml`): a mapping whose keys are the command-line flag names
/// without `--` (e.g. `batch-size: 128`, `hidden: "64,64"`, `early-stopping: "patience=5"`).
public enum ConfigFile {
    /// Parses `path`. Throws `ConfigurationError` (key `config`) naming the file and the problem: unreadable file,
    /// invalid YAML, an unknown key (with the list of known keys), or a value of the wrong type.
    public static func load(_ path: String) throws -> RunConfiguration {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError(key: "config", "cannot read \(path): \(error.localizedDescription)")
        }
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw ConfigurationError(key: "config", "\(path) is not valid YAML: \(error)")
        }
        guard let node else { return RunConfiguration() }
        guard let map = node as? [String: Any] else {
            throw ConfigurationError(key: "config", "\(path): expected a mapping of flag names to values at the top level")
        }
        let known = Set(RunConfiguration.keyNames)
        for k in map.keys where !known.contains(k) {
            throw ConfigurationError(key: "config", "\(path): unknown key '\(k)'; known keys: \(RunConfiguration.keyNames.joined(separator: ", "))")
        }
        // `hidden: [64, 64]` is accepted as well as "64,64".
        var normalised = map
        if let list = map["hidden"] as? [Any] { normalised["hidden"] = list.map { "\($0)" }.joined(separator: ",") }
        if let h = map["hidden"] as? Int { normalised["hidden"] = "\(h)" }
        do {
            let yaml = try Yams.dump(object: normalised)
            return try YAMLDecoder().decode(RunConfiguration.self, from: yaml)
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.dataCorrupted(ctx) {
            let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError(key: "config", "\(path): key '\(key)' has a value of the wrong type (\(ctx.debugDescription))")
        } catch {
            throw ConfigurationError(key: "config", "\(path): \(error)")
        }
    }
}
