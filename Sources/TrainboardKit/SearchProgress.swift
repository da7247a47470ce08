import Foundation
import HyperSearch
import SafeIO

/// A search's progress as its directory shows it: the plan, the finished fits' result files, the fits running
/// (inferred from fresh fit logs, or told by a fit state file) and the fits still pending. Read only from the search
/// directory, so it is the same for a local search, a resumed one, or one whose fits run elsewhere (a cluster).
///
/// What is read, per fit `NNNNN` under `fits/`:
/// - `fit-NNNNN.json`: the result (finished, failed, or skipped by the user: reason `skipped`). Fields this version
///   does not know (e.g. successive halving's `iter` and `n_resources`) are ignored; when several results name the
///   same candidate and split (halving iterations), the one with the highest `iter` is shown.
/// - `fit-NNNNN.state.json` (optional, written by an executor that knows more, e.g. a cluster scheduler):
///   `{"state": "PENDING", "job_id": "1234_5"}`; other fields are ignored. It names the state of a fit without a
///   result.
/// - `fit-NNNNN.csv` (the fit's CSVLogger file) and `fit-NNNNN.log` (its output): a fit without a result whose
///   newest of these was modified within `freshness` seconds is running; its `val_loss` column (else `loss`) feeds the
///   sparkline.
///
/// Thread-safety: a value; `read` does blocking file reads (call it from the UI thread at a low rate, ~1/s).
public struct SearchProgress: Sendable {
    /// A fit's state.
    public enum FitState: Sendable, Equatable {
        /// Not started (or started and stopped long ago without a result: `--resume` runs it again).
        case pending
        /// Its log is fresh.
        case running
        /// Finished with a score.
        case done
        /// Finished with an error (its score is NaN, scikit-learn's `error_score=nan`).
        case failed(String)
        /// Skipped by the user (`k`): recorded with a NaN score so that `--resume` does not run it.
        case skipped
        /// A state told by the executor's state file (e.g. a Slurm state and job id).
        case external(state: String, jobID: String?)

        /// A short label for a table cell ("run", "done", "fail", "skip", the external state).
        public var label: String {
            switch self {
            case .pending: return "pending"
            case .running: return "running"
            case .done: return "done"
            case .failed: return "failed"
            case .skipped: return "skipped"
            case .external(let s, let id): return id.map { "\(s) \($0)" } ?? s
            }
        }

        /// True for a finished fit (done, failed or skipped).
        public var isFinished: Bool {
            switch self {
            case .done, .failed, .skipped: return true
            default: return false
            }
        }
    }

    /// One fit (a candidate on one split).
    public struct Fit: Sendable {
        /// The fit number (candidate * splits + split).
        public var index: Int
        public var candidate: Int
        public var split: Int
        public var state: FitState
        /// The result, once finished.
        public var result: FitResult?
        /// The per-epoch validation loss logged so far (the training loss when the log has no `val_loss`).
        public var curve: [Double]
        /// Which column `curve` holds (`val_loss` or `loss`), nil when nothing was logged.
        public var curveKey: String?
        /// The fit's CSV log path (whether or not it exists yet).
        public var logPath: String
        /// Whether the CSV log exists.
        public var hasLog: Bool
    }

    /// One candidate with its fits and scores.
    public struct Candidate: Sendable {
        /// The row's position in `candidates` (a cv_results row: a candidate, or with successive halving a
        /// candidate in one iteration).
        public var index: Int
        /// The candidate's number in the plan (`plan.candidates`); with successive halving several rows share it.
        public var candidate: Int
        /// Successive halving: the row's iteration and its epochs (nil otherwise).
        public var iter: Int? = nil
        public var nResources: Int? = nil
        public var params: [String: ParamValue]
        /// One fit per split.
        public var fits: [Fit]
        /// Mean and population std of the split scores so far (NaN when none is finished; only finished, non-failed
        /// splits count until every split is finished, then a failed split makes them NaN as in `cv_results`).
        public var mean: Double
        public var std: Double
        /// Splits with a finished score.
        public var scored: Int
        /// `rank_test_score` among candidates (over every candidate's current mean; NaN means rank last).
        public var rank: Int
        /// True when every split is finished.
        public var isComplete: Bool { fits.allSatisfy { $0.state.isFinished } }
        /// True when the user skipped it.
        public var isSkipped: Bool { fits.contains { $0.state == .skipped } }
    }

    /// The reason recorded in the result of a fit skipped by the user.
    public static let skippedReason = "skipped"

    public var directory: SearchDirectory
    public var plan: SearchPlan
    public var candidates: [Candidate]
    /// The refit's result, once written.
    public var refit: RefitResult?
    /// When this was read (seconds since 1970).
    public var readAt: Double
    /// Finish times (result file modification times, seconds since 1970) of the fits finished with a score or an
    /// error (not skipped), ascending.
    public var finishTimes: [Double]

    /// Counts of fits by state. `total` is the plan's fit count (successive halving: every iteration's fits,
    /// including those of iterations not decided yet, which count as pending).
    public var total: Int { max(plan.fitCount, candidates.count * plan.nSplits) }
    public var finished: Int { count { $0.state.isFinished } }
    public var running: Int { count { $0.state == .running } }
    public var failed: Int { count { if case .failed = $0.state { return true } else { return false } } }
    public var skipped: Int { count { $0.state == .skipped } }
    public var pending: Int { total - finished - running }
    /// True when every fit is finished.
    public var isComplete: Bool { finished == total }

    func count(_ where: (Fit) -> Bool) -> Int { candidates.reduce(0) { $0 + $1.fits.filter(`where`).count } }

    /// The best candidate so far: the highest mean over the splits finished (rank 1; the first in candidate order
    /// among ties), whether or not all its splits finished; nil when no candidate has a score.
    public var best: Int? {
        candidates.filter { !$0.mean.isNaN }.max { ($0.mean, -$0.index) < ($1.mean, -$1.index) }?.index
    }

    /// Fits finished per minute since `since` (seconds since 1970; the first finish time when nil) until now, or
    /// until the last finish once every fit has finished; nil when fewer than two fits finished (or one, counted
    /// from `since`) or no time passed.
    public func fitsPerMinute(since: Double? = nil) -> Double? {
        let times = since.map { s in finishTimes.filter { $0 >= s } } ?? finishTimes
        guard let last = times.last else { return nil }
        let start = since ?? times[0]
        let n = since == nil ? times.count - 1 : times.count
        // Once every fit has finished the rate stops at the last one (it does not fall while the view stays open).
        let end = since == nil || finished == total ? last : max(last, readAt)
        guard n > 0, end > start else { return nil }
        return Double(n) / (end - start) * 60
    }

    /// Seconds until every fit has finished at `rate` fits per minute (nil without a rate; 0 when complete).
    public func eta(rate: Double?) -> Double? {
        let left = total - finished
        if left == 0 { return 0 }
        guard let rate, rate > 0 else { return nil }
        return Double(left) / rate * 60
    }

    /// Reads the progress of the search in `directory` with `plan` (read it once with `readPlan`).
    ///
    /// - Parameters:
    ///   - now: the present (seconds since 1970), for the freshness of logs.
    ///   - freshness: a fit without a result whose log changed within this many seconds is running.
    ///   - previous: an earlier reading of the same directory: finished fits are taken from it (result files are
    ///     written once), so a reading costs one directory listing plus the files of unfinished fits.
    /// - Throws: `SearchDirectoryError` when `fits/` cannot be listed for another reason than not existing yet.
    ///   A result or state file that cannot be parsed is shown as a failed fit naming the problem, not thrown: one
    ///   damaged file does not stop the view.
    public static func read(_ directory: SearchDirectory, plan: SearchPlan, now: Double = Date().timeIntervalSince1970,
                            freshness: Double = 600, previous: SearchProgress? = nil) throws -> SearchProgress {
        let fm = FileManager.default
        var names: Set<String> = []
        if fm.fileExists(atPath: directory.fitsPath) {
            do { names = Set(try fm.contentsOfDirectory(atPath: directory.fitsPath)) } catch {
                throw SearchDirectoryError("\(directory.fitsPath): cannot be listed: \(error.localizedDescription)")
            }
        }
        let k = plan.nSplits
        // Known finished fits from the previous reading.
        var known: [Int: (Fit, Double?)] = [:]
        if let previous, previous.plan == plan {
            for c in previous.candidates { for f in c.fits where f.state.isFinished { known[f.index] = (f, nil) } }
        }
        var finishTimes: [Double] = previous.map { p in p.plan == plan ? p.finishTimes : [] } ?? []
        // The cv_results rows known so far: the candidates, or with successive halving the candidates of every
        // iteration decided so far (each row's fits are `firstFit ..< firstFit + k`).
        let rows = (try? directory.rows(plan)) ?? plan.candidates.enumerated().map {
            SearchRow(candidate: $0.offset, params: $0.element, firstFit: $0.offset * k, iter: nil, nResources: nil)
        }
        // Results by fit number (the file name).
        var results: [Int: (FitResult, Int, Double)] = [:]   // fit -> (result, iter, mtime)
        for name in names where name.hasPrefix("fit-") && name.hasSuffix(".json") && !name.hasSuffix(".state.json") {
            guard let n = Int(name.dropFirst(4).dropLast(5)), n >= 0, n < plan.fitCount else { continue }
            if known[n] != nil { continue }
            let path = directory.fitsPath + "/" + name
            let mtime = modificationTime(path) ?? now
            let (r, iter) = readResult(path, fit: n, plan: plan)
            guard (0..<k).contains(r.split) else { continue }
            results[n] = (r, iter, mtime)
        }
        // Slurm's view of the fits without a result (`slurm/state.json`, written by `--executor slurm`'s follower):
        // pending, running, or ended without a result (with the reason), each with its array task id.
        var slurm: [Int: (state: String, jobID: String?)] = [:]
        if let st = try? directory.slurmState() {
            for f in st.fits where f.state != .completed && f.state != .running {   // running: inferred from its log, with its sparkline
                let why = f.state.isFinal ? f.reason.map { ": " + $0 } ?? "" : ""
                slurm[f.fit] = (String((f.state.rawValue + why).prefix(80)), f.jobId)
            }
        }
        var candidates: [Candidate] = []
        for (ri, row) in rows.enumerated() {
            let c = row.candidate, params = row.params
            var fits: [Fit] = []
            for s in 0..<k {
                let i = row.firstFit + s
                if let (f, _) = known[i], results[i] == nil { fits.append(f); continue }
                var fit = Fit(index: i, candidate: c, split: s, state: .pending, result: nil, curve: [], curveKey: nil,
                              logPath: directory.logPath(fit: i), hasLog: names.contains(logName(i, "csv")))
                if let (r, _, mtime) = results[i] {
                    fit.result = r
                    if r.reason == skippedReason { fit.state = .skipped }
                    else if let e = r.error { fit.state = .failed(e) }
                    else { fit.state = .done }
                    if fit.state != .skipped, known[i] == nil { finishTimes.append(mtime) }
                } else {
                    if let st = slurm[i] { fit.state = .external(state: st.state, jobID: st.jobID) }
                    if names.contains(logName(i, "state.json")),
                       let st = readState(directory.fitsPath + "/" + logName(i, "state.json")) {
                        fit.state = .external(state: st.state, jobID: st.jobID)
                    }
                    let times = [logName(i, "csv"), logName(i, "log")].filter(names.contains)
                        .compactMap { modificationTime(directory.fitsPath + "/" + $0) }
                    if fit.state == .pending, let newest = times.max(), now - newest <= freshness {
                        fit.state = .running
                    }
                }
                if fit.hasLog {
                    (fit.curve, fit.curveKey) = curve(fit.logPath)
                }
                fits.append(fit)
            }
            candidates.append(Candidate(index: ri, candidate: c, iter: row.iter, nResources: row.nResources, params: params,
                                        fits: fits, mean: .nan, std: .nan, scored: 0, rank: 0))
        }
        for c in candidates.indices {
            let scores = candidates[c].fits.compactMap { $0.state == .done ? $0.result?.testScore : nil }
            candidates[c].scored = scores.count
            if candidates[c].isComplete {
                let all = candidates[c].fits.map { $0.result?.testScore ?? .nan }
                (candidates[c].mean, candidates[c].std) = CVResults.meanStd(all)
            } else if !scores.isEmpty {
                (candidates[c].mean, candidates[c].std) = CVResults.meanStd(scores)
            }
        }
        let ranks = CVResults.rankMin(candidates.map(\.mean))
        for c in candidates.indices { candidates[c].rank = ranks[c] }
        return SearchProgress(directory: directory, plan: plan, candidates: candidates,
                              refit: try? directory.refit(), readAt: now, finishTimes: finishTimes.sorted())
    }

    /// The row (index into `candidates`) and split of fit number `i`, nil when no known row holds it (a later
    /// successive-halving iteration not decided yet).
    public func position(ofFit i: Int) -> (row: Int, split: Int)? {
        for c in candidates { if let f = c.fits.first(where: { $0.index == i }) { return (c.index, f.split) } }
        return nil
    }

    static func logName(_ i: Int, _ ext: String) -> String { String(format: "fit-%05d.", i) + ext }

    static func modificationTime(_ path: String) -> Double? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)?.timeIntervalSince1970
    }

    /// The fields a result may carry beyond `FitResult` (successive halving).
    struct Extra: Decodable { var iter: Int? }

    /// A result file; one that cannot be read becomes a failed result naming the file and the problem.
    static func readResult(_ path: String, fit n: Int, plan: SearchPlan) -> (FitResult, Int) {
        do {
            let bytes = Data(try SafeFile.read(path, limit: SearchDirectory.fileLimit))
            let r = try JSONDecoder().decode(FitResult.self, from: bytes)
            let iter = (try? JSONDecoder().decode(Extra.self, from: bytes))?.iter ?? 0
            return (r, iter)
        } catch {
            let (c, s) = plan.position(ofFit: min(n, max(0, plan.fitCount - 1)))
            let r = FitResult(index: n, candidate: c, split: s, params: [:], testScore: nil, trainScore: nil,
                              fitTime: 0, scoreTime: 0, nTrainSamples: 0, nTestSamples: 0, epochs: 0, reason: "",
                              error: "\(path): not a valid result file: \(error)")
            return (r, 0)
        }
    }

    struct StateFile: Decodable {
        var state: String
        var jobID: String?
        enum CodingKeys: String, CodingKey { case state, jobID = "job_id" }
    }

    /// A state file's state and job id; nil when it cannot be read (the fit is then inferred from its logs).
    static func readState(_ path: String) -> (state: String, jobID: String?)? {
        guard let bytes = try? SafeFile.read(path, limit: 1 << 16),
              let s = try? JSONDecoder().decode(StateFile.self, from: Data(bytes)) else { return nil }
        let state = String(s.state.prefix(24)).filter { !$0.isNewline }
        return state.isEmpty ? nil : (state, s.jobID.map { String($0.prefix(24)) })
    }

    /// The `val_loss` column (else `loss`) of a CSV log; empty when it cannot be read yet.
    static func curve(_ path: String) -> ([Double], String?) {
        guard let log = try? RunLog.read(path) else { return ([], nil) }
        for key in ["val_loss", "loss"] {
            if let v = log.values[key] { return (v.map { $0 ?? .nan }, key) }
        }
        return ([], nil)
    }
}
