import Foundation

/// CPU and memory use of this process, read from Linux's `/proc/self` (`stat` fields 14-15 utime/stime in clock
/// ticks; `status` VmRSS and VmHWM in kB).
///
/// Thread-safety: a value; `sample()` may be called from any thread.
public struct ProcessStats: Sendable {
    /// CPU seconds (user + system) so far.
    public var cpuSeconds: Double
    /// Resident set size, MiB.
    public var rssMiB: Double
    /// Peak resident set size (VmHWM), MiB.
    public var peakRSSMiB: Double

    /// Reads the current values; nil where `/proc` is unavailable.
    public static func sample() -> ProcessStats? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return parse(stat: stat, status: status, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Parses the text of `/proc/self/stat` and `/proc/self/status`.
    public static func parse(stat: String, status: String, ticksPerSecond: Double) -> ProcessStats? {
        // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        // rest[0] is field 3 (state); utime is field 14 -> rest[11], stime field 15 -> rest[12].
        guard rest.count > 12, let ut = Double(rest[11]), let st = Double(rest[12]), ticksPerSecond > 0 else { return nil }
        func kB(_ key: String) -> Double? {
            for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if parts.count >= 2, let v = Double(parts[1]) { return v }
            }
            return nil
        }
        return ProcessStats(cpuSeconds: (ut + st) / ticksPerSecond, rssMiB: (kB("VmRSS") ?? 0) / 1024,
                            peakRSSMiB: (kB("VmHWM") ?? 0) / 1024)
    }
}
