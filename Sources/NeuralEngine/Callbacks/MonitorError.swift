/// Why a monitoring callback (`EarlyStopping`, `ReduceLROnPlateau`, `ModelCheckpoint` with `saveBestOnly`) cannot
/// work: `fit` throws it at the end of the first epoch (see `MonitorCallback`), and `MonitorCallback.validate(loggedKeys:)`
/// throws it before training when the keys the run will log are known (the CLI exits with status 2 on it).
///
/// Thread-safety: a value; `Sendable`.
public enum MonitorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The monitored key is not in the epoch logs. `available` lists the keys that are (sorted).
    case unavailable(callback: String, monitor: String, available: [String])
    /// `mode` is `.auto` and the name is not one whose direction Keras 3 knows (see
    /// `MonitorCallback.inferDirection(for:)`), e.g. `learning_rate`.
    case unknownDirection(callback: String, monitor: String)

    /// The callback class the error is about (`EarlyStopping`, ...).
    public var callback: String {
        switch self {
        case .unavailable(let c, _, _), .unknownDirection(let c, _): return c
        }
    }

    /// The monitored key.
    public var monitor: String {
        switch self {
        case .unavailable(_, let m, _), .unknownDirection(_, let m): return m
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let c, let m, let keys):
            return "\(c) monitors '\(m)', which this run does not log; the logged keys are: "
                + keys.joined(separator: ", ")
        case .unknownDirection(let c, let m):
            return "\(c) monitors '\(m)' with mode auto, but it is not a loss or a metric whose direction is known "
                + "(as Keras 3 raises); give mode min or max"
        }
    }
}
