import Foundation
import TerminalUI

/// Text panels: header, progress, side panel (info, epoch table, events), hint line.
extension DashboardView {
    // MARK: - Formatting

    /// `h:mm:ss` or `m:ss`; "-" for negative or non-finite input.
    static func duration(_ s: Double?) -> String {
        guard let s, s.isFinite, s >= 0 else { return "-" }
        let t = Int(min(s, 1e9).rounded())
        let h = t / 3600, m = (t / 60) % 60, sec = t % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, sec) : String(format: "%d:%02d", m, sec)
    }

    /// A rate such as `12.3k`.
    static func rate(_ v: Double) -> String {
        guard v.isFinite, v >= 0 else { return "-" }
        if v >= 1e6 { return NumberFormat.fixed(v / 1e6, decimals: 1) + "M" }
        if v >= 1e4 { return NumberFormat.fixed(v / 1e3, decimals: 1) + "k" }
        return NumberFormat.fixed(v, decimals: 0)
    }

    /// The status word(s) and their style.
    var statusText: (String, Style) {
        switch snapshot.status {
        case .starting: return ("STARTING", theme[.muted])
        case .running: return ("RUNNING", theme[.running])
        case .paused: return (" PAUSED ", theme[.paused].adding(.reverse))
        case .stopping: return ("STOPPING", theme[.warning])
        case .finished(let r): return ("FINISHED: \(r)", theme[.running])
        case .failed(let e): return ("FAILED: \(e)", theme[.error])
        }
    }

    // MARK: - Header

    func renderHeader(in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let (status, statusStyle) = statusText
        let title = snapshot.title.isEmpty ? "Trainboard" : snapshot.title
        let statusWidth = min(status.cellWidth, max(0, area.width - min(title.cellWidth, 12) - 1))
        let statusText = TextFormatting.truncate(status, width: statusWidth, ellipsis: symbols.ellipsis)
        buffer.write(statusText, x: area.right - statusText.cellWidth, y: area.y, style: statusStyle)
        let titleRoom = max(0, area.width - statusText.cellWidth - 1)
        buffer.write(TextFormatting.truncate(title, width: titleRoom, ellipsis: symbols.ellipsis), x: area.x, y: area.y,
                     style: theme[.title], maxWidth: titleRoom)
        guard area.height >= 2 else { return }
        let parts = [snapshot.dataDescription, snapshot.modelDescription, snapshot.optimizerDescription]
            .filter { !$0.isEmpty }
        guard !parts.isEmpty else { return }
        // Share the width: each part gets what it needs, the longest ones are cut first.
        let sep = symbols.isUnicode ? " │ " : " | "
        var budget = area.width - sep.cellWidth * (parts.count - 1)
        var widths = parts.map(\.cellWidth)
        while widths.reduce(0, +) > budget, let i = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[i] > 4 {
            widths[i] -= 1
        }
        var x = area.x
        for (i, p) in parts.enumerated() {
            if i > 0 { x += buffer.write(sep, x: x, y: area.y + 1, style: theme[.border]) }
            let t = TextFormatting.truncate(p, width: min(widths[i], max(0, budget)), ellipsis: symbols.ellipsis)
            x += buffer.write(t, x: x, y: area.y + 1, style: theme[.muted], maxWidth: area.right - x)
            budget -= t.cellWidth
        }
    }

    // MARK: - Progress

    func renderProgress(in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let s = snapshot
        let epochNo = max(0, min(s.epoch + 1, max(s.epochs, 0)))
        let steps = max(0, s.stepsPerEpoch)
        let batchFrac = steps > 0 ? Double(min(max(0, s.batchesDone), steps)) / Double(steps) : 0
        let epochRatio = s.epochs > 0 ? (Double(max(0, s.epoch)) + (s.epoch >= 0 ? batchFrac : 0)) / Double(s.epochs) : 0
        let halves = Layout.horizontal([.fill(1), .fill(1)], spacing: 2).split(Rect(x: area.x, y: area.y,
                                                                                   width: area.width, height: 1))
        if s.isReadOnly {
            // A replayed log: its epochs, no batches or throughput.
            gaugeRow("epoch", ratio: 1, label: "\(s.completedEpochs) logged", in: halves[0], into: &buffer)
            guard area.height >= 2 else { return }
            let logged = s.epochMetrics["learning_rate"] != nil || s.epochMetrics["lr"] != nil
            var line = "read-only replay  lr " + (logged ? NumberFormat.compact(s.learningRate) : "not logged")
            if let m = s.monitor, let b = s.bestEpoch { line += "  best \(m) \(valueText(s.bestValue)) at epoch \(b + 1)" }
            buffer.write(line, x: area.x, y: area.y + 1, style: theme[.muted], maxWidth: area.width)
            return
        }
        gaugeRow("epoch", ratio: epochRatio, label: "\(epochNo)/\(s.epochs)", in: halves[0], into: &buffer)
        gaugeRow("batch", ratio: batchFrac, label: "\(max(0, s.batchesDone))/\(steps)", in: halves[1], into: &buffer)
        guard area.height >= 2 else { return }
        var items: [(String, String)] = [
            ("elapsed", Self.duration(s.elapsed)), ("ETA", s.status.isTerminal ? "-" : Self.duration(s.etaSeconds)),
            ("samples/s", Self.rate(s.samplesPerSecond)), ("lr", NumberFormat.compact(s.learningRate)),
        ]
        if let c = s.cpuPercent { items.append(("CPU", c.isFinite ? NumberFormat.fixed(c, decimals: 0) + "%" : "-")) }
        if let r = s.rssMiB { items.append(("RSS", r.isFinite ? NumberFormat.fixed(r, decimals: 0) + " MiB" : "-")) }
        var x = area.x
        let y = area.y + 1
        for (i, (k, v)) in items.enumerated() {
            let need = (i > 0 ? 2 : 0) + k.cellWidth + 1 + v.cellWidth
            if x - area.x + need > area.width { break }
            if i > 0 { x += 2 }
            x += buffer.write(k + " ", x: x, y: y, style: theme[.muted])
            x += buffer.write(v, x: x, y: y, style: theme[.text])
        }
    }

    func gaugeRow(_ name: String, ratio: Double, label: String, in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let lw = min(name.cellWidth + 1, area.width)
        buffer.write(name, x: area.x, y: area.y, style: theme[.muted], maxWidth: lw)
        let g = Rect(x: area.x + lw, y: area.y, width: area.width - lw, height: 1)
        buffer.render(Gauge(ratio: ratio, label: label, filledStyle: theme[.gauge], emptyStyle: theme[.text],
                            symbols: symbols), in: g)
    }

    // MARK: - Side panel

    /// Info lines (EarlyStopping, monitor, checkpoint) as (text, style).
    var infoLines: [(String, Style)] {
        var out: [(String, Style)] = []
        let s = snapshot
        if let b = s.bestEpoch {
            var t = "best epoch \(b + 1)"
            if let m = s.monitor { t += "  \(m) \(valueText(s.bestValue))" }
            out.append((t, theme[.marker]))
        } else if let m = s.monitor {
            out.append(("monitor \(m)  best \(valueText(s.bestValue))", theme[.text]))
        }
        if let p = s.patience {
            let left = s.patienceLeft.map(String.init) ?? "-"
            var t = "patience \(left)/\(p) left"
            if let m = s.monitor, let now = s.epochMetrics[m]?.last { t += "  now \(NumberFormat.compact(now))" }
            out.append((t, (s.patienceLeft ?? 1) <= 1 ? theme[.warning] : theme[.text]))
        }
        if let path = s.lastCheckpointPath {
            let e = s.lastCheckpointEpoch.map { "ckpt ep \($0 + 1) " } ?? "ckpt "
            out.append((e + path, theme[.text]))
        }
        return out
    }

    /// Writes info lines, truncating each (paths keep their end); with `withEvent`, the newest event last.
    func renderInfoLines(in area: Rect, withEvent: Bool = false, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        var lines = infoLines
        if withEvent, let e = snapshot.events.last {
            lines = Array(lines.prefix(area.height - 1))
            lines.append(("e\(e.epoch + 1) \(eventTag(e.kind)): \(e.message)", eventStyle(e.kind)))
        }
        for (i, (t, style)) in lines.prefix(area.height).enumerated() {
            // Paths keep their file name: "ckpt ep 2 …/best-epoch2.tbmodel".
            let text = Self.fitMessage(t, width: area.width, ellipsis: symbols.ellipsis)
            buffer.write(text, x: area.x, y: area.y + i, style: style, maxWidth: area.width)
        }
    }

    func renderSidePanel(in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let info = infoLines.count
        let infoH = info > 0 ? info + 1 : 0
        let epochs = snapshot.completedEpochs
        let eventsWanted = snapshot.events.isEmpty ? 2 : min(snapshot.events.count, 8) + 1
        let avail = area.height - infoH
        // The table gets its rows up to half the space; events take the rest.
        // Reserve the planned epochs' rows (up to 12) so the layout does not jump as epochs complete.
        let rowsWanted = max(epochs, min(snapshot.epochs, 12)) + 2
        let tableH = max(min(rowsWanted, max(3, avail - eventsWanted)), min(rowsWanted, avail / 2))
        let parts = Layout.vertical([.length(infoH), .length(tableH), .fill(1)]).split(area)
        if infoH > 0 {
            let inner = panel("Training", in: parts[0], into: &buffer)
            renderInfoLines(in: inner, into: &buffer)
        }
        renderEpochTable(in: parts[1], into: &buffer)
        renderEvents(in: parts[2], into: &buffer)
    }

    /// The epoch table's columns after `epoch`: the training form of each metric (`MetricPanels` order, so
    /// `loss` first), then the validation forms, then the learning rate, each when the run logs it.
    var tableKeys: [String] {
        let metrics = snapshot.metricNames.isEmpty ? ["loss", "accuracy"] : snapshot.metricNames
        let rate = snapshot.epochMetrics["learning_rate"] == nil && snapshot.epochMetrics["lr"] != nil ? "lr" : "learning_rate"
        return (metrics.filter { logs($0) } + metrics.map { "val_" + $0 }.filter { logs($0) } + [rate])
            .filter { logs($0) || $0 == "learning_rate" }
    }

    /// The header of a table column: the key when it fits 8 cells (`val_accuracy` as `val_acc`), else cut; narrow
    /// tables use short forms (`acc`, `vloss`, `vacc`, `lr`).
    static func tableHeader(_ key: String, wide: Bool) -> String {
        if key == "learning_rate" || key == "lr" { return "lr" }
        let isVal = key.hasPrefix("val_")
        let base = MetricPanels.baseName(key)
        if wide {
            let name = isVal && base == "accuracy" ? "val_acc" : key
            return String(name.prefix(8))
        }
        let short = base == "accuracy" ? "acc" : base
        return String(((isVal ? "v" : "") + short).prefix(5))
    }

    /// The width of a table column: 6 for losses and the learning rate (values such as `0.0078`), else the header's
    /// (at least 5 narrow, 6 wide).
    static func tableWidth(_ key: String, header: String, wide: Bool) -> Int {
        let base = MetricPanels.baseName(key)
        if base == "loss" || key == "learning_rate" || key == "lr" { return wide ? max(6, header.count) : 6 }
        return max(wide ? 6 : 5, header.count)
    }

    func renderEpochTable(in area: Rect, into buffer: inout CellBuffer) {
        guard area.height >= 2 else { return }
        let inner = panel("Epochs", in: area, into: &buffer)
        let keys = tableKeys
        let wide = area.width >= 44
        let header = [wide ? "epoch" : "ep"] + keys.map { Self.tableHeader($0, wide: wide) }
        let colWidths = [wide ? 5 : 3] + zip(keys, header.dropFirst()).map { Self.tableWidth($0, header: $1, wide: wide) }
        let n = snapshot.completedEpochs
        var rows: [[String]] = []
        rows.reserveCapacity(n)
        // Only the newest rows (and the best one) can be visible: format just those.
        let visible = max(0, inner.height - 1)
        let best = snapshot.bestEpoch.flatMap { $0 >= 0 && $0 < n ? $0 : nil }
        for e in 0..<n {
            let shown = e >= n - visible || e == best
            // Each number fits its column (e.g. lr 0.00784 -> 0.0078 in 6 cells) instead of being cut.
            rows.append(shown ? [String(e + 1)] + keys.enumerated().map { c, k in
                guard let arr = snapshot.epochMetrics[k], e < arr.count else { return "" }
                return Self.fitNumber(arr[e], width: colWidths[c + 1])
            } : [])
        }
        // Whole columns only: drop the trailing ones that do not fit.
        var columns = 0, used = -1
        while columns < colWidths.count && used + 1 + colWidths[columns] <= inner.width {
            used += 1 + colWidths[columns]; columns += 1
        }
        let table = Table(header: Array(header.prefix(columns)), rows: rows.map { Array($0.prefix(columns)) },
                          widths: colWidths.prefix(columns).map { .fixed($0) },
                          alignments: Array(repeating: .right, count: columns), headerStyle: theme[.muted],
                          rowStyle: theme[.text], highlightedRow: best, highlightStyle: theme[.highlight],
                          symbols: symbols)
        buffer.render(table, in: inner)
    }

    func eventTag(_ k: TrainingEvent.Kind) -> String {
        switch k {
        case .pause: return "pause"
        case .resume: return "resume"
        case .checkpoint: return "ckpt"
        case .learningRate: return "lr"
        case .plateau: return "plateau"
        case .nan: return "NaN"
        case .earlyStop: return "early"
        case .stop: return "stop"
        case .info: return "info"
        case .warning: return "warn"
        case .error: return "error"
        }
    }

    func eventStyle(_ k: TrainingEvent.Kind) -> Style {
        switch k {
        case .nan, .warning, .error: return theme[.warning]
        case .pause: return theme[.paused]
        case .earlyStop, .stop: return theme[.marker]
        default: return theme[.text]
        }
    }

    func renderEvents(in area: Rect, into buffer: inout CellBuffer) {
        guard area.height >= 2 else { return }
        let inner = panel("Events", in: area, into: &buffer)
        guard !inner.isEmpty else { return }
        let shown = snapshot.events.suffix(inner.height)
        if shown.isEmpty {
            buffer.write(snapshot.isReadOnly ? "none logged" : "none yet", x: inner.x, y: inner.y, style: theme[.muted], maxWidth: inner.width)
        }
        for (i, e) in shown.enumerated() {
            let style = eventStyle(e.kind)
            let prefix = "e\(e.epoch + 1) "
            let y = inner.y + i
            var x = inner.x
            x += buffer.write(prefix, x: x, y: y, style: theme[.muted], maxWidth: inner.width)
            let room = inner.right - x
            let text = "\(eventTag(e.kind)): \(e.message)"
            buffer.write(Self.fitMessage(text, width: room, ellipsis: symbols.ellipsis), x: x, y: y,
                         style: style, maxWidth: room)
        }
    }

    // MARK: - Hint line

    func renderHintLine(in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        if let input = state.lrInput {
            var x = area.x
            x += buffer.write("learning rate: ", x: x, y: area.y, style: theme[.key], maxWidth: area.width)
            x += buffer.write(input + "_", x: x, y: area.y, style: theme[.text], maxWidth: area.right - x)
            buffer.write("  Enter to apply, Esc to cancel", x: x, y: area.y, style: theme[.muted],
                         maxWidth: area.right - x)
            return
        }
        var rest = area
        if let m = state.message, !m.isEmpty {
            let t = TextFormatting.truncate(m, width: area.width, ellipsis: symbols.ellipsis)
            let w = buffer.write(t, x: area.x, y: area.y, style: theme[.warning], maxWidth: area.width)
            rest = Rect(x: area.x + w + 2, y: area.y, width: area.width - w - 2, height: 1)
        }
        let readOnly = snapshot.isReadOnly || !state.canSteer
        let hints = readOnly ? KeyMap.readOnlyHints
            : snapshot.status.isTerminal ? [("q", "quit"), ("t", "theme"), ("d", "digits"), ("Tab", "view"), ("?", "help")]
            : KeyMap.hintList(detachOnQuit: state.detachOnQuit)
        // Keep "?: help" visible: drop the less important hints first, then tighten the separators.
        var shown = hints
        func width(_ h: [(String, String)], _ sep: Int) -> Int {
            h.reduce(0) { $0 + $1.0.cellWidth + $1.1.cellWidth + 2 } + sep * max(0, h.count - 1)
        }
        var sep = 2
        for key in ["t", "g", "Tab", "d", "m", "l", "c", "+/-"] where width(shown, 1) > rest.width {
            shown.removeAll { $0.0 == key }
        }
        if width(shown, 2) > rest.width { sep = 1 }
        if width(shown, sep) > rest.width { shown = hints }    // too narrow anyway: let KeyHints truncate
        buffer.render(KeyHints(shown.map { (key: $0.0, action: $0.1) }, keyStyle: theme[.key],
                               actionStyle: theme[.muted], separator: String(repeating: " ", count: sep),
                               symbols: symbols), in: rest)
    }
}
