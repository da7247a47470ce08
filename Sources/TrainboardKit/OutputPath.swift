import Foundation

/// Checks, before any data is loaded or file written, that an output file (`--csv-log`, `--log-jsonl`,
/// `--checkpoint`) can be created: the file is not a directory or read-only, and its nearest existing ancestor is a
/// writable directory (missing directories are created when the run starts). Nothing is created or truncated here,
/// so a run that fails validation leaves earlier logs alone.
///
/// Thread-safety: stateless; safe from any thread.
public enum OutputPath {
    /// Throws `ConfigurationError(key: key, ...)` naming `path` and what is wrong with it.
    public static func check(_ path: String, key: String) throws {
        guard !path.isEmpty else { throw ConfigurationError(key: key, "empty path") }
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw ConfigurationError(key: key, "\(path) is a directory") }
            guard access(path, W_OK) == 0 else {
                throw ConfigurationError(key: key, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            return
        }
        var dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        while true {
            if fm.fileExists(atPath: dir.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw ConfigurationError(key: key, "cannot create \(path): \(dir.path) is not a directory")
                }
                guard access(dir.path, W_OK | X_OK) == 0 else {
                    throw ConfigurationError(key: key, "cannot create \(path): directory \(dir.path) is not writable")
                }
                return
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return }
            dir = parent
        }
    }
}
