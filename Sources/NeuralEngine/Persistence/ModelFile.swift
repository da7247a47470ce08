import Foundation
import SafeIO

/// A model file's contents in memory, in any `ModelFormat`: architecture, compile settings (loss, optimizer and its
/// hyper-parameters), weights, optimizer state when saved, and Trainboard's metadata. Used to convert between formats
/// (`trainboard convert`) and to rebuild a model (`makeModel`).
///
/// Thread-safety: a value; safe to send between threads.
public struct ModelFile: Sendable {
    var saved: SavedModel
    /// The file's format (from its extension, else its first bytes).
    public let format: ModelFormat

    /// Trainboard's metadata (epoch, updates, logs) when the file has it, else empty.
    public var metadata: ModelMetadata { saved.metadata }
    /// The loss the model was compiled with, when the file says (Keras's `compile_config` / `training_config`).
    public var loss: Loss? { saved.loss }
    /// Keras's optimizer class name (`SGD`, `Adam`, `RMSprop`, `Adagrad`), when the file has one Trainboard knows.
    public var optimizerName: String? { saved.optimizer }
    /// The optimizer's hyper-parameters (Keras names: `learning_rate`, `decay`, `momentum`, ...).
    public var optimizerConfig: [String: Double] { saved.optimizerConfig ?? [:] }
    /// Whether the file holds weights (a `.json` architecture does not).
    public var hasWeights: Bool { !saved.weights.isEmpty }
    /// The layers' configurations, in order.
    public var layers: [LayerConfig] { saved.layers }
    /// Features per input sample, when known.
    public var inputUnits: Int? { saved.resolvedInputUnits }
    /// Outputs per sample (the last Dense layer's units).
    public var outputUnits: Int? { saved.layers.last(where: { $0.className == "Dense" })?.units }
    /// Where training was when the file was written during `fit` (a `.keras` or `.tbmodel` checkpoint); nil for
    /// files written outside training or in formats without it (`.h5`, `.weights.h5`, `.json`).
    public var trainingState: TrainingState? { saved.trainingState }
    /// Optimizer updates done when saved, if the optimizer's state was saved.
    public var optimizerIterations: Int? { saved.optimizerIterations }

    /// Reads `path` (at most `ModelIOError.maximumFileBytes`, regular files only) in the format its extension names,
    /// or the one its first bytes show. Weights-only HDF5 files take their architecture from the `.json` with the
    /// same stem (`model.h5` / `model.weights.h5` → `model.json`).
    /// - Throws: `ModelIOError.unreadable` (cannot read: missing, a FIFO, too large) or `.malformed` (naming what is
    ///   wrong: a missing member or group, a layer shape that does not fit, bad JSON, an unsupported layer).
    public static func read(_ path: String) throws -> ModelFile {
        let bytes: [UInt8]
        do { bytes = try SafeFile.read(path, limit: ModelIOError.maximumFileBytes) } catch let e as FileError {
            throw ModelIOError.unreadable(path: path, reason: e.reason)
        }
        guard let format = ModelFormat(path: path) ?? ModelFormat.sniff(bytes) else {
            throw ModelIOError.malformed(path: path, reason: "neither a Keras file (zip or HDF5) nor a JSON model; known extensions: \(ModelFormat.knownExtensions)")
        }
        do {
            return ModelFile(saved: try decode(bytes, format: format, path: path), format: format)
        } catch let e as ModelIOError {
            throw e
        } catch let e as ModelFormatError {
            throw ModelIOError.malformed(path: path, reason: e.message)
        } catch let e as HDF5Error {
            throw ModelIOError.malformed(path: path, reason: "HDF5: \(e.message)")
        } catch let e as ModelError {
            throw ModelIOError.malformed(path: path, reason: e.description)
        } catch {
            throw ModelIOError.malformed(path: path, reason: "\(error)")
        }
    }

    private static func decode(_ bytes: [UInt8], format: ModelFormat, path: String) throws -> SavedModel {
        let sibling = { () throws -> SavedModel in
            let json = SafeFileName.stem(path) + ".json"
            guard FileManager.default.fileExists(atPath: json) else {
                throw ModelFormatError("the file holds weights only; its architecture must be next to it as \(json) (Keras's model.to_json())")
            }
            let arch = try ModelFile.read(json)
            guard arch.format == .json else { throw ModelFormatError("\(json) is not an architecture JSON file") }
            return arch.saved
        }
        switch format {
        case .keras:
            guard bytes.starts(with: [0x50, 0x4B]) else { throw ModelFormatError("not a zip archive (a .keras file is one)") }
            return try KerasReader.readArchive(path: path, limit: ModelIOError.maximumFileBytes)
        case .h5, .weightsH5:
            guard bytes.starts(with: [0x89, 0x48, 0x44, 0x46]) else { throw ModelFormatError("not an HDF5 file (no HDF5 signature)") }
            return try KerasReader.readHDF5(bytes, architecture: sibling)
        case .json:
            let r = try JSONReader.parse(bytes, what: "the architecture JSON")
            if r["format"].stringOrNil == "trainboard-model" { return try decodeTrainboard(bytes) }
            var saved = try KerasReader.architecture(r)
            _ = try KerasReader.expectedTensors(saved)
            saved.weights = []
            return saved
        case .tbmodel: return try decodeTrainboard(bytes)
        }
    }

    private static func decodeTrainboard(_ bytes: [UInt8]) throws -> SavedModel {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let saved: SavedModel
        do { saved = try decoder.decode(SavedModel.self, from: Data(bytes)) } catch {
            throw ModelFormatError("\(error)")
        }
        guard saved.layers.count <= KerasReader.maximumLayers else { throw ModelFormatError("\(saved.layers.count) layers") }
        for t in saved.weights {
            guard t.shape.count == 2, t.shape.allSatisfy({ $0 >= 0 }), t.shape[0].multipliedReportingOverflow(by: t.shape[1]) == (t.values.count, false) else {
                throw ModelFormatError("tensor \(t.name) has \(t.values.count) values for shape \(t.shape)")
            }
        }
        guard let first = saved.weights.first, first.shape.count == 2 else { throw ModelFormatError("no weights") }
        try saved.trainingState?.validate()
        return saved
    }

    /// Writes the model to `path` in the format of its extension (`ModelFormat.forWriting`), atomically
    /// (`SafeFile.write`).
    /// - Throws: `ModelIOError.unwritable` naming the path.
    public func write(to path: String) throws {
        try ModelSnapshot(saved: saved).write(to: path)
    }

    /// A copy whose Trainboard metadata is `metadata`.
    public func with(metadata: ModelMetadata) -> ModelFile {
        var copy = self
        copy.saved.metadata = metadata
        return copy
    }

    /// Rebuilds the model: its layers, built for the saved input width, with the saved weights (or, for an
    /// architecture without weights, weights initialised from `seed`, default the file's). Not compiled.
    /// - Throws: `ModelError` when the weights do not fit the layers (naming the tensor, expected and found shapes),
    ///   or the architecture has no input width.
    public func makeModel(seed: UInt64? = nil) throws -> Sequential {
        let model = Sequential(try saved.layers.map { try $0.makeLayer() }, seed: seed ?? saved.seed)
        guard let input = saved.resolvedInputUnits else {
            throw ModelError.invalidArgument("the model file does not give the input width")
        }
        try model.build(inputUnits: input)
        if !saved.weights.isEmpty {
            try model.setWeights(saved.weights.map { t in
                Matrix(rows: t.shape.count == 2 ? t.shape[0] : 1, cols: t.shape.last ?? 0, storage: t.values)
            })
        }
        return model
    }

    /// Rebuilds the model to continue training exactly: its layers and weights, compiled with `optimizer` (which must
    /// be of the file's optimizer class) and `loss`, with the optimizer's slots from the file. The training state
    /// (update count, base rate, random streams, position, callbacks) is returned, for `fit(..., resume:)`.
    /// - Throws: `ModelError.invalidArgument` when the file holds no training state (saved outside training, or a
    ///   format without it), names another optimizer, or lacks the optimizer's slots; `ModelError` for weights that
    ///   do not fit.
    public func makeResumableModel(optimizer: Optimizer, loss: Loss) throws -> (model: Sequential, state: TrainingState) {
        guard let state = saved.trainingState else {
            throw ModelError.invalidArgument("the file holds no training state (only .keras and .tbmodel checkpoints written during training can resume a run)")
        }
        guard saved.optimizer == optimizer.name else {
            throw ModelError.invalidArgument("the checkpoint was trained with \(saved.optimizer ?? "no optimizer"), this run uses \(optimizer.name)")
        }
        guard hasWeights else { throw ModelError.invalidArgument("the file holds no weights") }
        let model = try makeModel()
        model.compile(optimizer: optimizer, loss: loss)
        let buffers = Keras.optimizerNames(optimizer.name, config: optimizer.config)?.slots.count ?? 0
        if buffers > 0 {
            guard let slots = saved.optimizerSlots else {
                throw ModelError.invalidArgument("the file has no \(optimizer.name) state (optimizer/vars in model.weights.h5)")
            }
            try optimizer.setSlots(slots.map { $0.map(\.values) }, for: model.parameters, buffersPerParameter: buffers)
        }
        return (model, state)
    }

    /// A fresh optimizer (no slots, zero updates) with the file's class and hyper-parameters, or nil when the file
    /// names none Trainboard knows.
    public func makeOptimizer() -> Optimizer? {
        let c = optimizerConfig
        let lr = c["learning_rate"], decay = c["decay"] ?? 0
        switch saved.optimizer {
        case "SGD": return SGD(learningRate: lr ?? 0.01, momentum: c["momentum"] ?? 0, nesterov: (c["nesterov"] ?? 0) != 0, decay: decay)
        case "Adam": return Adam(learningRate: lr ?? 0.001, beta1: c["beta_1"] ?? 0.9, beta2: c["beta_2"] ?? 0.999,
                                 epsilon: c["epsilon"] ?? 1e-7, decay: decay)
        case "RMSprop": return RMSprop(learningRate: lr ?? 0.001, rho: c["rho"] ?? 0.9, epsilon: c["epsilon"] ?? 1e-7, decay: decay)
        case "Adagrad": return Adagrad(learningRate: lr ?? 0.001, initialAccumulatorValue: c["initial_accumulator_value"] ?? 0.1,
                                       epsilon: c["epsilon"] ?? 1e-7, decay: decay)
        default: return nil
        }
    }

    /// One line: "784-64-Dropout(0.1)-64-10 (relu, softmax); loss categorical_crossentropy; SGD lr 0.1".
    public var summary: String {
        var parts: [String] = [inputUnits.map(String.init) ?? "?"]
        var acts: [String] = []
        for l in saved.layers {
            if l.className == "Dense" {
                parts.append("\(l.units ?? 0)")
                let a = (l.activation ?? .linear).rawValue
                if acts.last != a { acts.append(a) }
            } else { parts.append("Dropout(\(l.rate ?? 0))") }
        }
        var s = parts.joined(separator: "-") + " (" + acts.joined(separator: ", ") + ")"
        if let loss { s += "; loss \(loss.rawValue)" }
        if let o = saved.optimizer { s += "; \(o) lr \(optimizerConfig["learning_rate"].map { "\($0)" } ?? "?")" }
        return s
    }
}
