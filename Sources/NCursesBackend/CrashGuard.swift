#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses
import Synchronization

/// Best-effort terminal restore when the process dies from a fatal signal (a Swift trap in any thread is SIGILL or
/// SIGTRAP; also SIGSEGV, SIGBUS, SIGFPE, SIGABRT). `endwin` is not async-signal-safe, so the handler instead puts
/// back the tty settings saved before `newterm` (`tcsetattr`) and writes the terminfo strings that leave curses mode
/// (`sgr0`, `cnorm`, `rmkx`, `rmcup`) with `write`, both async-signal-safe. It then reinstates the previous handler
/// (e.g. Swift's backtracer, which now prints to a usable screen) and re-raises the signal.
///
/// Thread-safety: `arm`/`disarm` on the main thread only (from `Terminal.start`/`stop`); the handler may run on any
/// thread.
enum CrashGuard {
    /// The fatal signals guarded, in the order of `previousActions` (keep in sync with the handler's switch).
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]
    static let capacity = 256

    /// Termios saved before `newterm`, the restore byte sequence and its length, and the dispositions replaced by
    /// `arm`. nonisolated(unsafe) is sound: these are allocated once, written only on the main thread while `armed`
    /// is false (before the release-store that arms the handler), and read by the handler only after it wins the
    /// acquire-exchange on `armed`.
    nonisolated(unsafe) static let savedTermios = UnsafeMutablePointer<termios>.allocate(capacity: 1)
    nonisolated(unsafe) static let restoreBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    nonisolated(unsafe) static let previousActions = UnsafeMutablePointer<sigaction>.allocate(capacity: 6)
    static let restoreLength = Atomic<Int>(0)
    static let haveTermios = Atomic<Bool>(false)
    static let armed = Atomic<Bool>(false)
    static let installed = Atomic<Bool>(false)

    /// Saves the tty settings; call just before `newterm`.
    static func saveTTY() {
        guard !armed.load(ordering: .acquiring) else { return }
        haveTermios.store(tcgetattr(STDOUT_FILENO, savedTermios) == 0, ordering: .releasing)
    }

    /// Records the terminfo restore strings (after `newterm`) and enables `restoreFromSignalHandler`; installs the
    /// fatal-signal handlers (once per process) if `installFatalHandlers`.
    static func arm(installFatalHandlers: Bool) {
        guard !armed.load(ordering: .acquiring) else { return }
        var n = 0
        for cap in ["sgr0", "cnorm", "rmkx", "rmcup"] {
            guard let s = tb_tigetstr(cap) else { continue }
            let len = strlen(s)
            guard n + len < capacity else { continue }
            s.withMemoryRebound(to: UInt8.self, capacity: len) { restoreBytes.advanced(by: n).update(from: $0, count: len) }
            n += len
        }
        restoreLength.store(n, ordering: .relaxed)
        if installFatalHandlers,
           installed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            for (i, sig) in signals.enumerated() {
                (previousActions + i).initialize(to: sigaction())
                setSignalHandler(sig, crashGuardHandler, previous: previousActions + i)
            }
        }
        armed.store(true, ordering: .releasing)
    }

    /// Restores the tty if the guard is armed and the terminal still active: saved termios back, curses-mode exit
    /// strings written. Async-signal-safe; runs at most once (later calls, `stop()` and the exit handler find the
    /// flags cleared). Used by the fatal-signal handler and by `SignalTrap`'s forced exit on a repeated signal.
    static func restoreFromSignalHandler() {
        guard armed.exchange(false, ordering: .acquiringAndReleasing),
              terminalIsActive.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent)
                .exchanged
        else { return }
        if haveTermios.load(ordering: .acquiring) {
            _ = tcsetattr(STDOUT_FILENO, TCSANOW, savedTermios)
        }
        let n = restoreLength.load(ordering: .relaxed)
        if n > 0 { _ = write(STDOUT_FILENO, restoreBytes, n) }
    }

    /// Stops restoring on crash (the terminal was restored normally). The handlers stay installed but do nothing
    /// except forward the signal.
    static func disarm() {
        armed.store(false, ordering: .releasing)
    }
}

/// The fatal-signal handler (async-signal-safe: atomics, tcsetattr, write, sigaction, raise only).
private func crashGuardHandler(_ sig: Int32) {
    CrashGuard.restoreFromSignalHandler()
    // Hand the signal to whoever had it before (Swift's backtracer or the default action).
    // (A switch, not an array search: nothing in a signal handler should touch reference-counted storage.)
    let index: Int
    switch sig {
    case SIGSEGV: index = 0
    case SIGBUS: index = 1
    case SIGILL: index = 2
    case SIGTRAP: index = 3
    case SIGFPE: index = 4
    case SIGABRT: index = 5
    default: index = -1
    }
    if index >= 0 {
        _ = sigaction(sig, CrashGuard.previousActions + index, nil)
    } else {
        _ = signal(sig, SIG_DFL)
    }
    // Blocked while this handler runs; delivered to the previous disposition as soon as it returns.
    _ = raise(sig)
}
