import Foundation

/// The drawing surface behind `LineChart`: a grid of dots over a plot rectangle (2x4 braille dots per cell in
/// Unicode mode, 1 per cell in ASCII) plus per-dot-column aggregates of one series (min, max, first and last
/// finite y, and whether a non-finite y fell in the column).
///
/// Columns are bins: dot column `c` holds points with `x0 + c*w <= x < x0 + (c+1)*w` (`w = (x1-x0)/dotWidth`),
/// the last column also `x == x1`. Rows: `ty0` maps to dot row 0 (bottom), `ty1` to the top row.
/// All buffers are allocated once per canvas; aggregation and drawing do no per-point allocation.
/// Internal; thread-safety: a value.
struct DotCanvas {
    let plot: Rect
    let unicode: Bool
    let dotWidth: Int
    let dotHeight: Int
    private var lo: [Double]
    private var hi: [Double]
    private var first: [Double]
    private var last: [Double]
    private var invalid: [Bool]
    private var bits: [UInt8]
    private var dashed = false

    init(plot: Rect, unicode: Bool) {
        self.plot = plot
        self.unicode = unicode
        dotWidth = plot.width * (unicode ? 2 : 1)
        dotHeight = plot.height * (unicode ? 4 : 1)
        lo = [Double](repeating: .infinity, count: dotWidth)
        hi = [Double](repeating: -.infinity, count: dotWidth)
        first = [Double](repeating: .nan, count: dotWidth)
        last = [Double](repeating: .nan, count: dotWidth)
        invalid = [Bool](repeating: false, count: dotWidth)
        bits = [UInt8](repeating: 0, count: plot.width * plot.height)
    }

    mutating func clear() {
        for i in 0..<dotWidth {
            lo[i] = .infinity; hi[i] = -.infinity; first[i] = .nan; last[i] = .nan; invalid[i] = false
        }
        for i in bits.indices { bits[i] = 0 }
    }

    // MARK: - Aggregation

    /// `d` rounded toward -inf, clamped into `lo...hi`; NaN gives `lo`. Never traps.
    @inline(__always)
    static func clampInt(_ d: Double, _ lo: Int, _ hi: Int) -> Int {
        if !(d >= Double(lo)) { return lo }
        if !(d <= Double(hi)) { return hi }
        return Int(d.rounded(.down))
    }

    /// Min and max of the drawable y values of `s` with x in `x0...x1` (`(inf, -inf)` when none).
    static func finiteRange(of s: ChartSeries, x0: Double, x1: Double, positiveOnly: Bool) -> (Double, Double) {
        var lo = Double.infinity, hi = -Double.infinity
        let n = s.count
        if s.isUniform {
            let i0 = clampInt(((x0 - s.xStart) / s.xStep).rounded(.up), 0, n)
            let i1 = clampInt(((x1 - s.xStart) / s.xStep).rounded(.down) + 1, 0, n)
            guard i0 < i1 else { return (lo, hi) }
            s.ys.withUnsafeBufferPointer { p in
                if positiveOnly {
                    for i in i0..<i1 { let v = p[i]; if v > 0 && v < .infinity { lo = min(lo, v); hi = max(hi, v) } }
                } else {
                    for i in i0..<i1 { let v = p[i]; if v.isFinite { lo = min(lo, v); hi = max(hi, v) } }
                }
            }
        } else {
            for i in 0..<n {
                let x = s.x(at: i), v = s.ys[i]
                guard x >= x0, x <= x1, v.isFinite, !positiveOnly || v > 0 else { continue }
                lo = min(lo, v); hi = max(hi, v)
            }
        }
        return (lo, hi)
    }

    /// Fills the column aggregates from `s` (values <= 0 are skipped, not marked, when `logY`).
    mutating func aggregate(_ s: ChartSeries, x0: Double, x1: Double, logY: Bool) {
        guard dotWidth > 0 else { return }
        let n = s.count
        let scale = Double(dotWidth) / (x1 - x0)
        if s.isUniform {
            let a = (s.xStart - x0) * scale, b = s.xStep * scale
            guard a.isFinite, b.isFinite, b > 0 else { return }
            var start = Self.clampInt(((0 - a) / b).rounded(.up), 0, n)
            s.ys.withUnsafeBufferPointer { p in
                for c in 0..<dotWidth {
                    let endD = c == dotWidth - 1 ? ((Double(dotWidth) - a) / b).rounded(.down) + 1
                                                 : ((Double(c + 1) - a) / b).rounded(.up)
                    let end = max(start, Self.clampInt(endD, 0, n))
                    if start < end { aggregateColumn(c, p, start, end, logY: logY) }
                    start = end
                }
            }
        } else {
            let maxCol = Double(dotWidth)
            for i in 0..<n {
                let x = s.x(at: i)
                let pos = (x - x0) * scale
                guard pos >= 0, pos <= maxCol else { continue }          // also rejects NaN
                let c = min(dotWidth - 1, Int(pos))
                let v = s.ys[i]
                if logY ? (v > 0 && v < .infinity) : v.isFinite {
                    if first[c].isNaN { first[c] = v }
                    last[c] = v
                    lo[c] = min(lo[c], v); hi[c] = max(hi[c], v)
                } else if !v.isFinite {
                    invalid[c] = true
                }
            }
        }
    }

    @inline(__always)
    private mutating func aggregateColumn(_ c: Int, _ p: UnsafeBufferPointer<Double>, _ s: Int, _ e: Int, logY: Bool) {
        var l = Double.infinity, h = -Double.infinity
        var bad = false
        if logY {
            for i in s..<e {
                let v = p[i]
                if v > 0 && v < .infinity { l = min(l, v); h = max(h, v) } else if !v.isFinite { bad = true }
            }
        } else {
            for i in s..<e {
                let v = p[i]
                if v.isFinite { l = min(l, v); h = max(h, v) } else { bad = true }
            }
        }
        invalid[c] = bad
        guard l <= h else { return }
        lo[c] = l; hi[c] = h
        let ok: (Double) -> Bool = logY ? { $0 > 0 && $0 < .infinity } : { $0.isFinite }
        var i = s
        while i < e, !ok(p[i]) { i += 1 }
        first[c] = p[i]
        var j = e - 1
        while j > s, !ok(p[j]) { j -= 1 }
        last[c] = p[j]
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
        for c in 0..<dotWidth where !first[c].isNaN {
            let rlo = row(lo[c]), rhi = row(hi[c])
            switch marker {
            case .dots:
                setDot(c, rlo); setDot(c, rhi)
            case .line, .dashed:
                if let p = prev { line(p.col, p.row, c, row(first[c])) }
                var r = max(rlo, 0)
                while r <= min(rhi, h - 1) { setDot(c, r); r += 1 }
                prev = (c, row(last[c]))
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
        for c in 0..<dotWidth where invalid[c] {
            buffer.set(x: plot.x + (unicode ? c >> 1 : c), y: plot.y, symbol: symbol, style: style)
        }
    }
}
