import XCTest
import SafeIO
@testable import HyperSearch

/// A successive-halving search directory: iterations decided from results, recorded once, and read back unchanged.
final class HalvingDirectoryTests: XCTestCase {
    var dir: String = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "halving-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func plan() throws -> SearchPlan {
        // 5 candidates, factor 2, min 1, max 4, 2 folds: n_required = 1 + floor(log2 5) = 3, n_possible = 1 + log2 4 = 3;
        // iterations of 5, 3, 2 candidates at 1, 2, 4 epochs = (5 + 3 + 2) x 2 = 20 fits.
        let candidates: [[String: ParamValue]] = (0..<5).map { ["lr": .double(Double($0) / 10)] }
        var p = SearchPlan(kind: "halving-grid", space: "lr=...", candidates: candidates, nSplits: 2,
                           crossValidator: .kFold, shuffleFolds: false, seed: 1, testFold: [0, 0, 1, 1],
                           scoring: .accuracy, returnTrainScore: false, options: [:], created: "now")
        p.halving = try HalvingSchedule(candidates: 5, factor: 2, minResources: .smallest, maxResources: 4,
                                        aggressiveElimination: false)
        p.version = 2
        return p
    }

    func write(_ d: SearchDirectory, _ plan: SearchPlan, fit i: Int, score: Double?) throws {
        let (row, k) = try d.fit(i, plan: plan)
        var r = FitResult(index: i, candidate: row.candidate, split: k, params: row.params, testScore: score,
                          trainScore: nil, fitTime: 1, scoreTime: 1, nTrainSamples: 2, nTestSamples: 2,
                          epochs: row.nResources ?? 0, reason: "", error: score == nil ? "failed" : nil)
        r.iter = row.iter; r.nResources = row.nResources
        try d.writeResult(r)
    }

    func testIterationsAreDecidedFromResultsAndRecorded() throws {
        let d = SearchDirectory(dir)
        let p = try plan()
        try d.writePlan(p)
        let read = try d.readPlan()
        XCTAssertEqual(read.fitCount, 20)
        XCTAssertEqual(read.halving?.nCandidates, [5, 3, 2])
        // Iteration 0: candidate c scores (0.1 * c, 0.3) on its splits; candidate 1 fails on split 0.
        let means = [0.15, .nan, 0.25, 0.3, 0.1]
        for i in 0..<10 {
            let c = i / 2
            try write(d, p, fit: i, score: c == 1 && i % 2 == 0 ? nil : (i % 2 == 0 ? 2 * means[c] - 0.3 : 0.3))
        }
        // Not decided while iteration 0 is incomplete.
        try FileManager.default.removeItem(atPath: d.resultPath(fit: 9))
        XCTAssertNil(try d.iteration(1, plan: p))
        XCTAssertThrowsError(try d.fit(10, plan: p)) { XCTAssertTrue("\($0)".contains("not decided yet"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: d.iterationPath(1)))
        try write(d, p, fit: 9, score: 0.3)
        // Means 0.15, NaN, 0.25, 0.3, 0.1: ascending 4, 0, 2, 3 (NaN first after the roll); keep ceil(5/2) = 3: 0, 2, 3.
        let it1 = try XCTUnwrap(try d.iteration(1, plan: p))
        XCTAssertEqual(it1.candidates, [0, 2, 3])
        XCTAssertEqual(it1.nResources, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: d.iterationPath(1)))
        let (row, split) = try d.fit(13, plan: p)   // iteration 1 starts at fit 10: row 1 (candidate 2), split 1
        XCTAssertEqual(row.candidate, 2)
        XCTAssertEqual(split, 1)
        XCTAssertEqual(row.params["epochs"], .int(2))
        // Recorded: changing iteration 0's results afterwards does not change iteration 1.
        try write(d, p, fit: 8, score: 0.99)
        XCTAssertEqual(try d.iteration(1, plan: p)?.candidates, [0, 2, 3])
        // Partial results: 5 rows of iteration 0 plus iteration 1's 3 unfinished rows.
        let cv = try d.writeDerived(p)
        XCTAssertEqual(cv.candidates, 8)
        XCTAssertEqual(cv.unfinishedSplits, [0, 0, 0, 0, 0, 2, 2, 2])
        let best = try String(decoding: SafeFile.read(dir + "/best_params.json", limit: 1 << 20), as: UTF8.self)
        XCTAssertTrue(best.contains("\"complete\": false"), best)
        XCTAssertTrue(best.contains("\"n_finished_fits\": 10"), best)
        XCTAssertTrue(best.contains("\"n_candidates_\": [5, 3, 2]"), best)
        // Iteration 1: candidates 0, 2, 3 score 0.5, 0.7, 0.6 -> keep 2: 3, 2 (ascending), then iteration 2 at 4 epochs.
        for (j, s) in [0.5, 0.7, 0.6].enumerated() {
            try write(d, p, fit: 10 + 2 * j, score: s); try write(d, p, fit: 11 + 2 * j, score: s)
        }
        XCTAssertEqual(try d.iteration(2, plan: p)?.candidates, [3, 2])
        for i in 16..<20 { try write(d, p, fit: i, score: i < 18 ? 0.8 : 0.75) }
        let final = try d.writeDerived(p)
        XCTAssertTrue(final.isComplete)
        XCTAssertEqual(final.candidates, 10)
        // Best: row 8 (candidate 3, 0.8) in the last iteration.
        XCTAssertEqual(final.bestIndex, 8)
        // A damaged record is reported.
        try SafeFile.write("{\"iter\": 2, \"n_resources\": 4, \"candidates\": [3, 3]}\n", to: d.iterationPath(2))
        XCTAssertThrowsError(try d.iteration(2, plan: p)) { XCTAssertTrue("\($0)".contains("iter-02.json"), "\($0)") }
    }

    func testATamperedScheduleIsRefused() throws {
        let d = SearchDirectory(dir)
        var p = try plan()
        p.halving?.nResources = [1, 2, 400]
        try d.writePlan(p)
        XCTAssertThrowsError(try d.readPlan()) { XCTAssertTrue("\($0)".contains("halving schedule does not match"), "\($0)") }
    }
}
