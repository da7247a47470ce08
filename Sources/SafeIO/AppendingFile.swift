#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log file written a record at a time (CSV rows, JSON lines, journal entries): each `append` lands whole or not at
/// all, and every failure is a thrown `FileError` (no API that traps on a full disk).
///
/// - A regular file (or a new path) is opened for appending (or truncated first when `truncate` is true). A record is
///   written with `write`; when that fails part-way (`ENOSPC`), the file is cut back to its length before the record,
///   so a reader never sees half a row.
/// - A symbolic link is followed (its target is written; the link stays). A character device or FIFO (`/dev/null`,
///   `/dev/stdout`) is written through and never truncated or replaced. Anything else is refused.
///
/// Thread-safety: not thread-safe; one writer thread (the trainer or the UI) owns each instance.
public final class AppendingFile {
    /// The path the user gave.
    public let path: String
    private var fd: Int32
    private let isRegular: Bool
    /// Whether each record is followed by `fsync` (durable logs; costs a disk flush per record).
    public var syncEachRecord: Bool

    /// Opens `path`, creating it (mode 0644) and its parent directories when missing.
    ///
    /// - Parameters:
    ///   - truncate: start empty (a regular file only; a device is never truncated).
    ///   - syncEachRecord: fsync after every record.
    /// - Throws: `FileError` when the path cannot be opened, is a dangling symbolic link, a directory, a socket or a
    ///   FIFO without a reader.
    public init(path: String, truncate: Bool, syncEachRecord: Bool = true) throws {
        self.path = path
        self.syncEachRecord = syncEachRecord
        let target = try SafeFile.resolveForWriting(path)
        let kind = FileKind(path: target)
        switch kind {
        case .missing, .regular:
            try SafeFile.makeDirectories(SafeFile.directory(of: target), userPath: path)
            isRegular = true
            fd = open(target, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o644)
        case .characterDevice, .fifo:
            isRegular = false
            fd = open(target, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 {
                let flags = fcntl(fd, F_GETFL)
                if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
            }
        default:
            throw FileError(path: path, operation: "write", reason: "\(kind.phrase) is never replaced")
        }
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Whether the file is still open (false after `close()` or a failed append).
    public var isOpen: Bool { fd >= 0 }

    /// The current length of a regular file (0 for a device or after close).
    public var length: Int {
        guard fd >= 0, isRegular else { return 0 }
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Appends `bytes` as one record. On failure the file is cut back to its previous length (regular files), closed,
    /// and a `FileError` naming the path is thrown; later appends throw too.
    public func append(_ bytes: [UInt8]) throws {
        guard fd >= 0 else { throw FileError(path: path, operation: "write", reason: "the file was closed after an earlier error") }
        let before = isRegular ? length : 0
        var failure: Int32 = 0
        if !SafeFile.writeAll(fd, bytes) { failure = errno }
        if failure == 0 && syncEachRecord && isRegular && fsync(fd) != 0 { failure = errno }
        if failure != 0 {
            if isRegular { _ = ftruncate(fd, off_t(before)) }
            Glibc.close(fd)
            fd = -1
            throw FileError(path: path, operation: "write", errno: failure)
        }
    }

    /// Appends `text` (UTF-8) as one record.
    public func append(_ text: String) throws { try append(Array(text.utf8)) }

    /// Flushes to disk (regular files) and closes. Throws when the final `fsync` or `close` reports an error (a
    /// deferred write failure on some file systems).
    public func close() throws {
        guard fd >= 0 else { return }
        let f = fd
        fd = -1
        var failure: Int32 = 0
        if isRegular && fsync(f) != 0 { failure = errno }
        if Glibc.close(f) != 0 && failure == 0 { failure = errno }
        if failure != 0 && failure != EINVAL { throw FileError(path: path, operation: "write", errno: failure) }
    }
}
