import Foundation
import TerminalUI

/// Lays the dashboard out for any terminal size from the trainer's snapshot and the UI state (pure: renders into a
/// `CellBuffer`).
///
/// Layout, top to bottom: a header (title, status, run description), two progress rows (epoch / batch gauges,
/// timing and process stats), the main area, and a key-hint line. The main area holds the charts (loss,
/// accuracy, learning rate) on the left and, when at least `sidePanelMinColumns` columns are available, a side
/// panel (EarlyStopping / checkpoint info, the epoch table, the event list) on the right. Charts become one-row
/// sparklines as rows get short. Overlays (help, digit preview, final summary) are drawn last.
///
/// Cost: per frame the per-update series are read through `MetricSeries.downsampled` once per chart column, so a
/// frame does not grow with the history length beyond one pass over the shown range.
/// Thread-safety: a value; render on the UI thread.
public struct DashboardView: Sendable {
    /// What the trainer published.
    public var snapshot: TrainingSnapshot
    /// The UI's own state (view options, input, overlays).
    public var state: DashboardState
    /// Colours by role.
    public var theme: Theme
    /// Glyph set; with `.ascii` only ASCII is written.
    public var symbols: Symbols

    /// Below this width the view shows a "terminal too small" notice.
    public static let minimumColumns = 50
    /// Below this height the view shows a "terminal too small" notice.
    public static let minimumRows = 14

    /// Width from which the side panel (info, epoch table, events) is shown next to the charts.
    static let sidePanelMinColumns = 72

    /// A view of `snapshot` with `state`, drawn with `theme` and `symbols`.
    public init(snapshot: TrainingSnapshot, state: DashboardState, theme: Theme, symbols: Symbols) {
        self.snapshot = snapshot
        self.state = state
        self.theme = theme
        self.symbols = symbols
    }

    /// Clears `buffer` to the theme's background and, when it is smaller than `minimumColumns` x `minimumRows`,
    /// draws the "terminal too small" notice. Returns whether a frame should be drawn (false: nothing more to draw).
    /// Shared by every full-screen view (the dashboard, the comparison).
    public static func beginFrame(_ buffer: inout CellBuffer, theme: Theme, symbols: Symbols) -> Bool {
        let area = buffer.area
        buffer.fill(area, with: Cell(" ", style: theme[.background]))
        guard !area.isEmpty else { return false }
        guard area.width >= minimumColumns, area.height >= minimumRows else {
            let msg = "terminal too small: \(area.width)x\(area.height), need \(minimumColumns)x\(minimumRows)"
            buffer.render(Notice(msg, style: theme[.warning], borderStyle: theme[.border], symbols: symbols), in: area)
            return false
        }
        return true
    }

    /// Renders the whole dashboard into `buffer` (its full area).
    public func render(into buffer: inout CellBuffer) {
        let area = buffer.area
        guard Self.beginFrame(&buffer, theme: theme, symbols: symbols) else { return }
        let showDescription = area.height >= 18
        let rows = Layout.vertical([.length(showDescription ? 2 : 1), .length(2), .fill(1), .length(1)]).split(area)
        renderHeader(in: rows[0], into: &buffer)
        renderProgress(in: rows[1], into: &buffer)
        renderMain(in: rows[2], into: &buffer)
        renderHintLine(in: rows[3], into: &buffer)
        if snapshot.status.isTerminal && !state.showHelp && !snapshot.isReadOnly {
            renderSummary(in: rows[2], into: &buffer)
        }
        if state.showHelp { renderHelp(in: area, into: &buffer) }
    }

    /// The main area: charts, and the side panel or digit preview when there is room.
    func renderMain(in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        // `d` on data without images: a short notice where the samples would be, instead of nothing.
        let noImages = state.showDigits && snapshot.previews.isEmpty
        if area.width >= Self.sidePanelMinColumns {
            let side = area.width >= 100 ? min(48, area.width * 38 / 100) : max(30, area.width * 40 / 100)
            let cols = Layout.horizontal([.fill(1), .length(side)], spacing: 1).split(area)
            renderCharts(in: cols[0], into: &buffer)
            if state.showDigits && !snapshot.previews.isEmpty {
                renderDigits(in: cols[1], into: &buffer)
            } else if noImages {
                let parts = Layout.vertical([.length(3), .fill(1)]).split(cols[1])
                renderNoImagesNotice(in: parts[0], into: &buffer)
                renderSidePanel(in: parts[1], into: &buffer)
            } else {
                renderSidePanel(in: cols[1], into: &buffer)
            }
        } else if state.showDigits && !snapshot.previews.isEmpty {
            let parts = Layout.vertical([.percentage(40), .fill(1)]).split(area)
            renderCharts(in: parts[0], into: &buffer)
            renderDigits(in: parts[1], into: &buffer)
        } else {
            let noticeRows = noImages ? 2 : 0
            let infoRows = area.height - noticeRows >= 12
                ? min(3, infoLines.count + (snapshot.events.isEmpty ? 0 : 1)) : 0
            let parts = Layout.vertical([.fill(1), .length(noticeRows), .length(infoRows)]).split(area)
            renderCharts(in: parts[0], into: &buffer)
            renderNoImagesNotice(in: parts[1], into: &buffer)
            renderInfoLines(in: parts[2], withEvent: true, into: &buffer)
        }
    }
}
