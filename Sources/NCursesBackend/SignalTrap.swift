#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The last trapped signal number, or 0. Written only by `signalTrapHandler` (a lock-free atomic store, which is
/// async-signal-safe) and read/cleared by the UI loop through `SignalTrap`.
private let pendingSignalStorage = Atomic<Int32>(0)

/// Whether a second trapped signal, arriving while the first is still pending, forces an immediate exit.
private let forceExitOnRepeatSetting = Atomic<Bool>(true)

/// The signal handler: stores the signal number and returns. It must stay async-signal-safe: no allocation, no locks,
/// no ncurses, no stdio. The first signal wins until `SignalTrap.clear()`, so the exit status names the signal that
/// started the shutdown. A repeated signal while one is pending (the user pressing Ctrl-C again because shutdown
/// hangs) restores the tty with async-signal-safe calls only and `_exit`s with 128 + signal, if enabled.
///
/// A repeated SIGHUP never forces the exit: closing a terminal delivers SIGHUP more than once (the kernel to the
/// foreground process group and the shell to its jobs), and that hangup must still end with the final checkpoint and
/// complete logs like any other stop.
private func signalTrapHandler(_ signal: Int32) {
    if pendingSignalStorage.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent).exchanged {
        return
    }
    if signal == SIGHUP { return }
    if forceExitOnRepeatSetting.load(ordering: .relaxed) {
        CrashGuard.restoreFromSignalHandler()
        _exit(128 + signal)
    }
}

/// Traps termination signals so that the UI loop, not the signal, ends the program and restores the terminal.
///
/// Install it **before** `Terminal.start()`: ncurses installs its own SIGINT/SIGTERM handlers (which call `exit(1)`
/// from inside the handler) only when the current disposition is the default. The handler only records the signal
/// number; the UI loop polls `pendingSignal()`, stops the trainer, calls `Terminal.stop()` once and exits with
/// `exitStatus(for:)` (128 + signal). SIGWINCH is left to ncurses (it becomes `Key.resize`); SIGTSTP too (ncurses
/// restores the terminal on suspend and redraws on resume).
///
/// Handlers are installed with `sigaction` without `SA_RESTART`, so a blocking `readKey` returns early (`nil`) when a
/// signal arrives.
///
/// Thread-safety: `pendingSignal()`, `clear()` and `exitStatus(for:)` are safe from any thread; call `install` and
/// `uninstall` from the main thread (they change process-wide signal dispositions).
public enum SignalTrap {
    /// The signals trapped by default: SIGINT, SIGTERM and SIGHUP.
    public static let defaultSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Installs the recording handler for `signals` (default: SIGINT, SIGTERM, SIGHUP). Safe to call again.
    /// With `forceExitOnRepeat` (default), a second trapped signal that arrives while the first is still pending
    /// restores the terminal (best effort, async-signal-safe) and exits at once with 128 + signal: a way out when
    /// shutdown hangs. Returns false if any `sigaction` call failed.
    @discardableResult
    public static func install(_ signals: [Int32] = defaultSignals, forceExitOnRepeat: Bool = true) -> Bool {
        // Touch the atomics first so their lazy global initialisation never runs inside the handler.
        _ = pendingSignalStorage.load(ordering: .relaxed)
        _ = terminalIsActive.load(ordering: .relaxed)
        _ = CrashGuard.armed.load(ordering: .relaxed)
        forceExitOnRepeatSetting.store(forceExitOnRepeat, ordering: .relaxed)
        var ok = true
        // No SA_RESTART (see `setSignalHandler`): blocking reads are interrupted so the loop sees the signal promptly.
        for sig in signals where !setSignalHandler(sig, signalTrapHandler) { ok = false }
        return ok
    }

    /// Restores the default disposition of `signals`.
    public static func uninstall(_ signals: [Int32] = defaultSignals) {
        for sig in signals { setSignalHandler(sig, SIG_DFL) }
    }

    /// The trapped signal number, if one arrived since install / the last `clear()`. Does not clear it.
    public static func pendingSignal() -> Int32? {
        let s = pendingSignalStorage.load(ordering: .sequentiallyConsistent)
        return s == 0 ? nil : s
    }

    /// Forgets a pending signal (e.g. after deciding to ignore a SIGHUP).
    public static func clear() {
        pendingSignalStorage.store(0, ordering: .sequentiallyConsistent)
    }

    /// The conventional exit status for a program ended by `signal`: 128 + signal (130 for SIGINT, 143 for SIGTERM,
    /// 129 for SIGHUP).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }
}

/// Installs `handler` for `sig` with an empty mask and no flags (in particular no `SA_RESTART`), saving the previous
/// action into `previous` when given. Returns false when `sigaction` fails. Shared by `SignalTrap` and `CrashGuard`.
@discardableResult
func setSignalHandler(_ sig: Int32, _ handler: (@convention(c) (Int32) -> Void)?,
                      previous: UnsafeMutablePointer<sigaction>? = nil) -> Bool {
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = handler
    #else
    action.__sigaction_u.__sa_handler = handler
    #endif
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    return sigaction(sig, &action, previous) == 0
}
