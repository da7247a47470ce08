import Dashboard
import Foundation
import HyperSearch
import TerminalUI

/// The search view's own UI state: the selected cell, the scroll position, overlays and the status the session
/// reports.
///
/// Thread-safety: a value; owned by the UI thread.
public struct SearchViewState: Sendable, Equatable {
    /// The selected candidate (row) and split (column).
    public var candidate = 0
    public var split = 0
    /// The first candidate row shown.
    public var scroll = 0
    public var showHelp = false
    /// A transient message on the hint line, cleared by the next key.
    public var message: String?
    /// A question waiting for y / n (the time estimate before starting); nil otherwise.
    public var confirm: String?
    /// The search's status line ("running", "stopping: killing 2 fits", "finished: ..."), set by the app.
    public var status = ""
    /// Lines describing how the search ended (best candidate, files), shown in a box when set.
    public var summary: [String] = []
    /// False for a replay: `k` and `s` only say that they are off.
    public var canSteer = true
    /// The first `q` asked to stop a running search; the second leaves.
    public var quitRequested = false
    /// The theme index (`t`).
    public var themeIndex = 0

    public init() {}
}

/// What a key asks the app to do in the search view.
public enum SearchViewEffect: Sendable, Equatable {
    /// Show the full charts of this fit (its CSV log).
    case openFit(Int)
    /// Skip this candidate: kill its running fits, do not start the others, record them as skipped.
    case skip(Int)
    /// Stop the search, keeping finished results.
    case stop
    /// The answer to `SearchViewState.confirm`.
    case confirmed(Bool)
    /// Leave the view.
    case exit
    /// Redraw everything.
    case redraw
}

/// The search view's keys.
public enum SearchKeyMap {
    /// (keys, what they do), in help order.
    public static let bindings: [(String, String)] = [
        ("Up/Down", "select a candidate"),
        ("Left/Right", "select a split (fold)"),
        ("Enter", "the selected fit's full charts (its log); Esc goes back"),
        ("k", "skip the selected candidate (kills its running fits)"),
        ("s", "stop the search, keeping finished results (resume with --resume)"),
        ("q", "quit (stops a running search first; again: leave)"),
        ("t", "next theme"),
        ("?", "this help"),
    ]
}

/// The pure key -> (state change, effects) reducer of the search view.
public enum SearchViewReducer {
    /// Applies `key` to `state` given the progress shown (`candidates` rows of `splits` splits); `finished` says the
    /// search has ended (its runner is done).
    public static func reduce(_ state: inout SearchViewState, key: KeyInput, candidates: Int, splits: Int,
                              finished: Bool, themeCount: Int) -> [SearchViewEffect] {
        state.message = nil
        if state.confirm != nil {
            switch key {
            case .char("y"), .char("Y"), .enter: state.confirm = nil; return [.confirmed(true)]
            case .char("n"), .char("N"), .char("q"), .escape: state.confirm = nil; return [.confirmed(false)]
            default: state.message = "answer y or n"; return []
            }
        }
        if state.showHelp, key == .escape || key == .char("?") || key == .char("q") {
            state.showHelp = false
            return []
        }
        let live = state.canSteer && !finished
        switch key {
        case .up: state.candidate = max(0, state.candidate - 1)
        case .down: state.candidate = min(max(0, candidates - 1), state.candidate + 1)
        case .left: state.split = max(0, state.split - 1)
        case .right: state.split = min(max(0, splits - 1), state.split + 1)
        case .enter: return candidates > 0 ? [.openFit(state.candidate * splits + state.split)] : []
        case .char("k"):
            guard live else { state.message = state.canSteer ? "the search has ended" : "read-only: a replay cannot be steered"; return [] }
            return [.skip(state.candidate)]
        case .char("s"):
            guard live else { state.message = state.canSteer ? "the search has ended" : "read-only: a replay cannot be steered"; return [] }
            return [.stop]
        case .char("q"), .char("Q"):
            if !live || state.quitRequested { return [.exit] }
            state.quitRequested = true
            state.message = "stopping the search (finished fits are kept); press q again to leave"
            return [.stop]
        case .char("t"):
            state.themeIndex = themeCount > 0 ? (state.themeIndex + 1) % themeCount : 0
            return [.redraw]
        case .char("?"): state.showHelp.toggle()
        case .escape: state.showHelp = false
        case .resize: return [.redraw]
        default: break
        }
        return []
    }
}

/// The search as a live table of candidates x splits, drawn into a `CellBuffer` (pure).
///
/// Layout, top to bottom: a title line (directory, kind, cross-validator, scoring), a progress gauge with the counts,
/// fits per minute and ETA, the best candidate so far, the table (rank, candidate number, state, one column per split,
/// mean, std, parameters), a detail line for the selected candidate's fits (state, job id, epochs, time), and the key
/// hints. A split cell shows the score when finished, `fail` / `skip`, a sparkline of the running fit's logged
/// `val_loss` with its epoch count, the executor's state (e.g. a Slurm state), or `.` when pending. The best row is
/// highlighted (and marked `*`), the selected row reversed, the selected cell underlined. When the terminal is
/// narrow, split columns shrink and then give way to the mean.
///
/// Thread-safety: a value; render on the UI thread.
public struct SearchView: Sendable {
    public var progress: SearchProgress
    public var state: SearchViewState
    public var theme: Theme
    public var symbols: Symbols
    /// Fits per minute and ETA as the app measured them (nil: not known yet).
    public var rate: Double?
    public var eta: Double?

    public init(progress: SearchProgress, state: SearchViewState, theme: Theme, symbols: Symbols,
                rate: Double? = nil, eta: Double? = nil) {
        self.progress = progress; self.state = state; self.theme = theme; self.symbols = symbols
        self.rate = rate; self.eta = eta
    }

    /// Rows above and below the table (title, progress, best, header / detail, hints).
    static let fixedRows = 6

    /// How many candidate rows fit in a buffer of `rows` rows.
    public static func tableRows(screenRows: Int) -> Int { max(1, screenRows - fixedRows) }

    /// A score as the table shows it: 4 decimals, `NaN`.
    public static func score(_ v: Double) -> String {
        v.isNaN ? "NaN" : String(format: "%.4f", v)
    }

    /// `1h 02m`, `3m 05s`, `42s`; "-" when unknown.
    public static func duration(_ s: Double?) -> String {
        guard let s, s.isFinite, s >= 0 else { return "-" }
        let t = Int(min(s, 1e9).rounded())
        if t >= 3600 { return String(format: "%dh %02dm", t / 3600, (t / 60) % 60) }
        if t >= 60 { return String(format: "%dm %02ds", t / 60, t % 60) }
        return "\(t)s"
    }

    /// Parameters as `name=value, ...` in the plan's key order (sorted).
    public static func paramText(_ p: [String: ParamValue]) -> String {
        ParameterGrid.sortedKeys(Set(p.keys)).map { "\($0)=\(p[$0]!.description)" }.joined(separator: ", ")
    }

    /// The separator dot and the plus-minus sign (ASCII with `.ascii` symbols).
    var dot: String { symbols.isUnicode ? "\u{00B7}" : "." }
    var plusMinus: String { symbols.isUnicode ? "\u{00B1}" : "+-" }

    /// Renders the view into `buffer` (its full area).
    public func render(into buffer: inout CellBuffer) {
        let area = buffer.area
        guard DashboardView.beginFrame(&buffer, theme: theme, symbols: symbols) else { return }
        let p = progress
        var y = area.y
        // Title.
        let cv = "\(p.plan.crossValidator.rawValue)(n_splits=\(p.plan.nSplits))"
        buffer.write("Trainboard search", x: area.x, y: y, style: theme[.title], maxWidth: area.width)
        let right = "\(p.plan.kind) \(dot) \(cv) \(dot) \(p.plan.scoring.rawValue)"
        let titleRest = "  \(p.directory.path)"
        let used = "Trainboard search".count
        buffer.write(TextFormatting.truncate(titleRest, width: max(0, area.width - used - right.count - 1),
                                             ellipsis: symbols.ellipsis),
                     x: area.x + used, y: y, style: theme[.text])
        if area.width > used + right.count + 2 {
            buffer.write(right, x: area.right - right.count, y: y, style: theme[.muted])
        }
        y += 1
        // Progress.
        var counts = "\(p.finished)/\(p.total) fits"
        if p.running > 0 { counts += " \(dot) \(p.running) running" }
        if p.failed > 0 { counts += " \(dot) \(p.failed) failed" }
        if p.skipped > 0 { counts += " \(dot) \(p.skipped) skipped" }
        if rate != nil || !p.isComplete {
            counts += " \(dot) " + (rate.map { String(format: "%.1f fits/min", $0) } ?? "- fits/min")
        }
        counts += " \(dot) ETA " + (p.isComplete ? "done" : Self.duration(eta))
        let gaugeW = min(30, max(10, area.width / 4))
        let ratio = p.total > 0 ? Double(p.finished) / Double(p.total) : 0
        buffer.render(Gauge(ratio: ratio, filledStyle: theme[.gauge], emptyStyle: theme[.muted], symbols: symbols),
                      in: Rect(x: area.x, y: y, width: gaugeW, height: 1))
        buffer.write(" " + counts, x: area.x + gaugeW, y: y, style: theme[.text], maxWidth: area.width - gaugeW)
        y += 1
        // Best so far / status.
        var bestLine: String
        if let b = p.best {
            let c = p.candidates[b]
            bestLine = "best: #\(c.candidate)\(c.iter.map { " iter \($0)" } ?? "") mean \(Self.score(c.mean)) \(plusMinus) \(Self.score(c.std))"
                + (c.isComplete ? "" : " (\(c.scored)/\(p.plan.nSplits) splits)") + "  " + Self.paramText(c.params)
        } else {
            bestLine = "best: - (no fit finished yet)"
        }
        if let r = p.refit {
            bestLine += r.testScore.map { "  refit test \(Self.score($0))" } ?? (r.error != nil ? "  refit failed" : "")
        }
        let status = state.status.isEmpty ? "" : "  [\(state.status)]"
        buffer.write(TextFormatting.truncate(bestLine, width: max(0, area.width - status.count), ellipsis: symbols.ellipsis),
                     x: area.x, y: y, style: theme[.highlight])
        if !status.isEmpty, area.width > status.count + 10 {
            buffer.write(status, x: area.right - status.count, y: y, style: theme[.warning])
        }
        y += 1
        let tableArea = Rect(x: area.x, y: y, width: area.width, height: max(0, area.bottom - 2 - y))
        renderTable(in: tableArea, into: &buffer)
        renderDetail(y: area.bottom - 2, x: area.x, width: area.width, into: &buffer)
        renderHints(y: area.bottom - 1, x: area.x, width: area.width, into: &buffer)
        if !state.summary.isEmpty, !state.showHelp {
            box(title: "Search", lines: state.summary.map { ($0, theme[.text]) } + [("", theme[.text]),
                ("q leaves; Enter / arrows still browse the fits", theme[.key])],
                in: tableArea, into: &buffer, bottom: true)
        }
        if let q = state.confirm {
            box(title: "Start the search?", lines: q.split(separator: "\n").map { (String($0), theme[.text]) }
                + [("", theme[.text]), ("y: start   n: do not start", theme[.key])], in: area, into: &buffer)
        }
        if state.showHelp {
            let keyW = SearchKeyMap.bindings.map(\.0.count).max() ?? 0
            let lines = SearchKeyMap.bindings.map { k, d in
                (k.padding(toLength: keyW, withPad: " ", startingAt: 0) + "  " + d,
                 !state.canSteer && (k == "k" || k == "s") ? theme[.muted] : theme[.text])
            } + [("", theme[.text]), ("In a fit's charts: the dashboard's view keys; Esc or q returns here", theme[.muted]),
                 ("Esc or ? closes this help", theme[.muted])]
            box(title: "Keys", lines: lines, in: area, into: &buffer)
        }
    }

    /// Column widths: rank, #, state, each split, mean, std; params get the rest. `splitW` is 0 when the splits
    /// are hidden.
    func columns(width: Int) -> (splitW: Int, paramsW: Int) {
        let fixed = 5 + 5 + 9 + 8 + 8
        let k = progress.plan.nSplits
        let room = width - fixed - 12
        var splitW = room / max(1, k)
        splitW = min(11, splitW)
        if splitW < 6 { splitW = 0 }
        return (splitW, max(0, width - fixed - splitW * k))
    }

    func renderTable(in area: Rect, into buffer: inout CellBuffer) {
        guard area.height >= 2 else { return }
        let p = progress
        let (splitW, paramsW) = columns(width: area.width)
        var x = area.x
        func head(_ t: String, _ w: Int, right: Bool = false) {
            let s = right ? String(repeating: " ", count: max(0, w - 1 - t.count)) + t : t
            buffer.write(s, x: x, y: area.y, style: theme[.title], maxWidth: max(0, w - 1))
            x += w
        }
        head("rank", 5, right: true); head("#", 5, right: true); head("state", 9)
        if splitW > 0 { for k in 0..<p.plan.nSplits { head("split\(k)", splitW) } }
        head("mean", 8); head("std", 8); head("params", paramsW)
        let visible = area.height - 1
        let first = Self.firstRow(selected: state.candidate, scroll: state.scroll, visible: visible, count: p.candidates.count)
        let best = p.best
        for (row, c) in p.candidates.dropFirst(first).prefix(visible).enumerated() {
            let y = area.y + 1 + row
            let selected = c.index == state.candidate
            var base = c.index == best ? theme[.highlight] : (c.isSkipped ? theme[.muted] : theme[.text])
            if selected { base = base.adding(.reverse) }
            buffer.fill(Rect(x: area.x, y: y, width: area.width, height: 1), with: Cell(" ", style: base))
            var x = area.x
            func cell(_ t: String, _ w: Int, style: Style? = nil, right: Bool = false) {
                let t = TextFormatting.truncate(t, width: max(0, w - 1), ellipsis: symbols.ellipsis)
                let s = right ? String(repeating: " ", count: max(0, w - 1 - t.cellWidth)) + t : t
                buffer.write(s, x: x, y: y, style: style ?? base, maxWidth: max(0, w - 1))
                x += w
            }
            let anyScore = !c.mean.isNaN || c.isComplete
            cell(anyScore ? String(c.rank) : "-", 5, right: true)
            // The candidate's number; with successive halving also its iteration (`3.1`: candidate 3, iter 1).
            cell((c.index == best ? "*" : "") + String(c.candidate) + (c.iter.map { ".\($0)" } ?? ""), 5, right: true)
            cell(candidateState(c), 9)
            if splitW > 0 {
                for f in c.fits {
                    var st = fitStyle(f, base: base)
                    if selected && f.split == state.split { st = st.adding(.underline) }
                    if f.state == .running, !f.curve.isEmpty, splitW >= 6 {
                        let tag = " e\(f.curve.count)"
                        let sw = max(1, splitW - 1 - tag.count)
                        buffer.render(Sparkline(data: f.curve, style: theme[.valLoss].adding(selected ? .reverse : []),
                                                invalidStyle: theme[.error], symbols: symbols),
                                      in: Rect(x: x, y: y, width: min(sw, f.curve.count), height: 1))
                        buffer.write(tag, x: x + min(sw, f.curve.count), y: y, style: st, maxWidth: splitW - 1 - min(sw, f.curve.count))
                        x += splitW
                    } else {
                        cell(fitText(f), splitW, style: st)
                    }
                }
            }
            cell(c.mean.isNaN && !c.isComplete ? "-" : Self.score(c.mean), 8)
            cell(c.std.isNaN && !c.isComplete ? "-" : Self.score(c.std), 8)
            cell(Self.paramText(c.params), paramsW)
        }
    }

    /// The first candidate row shown so that `selected` is visible.
    public static func firstRow(selected: Int, scroll: Int, visible: Int, count: Int) -> Int {
        guard visible > 0, count > visible else { return 0 }
        var first = min(max(0, scroll), count - visible)
        if selected < first { first = selected }
        if selected >= first + visible { first = selected - visible + 1 }
        return max(0, min(first, count - visible))
    }

    /// A candidate's state: `done`, `skipped`, `failed` (any split), `running`, the executor's state, or `pending`.
    func candidateState(_ c: SearchProgress.Candidate) -> String {
        if c.isSkipped { return "skipped" }
        if c.fits.contains(where: { $0.state == .running }) { return "running" }
        if let ext = c.fits.lazy.compactMap({ f -> String? in
            if case .external(let s, _) = f.state { return s } else { return nil } }).first { return ext }
        if c.isComplete { return c.fits.contains { if case .failed = $0.state { return true }; return false } ? "failed" : "done" }
        return c.fits.contains { $0.state.isFinished } ? "partial" : "pending"
    }

    func fitText(_ f: SearchProgress.Fit) -> String {
        switch f.state {
        case .pending: return dot
        case .running: return "running"
        case .done: return Self.score(f.result?.testScore ?? .nan)
        case .failed: return "fail"
        case .skipped: return "skip"
        case .external(let s, let id): return id.map { "\(s) \($0)" } ?? s
        }
    }

    func fitStyle(_ f: SearchProgress.Fit, base: Style) -> Style {
        switch f.state {
        case .failed: return theme[.error].adding(base.modifiers)
        case .skipped, .pending: return theme[.muted].adding(base.modifiers)
        case .running, .external: return theme[.running].adding(base.modifiers)
        case .done: return base
        }
    }

    /// The selected candidate's fits, one after another: `split0 done 0.8100 (10 epochs, 4.2 s) | split1 running e3
    /// val_loss 0.41 | split2 PENDING 1234_5`.
    func renderDetail(y: Int, x: Int, width: Int, into buffer: inout CellBuffer) {
        guard progress.candidates.indices.contains(state.candidate) else { return }
        let c = progress.candidates[state.candidate]
        let parts = c.fits.map { f -> String in
            var t = "split\(f.split) " + f.state.label
            switch f.state {
            case .done:
                if let r = f.result { t += " \(Self.score(r.testScore ?? .nan)) (\(r.epochs) ep, \(String(format: "%.1f", r.fitTime)) s)" }
            case .failed(let e): t += ": " + String(e.prefix(60))
            case .running, .external:
                if let key = f.curveKey, let v = f.curve.last { t += " e\(f.curve.count) \(key) \(Self.score(v))" }
            default: break
            }
            return t
        }
        let iter = c.iter.map { " iter \($0) (\(c.nResources ?? 0) epochs)" } ?? ""
        let text = "#\(c.candidate)\(iter) fit \(c.fits.first?.index ?? 0)..: " + parts.joined(separator: " | ")
        buffer.write(TextFormatting.truncate(text, width: width, ellipsis: symbols.ellipsis), x: x, y: y,
                     style: theme[.muted], maxWidth: width)
    }

    func renderHints(y: Int, x: Int, width: Int, into buffer: inout CellBuffer) {
        if let m = state.message {
            buffer.write(TextFormatting.truncate(m, width: width, ellipsis: symbols.ellipsis), x: x, y: y,
                         style: theme[.warning], maxWidth: width)
            return
        }
        let hints: [(key: String, action: String)] = state.canSteer
            ? [("\u{2191}\u{2193}\u{2190}\u{2192}", "select"), ("Enter", "charts"), ("k", "skip"), ("s", "stop"), ("q", "quit"), ("t", "theme"), ("?", "help")]
            : [("\u{2191}\u{2193}\u{2190}\u{2192}", "select"), ("Enter", "charts"), ("k s", "off (replay)"), ("q", "quit"), ("t", "theme"), ("?", "help")]
        let shown = symbols.isUnicode ? hints : hints.map { ($0.key == "\u{2191}\u{2193}\u{2190}\u{2192}" ? "arrows" : $0.key, $0.action) }
        buffer.render(KeyHints(shown, keyStyle: theme[.key], actionStyle: theme[.muted], symbols: symbols),
                      in: Rect(x: x, y: y, width: width, height: 1))
    }

    /// A bordered box of `lines`, centred in `area` (at its bottom with `bottom`).
    func box(title: String, lines: [(String, Style)], in area: Rect, into buffer: inout CellBuffer, bottom: Bool = false) {
        let contentW = max(title.cellWidth + 2, lines.map { $0.0.cellWidth }.max() ?? 0)
        let w = min(area.width, contentW + 4), h = min(area.height, lines.count + 2)
        guard w >= 3, h >= 3 else { return }
        let top = bottom ? area.bottom - h : area.y + (area.height - h) / 2
        let r = Rect(x: area.x + (area.width - w) / 2, y: top, width: w, height: h)
        buffer.render(Block(title: title, borders: .all, borderStyle: theme[.border], titleStyle: theme[.title],
                            fillStyle: theme[.background], symbols: symbols), in: r)
        let inner = Rect(x: r.x + 2, y: r.y + 1, width: r.width - 4, height: r.height - 2)
        for (i, (t, style)) in lines.prefix(inner.height).enumerated() {
            buffer.write(TextFormatting.truncate(t, width: inner.width, ellipsis: symbols.ellipsis), x: inner.x,
                         y: inner.y + i, style: style, maxWidth: inner.width)
        }
    }
}
