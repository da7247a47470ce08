import Dashboard
import NCursesBackend
import TerminalUI
import TrainboardKit

/// The ncurses terminal as the dashboard's `Screen`: keys translated to `KeyInput`, Ctrl-L as `.repaint`, resizes,
/// signals trapped by `SignalTrap`, real time as the clock.
///
/// Thread-safety: main thread only (ncurses).
final class NCursesScreen: Screen {
    let terminal: Terminal
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    /// Starts the terminal (install `SignalTrap` first). Throws `TerminalError` when it cannot be used.
    init(options: TerminalOptions = TerminalOptions()) throws {
        terminal = Terminal(options: options)
        origin = clock.now
        try terminal.start()
    }

    var size: (columns: Int, rows: Int) { (terminal.size.columns, terminal.size.rows) }
    var symbols: Symbols { terminal.isUTF8 && terminal.colorMode != .none ? .unicode : .ascii }
    var now: Double {
        let d = clock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    func poll(timeoutMs: Int) -> ScreenInput {
        switch terminal.poll(timeoutMs: Int32(clamping: timeoutMs)) {
        case .signal(let s): return .signal(s)
        case .resize: return .resize
        case .timeout: return .timeout
        case .key(let key):
            if key == .ctrl("l") { return .repaint }
            return Self.input(key).map(ScreenInput.key) ?? .timeout
        }
    }

    func present(_ buffer: CellBuffer) { terminal.present(buffer) }
    func invalidate() { terminal.invalidate() }
    func stop() { terminal.stop() }

    /// The dashboard's view of a key; nil for keys it does not use.
    static func input(_ key: Key) -> KeyInput? {
        switch key {
        case .char(let c): return .char(c)
        case .enter: return .enter
        case .escape: return .escape
        case .tab, .backTab: return .tab
        case .backspace, .delete: return .backspace
        case .up: return .up
        case .down: return .down
        case .left: return .left
        case .right: return .right
        case .resize: return .resize
        default: return nil
        }
    }
}
