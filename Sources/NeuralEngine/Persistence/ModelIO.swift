import Foundation
import SafeIO

/// What a saved model file holds besides the weights: the architecture, compile settings and where training was.
public struct ModelMetadata: Codable, Equatable, Sendable {
    /// Trainboard's format version of the file.
    public var formatVersion: Int = 1
    /// The epoch whose end produced this file (0-based), if saved during training.
    public var epoch: Int?
    /// Optimizer updates done when saved.
    public var iterations: Int?
    /// The epoch's logs at save time (Keras keys).
    public var logs: [String: Double]?
    /// Free-form note (e.g. "manual checkpoint", "ModelCheckpoint").
    public var reason: String?

    public init(epoch: Int? = nil, iterations: Int? = nil, logs: [String: Double]? = nil, reason: String? = nil) {
        self.epoch = epoch
        self.iterations = iterations
        self.logs = logs
        self.reason = reason
    }
}

/// Errors reading or writing model files.
public enum ModelIOError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unwritable(path: String, reason: String)

    /// The largest model file read (1 GiB: about 80 million weights as JSON text); larger files are refused before
    /// they are read.
    public static let maximumFileBytes = 1 << 30

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read model file: \(r)"
        case .malformed(let p, let r): return "\(p): not a valid model file: \(r)"
        case .unwritable(let p, let r): return "\(p): cannot write model file: \(r)"
        }
    }

    /// A one-line reason for a file-system `error`: the POSIX reason (`strerror`) when Foundation wraps one, else its
    /// `localizedDescription` — never the `Error Domain=... UserInfo={...}` dump.
    static func reason(_ error: Error) -> String {
        if error is EncodingError || error is DecodingError { return "\(error)" }
        let ns = error as NSError
        let posix = ns.domain == NSPOSIXErrorDomain ? ns
            : (ns.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? $0 : nil }
        if let posix { return String(cString: strerror(Int32(posix.code))) }
        return ns.localizedDescription
    }
}

struct SavedModel: Codable, Sendable {
    var format: String = "trainboard-model"
    var metadata: ModelMetadata
    var seed: UInt64
    var layers: [LayerConfig]
    var inputUnits: Int?
    var loss: Loss?
    var optimizer: String?
    var optimizerConfig: [String: Double]?
    var weights: [SavedTensor]
    /// Optimizer updates done (Keras `iterations`), when the optimizer's state was saved.
    var optimizerIterations: Int?
    /// The optimizer's slots per weight tensor, in Keras's order (SGD: momentum; Adam: momentum, velocity;
    /// RMSprop: velocity; Adagrad: accumulator); an empty list for a tensor whose slots were never created.
    var optimizerSlots: [[SavedTensor]]?
    /// Where training was, to resume it exactly (`.keras`: the `trainboard-state.json` member; `.tbmodel`: this key).
    var trainingState: TrainingState?
}

struct SavedTensor: Codable, Sendable {
    var name: String
    var shape: [Int]
    var values: [Float]
}

/// Everything a model file holds, copied out of a model at one moment: architecture, compile settings, metadata and
/// a copy of every weight. Taking it is a memory copy of the weights (about 2.7 MB, well under a millisecond, for
/// 784-512-512-10); encoding and writing it (`write(to:)`) is the slow part and may run on any thread while the model
/// trains on, which is how the dashboard's checkpoint key avoids stalling training (`CheckpointWriter`).
///
/// Thread-safety: a value; safe to send to another thread.
public struct ModelSnapshot: Sendable {
    var saved: SavedModel

    /// The metadata the file will carry.
    public var metadata: ModelMetadata { saved.metadata }

    /// The training state the snapshot carries (taken during `fit`), nil otherwise.
    public var trainingState: TrainingState? { saved.trainingState }

    /// A copy whose metadata is `metadata`.
    public func with(metadata: ModelMetadata) -> ModelSnapshot {
        var copy = self
        copy.saved.metadata = metadata
        return copy
    }

    /// The copied weights in Keras's order (`[inputs, units]` kernel, then `[1, units]` bias, per Dense), as
    /// `getWeights()` returned them when the snapshot was taken.
    public var weights: [Matrix] {
        saved.weights.map { Matrix(rows: $0.shape[0], cols: $0.shape[1], storage: $0.values) }
    }

    /// The file's bytes (JSON; NaN and infinite values as the strings `nan`, `inf`, `-inf`).
    /// - Throws: `EncodingError` (not expected for a snapshot of a built model).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        // Sorted keys: the same model state always gives the same bytes.
        encoder.outputFormatting = [.sortedKeys]
        // A diverged model (NaN/inf weights or logs) must still be saveable: write them as strings.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(saved)
    }

    /// The file's bytes in `format` (see `ModelFormat`).
    /// - Throws: `ModelIOError.unwritable`-worthy errors: `HDF5Error`, `EncodingError`, or a layout problem.
    public func encoded(as format: ModelFormat) throws -> [UInt8] { try saved.encoded(as: format) }

    /// Encodes the snapshot in the format of `path`'s extension (`ModelFormat.forWriting`: `.keras`, `.weights.h5`,
    /// `.h5`, `.json`, `.tbmodel`; any other extension gets `.keras`) and writes it to `path` with `SafeFile.write`: atomically for a regular file (temporary
    /// file in the same directory, fsync, rename, fsync of the directory: a reader never sees a partial file, and an
    /// existing file is replaced only by a complete one); a device (`/dev/null`) is written through and a symbolic link
    /// followed, never replaced. Creates missing parent directories.
    /// - Throws: `ModelIOError.unwritable` naming the path and the reason.
    public func write(to path: String) throws {
        let data: [UInt8]
        do { data = try saved.encoded(as: ModelFormat.forWriting(path)) } catch {
            throw ModelIOError.unwritable(path: path, reason: ModelIOError.reason(error))
        }
        do { try SafeFile.write(data, to: path, createDirectories: true) } catch let e as FileError {
            throw ModelIOError.unwritable(path: path, reason: e.reason)
        }
    }
}

extension Sequential {
    /// Copies what a model file needs (architecture, compile settings, weights) together with `metadata`.
    /// Cheap (one copy of the weights); call it on the training thread, between batches.
    public func snapshot(metadata: ModelMetadata = ModelMetadata()) -> ModelSnapshot {
        let ps = parameters
        var saved = SavedModel(metadata: metadata, seed: seed, layers: layerConfigs, inputUnits: inputUnits,
                               loss: loss, optimizer: optimizer?.name, optimizerConfig: optimizer?.config,
                               weights: ps.map { SavedTensor(name: $0.name, shape: [$0.rows, $0.cols],
                                                             values: $0.value.array(count: $0.count)) })
        if let opt = optimizer {
            saved.optimizerIterations = opt.iterations
            let names = Keras.optimizerNames(opt.name, config: opt.config)?.slots ?? []
            saved.optimizerSlots = ps.enumerated().map { i, p in
                guard opt.slots.indices.contains(i) else { return [] }
                return zip(opt.slots[i], names).map { b, n in
                    SavedTensor(name: p.name + "/" + n, shape: [p.rows, p.cols], values: b.array(count: p.count))
                }
            }
        }
        // During `fit`, everything a resumed run needs besides the weights and slots (see `TrainingState`).
        saved.trainingState = trainingState()
        return ModelSnapshot(saved: saved)
    }

    /// Writes the model (architecture, compile settings, weights, `metadata`) to `path` as `ModelSnapshot.write(to:)`
    /// does (atomic for regular files; devices and symbolic links kept). Synchronous: `snapshot(metadata:)` plus
    /// `ModelSnapshot.write(to:)`.
    /// Throws `ModelIOError.unwritable` naming the path.
    public func save(to path: String, metadata: ModelMetadata = ModelMetadata()) throws {
        try snapshot(metadata: metadata).write(to: path)
    }

    /// Reads a model file in any `ModelFormat` (by extension; an unknown extension by the file's first bytes) and
    /// rebuilds the layers and their weights (not compiled: call `compile`, e.g. with `ModelFile.makeOptimizer`).
    /// A weights-only file (`.weights.h5`, a legacy weights `.h5`) takes its architecture from the `.json` next to it
    /// (`model.h5` → `model.json`); a `.json` alone gives freshly initialised weights (seeded with the file's seed).
    /// Throws `ModelIOError` naming the file and what was wrong (a shape that does not fit names the layer, the
    /// expected and the found shape).
    public static func load(from path: String) throws -> (model: Sequential, metadata: ModelMetadata) {
        let file = try ModelFile.read(path)
        return (try file.makeModel(), file.metadata)
    }
}
