#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory a run may plan to use: data read and inflated, the model's weights and optimizer slots, a batch's
/// activations. Checked before anything of that size is allocated, so a hostile file or flag (`--hidden
/// 100000,100000`, a gzip bomb, an IDX header declaring an 8000x8000 image) is refused with the estimate instead of
/// aborting in `malloc`.
///
/// Default: half of physical memory. Overridden by `TRAINBOARD_MEMORY_LIMIT` (bytes, or with a `K`/`M`/`G`/`T` suffix,
/// powers of 1024) and, in the CLI, by `--memory-limit`.
///
/// Thread-safety: the value is read once and never changes except through `override` (set before training starts,
/// on the main thread).
public enum MemoryLimit {
    nonisolated(unsafe) private static var overridden: Int?

    /// The physical memory of the machine in bytes (`sysconf(_SC_PHYS_PAGES) * _SC_PAGESIZE`), or 8 GiB if unknown.
    public static var physicalBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return 8 << 30 }
        return pages.multipliedReportingOverflow(by: size).overflow ? Int.max : pages * size
    }

    /// The limit in bytes in force now.
    public static var bytes: Int {
        if let overridden { return overridden }
        if let text = getenv("TRAINBOARD_MEMORY_LIMIT").map({ String(cString: $0) }), let v = parse(text) { return v }
        return physicalBytes / 2
    }

    /// Sets the limit for this process (the CLI's `--memory-limit`); nil restores the default.
    public static func override(_ value: Int?) { overridden = value }

    /// Parses `"512M"`, `"2G"`, `"1073741824"` (powers of 1024); nil for anything else, zero or negative.
    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingPrefix(" "))
        var scale = 1
        if let last = digits.last, let i = "KMGT".firstIndex(of: Character(last.uppercased())) {
            scale = 1 << (10 * ("KMGT".distance(from: "KMGT".startIndex, to: i) + 1))
            digits = digits.dropLast()
        }
        guard let v = Double(digits), v.isFinite, v > 0, v * Double(scale) < 9.0e18 else { return nil }
        return Int(v * Double(scale))
    }

    /// `bytes` in a short human form: "1.5 GiB", "640 MiB", "12 KiB", "100 B".
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = Double(bytes), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        if u == 0 { return "\(bytes) B" }
        let rounded = (v * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) \(units[u])" : "\(rounded) \(units[u])"
    }

    /// The sentence used when `what` needs `needed` bytes beyond the limit.
    public static func refusal(_ what: String, needs needed: Int) -> String {
        "\(what) needs about \(format(needed)), more than the memory limit of \(format(bytes)) "
            + "(half of physical memory by default; raise it with --memory-limit or TRAINBOARD_MEMORY_LIMIT)"
    }
}
