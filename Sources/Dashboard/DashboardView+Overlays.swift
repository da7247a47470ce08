import Foundation
import TerminalUI

/// Overlays and the digit preview: help box, final summary box, sample images.
extension DashboardView {
    /// A bordered box of `lines` centred in `area` (as large as the lines need, clipped to the area); returns
    /// the inner rectangle used.
    @discardableResult
    func box(title: String, lines: [(String, Style)], in area: Rect, into buffer: inout CellBuffer) -> Rect {
        let contentW = max(title.cellWidth + 2, lines.map { $0.0.cellWidth }.max() ?? 0)
        let w = min(area.width, contentW + 4), h = min(area.height, lines.count + 2)
        guard w >= 3, h >= 3 else { return .zero }
        let r = Rect(x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h)
        let block = Block(title: title, borders: .all, borderStyle: theme[.border], titleStyle: theme[.title],
                          fillStyle: theme[.background], symbols: symbols)
        buffer.render(block, in: r)
        let inner = Rect(x: r.x + 2, y: r.y + 1, width: r.width - 4, height: r.height - 2)
        for (i, (t, style)) in lines.prefix(inner.height).enumerated() {
            buffer.write(TextFormatting.truncate(t, width: inner.width, ellipsis: symbols.ellipsis), x: inner.x,
                         y: inner.y + i, style: style, maxWidth: inner.width)
        }
        return inner
    }

    /// The help overlay: every key binding.
    func renderHelp(in area: Rect, into buffer: inout CellBuffer) {
        let bindings = KeyMap.helpBindings(detachOnQuit: state.detachOnQuit)
        let keyW = bindings.map(\.0.count).max() ?? 0
        let off = snapshot.isReadOnly || !state.canSteer
        var lines = bindings.map { k, d in
            off && KeyMap.steeringKeys.contains(k)
                ? (k.padding(toLength: keyW, withPad: " ", startingAt: 0) + "  off: read-only (\(d))", theme[.muted])
                : (k.padding(toLength: keyW, withPad: " ", startingAt: 0) + "  " + d, theme[.text])
        }
        lines.append(("", theme[.text]))
        if let name = state.themeName, !name.isEmpty { lines.append(("theme: \(name)", theme[.title])) }
        lines.append(("Esc or ? closes this help", theme[.muted]))
        // Drop the footer first when rows are short (the theme line last).
        if lines.count + 2 > area.height {
            let themeLine = lines.first { $0.0.hasPrefix("theme: ") }
            lines = Array(lines.prefix(bindings.count))
            if let themeLine, lines.count + 3 <= area.height { lines.append(themeLine) }
        }
        box(title: "Keys", lines: lines, in: area, into: &buffer)
    }

    /// The final summary box (training finished or failed).
    func renderSummary(in area: Rect, into buffer: inout CellBuffer) {
        let (status, statusStyle) = statusText
        var lines: [(String, Style)] = [(status, statusStyle)]
        lines += snapshot.summary.map { ($0, theme[.text]) }
        lines.append(("", theme[.text]))
        lines.append(("press q to quit", theme[.key]))
        let maxW = max(10, area.width - 4)
        if lines.count + 2 > area.height {
            // Keep the status, the newest summary lines and the quit hint.
            let keep = max(0, area.height - 2 - 2)
            lines = [lines[0]] + Array(lines.dropFirst().dropLast(2).suffix(max(0, keep - 1))) + [lines[lines.count - 1]]
        }
        lines = lines.map { (TextFormatting.truncate($0.0, width: maxW - 4, ellipsis: symbols.ellipsis), $0.1) }
        box(title: "Summary", lines: lines, in: area, into: &buffer)
    }

    /// Geometry of the digit grid: (cell width, image rows in cells, images per row) for `n` images of
    /// `rows x cols` pixels in `area`, choosing the largest image scale at which all fit.
    func digitGrid(n: Int, rows: Int, cols: Int, in area: Rect) -> (w: Int, h: Int, perRow: Int) {
        let r = max(1, min(rows, DigitPreview.maxSide)), c = max(1, min(cols, DigitPreview.maxSide))
        var best = (w: 1, h: 1, perRow: max(1, area.width / 2))
        for s in 1...64 {
            let w = (c + s - 1) / s, h = ((r + s - 1) / s + 1) / 2
            let perRow = max(1, (area.width + 1) / (max(w, 3) + 1))
            let gridRows = (n + perRow - 1) / perRow
            best = (max(w, 3), h, perRow)
            if max(w, 3) <= area.width && gridRows * (h + 1) <= area.height { return best }
        }
        return best
    }

    /// What the digit preview shows when the data has no images (e.g. CSV features): a titled panel with a note.
    func renderNoImagesNotice(in area: Rect, into buffer: inout CellBuffer) {
        guard area.height >= 2 else { return }
        let inner = panel("Samples", in: area, into: &buffer)
        let wrapped = TextFormatting.wrap(Self.noImagesText, width: inner.width)
        let lines = wrapped.count <= inner.height ? wrapped
            : [TextFormatting.truncate(Self.noImagesText, width: inner.width, ellipsis: symbols.ellipsis)]
        for (i, line) in lines.prefix(inner.height).enumerated() {
            buffer.write(line, x: inner.x, y: inner.y + i, style: theme[.muted], maxWidth: inner.width)
        }
    }

    /// The note shown by `d` when there are no sample images.
    static let noImagesText = "no images to preview (not image data)"

    /// Sample images, one per class, each with its label below.
    func renderDigits(in area: Rect, into buffer: inout CellBuffer) {
        guard area.height >= 3 else { return }
        let inner = panel("Samples", in: area, into: &buffer)
        guard !inner.isEmpty, let first = snapshot.previews.first else { return }
        let imgs = Array(snapshot.previews.prefix(64))
        let g = digitGrid(n: imgs.count, rows: first.rows, cols: first.cols, in: inner)
        for (i, img) in imgs.enumerated() {
            let gx = i % g.perRow, gy = i / g.perRow
            let x = inner.x + gx * (g.w + 1), y = inner.y + gy * (g.h + 1)
            guard y + g.h < inner.bottom || (y + 1 <= inner.bottom && g.h == 0) else { break }
            let cell = Rect(x: x, y: y, width: min(g.w, inner.right - x), height: g.h)
            buffer.render(DigitPreview(pixels: img.pixels, rows: img.rows, cols: img.cols, asciiStyle: theme[.text],
                                       symbols: symbols), in: cell)
            let label = "\(img.label) \(img.name)"
            buffer.write(TextFormatting.truncate(label, width: cell.width, ellipsis: symbols.ellipsis), x: x,
                         y: y + g.h, style: theme[.muted], maxWidth: cell.width)
        }
    }
}
