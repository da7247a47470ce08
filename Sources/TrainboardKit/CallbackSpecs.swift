import NeuralEngine

/// Parses the `key=value,flag` option strings of `--early-stopping` and `--reduce-lr-on-plateau`
/// (e.g. `monitor=val_loss,patience=5,min-delta=0,restore-best-weights`). `on` or an empty string means defaults.
public struct OptionSpec: Equatable {
    public private(set) var values: [String: String] = [:]
    public let option: String

    /// Throws `ConfigurationError` for an empty key or a key not in `allowed`, naming it and listing the allowed ones.
    public init(_ text: String, option: String, allowed: [String]) throws {
        self.option = option
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t == "on" || t == "true" || t == "default" { return }
        for part in t.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let key = kv[0].replacingOccurrences(of: "_", with: "-")
            guard !key.isEmpty, allowed.contains(key) else {
                throw ConfigurationError(key: option, "unknown setting '\(kv[0])'; expected \(allowed.joined(separator: ", "))")
            }
            values[key] = kv.count > 1 ? kv[1] : "true"
        }
    }

    public func string(_ k: String) -> String? { values[k] }

    public func double(_ k: String) throws -> Double? {
        guard let s = values[k] else { return nil }
        guard let v = Double(s), v.isFinite else { throw ConfigurationError(key: option, "\(k)=\(s) is not a number") }
        return v
    }

    public func int(_ k: String) throws -> Int? {
        guard let s = values[k] else { return nil }
        guard let v = Int(s), v >= 0 else { throw ConfigurationError(key: option, "\(k)=\(s) is not a non-negative whole number") }
        return v
    }

    public func bool(_ k: String) throws -> Bool? {
        guard let s = values[k] else { return nil }
        switch s.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(key: option, "\(k)=\(s) is not true or false")
        }
    }

    public func mode(_ k: String = "mode") throws -> MonitorMode {
        guard let s = values[k] else { return .auto }
        guard let m = MonitorMode(rawValue: s) else { throw ConfigurationError(key: option, "mode=\(s): expected auto, min or max") }
        return m
    }
}

extension TrainingPlan {
    /// `EarlyStopping` from `--early-stopping`, or nil when not requested.
    public func makeEarlyStopping() throws -> EarlyStopping? {
        guard let spec = earlyStoppingSpec else { return nil }
        if ["off", "false", "none"].contains(spec.lowercased()) { return nil }
        let o = try OptionSpec(spec, option: "early-stopping", allowed: ["monitor", "patience", "min-delta", "mode",
                                                                            "baseline", "restore-best-weights", "start-from-epoch"])
        return EarlyStopping(monitor: o.string("monitor") ?? monitor, minDelta: try o.double("min-delta") ?? 0,
                             patience: try o.int("patience") ?? 5, mode: try o.mode(),
                             baseline: try o.double("baseline"),
                             restoreBestWeights: try o.bool("restore-best-weights") ?? false,
                             startFromEpoch: try o.int("start-from-epoch") ?? 0)
    }

    /// `ReduceLROnPlateau` from `--reduce-lr-on-plateau`, or nil.
    public func makeReduceLROnPlateau() throws -> ReduceLROnPlateau? {
        guard let spec = reduceLROnPlateauSpec else { return nil }
        if ["off", "false", "none"].contains(spec.lowercased()) { return nil }
        let o = try OptionSpec(spec, option: "reduce-lr-on-plateau", allowed: ["monitor", "factor", "patience", "min-delta",
                                                                                  "cooldown", "min-lr", "mode"])
        do {
            return try ReduceLROnPlateau(monitor: o.string("monitor") ?? monitor, factor: try o.double("factor") ?? 0.1,
                                         patience: try o.int("patience") ?? 10, minDelta: try o.double("min-delta") ?? 1e-4,
                                         cooldown: try o.int("cooldown") ?? 0, minLR: try o.double("min-lr") ?? 0,
                                         mode: try o.mode())
        } catch let e as ModelError {
            throw ConfigurationError(key: "reduce-lr-on-plateau", e.description)
        }
    }

    /// The parsed `--schedule`, or nil.
    public func makeSchedule() throws -> Schedule? {
        guard let spec = scheduleSpec, !["", "none", "off"].contains(spec.lowercased()) else { return nil }
        do { return try Schedule(parsing: spec) } catch {
            throw ConfigurationError(key: "schedule", "\(error)")
        }
    }
}
