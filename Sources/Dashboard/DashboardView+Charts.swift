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

    /// The x window shared by all three charts, so that markers and ticks line up from chart to chart.
    ///
    /// Edges are whole epochs. `.whole` and `.perBatch` span [0, H], H the first "nice" epoch count (1, 2, 3, 4,
    /// 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, ...) at or past the current position, capped at the planned epochs:
    /// the data fills 3/4 of the width or more (a fixed [0, epochs] left the loss in a sliver for most of the
    /// run), the range changes only a few times per run instead of on every batch, the ticks are whole epochs, and
    /// the learning-rate plan shows up to H (the whole plan once the run nears its end). `.recent` shows the last
    /// three epochs up to the end of the current one.
    var chartWindow: ChartWindow {
        let steps = Double(max(1, snapshot.stepsPerEpoch))
        var now = Double(max(0, snapshot.updates)) / steps
        if now <= 0 {
            now = Double(snapshot.batchLoss.totalAppended) / steps
        }
        now = max(now, Double(snapshot.completedEpochs))
        // The end of the current epoch (an epoch boundary counts as the end of the finished epoch).
        let end = max(1, min((now - 1e-9).rounded(.up), 1e12))
        var span = Self.niceEpochCount(atLeast: end)
        if snapshot.epochs > 0 { span = max(end, min(span, Double(snapshot.epochs))) }
        switch state.chartView {
        case .whole:
            return ChartWindow(steps: steps, now: now, lo: 0, hi: span, showEpochSeries: true, showPlanned: true)
        case .recent:
            return ChartWindow(steps: steps, now: now, lo: max(0, end - 3), hi: end, showEpochSeries: true,
                               showPlanned: true)
        case .perBatch:
            // A source without per-update points (a replayed log) shows its epoch series here too.
            return ChartWindow(steps: steps, now: now, lo: 0, hi: span, showEpochSeries: snapshot.batchLoss.count == 0,
                               showPlanned: false)
        }
    }

    /// The smallest of 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, ... that is >= `n`
    /// (consecutive steps differ by at most 4/3; each has a few whole-number divisors for ticks).
    static func niceEpochCount(atLeast n: Double) -> Double {
        guard n.isFinite, n > 1 else { return 1 }
        for v in [1.0, 2, 3, 4, 5, 6, 8] where v >= n { return v }
        let mantissas: [Double] = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8]
        var scale = 10.0
        while scale < 1e15 {
            for m in mantissas where m * scale >= n { return m * scale }
            scale *= 10
        }
        return n.rounded(.up)
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
            let style = e.kind == .nan || e.kind == .warning || e.kind == .error ? theme[.warning] : theme[.muted]
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

    /// X labels for a plot `plotWidth` cells wide: whole-epoch ticks (see `integerTicks`), the first prefixed by
    /// "epoch" when there is room.
    func xLabels(_ w: ChartWindow, plotWidth: Int) -> [String] {
        let widest = max(NumberFormat.compact(w.lo).count, NumberFormat.compact(w.hi).count)
        let prefix = plotWidth >= 30
        // Room for "epoch 0" then the next label centred on its tick.
        let cells = max(6, widest + 3, prefix ? 8 + widest / 2 + 1 : 0)
        let ticks = Self.integerTicks(lo: w.lo, hi: w.hi, plotWidth: plotWidth, cellsPerTick: cells)
        var labels = ticks.map(NumberFormat.compact)
        if prefix, !labels.isEmpty { labels[0] = "epoch " + labels[0] }
        return labels
    }

    // MARK: - Shared y axis width

    /// One chart to draw, with what is needed to line its plot up with the others.
    struct ChartPlan {
        var series: [ChartSeries]
        var logY = false
        var yBounds: ClosedRange<Double>?
        var markers: [ChartMarker]
        var showXLabels: Bool
        /// Width of the y labels `LineChart` will draw for `yBounds`.
        var labelWidth: Int
    }

    /// The y range `LineChart` would take from the points of `series` inside the window (finite; > 0 with `logY`),
    /// widened as it widens a flat range; `nil` when there are no such points.
    func yRange(_ series: [ChartSeries], window w: ChartWindow, logY: Bool) -> ClosedRange<Double>? {
        var lo = Double.infinity, hi = -Double.infinity
        for s in series {
            for i in 0..<s.count {
                let x = s.x(at: i), y = s.ys[i]
                guard x >= w.lo - 1e-9, x <= w.hi + 1e-9, y.isFinite, !logY || y > 0 else { continue }
                lo = min(lo, y); hi = max(hi, y)
            }
        }
        guard lo <= hi else { return nil }
        if lo < hi { return (hi / 2 - lo / 2).isFinite && (hi - lo).isFinite ? lo...hi : nil }
        if logY { return lo / 10.0.squareRoot()...lo * 10.0.squareRoot() }
        let d = lo == 0 ? 1 : abs(lo) / 10
        return (lo - d)...(lo + d)
    }

    /// The widest y label `LineChart` draws for `bounds` (default 0...1, log 1...10) on a plot of `plotHeight` rows.
    func yLabelWidth(_ bounds: ClosedRange<Double>?, logY: Bool, plotHeight: Int) -> Int {
        let b = bounds ?? (logY ? 1...10 : 0...1)
        let mid = logY ? pow(10, (log10(b.lowerBound) + log10(b.upperBound)) / 2) : (b.lowerBound + b.upperBound) / 2
        var labels = [NumberFormat.compact(b.upperBound), NumberFormat.compact(b.lowerBound)]
        if plotHeight >= 3 { labels.append(NumberFormat.compact(mid)) }
        return labels.map(\.cellWidth).max() ?? 0
    }

    func plan(_ series: [ChartSeries], logY: Bool = false, markers: [ChartMarker], showXLabels: Bool,
              window w: ChartWindow, plotHeight: Int) -> ChartPlan {
        let b = yRange(series, window: w, logY: logY)
        return ChartPlan(series: series, logY: logY, yBounds: b, markers: markers, showXLabels: showXLabels,
                         labelWidth: yLabelWidth(b, logY: logY, plotHeight: plotHeight))
    }

    /// Draws `p` in `inner`, indented so that its plot starts `axisWidth` cells (labels + axis line) in.
    func draw(_ p: ChartPlan, window w: ChartWindow, axisWidth: Int, in inner: Rect, into buffer: inout CellBuffer) {
        let indent = max(0, min(axisWidth - (p.labelWidth + 1), inner.width))
        let r = Rect(x: inner.x + indent, y: inner.y, width: inner.width - indent, height: inner.height)
        let plotWidth = max(0, inner.width - axisWidth)
        let chart = LineChart(series: p.series, xBounds: w.lo...w.hi, yBounds: p.yBounds, logY: p.logY,
                              xLabels: p.showXLabels ? xLabels(w, plotWidth: plotWidth) : [], markers: p.markers,
                              axisStyle: theme[.border], labelStyle: theme[.muted], invalidStyle: theme[.warning],
                              symbols: symbols)
        buffer.render(chart, in: r)
    }

    // MARK: - Layout of the chart column

    /// The metrics drawn as line charts (`MetricPanels.charted`: `--charts`, the `m` key, else `loss` and the run's
    /// first other metric).
    var chartedMetrics: [String] { MetricPanels.charted(requested: state.charts, metrics: snapshot.metricNames) }

    /// Lays the charts out in `area`: the charted metrics and the learning rate as line charts when rows allow, the
    /// other metrics as one-row sparklines under them; everything as sparklines when rows are few. The line charts
    /// share the x window and the y-axis width, so that their plots (and markers, and ticks) line up column for
    /// column.
    func renderCharts(in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let w = chartWindow
        var charted = chartedMetrics
        var sparks = snapshot.metricNames.filter { !charted.contains($0) }
        // One row per other metric, up to a sixth of the rows.
        var sparkRows = min(sparks.count, area.height / 6)
        var h = area.height - sparkRows
        // Each chart after the first needs about 4 rows to be worth it; the surplus becomes sparklines.
        if h >= 15 {
            let room = h >= 24 ? max(1, h * 30 / 100 / 4) : max(1, (h - 9) / 3)
            if charted.count - 1 > room {
                sparks = Array(charted.dropFirst(1 + room)) + sparks
                charted = Array(charted.prefix(1 + room))
                sparkRows = min(sparks.count, area.height / 6)
                h = area.height - sparkRows
            }
        }
        let split = Layout.vertical([.fill(1), .length(sparkRows)]).split(area)
        let chartArea = split[0]
        var plans: [(ChartPlan, Rect)] = []
        func chart(_ metric: String, _ r: Rect) {
            plans.append(metric == "loss" ? lossChart(in: r, window: w, into: &buffer)
                                          : metricChart(metric, in: r, window: w, into: &buffer))
        }
        // Chart panels need a title row plus at least 4 plot rows to be worth it; a metric such as accuracy (a
        // slow, smooth per-epoch curve) still reads well in 2 braille rows (8 dots).
        // A replayed log without a learning-rate column has no rate chart (the live trainer always has a rate).
        let showRate = !snapshot.isReadOnly || snapshot.epochMetrics["learning_rate"] != nil
            || snapshot.epochMetrics["lr"] != nil || snapshot.batchLearningRate.count > 0
        if h >= 15 {
            var constraints: [Constraint]
            if h >= 24 {
                constraints = charted.count == 1 ? [.percentage(60)]
                    : [.percentage(40)] + Array(repeating: .percentage(30 / (charted.count - 1)), count: charted.count - 1)
                constraints.append(.fill(1))
            } else {
                constraints = [.fill(3)] + Array(repeating: .length(3), count: charted.count - 1) + [.fill(2)]
            }
            if !showRate { constraints = Array(constraints.dropLast(2)) + [.fill(1)] }
            let parts = Layout.vertical(constraints).split(chartArea)
            for (k, metric) in charted.enumerated() { chart(metric, parts[k]) }
            if showRate { plans.append(lrChart(in: parts[charted.count], window: w, into: &buffer)) }
        } else if h >= 9 {
            let rest = Array(charted.dropFirst())
            let parts = Layout.vertical([.fill(1)] + Array(repeating: .length(2), count: rest.count) + [.length(2)])
                .split(chartArea)
            if let first = charted.first { chart(first, parts[0]) }
            for (k, metric) in rest.enumerated() { renderMetricSpark(metric, in: parts[k + 1], into: &buffer) }
            if showRate { renderLRSpark(in: parts[rest.count + 1], into: &buffer) }
        } else {
            let each = min(2, h / 3)
            let parts = Layout.vertical(Array(repeating: .length(each), count: charted.count) + [.fill(1)])
                .split(chartArea)
            for (k, metric) in charted.enumerated() { renderMetricSpark(metric, in: parts[k], into: &buffer) }
            if showRate { renderLRSpark(in: parts[charted.count], into: &buffer) }
        }
        if sparkRows > 0 {
            let rows = Layout.vertical(Array(repeating: .length(1), count: sparkRows)).split(split[1])
            for (k, metric) in sparks.prefix(sparkRows).enumerated() {
                renderMetricSpark(metric, in: rows[k], into: &buffer)
            }
        }
        let axisWidth = plans.filter { !$0.1.isEmpty }.map { $0.0.labelWidth + 1 }.max() ?? 0
        for (p, inner) in plans where !inner.isEmpty {
            draw(p, window: w, axisWidth: axisWidth, in: inner, into: &buffer)
        }
    }

    /// Draws a titled panel frame (a top rule with the title) and returns the content area.
    func panel(_ title: String, in area: Rect, into buffer: inout CellBuffer) -> Rect {
        let block = Block(title: title, borders: .top, borderStyle: theme[.border], titleStyle: theme[.title],
                          symbols: symbols)
        buffer.render(block, in: area)
        return block.inner(area)
    }

    /// Cells a legend rule `name` + `segments` needs (with one rule cell left at each end).
    static func legendWidth(_ name: String, _ segments: [(String, Style)]) -> Int {
        2 + name.cellWidth + 2 + segments.reduce(0) { $0 + $1.0.cellWidth + 2 }
    }

    /// Draws a panel rule whose title is a name followed by coloured `name value` segments (the chart's legend),
    /// and returns the content area. `variants` go from most to least verbose: the first that fits is drawn (the
    /// last one, truncated, when none fits).
    func legendPanel(_ name: String, _ variants: [[(String, Style)]], in area: Rect,
                     into buffer: inout CellBuffer) -> Rect {
        let block = Block(borders: .top, borderStyle: theme[.border], symbols: symbols)
        buffer.render(block, in: area)
        guard area.height > 0, area.width > 2 else { return block.inner(area) }
        let segments = variants.first { Self.legendWidth(name, $0) <= area.width } ?? variants.last ?? []
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

    /// A value in at most 4 characters where possible (`0.32`, `1.12`, `12.3`, `8e-3`), for narrow legends.
    func shortValue(_ v: Double?) -> String { v.map { Self.fitNumber($0, width: 4) } ?? "-" }

    /// Plot rows a chart panel of `inner` has, and whether it shows x labels.
    func plotRows(_ inner: Rect, xLabels: Bool) -> (rows: Int, labels: Bool) {
        let labels = xLabels && inner.height >= 5
        return (inner.height - (labels ? 1 : 0), labels)
    }

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

    /// The loss legend, most verbose first.
    func lossLegend(_ w: ChartWindow) -> [[(String, Style)]] {
        let view = ("[\(state.chartView.rawValue)]", theme[.muted])
        let batch = snapshot.batchLoss.last
        guard w.showEpochSeries else {
            let full = [("batch \(valueText(batch))", theme[.muted])], short = [("batch \(shortValue(batch))", theme[.muted])]
            return [full + [view], short + [view], full, short]
        }
        let loss = lastEpochValue("loss"), val = lastEpochValue("val_loss")
        var full = [("loss \(valueText(loss))", theme[.loss]), ("val_loss \(valueText(val))", theme[.valLoss])]
        var short = [("loss \(shortValue(loss))", theme[.loss]), ("val \(shortValue(val))", theme[.valLoss])]
        // A source without per-update losses (a replayed log) has no batch band to name.
        if !snapshot.isReadOnly || snapshot.batchLoss.count > 0 {
            full.append(("batch \(valueText(batch))", theme[.muted]))
            short.append(("batch \(shortValue(batch))", theme[.muted]))
        }
        return [full + [view], full, short + [view], short]
    }

    func lossChart(in area: Rect, window w: ChartWindow, into buffer: inout CellBuffer) -> (ChartPlan, Rect) {
        let inner = legendPanel("Loss", lossLegend(w), in: area, into: &buffer)
        var markers = eventMarkers(window: w)
        if let m = bestMarker(window: w) { markers.append(m) }
        let rows = plotRows(inner, xLabels: true)
        return (plan(lossSeries(w, width: inner.width), markers: markers, showXLabels: rows.labels, window: w,
                     plotHeight: rows.rows), inner)
    }

    func renderLossSpark(in area: Rect, into buffer: inout CellBuffer) {
        guard snapshot.batchLoss.count > 0 else {
            return renderEpochSpark("loss", label: "loss", styles: (theme[.loss], theme[.valLoss]), in: area,
                                    into: &buffer)
        }
        let label = "loss \(valueText(lastEpochValue("loss")))/\(valueText(lastEpochValue("val_loss")))"
        let data = perUpdatePoints(snapshot.batchLoss, window: chartWindow, buckets: max(1, area.width / 2)).ys
        sparkRow(label, data: data, style: theme[.loss], log: false, in: area, into: &buffer)
    }

    // MARK: - Metrics (accuracy, mae, auc, ...)

    /// True when the run logs `key` (declared in `metricKeys` or present in `epochMetrics`); also when nothing is
    /// known yet, so that an empty chart still names both series.
    func logs(_ key: String) -> Bool {
        (snapshot.metricKeys.isEmpty && snapshot.epochMetrics.isEmpty) || snapshot.metricKeys.contains(key)
            || snapshot.epochMetrics[key] != nil
    }

    /// The series of `metric` the compact forms show: validation when it has a finite value, else training.
    func compactKey(_ metric: String) -> String {
        snapshot.epochMetrics["val_" + metric]?.contains(where: \.isFinite) == true ? "val_" + metric : metric
    }

    /// The best finite value of `metric`'s compact series and its label (`max` / `min`), when its direction is known.
    func bestOf(_ metric: String) -> (label: String, value: Double?)? {
        guard let goal = MetricPanels.goal(of: metric, goals: snapshot.metricGoals) else { return nil }
        let values = snapshot.epochMetrics[compactKey(metric)] ?? []
        return (goal.rawValue, MetricPanels.best(values, goal: goal)?.value)
    }

    /// The highest finite value of the accuracy the compact forms show.
    var bestAccuracy: Double? { snapshot.epochMetrics[compactKey("accuracy")]?.filter(\.isFinite).max() }

    /// A chart title for `metric`: short names in capitals (`MAE`, `AUC`), others capitalised (`Accuracy`).
    static func chartTitle(_ metric: String) -> String {
        metric.count <= 3 ? metric.uppercased() : metric.prefix(1).uppercased() + metric.dropFirst()
    }

    /// A short name for narrow legends and sparklines (`acc` for `accuracy`).
    static func shortName(_ metric: String) -> String { metric == "accuracy" ? "acc" : metric }

    func metricChart(_ metric: String, in area: Rect, window: ChartWindow,
                     into buffer: inout CellBuffer) -> (ChartPlan, Rect) {
        var w = window
        w.showEpochSeries = true
        let valKey = "val_" + metric
        let hasTrain = logs(metric), hasVal = logs(valKey)
        let value = lastEpochValue(metric), val = lastEpochValue(valKey)
        var full: [(String, Style)] = [], short: [(String, Style)] = []
        if hasTrain {
            full.append(("\(metric) \(valueText(value))", theme[.accuracy]))
            short.append(("\(Self.shortName(metric)) \(valueText(value))", theme[.accuracy]))
        }
        if hasVal {
            full.append(("\(valKey) \(valueText(val))", theme[.valAccuracy]))
            short.append(("val \(valueText(val))", theme[.valAccuracy]))
        }
        let best = bestOf(metric).map { [("\($0.label) \(valueText($0.value))", theme[.marker])] } ?? []
        let inner = legendPanel(Self.chartTitle(metric), [full + best, full, short + best, short], in: area,
                                into: &buffer)
        let a = epochPoints(metric, window: w), v = epochPoints(valKey, window: w)
        var markers = eventMarkers(window: w)
        if let m = bestMarker(window: w, labelled: false) { markers.append(m) }
        let series = [ChartSeries(name: metric, xs: a.xs, ys: a.ys, style: theme[.accuracy]),
                      ChartSeries(name: valKey, xs: v.xs, ys: v.ys, style: theme[.valAccuracy])]
        return (plan(series, markers: markers, showXLabels: false, window: w, plotHeight: inner.height), inner)
    }

    /// A sparkline of `metric`: the loss's per-update band when it has one, else the per-epoch values.
    func renderMetricSpark(_ metric: String, in area: Rect, into buffer: inout CellBuffer) {
        if metric == "loss" { return renderLossSpark(in: area, into: &buffer) }
        renderEpochSpark(metric, label: Self.shortName(metric), styles: (theme[.accuracy], theme[.valAccuracy]),
                         in: area, into: &buffer)
    }

    /// A sparkline of the per-epoch values of `metric` (validation when there are any), labelled with the last
    /// training / validation values and the best.
    func renderEpochSpark(_ metric: String, label name: String, styles: (Style, Style), in area: Rect,
                          into buffer: inout CellBuffer) {
        let key = compactKey(metric)
        var label = "\(name) \(valueText(lastEpochValue(metric)))/\(valueText(lastEpochValue("val_" + metric)))"
        if let b = bestOf(metric), metric != "loss" { label += " \(b.label) \(valueText(b.value))" }
        let values = snapshot.epochMetrics[key] ?? []
        // Few epochs: each gets a few cells, so the trend reads at a glance. Scaled to the data's own range (a
        // fixed 0...1 scale drew near-identical full bars once accuracy passed ~0.8); the text gives the values.
        let repeatCount = values.isEmpty ? 1 : max(1, min(4, area.width / values.count))
        let data = values.flatMap { repeatElement($0, count: repeatCount) }
        sparkRow(label, data: data, style: key == metric ? styles.0 : styles.1, log: false, in: area, into: &buffer)
    }

    // MARK: - Learning rate

    func lrChart(in area: Rect, window w: ChartWindow, into buffer: inout CellBuffer) -> (ChartPlan, Rect) {
        let planned = w.showPlanned && !snapshot.plannedLearningRate.isEmpty
        let dash = symbols.isUnicode ? "╌" : ":"
        var full: [(String, Style)] = [("applied \(valueText(snapshot.learningRate))", theme[.lr])]
        var short: [(String, Style)] = [("lr \(valueText(snapshot.learningRate))", theme[.lr])]
        if planned {
            full.append(("\(dash) planned", theme[.lrPlanned]))
            short.append(("\(dash) plan", theme[.lrPlanned]))
        }
        if state.logScaleLR {
            full.append(("(log)", theme[.muted]))
            short.append(("(log)", theme[.muted]))
        }
        let inner = legendPanel("Learning rate", [full, short], in: area, into: &buffer)
        let b = snapshot.batchLearningRate.count > 0
            ? perUpdatePoints(snapshot.batchLearningRate, window: w, buckets: dotColumns(inner.width)) : epochRateSteps(w)
        var series = [ChartSeries(name: "applied", xs: b.xs, ys: b.ys, style: theme[.lr])]
        if planned {
            var xs: [Double] = [], ys: [Double] = []
            let stride = Double(PlannedRates.stride(from: snapshot.plannedFromEpoch, to: snapshot.epochs))
            for (k, v) in snapshot.plannedLearningRate.prefix(PlannedRates.maximumPoints).enumerated() {
                let x0 = Double(snapshot.plannedFromEpoch) + Double(k) * stride
                guard x0 < w.hi - 1e-9 else { break }
                guard x0 + stride > w.lo - 1e-9 else { continue }
                xs.append(max(x0, w.lo)); ys.append(v)
                xs.append(min(x0 + stride, w.hi)); ys.append(v)
            }
            series.append(ChartSeries(name: "planned", xs: xs, ys: ys, style: theme[.lrPlanned], marker: .dashed))
        }
        var markers: [ChartMarker] = []
        for e in snapshot.events.suffix(64) where e.kind == .plateau || e.kind == .learningRate {
            markers.append(ChartMarker(x: Double(max(0, e.update)) / w.steps, style: theme[.marker],
                                       label: e.kind == .plateau ? "plateau" : nil))
        }
        let rows = plotRows(inner, xLabels: true)
        return (plan(series, logY: state.logScaleLR, markers: markers, showXLabels: rows.labels, window: w,
                     plotHeight: rows.rows), inner)
    }

    /// The per-epoch `learning_rate` log as steps (the rate held for the whole epoch: x from e to e + 1), for a
    /// source without per-update rates (a replayed log).
    func epochRateSteps(_ w: ChartWindow) -> (xs: [Double], ys: [Double]) {
        var xs: [Double] = [], ys: [Double] = []
        for (e, v) in (snapshot.epochMetrics["learning_rate"] ?? snapshot.epochMetrics["lr"] ?? []).enumerated() {
            let x0 = Double(e), x1 = Double(e + 1)
            guard x1 > w.lo - 1e-9, x0 < w.hi + 1e-9 else { continue }
            xs.append(max(x0, w.lo)); ys.append(v)
            xs.append(min(x1, w.hi)); ys.append(v)
        }
        return (xs, ys)
    }

    func renderLRSpark(in area: Rect, into buffer: inout CellBuffer) {
        let label = "lr \(valueText(snapshot.learningRate))"
        let data = snapshot.batchLearningRate.count == 0 ? epochRateSteps(chartWindow).ys
            : perUpdatePoints(snapshot.batchLearningRate, window: chartWindow, buckets: max(1, area.width / 2)).ys
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
            let lw = min(area.width / 2, label.cellWidth + 1)
            buffer.write(label, x: area.x, y: area.y, style: theme[.title], maxWidth: lw)
            spark = Rect(x: area.x + lw, y: area.y, width: area.width - lw, height: 1)
        }
        buffer.render(Sparkline(data: data, style: style, invalidStyle: theme[.warning], min: range?.0, max: range?.1,
                                logScale: log, symbols: symbols), in: spark)
    }
}
