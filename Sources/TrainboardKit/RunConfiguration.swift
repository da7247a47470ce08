import Dashboard
import Datasets
import NeuralEngine

/// Everything one training run needs, resolved from defaults, a YAML config file and command-line flags (flags win).
/// Keys are the command-line flag names without `--` (kebab-case), in the YAML file as on the command line.
///
/// Defaults are the Keras tutorial's: 784-64-Dropout(0.1)-64-10, `relu` hidden layers, softmax output, categorical
/// cross-entropy, SGD learning rate 0.1, momentum 0.8, legacy decay 0.0016 (= 0.1 / 60 epochs), batch 128, 60 epochs,
/// validation on the test split, seed 1; kernels are initialised with `glorot_uniform`, Keras's default for `Dense`
/// (the tutorial's Keras 2 `uniform`, U(-0.05, 0.05), is `init: uniform`). The learning rate and decay defaults belong to the SGD
/// setup: with adam, rmsprop or adagrad they are 0.001 and 0.
///
/// ## Adding an option: two files
/// An option (flag, YAML key, default, help text, header line) is declared in exactly two files:
/// 1. This file: a stored property below, named as its key in camelCase (`batch-size` -> `batchSize`); one `Field`
///    line in `fields` (key, value kind, default, help text, value name); and, when the run uses it, a typed property
///    with its validation in `TrainingPlan.init` and, if the header line shows it, its part of
///    `TrainingPlan.modelDescription` or `optimizerDescription`.
/// 2. `Sources/trainboard/TrainOptions.swift`: one `@Option`/`@Flag` line whose property has the same name and whose
///    help is `.option(\.name)` (from the `Field`).
/// The YAML reader (`ConfigFile`), `keyNames`, the config-file messages, `--help`, `defaults` and the mapping of flags
/// to a configuration (`fromFlags`, by property name) all follow from these. `OptionDeclarationTests` (trainboardTests)
/// check that the table, the stored properties and the flags agree.
///
/// Thread-safety: a value; safe to send between threads.
public struct RunConfiguration: Equatable, Sendable {
    public var data: String? = nil
    public var epochs: Int? = nil
    public var batchSize: Int? = nil
    public var hidden: String? = nil
    public var dropout: Double? = nil
    public var activation: String? = nil
    public var outputActivation: String? = nil
    public var `init`: String? = nil
    public var loss: String? = nil
    public var optimizer: String? = nil
    public var lr: Double? = nil
    public var momentum: Double? = nil
    public var decay: Double? = nil
    public var nesterov: Bool? = nil
    public var schedule: String? = nil
    public var earlyStopping: String? = nil
    public var reduceLrOnPlateau: String? = nil
    public var checkpoint: String? = nil
    public var saveBestOnly: Bool? = nil
    public var monitor: String? = nil
    public var csvLog: String? = nil
    public var logJsonl: String? = nil
    public var validationSplit: Double? = nil
    public var maxSamples: Int? = nil
    public var seed: UInt64? = nil
    public var headless: Bool? = nil
    public var theme: String? = nil
    public var journal: String? = nil
    public var replayJournal: String? = nil
    public var terminateOnNan: Bool? = nil
    public var exitWhenDone: Bool? = nil
    public var labelColumn: String? = nil
    public var dropMissing: Bool? = nil
    public var rescale: Double? = nil
    public var normalize: Bool? = nil
    public var memoryLimit: String? = nil
    public var charts: String? = nil
    public var from: String? = nil
    public var resume: String? = nil
    public var listen: String? = nil

    /// The type of a configuration key's value, for reading a config file and for its error messages.
    public enum ValueKind: Sendable, Equatable {
        case wholeNumber, number, boolean, seed, text

        /// What a value of this kind is, for "expected ..." messages.
        public var expectation: String {
            switch self {
            case .wholeNumber: return "a whole number"
            case .number: return "a number"
            case .boolean: return "true or false"
            case .seed: return "a non-negative whole number"
            case .text: return "text"
            }
        }
    }

    /// One option: its key, the kind of value it takes, its default, its help text and where the value lives.
    public struct Field: Sendable {
        /// The YAML key and flag name without `--` (kebab-case), e.g. `batch-size`.
        public let key: String
        /// The kind of value: how the config file reads it and what its messages expect.
        public let kind: ValueKind
        /// The stored property's name: the key in camelCase (`batchSize`); the flag's property in `TrainOptions`
        /// has the same name.
        public let property: String
        /// The help line for `--help`, `{default}` already replaced by `defaultText`.
        public let help: String
        /// The value's placeholder in `--help` (`path`, `spec`), or nil for ArgumentParser's own.
        public let valueName: String?
        /// Further lines shown under the flag by `--help`; empty for none.
        public let discussion: String
        /// The default in words (`60`, `val_loss`, `on`), or nil when the key has no fixed default.
        public let defaultText: String?
        /// The YAML value may also be a list of whole numbers, read as their comma-separated text (`hidden: [64, 64]`).
        public let acceptsList: Bool
        /// The `RunConfiguration` key path of the value (`\RunConfiguration.batchSize`).
        public let keyPath: AnyKeyPath & Sendable
        /// Whether `config` has a value for this key.
        public let isSet: @Sendable (RunConfiguration) -> Bool
        /// Takes the value from `source` when `target` has none (see `over`).
        let fill: @Sendable (inout RunConfiguration, RunConfiguration) -> Void
        /// Stores `value` (of the field's type, or nil) into `config`; false when `value` has another type.
        let store: @Sendable (inout RunConfiguration, Any?) -> Bool
        /// Stores the default (when there is one) into `config`.
        let storeDefault: @Sendable (inout RunConfiguration) -> Void

        /// `help` may contain `{default}`, replaced by `defaultValue` in words (booleans as on/off).
        init<T: Sendable>(_ key: String, _ kind: ValueKind, _ kp: any WritableKeyPath<RunConfiguration, T?> & Sendable,
                default defaultValue: T? = nil,
                help: String, valueName: String? = nil, discussion: String = "", acceptsList: Bool = false) {
            self.key = key
            self.kind = kind
            property = RunConfiguration.propertyName(key)
            let text = defaultValue.map { v -> String in
                if let b = v as? Bool { return b ? "on" : "off" }
                return "\(v)"
            }
            defaultText = text
            self.help = text.map { help.replacingOccurrences(of: "{default}", with: $0) } ?? help
            self.valueName = valueName
            self.discussion = discussion
            self.acceptsList = acceptsList
            keyPath = kp
            isSet = { $0[keyPath: kp] != nil }
            fill = { target, source in if target[keyPath: kp] == nil { target[keyPath: kp] = source[keyPath: kp] } }
            store = { config, value in
                if value == nil { config[keyPath: kp] = nil; return true }
                guard let v = value as? T else { return false }
                config[keyPath: kp] = v
                return true
            }
            storeDefault = { config in config[keyPath: kp] = defaultValue }
        }

        /// Stores `value` (an `Int`, `Double`, `Bool`, `UInt64` or `String` matching `kind`, or nil for "not set").
        /// Returns false, leaving `config` alone, when the value has another type.
        public func set(_ value: Any?, in config: inout RunConfiguration) -> Bool { store(&config, value) }
    }

    /// Every option, in the order of `keyNames` (the config-file messages). The one declaration of each option's key,
    /// kind, default and help text (see "Adding an option" above).
    public static let fields: [Field] =
        [Field("data", .text, \.data, default: "fashion-mnist",
               help: "Data: fashion-mnist (Debian's dataset-fashion-mnist), mnist (Keras's mnist.npz, downloaded when missing), or a path to a directory of IDX files, an .npz or a .csv[.gz].", valueName: "name|path"),
         Field("epochs", .wholeNumber, \.epochs, default: 60, help: "Epochs to train, >= 1 (default {default})."),
         Field("batch-size", .wholeNumber, \.batchSize, default: 128, help: "Samples per update, >= 1 (default {default})."),
         Field("hidden", .text, \.hidden, default: "64,64", help: "Hidden layer sizes, comma-separated, or none (default {default}).",
               valueName: "n,n,...", acceptsList: true),
         Field("dropout", .number, \.dropout, default: 0.1, help: "Dropout rate between hidden layers, in [0, 1) (default {default})."),
         Field("activation", .text, \.activation, default: "relu", help: "Hidden activation: relu, sigmoid, tanh, linear, softmax (default {default})."),
         Field("output-activation", .text, \.outputActivation,
               help: "Output activation (default: softmax for categorical_crossentropy, sigmoid for binary_crossentropy, linear for mean_squared_error)."),
         Field("init", .text, \.`init`, default: "glorot_uniform",
               help: "Kernel initializer: {default} (default, as Keras's Dense), glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, uniform (Keras 2's U(-0.05, 0.05)), normal, zero."),
         Field("loss", .text, \.loss, default: "categorical_crossentropy",
               help: "Loss: categorical_crossentropy, binary_crossentropy, mean_squared_error (default {default})."),
         Field("optimizer", .text, \.optimizer, default: "sgd", help: "Optimizer: sgd, adam, rmsprop, adagrad (default {default})."),
         Field("lr", .number, \.lr, help: "Learning rate, >= 0; 0 freezes the weights (default 0.1 for sgd, 0.001 for adam, rmsprop and adagrad)."),
         Field("momentum", .number, \.momentum, default: 0.8, help: "SGD momentum, in [0, 1) (default {default})."),
         Field("decay", .number, \.decay,
               help: "Legacy per-update decay, >= 0: lr / (1 + decay * updates) (default 0.0016 for sgd, the tutorial's setup; 0 for adam, rmsprop and adagrad)."),
         Field("nesterov", .boolean, \.nesterov, default: false, help: "Nesterov momentum (SGD)."),
         Field("schedule", .text, \.schedule,
               help: "Learning-rate schedule: time:k=0.01, step:drop=0.5,every=10, exp:k=0.1 or sgdr:t0=10,tmult=2,min=0[,max=X].",
               valueName: "spec", discussion: """
               Schedules count epochs (e = 0, 1, ...), not updates: the base rate is set at \
               the start of each epoch, and --decay still applies per update on top.
                 time   lr0 / (1 + k*e)
                 step   lr0 * drop^floor(e / every)
                        (every=10, lr 0.1: epochs 0-9 0.1, 10-19 0.05, 20-29 0.025)
                 exp    lr0 * exp(-k*e)
                 sgdr   min + (max - min) * (1 + cos(pi * (e - S) / T)) / 2
                        cycle i lasts T = t0 * tmult^i epochs and starts at epoch S
                        (warm restarts; tmult 1, min 0 and max lr0 by default)
               """),
         Field("early-stopping", .text, \.earlyStopping,
               help: "EarlyStopping: on, or monitor=val_loss,patience=5,min-delta=0,mode=auto,baseline=X,start-from-epoch=0,restore-best-weights.", valueName: "spec"),
         Field("reduce-lr-on-plateau", .text, \.reduceLrOnPlateau,
               help: "ReduceLROnPlateau: on, or monitor=val_loss,factor=0.1,patience=10,min-delta=1e-4,cooldown=0,min-lr=0.", valueName: "spec"),
         Field("checkpoint", .text, \.checkpoint,
               help: "ModelCheckpoint file; may use {epoch:02d} and {val_loss:.4f}. The extension picks the format: .keras (Keras 3's archive, also for other extensions), .h5 (Keras 2's legacy full model), .weights.h5 (Keras 3 weights), .tbmodel.",
               valueName: "path"),
         Field("save-best-only", .boolean, \.saveBestOnly, default: false, help: "Checkpoint only when the monitored value improves."),
         Field("monitor", .text, \.monitor, default: "val_loss",
               help: "Log key that --save-best-only (and, unless their spec says otherwise, EarlyStopping and ReduceLROnPlateau) watch (default {default}). It must be a key the run logs (loss, accuracy or mae, their val_ forms with validation data, learning_rate): otherwise an error before training lists them. mode=auto (the default) minimizes losses and error metrics and maximizes accuracy-like ones, as Keras 3."),
         Field("csv-log", .text, \.csvLog, help: "CSVLogger file (Keras columns).", valueName: "path"),
         Field("log-jsonl", .text, \.logJsonl, help: "JSON-lines log: one object per epoch.", valueName: "path"),
         Field("validation-split", .number, \.validationSplit, default: 0,
               help: "Hold out this fraction of the training data (the tail, as Keras) instead of validating on the test split."),
         Field("max-samples", .wholeNumber, \.maxSamples, help: "Use only the first N training (and test) samples, N >= 1 (default: all)."),
         Field("seed", .seed, \.seed, default: 1,
               help: "Random seed, a whole number >= 0 (initialisation, shuffling, dropout; default {default})."),
         Field("headless", .boolean, \.headless, default: false,
               help: "No dashboard: one line per epoch (also whenever stdout is not a terminal)."),
         Field("theme", .text, \.theme, help: "Dashboard theme name (see `trainboard themes`) or a .theme file.", valueName: "name|path"),
         Field("journal", .text, \.journal, help: "Control journal (manual actions, JSON lines); default: next to the logs.", valueName: "path"),
         Field("replay-journal", .text, \.replayJournal,
               help: "Replay the learning-rate changes of a control journal at the same updates.", valueName: "path"),
         Field("terminate-on-nan", .boolean, \.terminateOnNan, default: true,
               help: "Stop training at the first NaN or infinite batch loss (TerminateOnNaN; default {default})."),
         Field("exit-when-done", .boolean, \.exitWhenDone, default: false,
               help: "Close the dashboard as soon as training ends (scripts, benchmarks)."),
         Field("label-column", .text, \.labelColumn,
               help: "CSV: the label column, by header name or 0-based index (-1 = last); default: the column named label, else the last. Headerless label-first files (MNIST in CSV) need 0.",
               valueName: "name|index"),
         Field("drop-missing", .boolean, \.dropMissing, default: false,
               help: "CSV: drop rows with an empty, NA/null or non-finite (nan, inf) cell instead of stopping with an error."),
         Field("rescale", .number, \.rescale,
               help: "Keras Rescaling: features become value * FACTOR, replacing the default 1/255 of images (IDX, .npz bytes, 0-255 pixel CSVs); --rescale 1 keeps raw pixel values.",
               valueName: "factor"),
         Field("normalize", .boolean, \.normalize, default: false,
               help: "Standardise each feature, (x - mean) / std, with statistics of the training split only (after --validation-split), applied to validation and test data too; a constant feature is only centred."),
         Field("memory-limit", .text, \.memoryLimit,
               help: "Largest memory a run may plan for its data, model and batch, checked before allocating (default: half of physical memory, or TRAINBOARD_MEMORY_LIMIT).",
               valueName: "size, e.g. 8G"),
         Field("charts", .text, \.charts,
               help: "Dashboard: the metrics drawn as line charts, e.g. loss,mae (default: loss and the run's metric, accuracy or mae); the m key changes it.",
               valueName: "m,m,..."),
         Field("from", .text, \.from,
               help: "Start from a saved model (.keras, .h5, .weights.h5 with its .json, .json, .tbmodel): its architecture and weights (a .json alone: fresh weights), with a fresh optimizer from these flags; --hidden, --dropout, --activation, --output-activation and --init are then not used.",
               valueName: "model"),
         Field("resume", .text, \.resume,
               help: "train: continue a run exactly where a .keras checkpoint (from --checkpoint, the dashboard's c key or its final checkpoint) stopped (search: continue the search in this directory, running only the fits without a result): weights, optimizer state, update count, epoch and batch, data order, random streams and callbacks' states. Options not given are the checkpoint's; --epochs may be raised, the log, checkpoint, schedule and callback options may change; the model, data, optimizer, batch size and seed must stay.",
               valueName: "checkpoint|dir"),
         Field("listen", .text, \.listen,
               help: "Let dashboards attach to this run (`trainboard attach`, `trainboard ls`; docs/attach-protocol.md): --listen alone or `auto` makes a Unix socket in a private directory ($XDG_RUNTIME_DIR/trainboard, else /tmp/trainboard-UID); a PATH is a socket path; 127.0.0.1:PORT listens on loopback TCP (port 0: any free port) with a token printed on stderr and written to a 0600 file.",
               valueName: "auto|path|127.0.0.1:port")]

    /// The field named `key` (a flag name without `--`), or nil.
    public static func field(_ key: String) -> Field? { fields.first { $0.key == key } }

    /// The field whose value lives at `keyPath` (e.g. `\RunConfiguration.batchSize`), or nil.
    public static func field(at keyPath: AnyKeyPath) -> Field? { fields.first { $0.keyPath == keyPath } }

    /// The property name for `key`: kebab-case to camelCase (`reduce-lr-on-plateau` -> `reduceLrOnPlateau`).
    public static func propertyName(_ key: String) -> String {
        let parts = key.split(separator: "-")
        return (parts.first.map(String.init) ?? "") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// The configuration that command-line flags give. `flags` pairs each flag's property name (as in `TrainOptions`,
    /// the same as the field's `property`) with its value: nil when not given, else the Swift type of the field's kind.
    /// Names that are no field's property, and values of another type, are left out and returned in `unmatched` (a
    /// programming error that `OptionDeclarationTests` catch).
    public static func fromFlags(_ flags: [(property: String, value: Any?)]) -> (configuration: RunConfiguration, unmatched: [String]) {
        var c = RunConfiguration()
        var unmatched: [String] = []
        let byProperty = Dictionary(fields.map { ($0.property, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, value) in flags {
            guard let f = byProperty[name], f.set(value, in: &c) else { unmatched.append(name); continue }
        }
        return (c, unmatched)
    }

    public init() {}

    /// The defaults of `fields` (the tutorial's).
    public static let defaults: RunConfiguration = {
        var c = RunConfiguration()
        for f in fields { f.storeDefault(&c) }
        return c
    }()

    /// `self` with every field that is nil taken from `base`.
    public func over(_ base: RunConfiguration) -> RunConfiguration {
        var r = self
        for f in Self.fields { f.fill(&r, base) }
        return r
    }

    /// The YAML/flag key names, for error messages and `--help`.
    public static var keyNames: [String] { fields.map(\.key) }
}

/// A configuration value that is out of range or malformed; `description` names the key, the value and what was
/// expected. The CLI exits with status 2 on it.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let message: String
    /// The config file the bad value came from, or nil when it came from a flag (see `attributed(flags:file:path:)`).
    public var file: String?
    /// An error about `key`; `file` names the config file the value came from (nil: a command-line flag).
    public init(key: String, _ message: String, file: String? = nil) { self.key = key; self.message = message; self.file = file }
    /// "--KEY: MESSAGE" for a flag, "FILE: KEY: MESSAGE" for a config-file value.
    public var description: String { file.map { "\($0): \(key): \(message)" } ?? "--\(key): \(message)" }

    /// This error blamed on the config file `path` when its key was not given on the command line (`flags`) but is
    /// set in the file's configuration (`file`); otherwise unchanged.
    public func attributed(flags: RunConfiguration, file: RunConfiguration, path: String) -> ConfigurationError {
        guard self.file == nil, let f = RunConfiguration.field(key), !f.isSet(flags), f.isSet(file) else { return self }
        var e = self
        e.file = path
        return e
    }
}

extension ConfigurationError {
    /// A journal error as the option it concerns: `--replay-journal` (reading) or `--journal` (writing), with a short
    /// reason ("no such file") instead of Foundation's sentence.
    public init(_ e: JournalError) {
        switch e {
        case .cannotRead(let path, let reason):
            self.init(key: "replay-journal", "cannot read \(path): \(reason)")
        case .malformed:
            self.init(key: "replay-journal", e.description)
        case .cannotWrite:
            self.init(key: "journal", e.description)
        }
    }
}

/// The validated, typed form of a `RunConfiguration` (all defaults applied).
public struct TrainingPlan: Sendable {
    public var dataSpec: String
    public var epochs: Int
    public var batchSize: Int
    public var hidden: [Int]
    public var dropout: Double
    public var activation: Activation
    public var outputActivation: Activation?
    public var initializer: Initializer
    public var loss: Loss
    public var optimizerName: String
    public var learningRate: Double
    public var momentum: Double
    public var decay: Double
    public var nesterov: Bool
    public var scheduleSpec: String?
    public var earlyStoppingSpec: String?
    public var reduceLROnPlateauSpec: String?
    public var checkpoint: String?
    public var saveBestOnly: Bool
    public var monitor: String
    public var csvLog: String?
    public var logJSONL: String?
    public var validationSplit: Double
    public var maxSamples: Int?
    public var seed: UInt64
    public var headless: Bool
    public var theme: String?
    public var journal: String?
    public var replayJournal: String?
    public var terminateOnNaN: Bool
    /// Close the dashboard as soon as training ends.
    public var exitWhenDone: Bool
    /// The memory limit in bytes (`--memory-limit`), or nil for `MemoryLimit`'s default (half of physical memory).
    public var memoryLimit: Int?
    /// The metrics drawn as line charts in the dashboard (`--charts loss,mae`), nil = loss and the run's metric;
    /// checked against the keys the run logs before training (`checkLogKeys`).
    public var charts: [String]?
    /// A saved model to start from (`--from`): its architecture and weights, with a fresh optimizer from the plan.
    public var from: String?
    /// A checkpoint to continue exactly (`--resume`): weights, optimizer state, position, random streams and
    /// callbacks' states (see `ResumePlan`).
    public var resume: String?
    /// The CSV label column (`--label-column NAME|INDEX`); nil: the column named `label`, else the last.
    public var labelColumn: CSVOptions.LabelColumn?
    /// Drop CSV rows with a missing or non-finite cell instead of stopping with an error.
    public var dropMissing: Bool
    /// Keras `Rescaling`: every feature becomes raw * factor (replacing the default 1/255 of image data); nil: the
    /// default (1/255 for IDX, `.npz` bytes and image-like CSV files, 1 otherwise).
    public var rescale: Double?
    /// Standardise every feature with the training split's mean and standard deviation (see `Normalization`).
    public var normalize: Bool
    /// Where the run listens for attaching dashboards (`--listen`), nil when it does not.
    public var listen: AttachAddress?

    /// Validates `config` (defaults applied underneath). Throws `ConfigurationError` naming the first bad key.
    public init(_ config: RunConfiguration) throws {
        let c = config.over(.defaults)
        /// The value of `kp` with the defaults applied: every key read this way has a default in `fields` (a key
        /// without one would fail every plan, which `PlanDefaultsTests` would show).
        func value<T>(_ kp: KeyPath<RunConfiguration, T?>) throws -> T {
            if let v = c[keyPath: kp] { return v }
            throw ConfigurationError(key: RunConfiguration.field(at: kp)?.key ?? "config", "has no value and no default")
        }
        dataSpec = try value(\.data)
        epochs = try value(\.epochs)
        guard epochs >= 1 else { throw ConfigurationError(key: "epochs", "must be at least 1, got \(epochs)") }
        batchSize = try value(\.batchSize)
        guard batchSize >= 1 else { throw ConfigurationError(key: "batch-size", "must be at least 1, got \(batchSize)") }
        let hiddenText = try value(\.hidden).trimmingCharacters(in: .whitespaces)
        if hiddenText.isEmpty || hiddenText == "none" {
            hidden = []
        } else {
            hidden = try hiddenText.split(separator: ",", omittingEmptySubsequences: false).map { part in
                let t = part.trimmingCharacters(in: .whitespaces)
                guard !t.isEmpty else {
                    throw ConfigurationError(key: "hidden", "expected comma-separated positive layer sizes like 64,64; '\(hiddenText)' has an empty entry")
                }
                guard let v = Int(t), v > 0 else {
                    throw ConfigurationError(key: "hidden", "expected comma-separated positive layer sizes like 64,64; '\(t)' is not one")
                }
                return v
            }
        }
        dropout = try value(\.dropout)
        guard dropout >= 0 && dropout < 1 else { throw ConfigurationError(key: "dropout", "must be in [0, 1), got \(dropout)") }
        let activationName = try value(\.activation)
        guard let act = Activation(name: activationName) else {
            throw ConfigurationError(key: "activation", "unknown activation '\(activationName)'; expected one of \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        activation = act
        if let o = c.outputActivation {
            guard let oa = Activation(name: o) else {
                throw ConfigurationError(key: "output-activation", "unknown activation '\(o)'; expected one of \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            outputActivation = oa
        } else { outputActivation = nil }
        let initName = try value(\.`init`)
        guard let ini = Initializer(name: initName) else {
            throw ConfigurationError(key: "init", "unknown initializer '\(initName)'; expected one of \(Initializer.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        initializer = ini
        let lossName = try value(\.loss)
        guard let l = Loss(name: lossName) else {
            throw ConfigurationError(key: "loss", "unknown loss '\(lossName)'; expected one of \(Loss.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        loss = l
        let opt = try value(\.optimizer).lowercased()
        guard ["sgd", "adam", "rmsprop", "adagrad"].contains(opt) else {
            throw ConfigurationError(key: "optimizer", "unknown optimizer '\(opt)'; expected sgd, adam, rmsprop or adagrad")
        }
        optimizerName = opt
        learningRate = c.lr ?? (opt == "sgd" ? 0.1 : 0.001)
        // 0 is allowed, as in Keras: the weights stay frozen (a useful check that nothing else changes them).
        guard learningRate >= 0 && learningRate.isFinite else {
            throw ConfigurationError(key: "lr", "must be >= 0 and finite (0 freezes the weights), got \(learningRate)")
        }
        momentum = try value(\.momentum)
        guard momentum >= 0 && momentum < 1 else { throw ConfigurationError(key: "momentum", "must be in [0, 1), got \(momentum)") }
        decay = c.decay ?? (opt == "sgd" ? 0.0016 : 0)
        guard decay >= 0 && decay.isFinite else { throw ConfigurationError(key: "decay", "must be >= 0, got \(decay)") }
        nesterov = try value(\.nesterov)
        scheduleSpec = c.schedule
        earlyStoppingSpec = c.earlyStopping
        reduceLROnPlateauSpec = c.reduceLrOnPlateau
        checkpoint = c.checkpoint
        saveBestOnly = try value(\.saveBestOnly)
        monitor = try value(\.monitor)
        csvLog = c.csvLog
        logJSONL = c.logJsonl
        validationSplit = try value(\.validationSplit)
        guard validationSplit >= 0 && validationSplit < 1 else {
            throw ConfigurationError(key: "validation-split", "must be in [0, 1), got \(validationSplit)")
        }
        maxSamples = c.maxSamples
        if let m = maxSamples, m < 1 { throw ConfigurationError(key: "max-samples", "must be at least 1, got \(m)") }
        seed = try value(\.seed)
        headless = try value(\.headless)
        theme = c.theme
        journal = c.journal
        replayJournal = c.replayJournal
        terminateOnNaN = try value(\.terminateOnNan)
        exitWhenDone = try value(\.exitWhenDone)
        if let text = c.charts {
            let names = text.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.contains(where: \.isEmpty) else {
                throw ConfigurationError(key: "charts", "expected metric names separated by commas (e.g. loss,mae), got '\(text)'")
            }
            charts = names
        } else {
            charts = nil
        }
        from = c.from
        resume = c.resume
        if let text = c.listen {
            do { listen = try AttachAddress.parse(text) } catch {
                throw ConfigurationError(key: "listen", "\(error)")
            }
            if case .tcp(let host, _)? = listen, !AttachAddress.isLoopback(host) {
                throw ConfigurationError(key: "listen", "'\(text)': a run listens on the loopback address only (127.0.0.1:PORT or [::1]:PORT); reach it from another machine through an SSH tunnel")
            }
        } else {
            listen = nil
        }
        if let text = c.memoryLimit {
            guard let bytes = MemoryLimit.parse(text) else {
                throw ConfigurationError(key: "memory-limit", "expected a size such as 8G, 512M or 1073741824 (bytes; K, M, G, T are powers of 1024), got '\(text)'")
            }
            memoryLimit = bytes
        } else {
            memoryLimit = nil
        }
        if let text = c.labelColumn {
            guard let l = CSVOptions.labelColumn(parsing: text) else {
                throw ConfigurationError(key: "label-column", "expected a column name or a 0-based index (-1: the last column), got an empty value")
            }
            labelColumn = l
        } else { labelColumn = nil }
        dropMissing = try value(\.dropMissing)
        rescale = c.rescale
        if let f = rescale, !(f.isFinite && f != 0) {
            throw ConfigurationError(key: "rescale", "must be a finite non-zero factor (features become value * factor, e.g. 0.00392156862745098 = 1/255), got \(f)")
        }
        normalize = try value(\.normalize)
    }

    /// The output activation: given, else softmax for categorical cross-entropy, sigmoid for binary, linear for MSE.
    public var resolvedOutputActivation: Activation {
        if let o = outputActivation { return o }
        switch loss {
        case .categoricalCrossentropy: return .softmax
        case .binaryCrossentropy: return .sigmoid
        case .meanSquaredError: return .linear
        }
    }

    /// Builds and compiles the model for `outputs` output units: the hidden `Dense` layers with a `Dropout` between
    /// consecutive hidden layers (after the only one when there is one), as in the tutorial's 784-64-Dropout-64-10.
    public func makeModel(outputs: Int) -> Sequential {
        let m = Sequential(seed: seed)
        for (i, h) in hidden.enumerated() {
            m.add(Dense(h, activation: activation, kernelInitializer: initializer))
            if dropout > 0 && (i < hidden.count - 1 || hidden.count == 1) { m.add(Dropout(dropout)) }
        }
        m.add(Dense(outputs, activation: resolvedOutputActivation, kernelInitializer: initializer))
        m.compile(optimizer: makeOptimizer(), loss: loss)
        return m
    }

    /// The model in one line for the dashboard header and the headless "Model:" line, e.g.
    /// `sgd lr 0.1 momentum 0.8 nesterov decay 0.0016` (momentum and nesterov for SGD only): the optimizer part of the
    /// header line, shared by the dashboard and the headless output.
    public var optimizerDescription: String {
        "\(optimizerName) lr \(learningRate)"
            + (optimizerName == "sgd" ? " momentum \(momentum)\(nesterov ? " nesterov" : "")" : "")
            + " decay \(decay)"
    }

    /// `784-64-64-10 relu/softmax dropout 0.1 init glorot_uniform`: layer sizes from `inputs` to `outputs`, the hidden
    /// and output activations, the dropout rate when a `Dropout` layer is built (only with hidden layers; see
    /// `makeModel`) and the kernel initializer. Without hidden layers: `784-10 softmax init glorot_uniform`.
    public func modelDescription(inputs: Int, outputs: Int) -> String {
        let sizes = ([inputs] + hidden + [outputs]).map(String.init).joined(separator: "-")
        let activations = hidden.isEmpty ? resolvedOutputActivation.rawValue
                                         : "\(activation.rawValue)/\(resolvedOutputActivation.rawValue)"
        let drop = !hidden.isEmpty && dropout > 0 ? " dropout \(dropout)" : ""
        return "\(sizes) \(activations)\(drop) init \(initializer.rawValue)"
    }

    /// The optimizer the plan names, with its learning rate, momentum, Nesterov flag and legacy decay.
    public func makeOptimizer() -> Optimizer {
        switch optimizerName {
        case "adam": return Adam(learningRate: learningRate, decay: decay)
        case "rmsprop": return RMSprop(learningRate: learningRate, decay: decay)
        case "adagrad": return Adagrad(learningRate: learningRate, decay: decay)
        default: return SGD(learningRate: learningRate, momentum: momentum, nesterov: nesterov, decay: decay)
        }
    }
}

import Foundation
import SafeIO
