import Foundation
import SafeIO

/// Checks, before any data is loaded or file written, that an output file (`--csv-log`, `--log-jsonl`,
/// `--checkpoint`) can be created: the file is not a directory and can be opened for writing, or its nearest existing
/// ancestor is a directory in which a file can actually be created (missing directories are created when the run
/// starts). Writability is probed, not inferred from permission bits (which prove nothing for root, and nothing on
/// /proc or a read-only mount): an existing file is opened for writing without truncation, and a directory gets a
/// uniquely named probe file that is removed at once. So a run that fails validation leaves earlier logs alone.
///
/// Thread-safety: stateless; safe from any thread.
public enum OutputPath {
    /// Throws `ConfigurationError(key: key, ...)` naming `path` and what is wrong with it. Returns the outermost
    /// missing directory on the way to `path` (which the run will create, so that callers can say so), else nil.
    @discardableResult
    public static func check(_ path: String, key: String) throws -> String? {
        guard !path.isEmpty else { throw ConfigurationError(key: key, "empty path") }
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw ConfigurationError(key: key, "\(path) is a directory") }
            // No O_TRUNC: the file is left as it is. O_NONBLOCK: a FIFO without a reader must not hang the check.
            let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else {
                throw ConfigurationError(key: key, "cannot write \(path): \(FileProblem.describe(errno: errno))")
            }
            close(fd)
            return nil
        }
        var dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        var missing: String? = nil
        while true {
            if fm.fileExists(atPath: dir.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw ConfigurationError(key: key, "cannot create \(path): \(dir.path) is not a directory")
                }
                if let problem = probeDirectory(dir.path) {
                    throw ConfigurationError(key: key, "cannot write in \(dir.path): \(problem)")
                }
                return missing
            }
            missing = dir.path
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return missing }
            dir = parent
        }
    }

    /// Creates and removes a uniquely named empty file in `directory`; returns why that failed, or nil when it worked.
    public static func probeDirectory(_ directory: String) -> String? {
        let name = ".trainboard-probe-\(getpid())-\(UInt64.random(in: 0 ... .max))"
        let probe = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            // ENOENT for an existing directory: a file system such as /proc that does not take new files.
            return code == ENOENT ? "it does not accept new files" : FileProblem.describe(errno: code)
        }
        close(fd)
        unlink(probe)
        return nil
    }
}

/// Short, lower-case reasons for file-system failures ("no such file", "permission denied"), for messages that name
/// the file themselves, instead of Foundation's "The operation could not be completed..." or an `NSError` dump.
///
/// Thread-safety: stateless; safe from any thread.
public enum FileProblem {
    /// The reason for `errno` value `code`: a few common ones spelled briefly, else `strerror` in lower case.
    public static func describe(errno code: Int32) -> String { FileError.describe(errno: code) }

    /// Why reading `path` failed with `error`: the POSIX reason inside a Foundation error when there is one, else
    /// found by trying to open the file, else the error's `localizedDescription`.
    public static func reason(_ path: String, _ error: Error? = nil) -> String {
        if let error, let code = posixCode(error) { return describe(errno: code) }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return describe(errno: ENOENT) }
        if isDirectory.boolValue { return describe(errno: EISDIR) }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { return describe(errno: errno) }
        close(fd)
        return error?.localizedDescription ?? "unknown error"
    }

    /// The POSIX error code of `error` or of its underlying error, if any.
    public static func posixCode(_ error: Error) -> Int32? {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        return nil
    }
}
