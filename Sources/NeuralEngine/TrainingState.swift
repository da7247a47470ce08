import Foundation

/// Everything besides the weights and the optimizer's slots that a run needs to continue exactly where it stopped
/// (`Sequential.trainingState()`, `Sequential.fit(_:...resume:)`). Stored in a `.keras` checkpoint as the extra member
/// `trainboard-state.json` (Keras ignores it); the weights and the optimizer's slots and update count stay where Keras
/// keeps them (`model.weights.h5`).
///
/// Position: a state is taken at a batch boundary of epoch `epoch` (0-based) after `batchesDone` of its batches, or
/// after the epoch's end (`epochEnded`: validation done, `onEpochEnd` running, e.g. from `ModelCheckpoint`). A resumed
/// `fit` continues at exactly that point: mid-epoch with the same (already shuffled) data order, the next batch, the
/// epoch's running loss and metric sums; after an epoch end at `epoch + 1`. The data order is kept whole (`order`)
/// because `fit` reshuffles the previous epoch's order each epoch.
///
/// Layout of `trainboard-state.json` (JSON, sorted keys; float arrays are base64 of little-endian float32, integer
/// arrays base64 of little-endian uint32; non-finite numbers are the strings `nan`, `inf`, `-inf`):
///
///     format "trainboard-state", formatVersion 1
///     epoch, batchesDone, epochEnded, shuffled      position (see above)
///     order                                         the data order of `epoch` (a permutation of the training rows)
///     lossSum, seen, metricSums, lastLearningRate   the epoch's running sums (mid-epoch)
///     iterations, learningRate                      optimizer updates done; its base learning rate (Double)
///     rng {init, shuffle, dropout}                  xoshiro256** states, 4 x uint64 each
///     history [{epoch, logs}]                       the completed epochs' logs (Keras History rows)
///     callbacks {name: {values, tensors}}           e.g. EarlyStopping {best, wait, bestEpoch} + best weights,
///                                                   ModelCheckpoint {best}, ReduceLROnPlateau {best, wait, cooldown},
///                                                   LearningRateScheduler {initialLearningRate}
///     plan {option: value}                          the application's run options (Trainboard: those a resume must keep)
///
/// Thread-safety: a value; safe to send between threads.
public struct TrainingState: Codable, Sendable, Equatable {
    public var format = "trainboard-state"
    public var formatVersion = 1
    /// The epoch the state was taken in (0-based).
    public var epoch: Int
    /// Batches of `epoch` done.
    public var batchesDone: Int
    /// True when `epoch` had ended (validation done): a resume starts at `epoch + 1`.
    public var epochEnded: Bool
    /// True when `order` is already shuffled for `epoch`.
    public var shuffled: Bool
    /// The training rows' order for `epoch`.
    public var order: PackedInts
    public var lossSum: Double
    public var seen: Int
    public var metricSums: [Double]
    /// The learning rate of the epoch's last update so far.
    public var lastLearningRate: Double
    /// Optimizer updates done (Keras `iterations`).
    public var iterations: Int
    /// The optimizer's base learning rate (after schedules, plateau cuts and manual changes).
    public var learningRate: Double
    /// xoshiro256** states of the `init`, `shuffle` and `dropout` streams.
    public var rng: [String: [UInt64]]
    /// Completed epochs' logs, in order.
    public var history: [EpochRecord]
    /// Each stateful callback's state, by `Callback.stateKey`.
    public var callbacks: [String: CallbackState]
    /// Options of the application that ran the training (opaque to the engine).
    public var plan: [String: String]

    /// The largest epoch, batch, update or sample count a state may hold (2^48: far beyond any run, and no
    /// arithmetic on it overflows).
    public static let maximumCount = 1 << 48

    /// Checks the counts and the format. Throws `ModelError.invalidArgument` naming the field that is out of range.
    public func validate() throws {
        guard format == "trainboard-state", formatVersion == 1 else {
            throw ModelError.invalidArgument("not a Trainboard training state of format version 1 (format \(format), version \(formatVersion))")
        }
        for (name, v) in [("epoch", epoch), ("batchesDone", batchesDone), ("iterations", iterations), ("seen", seen)]
        where v < 0 || v > Self.maximumCount {
            throw ModelError.invalidArgument("training state: \(name) \(v) is outside 0...\(Self.maximumCount)")
        }
        for r in history where r.epoch < 0 || r.epoch > Self.maximumCount {
            throw ModelError.invalidArgument("training state: history epoch \(r.epoch) is outside 0...\(Self.maximumCount)")
        }
    }

    /// The epoch a resumed `fit` starts in: `epoch + 1` after an epoch end, else `epoch` (mid-epoch).
    public var resumeEpoch: Int { epochEnded ? epoch + 1 : epoch }

    /// True when the state lies inside an epoch (a resume continues that epoch's batches).
    public var isMidEpoch: Bool { !epochEnded }
}

/// One epoch's logs in `TrainingState.history`.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var logs: [String: Double]
    public init(epoch: Int, logs: [String: Double]) { self.epoch = epoch; self.logs = logs }

    /// Equality that treats NaN as equal to NaN (history logs may hold NaN).
    public static func == (a: EpochRecord, b: EpochRecord) -> Bool {
        a.epoch == b.epoch && a.logs.count == b.logs.count
            && a.logs.allSatisfy { k, v in b.logs[k].map { $0 == v || ($0.isNaN && v.isNaN) } ?? false }
    }
}

/// A callback's saved state: named numbers and optional tensors (EarlyStopping's best weights).
public struct CallbackState: Codable, Sendable, Equatable {
    public var values: [String: Double]
    public var tensors: [PackedTensor]?
    public init(values: [String: Double] = [:], tensors: [PackedTensor]? = nil) {
        self.values = values
        self.tensors = tensors
    }
}

/// A `[rows, cols]` float32 tensor stored compactly.
public struct PackedTensor: Codable, Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    public var values: PackedFloats
    public init(_ m: Matrix) { rows = m.rows; cols = m.cols; values = PackedFloats(m.storage) }
    /// The matrix. Throws `ModelError.invalidArgument` when the value count does not match the shape.
    public func matrix() throws -> Matrix {
        let (n, o) = rows.multipliedReportingOverflow(by: cols)
        guard rows >= 0, cols >= 0, !o, n == values.values.count else {
            throw ModelError.invalidArgument("a saved tensor has \(values.values.count) values for shape [\(rows), \(cols)]")
        }
        return Matrix(rows: rows, cols: cols, storage: values.values)
    }
}

/// Float32 values, encoded as base64 of their little-endian bytes (bit-exact, NaN payloads included).
public struct PackedFloats: Codable, Sendable, Equatable {
    public var values: [Float]
    public init(_ values: [Float]) { self.values = values }
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not base64 float32 data"))
        }
        values = stride(from: 0, to: data.count, by: 4).map { i in
            Float(bitPattern: UInt32(data[data.startIndex + i]) | UInt32(data[data.startIndex + i + 1]) << 8
                  | UInt32(data[data.startIndex + i + 2]) << 16 | UInt32(data[data.startIndex + i + 3]) << 24)
        }
    }
    public func encode(to encoder: Encoder) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for v in values {
            let b = v.bitPattern
            bytes += [UInt8(b & 0xFF), UInt8(b >> 8 & 0xFF), UInt8(b >> 16 & 0xFF), UInt8(b >> 24)]
        }
        var c = encoder.singleValueContainer()
        try c.encode(Data(bytes).base64EncodedString())
    }
    public static func == (a: PackedFloats, b: PackedFloats) -> Bool {
        a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
    }
}

/// Non-negative integers below 2^32, encoded as base64 of little-endian uint32.
public struct PackedInts: Codable, Sendable, Equatable {
    public var values: [Int]
    public init(_ values: [Int]) { self.values = values }
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not base64 uint32 data"))
        }
        values = stride(from: 0, to: data.count, by: 4).map { i in
            Int(UInt32(data[data.startIndex + i]) | UInt32(data[data.startIndex + i + 1]) << 8
                | UInt32(data[data.startIndex + i + 2]) << 16 | UInt32(data[data.startIndex + i + 3]) << 24)
        }
    }
    public func encode(to encoder: Encoder) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for v in values {
            let b = UInt32(truncatingIfNeeded: v)
            bytes += [UInt8(b & 0xFF), UInt8(b >> 8 & 0xFF), UInt8(b >> 16 & 0xFF), UInt8(b >> 24)]
        }
        var c = encoder.singleValueContainer()
        try c.encode(Data(bytes).base64EncodedString())
    }
}

/// A callback whose state a checkpoint keeps so that a resumed run behaves as if it had never stopped.
///
/// `fit` gives every callback a `stateKey` (its class name, `#2`, `#3`... for repeats) before `onTrainBegin`;
/// `Sequential.trainingState()` collects `captureState()` of each; a resumed `fit` calls `restoreState(_:)` right after
/// the callbacks' `onTrainBegin` (which resets them).
///
/// Thread-safety: training thread only, as callbacks.
public protocol ResumableCallback: AnyObject {
    /// The state to keep.
    func captureState() -> CallbackState
    /// Restores a state `captureState` returned. Throws `ModelError.invalidArgument` when it does not fit (e.g. best
    /// weights of another shape).
    func restoreState(_ state: CallbackState) throws
}

extension SeededGenerator {
    /// The generator's 256-bit state (4 words), to save and restore (`init(state:)`).
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator continuing from a saved `state`. Returns nil unless `state` has 4 words, not all zero (an all-zero
    /// xoshiro state is invalid).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        self.init(seed: 0)
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3]
    }
}
