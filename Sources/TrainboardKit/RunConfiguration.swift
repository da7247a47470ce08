import NeuralEngine

/// Everything one training run needs, resolved from defaults, a YAML config file and command-line flags (flags win).
/// Keys are the command-line flag names without `--` (kebab-case), in the YAML file as on the command line.
///
/// Defaults are the Keras tutorial's: 784-64-Dropout(0.1)-64-10, `relu` hidden layers with `uniform` kernels, softmax
/// output, categorical cross-entropy, SGD learning rate 0.1, momentum 0.8, legacy decay 0.0016 (= 0.1 / 60 epochs),
/// batch 128, 60 epochs, validation on the test split, seed 1.
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case data, epochs, batchSize = "batch-size", hidden, dropout, activation
        case outputActivation = "output-activation", `init`, loss, optimizer, lr, momentum, decay, nesterov, schedule
        case earlyStopping = "early-stopping", reduceLrOnPlateau = "reduce-lr-on-plateau", checkpoint
        case saveBestOnly = "save-best-only", monitor, csvLog = "csv-log", logJsonl = "log-jsonl"
        case validationSplit = "validation-split", maxSamples = "max-samples", seed, headless, theme, journal
        case replayJournal = "replay-journal", terminateOnNan = "terminate-on-nan"
    }

    public init() {}

    /// The tutorial's defaults.
    public static let defaults: RunConfiguration = {
        var c = RunConfiguration()
        c.data = "fashion-mnist"; c.epochs = 60; c.batchSize = 128; c.hidden = "64,64"; c.dropout = 0.1
        c.activation = "relu"; c.outputActivation = nil; c.`init` = "uniform"; c.loss = "categorical_crossentropy"
        c.optimizer = "sgd"; c.lr = nil; c.momentum = 0.8; c.decay = 0.0016; c.nesterov = false
        c.validationSplit = 0; c.seed = 1; c.headless = false; c.saveBestOnly = false; c.monitor = "val_loss"
        c.terminateOnNan = true
        return c
    }()

    /// `self` with every field that is nil taken from `base`.
    public func over(_ base: RunConfiguration) -> RunConfiguration {
        var r = self
        func pick<T>(_ kp: WritableKeyPath<RunConfiguration, T?>) { if r[keyPath: kp] == nil { r[keyPath: kp] = base[keyPath: kp] } }
        pick(\.data); pick(\.epochs); pick(\.batchSize); pick(\.hidden); pick(\.dropout); pick(\.activation)
        pick(\.outputActivation); pick(\.`init`); pick(\.loss); pick(\.optimizer); pick(\.lr); pick(\.momentum)
        pick(\.decay); pick(\.nesterov); pick(\.schedule); pick(\.earlyStopping); pick(\.reduceLrOnPlateau)
        pick(\.checkpoint); pick(\.saveBestOnly); pick(\.monitor); pick(\.csvLog); pick(\.logJsonl)
        pick(\.validationSplit); pick(\.maxSamples); pick(\.seed); pick(\.headless); pick(\.theme); pick(\.journal)
        pick(\.replayJournal); pick(\.terminateOnNan)
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
    public init(key: String, _ message: String) { self.key = key; self.message = message }
    public var description: String { "--\(key): \(message)" }
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
            hidden = try hiddenText.split(separator: ",").map { part in
                let t = part.trimmingCharacters(in: .whitespaces)
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
        guard let ini = Initializer(name: c.`init` ?? "uniform") else {
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
        guard learningRate > 0 && learningRate.isFinite else { throw ConfigurationError(key: "lr", "must be a positive number, got \(learningRate)") }
        momentum = c.momentum ?? 0.8
        guard momentum >= 0 && momentum < 1 else { throw ConfigurationError(key: "momentum", "must be in [0, 1), got \(momentum)") }
        decay = c.decay ?? 0.0016
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
