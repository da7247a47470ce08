/// Splits a `Rect` into consecutive pieces along one direction, by `Constraint`s. Modelled on ratatui's Layout.
///
/// Algorithm: segments get their base size in order (`length(n)` -> n, `percentage(p)` -> extent*p/100,
/// `min(n)` -> n, `fill` -> 0), each capped at what is left, so with too little space the last segments shrink
/// first (to 0, never negative). Leftover space then goes to `fill(w)` segments in proportion to `w`
/// and to `min` segments (weight 1); rounding remainders go to the first growers. With no growers, leftover
/// space stays unused at the end. `spacing` cells separate neighbours (and are dropped when there is no room).
///
/// Thread-safety: a value; safe to send between threads.
public struct Layout: Hashable, Sendable {
    /// Split direction: `.vertical` stacks rows top to bottom, `.horizontal` places columns left to right.
    public enum Direction: Hashable, Sendable { case vertical, horizontal }

    /// Split direction.
    public var direction: Direction
    /// One constraint per resulting rectangle.
    public var constraints: [Constraint]
    /// Cells between neighbouring segments (>= 0).
    public var spacing: Int

    /// A layout; negative `spacing` counts as 0.
    public init(_ direction: Direction, _ constraints: [Constraint], spacing: Int = 0) {
        self.direction = direction
        self.constraints = constraints
        self.spacing = max(0, spacing)
    }

    /// A vertical layout (rows).
    public static func vertical(_ c: [Constraint], spacing: Int = 0) -> Layout { Layout(.vertical, c, spacing: spacing) }
    /// A horizontal layout (columns).
    public static func horizontal(_ c: [Constraint], spacing: Int = 0) -> Layout { Layout(.horizontal, c, spacing: spacing) }

    /// One rectangle per constraint, in order; each inside `area`, none with negative size.
    public func split(_ area: Rect) -> [Rect] {
        let n = constraints.count
        guard n > 0 else { return [] }
        let extent = direction == .vertical ? area.height : area.width
        let sp = min(spacing, extent)                                   // also keeps (n - 1) * sp from overflowing
        let gap = n > 1 && extent / (n - 1) >= sp ? sp : 0
        let total = max(0, extent - gap * (n - 1))
        var sizes = [Int](repeating: 0, count: n)
        var weights = [Int](repeating: 0, count: n)
        var left = total
        for (i, c) in constraints.enumerated() {
            let base: Int
            switch c {
            case .length(let v): base = max(0, v)
            case .percentage(let p): base = total * Swift.min(100, Swift.max(0, p)) / 100
            case .min(let v): base = max(0, v); weights[i] = 1
            case .fill(let w): base = 0; weights[i] = Swift.min(1 << 20, max(0, w))     // capped: no overflow
            }
            sizes[i] = Swift.min(base, left)
            left -= sizes[i]
        }
        let wsum = weights.reduce(0, +)
        if left > 0, wsum > 0 {
            var given = 0
            for i in 0..<n where weights[i] > 0 {
                let share = left * weights[i] / wsum
                sizes[i] += share
                given += share
            }
            var rest = left - given
            for i in 0..<n where weights[i] > 0 && rest > 0 { sizes[i] += 1; rest -= 1 }
        }
        var out: [Rect] = []
        out.reserveCapacity(n)
        var pos = direction == .vertical ? area.y : area.x
        for s in sizes {
            switch direction {
            case .vertical: out.append(Rect(x: area.x, y: pos, width: area.width, height: s))
            case .horizontal: out.append(Rect(x: pos, y: area.y, width: s, height: area.height))
            }
            pos += s + gap
        }
        return out
    }
}
