/// Horizontal alignment of text within a width.
///
/// Thread-safety: a value; safe to send between threads.
public enum Alignment: Hashable, Sendable {
    case left, center, right

    /// The column offset (>= 0) at which text `length` cells long starts inside `width` cells.
    /// Text longer than `width` starts at 0 (it is truncated by the caller).
    public func offset(length: Int, width: Int) -> Int {
        let free = max(0, width - max(0, length))
        switch self {
        case .left: return 0
        case .center: return free / 2
        case .right: return free
        }
    }
}
