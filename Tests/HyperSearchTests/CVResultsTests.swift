import XCTest
@testable import HyperSearch

final class CVResultsTests: XCTestCase {
    func testRankMinTies() {
        // scipy.stats.rankdata(-np.array([0.5, 0.7, 0.5, 0.9, 0.7]), method="min") = [4, 2, 4, 1, 2]
        XCTAssertEqual(CVResults.rankMin([0.5, 0.7, 0.5, 0.9, 0.7]), [4, 2, 4, 1, 2])
        // NaN means are tied after every number (scikit-learn fills them with nanmin - 1); all NaN: all rank 1.
        XCTAssertEqual(CVResults.rankMin([.nan, 0.2, .nan, 0.3]), [3, 2, 3, 1])
        XCTAssertEqual(CVResults.rankMin([.nan, .nan]), [1, 1])
    }

    func testPopulationStd() {
        // np.std([1.0, 2.0, 4.0]) = 1.247219128924647 (ddof 0)
        let (m, s) = CVResults.meanStd([1, 2, 4])
        XCTAssertEqual(m, 7.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(s, 1.247219128924647, accuracy: 1e-15)
        XCTAssertTrue(CVResults.meanStd([1, .nan]).std.isNaN)
    }

    func result(_ c: Int, _ k: Int, _ score: Double?, train: Double? = nil, fit: Double = 1) -> FitResult {
        FitResult(index: c * 2 + k, candidate: c, split: k, params: [:], testScore: score, trainScore: train,
                  fitTime: fit, scoreTime: 0.5, nTrainSamples: 5, nTestSamples: 5, epochs: 1, reason: "",
                  error: score == nil ? "failed" : nil)
    }

    func testColumnsValuesAndFiles() {
        let params: [[String: ParamValue]] = [["init": .string("zero"), "lr": .double(0.1)],
                                              ["init": .string("a,\"b\""), "lr": .double(1)],
                                              ["init": .string("he_normal")]]
        let results: [[FitResult?]] = [[result(0, 0, 0.5, train: 0.6, fit: 1), result(0, 1, 0.7, train: 0.8, fit: 3)],
                                       [result(1, 0, 0.9), result(1, 1, nil)],
                                       [result(2, 0, 0.6), result(2, 1, 0.6)]]
        let cv = CVResults(candidates: params, nSplits: 2, results: results, returnTrainScore: true)
        XCTAssertEqual(cv.columns, ["mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time", "param_init",
                                    "param_lr", "params", "split0_test_score", "split1_test_score", "mean_test_score",
                                    "std_test_score", "rank_test_score", "split0_train_score", "split1_train_score",
                                    "mean_train_score", "std_train_score"])
        XCTAssertEqual(cv.meanTestScore[0], 0.6, accuracy: 1e-12)
        XCTAssertTrue(cv.meanTestScore[1].isNaN)
        XCTAssertEqual(cv.rankTestScore, [1, 3, 1])
        XCTAssertEqual(cv.bestIndex, 0)
        let csv = cv.csv().split(separator: "\n").map(String.init)
        XCTAssertEqual(csv.count, 4)
        // Candidate 0: fit times 1 and 3 (mean 2, std 1); test 0.5, 0.7 (std 0.1 as np.std); train 0.6, 0.8.
        XCTAssertTrue(csv[1].hasPrefix("2.0,1.0,0.5,0.0,zero,0.1,\"{\"\"init\"\": \"\"zero\"\", \"\"lr\"\": 0.1}\",0.5,0.7,0.6,"), csv[1])
        XCTAssertTrue(csv[2].contains("\"a,\"\"b\"\"\",1.0,"), csv[2])
        XCTAssertTrue(csv[2].contains(",0.9,NaN,NaN,NaN,3,"), csv[2])
        XCTAssertTrue(csv[3].contains(",he_normal,,"), "a missing parameter is an empty cell: \(csv[3])")
        let json = cv.json()
        XCTAssertTrue(json.contains("\"rank_test_score\": [1, 3, 1]"), json)
        XCTAssertTrue(json.contains("\"split1_test_score\": [0.7, null, 0.6]"), json)
        XCTAssertTrue(json.contains("\"param_lr\": [0.1, 1.0, null]"), json)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.utf8)))
    }

    func testScorers() {
        // Two rows of 3 class probabilities; labels 2 and 0. accuracy: row 0 predicts 2 (right), row 1 predicts 1.
        let out: [Float] = [0.1, 0.2, 0.7, 0.3, 0.6, 0.1]
        out.withUnsafeBufferPointer { o in
            var acc = ScoreAccumulator(.accuracy)
            acc.add(outputs: o, rows: 2, width: 3, labels: [2, 0])
            XCTAssertEqual(acc.value, 0.5)
            // sklearn.metrics.log_loss([2, 0], [[.1,.2,.7],[.3,.6,.1]], labels=[0,1,2]) = -(ln .7 + ln .3)/2
            var ll = ScoreAccumulator(.negLogLoss)
            ll.add(outputs: o, rows: 2, width: 3, labels: [2, 0])
            XCTAssertEqual(ll.value, (log(Double(Float(0.7))) + log(Double(Float(0.3)))) / 2, accuracy: 1e-6)
        }
        let pred: [Float] = [1, 2, 3, 5], target: [Float] = [1, 0, 3, 1]
        pred.withUnsafeBufferPointer { p in target.withUnsafeBufferPointer { t in
            // -mean_squared_error over 2 samples x 2 outputs: -(0 + 4 + 0 + 16) / 4 = -5
            var mse = ScoreAccumulator(.negMeanSquaredError)
            mse.add(outputs: p, rows: 2, width: 2, targets: t)
            XCTAssertEqual(mse.value, -5)
        } }
    }
}

final class CVResultsPartialTests: XCTestCase {
    func testRankMinEqualsTheDefinitionOnManyTies() {
        // The definition (1 + finite means above; NaN after all of them) on arrays of few distinct values and NaNs.
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let n = Int.random(in: 1...40, using: &g)
            let xs: [Double] = (0..<n).map { _ in Int.random(in: 0...4, using: &g) == 0 ? .nan : Double(Int.random(in: 0...3, using: &g)) / 4 }
            let finite = xs.filter { !$0.isNaN }
            let want = finite.isEmpty ? [Int](repeating: 1, count: n)
                : xs.map { m in m.isNaN ? finite.count + 1 : finite.filter { $0 > m }.count + 1 }
            XCTAssertEqual(CVResults.rankMin(xs), want, "\(xs)")
        }
    }

    func fit(_ score: Double?) -> FitResult {
        FitResult(index: 0, candidate: 0, split: 0, params: [:], testScore: score, trainScore: nil, fitTime: 2,
                  scoreTime: 1, nTrainSamples: 5, nTestSamples: 5, epochs: 1, reason: "", error: score == nil ? "x" : nil)
    }

    /// A fit steered from its dashboard (a learning rate changed, an early stop) is counted per row in a last column
    /// `n_steered_splits`, present only when some fit was; its result file keeps what changed. Scores and ranks are
    /// as without it.
    func testSteeredFitsAreCountedInTheirOwnColumn() throws {
        let params: [[String: ParamValue]] = [["lr": .double(0.1)], ["lr": .double(0.2)]]
        var steered = fit(0.7)
        steered.steering = ["update 120: learning rate 0.1 -> 0.0123", "update 300: stopped early"]
        let cv = CVResults(candidates: params, nSplits: 3,
                           results: [[fit(0.4), fit(0.6), fit(0.5)], [fit(0.9), steered, fit(0.8)]],
                           returnTrainScore: false)
        XCTAssertEqual(cv.columns.suffix(2), ["rank_test_score", "n_steered_splits"])
        XCTAssertEqual(cv.rankTestScore, [2, 1])
        XCTAssertTrue(cv.json().contains("\"n_steered_splits\": [0, 1]"), cv.json())
        let lines = cv.csv().split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasSuffix(",rank_test_score,n_steered_splits"), lines[0])
        // Row 1: splits 0.9, 0.7, 0.8; mean (0.9 + 0.7 + 0.8) / 3 in doubles; std; rank 1; 1 steered split.
        XCTAssertTrue(lines[2].hasSuffix(",0.9,0.7,0.8,0.8000000000000002,0.08164965809277264,1,1"), lines[2])
        XCTAssertTrue(lines[1].hasSuffix(",2,0"), lines[1])
        // The result file round-trips the record; a result without it (older versions) reads as not steered.
        let data = try JSONEncoder().encode(steered)
        XCTAssertEqual(try JSONDecoder().decode(FitResult.self, from: data).steering, steered.steering)
        let old = try JSONEncoder().encode(fit(0.7))
        XCTAssertFalse(String(decoding: old, as: UTF8.self).contains("steering"))
        XCTAssertNil(try JSONDecoder().decode(FitResult.self, from: old).steering)
        // No steered fit: scikit-learn's columns only.
        let plain = CVResults(candidates: params, nSplits: 3,
                              results: [[fit(0.4), fit(0.6), fit(0.5)], [fit(0.9), fit(0.7), fit(0.8)]],
                              returnTrainScore: false)
        XCTAssertEqual(plain.columns.last, "rank_test_score")
    }

    func testUnfinishedFitsAreMarkedNotFailed() {
        // Row 0 finished (0.4, 0.6 -> 0.5), row 1 failed on split 1 (NaN), row 2 has split 1 unfinished.
        let params: [[String: ParamValue]] = [["lr": .double(0.1)], ["lr": .double(0.2)], ["lr": .double(0.3)]]
        let cv = CVResults(candidates: params, nSplits: 2,
                           results: [[fit(0.4), fit(0.6)], [fit(0.9), fit(nil)], [fit(0.8), nil]],
                           returnTrainScore: false)
        XCTAssertEqual(cv.columns.last, "n_unfinished_splits")
        XCTAssertEqual(cv.unfinishedSplits, [0, 0, 1])
        XCTAssertFalse(cv.isComplete)
        // The unfinished and the failed row both rank after row 0 (NaN means), but only the failed one says NaN.
        XCTAssertEqual(cv.rankTestScore, [1, 2, 2])
        XCTAssertEqual(cv.bestIndex, 0)
        let lines = cv.csv().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines[2].hasSuffix(",0.9,NaN,NaN,NaN,2,0"), lines[2])
        // Row 2: times, split 1, mean and std empty; rank 2; 1 unfinished split.
        XCTAssertTrue(lines[3].hasPrefix(",,,,0.3,"), lines[3])
        XCTAssertTrue(lines[3].hasSuffix(",0.8,,,,2,1"), lines[3])
        XCTAssertTrue(cv.json().contains("\"split1_test_score\": [0.6, null, null]"), cv.json())
        XCTAssertTrue(cv.json().contains("\"n_unfinished_splits\": [0, 0, 1]"), cv.json())
        // Finished: no extra column.
        let done = CVResults(candidates: params, nSplits: 2,
                             results: [[fit(0.4), fit(0.6)], [fit(0.9), fit(nil)], [fit(0.8), fit(0.8)]],
                             returnTrainScore: false)
        XCTAssertEqual(done.columns.last, "rank_test_score")
        XCTAssertEqual(done.bestIndex, 2)
        // A stopped search whose only finished row failed (or was skipped) has no best yet; once complete, all-NaN
        // answers as scikit-learn does (the first row).
        let stopped = CVResults(candidates: params, nSplits: 2, results: [[fit(nil), fit(nil)], [nil, nil], [nil, nil]],
                                returnTrainScore: false)
        XCTAssertNil(stopped.bestIndex)
        let allFailed = CVResults(candidates: params, nSplits: 2, results: Array(repeating: [fit(nil), fit(nil)], count: 3),
                                  returnTrainScore: false)
        XCTAssertEqual(allFailed.bestIndex, 0)
    }

    func testHalvingColumnsAndBestRow() {
        // Two iterations: rows 0-2 (iter 0, 1 epoch), rows 3-4 (iter 1, 3 epochs). Row 0 has the highest mean overall,
        // but the best index is the best of the last iteration (row 4); ranks are over all rows.
        let params: [[String: ParamValue]] = [0, 1, 2, 1, 2].enumerated().map { i, c in
            ["init": .string("c\(c)"), "epochs": .int(i < 3 ? 1 : 3)]
        }
        let scores: [Double] = [0.9, 0.5, 0.6, 0.7, 0.8]
        let cv = CVResults(candidates: params, nSplits: 1, results: scores.map { [fit($0)] }, returnTrainScore: false,
                           iterations: [0, 0, 0, 1, 1], nResources: [1, 1, 1, 3, 3])
        XCTAssertEqual(Array(cv.columns.prefix(3)), ["iter", "n_resources", "mean_fit_time"])
        XCTAssertTrue(cv.columns.contains("param_epochs"))
        XCTAssertEqual(cv.rankTestScore, [1, 5, 4, 3, 2])
        XCTAssertEqual(cv.bestIndex, 4)
        // Partial: iteration 1 without results yet -> the best so far is in iteration 0.
        let partial = CVResults(candidates: params, nSplits: 1,
                                results: [[fit(0.9)], [fit(0.5)], [fit(0.6)], [nil], [nil]], returnTrainScore: false,
                                iterations: [0, 0, 0, 1, 1], nResources: [1, 1, 1, 3, 3])
        XCTAssertEqual(partial.bestIndex, 0)
    }
}
