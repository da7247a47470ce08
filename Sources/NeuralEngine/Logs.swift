/// Keras-style logs passed to callbacks: metric name -> value. Keys follow Keras: `loss`, `accuracy`, `mae`,
/// `val_loss`, `val_accuracy`, `val_mae`, `learning_rate`. Batch logs carry the running mean over the epoch so far,
/// as Keras does.
public typealias Logs = [String: Double]

/// The standard log keys.
public enum LogKey {
    public static let loss = "loss"
    public static let accuracy = "accuracy"
    public static let mae = "mae"
    public static let valLoss = "val_loss"
    public static let valAccuracy = "val_accuracy"
    public static let valMAE = "val_mae"
    /// The learning rate applied to the last update of the epoch (after legacy decay), in the optimizer's units.
    public static let learningRate = "learning_rate"
}
