/// A rectangle of terminal cells: columns `x ..< x + width`, rows `y ..< y + height`. Width and height are never
/// negative (initialisers clamp at 0).
///
/// Thread-safety: a value; safe to send between threads.
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    /// Column (absolute, cells).
    public var x: Int
    /// Row (absolute, cells).
    public var y: Int
    /// Width in cells (>= 0).
    public var width: Int
    /// Height in cells (>= 0).
    public var height: Int

    /// A rectangle; negative `width` / `height` become 0.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// The empty rectangle at the origin.
    public static let zero = Rect(x: 0, y: 0, width: 0, height: 0)

    /// True when it covers no cell.
    public var isEmpty: Bool { width == 0 || height == 0 }
    /// Number of cells (`width * height`).
    public var area: Int { width * height }
    /// One past the last column (`x + width`).
    public var right: Int { x + width }
    /// One past the last row (`y + height`).
    public var bottom: Int { y + height }

    /// The part of this rectangle inside `other` (empty when they do not overlap).
    public func intersection(_ other: Rect) -> Rect {
        let x0 = max(x, other.x), y0 = max(y, other.y)
        let x1 = min(right, other.right), y1 = min(bottom, other.bottom)
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// This rectangle shrunk by `margin` cells on every side (clamped at zero size).
    public func inset(by margin: Int) -> Rect {
        Rect(x: x + margin, y: y + margin, width: width - 2 * margin, height: height - 2 * margin)
    }

    /// Human-readable form (for messages and logs).
    public var description: String { "Rect(\(x),\(y) \(width)x\(height))" }
}
