import Foundation

/// Where training is.
public enum TrainingStatus: Sendable, Equatable {
    /// Loading data or building the model.
    case starting
    case running
    /// Blocked at a batch boundary by the user.
    case paused
    /// A stop was requested; the current batch and end-of-training callbacks are finishing.
    case stopping
    /// Training ended; the text says why ("completed 60 epochs", "stopped early by EarlyStopping at epoch 12", ...).
    case finished(String)
    /// The trainer threw; the text is the error.
    case failed(String)

    /// True when the trainer thread has nothing left to do.
    public var isTerminal: Bool {
        switch self {
        case .finished, .failed: return true
        default: return false
        }
    }
}

/// Something worth a mark on the charts and a line in the event list. Sources publish these typed (the trainer
/// maps each callback's `CallbackMessage.Kind`); nothing parses `message` back.
public struct TrainingEvent: Sendable, Equatable {
    /// What happened; the views choose marks and styles by kind.
    public enum Kind: String, Sendable {
        /// Paused / resumed by the user.
        case pause, resume
        /// A model file was written (manual, final, or ModelCheckpoint's).
        case checkpoint
        /// The user changed the learning rate (`+`, `-`, `l`).
        case learningRate = "lr_change"
        /// ReduceLROnPlateau cut the learning rate.
        case plateau
        /// A non-finite loss (a batch's, or TerminateOnNaN stopping training).
        case nan
        /// EarlyStopping ended training.
        case earlyStop = "early_stop"
        /// The user asked training to stop.
        case stop
        /// A note (e.g. best weights restored).
        case info
        /// Something the user should know; training goes on (e.g. a checkpoint could not be written).
        case warning
        /// Something failed and training stops (e.g. ModelCheckpoint could not write its file).
        case error
    }
    public var kind: Kind
    /// Epoch (0-based) during which it happened.
    public var epoch: Int
    /// Optimizer updates done when it happened.
    public var update: Int
    /// Seconds since training started.
    public var time: Double
    public var message: String

    public init(kind: Kind, epoch: Int, update: Int, time: Double, message: String) {
        self.kind = kind; self.epoch = epoch; self.update = update; self.time = time; self.message = message
    }
}

/// One grayscale training image for the digit preview.
public struct PreviewImage: Sendable, Equatable {
    public var label: Int
    public var name: String
    public var rows: Int
    public var cols: Int
    /// Row-major pixels, 0 = black, 255 = white.
    public var pixels: [UInt8]
    public init(label: Int, name: String, rows: Int, cols: Int, pixels: [UInt8]) {
        self.label = label; self.name = name; self.rows = rows; self.cols = cols; self.pixels = pixels
    }
}

/// Everything the dashboard shows, as one value copied out of the `TrainingChannel`. Series are `MetricSeries`
/// (chunked, cheap to copy).
///
/// Units: times in seconds, epochs and batches 0-based unless a name says otherwise; `update` counts optimizer steps.
/// Thread-safety: a value; safe to send between threads.
public struct TrainingSnapshot: Sendable {
    public var status: TrainingStatus = .starting
    /// A line describing the run (data, model, optimizer).
    public var title = ""
    public var dataDescription = ""
    public var modelDescription = ""
    public var optimizerDescription = ""
    /// Total epochs planned (`fit`'s `epochs`).
    public var epochs = 0
    /// Current epoch, 0-based (-1 before the first).
    public var epoch = -1
    /// Batches per epoch.
    public var stepsPerEpoch = 0
    /// Batches finished in the current epoch.
    public var batchesDone = 0
    /// Optimizer updates done.
    public var updates = 0
    /// Samples per training batch.
    public var batchSize = 0
    /// Seconds since training began (updated with each batch).
    public var elapsed = 0.0
    /// Training throughput over the recent batches, samples per second.
    public var samplesPerSecond = 0.0
    /// Learning rate the next update will use.
    public var learningRate = 0.0

    /// Per-update training loss (the batch's own loss) and the learning rate applied at that update.
    public var batchLoss = MetricSeries()
    public var batchLearningRate = MetricSeries()
    /// Per-epoch logs, keyed by Keras names (`loss`, `val_loss`, `accuracy`, `val_accuracy`, `learning_rate`, ...).
    public var epochMetrics: [String: [Double]] = [:]
    /// Planned learning rate (from the schedule and decay) starting at `plannedFromEpoch`: value `k` holds for epochs
    /// `from + k * stride ..< from + (k + 1) * stride`, with `stride = PlannedRates.stride(from:to: epochs)` (1 for runs
    /// up to `PlannedRates.maximumPoints` epochs).
    public var plannedLearningRate: [Double] = []
    public var plannedFromEpoch = 0
    /// The epoch-log keys the run will log (`loss`, `accuracy`, `val_mae`, ...), when known before the first epoch
    /// ends, so that the panels (`MetricPanels`) do not change after it; keys in `epochMetrics` are added to them.
    public var metricKeys: [String] = []
    /// Per metric (base name, `accuracy`), whether its best value is its lowest or highest (Keras 3's direction);
    /// metrics not listed: `loss` minimized, others shown without a best.
    public var metricGoals: [String: MetricGoal] = [:]
    /// A finished run read from its files (`trainboard replay`): nothing can be steered, so the steering keys
    /// (`p c s + - l`) are off and the hints say so, and no summary box covers the charts.
    public var isReadOnly = false

    /// EarlyStopping's state, when configured.
    public var monitor: String?
    public var bestEpoch: Int?
    public var bestValue: Double?
    public var patienceLeft: Int?
    public var patience: Int?

    /// The last checkpoint written.
    public var lastCheckpointPath: String?
    public var lastCheckpointEpoch: Int?

    public var events: [TrainingEvent] = []
    public var previews: [PreviewImage] = []
    /// Final summary lines, once finished.
    public var summary: [String] = []
    /// Process resource usage (filled by the UI side).
    public var cpuPercent: Double?
    public var rssMiB: Double?

    public init() {}

    /// Completed epochs (rows of the epoch table): the length of the `loss` log, else of the longest log.
    public var completedEpochs: Int { epochMetrics["loss"]?.count ?? epochMetrics.values.map(\.count).max() ?? 0 }

    /// Seconds left at the current pace, `nil` before the first batch.
    public var etaSeconds: Double? {
        guard samplesPerSecond > 0, stepsPerEpoch > 0, batchSize > 0, epoch >= 0 else { return nil }
        let remainingBatches = Double(max(0, (epochs - epoch - 1) * stepsPerEpoch + (stepsPerEpoch - batchesDone)))
        return remainingBatches * Double(batchSize) / samplesPerSecond
    }
}

/// The planned learning-rate curve is computed at chart resolution: at most `maximumPoints` values, each holding for
/// `stride` epochs, whatever the number of epochs (a run of 10^12 epochs would otherwise plan 8 TB of rates).
///
/// Thread-safety: stateless.
public enum PlannedRates {
    /// The most planned values computed (more than any chart has columns of braille dots).
    public static let maximumPoints = 1_024

    /// Epochs per planned value for the epochs `from ..< to` (at least 1).
    public static func stride(from: Int, to: Int) -> Int {
        let span = max(0, to - from)
        return max(1, span / maximumPoints + (span % maximumPoints == 0 ? 0 : 1))
    }
}
