#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SafeIO

/// Runs fits as separate processes on this machine: each fit is `EXECUTABLE fit-trial DIR INDEX` (the same unit a
/// cluster array task runs), at most `jobs` at once, each with its output in the search directory
/// (`fits/fit-NNNNN.log`) and `OPENBLAS_NUM_THREADS` (and `OMP_NUM_THREADS`) set to `blasThreads` so that
/// `jobs x blasThreads` does not exceed the cores (BLAS reads the variable when it loads, in the new process), and
/// `TRAINBOARD_SEARCH_PID` set to this process, so that a fit ends when the search dies (`ParentWatch`).
///
/// Thread-safety: `run` blocks the calling thread; call it from one thread at a time (it reaps any child process of
/// the caller, so the caller must not have other children it waits for).
public struct LocalExecutor: Sendable {
    /// How a fit process ended.
    public enum Ending: Sendable, Equatable {
        /// Exited with this status (0: the fit wrote its result file, failed fits included).
        case exited(Int32)
        /// Killed by this signal (the fit left no result: `--resume` runs it again).
        case signaled(Int32)
    }

    public let executable: String
    public let directory: SearchDirectory
    public let jobs: Int
    public let blasThreads: Int
    /// The refit's fit number (`plan.fitCount`): its output goes to `refit.log`.
    public let refitIndex: Int

    /// Whether each fit listens for the attach protocol (`listenKey` set to 1 in its environment); the search view
    /// sets it, a headless search does not.
    public var listen = false
    /// The environment variable that asks a fit process to listen.
    public static let listenKey = "TRAINBOARD_FIT_LISTEN"

    /// Threads per fit so that `jobs` fits share `cores`: `max(1, cores / jobs)`.
    public static func threadsPerJob(cores: Int, jobs: Int) -> Int { max(1, cores / max(1, jobs)) }

    /// The online processors.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public init(executable: String, directory: SearchDirectory, jobs: Int, blasThreads: Int, refitIndex: Int) {
        self.executable = executable; self.directory = directory; self.refitIndex = refitIndex
        self.jobs = max(1, jobs); self.blasThreads = max(1, blasThreads)
    }

    /// Runs `indices` (fit numbers; the refit is `plan.fitCount`), calling `onFinish` on the calling thread as each
    /// process ends. With `control`, fits it cancels are not started (and get no `onFinish`) and the ones it kills end
    /// as `.signaled(SIGKILL)`. Throws `SearchDirectoryError` when a process cannot be started (nothing more is
    /// started then; the ones running are waited for first).
    public func run(_ indices: [Int], control: FitControl? = nil, onFinish: (Int, Ending) -> Void) throws {
        var pending = indices[...]
        var running: [pid_t: Int] = [:]
        var startError: Error?
        while true {
            while startError == nil, running.count < jobs, let i = pending.first {
                pending = pending.dropFirst()
                do {
                    if let control {
                        if let pid = try control.start(i, { try spawn(i) }) { running[pid] = i }
                    } else {
                        running[try spawn(i)] = i
                    }
                } catch { startError = error }
            }
            if running.isEmpty { break }
            guard let pid = Self.waitWithoutReaping() else {
                if errno == EINTR { continue }
                break
            }
            // Unregistered before it is reaped: `control` never signals a process id that could be reused.
            control?.finished(pid)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            guard let i = running.removeValue(forKey: pid) else { continue }
            let sig = status & 0x7f
            onFinish(i, sig == 0 ? .exited((status >> 8) & 0xff) : .signaled(sig))
        }
        if let e = startError { throw e }
    }

    /// Waits for any child process to end and returns its id, leaving it unreaped (`waitid` with `WNOWAIT`); nil on
    /// an error (`errno` set).
    static func waitWithoutReaping() -> pid_t? {
        var info = siginfo_t()
        guard waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) == 0 else { return nil }
        #if os(Linux)
        return info._sifields._sigchld.si_pid
        #else
        return info.si_pid
        #endif
    }

    /// Starts the process of fit `index`; its output goes to the fit's log (the refit's: `refit.log`).
    func spawn(_ index: Int) throws -> pid_t {
        try SafeFile.makeDirectories(directory.fitsPath, userPath: directory.fitsPath)
        let output = index == refitIndex ? directory.refitOutputPath : directory.outputPath(fit: index)
        let args = [executable, "fit-trial", directory.path, String(index)]
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = String(blasThreads)
        env["OMP_NUM_THREADS"] = String(blasThreads)
        env[ParentWatch.environmentKey] = String(getpid())  // the fit ends itself if this process dies
        // A search shown in the view: each fit listens (its socket named in fits/fit-NNNNN.attach) so that Enter
        // opens its live dashboard with the keys.
        if listen { env[Self.listenKey] = "1" } else { env[Self.listenKey] = nil }
        let envStrings = env.map { "\($0.key)=\($0.value)" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let rc = withCStrings(args) { argv in
            withCStrings(envStrings) { envp in posix_spawn(&pid, executable, &actions, nil, argv, envp) }
        }
        guard rc == 0 else {
            throw SearchDirectoryError("cannot start \(executable) fit-trial \(directory.path) \(index): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

