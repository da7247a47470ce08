import Foundation

/// Compact number formatting for axis labels and tables, e.g. `2.35`, `0.0123`, `1.2e-4`, `3.4e7`, `1200`.
///
/// Rules: 0 -> "0"; |v| < 1e-3 or |v| >= 1e5 -> one decimal mantissa + exponent ("1.2e-4"); otherwise 3 significant
/// digits with trailing zeros (and a trailing ".") removed. NaN -> "NaN", infinities -> "inf" / "-inf".
/// Results are ASCII and at most 8 characters for finite input.
///
/// Thread-safety: stateless; safe from any thread.
public enum NumberFormat {
    /// The compact form of `v` (see the type's rules).
    public static func compact(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == 0 { return "0" }
        let a = abs(v)
        if a < 1e-3 || a >= 1e5 {
            var s = String(format: "%.1e", v)          // "1.2e-04"
            // Tidy the exponent: drop "+" and leading zeros.
            if let e = s.firstIndex(of: "e") {
                let mant = s[..<e]
                var exp = s[s.index(after: e)...]
                var neg = false
                if exp.first == "+" || exp.first == "-" { neg = exp.first == "-"; exp = exp.dropFirst() }
                while exp.count > 1 && exp.first == "0" { exp = exp.dropFirst() }
                var m = String(mant)
                if m.hasSuffix(".0") { m.removeLast(2) }
                s = m + "e" + (neg ? "-" : "") + exp
            }
            return s
        }
        let digits = Int(floor(log10(a)))              // a in [1e-3, 1e5): finite, small
        let decimals = max(0, 2 - digits)
        var s = String(format: "%.\(decimals)f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}
