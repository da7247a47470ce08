#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses
import Synchronization

/// True while a `Terminal` is started and not yet stopped. Whoever flips it from true to false (with a
/// compare-exchange) is the one caller that runs `endwin`: `Terminal.stop()` or the exit handler, never both.
let terminalIsActive = Atomic<Bool>(false)

/// Cursor visibility to restore (the value `curs_set(0)` returned at start; 1 if unknown).
let savedCursorVisibility = Atomic<Int32>(1)

/// Whether the process-wide `atexit` handler has been registered (it is registered at most once).
private let exitHandlerRegistered = Atomic<Bool>(false)

/// Ends curses mode if a terminal is active; a no-op otherwise. Safe to call any number of times: exactly one caller
/// wins the compare-exchange. Must not run concurrently with drawing on another thread (ncurses is not thread-safe);
/// at `exit()` time that is the caller's responsibility.
/// Returns true if this call restored the terminal.
@discardableResult
func restoreTerminalIfActive() -> Bool {
    guard terminalIsActive.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged
    else { return false }
    CrashGuard.disarm()
    _ = curs_set(savedCursorVisibility.load(ordering: .relaxed))
    _ = endwin()
    return true
}

/// Registers (once per process) an `atexit` handler that restores the terminal if a `Terminal` is still active when
/// the process calls `exit()` — a safety net for error paths that exit without calling `Terminal.stop()`.
func registerExitHandlerOnce() {
    guard exitHandlerRegistered.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent)
        .exchanged
    else { return }
    _ = atexit { restoreTerminalIfActive() }
}
