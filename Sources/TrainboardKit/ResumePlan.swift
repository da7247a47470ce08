import Foundation
import Dashboard
import Datasets
import NeuralEngine

/// How `trainboard train --resume CHECKPOINT` relates a run's options to the checkpoint's.
///
/// Every checkpoint written during training (`--checkpoint`, the dashboard's `c` key and its final checkpoint, in
/// `.keras` or `.tbmodel`) keeps the run's options in its `TrainingState.plan`, in config-file form. On resume:
/// - options not given (flag or config file) are taken from the checkpoint (`fill(_:)`), so `--resume PATH` alone
///   continues the same run to its planned `--epochs`;
/// - `fixedKeys` must equal the checkpoint's (they define the model, the data, the optimizer and the data order the
///   saved state belongs to): a different value is `ConfigurationError` naming the option (exit 2);
/// - `changeableKeys` may differ: `--epochs` (must exceed the epochs already done), the logs and checkpoint paths,
///   the journal, the schedule (epoch-based: the resumed epoch's rate follows the new schedule) and the callbacks.
///   A callback whose options changed (`early-stopping`, `reduce-lr-on-plateau`, `monitor`, `save-best-only`) starts
///   fresh instead of taking the checkpoint's state (`callbacksToReset`).
/// Options never stored (the dashboard's look, `--headless`, `--memory-limit`, ...) are the resumed run's own.
public enum ResumePlan {
    /// Options that must stay as the checkpoint has them.
    public static let fixedKeys = ["data", "max-samples", "label-column", "drop-missing", "rescale", "normalize",
                                   "validation-split", "hidden", "dropout", "activation", "output-activation", "init",
                                   "loss", "optimizer", "lr", "momentum", "nesterov", "decay", "batch-size", "seed"]
    /// Options filled from the checkpoint when not given, that may change.
    public static let changeableKeys = ["epochs", "schedule", "early-stopping", "reduce-lr-on-plateau", "monitor",
                                        "save-best-only", "checkpoint", "csv-log", "log-jsonl", "journal",
                                        "terminate-on-nan"]

    /// `plan`'s options in config-file form (a value `RunConfiguration.Field.set` accepts after `parse`), for
    /// `TrainingState.plan`; unset optional options are absent.
    public static func options(of plan: TrainingPlan) -> [String: String] {
        var o: [String: String] = [
            "data": plan.dataSpec, "drop-missing": "\(plan.dropMissing)", "normalize": "\(plan.normalize)",
            "validation-split": "\(plan.validationSplit)",
            "hidden": plan.hidden.isEmpty ? "none" : plan.hidden.map(String.init).joined(separator: ","),
            "dropout": "\(plan.dropout)", "activation": plan.activation.rawValue,
            "output-activation": plan.resolvedOutputActivation.rawValue, "init": plan.initializer.rawValue,
            "loss": plan.loss.rawValue, "optimizer": plan.optimizerName, "lr": "\(plan.learningRate)",
            "momentum": "\(plan.momentum)", "nesterov": "\(plan.nesterov)", "decay": "\(plan.decay)",
            "batch-size": "\(plan.batchSize)", "seed": "\(plan.seed)", "epochs": "\(plan.epochs)",
            "save-best-only": "\(plan.saveBestOnly)", "monitor": plan.monitor,
            "terminate-on-nan": "\(plan.terminateOnNaN)",
        ]
        o["max-samples"] = plan.maxSamples.map { "\($0)" }
        o["rescale"] = plan.rescale.map { "\($0)" }
        switch plan.labelColumn {
        case .index(let i)?: o["label-column"] = "\(i)"
        case .name(let n)?: o["label-column"] = n
        case .first?: o["label-column"] = "0"
        case .last?: o["label-column"] = "-1"
        case .auto?, nil: break
        }
        o["schedule"] = plan.scheduleSpec
        o["early-stopping"] = plan.earlyStoppingSpec
        o["reduce-lr-on-plateau"] = plan.reduceLROnPlateauSpec
        o["checkpoint"] = plan.checkpoint
        o["csv-log"] = plan.csvLog
        o["log-jsonl"] = plan.logJSONL
        o["journal"] = plan.journal
        return o
    }

    /// The training state of the checkpoint `path`, read for its options. Throws `ConfigurationError` for `resume`
    /// naming the file and what is wrong (unreadable, malformed, or no training state).
    /// The file read last, with its identity (device, inode, size, modification time) when read: `fill` and
    /// `TrainingRun.prepare` read the same checkpoint, and a large one takes a while to read and check.
    private static let lastRead = Locked<(path: String, identity: [Int], file: ModelFile)?>(nil)

    /// Device, inode, size and modification time (ns) of `path`, or nil.
    private static func identity(_ path: String) -> [Int]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [Int(st.st_dev), Int(st.st_ino), Int(st.st_size), st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec]
    }

    public static func readState(_ path: String) throws -> (file: ModelFile, state: TrainingState) {
        let id = identity(path)
        var cached: ModelFile?
        if let id { lastRead.withLock { if let l = $0, l.path == path, l.identity == id { cached = l.file } } }
        let file: ModelFile
        if let cached { file = cached } else {
            do { file = try ModelFile.read(path) } catch { throw ConfigurationError(key: "resume", "\(error)") }
            if let id, identity(path) == id { lastRead.withLock { $0 = (path, id, file) } }
        }
        guard let state = file.trainingState else {
            throw ConfigurationError(key: "resume", "\(path): holds no training state; only .keras (and .tbmodel) checkpoints written during training (--checkpoint, the dashboard's c key or its final checkpoint) can resume a run")
        }
        return (file, state)
    }

    /// `given` with every stored option it does not set taken from the checkpoint `given.resume` names (see the type's
    /// documentation); `given` unchanged without `resume`. Throws `ConfigurationError` for `resume` (the checkpoint)
    /// or for an option whose stored value cannot be read back.
    public static func fill(_ given: RunConfiguration) throws -> RunConfiguration {
        guard let path = given.resume else { return given }
        if given.from != nil {
            throw ConfigurationError(key: "resume", "--from starts a new run from a model with a fresh optimizer; --resume continues a stopped run: give one of them")
        }
        let stored = try readState(path).state.plan
        var config = given
        for key in fixedKeys + changeableKeys {
            guard let text = stored[key], let field = RunConfiguration.field(key), !field.isSet(given) else { continue }
            let value: Any?
            switch field.kind {
            case .wholeNumber: value = Int(text)
            case .number: value = Double(text)
            case .boolean: value = Bool(text)
            case .seed: value = UInt64(text)
            case .text: value = text
            }
            guard let value, field.set(value, in: &config) else {
                throw ConfigurationError(key: "resume", "\(path): the stored option \(key) = '\(text)' is not \(field.kind.expectation)")
            }
        }
        return config
    }

    /// Checks `plan` against the checkpoint's options and position. Throws `ConfigurationError` naming the first
    /// fixed option that differs, or `epochs` when nothing is left to run.
    public static func check(_ plan: TrainingPlan, state: TrainingState, path: String) throws {
        let now = options(of: plan)
        for key in fixedKeys where now[key] != state.plan[key] {
            throw ConfigurationError(key: key, "\(path) was trained with \(key) \(state.plan[key] ?? "unset"), this run has \(now[key] ?? "unset"); a resumed run keeps the model, data, optimizer, batch size and seed (only --epochs, the schedule, callbacks, logs and checkpoint paths may change)")
        }
        guard plan.epochs > state.resumeEpoch else {
            throw ConfigurationError(key: "epochs", "\(path) resumes at epoch \(state.resumeEpoch + 1) (\(state.resumeEpoch) done\(state.isMidEpoch ? ", the next one partly" : "")); --epochs \(plan.epochs) leaves nothing to run: raise --epochs")
        }
    }

    /// The callbacks (state keys) whose options differ from the checkpoint's, which start fresh.
    public static func callbacksToReset(_ plan: TrainingPlan, state: TrainingState) -> Set<String> {
        let now = options(of: plan)
        let changed = { (keys: [String]) in keys.contains { now[$0] != state.plan[$0] } }
        var reset = Set<String>()
        if changed(["early-stopping", "monitor"]) { reset.insert("EarlyStopping") }
        if changed(["reduce-lr-on-plateau", "monitor"]) { reset.insert("ReduceLROnPlateau") }
        if changed(["save-best-only", "monitor"]) { reset.insert("ModelCheckpoint") }
        if changed(["schedule"]) { reset.insert("LearningRateScheduler") }
        return reset
    }

    /// A warning for a resumed run (after `fill(_:)`) that writes no checkpoint: neither it nor the resumed run has
    /// `--checkpoint` (a checkpoint from the dashboard's `c` key or its final one), so the epochs trained now would be
    /// kept nowhere in a headless run. Nil when the run is not resumed or has a checkpoint path.
    public static func missingCheckpointWarning(_ plan: TrainingPlan) -> String? {
        guard let from = plan.resume, plan.checkpoint == nil else { return nil }
        return "warning: --resume \(from): this run writes no checkpoint (neither it nor the resumed run has --checkpoint); "
            + "give --checkpoint PATH to keep the result"
    }

    /// `PROGRAM train --resume PATH`, each word quoted for a POSIX shell when it needs it. `program` is how this
    /// process was started (`CommandLine.arguments[0]`) when that was a path (`.build/release/trainboard`, which is
    /// not on `PATH` after `swift build`), else `trainboard`.
    public static func command(_ path: String, program: String = invokedProgram) -> String {
        "\(shellQuoted(program)) train --resume \(shellQuoted(path))"
    }

    /// How to call this binary again from the same directory: `arguments[0]` when it contains a `/`, else
    /// `trainboard` (found on `PATH`, or not a trainboard process at all, as in the tests).
    public static var invokedProgram: String {
        let first = CommandLine.arguments.first ?? ""
        let base = first.split(separator: "/").last.map(String.init) ?? ""
        return first.contains("/") && base == "trainboard" ? first : "trainboard"
    }

    /// `word` as is when it has only characters a POSIX shell leaves alone, else in single quotes.
    static func shellQuoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/+=:,@%".contains($0)) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
