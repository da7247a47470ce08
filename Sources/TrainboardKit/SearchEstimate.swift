import Foundation
import HyperSearch
import NeuralEngine

/// A rough time estimate of a search from a short measured probe: the first candidate's model trained for a few
/// epochs on a few batches of its first fold's training rows, in this process, on as many BLAS threads as each fit
/// gets (and again on every core for the refit, when that differs); the fastest epoch counts (the first pays for
/// allocations and page faults: on 600 rows it took 3-4 times as long per row as the fits then did).
///
/// Model: a fit of candidate c on split k takes `load + epochs_c * (train_k + test_k / 3) * perSample` seconds
/// (training a row costs a forward and a backward pass, validating it a forward pass, about a third); the refit
/// `load + maxEpochs * rows * refitPerSample`. The fits run `min(jobs, cores, fits)` at a time; the refit after them.
/// Only the first candidate is measured, so candidates with other sizes (hidden layers, batch size) make it rough:
/// it tells minutes from hours, not more.
///
/// Thread-safety: a value; `probe` trains on the calling thread.
public struct SearchEstimate: Sendable, Equatable {
    /// Seconds to train one row for one epoch in a cross-validation fit (measured).
    public var secondsPerSample: Double
    /// The same for the refit, which runs alone on every core (measured; `secondsPerSample` when not given).
    public var refitSecondsPerSample: Double
    /// Seconds a fit process spends before training: starting (measured: this process's age when the probe began,
    /// at most 5 s) and loading the data (measured: one load in this process).
    public var loadSeconds: Double
    /// Rows the probe trained on.
    public var probeRows: Int

    public init(secondsPerSample: Double, loadSeconds: Double, probeRows: Int, refitSecondsPerSample: Double? = nil) {
        self.secondsPerSample = secondsPerSample; self.loadSeconds = loadSeconds; self.probeRows = probeRows
        self.refitSecondsPerSample = refitSecondsPerSample ?? secondsPerSample
    }

    /// Batches of the first candidate's batch size the probe trains (capped at `maxProbeRows` rows).
    public static let probeBatches = 8
    public static let maxProbeRows = 4_096
    /// Epochs the probe trains; the fastest counts.
    public static let probeEpochs = 3

    /// Measures the plan's first candidate: loads the data as a fit does, then trains `probeEpochs` epochs on
    /// `min(probeBatches * batch size, maxProbeRows, fold rows)` rows of split 0's training part (no callbacks, no
    /// files) with BLAS on `fitThreads` threads, as each fit will be, and again on `refitThreads` when that differs.
    /// Throws what `TrainingRun.prepare` and training throw (`ConfigurationError`, `DataError`, `ModelError`).
    public static func probe(_ plan: SearchPlan, fitThreads: Int, refitThreads: Int) throws -> SearchEstimate {
        let started = Date()
        // A fit is a process of its own: its start-up is about this one's up to now.
        let startUp = min(Benchmark.processAge() ?? 0, 5)
        var config = try SearchOptions.configuration(options: plan.options, params: plan.candidates[0])
        config.headless = true
        let run = try TrainingRun.prepare(try TrainingPlan(config), lossExplicit: config.loss != nil, log: { _ in })
        let load = startUp + Date().timeIntervalSince(started)
        let (trainRows, _) = Folds.split(plan.testFold, k: 0)
        let n = max(1, min(trainRows.count, run.plan.batchSize * probeBatches, maxProbeRows))
        var p = run.plan
        p.epochs = probeEpochs
        p.csvLog = nil; p.logJSONL = nil; p.checkpoint = nil; p.journal = nil; p.replayJournal = nil
        p.earlyStoppingSpec = nil; p.reduceLROnPlateauSpec = nil; p.validationSplit = 0
        let probeRun = TrainingRun(plan: p, train: run.train.subset(Array(trainRows.prefix(n))), validation: nil,
                                   dataDescription: run.dataDescription, replay: [])
        func perSample(threads: Int) throws -> Double {
            let timer = Benchmark.Timer()
            let outcome = try BLASInfo.withThreads(threads) { try probeRun.execute(extraCallbacks: [timer]) }
            guard let best = timer.perEpoch.max(), best > 0, best.isFinite else {
                return outcome.seconds / Double(n * probeEpochs)
            }
            return 1 / best
        }
        let fit = try perSample(threads: fitThreads)
        let refit = refitThreads == fitThreads ? fit : try perSample(threads: refitThreads)
        return SearchEstimate(secondsPerSample: fit, loadSeconds: load, probeRows: n, refitSecondsPerSample: refit)
    }

    /// The estimated wall-clock seconds of `fits` (fit numbers, the refit included when it is `plan.fitCount`) with
    /// `jobs` processes on `cores` cores; `epochs(c)` is candidate c's epochs.
    public func seconds(plan: SearchPlan, fits: [Int], jobs: Int, cores: Int, epochs: (Int) -> Int) -> Double {
        var foldRows: [(train: Int, test: Int)] = []
        for k in 0..<plan.nSplits {
            let test = plan.testFold.filter { $0 == k }.count
            foldRows.append((plan.testFold.count - test, test))
        }
        var cvSeconds = 0.0
        var cvCount = 0
        var refit = 0.0
        for i in fits {
            if i >= plan.fitCount {
                let e = plan.halving?.nResources.last ?? (0..<plan.candidates.count).map(epochs).max() ?? 1
                refit = loadSeconds + Double(e * plan.testFold.count) * refitSecondsPerSample
                continue
            }
            // Successive halving: a fit of iteration t trains n_resources[t] epochs (its candidate is not known
            // before the previous iteration ends, and does not matter: every candidate gets those epochs).
            let e: Int, k: Int
            if let h = plan.halving {
                guard let pos = h.position(ofFit: i, nSplits: plan.nSplits) else { continue }
                e = h.nResources[pos.iteration]; k = pos.split
            } else {
                let (c, split) = plan.position(ofFit: i)
                guard plan.candidates.indices.contains(c) else { continue }
                e = epochs(c); k = split
            }
            let rows = Double(foldRows[k].train) + Double(foldRows[k].test) / 3
            cvSeconds += loadSeconds + Double(e) * rows * secondsPerSample
            cvCount += 1
        }
        let parallel = Double(max(1, min(jobs, cores, cvCount)))
        return cvSeconds / parallel + refit
    }

    /// Candidate c's epochs as its fits train (the plan's options with its parameters; 1 when they do not parse).
    public static func epochs(_ plan: SearchPlan) -> (Int) -> Int {
        let values = plan.candidates.map { params -> Int in
            guard let config = try? SearchOptions.configuration(options: plan.options, params: params),
                  let p = try? TrainingPlan(config) else { return 1 }
            return max(1, p.epochs)
        }
        return { values[$0] }
    }

    /// "about 12m 30s" with the probe's figures.
    public func describe(_ seconds: Double, jobs: Int) -> String {
        "estimated time: about \(SearchView.duration(seconds)) with \(jobs) job\(jobs == 1 ? "" : "s") (probe: "
            + String(format: "%.3f ms per row and epoch over %d rows, %.1f s start-up and data load per fit", secondsPerSample * 1000,
                     probeRows, loadSeconds) + ")"
    }
}
