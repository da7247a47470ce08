#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file operation that failed: the path, what was being done and the reason in plain words.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path the user gave (not a resolved or temporary path).
    public let path: String
    /// What was being done: "read", "write", "create", ...
    public let operation: String
    /// The reason in plain words ("no space left on device", "not a regular file (a FIFO)").
    public let reason: String
    /// The `errno` value behind the reason, or 0 when the refusal is Trainboard's own (a size limit, a FIFO).
    public let code: Int32

    public init(path: String, operation: String, reason: String, code: Int32 = 0) {
        self.path = path
        self.operation = operation
        self.reason = reason
        self.code = code
    }

    /// An error for `errno` value `code`.
    public init(path: String, operation: String, errno code: Int32) {
        self.init(path: path, operation: operation, reason: FileError.describe(errno: code), code: code)
    }

    /// "cannot OPERATION PATH: REASON".
    public var description: String { "cannot \(operation) \(path): \(reason)" }

    /// The reason for `errno` value `code`: a few common ones spelled briefly, else `strerror` in lower case.
    public static func describe(errno code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "is a directory"
        case ENOTDIR: return "a parent is not a directory"
        case EROFS: return "read-only file system"
        case ENOSPC: return "no space left on device"
        case ENXIO: return "no process is reading the FIFO"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}

/// The kind of file system object at a path (`lstat`, so a symbolic link is reported as such).
public enum FileKind: Equatable, Sendable {
    case missing, regular, directory, symlink, fifo, characterDevice, blockDevice, socket, other

    /// The kind of `path` without following a final symbolic link.
    public init(path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { self = .missing; return }
        self.init(mode: st.st_mode)
    }

    /// The kind for an `st_mode` value (from `stat` or `fstat`).
    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symlink
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        default: self = .other
        }
    }

    /// "a FIFO", "a character device", ... for messages.
    public var phrase: String {
        switch self {
        case .missing: return "missing"
        case .regular: return "a regular file"
        case .directory: return "a directory"
        case .symlink: return "a symbolic link"
        case .fifo: return "a FIFO"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .socket: return "a socket"
        case .other: return "not a regular file"
        }
    }
}

/// The one way Trainboard reads and writes whole files (see DESIGN.md, "Files are the truth").
///
/// Reading: only regular files (symbolic links to them are followed), never more than a stated number of bytes, so a
/// FIFO cannot block, `/dev/zero` cannot fill memory and a huge file is refused before it is read.
///
/// Writing (`write(_:to:)`):
/// - a regular file, or a path that does not exist yet, is replaced atomically: the bytes go to a temporary file in the
///   same directory (named `.NAME.tbtmp-PID-N`, so leftovers of a killed run are recognisable and removed by
///   `removeStaleTemporaries(near:)`), which is fsynced, renamed over the path, and the directory fsynced. A reader sees
///   the old file or the new one, never a part; on failure the old file is untouched and the temporary removed.
///   The mode of an existing file is kept.
/// - a symbolic link is followed, never replaced: its final target is written as above.
/// - a character device or FIFO (`/dev/null`, `/dev/stdout`, a pipe with a reader) is written through, never replaced.
/// - anything else (a directory, a socket, a block device) is refused.
///
/// Every failure is a thrown `FileError` naming the path and the reason (no API that traps on a full disk).
/// Thread-safety: stateless apart from an atomic counter for temporary names; safe from any thread (two threads must
/// not write the same path at once: the last rename wins).
public enum SafeFile {
    /// Reads the regular file at `path` (symbolic links followed), at most `limit` bytes.
    ///
    /// - Throws: `FileError` when the file cannot be opened, is not a regular file (a FIFO, device, directory or
    ///   socket: refused before any read, so nothing blocks), is larger than `limit` bytes, or a read fails.
    public static func read(_ path: String, limit: Int) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO without a writer would otherwise block forever before fstat can refuse it.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "read", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(path: path, operation: "read", errno: errno) }
        let kind = FileKind(mode: st.st_mode)
        guard kind == .regular else {
            throw FileError(path: path, operation: "read", reason: "not a regular file (\(kind.phrase))")
        }
        guard st.st_size <= limit else {
            throw FileError(path: path, operation: "read",
                            reason: "the file has \(st.st_size) bytes; at most \(limit) are accepted")
        }
        // Read up to limit + 1 bytes: a file that grew after fstat is still refused rather than truncated.
        let capacity = min(Int(st.st_size), limit) + 1
        var bytes = [UInt8](repeating: 0, count: capacity)
        var count = 0
        while count < capacity {
            let n = bytes.withUnsafeMutableBytes { b in Glibc.read(fd, b.baseAddress! + count, capacity - count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw FileError(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            count += n
        }
        guard count <= limit else {
            throw FileError(path: path, operation: "read", reason: "the file grew past \(limit) bytes while it was read")
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Writes `bytes` to `path` as described on `SafeFile`: atomically for regular files and new paths, through for
    /// character devices and FIFOs, following symbolic links. Creates missing parent directories when
    /// `createDirectories` is true.
    ///
    /// - Throws: `FileError` naming `path` (the user's path, even when a link target was written) on any failure:
    ///   a dangling symbolic link, a directory or socket at the path, no permission, a full disk (`ENOSPC` from
    ///   `write` or `fsync`), a FIFO without a reader.
    public static func write(_ bytes: [UInt8], to path: String, createDirectories: Bool = false) throws {
        let target = try resolveForWriting(path)
        switch FileKind(path: target) {
        case .characterDevice, .fifo:
            try writeThrough(bytes, to: target, userPath: path)
        case .missing, .regular:
            if createDirectories { try makeDirectories(directory(of: target), userPath: path) }
            try replaceAtomically(bytes, at: target, userPath: path)
        case .directory:
            throw FileError(path: path, operation: "write", errno: EISDIR)
        case let kind:
            throw FileError(path: path, operation: "write", reason: "\(kind.phrase) is never replaced")
        }
    }

    /// `write(_:to:)` for text (UTF-8).
    public static func write(_ text: String, to path: String, createDirectories: Bool = false) throws {
        try write(Array(text.utf8), to: path, createDirectories: createDirectories)
    }

    /// The path a write to `path` lands on: `path` itself unless it is a symbolic link, then the link's final target
    /// (`realpath`). Throws for a dangling link (writing it would create a file somewhere the user may not expect).
    public static func resolveForWriting(_ path: String) throws -> String {
        guard FileKind(path: path) == .symlink else { return path }
        guard let resolved = realpath(path, nil) else {
            throw FileError(path: path, operation: "write", reason: "a symbolic link whose target does not exist")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Creates `directory` and its missing parents (mode 0755). Throws `FileError` naming `userPath`.
    public static func makeDirectories(_ directory: String, userPath: String) throws {
        if directory.isEmpty || directory == "." || directory == "/" { return }
        var isDir = stat()
        if stat(directory, &isDir) == 0 {
            guard FileKind(mode: isDir.st_mode) == .directory else {
                throw FileError(path: userPath, operation: "create", reason: "\(directory) is not a directory")
            }
            return
        }
        try makeDirectories(self.directory(of: directory), userPath: userPath)
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw FileError(path: userPath, operation: "create directory \(directory) for", errno: errno)
        }
    }

    /// The directory part of `path` ("." for a bare name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The marker in temporary file names: `.NAME.tbtmp-PID-N`.
    public static let temporaryMarker = ".tbtmp-"

    /// Removes temporary files that a killed Trainboard process left next to `path` (in its directory): names
    /// `.*.tbtmp-PID-N` whose PID is no longer running. Returns how many were removed; never throws (a file that
    /// cannot be removed stays).
    @discardableResult
    public static func removeStaleTemporaries(near path: String) -> Int {
        let dir = directory(of: (try? resolveForWriting(path)) ?? path)
        guard let d = opendir(dir) else { return 0 }
        defer { closedir(d) }
        var removed = 0
        while let entry = readdir(d) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name.hasPrefix("."), let marker = name.firstRange(of: temporaryMarker) else { continue }
            let rest = name[marker.upperBound...].split(separator: "-")
            guard rest.count == 2, let pid = Int32(rest[0]), Int(rest[1]) != nil, pid > 0 else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }  // still running (or someone else's)
            if unlink(dir + "/" + name) == 0 { removed += 1 }
        }
        return removed
    }

    // MARK: Implementation

    private static let counter = AtomicCounter()

    private static func temporaryPath(for target: String) -> String {
        let dir = directory(of: target)
        let name = "." + baseName(of: target) + temporaryMarker + "\(getpid())-\(counter.next())"
        return dir == "." ? name : dir + "/" + name
    }

    private static func replaceAtomically(_ bytes: [UInt8], at target: String, userPath: String) throws {
        var existing = stat()
        let mode: mode_t = stat(target, &existing) == 0 ? existing.st_mode & 0o7777 : 0o644
        let temp = temporaryPath(for: target)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: userPath, operation: "write", errno: errno) }
        var failure: Int32 = 0
        if !writeAll(fd, bytes) { failure = errno }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if failure == 0 && fchmod(fd, mode) != 0 { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temp, target) != 0 { failure = errno }
        if failure != 0 {
            unlink(temp)
            throw FileError(path: userPath, operation: "write", errno: failure)
        }
        syncDirectory(directory(of: target))
    }

    private static func writeThrough(_ bytes: [UInt8], to target: String, userPath: String) throws {
        // O_NONBLOCK for the open only: a FIFO without a reader fails with ENXIO instead of blocking.
        let fd = open(target, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: userPath, operation: "write", errno: errno) }
        defer { close(fd) }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        guard writeAll(fd, bytes) else { throw FileError(path: userPath, operation: "write", errno: errno) }
    }

    /// Writes all of `bytes` to `fd`, retrying on EINTR and short writes. False with `errno` set on failure.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { b in Glibc.write(fd, b.baseAddress! + offset, b.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            if n == 0 { errno = EIO; return false }
            offset += n
        }
        return true
    }

    private static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}

/// A lock-protected counter for unique temporary names within the process.
final class AtomicCounter: @unchecked Sendable {
    private var value = 0
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func next() -> Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        value += 1
        return value
    }
}

/// Writing messages to standard error without an API that traps: a closed or full standard error loses the message,
/// never the run. (Foundation's `FileHandle.write` raises on EBADF/ENOSPC, which ends a Linux process.)
///
/// Thread-safety: each call is one `write(2)` loop; calls from several threads may interleave between lines.
public enum StandardError {
    /// Writes `text` to file descriptor 2; errors are ignored.
    public static func write(_ text: String) {
        _ = SafeFile.writeAll(2, Array(text.utf8))
    }
}
