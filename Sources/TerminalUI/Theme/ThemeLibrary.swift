import Foundation
import SafeIO

/// Finds theme files by name and lists the available ones.
///
/// Search order (first match wins), see `standardDirectories`:
/// 1. an explicit directory (e.g. from `--themes-dir`),
/// 2. each directory in `$TRAINBOARD_THEMES` (colon-separated),
/// 3. `./themes` (the current directory),
/// 4. `<exe dir>/../share/trainboard/themes` (installed layout),
/// 5. `<exe dir>/themes`,
/// 6. the source tree's `themes/` (`sourceThemesDirectory`, found at compile time), so a binary built from a checkout
///    finds the bundled themes from any working directory.
/// Then the built-in themes (`default`, `mono`), so the app works with no files at all. A name containing `/` or
/// ending in `.theme` is treated as a file path and loaded directly.
///
/// Thread-safety: a value; reads the file system only in `load`, `path(for:)` and `availableNames()`.
public struct ThemeLibrary: Sendable {
    /// Directories searched, in order.
    public var directories: [String]

    /// A library searching exactly `directories`, in order.
    public init(directories: [String]) { self.directories = directories }

    /// The `themes/` directory of the source tree this module was compiled from (`#filePath` of this file, four
    /// levels up: `<root>/Sources/TerminalUI/Theme/ThemeLibrary.swift`).
    public static let sourceThemesDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("themes").path
    }()

    /// The search directories for the given inputs (pure: nothing is read from the process or the disk);
    /// `sourceDirectory` (normally `sourceThemesDirectory`) comes last.
    public static func standardDirectories(explicit: String? = nil, environment: [String: String],
                                           currentDirectory: String, executablePath: String?,
                                           sourceDirectory: String? = nil) -> [String] {
        var dirs: [String] = []
        if let explicit, !explicit.isEmpty { dirs.append(explicit) }
        if let env = environment["TRAINBOARD_THEMES"] {
            dirs += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        dirs.append(join(currentDirectory, "themes"))
        if let exe = executablePath, let slash = exe.lastIndex(of: "/") {
            let exeDir = String(exe[..<slash])
            dirs.append(join(exeDir, "../share/trainboard/themes"))
            dirs.append(join(exeDir, "themes"))
        }
        if let sourceDirectory, !sourceDirectory.isEmpty { dirs.append(sourceDirectory) }
        var seen = Set<String>()
        return dirs.filter { seen.insert($0).inserted }
    }

    /// The library for this process: `standardDirectories` with the real environment, working directory, executable
    /// path and `sourceThemesDirectory`.
    public static func standard(explicit: String? = nil) -> ThemeLibrary {
        let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().path ?? CommandLine.arguments.first
        return ThemeLibrary(directories: standardDirectories(
            explicit: explicit, environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath, executablePath: exe,
            sourceDirectory: sourceThemesDirectory))
    }

    /// The path of the first `NAME.theme` found, or nil.
    public func path(for name: String) -> String? {
        for dir in directories {
            let p = Self.join(dir, name + ".theme")
            if FileManager.default.isReadableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Names of all themes found (file names without `.theme`) plus the built-ins, sorted, without duplicates.
    public func availableNames() -> [String] {
        var names = Set(Theme.builtIn.keys)
        for dir in directories {
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for f in files where f.hasSuffix(".theme") && f.count > 6 { names.insert(String(f.dropLast(6))) }
        }
        return names.sorted()
    }

    /// Loads the theme `nameOrPath` (see the type's search order), on top of `base` for missing keys.
    /// - Throws: `ThemeLoadError` when not found / unreadable, `ThemeParseError` for a malformed line.
    public func load(_ nameOrPath: String, base: Theme = .dark) throws -> (theme: Theme, warnings: [ThemeWarning]) {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") {
            return try Self.loadFile(nameOrPath, base: base)
        }
        if let p = path(for: nameOrPath) { return try Self.loadFile(p, base: base) }
        if let t = Theme.builtIn[nameOrPath] { return (t, []) }
        throw ThemeLoadError.notFound(name: nameOrPath, searched: directories)
    }

    /// The largest theme file read (1 MiB; a theme is a few dozen lines).
    public static let maximumFileBytes = 1 << 20

    /// Parses the file at `path`; the theme is named after the file (without `.theme`). Only a regular file of at
    /// most `maximumFileBytes` is read (a FIFO or device is refused without blocking): `ThemeLoadError.noSuchFile`,
    /// `.refused` (with the reason) or `.unreadable` (not UTF-8 text).
    public static func loadFile(_ path: String, base: Theme = .dark) throws -> (theme: Theme, warnings: [ThemeWarning]) {
        let bytes: [UInt8]
        do { bytes = try SafeFile.read(path, limit: maximumFileBytes) } catch let e as FileError {
            if e.code == ENOENT { throw ThemeLoadError.noSuchFile(path: path) }
            throw ThemeLoadError.refused(path: path, reason: e.reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ThemeLoadError.unreadable(path: path)
        }
        var name = path.split(separator: "/").last.map(String.init) ?? path
        if name.hasSuffix(".theme") { name.removeLast(6) }
        return try ThemeParser.parse(text, name: name, file: path, base: base)
    }

    static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }
}
