import Foundation

/// The learning-rate schedules Trainboard offers, as parsed from the command line (`trainboard train --schedule`,
/// YAML key `schedule`). Every schedule counts epochs (0-based `e`), not updates: `LearningRateScheduler` sets the
/// base rate at the start of each epoch, and the optimizer's legacy per-update `decay` (lr / (1 + decay · updates))
/// still applies on top of it.
///
/// | spelling                              | schedule                       | rate for epoch e (0-based)                     | same as                                                    |
/// |---------------------------------------|--------------------------------|------------------------------------------------|------------------------------------------------------------|
/// | `time:k=0.01`                         | `TimeBasedDecay`               | lr0 / (1 + k·e)                                | Keras `InverseTimeDecay(lr0, 1, k)`                        |
/// | `step:drop=0.5,every=10`              | `StepDecay`                    | lr0 · drop^floor(e / every)                    | PyTorch `StepLR(every, drop)`                              |
/// | `exp:k=0.1`                           | `ExponentialDecay`             | lr0 · exp(-k·e)                                | Keras `ExponentialDecay(lr0, 1, exp(-k))`                  |
/// | `sgdr:t0=10,tmult=2,min=0[,max=0.1]`  | `CosineAnnealingWarmRestarts`  | min + (max-min)·(1+cos(π·(e-S_i)/T_i))/2       | PyTorch `CosineAnnealingWarmRestarts(t0, tmult, min)`      |
///
/// For `sgdr`, cycle `i` lasts `T_i = t0 · tmult^i` epochs and starts at epoch `S_i = t0 · (1 + tmult + ... +
/// tmult^(i-1))` (Loshchilov & Hutter 2017, eq. 5); with `max` = lr0 it equals Keras's `CosineDecayRestarts(lr0,
/// t0, t_mul=tmult, m_mul=1, alpha=min/lr0)` counted in epochs. `tmult` defaults to 1, `min` to 0 and `max` to
/// the initial rate; every other key is required.
///
/// Thread-safety: a `Sendable` value.
public enum Schedule: LearningRateSchedule, Equatable, CustomStringConvertible {
    case timeBased(TimeBasedDecay)
    case step(StepDecay)
    case exponential(ExponentialDecay)
    case sgdr(CosineAnnealingWarmRestarts)

    /// The wrapped schedule.
    public var schedule: any LearningRateSchedule {
        switch self {
        case .timeBased(let s): return s
        case .step(let s): return s
        case .exponential(let s): return s
        case .sgdr(let s): return s
        }
    }

    public func learningRate(epoch: Int, initial lr0: Double) -> Double {
        schedule.learningRate(epoch: epoch, initial: lr0)
    }

    /// The command-line spelling (parses back to an equal value).
    public var description: String {
        switch self {
        case .timeBased(let s): return "time:k=\(s.k)"
        case .step(let s): return "step:drop=\(s.drop),every=\(s.epochsDrop)"
        case .exponential(let s): return "exp:k=\(s.k)"
        case .sgdr(let s):
            return "sgdr:t0=\(s.t0),tmult=\(s.tMult),min=\(s.etaMin)" + (s.etaMax.map { ",max=\($0)" } ?? "")
        }
    }

    /// Parses a command-line spelling: `kind:key=value,key=value` (kinds `time`, `step`, `exp`, `sgdr`; spaces
    /// around items are ignored). Throws `ScheduleError` naming the bad kind, key or value.
    public init(parsing spec: String) throws {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ScheduleError.empty }
        let head = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let kind = head[0].trimmingCharacters(in: .whitespaces).lowercased()
        let rest = head.count > 1 ? String(head[1]) : ""
        let allowed: [String]
        switch kind {
        case "time", "exp": allowed = ["k"]
        case "step": allowed = ["drop", "every"]
        case "sgdr": allowed = ["t0", "tmult", "min", "max"]
        default: throw ScheduleError.unknownKind(String(head[0]))
        }
        var params: [String: String] = [:]
        for item in rest.split(separator: ",", omittingEmptySubsequences: false) {
            let text = item.trimmingCharacters(in: .whitespaces)
            if text.isEmpty && rest.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let kv = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2 else { throw ScheduleError.malformedParameter(kind: kind, text: text) }
            let key = kv[0].trimmingCharacters(in: .whitespaces).lowercased()
            let value = kv[1].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw ScheduleError.malformedParameter(kind: kind, text: text) }
            guard allowed.contains(key) else { throw ScheduleError.unknownKey(kind: kind, key: key, allowed: allowed) }
            guard params[key] == nil else { throw ScheduleError.duplicateKey(kind: kind, key: key) }
            params[key] = value
        }
        func double(_ key: String, default d: Double? = nil) throws -> Double {
            guard let s = params[key] else {
                if let d { return d }
                throw ScheduleError.missingKey(kind: kind, key: key)
            }
            guard let v = Double(s), v.isFinite else {
                throw ScheduleError.badValue(kind: kind, key: key, value: s, expected: "a finite number")
            }
            return v
        }
        func int(_ key: String, default d: Int? = nil) throws -> Int {
            guard let s = params[key] else {
                if let d { return d }
                throw ScheduleError.missingKey(kind: kind, key: key)
            }
            guard let v = Int(s) else { throw ScheduleError.badValue(kind: kind, key: key, value: s, expected: "an integer") }
            return v
        }
        switch kind {
        case "time": self = .timeBased(try TimeBasedDecay(k: try double("k")))
        case "exp": self = .exponential(try ExponentialDecay(k: try double("k")))
        case "step": self = .step(try StepDecay(drop: try double("drop"), epochsDrop: try int("every")))
        default:
            let maxValue: Double? = params["max"] == nil ? nil : try double("max")
            self = .sgdr(try CosineAnnealingWarmRestarts(t0: try int("t0"), tMult: try int("tmult", default: 1),
                                                        etaMin: try double("min", default: 0), etaMax: maxValue))
        }
    }
}
