import TerminalUI

/// Lays the dashboard out for any terminal size from the trainer's snapshot and the UI state (pure: renders into a
/// `CellBuffer`).
///
/// Thread-safety: a value; render on the UI thread.
public struct DashboardView: Sendable {
    public var snapshot: TrainingSnapshot
    public var state: DashboardState
    public var theme: Theme
    public var symbols: Symbols

    /// Below this size the view shows a "terminal too small" notice.
    public static let minimumColumns = 40
    public static let minimumRows = 12

    public init(snapshot: TrainingSnapshot, state: DashboardState, theme: Theme, symbols: Symbols) {
        self.snapshot = snapshot
        self.state = state
        self.theme = theme
        self.symbols = symbols
    }

    /// Renders the whole dashboard into `buffer` (its full area).
    public func render(into buffer: inout CellBuffer) {
        let area = buffer.area
        buffer.fill(area, with: Cell(" ", style: theme[.background]))
        guard area.width >= Self.minimumColumns, area.height >= Self.minimumRows else {
            buffer.render(Notice("terminal too small: \(area.width)x\(area.height), need \(Self.minimumColumns)x\(Self.minimumRows)",
                                 symbols: symbols), in: area)
            return
        }
        buffer.write("Trainboard  epoch \(snapshot.epoch + 1)/\(snapshot.epochs)  batch \(snapshot.batchesDone)/\(snapshot.stepsPerEpoch)",
                     x: area.x, y: area.y, style: theme[.title])
    }
}
