/// How much of a split a `Layout` gives one segment. Sizes are in cells; negative inputs count as 0.
///
/// Thread-safety: a value; safe to send between threads.
public enum Constraint: Hashable, Sendable {
    /// Exactly `n` cells (less when the area is too small).
    case length(Int)
    /// `p` percent (0...100, clamped) of the available extent, rounded down.
    case percentage(Int)
    /// At least `n` cells (when space allows); grows like `fill(1)` with leftover space.
    case min(Int)
    /// A share of the leftover space proportional to `weight` (>= 1 is sensible; 0 means "nothing"; capped at 2^20).
    case fill(Int)
}
