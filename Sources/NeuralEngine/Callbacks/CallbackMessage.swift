/// A note a callback left for the user (the dashboard's event log, the headless output), instead of printing.
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

    /// How serious the note is.
    public let severity: Severity
    /// The epoch (0-based) the note is about, when it is about one.
    public let epoch: Int?
    /// The text, one line, Keras wording where Keras has one.
    public let text: String

    public init(_ severity: Severity, epoch: Int? = nil, _ text: String) {
        self.severity = severity
        self.epoch = epoch
        self.text = text
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
    public func report(_ severity: CallbackMessage.Severity, epoch: Int? = nil, _ text: String) {
        let m = CallbackMessage(severity, epoch: epoch, text)
        messages.append(m)
        onMessage?(m)
    }

    /// Records an `.error` message and stops training after the current batch (`model.stopTraining = true`).
    /// Used where Keras would raise from inside `fit`, which a Swift callback hook cannot do.
    public func fail(epoch: Int? = nil, _ text: String) {
        report(.error, epoch: epoch, text)
        model?.stopTraining = true
    }
}
