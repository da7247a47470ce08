import TerminalUI

/// How `Terminal` sets the terminal up.
///
/// Thread-safety: a value; safe to send between threads.
public struct TerminalOptions: Sendable {
    /// Which colours to use.
    public enum ColorPreference: Sendable, Hashable {
        /// Detect from the terminal (`COLORS >= 256` -> 256, `>= 8` -> 8, else none) and honour `NO_COLOR`.
        case automatic
        /// At most this mode (still reduced if the terminal supports fewer colours).
        case limit(ColorMode)
    }

    /// Default `readKey()` timeout in milliseconds: negative blocks, 0 polls, positive waits up to that long.
    public var inputTimeoutMs: Int32
    /// How long ncurses waits after ESC for the rest of an escape sequence (ncurses' `set_escdelay`).
    public var escapeDelayMs: Int32
    /// Colour selection.
    public var colors: ColorPreference
    /// Force ASCII output (as if the locale were not UTF-8).
    public var forceASCII: Bool
    /// Hide the cursor while running.
    public var hideCursor: Bool
    /// Register an `atexit` handler that restores the terminal if the process exits while it is active.
    public var restoreOnExit: Bool
    /// On a fatal signal (a Swift trap in any thread, SIGSEGV, SIGABRT, ...) put the tty settings back and leave the
    /// alternate screen before the process dies (async-signal-safe best effort; the previous handler, e.g. Swift's
    /// backtracer, still runs afterwards).
    public var restoreOnCrash: Bool

    /// Defaults: 33 ms input timeout, 25 ms escape delay, automatic colours, hidden cursor, restore on exit and crash.
    public init(
        inputTimeoutMs: Int32 = 33,
        escapeDelayMs: Int32 = 25,
        colors: ColorPreference = .automatic,
        forceASCII: Bool = false,
        hideCursor: Bool = true,
        restoreOnExit: Bool = true,
        restoreOnCrash: Bool = true
    ) {
        self.inputTimeoutMs = inputTimeoutMs
        self.escapeDelayMs = escapeDelayMs
        self.colors = colors
        self.forceASCII = forceASCII
        self.hideCursor = hideCursor
        self.restoreOnExit = restoreOnExit
        self.restoreOnCrash = restoreOnCrash
    }
}

/// Why `Terminal.start()` failed.
///
/// Thread-safety: a value; safe to send between threads.
public enum TerminalError: Error, Sendable, CustomStringConvertible {
    /// stdin or stdout is not a terminal (pipes, CI, `nohup`): use the headless mode instead.
    case notATerminal
    /// ncurses could not set up the terminal, typically because `TERM` is unset or has no terminfo entry.
    case cannotInitialize(term: String?)
    /// The terminfo entry of `TERM` cannot move the cursor (no `cup` capability, or a hardcopy terminal): `dumb`
    /// (Emacs shell buffers, acme, some CI consoles) and similar. Line-oriented output still works there.
    case noCursorAddressing(term: String)
    /// Another `Terminal` is already started in this process (ncurses drives one screen at a time).
    case alreadyActive

    /// A one-line message suitable for stderr.
    public var description: String {
        switch self {
        case .notATerminal:
            return "standard input/output is not a terminal"
        case .cannotInitialize(let term):
            if let term, !term.isEmpty {
                return "cannot initialise the terminal: TERM='\(term)' is unknown or unusable (no terminfo entry?)"
            }
            return "cannot initialise the terminal: TERM is not set"
        case .noCursorAddressing(let term):
            return "TERM='\(term)' cannot move the cursor (no cup in its terminfo entry)"
        case .alreadyActive:
            return "a terminal session is already active"
        }
    }
}
