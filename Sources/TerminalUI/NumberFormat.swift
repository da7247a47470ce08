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
        var s = fixed(v, decimals: decimals)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// `v` with `decimals` digits after the point, the same string as `String(format: "%.<decimals>f", v)` (printf:
    /// the binary value rounded half to even, `-` kept on a negative value that rounds to zero, "nan", "inf"),
    /// without Foundation's formatter, which was a third of a dashboard frame. Values whose scaled magnitude
    /// reaches 10^9, more than 9 decimals, and those within 10^-6 of a rounding tie (where the double product
    /// `v * 10^decimals` could round the other way) go to `String(format:)`.
    public static func fixed(_ v: Double, decimals: Int) -> String {
        guard v.isFinite, (0...9).contains(decimals) else { return String(format: "%.\(decimals)f", v) }
        let scaled = abs(v) * powersOfTen[decimals]
        guard scaled < 1e9 else { return String(format: "%.\(decimals)f", v) }
        let floor = scaled.rounded(.down)
        let fraction = scaled - floor
        guard abs(fraction - 0.5) > 1e-6 else { return String(format: "%.\(decimals)f", v) }
        let n = Int(fraction > 0.5 ? floor + 1 : floor)
        var digits = String(n)
        if decimals > 0 {
            if digits.count <= decimals { digits = String(repeating: "0", count: decimals + 1 - digits.count) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return v.sign == .minus ? "-" + digits : digits
    }

    private static let powersOfTen: [Double] = (0...9).map { pow(10, Double($0)) }
}
