import Foundation
import TerminalUI

/// Width-aware formatting of numbers, messages and axis ticks for the dashboard.
extension DashboardView {
    /// `v` in at most `width` characters when possible: `NumberFormat.compact` (3 significant digits) first, then
    /// 2 significant digits (`0.0078`), then exponent forms (`7.8e-3`, `8e-3`). When nothing fits, the shortest
    /// form (callers that must not overflow truncate it). Non-finite values are `NaN` / `inf` / `-inf`.
    static func fitNumber(_ v: Double, width: Int) -> String {
        let full = NumberFormat.compact(v)
        guard v.isFinite, v != 0, full.count > width else { return full }
        var candidates: [String] = []
        let a = abs(v)
        if a >= 1e-3 && a < 1e5 {
            let decimals = max(0, 1 - Int(floor(log10(a))))
            candidates.append(trimZeros(NumberFormat.fixed(v, decimals: decimals)))
            if a >= 1 { candidates.append(NumberFormat.fixed(v, decimals: 0)) }
        }
        candidates.append(exponent(v, decimals: 1))
        candidates.append(exponent(v, decimals: 0))
        return candidates.first { $0.count <= width } ?? candidates.min { $0.count < $1.count } ?? full
    }

    /// `v` (finite) as `m.me-x` with `decimals` mantissa decimals, exponent without `+` or leading zeros.
    static func exponent(_ v: Double, decimals: Int) -> String {
        let s = String(format: "%.\(decimals)e", v)
        guard let e = s.firstIndex(of: "e") else { return s }
        var mant = String(s[..<e])
        if mant.contains(".") { mant = trimZeros(mant) }
        var exp = s[s.index(after: e)...]
        var neg = false
        if exp.first == "+" || exp.first == "-" { neg = exp.first == "-"; exp = exp.dropFirst() }
        while exp.count > 1 && exp.first == "0" { exp = exp.dropFirst() }
        return mant + "e" + (neg ? "-" : "") + exp
    }

    /// Drops trailing zeros after a decimal point (and the point itself when nothing follows).
    static func trimZeros(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var s = s
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// `text` cut to `width` cells, keeping what matters in path-like messages: when the text holds a path (a
    /// word with `/`), its file name (last component, and anything after it) is kept whole when it fits and the cut
    /// falls in the directories, at a `/` (`ckpt: ModelCheckpoint …/best-epoch2.tbmodel`), dropping whole words
    /// before the path if needed (`ckpt: …/best-epoch2.tbmodel`); if even the file name does not fit, the end of the
    /// text is kept (`…epoch2.tbmodel`). Other texts are cut at the end.
    static func fitMessage(_ text: String, width: Int, ellipsis: Character) -> String {
        guard width > 0 else { return "" }
        guard text.cellWidth > width else { return text }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard let pathIndex = words.lastIndex(where: { $0.contains("/") }) else {
            return TextFormatting.truncate(text, width: width, ellipsis: ellipsis)
        }
        let head = words[..<pathIndex].map { String($0) + " " }.joined()
        let path = words[pathIndex]
        let after = words[(pathIndex + 1)...].map { " " + String($0) }.joined()
        let nameAndRest = String(path[path.lastIndex(of: "/")!...]) + after     // "/best-epoch2.tbmodel ..."
        guard nameAndRest.cellWidth + 1 <= width else {
            return String(ellipsis) + TextFormatting.suffix(text, width: width - 1).0
        }
        var kept = head
        if head.cellWidth + 1 + nameAndRest.cellWidth > width {
            // Keep whole leading words only.
            kept = TextFormatting.prefix(head, width: width - 1 - nameAndRest.cellWidth).0
            if !kept.hasSuffix(" "), let sp = kept.lastIndex(of: " ") { kept = String(kept[...sp]) }
        }
        let room = width - kept.cellWidth - 1
        // The longest end of the path, starting at a "/", that fits (at least the file name fits).
        let tail = String(path) + after
        var cut = nameAndRest
        for i in tail.indices where tail[i] == "/" && tail[i...].cellWidth <= room {
            cut = String(tail[i...])
            break
        }
        return kept + String(ellipsis) + cut
    }

    /// Integer tick values from `lo` to `hi` (both integral) spaced evenly, as many as fit in `plotWidth` cells
    /// with about `cellsPerTick` cells each; the spacing divides `hi - lo` so every tick lands on a whole epoch
    /// (e.g. 0..10 in 40 cells: 0, 2, 4, 6, 8, 10; 0..7: 0, 7). Non-integral or empty ranges give `[lo, hi]`.
    static func integerTicks(lo: Double, hi: Double, plotWidth: Int, cellsPerTick: Int = 8) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return [lo, hi] }
        guard lo == lo.rounded(), hi == hi.rounded(), hi - lo < 1e9 else { return [lo, hi] }
        let span = Int(hi - lo)
        let maxSegments = max(1, plotWidth / max(1, cellsPerTick))
        var segments = 1
        for k in stride(from: min(span, maxSegments), through: 1, by: -1) where span % k == 0 {
            segments = k
            break
        }
        return (0...segments).map { lo + Double(span * $0 / segments) }
    }
}
