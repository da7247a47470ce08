/// A note a callback left for the user (the dashboard's event log, the headless output), instead of printing.
/// `kind` says what happened in a form a UI can act on (a chart mark, the checkpoint line) without parsing `text`.
///
/// Thread-safety: a value; safe to send to another thread.
public struct CallbackMessage: Equatable, Sendable, CustomStringConvertible {
    /// How serious the note is.
    public enum Severity: String, Sendable {
        /// Something the callback did (e.g. "Epoch 4: early stopping").
        case info
        /// Something the user should know; training goes on (e.g. a schedule returned an invalid rate and was ignored).
        case warning
        /// Something failed; the callback set `model.stopTraining` (e.g. a checkpoint could not be written).
        case error
    }

    /// What happened (the callback that reports it in parentheses).
    public enum Kind: String, Sendable {
        /// Anything else (a configuration note, a schedule that returned an invalid rate).
        case note
        /// A model file was written (ModelCheckpoint; with `save_best_only`, because the monitor improved); the path
        /// is in `path`.
        case checkpointSaved = "checkpoint_saved"
        /// The learning rate was cut on a plateau (ReduceLROnPlateau); the new rate is in `learningRate`.
        case learningRateReduced = "lr_reduced"
        /// Training stops after this epoch because the monitor stopped improving (EarlyStopping).
        case earlyStopping = "early_stopping"
        /// The best epoch's weights were put back (EarlyStopping `restore_best_weights`).
        case weightsRestored = "weights_restored"
        /// A batch loss was NaN or infinite and training stops (TerminateOnNaN).
        case invalidLoss = "invalid_loss"
    }

    /// How serious the note is.
    public let severity: Severity
    /// What happened.
    public let kind: Kind
    /// The epoch (0-based) the note is about, when it is about one.
    public let epoch: Int?
    /// The text, one line, Keras wording where Keras has one.
    public let text: String
    /// The file written, for `.checkpointSaved`.
    public let path: String?
    /// The new learning rate, for `.learningRateReduced`.
    public let learningRate: Double?

    public init(_ severity: Severity, kind: Kind = .note, epoch: Int? = nil, _ text: String, path: String? = nil,
                learningRate: Double? = nil) {
        self.severity = severity
        self.kind = kind
        self.epoch = epoch
        self.text = text
        self.path = path
        self.learningRate = learningRate
    }

    public var description: String { "\(severity.rawValue): \(text)" }
}

/// Base class of callbacks that report what they do through `messages` (collected, never printed) and an optional
/// `onMessage` closure, called synchronously on the training thread as each message is recorded.
///
/// Thread-safety: not thread-safe; training thread only. `onMessage` runs on the training thread: forward to the
/// UI through a thread-safe channel.
open class ReportingCallback: Callback {
    /// Everything reported so far, oldest first (kept across `fit` calls).
    public private(set) var messages: [CallbackMessage] = []
    /// Called for each new message, on the training thread.
    public var onMessage: ((CallbackMessage) -> Void)?

    public override init() { super.init() }

    /// The texts of the `.warning` and `.error` messages.
    public var warnings: [String] { messages.filter { $0.severity != .info }.map(\.text) }
    /// The texts of the `.error` messages.
    public var errors: [String] { messages.filter { $0.severity == .error }.map(\.text) }

    /// Records a message and passes it to `onMessage`.
    public func report(_ severity: CallbackMessage.Severity, kind: CallbackMessage.Kind = .note, epoch: Int? = nil,
                       _ text: String, path: String? = nil, learningRate: Double? = nil) {
        let m = CallbackMessage(severity, kind: kind, epoch: epoch, text, path: path, learningRate: learningRate)
        messages.append(m)
        onMessage?(m)
    }

    /// Records an `.error` message and stops training after the current batch (`model.stopTraining = true`).
    /// Used where Keras would raise from inside `fit`, which a Swift callback hook cannot do.
    public func fail(kind: CallbackMessage.Kind = .note, epoch: Int? = nil, _ text: String) {
        report(.error, kind: kind, epoch: epoch, text)
        model?.stopTraining = true
    }
}
