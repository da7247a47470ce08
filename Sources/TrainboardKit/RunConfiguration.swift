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
/// Thread-safety: a value; safe to send between threads.
public struct RunConfiguration: Codable, Equatable, Sendable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case data, epochs, batchSize = "batch-size", hidden, dropout, activation
        case outputActivation = "output-activation", `init`, loss, optimizer, lr, momentum, decay, nesterov, schedule
        case earlyStopping = "early-stopping", reduceLrOnPlateau = "reduce-lr-on-plateau", checkpoint
        case saveBestOnly = "save-best-only", monitor, csvLog = "csv-log", logJsonl = "log-jsonl"
        case validationSplit = "validation-split", maxSamples = "max-samples", seed, headless, theme, journal
        case replayJournal = "replay-journal", terminateOnNan = "terminate-on-nan", exitWhenDone = "exit-when-done"
        case labelColumn = "label-column", dropMissing = "drop-missing", rescale, normalize
        case memoryLimit = "memory-limit", charts, from, resume
    }

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

    /// One key: its name, the kind of value it takes and where the value lives.
    public struct Field {
        public let key: String
        public let kind: ValueKind
        /// Whether `config` has a value for this key.
        public let isSet: (RunConfiguration) -> Bool
        /// Takes the value from `source` when `target` has none (see `over`).
        let fill: (inout RunConfiguration, RunConfiguration) -> Void
        /// Stores `value` (of the field's type, or nil) into `config`; false when `value` has another type.
        let store: (inout RunConfiguration, Any?) -> Bool

        init<T>(_ key: CodingKeys, _ kind: ValueKind, _ kp: WritableKeyPath<RunConfiguration, T?>) {
            self.key = key.rawValue
            self.kind = kind
            isSet = { $0[keyPath: kp] != nil }
            fill = { target, source in if target[keyPath: kp] == nil { target[keyPath: kp] = source[keyPath: kp] } }
            store = { config, value in
                if value == nil { config[keyPath: kp] = nil; return true }
                guard let v = value as? T else { return false }
                config[keyPath: kp] = v
                return true
            }
        }

        /// Stores `value` (an `Int`, `Double`, `Bool`, `UInt64` or `String` matching `kind`, or nil for "not set").
        /// Returns false, leaving `config` alone, when the value has another type.
        public func set(_ value: Any?, in config: inout RunConfiguration) -> Bool { store(&config, value) }
    }

    /// Every key, in `CodingKeys` order (the order of `--help`).
    public static var fields: [Field] {
        [Field(.data, .text, \.data), Field(.epochs, .wholeNumber, \.epochs), Field(.batchSize, .wholeNumber, \.batchSize),
         Field(.hidden, .text, \.hidden), Field(.dropout, .number, \.dropout), Field(.activation, .text, \.activation),
         Field(.outputActivation, .text, \.outputActivation), Field(.`init`, .text, \.`init`),
         Field(.loss, .text, \.loss), Field(.optimizer, .text, \.optimizer), Field(.lr, .number, \.lr),
         Field(.momentum, .number, \.momentum), Field(.decay, .number, \.decay), Field(.nesterov, .boolean, \.nesterov),
         Field(.schedule, .text, \.schedule), Field(.earlyStopping, .text, \.earlyStopping),
         Field(.reduceLrOnPlateau, .text, \.reduceLrOnPlateau), Field(.checkpoint, .text, \.checkpoint),
         Field(.saveBestOnly, .boolean, \.saveBestOnly), Field(.monitor, .text, \.monitor),
         Field(.csvLog, .text, \.csvLog), Field(.logJsonl, .text, \.logJsonl),
         Field(.validationSplit, .number, \.validationSplit), Field(.maxSamples, .wholeNumber, \.maxSamples),
         Field(.seed, .seed, \.seed), Field(.headless, .boolean, \.headless), Field(.theme, .text, \.theme),
         Field(.journal, .text, \.journal), Field(.replayJournal, .text, \.replayJournal),
         Field(.terminateOnNan, .boolean, \.terminateOnNan), Field(.exitWhenDone, .boolean, \.exitWhenDone),
         Field(.labelColumn, .text, \.labelColumn), Field(.dropMissing, .boolean, \.dropMissing),
         Field(.rescale, .number, \.rescale), Field(.normalize, .boolean, \.normalize),
         Field(.memoryLimit, .text, \.memoryLimit), Field(.charts, .text, \.charts), Field(.from, .text, \.from),
         Field(.resume, .text, \.resume)]
    }

    /// The field named `key` (a flag name without `--`), or nil.
    public static func field(_ key: String) -> Field? { fields.first { $0.key == key } }

    public init() {}

    /// The tutorial's defaults.
    public static let defaults: RunConfiguration = {
        var c = RunConfiguration()
        c.data = "fashion-mnist"; c.epochs = 60; c.batchSize = 128; c.hidden = "64,64"; c.dropout = 0.1
        c.activation = "relu"; c.outputActivation = nil; c.`init` = "glorot_uniform"; c.loss = "categorical_crossentropy"
        c.optimizer = "sgd"; c.lr = nil; c.momentum = 0.8; c.decay = nil; c.nesterov = false
        c.validationSplit = 0; c.seed = 1; c.headless = false; c.saveBestOnly = false; c.monitor = "val_loss"
        c.terminateOnNan = true; c.exitWhenDone = false
        return c
    }()

    /// `self` with every field that is nil taken from `base`.
    public func over(_ base: RunConfiguration) -> RunConfiguration {
        var r = self
        for f in Self.fields { f.fill(&r, base) }
        return r
    }

    /// The YAML/flag key names, for error messages and `--help`.
    public static var keyNames: [String] { CodingKeys.allCases.map(\.rawValue) }
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

    /// Validates `config` (defaults applied underneath). Throws `ConfigurationError` naming the first bad key.
    public init(_ config: RunConfiguration) throws {
        let c = config.over(.defaults)
        dataSpec = c.data ?? "fashion-mnist"
        epochs = c.epochs ?? 60
        guard epochs >= 1 else { throw ConfigurationError(key: "epochs", "must be at least 1, got \(epochs)") }
        batchSize = c.batchSize ?? 128
        guard batchSize >= 1 else { throw ConfigurationError(key: "batch-size", "must be at least 1, got \(batchSize)") }
        let hiddenText = (c.hidden ?? "64,64").trimmingCharacters(in: .whitespaces)
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
        dropout = c.dropout ?? 0.1
        guard dropout >= 0 && dropout < 1 else { throw ConfigurationError(key: "dropout", "must be in [0, 1), got \(dropout)") }
        guard let act = Activation(name: c.activation ?? "relu") else {
            throw ConfigurationError(key: "activation", "unknown activation '\(c.activation ?? "")'; expected one of \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        activation = act
        if let o = c.outputActivation {
            guard let oa = Activation(name: o) else {
                throw ConfigurationError(key: "output-activation", "unknown activation '\(o)'; expected one of \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            outputActivation = oa
        } else { outputActivation = nil }
        guard let ini = Initializer(name: c.`init` ?? "glorot_uniform") else {
            throw ConfigurationError(key: "init", "unknown initializer '\(c.`init` ?? "")'; expected one of \(Initializer.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        initializer = ini
        guard let l = Loss(name: c.loss ?? "categorical_crossentropy") else {
            throw ConfigurationError(key: "loss", "unknown loss '\(c.loss ?? "")'; expected one of \(Loss.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        loss = l
        let opt = (c.optimizer ?? "sgd").lowercased()
        guard ["sgd", "adam", "rmsprop", "adagrad"].contains(opt) else {
            throw ConfigurationError(key: "optimizer", "unknown optimizer '\(opt)'; expected sgd, adam, rmsprop or adagrad")
        }
        optimizerName = opt
        learningRate = c.lr ?? (opt == "sgd" ? 0.1 : 0.001)
        // 0 is allowed, as in Keras: the weights stay frozen (a useful check that nothing else changes them).
        guard learningRate >= 0 && learningRate.isFinite else {
            throw ConfigurationError(key: "lr", "must be >= 0 and finite (0 freezes the weights), got \(learningRate)")
        }
        momentum = c.momentum ?? 0.8
        guard momentum >= 0 && momentum < 1 else { throw ConfigurationError(key: "momentum", "must be in [0, 1), got \(momentum)") }
        decay = c.decay ?? (opt == "sgd" ? 0.0016 : 0)
        guard decay >= 0 && decay.isFinite else { throw ConfigurationError(key: "decay", "must be >= 0, got \(decay)") }
        nesterov = c.nesterov ?? false
        scheduleSpec = c.schedule
        earlyStoppingSpec = c.earlyStopping
        reduceLROnPlateauSpec = c.reduceLrOnPlateau
        checkpoint = c.checkpoint
        saveBestOnly = c.saveBestOnly ?? false
        monitor = c.monitor ?? "val_loss"
        csvLog = c.csvLog
        logJSONL = c.logJsonl
        validationSplit = c.validationSplit ?? 0
        guard validationSplit >= 0 && validationSplit < 1 else {
            throw ConfigurationError(key: "validation-split", "must be in [0, 1), got \(validationSplit)")
        }
        maxSamples = c.maxSamples
        if let m = maxSamples, m < 1 { throw ConfigurationError(key: "max-samples", "must be at least 1, got \(m)") }
        seed = c.seed ?? 1
        headless = c.headless ?? false
        theme = c.theme
        journal = c.journal
        replayJournal = c.replayJournal
        terminateOnNaN = c.terminateOnNan ?? true
        exitWhenDone = c.exitWhenDone ?? false
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
        dropMissing = c.dropMissing ?? false
        rescale = c.rescale
        if let f = rescale, !(f.isFinite && f != 0) {
            throw ConfigurationError(key: "rescale", "must be a finite non-zero factor (features become value * factor, e.g. 0.00392156862745098 = 1/255), got \(f)")
        }
        normalize = c.normalize ?? false
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
