import Foundation
import TerminalUI

/// The charts: loss, accuracy and learning rate, as braille line charts or one-row sparklines.
extension DashboardView {
    /// The x window of the charts (in epochs, fractional: x = update / stepsPerEpoch) for the current chart view.
    struct ChartWindow {
        /// Updates per epoch (>= 1).
        var steps: Double
        /// Epochs of progress so far.
        var now: Double
        /// Shown x range.
        var lo: Double, hi: Double
        /// Whether per-epoch series are shown.
        var showEpochSeries: Bool
        /// Whether the planned learning rate is shown.
        var showPlanned: Bool
    }

    /// Updates each held point of a per-update series stands for (1 until the series thinned its history).
    func updatesPerPoint(_ s: MetricSeries) -> Double {
        s.count > 0 && s.totalAppended > s.count ? Double(s.totalAppended) / Double(s.count) : 1
    }

    var chartWindow: ChartWindow {
        let steps = Double(max(1, snapshot.stepsPerEpoch))
        var now = Double(max(0, snapshot.updates)) / steps
        if now <= 0 {
            now = Double(snapshot.batchLoss.totalAppended) / steps
        }
        now = max(now, Double(snapshot.completedEpochs))
        switch state.chartView {
        case .whole:
            return ChartWindow(steps: steps, now: now, lo: 0, hi: max(now, 1), showEpochSeries: true, showPlanned: true)
        case .recent:
            let lo = max(0, now - 3)
            return ChartWindow(steps: steps, now: now, lo: lo, hi: max(now, lo + 1), showEpochSeries: true,
                               showPlanned: true)
        case .perBatch:
            return ChartWindow(steps: steps, now: now, lo: 0, hi: max(now, 1), showEpochSeries: false,
                               showPlanned: false)
        }
    }

    /// `series` reduced to at most two points (min and max, in order; plus one non-finite) per x bucket of the
    /// window, with explicit x in epochs. Reads only the points inside the window.
    func perUpdatePoints(_ series: MetricSeries, window w: ChartWindow, buckets: Int) -> (xs: [Double], ys: [Double]) {
        let n = series.count
        guard n > 0, buckets > 0 else { return ([], []) }
        let per = updatesPerPoint(series)
        // Point i stands for update (i + 1) * per, at x = (i + 1) * per / steps.
        let loIdx = max(0, min(n, Int((w.lo * w.steps / per).rounded(.down)) - 1))
        let hiIdx = n
        let count = hiIdx - loIdx
        guard count > 0 else { return ([], []) }
        var xs: [Double] = [], ys: [Double] = []
        xs.reserveCapacity(min(count, buckets * 3)); ys.reserveCapacity(min(count, buckets * 3))
        func x(_ i: Double) -> Double { (i + 1) * per / w.steps }
        if count <= buckets * 2 {
            for i in loIdx..<hiIdx { xs.append(x(Double(i))); ys.append(series[i]) }
            return (xs, ys)
        }
        for b in 0..<buckets {
            let lo = loIdx + count * b / buckets, hi = loIdx + count * (b + 1) / buckets
            guard hi > lo else { continue }
            let cx = x(Double(lo + hi - 1) / 2)
            for v in series.downsampled(buckets: 1, range: lo..<hi) { xs.append(cx); ys.append(v) }
        }
        return (xs, ys)
    }

    /// Per-epoch metric `key` as points at x = epoch + 1 (the end of that epoch), inside the window.
    func epochPoints(_ key: String, window w: ChartWindow) -> (xs: [Double], ys: [Double]) {
        guard let values = snapshot.epochMetrics[key], !values.isEmpty else { return ([], []) }
        var xs: [Double] = [], ys: [Double] = []
        for (e, v) in values.enumerated() {
            let x = Double(e + 1)
            if x >= w.lo - 1e-9 && x <= w.hi + 1e-9 { xs.append(x); ys.append(v) }
        }
        return (xs, ys)
    }

    /// The last value of an epoch metric, if any.
    func lastEpochValue(_ key: String) -> Double? { snapshot.epochMetrics[key]?.last }

    /// Markers for the loss / accuracy charts: events at their update, the EarlyStopping best epoch.
    func eventMarkers(window w: ChartWindow, kinds: Set<TrainingEvent.Kind>? = nil) -> [ChartMarker] {
        var out: [ChartMarker] = []
        for e in snapshot.events.suffix(64) where kinds?.contains(e.kind) ?? true {
            guard e.kind != .info else { continue }
            let x = Double(max(0, e.update)) / w.steps
            let style = e.kind == .nan || e.kind == .warning ? theme[.warning] : theme[.muted]
            out.append(ChartMarker(x: x, style: style))
        }
        return out
    }

    /// The EarlyStopping best epoch (x = end of that epoch), labelled "best" when `labelled`.
    func bestMarker(window w: ChartWindow, labelled: Bool = true) -> ChartMarker? {
        guard let b = snapshot.bestEpoch, b >= 0 else { return nil }
        return ChartMarker(x: Double(b + 1), style: theme[.marker], label: labelled ? "best" : nil)
    }

    /// Dot columns a chart of `width` cells has (2 per cell in Unicode).
    func dotColumns(_ width: Int) -> Int { max(1, width * (symbols.isUnicode ? 2 : 1)) }

    func xLabels(_ w: ChartWindow, width: Int) -> [String] {
        let a = NumberFormat.compact(w.lo), b = NumberFormat.compact(w.hi)
        if width >= 30 { return ["epoch " + a, NumberFormat.compact((w.lo + w.hi) / 2), b] }
        return [a, b]
    }

    // MARK: - Layout of the chart column

    /// Lays the three charts out in `area`: line charts when rows allow, else sparklines.
    func renderCharts(in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let h = area.height
        // Chart panels need a title row plus at least 4 plot rows to be worth it.
        if h >= 24 {
            let parts = Layout.vertical([.percentage(40), .percentage(30), .fill(1)]).split(area)
            renderLossChart(in: parts[0], into: &buffer)
            renderAccuracyChart(in: parts[1], into: &buffer)
            renderLRChart(in: parts[2], into: &buffer)
        } else if h >= 15 {
            let parts = Layout.vertical([.fill(3), .length(2), .fill(2)]).split(area)
            renderLossChart(in: parts[0], into: &buffer)
            renderAccuracySpark(in: parts[1], into: &buffer)
            renderLRChart(in: parts[2], into: &buffer)
        } else if h >= 9 {
            let parts = Layout.vertical([.fill(1), .length(2), .length(2)]).split(area)
            renderLossChart(in: parts[0], into: &buffer)
            renderAccuracySpark(in: parts[1], into: &buffer)
            renderLRSpark(in: parts[2], into: &buffer)
        } else {
            let parts = Layout.vertical([.length(min(2, h / 3)), .length(min(2, h / 3)), .fill(1)]).split(area)
            renderLossSpark(in: parts[0], into: &buffer)
            renderAccuracySpark(in: parts[1], into: &buffer)
            renderLRSpark(in: parts[2], into: &buffer)
        }
    }

    /// Draws a titled panel frame (a top rule with the title) and returns the content area.
    func panel(_ title: String, in area: Rect, into buffer: inout CellBuffer) -> Rect {
        let block = Block(title: title, borders: .top, borderStyle: theme[.border], titleStyle: theme[.title],
                          symbols: symbols)
        buffer.render(block, in: area)
        return block.inner(area)
    }

    /// Draws a panel rule whose title is a name followed by coloured `name value` segments (the chart's legend),
    /// and returns the content area.
    func legendPanel(_ name: String, _ segments: [(String, Style)], in area: Rect, into buffer: inout CellBuffer) -> Rect {
        let block = Block(borders: .top, borderStyle: theme[.border], symbols: symbols)
        buffer.render(block, in: area)
        guard area.height > 0, area.width > 2 else { return block.inner(area) }
        let y = area.y, right = area.right - 1
        var x = area.x + 1
        x += buffer.write(" \(name) ", x: x, y: y, style: theme[.title], maxWidth: right - x)
        for (text, style) in segments where x < right {
            let room = right - x - 1
            guard room >= 4 else { break }
            let t = TextFormatting.truncate(text, width: room, ellipsis: symbols.ellipsis)
            x += buffer.write(" " + t + " ", x: x, y: y, style: style, maxWidth: right - x)
        }
        return block.inner(area)
    }

    func valueText(_ v: Double?) -> String { v.map(NumberFormat.compact) ?? "-" }

    // MARK: - Loss

    func lossSeries(_ w: ChartWindow, width: Int) -> [ChartSeries] {
        var out: [ChartSeries] = []
        let b = perUpdatePoints(snapshot.batchLoss, window: w, buckets: dotColumns(width))
        // A muted min/max band under the epoch lines; in ASCII (one glyph per cell, no colour needed) dots.
        out.append(ChartSeries(name: "batch", xs: b.xs, ys: b.ys, style: theme[.muted],
                               marker: symbols.isUnicode ? .line : .dots))
        if w.showEpochSeries {
            let l = epochPoints("loss", window: w), v = epochPoints("val_loss", window: w)
            out.append(ChartSeries(name: "loss", xs: l.xs, ys: l.ys, style: theme[.loss]))
            out.append(ChartSeries(name: "val_loss", xs: v.xs, ys: v.ys, style: theme[.valLoss]))
        }
        return out
    }

    func renderLossChart(in area: Rect, into buffer: inout CellBuffer) {
        let w = chartWindow
        var segments: [(String, Style)] = [("batch \(valueText(snapshot.batchLoss.last))", theme[.muted])]
        if w.showEpochSeries {
            segments.insert(("loss \(valueText(lastEpochValue("loss")))", theme[.loss]), at: 0)
            segments.insert(("val_loss \(valueText(lastEpochValue("val_loss")))", theme[.valLoss]), at: 1)
        }
        segments.append(("[\(state.chartView.rawValue)]", theme[.muted]))
        let inner = legendPanel("Loss", segments, in: area, into: &buffer)
        var markers = eventMarkers(window: w)
        if let m = bestMarker(window: w) { markers.append(m) }
        let chart = LineChart(series: lossSeries(w, width: inner.width), xBounds: w.lo...w.hi,
                              xLabels: inner.height >= 5 ? xLabels(w, width: inner.width) : [], markers: markers,
                              axisStyle: theme[.border], labelStyle: theme[.muted], invalidStyle: theme[.warning],
                              symbols: symbols)
        buffer.render(chart, in: inner)
    }

    func renderLossSpark(in area: Rect, into buffer: inout CellBuffer) {
        let label = "loss \(valueText(lastEpochValue("loss")))/\(valueText(lastEpochValue("val_loss")))"
        let data = perUpdatePoints(snapshot.batchLoss, window: chartWindow, buckets: max(1, area.width / 2)).ys
        sparkRow(label, data: data, style: theme[.loss], log: false, in: area, into: &buffer)
    }

    // MARK: - Accuracy

    func renderAccuracyChart(in area: Rect, into buffer: inout CellBuffer) {
        var w = chartWindow
        w.showEpochSeries = true
        let inner = legendPanel("Accuracy", [("accuracy \(valueText(lastEpochValue("accuracy")))", theme[.accuracy]),
                                             ("val_accuracy \(valueText(lastEpochValue("val_accuracy")))",
                                              theme[.valAccuracy])], in: area, into: &buffer)
        let a = epochPoints("accuracy", window: w), v = epochPoints("val_accuracy", window: w)
        var markers = eventMarkers(window: w)
        if let m = bestMarker(window: w, labelled: false) { markers.append(m) }
        let chart = LineChart(series: [ChartSeries(name: "accuracy", xs: a.xs, ys: a.ys, style: theme[.accuracy]),
                                       ChartSeries(name: "val_accuracy", xs: v.xs, ys: v.ys, style: theme[.valAccuracy])],
                              xBounds: w.lo...w.hi, markers: markers, axisStyle: theme[.border], labelStyle: theme[.muted], invalidStyle: theme[.warning],
                              symbols: symbols)
        buffer.render(chart, in: inner)
    }

    func renderAccuracySpark(in area: Rect, into buffer: inout CellBuffer) {
        let label = "acc \(valueText(lastEpochValue("accuracy")))/\(valueText(lastEpochValue("val_accuracy")))"
        let key = snapshot.epochMetrics["val_accuracy"]?.contains(where: \.isFinite) == true ? "val_accuracy" : "accuracy"
        let values = snapshot.epochMetrics[key] ?? []
        // Few epochs: each gets a few cells, so the trend reads at a glance. Accuracies use a fixed 0...1 scale.
        let repeatCount = values.isEmpty ? 1 : max(1, min(4, area.width / values.count))
        let data = values.flatMap { repeatElement($0, count: repeatCount) }
        let unit = values.allSatisfy { !$0.isFinite || (0...1).contains($0) }
        sparkRow(label, data: data, style: theme[key == "accuracy" ? .accuracy : .valAccuracy], log: false,
                 range: unit ? (0, 1) : nil, in: area, into: &buffer)
    }

    // MARK: - Learning rate

    func renderLRChart(in area: Rect, into buffer: inout CellBuffer) {
        var w = chartWindow
        // The planned schedule reaches into the future: the whole run in the whole view, one epoch ahead in recent.
        if state.chartView == .whole, snapshot.epochs > 0 { w.hi = max(w.hi, Double(snapshot.epochs)) }
        if state.chartView == .recent { w.hi = max(w.hi, min(w.now + 1, Double(max(snapshot.epochs, 1)))) }
        var segments: [(String, Style)] = [("applied \(valueText(snapshot.learningRate))", theme[.lr])]
        if w.showPlanned && !snapshot.plannedLearningRate.isEmpty {
            segments.append(("\(symbols.isUnicode ? "╌" : ":") planned", theme[.lrPlanned]))
        }
        if state.logScaleLR { segments.append(("(log)", theme[.muted])) }
        let inner = legendPanel("Learning rate", segments, in: area, into: &buffer)
        let b = perUpdatePoints(snapshot.batchLearningRate, window: w, buckets: dotColumns(inner.width))
        var series = [ChartSeries(name: "applied", xs: b.xs, ys: b.ys, style: theme[.lr])]
        if w.showPlanned, !snapshot.plannedLearningRate.isEmpty {
            var xs: [Double] = [], ys: [Double] = []
            for (k, v) in snapshot.plannedLearningRate.prefix(100_000).enumerated() {
                let x0 = Double(snapshot.plannedFromEpoch + k)
                xs.append(x0); ys.append(v)
                xs.append(x0 + 1); ys.append(v)
            }
            series.append(ChartSeries(name: "planned", xs: xs, ys: ys, style: theme[.lrPlanned], marker: .dashed))
        }
        var markers: [ChartMarker] = []
        for e in snapshot.events.suffix(64) where e.kind == .plateau || e.kind == .learningRate {
            markers.append(ChartMarker(x: Double(max(0, e.update)) / w.steps, style: theme[.marker],
                                       label: e.kind == .plateau ? "plateau" : nil))
        }
        let chart = LineChart(series: series, xBounds: w.lo...w.hi, logY: state.logScaleLR,
                              xLabels: inner.height >= 5 ? xLabels(w, width: inner.width) : [], markers: markers,
                              axisStyle: theme[.border], labelStyle: theme[.muted], invalidStyle: theme[.warning],
                              symbols: symbols)
        buffer.render(chart, in: inner)
    }

    func renderLRSpark(in area: Rect, into buffer: inout CellBuffer) {
        let label = "lr \(valueText(snapshot.learningRate))"
        let data = perUpdatePoints(snapshot.batchLearningRate, window: chartWindow, buckets: max(1, area.width / 2)).ys
        sparkRow(label, data: data, style: theme[.lr], log: state.logScaleLR, in: area, into: &buffer)
    }

    /// A sparkline row: a label (on its own row when the area has two rows, else before the sparkline).
    func sparkRow(_ label: String, data: [Double], style: Style, log: Bool, range: (Double, Double)? = nil,
                  in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let spark: Rect
        if area.height >= 2 {
            _ = panel(label, in: Rect(x: area.x, y: area.y, width: area.width, height: 1), into: &buffer)
            spark = Rect(x: area.x, y: area.y + 1, width: area.width, height: area.height - 1)
        } else {
            let lw = min(area.width / 2, label.count + 1)
            buffer.write(label, x: area.x, y: area.y, style: theme[.title], maxWidth: lw)
            spark = Rect(x: area.x + lw, y: area.y, width: area.width - lw, height: 1)
        }
        buffer.render(Sparkline(data: data, style: style, invalidStyle: theme[.warning], min: range?.0, max: range?.1,
                                logScale: log, symbols: symbols), in: spark)
    }
}
