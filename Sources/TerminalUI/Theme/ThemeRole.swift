/// Semantic colour roles of the Trainboard UI (htop-style: roles, not palette slots). The raw value is the key
/// used in theme files (`theme[val_loss]="#ffd75f"`).
///
/// Thread-safety: a value; safe to send between threads.
public enum ThemeRole: String, CaseIterable, Hashable, Sendable {
    /// The screen background (its colour is the background of every other role unless that role sets `_bg`).
    case background
    case text
    /// Secondary text: units, hints, axis labels.
    case muted
    case title
    case border
    case loss
    case valLoss = "val_loss"
    case accuracy
    case valAccuracy = "val_accuracy"
    /// The learning rate actually used.
    case lr
    /// A planned learning-rate schedule (drawn dashed).
    case lrPlanned = "lr_planned"
    case running
    case paused
    case warning
    case error
    /// The selected / highlighted table row.
    case highlight
    case gauge
    /// Vertical chart markers (best epoch, events).
    case marker
    /// Keys in key hints.
    case key
    /// `trainboard compare`: the colour of each run (up to four), in its charts, legend and table.
    case run1, run2, run3, run4

    /// The colour role of compared run `index` (0-based; cycles after four).
    public static func run(_ index: Int) -> ThemeRole { [.run1, .run2, .run3, .run4][((index % 4) + 4) % 4] }
}
