/// One series of a `LineChart`: a name, points, a style and how it is drawn.
///
/// Points are either explicit `(x, y)` pairs (`xs` set, same length as `ys`; extra values of the longer array are
/// ignored) or y-only with implicit `x = xStart + i * xStep` (`xs == nil`; the fast path for long histories).
/// NaN / infinite values are allowed: they are skipped when drawing (and may be marked by the chart).
/// In `.line` and `.dashed` mode points are joined in x order of the chart's columns, so explicit xs should be
/// ascending.
///
/// Thread-safety: a value; safe to send between threads.
public struct ChartSeries: Sendable {
    /// How the points are drawn.
    public enum Marker: Hashable, Sendable {
        /// Points joined by a continuous line.
        case line
        /// Points only (per chart column: the lowest and highest point).
        case dots
        /// A broken line (e.g. a planned learning-rate schedule).
        case dashed
    }

    /// The series name (shown in the legend).
    public var name: String
    /// Explicit x values, or `nil` for implicit `xStart + i * xStep`.
    public var xs: [Double]?
    /// Y values (any Double; NaN / infinities are skipped).
    public var ys: [Double]
    /// First implicit x (used when `xs == nil`).
    public var xStart: Double
    /// Implicit x step (used when `xs == nil`); should be finite and > 0.
    public var xStep: Double
    /// Style of the drawn text / glyphs.
    public var style: Style
    /// Line, dots or dashed.
    public var marker: Marker

    /// A y-only series with implicit `x = xStart + i * xStep`.
    public init(name: String, ys: [Double], xStart: Double = 0, xStep: Double = 1, style: Style = .plain,
                marker: Marker = .line) {
        self.name = name
        self.xs = nil
        self.ys = ys
        self.xStart = xStart
        self.xStep = xStep
        self.style = style
        self.marker = marker
    }

    /// A series of explicit `(x, y)` points.
    public init(name: String, points: [(x: Double, y: Double)], style: Style = .plain, marker: Marker = .line) {
        self.init(name: name, xs: points.map(\.x), ys: points.map(\.y), style: style, marker: marker)
    }

    /// A series of explicit points given as two arrays (paired up to the shorter length).
    public init(name: String, xs: [Double], ys: [Double], style: Style = .plain, marker: Marker = .line) {
        self.name = name
        self.xs = xs
        self.ys = ys
        self.xStart = 0
        self.xStep = 1
        self.style = style
        self.marker = marker
    }

    /// Number of points.
    public var count: Int { xs.map { Swift.min($0.count, ys.count) } ?? ys.count }

    /// The x of point `i` (0 ..< count).
    @inline(__always)
    public func x(at i: Int) -> Double { xs?[i] ?? (xStart + Double(i) * xStep) }

    /// True when the implicit-x fast path applies.
    var isUniform: Bool { xs == nil && xStart.isFinite && xStep.isFinite && xStep > 0 }
}
