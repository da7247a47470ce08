import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Writing a whole file so that a reader never sees a partial one (DESIGN.md, "Files are the truth").
///
/// - A regular file (or a path that does not exist yet): the bytes go to a hidden temporary file in the same directory
///   (`.NAME.XXXXXX.tmp`), which is `fsync`ed, given the old file's permission bits (or `0666 & ~umask` for a new
///   file), renamed over the target, and then the directory is `fsync`ed, so after a crash the name holds either the
///   old complete file or the new complete one. On any failure the temporary file is removed and the target is
///   untouched.
/// - A symbolic link is followed (up to 40 links): its target is replaced, the link itself is kept.
/// - A device, FIFO or socket is written through in place (it cannot be replaced by a rename).
/// - Missing parent directories are created.
///
/// Thread-safety: safe from any thread; concurrent writes to the same path each stay whole, the last rename wins.
public enum AtomicFile {
    /// Writes `data` to `path` as described above.
    /// - Throws: `ModelIOError.unwritable(path:reason:)` with the POSIX reason (`strerror`) of the step that failed.
    public static func write(_ data: Data, to path: String) throws {
        let target = try resolveSymlinks(path)
        var st = stat()
        let exists = lstat(target, &st) == 0
        if exists && (st.st_mode & S_IFMT) != S_IFREG && (st.st_mode & S_IFMT) != S_IFDIR {
            try writeThrough(data, to: target, reportedAs: path)
            return
        }
        if exists && (st.st_mode & S_IFMT) == S_IFDIR {
            throw ModelIOError.unwritable(path: path, reason: "is a directory")
        }
        let url = URL(fileURLWithPath: target)
        let dir = url.deletingLastPathComponent().path
        if let code = createDirectories(dir) {
            throw ModelIOError.unwritable(path: path, reason: String(cString: strerror(code)))
        }
        var template = Array("\(dir)/.\(url.lastPathComponent).XXXXXX.tmp".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        guard fd >= 0 else { throw posixError(path, "cannot create a temporary file in \(dir)") }
        let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            try writeAll(fd: fd, data: data, path: path)
            let mode: mode_t
            if exists { mode = st.st_mode & 0o7777 } else {
                let mask = umask(0o022)
                umask(mask)
                mode = 0o666 & ~mask
            }
            guard fchmod(fd, mode) == 0 else { throw posixError(path, "chmod") }
            guard fsync(fd) == 0 else { throw posixError(path, "fsync") }
        }
        guard rename(tmp, target) == 0 else { throw posixError(path, "rename") }
        ok = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 {
            // A directory fsync can fail on some file systems (EINVAL); the file itself is complete either way.
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// `mkdir -p dir`; returns the `errno` of the step that failed (e.g. `ENOTDIR` when a component is a file), or nil.
    static func createDirectories(_ dir: String) -> Int32? {
        var st = stat()
        if stat(dir, &st) == 0 { return (st.st_mode & S_IFMT) == S_IFDIR ? nil : ENOTDIR }
        guard errno == ENOENT else { return errno }
        let parent = URL(fileURLWithPath: dir).deletingLastPathComponent().path
        if parent != dir, let code = createDirectories(parent) { return code }
        if mkdir(dir, 0o777) != 0 && errno != EEXIST { return errno }
        return nil
    }

    /// Follows symbolic links from `path` to the final name (which need not exist).
    static func resolveSymlinks(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n >= 0 else { throw posixError(path, "readlink") }
            let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(link).path
        }
        throw ModelIOError.unwritable(path: path, reason: "too many levels of symbolic links")
    }

    private static func writeThrough(_ data: Data, to target: String, reportedAs path: String) throws {
        let fd = open(target, O_WRONLY | O_TRUNC)
        guard fd >= 0 else { throw posixError(path, "open") }
        defer { close(fd) }
        try writeAll(fd: fd, data: data, path: path)
    }

    private static func writeAll(fd: Int32, data: Data, path: String) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = systemWrite(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw posixError(path, "write")
                }
                p += n
                left -= n
            }
        }
    }

    private static func posixError(_ path: String, _ step: String) -> ModelIOError {
        let reason = String(cString: strerror(errno))
        return .unwritable(path: path, reason: "\(step): \(reason)")
    }
}
