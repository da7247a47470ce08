#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Ends a fit process whose search process is gone, so that a search killed with SIGKILL (which its fits cannot see)
/// leaves no fits running that `--resume` would run a second time, writing the same files at once.
///
/// The local executor puts its process id into the fit's environment (`environmentKey`); a fit started any other way
/// (by hand, or as a cluster array task) has no such variable and is not watched. A fit whose parent has died is
/// re-parented (to init or a subreaper), so `getppid()` no longer matches: the watch then ends the process at once
/// with status 137 (as a SIGKILL would), before it writes its result, so the fit counts as unfinished.
///
/// Thread-safety: `start` may be called from any thread, once per process; the watch runs on its own thread.
public enum ParentWatch {
    /// The environment variable holding the search process's id.
    public static let environmentKey = "TRAINBOARD_SEARCH_PID"
    /// How often the parent is checked, in seconds.
    public static let interval = 0.2

    /// Starts watching when `environment[environmentKey]` holds a process id; does nothing otherwise. When the parent
    /// has already gone, ends the process before returning.
    public static func start(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment[environmentKey], let parent = pid_t(text), parent > 1 else { return }
        if getppid() != parent { _exit(137) }
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: interval)
                if getppid() != parent { _exit(137) }
            }
        }
        thread.name = "parent-watch"
        thread.start()
    }
}
