import Foundation

/// How the fits of a search are submitted to Slurm: the `sbatch` options the user chose (each maps to one of sbatch's
/// own options) and anything else passed through.
///
/// Thread-safety: a value.
public struct SlurmSettings: Sendable, Equatable {
    /// `--partition` (sbatch `--partition`).
    public var partition: String?
    /// `--time`: each fit's time limit in one of Slurm's formats (sbatch `--time`).
    public var time: String?
    /// `--cpus-per-fit` (sbatch `--cpus-per-task`); each task sets `OPENBLAS_NUM_THREADS` to it.
    public var cpusPerFit: Int
    /// `--mem`: memory per node (task) in Slurm's notation, e.g. `2G` (sbatch `--mem`).
    public var mem: String?
    /// `--max-parallel`: array tasks running at once (the `%M` of `--array=...%M`); nil: as many as Slurm allows.
    public var maxParallel: Int?
    /// `--sbatch-arg`, each passed to sbatch as given (e.g. `--qos=long`, `--account=proj`).
    public var extraArgs: [String]

    public init(partition: String? = nil, time: String? = nil, cpusPerFit: Int = 1, mem: String? = nil,
                maxParallel: Int? = nil, extraArgs: [String] = []) {
        self.partition = partition; self.time = time; self.cpusPerFit = cpusPerFit; self.mem = mem
        self.maxParallel = maxParallel; self.extraArgs = extraArgs
    }

    /// The largest `--cpus-per-fit` accepted.
    public static let maxCPUs = 4096

    /// Checks every value before anything is submitted. Throws `SearchDirectoryError` naming the flag, the value and
    /// what was expected.
    public func validate() throws {
        guard (1...Self.maxCPUs).contains(cpusPerFit) else {
            throw SearchDirectoryError("--cpus-per-fit: expected a whole number in 1...\(Self.maxCPUs), got \(cpusPerFit)")
        }
        if let m = maxParallel, m < 1 { throw SearchDirectoryError("--max-parallel: must be at least 1, got \(m)") }
        if let p = partition, p.isEmpty || p.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 32 } ?? false }) {
            throw SearchDirectoryError("--partition: expected a partition name (no spaces), got '\(p)'")
        }
        if let t = time, !Self.isSlurmTime(t) {
            throw SearchDirectoryError("--time: expected one of Slurm's time formats (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, UNLIMITED), got '\(t)'")
        }
        if let m = mem, m.range(of: #"^[0-9]{1,12}[KMGTkmgt]?$"#, options: .regularExpression) == nil {
            throw SearchDirectoryError("--mem: expected a size such as 4000 (MB), 500M or 2G, got '\(m)'")
        }
        for a in extraArgs where a.contains(where: { $0 == "\n" || $0 == "\0" }) {
            throw SearchDirectoryError("--sbatch-arg: a line break is not allowed in '\(a)'")
        }
    }

    /// Whether `t` is one of sbatch's `--time` formats.
    static func isSlurmTime(_ t: String) -> Bool {
        if ["UNLIMITED", "INFINITE", "unlimited", "infinite"].contains(t) { return true }
        let patterns = [#"^[0-9]{1,9}$"#, #"^[0-9]{1,9}:[0-9]{1,2}$"#, #"^[0-9]{1,9}:[0-9]{1,2}:[0-9]{1,2}$"#,
                        #"^[0-9]{1,6}-[0-9]{1,2}$"#, #"^[0-9]{1,6}-[0-9]{1,2}:[0-9]{1,2}$"#,
                        #"^[0-9]{1,6}-[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}$"#]
        return patterns.contains { t.range(of: $0, options: .regularExpression) != nil }
    }
}

/// The batch script and the `sbatch` command lines of a search on Slurm: one job array whose task ids are the fit
/// numbers (`--array=0-3,5%2`), each task running `trainboard fit-trial DIR INDEX` with the same absolute trainboard
/// path, and the refit as one more job that depends on the whole array (`--dependency=afterok:<array>`).
///
/// Thread-safety: stateless.
public enum SlurmBatch {
    /// The job name every task carries (`squeue -n`).
    public static let jobName = "trainboard-search"

    /// `indices` (fit numbers, any order, duplicates ignored) as Slurm's array syntax: ascending, runs of consecutive
    /// numbers as `a-b` (`[0, 1, 2, 3, 5, 7]` -> `0-3,5,7`).
    public static func arraySpec(_ indices: [Int]) -> String {
        let sorted = Array(Set(indices)).sorted()
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(j == i ? String(sorted[i]) : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// The task ids of an array spec as `squeue` and `scontrol` print it for pending tasks (`2-3,5,7%2`, `0-9:2`),
    /// or nil when it is not one; at most `limit` ids (bounds the memory for a hostile or huge range).
    public static func parseArraySpec(_ spec: String, limit: Int = 4_000_001) -> [Int]? {
        var body = Substring(spec)
        if body.hasPrefix("[") && body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        if let pct = body.firstIndex(of: "%") { body = body[..<pct] }
        var out: [Int] = []
        for part in body.split(separator: ",", omittingEmptySubsequences: false) {
            var range = part
            var step = 1
            if let colon = part.firstIndex(of: ":") {
                guard let s = Int(part[part.index(after: colon)...]), s >= 1 else { return nil }
                step = s; range = part[..<colon]
            }
            let ends = range.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), let a = Int(ends[0]), a >= 0 else { return nil }
            let b = ends.count == 2 ? Int(ends[1]) : a
            guard let b, b >= a, (b - a) / step + 1 <= limit - out.count else { return nil }
            out.append(contentsOf: stride(from: a, through: b, by: step))
        }
        return out
    }

    /// `s` quoted for a POSIX shell (`'...'`, a `'` inside as `'\''`); plain words are left as they are.
    public static func shellQuote(_ s: String) -> String {
        let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,%@+")
        if !s.isEmpty && s.unicodeScalars.allSatisfy({ plain.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Checks that `path` (absolute) can be used in the script and in sbatch's `--output` pattern: no line break, no
    /// `%` (sbatch would read it as a file-name pattern) and no `\` (sbatch then turns every pattern off). Throws
    /// `SearchDirectoryError` naming the path.
    public static func checkPath(_ path: String, what: String) throws {
        guard path.hasPrefix("/") else { throw SearchDirectoryError("\(what) \(path): must be an absolute path") }
        for (c, why) in [("\n", "a line break"), ("%", "'%' (sbatch reads it as a file-name pattern)"),
                         ("\\", "'\\' (sbatch then ignores its file-name patterns)"), ("\0", "a NUL byte")]
        where path.contains(c) {
            throw SearchDirectoryError("\(what) \(path): contains \(why); use a path without it for --executor slurm")
        }
    }

    /// The batch script every task runs (`DIR/slurm/fit.sh`): the fit number is the first argument when one is given
    /// (the refit job), otherwise `SLURM_ARRAY_TASK_ID` (an array task). It fails the task with a clear message in the task's
    /// output file when the trainboard binary or the search directory is not visible on the node, sets
    /// `OPENBLAS_NUM_THREADS`/`OMP_NUM_THREADS` to the CPUs Slurm gave the task and `exec`s
    /// `trainboard fit-trial DIR INDEX`. `executable` and `directory` are absolute (see `checkPath`).
    public static func script(executable: String, directory: String) -> String {
        let tb = shellQuote(executable), dir = shellQuote(directory)
        return """
        #!/bin/bash
        # Written by `trainboard search --executor slurm` for the search in \(directory).
        # One fit per job: the fit number is the first argument (the refit) or else the array task id
        # (SLURM_ARRAY_TASK_ID). Both the trainboard binary and the search directory must be visible at the same paths on every
        # node (a shared file system): build trainboard there once.
        tb=\(tb)
        dir=\(dir)
        fit=${1:-${SLURM_ARRAY_TASK_ID:-}}
        host=$(hostname 2>/dev/null || echo '?')
        if [ -z "$fit" ]; then
            echo "trainboard slurm task: no fit number: neither SLURM_ARRAY_TASK_ID nor an argument is set" >&2; exit 2
        fi
        if [ ! -x "$tb" ]; then
            echo "trainboard slurm task: fit $fit (job ${SLURM_JOB_ID:-?} on $host): cannot run $tb: it does not exist or is not executable on this node; build trainboard on a file system that every node mounts at the same path" >&2
            exit 127
        fi
        if ! version=$("$tb" --version 2>&1); then
            echo "trainboard slurm task: fit $fit (job ${SLURM_JOB_ID:-?} on $host): cannot run $tb on this node: $version" >&2
            exit 127
        fi
        if [ ! -r "$dir/plan.json" ]; then
            echo "trainboard slurm task: fit $fit (job ${SLURM_JOB_ID:-?} on $host): $dir/plan.json is not readable on this node; the search directory must be on a file system that every node shares" >&2
            exit 2
        fi
        export OPENBLAS_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
        export OMP_NUM_THREADS=$OPENBLAS_NUM_THREADS
        echo "trainboard slurm task: fit $fit (job ${SLURM_JOB_ID:-?}, array ${SLURM_ARRAY_JOB_ID:--}) on $host, trainboard $version" >&2
        exec "$tb" fit-trial "$dir" "$fit"

        """
    }

    /// The options shared by the array and the refit job (the user's settings, then `--sbatch-arg`s).
    static func commonOptions(_ s: SlurmSettings) -> [String] {
        var args = ["--cpus-per-task=\(s.cpusPerFit)"]
        if let p = s.partition { args.append("--partition=\(p)") }
        if let t = s.time { args.append("--time=\(t)") }
        if let m = s.mem { args.append("--mem=\(m)") }
        return args + s.extraArgs
    }

    /// `sbatch --parsable --array=<fits>%M ...` for `fits` of the search in `directory` (absolute), each task's
    /// output in `fits/fit-NNNNN.log` (the local executor's name; `%5a` is the zero-padded task id).
    public static func arrayCommand(fits: [Int], directory: String, script: String, settings: SlurmSettings) -> [String] {
        var array = arraySpec(fits)
        if let m = settings.maxParallel { array += "%\(m)" }
        return ["sbatch", "--parsable", "--job-name=\(jobName)", "--array=\(array)",
                "--output=\(directory)/fits/fit-%5a.log"] + commonOptions(settings) + [script]
    }

    /// `sbatch --parsable --dependency=afterok:<array> --kill-on-invalid-dep=yes ... SCRIPT REFIT`: the refit (fit
    /// number `refitIndex`) once every array task has ended successfully; Slurm cancels it when one did not.
    /// Without `arrayJob` (nothing left to submit in the array) it has no dependency.
    public static func refitCommand(arrayJob: String?, refitIndex: Int, directory: String, script: String,
                                    settings: SlurmSettings) -> [String] {
        var args = ["sbatch", "--parsable", "--job-name=\(jobName)-refit"]
        if let a = arrayJob { args += ["--dependency=afterok:\(a)", "--kill-on-invalid-dep=yes"] }
        return args + ["--output=\(directory)/refit.log"] + commonOptions(settings) + [script, String(refitIndex)]
    }

    /// The job id in `sbatch --parsable` output (`1234` or `1234;cluster`), nil when there is none.
    public static func parseParsable(_ output: String) -> String? {
        let first = output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let id = first.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        return !id.isEmpty && id.allSatisfy(\.isNumber) ? id : nil
    }

    /// `MaxArraySize` from `scontrol show config` output (`MaxArraySize            = 1001`), nil when absent.
    public static func parseMaxArraySize(_ config: String) -> Int? {
        for line in config.split(whereSeparator: \.isNewline) where line.hasPrefix("MaxArraySize") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { return Int(parts[1].trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }
}
