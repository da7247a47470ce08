/// Records every epoch's logs (Keras `History`). `fit` always adds one, last in the callback list, so it sees keys
/// that other callbacks added, and returns it.
///
/// Thread-safety: not thread-safe; read it on the training thread or after `fit` returned.
public final class History: Callback {
    /// The epochs recorded (0-based, in order).
    public private(set) var epochs: [Int] = []
    /// Per key, one value per recorded epoch (`NaN` where an epoch lacked the key), like Keras's `history.history`.
    public private(set) var history: [String: [Double]] = [:]
    /// Each recorded epoch's logs, in order (the rows of `history`).
    public private(set) var records: [EpochRecord] = []

    public override init() { super.init() }

    public override func onTrainBegin(logs: Logs) {}

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        let n = epochs.count
        epochs.append(epoch)
        records.append(EpochRecord(epoch: epoch, logs: logs))
        for (k, v) in logs {
            if history[k] == nil { history[k] = [Double](repeating: .nan, count: n) }
            history[k]?.append(v)
        }
        for k in history.keys where logs[k] == nil { history[k]?.append(.nan) }
    }

    /// Keras's `history.history` form of `records`: per key, one value per record (`NaN` where a record lacks it).
    public static func dictionary(_ records: [EpochRecord]) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for (n, r) in records.enumerated() {
            for (k, v) in r.logs {
                if out[k] == nil { out[k] = [Double](repeating: .nan, count: n) }
                out[k]?.append(v)
            }
            for k in out.keys where r.logs[k] == nil { out[k]?.append(.nan) }
        }
        return out
    }

    /// The values recorded for `key` (empty when never logged).
    public subscript(key: String) -> [Double] { history[key] ?? [] }
}
