import Foundation

extension Sparkline {
    /// The level (0 ..< 8 * height) of each value in `values`, or `nil` for NaN / infinite values.
    /// Pure; never converts a non-finite number to `Int`.
    public func levelIndices(for values: some Collection<Double>, height: Int = 1) -> [Int?] {
        let levelCount = 8 * Swift.max(1, height)
        let tr: (Double) -> Double = logScale ? { $0 > 0 ? log10($0) : -.infinity } : { $0 }
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite {
            let t = tr(v)
            if t.isFinite { lo = Swift.min(lo, t); hi = Swift.max(hi, t) }
        }
        if let m = min, m.isFinite, !(logScale && m <= 0) { lo = tr(m) }
        if let m = max, m.isFinite, !(logScale && m <= 0) { hi = tr(m) }
        // Halve before subtracting so that e.g. -1e308...1e308 does not overflow to infinity.
        let span = hi / 2 - lo / 2
        return values.map { v -> Int? in
            guard v.isFinite else { return nil }
            let t = tr(v)
            guard t.isFinite else { return 0 }            // log of a value <= 0
            guard span > 0, span.isFinite else { return levelCount / 2 - 1 }
            var f = (t / 2 - lo / 2) / span * Double(levelCount - 1)
            f = f.rounded()
            if !(f >= 0) { f = 0 }                         // also catches NaN
            if f > Double(levelCount - 1) { f = Double(levelCount - 1) }
            return Int(f)
        }
    }
}

