#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses
import TerminalUI

/// The terminal's size in cells.
///
/// Thread-safety: a value; safe to send between threads.
public struct TerminalSize: Hashable, Sendable, CustomStringConvertible {
    /// Columns (width).
    public var columns: Int
    /// Rows (height).
    public var rows: Int

    /// A size; negative values are clamped to 0.
    public init(columns: Int, rows: Int) {
        self.columns = max(0, columns)
        self.rows = max(0, rows)
    }

    /// The whole screen as a rectangle at the origin.
    public var rect: Rect { Rect(x: 0, y: 0, width: columns, height: rows) }

    /// "COLSxROWS".
    public var description: String { "\(columns)x\(rows)" }
}

/// The ncurses screen: setup and teardown, colour pairs, flushing cell buffers and reading keys.
///
/// Typical use (the UI loop owns the main thread):
/// ```
/// SignalTrap.install()                    // before start(): keeps ncurses from installing exit(1) handlers
/// let term = Terminal()
/// try term.start()
/// defer { term.stop() }
/// while running {
///     switch term.poll(timeoutMs: 33) {   // or term.readKey(timeoutMs: 33) + SignalTrap.pendingSignal()
///     case .key(let key): ...
///     case .resize: ...                   // the next present() redraws everything
///     case .signal(let sig): ...; term.stop(); exit(SignalTrap.exitStatus(for: sig))
///     case .timeout: break
///     }
///     if changed { term.present(render(into: term.makeBuffer())) }
/// }
/// ```
///
/// Thread-safety: **not thread-safe.** ncurses keeps global state; create, use and stop a `Terminal` on the main
/// thread only, and never call ncurses from elsewhere. Only one `Terminal` can be started at a time per process.
/// The exceptions are the ways out of the process: an `atexit` handler (`TerminalOptions.restoreOnExit`) calls
/// `endwin` if the terminal is still active, and a fatal-signal handler (`TerminalOptions.restoreOnCrash`) restores
/// the tty from any thread; an atomic flag makes sure the terminal is restored exactly once.
public final class Terminal {
    /// The options given at creation.
    public let options: TerminalOptions

    /// Whether the locale's character set is UTF-8 (and `forceASCII` is off). When false the backend replaces every
    /// non-ASCII symbol by `?`; the app should then choose ASCII glyphs (no block elements, no braille).
    public let isUTF8: Bool

    /// The colours in use; `.none` before `start()`.
    public private(set) var colorMode: ColorMode = .none

    /// The current size (updated on `Key.resize` and before each `present`); zero before `start()`.
    public private(set) var size = TerminalSize(columns: 0, rows: 0)

    /// The `SCREEN *` returned by `newterm`.
    var screen: OpaquePointer?
    /// The buffer currently on screen (what `present` diffs against); nil forces a full redraw.
    var previous: CellBuffer?
    /// Colour pairs allocated so far.
    var pairs = ColorPairCache()
    /// Whether `use_default_colors` succeeded (palette index -1 is then the terminal default).
    var hasDefaultColors = false
    /// Set when the next refresh must repaint the whole physical screen (after a resize).
    var needsClear = false
    /// Reused scratch space for `setcchar` (CCHARW_MAX characters plus a terminator).
    var wideScratch = [wchar_t](repeating: 0, count: 8)

    /// Creates a terminal (not started yet). Calls `setlocale(LC_ALL, "")` so that `isUTF8` reflects the user's
    /// locale (`LANG`/`LC_ALL`/`LC_CTYPE`); this must happen before ncurses starts and is why the terminal is
    /// created before any other thread touches the locale.
    public init(options: TerminalOptions = TerminalOptions()) {
        self.options = options
        _ = setlocale(LC_ALL, "")
        self.isUTF8 = !options.forceASCII && Terminal.localeIsUTF8()
    }

    deinit {
        stop()
    }

    /// Whether the terminal is started and not stopped (false after the exit handler restored it).
    public var isActive: Bool {
        screen != nil && terminalIsActive.load(ordering: .sequentiallyConsistent)
    }

    /// Whether stdin and stdout are both terminals, i.e. whether `start()` can work. Use it to choose headless mode.
    public static var isInteractive: Bool {
        isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
    }

    /// Why the terminal named by `TERM` cannot show a full-screen interface, or nil when it can. Reads the terminfo
    /// entry (`setupterm` with an error pointer, so ncurses never prints or exits) and checks for cursor addressing
    /// (`cup`); nothing is written to the terminal and its modes are not changed. `start()` runs the same check before
    /// `newterm`; call this first to choose a line-oriented output instead of failing.
    ///
    /// - Returns: `.cannotInitialize` when `TERM` is unset or empty, has no terminfo entry (an unknown or generic
    ///   name such as `unknown`), or there is no terminfo database; `.noCursorAddressing` for entries without `cup`
    ///   (`dumb`) and hardcopy terminals; nil otherwise.
    ///
    /// Thread-safety: not thread-safe (ncurses' global current terminal); call it from the thread that drives ncurses,
    /// before `start()` or after `stop()`.
    public static func unsupportedTerminal() -> TerminalError? {
        guard let term = getenv("TERM").map({ String(cString: $0) }), !term.isEmpty else {
            return .cannotInitialize(term: nil)
        }
        switch tb_check_terminfo(term, STDOUT_FILENO) {
        case 0: return nil
        case 3, 4: return .noCursorAddressing(term: term)
        default: return .cannotInitialize(term: term)
        }
    }

    /// Enters curses mode: `newterm` on stdout/stdin (alternate screen when the terminfo entry has one),
    /// `cbreak` (Ctrl-C still raises SIGINT), `noecho`, keypad, the input timeout and escape delay from `options`,
    /// hidden cursor, and colours (`start_color`, `use_default_colors`; mode from `COLORS`; `NO_COLOR` disables).
    ///
    /// Install `SignalTrap` first. Throws instead of exiting when the terminal cannot be used: `.notATerminal`, and
    /// the errors of `unsupportedTerminal()` (checked before `newterm`, so a `dumb` terminal is never set up).
    /// Calling `start()` on a started terminal does nothing.
    public func start() throws {
        if screen != nil { return }
        guard !terminalIsActive.load(ordering: .sequentiallyConsistent) else { throw TerminalError.alreadyActive }
        guard Terminal.isInteractive else { throw TerminalError.notATerminal }
        if let problem = Terminal.unsupportedTerminal() { throw problem }
        guard let term = getenv("TERM").map({ String(cString: $0) }) else {
            throw TerminalError.cannotInitialize(term: nil)
        }
        CrashGuard.saveTTY()
        guard let scr = newterm(nil, tb_stdout(), tb_stdin()) else {
            throw TerminalError.cannotInitialize(term: term)
        }
        screen = scr
        _ = set_term(scr)
        terminalIsActive.store(true, ordering: .sequentiallyConsistent)
        if options.restoreOnExit { registerExitHandlerOnce() }
        CrashGuard.arm(installFatalHandlers: options.restoreOnCrash)

        _ = cbreak()
        _ = noecho()
        if let win = tb_stdscr() {
            _ = keypad(win, true)
            _ = intrflush(win, false)
            _ = leaveok(win, true)
            wtimeout(win, options.inputTimeoutMs)
        }
        _ = set_escdelay(options.escapeDelayMs)
        if options.hideCursor {
            let old = curs_set(0)
            savedCursorVisibility.store(old == tb_err() ? 1 : old, ordering: .relaxed)
        } else {
            savedCursorVisibility.store(1, ordering: .relaxed)
        }
        setUpColors()
        refreshSize()
        previous = nil
        needsClear = true
    }

    /// Leaves curses mode and restores the terminal (cursor, modes, main screen): `curs_set`, `endwin`, then frees
    /// the ncurses screen. Idempotent: the first call (or the exit handler, whichever comes first) restores; later
    /// calls do nothing. Afterwards `stty -g` reports the same settings as before `start()`.
    public func stop() {
        guard let scr = screen else { return }
        restoreTerminalIfActive()
        delscreen(scr)
        screen = nil
        previous = nil
        colorMode = .none
        size = TerminalSize(columns: 0, rows: 0)
    }

    /// A blank buffer covering the current screen, ready to render into.
    public func makeBuffer() -> CellBuffer {
        CellBuffer(area: size.rect)
    }

    /// Forgets what is on screen: the next `present` clears and redraws everything (e.g. for Ctrl-L).
    public func invalidate() {
        previous = nil
        needsClear = true
    }

    // MARK: - Setup helpers

    static func localeIsUTF8() -> Bool {
        guard let cs = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(String(cString: cs).uppercased().filter { $0 != "-" })
        return name == "UTF8"
    }

    func setUpColors() {
        hasDefaultColors = false
        var mode: ColorMode = .none
        let noColor = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        let wanted: ColorMode
        switch options.colors {
        case .automatic: wanted = noColor ? .none : .ansi256
        case .limit(let m): wanted = m
        }
        if wanted != .none, has_colors(), start_color() != tb_err() {
            hasDefaultColors = use_default_colors() != tb_err()
            let n = tb_colors()
            if n >= 256 { mode = .ansi256 } else if n >= 8 { mode = .ansi8 }
            if wanted == .ansi8 && mode == .ansi256 { mode = .ansi8 }
        }
        colorMode = mode
        let limit = mode == .none ? 1 : tb_color_pairs()
        pairs.reset(
            limit: limit,
            defaultFg: hasDefaultColors ? -1 : 7,
            defaultBg: hasDefaultColors ? -1 : 0)
    }

    /// Re-reads the screen size from ncurses; returns true if it changed (and then forces a full redraw).
    @discardableResult
    func refreshSize() -> Bool {
        let win = tb_stdscr()
        let new = TerminalSize(columns: Int(tb_getmaxx(win)), rows: Int(tb_getmaxy(win)))
        guard new != size else { return false }
        size = new
        previous = nil
        needsClear = true
        return true
    }
}

extension Terminal {
    /// Creates and starts a terminal, runs `body`, and stops the terminal however `body` ends (return or throw).
    /// Install `SignalTrap` before calling.
    public static func withTerminal<R>(
        options: TerminalOptions = TerminalOptions(),
        _ body: (Terminal) throws -> R
    ) throws -> R {
        let term = Terminal(options: options)
        try term.start()
        defer { term.stop() }
        return try body(term)
    }
}
