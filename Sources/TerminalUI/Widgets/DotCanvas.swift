import Foundation

/// The drawing surface behind `LineChart`: a grid of dots over a plot rectangle (2x4 braille dots per cell in
/// Unicode mode, 1 per cell in ASCII) plus per-dot-column aggregates of one series (min, max, first and last
/// finite y, and whether a non-finite y fell in the column).
///
/// Columns are bins: dot column `c` holds points with `x0 + c*w <= x < x0 + (c+1)*w` (`w = (x1-x0)/dotWidth`),
/// the last column also `x == x1`. Rows: `ty0` maps to dot row 0 (bottom), `ty1` to the top row.
/// Aggregation (`aggregate`) is one pass over the points in the x range, or a binary search per column when xs
/// ascend (implicit x always does); it allocates per column, never per point. `LineChart` aggregates at the
/// widest possible plot, takes the y bounds from the aggregates and `rebin`s into the real plot width, so the
/// data is read once per render.
/// Internal; thread-safety: a value.
struct DotCanvas {
    let plot: Rect
    let unicode: Bool
    let dotWidth: Int
    let dotHeight: Int
    /// Aggregates of one dot column, in data space (linear y; only drawable values: finite, and > 0 for log).
    struct Column {
        var lo = Double.infinity, hi = -Double.infinity
        var first = Double.nan, last = Double.nan
        var invalid = false
        var isEmpty: Bool { first.isNaN }
    }

    private(set) var cols: [Column]
    private var bits: [UInt8]
    private var dashed = false

    init(plot: Rect, unicode: Bool) {
        self.plot = plot
        self.unicode = unicode
        dotWidth = plot.width * (unicode ? 2 : 1)
        dotHeight = plot.height * (unicode ? 4 : 1)
        cols = [Column](repeating: Column(), count: dotWidth)
        bits = [UInt8](repeating: 0, count: plot.width * plot.height)
    }

    /// Clears the dots and takes `columns` (aggregated at any width) as the series to draw, merging them into
    /// this canvas' `dotWidth` columns.
    mutating func load(_ columns: [Column]) {
        for i in bits.indices { bits[i] = 0 }
        cols = Self.rebin(columns, to: dotWidth)
    }

    /// Merges `fine` columns into `w` columns; fine column `f` goes to the column holding its centre, so the
    /// x position of a point moves by less than one dot. Identity when the widths agree.
    static func rebin(_ fine: [Column], to w: Int) -> [Column] {
        let f = fine.count
        if f == w { return fine }
        var out = [Column](repeating: Column(), count: max(0, w))
        guard w > 0, f > 0 else { return out }
        for (i, col) in fine.enumerated() where !col.isEmpty || col.invalid {
            let c = min(w - 1, (2 * i + 1) * w / (2 * f))
            var o = out[c]
            o.invalid = o.invalid || col.invalid
            if !col.isEmpty {
                if o.isEmpty { o.first = col.first }
                o.last = col.last
                o.lo = min(o.lo, col.lo); o.hi = max(o.hi, col.hi)
            }
            out[c] = o
        }
        return out
    }

    // MARK: - Aggregation

    /// `d` rounded toward -inf, clamped into `lo...hi`; NaN gives `lo`. Never traps.
    @inline(__always)
    static func clampInt(_ d: Double, _ lo: Int, _ hi: Int) -> Int {
        if !(d >= Double(lo)) { return lo }
        if !(d <= Double(hi)) { return hi }
        return Int(d.rounded(.down))
    }

    @inline(__always)
    static func drawable(_ v: Double, positiveOnly: Bool) -> Bool {
        positiveOnly ? (v > 0 && v < .infinity) : v.isFinite
    }

    /// Min and max of the drawable values in `p[s..<e]`, and whether a NaN / infinity was among them.
    /// Fast path (linear y): a select-based min/max (comparisons ignore NaN). Only when that meets an infinity is
    /// the range rescanned with non-drawable values turned into NaN first.
    @inline(__always)
    static func range(_ p: UnsafeBufferPointer<Double>, _ s: Int, _ e: Int, positiveOnly: Bool)
        -> (lo: Double, hi: Double, invalid: Bool) {
        if positiveOnly { return exactRange(p, s, e, positiveOnly: true) }   // log data: the fast path rarely holds
        var l = Double.infinity, h = -Double.infinity
        var nan: UInt8 = 0
        for i in s..<e {
            let v = p[i]
            l = v < l ? v : l
            h = v > h ? v : h
            nan |= v != v ? 1 : 0
        }
        if l > -.infinity, h < .infinity, !positiveOnly || l > 0 { return (l, h, nan != 0) }
        return exactRange(p, s, e, positiveOnly: positiveOnly)
    }

    /// The exact (slower) form of `range`: non-drawable values are turned into NaN, which the selects ignore.
    @inline(never)
    static func exactRange(_ p: UnsafeBufferPointer<Double>, _ s: Int, _ e: Int, positiveOnly: Bool)
        -> (lo: Double, hi: Double, invalid: Bool) {
        var l = Double.infinity, h = -Double.infinity
        var bad: UInt8 = 0
        let floor = positiveOnly ? 0 : -Double.infinity
        for i in s..<e {
            let v = p[i]
            let u = v > floor ? v : .nan
            let w = u < .infinity ? u : .nan
            l = w < l ? w : l
            h = w > h ? w : h
            bad |= v - v == 0 ? 0 : 1                       // NaN or +-inf
        }
        return (l, h, bad != 0)
    }

    /// What the chart needs to know about a series' x values: the finite range and whether they ascend (no NaN),
    /// which enables binary search instead of a per-point scan.
    struct XInfo {
        var lo: Double
        var hi: Double
        var ascending: Bool
    }

    /// One pass over explicit xs (none for implicit x).
    static func xInfo(_ s: ChartSeries) -> XInfo {
        let n = s.count
        guard n > 0 else { return XInfo(lo: .infinity, hi: -.infinity, ascending: true) }
        guard let xsArray = s.xs else {
            let a = s.xStart, b = s.x(at: n - 1)
            guard a.isFinite, b.isFinite else { return XInfo(lo: .infinity, hi: -.infinity, ascending: false) }
            return XInfo(lo: min(a, b), hi: max(a, b), ascending: s.isUniform)
        }
        return xsArray.withUnsafeBufferPointer { p in
            var bad: UInt8 = p[0].isNaN ? 1 : 0
            var prev = p[0]
            for i in 1..<n {
                let v = p[i]
                bad |= v >= prev ? 0 : 1                      // NaN fails too
                prev = v
            }
            if bad == 0, p[0].isFinite, p[n - 1].isFinite { return XInfo(lo: p[0], hi: p[n - 1], ascending: true) }
            let r = range(p, 0, n, positiveOnly: false)
            return XInfo(lo: r.lo, hi: r.hi, ascending: bad == 0)
        }
    }

    /// First index in `lo..<hi` with `p[i] >= v` (`p` ascending); `hi` if none.
    @inline(__always)
    static func lowerBound(_ p: UnsafeBufferPointer<Double>, _ v: Double, _ lo: Int, _ hi: Int) -> Int {
        var a = lo, b = hi
        while a < b {
            let m = (a + b) >> 1
            if p[m] < v { a = m + 1 } else { b = m }
        }
        return a
    }

    /// First index in `lo..<hi` with `p[i] > v` (`p` ascending); `hi` if none.
    @inline(__always)
    static func upperBound(_ p: UnsafeBufferPointer<Double>, _ v: Double, _ lo: Int, _ hi: Int) -> Int {
        var a = lo, b = hi
        while a < b {
            let m = (a + b) >> 1
            if p[m] <= v { a = m + 1 } else { b = m }
        }
        return a
    }

    /// The aggregates of `s` in `w` columns spanning `x0...x1` (values <= 0 are skipped, not marked, when `logY`).
    /// One pass over the points in range (binary search instead of a scan for ascending xs).
    static func aggregate(_ s: ChartSeries, info: XInfo, x0: Double, x1: Double, logY: Bool, width w: Int) -> [Column] {
        var cols = [Column](repeating: Column(), count: max(0, w))
        guard w > 0 else { return cols }
        let n = s.count
        let scale = Double(w) / (x1 - x0)
        if s.isUniform {
            let a = (s.xStart - x0) * scale, b = s.xStep * scale
            guard a.isFinite, b.isFinite, b > 0 else { return cols }
            var start = Self.clampInt(((0 - a) / b).rounded(.up), 0, n)
            s.ys.withUnsafeBufferPointer { p in
                cols.withUnsafeMutableBufferPointer { cols in
                    for c in 0..<w {
                        let endD = c == w - 1 ? ((Double(w) - a) / b).rounded(.down) + 1
                                              : ((Double(c + 1) - a) / b).rounded(.up)
                        let end = max(start, Self.clampInt(endD, 0, n))
                        if start < end { cols[c] = Self.column(p, start, end, logY: logY) }
                        start = end
                    }
                }
            }
        } else if let xsArray = s.xs {
            let maxPos = Double(w)
            let step = (x1 - x0) / Double(w)
            xsArray.withUnsafeBufferPointer { xs in
                s.ys.withUnsafeBufferPointer { ys in
                    cols.withUnsafeMutableBufferPointer { cols in
                        if info.ascending {
                            // Sorted xs: each column is a contiguous index range found by binary search.
                            var start = Self.lowerBound(xs, x0, 0, n)
                            for c in 0..<w {
                                let end = c == w - 1 ? Self.upperBound(xs, x1, start, n)
                                                     : Self.lowerBound(xs, x0 + Double(c + 1) * step, start, n)
                                if start < end { cols[c] = Self.column(ys, start, end, logY: logY) }
                                start = end
                            }
                            return
                        }
                        for i in 0..<n {
                            let pos = (xs[i] - x0) * scale
                            guard pos >= 0, pos <= maxPos else { continue }          // also rejects NaN
                            let c = min(w - 1, Int(pos))
                            let v = ys[i]
                            if Self.drawable(v, positiveOnly: logY) {
                                if cols[c].first.isNaN { cols[c].first = v }
                                cols[c].last = v
                                cols[c].lo = min(cols[c].lo, v); cols[c].hi = max(cols[c].hi, v)
                            } else if !v.isFinite {
                                cols[c].invalid = true
                            }
                        }
                    }
                }
            }
        }
        return cols
    }

    @inline(__always)
    private static func column(_ p: UnsafeBufferPointer<Double>, _ s: Int, _ e: Int, logY: Bool) -> Column {
        let r = range(p, s, e, positiveOnly: logY)
        var col = Column()
        col.invalid = r.invalid
        guard r.lo <= r.hi else { return col }
        col.lo = r.lo; col.hi = r.hi
        var i = s
        while i < e, !drawable(p[i], positiveOnly: logY) { i += 1 }
        col.first = p[i]
        var j = e - 1
        while j > s, !drawable(p[j], positiveOnly: logY) { j -= 1 }
        col.last = p[j]
        return col
    }

    // MARK: - Drawing

    /// Draws the aggregated series into the dot grid, `ty0...ty1` being the y bounds (log10 space when `logY`).
    mutating func draw(marker: ChartSeries.Marker, ty0: Double, ty1: Double, logY: Bool) {
        guard dotWidth > 0, dotHeight > 0 else { return }
        dashed = marker == .dashed
        let span = ty1 - ty0
        let yscale = dotHeight > 1 ? Double(dotHeight - 1) / span : 0
        let eps = span * 1e-9
        let h = dotHeight
        func row(_ v: Double) -> Int {
            let t = logY ? log10(v) : v
            if !(t >= ty0 - eps) { return -1 }
            if !(t <= ty1 + eps) { return h }
            return Self.clampInt(((t - ty0) * yscale).rounded(), 0, h - 1)
        }
        var prev: (col: Int, row: Int)?
        for c in 0..<dotWidth where !cols[c].isEmpty {
            let col = cols[c]
            let rlo = row(col.lo), rhi = row(col.hi)
            switch marker {
            case .dots:
                setDot(c, rlo); setDot(c, rhi)
            case .line, .dashed:
                if let p = prev { line(p.col, p.row, c, row(col.first)) }
                var r = max(rlo, 0)
                while r <= min(rhi, h - 1) { setDot(c, r); r += 1 }
                prev = (c, row(col.last))
            }
        }
    }

    @inline(__always)
    private mutating func setDot(_ dx: Int, _ dy: Int) {
        guard dx >= 0, dx < dotWidth, dy >= 0, dy < dotHeight else { return }
        if dashed && (dx / (unicode ? 3 : 1)) % 2 == 1 { return }
        if unicode {
            let down = dotHeight - 1 - dy
            let cell = (down >> 2) * plot.width + (dx >> 1)
            let table: (UInt8, UInt8, UInt8, UInt8) = (dx & 1 == 0) ? (0x01, 0x02, 0x04, 0x40) : (0x08, 0x10, 0x20, 0x80)
            let bit: UInt8 = switch down & 3 { case 0: table.0; case 1: table.1; case 2: table.2; default: table.3 }
            bits[cell] |= bit
        } else {
            bits[(dotHeight - 1 - dy) * plot.width + dx] = 1
        }
    }

    /// Bresenham line between two dots; endpoints may lie one row outside the grid (clipped per dot).
    private mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            setDot(x, y)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Writes the dots to `buffer` in `style`. Unicode: braille, merged with braille already in the cell.
    func flush(into buffer: inout CellBuffer, style: Style, asciiGlyph: Character) {
        let w = plot.width
        guard w > 0 else { return }
        for (i, b) in bits.enumerated() where b != 0 {
            let x = plot.x + i % w, y = plot.y + i / w
            if unicode {
                let old = buffer.cell(x: x, y: y).flatMap { Symbols.brailleBits($0.symbol) } ?? 0
                buffer.set(x: x, y: y, symbol: Symbols.braille(b | old), style: style)
            } else {
                buffer.set(x: x, y: y, symbol: asciiGlyph, style: style)
            }
        }
    }

    /// Marks columns that held a NaN / infinite y with `symbol` on the top row of the plot.
    func flushInvalid(into buffer: inout CellBuffer, symbol: Character, style: Style) {
        for c in 0..<dotWidth where cols[c].invalid {
            buffer.set(x: plot.x + (unicode ? c >> 1 : c), y: plot.y, symbol: symbol, style: style)
        }
    }
}
