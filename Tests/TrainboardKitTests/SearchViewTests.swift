import Dashboard
import Foundation
import HyperSearch
import TerminalUI
import TrainboardKit
import XCTest

/// A hand-written search directory: 4 candidates x 2 splits (8 fits), written as JSON text the way the executor and
/// a cluster executor would leave it mid-search.
///
/// - c0: fit 0 done 0.8, fit 1 done 0.6 (with successive halving's `iter` / `n_resources`, unknown to this version)
///   -> mean 0.7, std 0.1 (population std of [0.8, 0.6]), complete.
/// - c1: fit 2 failed ("the training loss is nan"), fit 3 running (a CSV log written 10 s ago, val_loss 0.9, 0.7).
/// - c2: fit 4 skipped by the user, fit 5 told PENDING with job 77_5 by a state file (with an extra field).
/// - c3: fit 6 done 0.9, fit 7 with a CSV log last written 1000 s ago (stale: pending).
/// Result files were finished at t = 1000, 1060, 1120 (fits 0, 1, 2) and 1180 (fit 6); the skipped one at 1190.
/// "Now" is t = 2000; freshness 600 s.
final class SearchViewFixture {
    let dir: SearchDirectory
    let plan: SearchPlan
    static let now = 2000.0

    init(_ test: XCTestCase) throws {
        let root = try makeTemporaryDirectory(test).path
        dir = SearchDirectory(root)
        let fits = root + "/fits"
        try FileManager.default.createDirectory(atPath: fits, withIntermediateDirectories: true)
        let planText = """
        {"version": 1, "kind": "grid", "space": "init=a,b,c,d", "n_splits": 2, "cv": "StratifiedKFold",
         "shuffle": false, "seed": 7, "test_fold": [0, 1, 0, 1], "scoring": "accuracy", "return_train_score": false,
         "options": {"epochs": 5}, "created": "2026-01-01T00:00:00Z",
         "candidates": [{"init": "a"}, {"init": "b"}, {"init": "c"}, {"init": "d"}]}
        """
        try planText.write(toFile: root + "/plan.json", atomically: true, encoding: .utf8)
        plan = try dir.readPlan()
        func result(_ i: Int, score: String, error: String = "null", reason: String = "completed 5 epochs",
                    extra: String = "", mtime: Double) throws {
            let (c, k) = (i / 2, i % 2)
            let text = """
            {"index": \(i), "candidate": \(c), "split": \(k), "params": {"init": "x"}, "test_score": \(score),
             "fit_time": 1.5, "score_time": 0.1, "n_train_samples": 2, "n_test_samples": 2, "epochs": 5,
             "reason": "\(reason)", "error": \(error)\(extra)}
            """
            let path = fits + String(format: "/fit-%05d.json", i)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try Self.touch(path, mtime)
        }
        try result(0, score: "0.8", mtime: 1000)
        try result(1, score: "0.6", extra: ", \"iter\": 1, \"n_resources\": 40", mtime: 1060)
        try result(2, score: "null", error: "\"the training loss is nan\"", mtime: 1120)
        try result(4, score: "null", error: "\"skipped by the user\"", reason: "skipped", mtime: 1190)
        try result(6, score: "0.9", mtime: 1180)
        let csv = "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.0,0.55,0.9\n1,0.6,0.8,0.65,0.7\n"
        try csv.write(toFile: fits + "/fit-00003.csv", atomically: true, encoding: .utf8)
        try Self.touch(fits + "/fit-00003.csv", Self.now - 10)
        try csv.write(toFile: fits + "/fit-00007.csv", atomically: true, encoding: .utf8)
        try Self.touch(fits + "/fit-00007.csv", Self.now - 1000)
        try #"{"state": "PENDING", "job_id": "77_5", "partition": "gpu"}"#
            .write(toFile: fits + "/fit-00005.state.json", atomically: true, encoding: .utf8)
    }

    static func touch(_ path: String, _ t: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: t)], ofItemAtPath: path)
    }

    func progress() throws -> SearchProgress {
        try SearchProgress.read(dir, plan: plan, now: Self.now, freshness: 600)
    }
}

final class SearchProgressTests: XCTestCase {
    func testStatesScoresAndRanksFromTheDirectory() throws {
        let p = try SearchViewFixture(self).progress()
        XCTAssertEqual(p.total, 8)
        XCTAssertEqual(p.finished, 5)   // fits 0, 1, 2, 4, 6
        XCTAssertEqual(p.running, 1)    // fit 3
        XCTAssertEqual(p.failed, 1)
        XCTAssertEqual(p.skipped, 1)
        XCTAssertEqual(p.pending, 2)    // fit 5 (told PENDING) and fit 7 (stale log)
        let states = p.candidates.flatMap { $0.fits.map(\.state) }
        XCTAssertEqual(states, [.done, .done, .failed("the training loss is nan"), .running, .skipped,
                                .external(state: "PENDING", jobID: "77_5"), .done, .pending])
        // c0: mean of [0.8, 0.6] = 0.7, population std = 0.1.
        XCTAssertEqual(p.candidates[0].mean, 0.7, accuracy: 1e-12)
        XCTAssertEqual(p.candidates[0].std, 0.1, accuracy: 1e-12)
        XCTAssertTrue(p.candidates[0].isComplete)
        // c3: one split so far, 0.9.
        XCTAssertEqual(p.candidates[3].mean, 0.9, accuracy: 1e-12)
        XCTAssertEqual(p.candidates[3].scored, 1)
        XCTAssertTrue(p.candidates[1].mean.isNaN)
        XCTAssertTrue(p.candidates[2].isSkipped)
        // Ranks over the current means [0.7, NaN, NaN, 0.9] with method min, NaN last: [2, 3, 3, 1].
        XCTAssertEqual(p.candidates.map(\.rank), [2, 3, 3, 1])
        XCTAssertEqual(p.best, 3)
        // The running fit's sparkline data is its val_loss column.
        XCTAssertEqual(p.candidates[1].fits[1].curve, [0.9, 0.7])
        XCTAssertEqual(p.candidates[1].fits[1].curveKey, "val_loss")
    }

    func testRateAndETA() throws {
        let p = try SearchViewFixture(self).progress()
        // Finish times 1000, 1060, 1120, 1180 (the skipped fit not counted): 3 intervals in 180 s = 1 fit/min.
        XCTAssertEqual(p.finishTimes, [1000, 1060, 1120, 1180])
        XCTAssertEqual(try XCTUnwrap(p.fitsPerMinute()), 1.0, accuracy: 1e-9)
        // Since t = 1100: fits at 1120 and 1180, over 1100...2000 (900 s) = 2 / 15 min.
        XCTAssertEqual(try XCTUnwrap(p.fitsPerMinute(since: 1100)), 2.0 / 15, accuracy: 1e-9)
        // 3 fits left at 1 fit/min: 180 s.
        XCTAssertEqual(try XCTUnwrap(p.eta(rate: 1.0)), 180, accuracy: 1e-9)
        XCTAssertNil(p.eta(rate: nil))
        // Complete: the rate since t = 1100 ends at the last finish (1180), not at the reading (2000): 2 in 80 s.
        var done = p
        for c in done.candidates.indices {
            for f in done.candidates[c].fits.indices where !done.candidates[c].fits[f].state.isFinished {
                done.candidates[c].fits[f].state = .done
            }
        }
        XCTAssertEqual(try XCTUnwrap(done.fitsPerMinute(since: 1100)), 2.0 / 80 * 60, accuracy: 1e-9)
    }

    func testStaleLogsAreNotRunningAndAFreshnessOfZeroStopsAll() throws {
        let f = try SearchViewFixture(self)
        let p = try SearchProgress.read(f.dir, plan: f.plan, now: SearchViewFixture.now, freshness: -1)
        XCTAssertEqual(p.running, 0)
        XCTAssertEqual(p.candidates[1].fits[1].state, .pending)
        // A later reading reuses finished fits and sees a new result.
        let fits = f.dir.fitsPath
        try #"{"index": 7, "candidate": 3, "split": 1, "params": {}, "test_score": 0.5, "fit_time": 1, "score_time": 0, "n_train_samples": 2, "n_test_samples": 2, "epochs": 5, "reason": "", "error": null}"#
            .write(toFile: fits + "/fit-00007.json", atomically: true, encoding: .utf8)
        try SearchViewFixture.touch(fits + "/fit-00007.json", 1900)
        let q = try SearchProgress.read(f.dir, plan: f.plan, now: SearchViewFixture.now, freshness: 600, previous: p)
        XCTAssertEqual(q.finished, 6)
        // c3 now [0.9, 0.5]: mean 0.7, std 0.2.
        XCTAssertEqual(q.candidates[3].mean, 0.7, accuracy: 1e-12)
        XCTAssertEqual(q.candidates[3].std, 0.2, accuracy: 1e-12)
        XCTAssertEqual(q.finishTimes, [1000, 1060, 1120, 1180, 1900])
    }

    func testADamagedResultIsAFailedFitNamingTheFile() throws {
        let f = try SearchViewFixture(self)
        try "{\"index\": 7, ".write(toFile: f.dir.fitsPath + "/fit-00007.json", atomically: true, encoding: .utf8)
        let p = try f.progress()
        guard case .failed(let why) = p.candidates[3].fits[1].state else {
            return XCTFail("expected failed, got \(p.candidates[3].fits[1].state)")
        }
        XCTAssertTrue(why.contains("fit-00007.json"), why)
        XCTAssertTrue(why.contains("not a valid result file"), why)
    }

    func testEmptyDirectoryHasEveryFitPending() throws {
        let root = try makeTemporaryDirectory(self).path
        let f = try SearchViewFixture(self)
        try FileManager.default.copyItem(atPath: f.dir.planPath, toPath: root + "/plan.json")
        let p = try SearchProgress.read(SearchDirectory(root), plan: f.plan, now: 0)
        XCTAssertEqual(p.pending, 8)
        XCTAssertNil(p.best)
        XCTAssertEqual(p.candidates.map(\.rank), [1, 1, 1, 1])  // every mean NaN: all rank 1, as scikit-learn
    }
}

final class SearchViewRenderTests: XCTestCase {
    func render(_ p: SearchProgress, columns: Int = 120, rows: Int = 24, state: SearchViewState = SearchViewState(),
                symbols: Symbols = .unicode) -> (CellBuffer, [String]) {
        var buffer = CellBuffer(width: columns, height: rows)
        SearchView(progress: p, state: state, theme: .dark, symbols: symbols, rate: 1.0, eta: 180).render(into: &buffer)
        return (buffer, (0..<rows).map { buffer.line($0) })
    }

    /// The table row (below the header) containing `s`.
    func row(_ lines: [String], containing s: String) -> String? { lines.dropFirst(4).first { $0.contains(s) } }

    func testTableShowsScoresStatesRanksAndProgress() throws {
        let p = try SearchViewFixture(self).progress()
        let (buffer, lines) = render(p)
        XCTAssertTrue(lines[0].hasPrefix("Trainboard search"))
        XCTAssertTrue(lines[0].contains("grid \u{00B7} StratifiedKFold(n_splits=2) \u{00B7} accuracy"), lines[0])
        XCTAssertTrue(lines[1].contains("5/8 fits \u{00B7} 1 running \u{00B7} 1 failed \u{00B7} 1 skipped \u{00B7} 1.0 fits/min \u{00B7} ETA 3m 00s"), lines[1])
        XCTAssertTrue(lines[2].contains("best: #3 mean 0.9000"), lines[2])
        XCTAssertTrue(lines[2].contains("(1/2 splits)"), lines[2])
        XCTAssertEqual(lines[3].split(separator: " ").map(String.init),
                       ["rank", "#", "state", "split0", "split1", "mean", "std", "params"])
        // Rows in candidate order: rank, number (* for the best), state, splits, mean, std, params.
        let r0 = try XCTUnwrap(row(lines, containing: "init=a")).split(separator: " ").map(String.init)
        XCTAssertEqual(r0, ["2", "0", "done", "0.8000", "0.6000", "0.7000", "0.1000", "init=a"])
        let r2 = try XCTUnwrap(row(lines, containing: "init=c")).split(separator: " ").map(String.init)
        XCTAssertEqual(Array(r2.prefix(5)), ["-", "2", "skipped", "skip", "PENDING"])  // no score: no rank shown
        let r3 = try XCTUnwrap(row(lines, containing: "init=d")).split(separator: " ").map(String.init)
        XCTAssertEqual(r3, ["1", "*3", "partial", "0.9000", "\u{00B7}", "0.9000", "0.0000", "init=d"])
        // The running fit (c1 split 1): a sparkline of val_loss [0.9, 0.7] (high then low: top and bottom glyphs)
        // and its epoch count.
        let r1 = try XCTUnwrap(row(lines, containing: "init=b"))
        XCTAssertTrue(r1.contains("fail"), r1)
        XCTAssertTrue(r1.contains("\u{2588}\u{2581} e2"), r1)
        // The best row is highlighted; the selected row (c0) reversed.
        let y3 = try XCTUnwrap(lines.firstIndex { $0.contains("init=d") && !$0.contains("best:") })
        XCTAssertEqual(buffer.cell(x: 0, y: y3)?.style, Theme.dark[.highlight])
        let y0 = try XCTUnwrap(lines.firstIndex { $0.contains("init=a") })
        XCTAssertTrue(try XCTUnwrap(buffer.cell(x: 0, y: y0)).style.modifiers.contains(.reverse))
        // The detail line of the selected candidate and the key hints.
        XCTAssertTrue(lines[22].contains("split0 done 0.8000 (5 ep, 1.5 s) | split1 done 0.6000"), lines[22])
        XCTAssertTrue(lines[23].contains("k: skip") && lines[23].contains("s: stop"), lines[23])
    }

    func testDetailLineShowsTheExecutorsStateAndJobID() throws {
        let p = try SearchViewFixture(self).progress()
        var state = SearchViewState()
        state.candidate = 2
        let (_, lines) = render(p, state: state)
        XCTAssertTrue(lines[22].contains("split0 skipped | split1 PENDING 77_5"), lines[22])
    }

    func testNarrowTerminalHidesSplitsButKeepsTheMeanAndOnlyASCIIWithASCIISymbols() throws {
        let p = try SearchViewFixture(self).progress()
        let (buffer, lines) = render(p, columns: 50, rows: 16, symbols: .ascii)
        XCTAssertEqual(lines[3].split(separator: " ").map(String.init), ["rank", "#", "state", "mean", "std", "params"])
        let r0 = try XCTUnwrap(row(lines, containing: "init=a")).split(separator: " ").map(String.init)
        XCTAssertEqual(r0, ["2", "0", "done", "0.7000", "0.1000", "init=a"])
        for y in 0..<16 { for x in 0..<50 {
            if let s = buffer.cell(x: x, y: y)?.symbol { XCTAssertTrue(s.isASCII, "(\(x),\(y)) \(s)") }
        } }
    }

    func testManyCandidatesScrollToTheSelection() throws {
        XCTAssertEqual(SearchView.firstRow(selected: 0, scroll: 0, visible: 5, count: 20), 0)
        XCTAssertEqual(SearchView.firstRow(selected: 7, scroll: 0, visible: 5, count: 20), 3)
        XCTAssertEqual(SearchView.firstRow(selected: 2, scroll: 3, visible: 5, count: 20), 2)
        XCTAssertEqual(SearchView.firstRow(selected: 19, scroll: 0, visible: 5, count: 20), 15)
        XCTAssertEqual(SearchView.firstRow(selected: 3, scroll: 9, visible: 5, count: 4), 0)
    }

    func testKeysOfAReplayAndOfALiveSearch() {
        var s = SearchViewState()
        s.canSteer = false
        XCTAssertEqual(SearchViewReducer.reduce(&s, key: .char("k"), candidates: 4, splits: 2, finished: false, themeCount: 1), [])
        XCTAssertEqual(s.message, "read-only: a replay cannot be steered")
        XCTAssertEqual(SearchViewReducer.reduce(&s, key: .down, candidates: 4, splits: 2, finished: false, themeCount: 1), [])
        XCTAssertEqual(SearchViewReducer.reduce(&s, key: .right, candidates: 4, splits: 2, finished: false, themeCount: 1), [])
        XCTAssertEqual(SearchViewReducer.reduce(&s, key: .right, candidates: 4, splits: 2, finished: false, themeCount: 1), [])
        // Candidate 1, split 1 (clamped): fit 3.
        XCTAssertEqual(SearchViewReducer.reduce(&s, key: .enter, candidates: 4, splits: 2, finished: false, themeCount: 1), [.openFit(3)])
        XCTAssertEqual(SearchViewReducer.reduce(&s, key: .char("q"), candidates: 4, splits: 2, finished: false, themeCount: 1), [.exit])
        var live = SearchViewState()
        XCTAssertEqual(SearchViewReducer.reduce(&live, key: .char("k"), candidates: 4, splits: 2, finished: false, themeCount: 1), [.skip(0)])
        XCTAssertEqual(SearchViewReducer.reduce(&live, key: .char("s"), candidates: 4, splits: 2, finished: false, themeCount: 1), [.stop])
        XCTAssertEqual(SearchViewReducer.reduce(&live, key: .char("q"), candidates: 4, splits: 2, finished: false, themeCount: 1), [.stop])
        XCTAssertEqual(SearchViewReducer.reduce(&live, key: .char("q"), candidates: 4, splits: 2, finished: false, themeCount: 1), [.exit])
        var ask = SearchViewState()
        ask.confirm = "about 2h"
        XCTAssertEqual(SearchViewReducer.reduce(&ask, key: .char("s"), candidates: 4, splits: 2, finished: false, themeCount: 1), [])
        XCTAssertEqual(SearchViewReducer.reduce(&ask, key: .char("n"), candidates: 4, splits: 2, finished: false, themeCount: 1), [.confirmed(false)])
        XCTAssertNil(ask.confirm)
    }
}

/// A session that records what the view asked.
final class RecordingSession: SearchSession, @unchecked Sendable {
    var started = 0, skipped: [Int] = [], stops = 0
    func start() { started += 1 }
    func skip(candidate c: Int) -> String { skipped.append(c); return "candidate \(c) skipped" }
    func stop() -> String { stops += 1; return "stopping" }
    var isDone: Bool { stops > 0 }
    var status: String { stops > 0 ? "stopped" : "running" }
    var summary: [String] { stops > 0 ? ["stopped: 5 of 8 fits finished and kept"] : [] }
}

final class SearchViewLoopTests: XCTestCase {
    final class Frames { var screen: ScriptedScreen?; var texts: [String] = [] }

    func testEnterShowsTheFitsChartsEscReturnsAndKeysReachTheSession() throws {
        let f = try SearchViewFixture(self)
        let frames = Frames()
        let grab = ScriptedScreen.Step.run { frames.texts.append(frames.screen?.lastFrameText ?? "") }
        let screen = ScriptedScreen(columns: 120, rows: 30, script: [
            .key(.down), grab, .key(.right), .key(.enter), grab, .key(.escape), grab,
            .key(.char("k")), .key(.char("s")), grab, .key(.char("q")),
        ])
        frames.screen = screen
        let session = RecordingSession()
        var loop = SearchViewLoop(screen: screen, directory: f.dir, plan: f.plan, session: session, themes: [.dark])
        loop.freshness = 1e12   // the fixture's fresh log is fresh relative to t = 2000, not to today
        XCTAssertEqual(loop.run(), .quit)
        XCTAssertEqual(session.started, 1)
        XCTAssertEqual(session.skipped, [1])   // Down selected candidate 1
        XCTAssertEqual(session.stops, 1)
        XCTAssertTrue(screen.stopped)
        XCTAssertFalse(screen.exhausted)
        XCTAssertEqual(frames.texts.count, 4)
        XCTAssertTrue(frames.texts[0].contains("rank    # state"), frames.texts[0])
        // Enter on candidate 1, split 1 (fit 3): the dashboard of its CSV log.
        XCTAssertTrue(frames.texts[1].contains("Trainboard search fit 3: candidate 1, split 1"), frames.texts[1])
        XCTAssertTrue(frames.texts[1].contains("val_loss 0.7"), frames.texts[1])
        XCTAssertFalse(frames.texts[1].contains("rank    # state"))
        XCTAssertTrue(frames.texts[2].contains("rank    # state"), frames.texts[2])
        // After `s` the session ended: its summary is shown.
        XCTAssertTrue(frames.texts[3].contains("stopped: 5 of 8 fits finished and kept"), frames.texts[3])
    }

    func testAReplayHasNoSessionAndAConfirmationNoStartsNothing() throws {
        let f = try SearchViewFixture(self)
        let screen = ScriptedScreen(columns: 100, rows: 24, script: [.key(.char("n"))])
        let session = RecordingSession()
        var loop = SearchViewLoop(screen: screen, directory: f.dir, plan: f.plan, session: session, themes: [.dark],
                                  confirm: "about 2h 05m")
        XCTAssertEqual(loop.run(), .declined)
        XCTAssertEqual(session.started, 0)
        XCTAssertTrue(screen.stopped)
    }
}

final class SearchEstimateTests: XCTestCase {
    /// 6 samples, 2 folds of 3 test rows (3 training rows each); candidate 0 trains 2 epochs, candidate 1 4 epochs;
    /// 0.01 s per row and epoch, 1 s load per fit. By hand:
    /// c0 fit = 1 + 2 * (3 + 3/3) * 0.01 = 1.08 (x2 folds = 2.16); c1 fit = 1 + 4 * 4 * 0.01 = 1.16 (x2 = 2.32);
    /// refit = 1 + 4 (the most epochs) * 6 rows * 0.01 = 1.24.
    func testTheEstimateScalesByEpochsRowsAndJobs() {
        let plan = SearchPlan(kind: "grid", space: "epochs=2,4", candidates: [["epochs": .int(2)], ["epochs": .int(4)]],
                              nSplits: 2, crossValidator: .kFold, shuffleFolds: false, seed: 1,
                              testFold: [0, 1, 0, 1, 0, 1], scoring: .accuracy, returnTrainScore: false,
                              options: [:], created: "")
        let e = SearchEstimate(secondsPerSample: 0.01, loadSeconds: 1, probeRows: 100)
        let epochs: (Int) -> Int = { [2, 4][$0] }
        // One job: 2.16 + 2.32 + 1.24 = 5.72.
        XCTAssertEqual(e.seconds(plan: plan, fits: [0, 1, 2, 3, 4], jobs: 1, cores: 2, epochs: epochs), 5.72, accuracy: 1e-9)
        // Two jobs on two cores: 4.48 / 2 + 1.24 = 3.48; eight jobs on two cores are no faster.
        XCTAssertEqual(e.seconds(plan: plan, fits: [0, 1, 2, 3, 4], jobs: 2, cores: 2, epochs: epochs), 3.48, accuracy: 1e-9)
        XCTAssertEqual(e.seconds(plan: plan, fits: [0, 1, 2, 3, 4], jobs: 8, cores: 2, epochs: epochs), 3.48, accuracy: 1e-9)
        // A resumed search with only fit 3 left and no refit: 1.16.
        XCTAssertEqual(e.seconds(plan: plan, fits: [3], jobs: 2, cores: 2, epochs: epochs), 1.16, accuracy: 1e-9)
        XCTAssertEqual(SearchEstimate.epochs(plan)(1), 4)
        XCTAssertTrue(e.describe(3725, jobs: 2).hasPrefix("estimated time: about 1h 02m with 2 jobs (probe: 10.000 ms per row"))
        // The refit on every core at 0.005 s per row and epoch (the fits, one core each, at 0.01): refit
        // 1 + 4 * 6 * 0.005 = 1.12, so two jobs take 4.48 / 2 + 1.12 = 3.36.
        let two = SearchEstimate(secondsPerSample: 0.01, loadSeconds: 1, probeRows: 100, refitSecondsPerSample: 0.005)
        XCTAssertEqual(two.seconds(plan: plan, fits: [0, 1, 2, 3, 4], jobs: 2, cores: 2, epochs: epochs), 3.36, accuracy: 1e-9)
        XCTAssertEqual(e.refitSecondsPerSample, 0.01, "the fits' figure when no other is given")
    }
}

/// A successive-halving directory in the view: one row per candidate per iteration decided so far, each row's fits
/// found by their fit numbers (iteration 1 starts at fit 10 here), the running fit of a later iteration included.
final class SearchProgressHalvingTests: XCTestCase {
    func testRowsOfLaterIterationsAndTheirFits() throws {
        let path = NSTemporaryDirectory() + "search-halving-view-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let d = SearchDirectory(path)
        // 5 candidates, factor 2, epochs 1, 2, 4, 2 folds: iterations of 5, 3, 2 candidates = fits 0-9, 10-15, 16-19.
        var p = SearchPlan(kind: "halving-grid", space: "lr=...", candidates: (0..<5).map { ["lr": .double(Double($0) / 10)] },
                           nSplits: 2, crossValidator: .kFold, shuffleFolds: false, seed: 1, testFold: [0, 0, 1, 1],
                           scoring: .accuracy, returnTrainScore: false, options: [:], created: "now")
        p.halving = try HalvingSchedule(candidates: 5, factor: 2, minResources: .smallest, maxResources: 4,
                                        aggressiveElimination: false)
        p.version = 2
        try d.writePlan(p)
        func write(_ i: Int, _ score: Double) throws {
            let (row, k) = try d.fit(i, plan: p)
            var r = FitResult(index: i, candidate: row.candidate, split: k, params: row.params, testScore: score,
                              trainScore: nil, fitTime: 1, scoreTime: 1, nTrainSamples: 2, nTestSamples: 2,
                              epochs: row.nResources ?? 0, reason: "", error: nil)
            r.iter = row.iter; r.nResources = row.nResources
            try d.writeResult(r)
        }
        // Iteration 0: candidate c scores 0.1 * (c + 1) on both splits: candidates 4, 3, 2 go on (ceil(5 / 2) = 3).
        for i in 0..<10 { try write(i, 0.1 * Double(i / 2 + 1)) }
        let it1 = try XCTUnwrap(try d.iteration(1, plan: p))
        XCTAssertEqual(Set(it1.candidates), [2, 3, 4])
        // Iteration 1: fit 10 done; fit 11's log is being written (running).
        try write(10, 0.9)
        XCTAssertTrue(FileManager.default.createFile(atPath: d.logPath(fit: 11), contents: Data("epoch,loss,val_loss\n0,1,1.5\n".utf8)))
        let progress = try SearchProgress.read(d, plan: p)
        XCTAssertEqual(progress.candidates.count, 8)                  // 5 rows of iteration 0, 3 of iteration 1
        let row5 = progress.candidates[5]
        XCTAssertEqual(row5.candidate, it1.candidates[0])
        XCTAssertEqual(row5.iter, 1)
        XCTAssertEqual(row5.nResources, 2)
        XCTAssertEqual(row5.fits.map(\.index), [10, 11])
        XCTAssertEqual(row5.fits[0].state, .done)
        XCTAssertEqual(row5.fits[1].state, .running)
        XCTAssertEqual(progress.candidates[7].fits.map(\.index), [14, 15])
        XCTAssertTrue(progress.position(ofFit: 13).map { $0 == (6, 1) } ?? false)
        XCTAssertNil(progress.position(ofFit: 16))                    // iteration 2 is not decided yet
        // The table labels the row with its candidate and iteration.
        var buffer = CellBuffer(width: 120, height: 24)
        SearchView(progress: progress, state: SearchViewState(), theme: .dark, symbols: .unicode, rate: 1, eta: 10)
            .render(into: &buffer)
        let text = buffer.lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("\(it1.candidates[0]).1 running"), text)
        XCTAssertTrue(text.contains(" 4.0 done"), text)
        XCTAssertTrue(text.contains("11/20 fits"), text)                // iteration 2's 4 fits are still to come
    }
}

/// `--executor slurm`'s `slurm/state.json` in the view: fits without a result show Slurm's state and task id (a
/// running task is inferred from its log as for local fits).
final class SearchProgressSlurmTests: XCTestCase {
    func testSlurmStatesOfFitsWithoutAResult() throws {
        let f = try SearchViewFixture(self)
        func rec(_ fit: Int, _ state: SlurmFitState, _ reason: String? = nil) -> SlurmFitRecord {
            SlurmFitRecord(fit: fit, state: state, jobId: "900_\(fit)", slurmState: state.rawValue.uppercased(),
                           reason: reason, node: nil, since: "2026-01-01T00:00:00Z")
        }
        let state = SlurmSearchState(arrayJobId: "900", refitJobId: nil, refitLocal: false, followerPid: nil,
                                     submitted: "2026-01-01T00:00:00Z", updated: "2026-01-01T00:00:00Z",
                                     fits: [rec(0, .completed), rec(3, .running), rec(5, .pending, "Priority"),
                                            rec(7, .timeout, "TIMEOUT after 00:10:00")], refit: nil)
        try f.dir.writeSlurmState(state)
        try FileManager.default.removeItem(atPath: f.dir.fitsPath + "/fit-00005.state.json")
        let p = try f.progress()
        XCTAssertEqual(p.candidates[0].fits[0].state, .done)                               // its result wins
        XCTAssertEqual(p.candidates[1].fits[1].state, .running)                            // fresh log
        XCTAssertEqual(p.candidates[2].fits[1].state, .external(state: "pending", jobID: "900_5"))
        XCTAssertEqual(p.candidates[3].fits[1].state, .external(state: "timeout: TIMEOUT after 00:10:00", jobID: "900_7"))
    }
}
