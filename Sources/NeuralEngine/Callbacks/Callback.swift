/// Base class of training callbacks, with Keras's hooks (`keras.callbacks.Callback`). Every hook is a no-op by default;
/// subclasses override the ones they need.
///
/// Epochs and batches are 0-based, as in Keras. Batch hooks receive the batch index within the epoch.
/// `onEpochEnd` takes the logs `inout`: a callback may add keys, and callbacks later in the list see them. `History`
/// runs last. `fit` already logs `learning_rate` (the rate of the epoch's last update), so Trainboard's
/// `LearningRateScheduler` and `ReduceLROnPlateau` do not write it (Keras's do, with the rate used in the epoch).
///
/// Thread-safety: not thread-safe. A callback is created, used and discarded on the training thread.
open class Callback {
    /// The model being trained; set by `Sequential.fit` before `onTrainBegin`.
    public internal(set) weak var model: Sequential?
    /// The name this callback's state has in a checkpoint's `TrainingState.callbacks` (set by `fit`: the class name,
    /// with `#2`, `#3`, ... for later callbacks of the same class).
    public internal(set) var stateKey = ""

    public init() {}

    /// Called by `fit` before `onTrainBegin`. Override to inspect the model; call `super`.
    open func setModel(_ model: Sequential) { self.model = model }

    /// Ends `fit` with `error`, as an exception raised from a Keras callback hook does (a Swift hook cannot throw):
    /// the callbacks after this one in the current hook are skipped, `fit` throws `error` as soon as the hook
    /// returns, and `onTrainEnd` is not called (as in Keras). The first error raised in a `fit` wins. Does nothing
    /// when the callback is not attached to a model.
    public func raise(_ error: Error) { model?.raise(error) }

    /// Called once before the first epoch; `logs` is empty.
    open func onTrainBegin(logs: Logs) {}
    /// Called once after the last epoch (also after an early stop); `logs` are the last epoch's logs.
    open func onTrainEnd(logs: Logs) {}
    /// Called at the start of epoch `epoch` (0-based).
    open func onEpochBegin(_ epoch: Int, logs: Logs) {}
    /// Called at the end of epoch `epoch` with the epoch's training and validation metrics.
    open func onEpochEnd(_ epoch: Int, logs: inout Logs) {}
    /// Called before training batch `batch` (0-based within the epoch).
    open func onTrainBatchBegin(_ batch: Int, logs: Logs) {}
    /// Called after training batch `batch`; `logs` hold the running mean `loss` (and metrics) of the epoch so far and
    /// `batch_loss`, the loss of this batch alone.
    open func onTrainBatchEnd(_ batch: Int, logs: Logs) {}
    /// Called before evaluation (validation at epoch end, or `evaluate`).
    open func onTestBegin(logs: Logs) {}
    /// Called after evaluation with its metrics (without the `val_` prefix, as Keras does).
    open func onTestEnd(logs: Logs) {}
    /// Called before evaluation batch `batch`.
    open func onTestBatchBegin(_ batch: Int, logs: Logs) {}
    /// Called after evaluation batch `batch`.
    open func onTestBatchEnd(_ batch: Int, logs: Logs) {}
}

/// A list of callbacks that is itself a callback: each hook is forwarded to every member in order.
///
/// Thread-safety: not thread-safe; training thread only.
public final class CallbackList: Callback {
    /// The members, called in this order.
    public private(set) var callbacks: [Callback]

    public init(_ callbacks: [Callback]) { self.callbacks = callbacks }

    /// Appends a callback at the end.
    public func append(_ callback: Callback) { callbacks.append(callback) }

    public override func setModel(_ model: Sequential) {
        super.setModel(model)
        for c in callbacks { c.setModel(model) }
    }

    /// Calls `body` on each member in order, stopping after one raised an error (`Callback.raise(_:)`).
    private func each(_ body: (Callback) -> Void) {
        for c in callbacks {
            body(c)
            if model?.raisedError != nil { return }
        }
    }

    public override func onTrainBegin(logs: Logs) { each { $0.onTrainBegin(logs: logs) } }
    public override func onTrainEnd(logs: Logs) { each { $0.onTrainEnd(logs: logs) } }
    public override func onEpochBegin(_ epoch: Int, logs: Logs) { each { $0.onEpochBegin(epoch, logs: logs) } }
    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        for c in callbacks {
            c.onEpochEnd(epoch, logs: &logs)
            if model?.raisedError != nil { return }
        }
    }
    public override func onTrainBatchBegin(_ batch: Int, logs: Logs) { each { $0.onTrainBatchBegin(batch, logs: logs) } }
    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) { each { $0.onTrainBatchEnd(batch, logs: logs) } }
    public override func onTestBegin(logs: Logs) { each { $0.onTestBegin(logs: logs) } }
    public override func onTestEnd(logs: Logs) { each { $0.onTestEnd(logs: logs) } }
    public override func onTestBatchBegin(_ batch: Int, logs: Logs) { each { $0.onTestBatchBegin(batch, logs: logs) } }
    public override func onTestBatchEnd(_ batch: Int, logs: Logs) { each { $0.onTestBatchEnd(batch, logs: logs) } }
}
