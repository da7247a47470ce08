import Dashboard
import TerminalUI

/// What `Screen.poll(timeoutMs:)` saw.
///
/// Thread-safety: a value; safe to send between threads.
public enum ScreenInput: Sendable, Equatable {
    /// A key press, already translated for the dashboard.
    case key(KeyInput)
    /// The screen changed size (`Screen.size` has the new size); the next frame redraws everything.
    case resize
    /// The user asked for a full repaint (Ctrl-L).
    case repaint
    /// A trapped termination signal (SIGINT, SIGTERM, SIGHUP) is pending: stop the source and leave with
    /// 128 + the signal number.
    case signal(Int32)
    /// Nothing happened within the timeout.
    case timeout
}

/// Where the dashboard draws and reads keys: the ncurses terminal in the executable (`NCursesScreen`), or an
/// in-memory `ScriptedScreen` with scripted keys and a fake clock in tests. `DashboardLoop` uses nothing else of the
/// terminal.
///
/// Thread-safety: used from the loop's thread only.
public protocol Screen: AnyObject {
    /// The drawable size in cells (columns, rows); a frame is a `CellBuffer` of exactly this size.
    var size: (columns: Int, rows: Int) { get }
    /// The symbol set the screen can show (`.ascii` for a terminal without UTF-8 or colour).
    var symbols: Symbols { get }
    /// The screen's clock, in seconds (monotonic; only differences are used): real time for a terminal, a fake clock
    /// that the script advances for `ScriptedScreen`. Frame pacing and the CPU/RSS sampling run on it.
    var now: Double { get }
    /// Waits up to `timeoutMs` milliseconds for one input; `.timeout` when none came.
    func poll(timeoutMs: Int) -> ScreenInput
    /// Shows `buffer` (sized `size`), drawing only what changed since the last frame.
    func present(_ buffer: CellBuffer)
    /// Forgets what is on screen: the next `present` redraws everything.
    func invalidate()
    /// Leaves the screen (restores the terminal). Idempotent.
    func stop()
}
