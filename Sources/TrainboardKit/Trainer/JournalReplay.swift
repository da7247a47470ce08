import Dashboard
import NeuralEngine

/// Replays the learning-rate changes of a control journal (`trainboard train --replay-journal FILE`): before update
/// `entry.update`, sets the base learning rate to `entry.learningRate`, so a hand-steered run becomes a reproducible
/// schedule. Pauses, checkpoints and stops are not replayed.
/// A resumed run replays only the changes at or after the checkpoint's update.
///
/// Thread-safety: training thread only.
public final class JournalReplay: Callback {
    private var pending: [JournalEntry]
    /// Entries applied so far.
    public private(set) var applied: [JournalEntry] = []

    public init(entries: [JournalEntry]) {
        pending = entries.filter { ($0.action == "lr_scale" || $0.action == "lr_set") && $0.learningRate != nil }
            .sorted { $0.update < $1.update }
    }

    /// A resumed run (`fit(..., resume:)`) skips the changes made before the checkpoint: their effect is already in
    /// the restored base rate.
    public override func onTrainBegin(logs: Logs) {
        guard let t = model?.resumedFrom?.iterations else { return }
        pending.removeAll { $0.update < t }
    }

    public override func onTrainBatchBegin(_ batch: Int, logs: Logs) {
        guard let opt = model?.optimizer else { return }
        while let first = pending.first, first.update <= opt.iterations {
            if let lr = first.learningRate { opt.learningRate = lr }
            applied.append(first)
            pending.removeFirst()
        }
    }
}
