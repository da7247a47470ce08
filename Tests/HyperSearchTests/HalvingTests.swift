import XCTest
@testable import HyperSearch

/// Successive halving's schedule and selection. Expected values are computed by hand from the formulas of
/// scikit-learn 1.9's `_search_successive_halving.py` (quoted per case) and were checked against
/// `HalvingGridSearchCV(resource="epochs")` (the same cases run in Tests/e2e/sklearn.sh).
final class HalvingTests: XCTestCase {
    func schedule(_ n: Int, _ f: Double, _ minR: MinResources, _ maxR: Int, aggressive: Bool = false) throws -> HalvingSchedule {
        try HalvingSchedule(candidates: n, factor: f, minResources: minR, maxResources: maxR, aggressiveElimination: aggressive)
    }

    func testExhaustStartsAsLateAsPossible() throws {
        // 10 candidates, factor 3: n_required = 1 + floor(log3(10) = 2.096) = 3; exhaust: min = max(1, 30 // 3^2) = 3;
        // n_possible = 1 + floor(log3(30 // 3 = 10)) = 3; resources 3 * 3^i = 3, 9, 27; candidates 10, ceil(10/3) = 4,
        // ceil(4/3) = 2; remaining ceil(2/3) = 1.
        let s = try schedule(10, 3, .exhaust, 30)
        XCTAssertEqual(s.nRequiredIterations, 3)
        XCTAssertEqual(s.nPossibleIterations, 3)
        XCTAssertEqual(s.nIterations, 3)
        XCTAssertEqual(s.minResources, 3)
        XCTAssertEqual(s.nResources, [3, 9, 27])
        XCTAssertEqual(s.nCandidates, [10, 4, 2])
        XCTAssertEqual(s.nRemainingCandidates, 1)
        // 3 folds: 16 rows x 3 = 48 fits; iteration 1's fits start after iteration 0's 30.
        XCTAssertEqual(s.fits(nSplits: 3).total, 48)
        XCTAssertEqual(s.fitOffset(iteration: 1, nSplits: 3), 30)
        XCTAssertEqual(s.position(ofFit: 31, nSplits: 3)?.iteration, 1)
        XCTAssertEqual(s.position(ofFit: 31, nSplits: 3)?.row, 0)
        XCTAssertEqual(s.position(ofFit: 31, nSplits: 3)?.split, 1)
        XCTAssertEqual(s.position(ofFit: 47, nSplits: 3)?.row, 1)
        XCTAssertNil(s.position(ofFit: 48, nSplits: 3))
    }

    func testSmallestStartsAtOneEpoch() throws {
        // min = 1; n_possible = 1 + floor(log3(30) = 3.096) = 4 > n_required 3, so 3 iterations at 1, 3, 9 epochs.
        let s = try schedule(10, 3, .smallest, 30)
        XCTAssertEqual([s.nRequiredIterations, s.nPossibleIterations, s.nIterations, s.minResources], [3, 4, 3, 1])
        XCTAssertEqual(s.nResources, [1, 3, 9])
        XCTAssertEqual(s.nCandidates, [10, 4, 2])
    }

    func testAggressiveEliminationRepeatsMinResources() throws {
        // 30 candidates, min 5, max 20: n_required = 1 + floor(log3(30) = 3.096) = 4; n_possible = 1 + floor(log3(4)) = 2.
        // Aggressive: 4 iterations, power = max(0, i - 4 + 2) = 0, 0, 0, 1: resources 5, 5, 5, 15; candidates 30, 10,
        // 4, 2. Not aggressive: min(2, 4) = 2 iterations at 5, 15 with 30, 10 candidates; 4 remain.
        let a = try schedule(30, 3, .fixed(5), 20, aggressive: true)
        XCTAssertEqual(a.nIterations, 4)
        XCTAssertEqual(a.nResources, [5, 5, 5, 15])
        XCTAssertEqual(a.nCandidates, [30, 10, 4, 2])
        XCTAssertEqual(a.nRemainingCandidates, 1)
        let b = try schedule(30, 3, .fixed(5), 20)
        XCTAssertEqual(b.nIterations, 2)
        XCTAssertEqual(b.nResources, [5, 15])
        XCTAssertEqual(b.nCandidates, [30, 10])
        XCTAssertEqual(b.nRemainingCandidates, 4)
    }

    func testRealFactorUsesPythonFloatArithmetic() throws {
        // factor 2.5, 7 candidates, max 100: n_required = 1 + floor(ln 7 / ln 2.5 = 2.124) = 3; exhaust: 100 // 6.25 = 16.0;
        // n_possible = 1 + floor(log2.5(100 // 16.0 = 6.0) = 1.955) = 2; resources int(16), int(2.5 * 16) = 16, 40;
        // candidates 7, ceil(7 / 2.5 = 2.8) = 3; remaining ceil(3 / 2.5 = 1.2) = 2.
        let s = try schedule(7, 2.5, .exhaust, 100)
        XCTAssertEqual([s.nRequiredIterations, s.nPossibleIterations, s.nIterations, s.minResources], [3, 2, 2, 16])
        XCTAssertEqual(s.nResources, [16, 40])
        XCTAssertEqual(s.nCandidates, [7, 3])
        XCTAssertEqual(s.nRemainingCandidates, 2)
    }

    func testLogRoundingAsPython() throws {
        // Python: math.log(243, 3) = 4.999999999999999 (so n_required = 5, not 6), math.log(27, 3) = 3.0000000000000004.
        let a = try schedule(243, 3, .smallest, 1000)
        XCTAssertEqual(a.nRequiredIterations, 5)
        XCTAssertEqual(a.nResources, [1, 3, 9, 27, 81])
        XCTAssertEqual(a.nCandidates, [243, 81, 27, 9, 3])
        XCTAssertEqual(try schedule(27, 3, .smallest, 1000).nRequiredIterations, 4)
        // One candidate: one iteration with every epoch (exhaust: max(1, 10 // 3^0) = 10).
        let one = try schedule(1, 3, .exhaust, 10)
        XCTAssertEqual(one.nResources, [10])
        XCTAssertEqual(one.nCandidates, [1])
    }

    func testFloorDivision() {
        XCTAssertEqual(HalvingSchedule.floorDiv(100, 6.25), 16)
        XCTAssertEqual(HalvingSchedule.floorDiv(7, 2), 3)
        XCTAssertEqual(HalvingSchedule.floorDiv(-7, 2), -4)
        XCTAssertEqual(HalvingSchedule.floorDiv(1, 3), 0)
    }

    func testBadValuesAreRefused() {
        XCTAssertThrowsError(try schedule(4, 1, .exhaust, 10)) { XCTAssertTrue("\($0)".contains("--factor")) }
        XCTAssertThrowsError(try schedule(4, .nan, .exhaust, 10))
        // log(1000) / log(1.0000001) = 6.9e7 iterations: refused before anything is allocated.
        XCTAssertThrowsError(try schedule(1000, 1.0000001, .smallest, 10, aggressive: true)) {
            XCTAssertTrue("\($0)".contains("too close to 1"), "\($0)")
        }
        XCTAssertThrowsError(try schedule(4, 1.0000000000000002, .smallest, 10))
        XCTAssertThrowsError(try schedule(4, 3, .fixed(11), 10)) {
            XCTAssertTrue("\($0)".contains("min_resources_=11 is greater than max_resources_=10"), "\($0)")
        }
        XCTAssertThrowsError(try schedule(4, 3, .exhaust, 0))
        XCTAssertThrowsError(try schedule(0, 3, .exhaust, 10))
        XCTAssertNil(MinResources("0"))
        XCTAssertNil(MinResources("most"))
        XCTAssertEqual(MinResources("4"), .fixed(4))
        // n_candidates='exhaust': max // min; with min exhaust it is refused, as scikit-learn does.
        XCTAssertEqual(try HalvingSchedule.exhaustCandidates(minResources: .smallest, maxResources: 9), 9)
        XCTAssertEqual(try HalvingSchedule.exhaustCandidates(minResources: .fixed(2), maxResources: 9), 4)
        XCTAssertThrowsError(try HalvingSchedule.exhaustCandidates(minResources: .exhaust, maxResources: 9))
    }

    func testTopKAsSklearn() {
        // Ascending stable order 0, 2 (0.5), 1, 4 (0.7), 3 (0.9): the last k.
        XCTAssertEqual(Halving.topK([0.5, 0.7, 0.5, 0.9, 0.7], k: 2), [4, 3])
        XCTAssertEqual(Halving.topK([0.5, 0.7, 0.5, 0.9, 0.7], k: 3), [1, 4, 3])
        // NaN last in argsort, then rolled to the front: 0, 2, 1, 3; NaN candidates survive only when k exceeds the
        // finite scores.
        XCTAssertEqual(Halving.topK([.nan, 0.2, .nan, 0.3], k: 3), [2, 1, 3])
        XCTAssertEqual(Halving.topK([.nan, 0.2, .nan, 0.3], k: 2), [1, 3])
        XCTAssertEqual(Halving.topK([.nan, .nan], k: 1), [1])
        XCTAssertEqual(Halving.topK([1, 2], k: 0), [])
    }

    func testBestIndexIsInTheLastIteration() {
        // Row 0 has the best score overall, but scikit-learn picks among the last iteration's rows (3, 4): row 4.
        XCTAssertEqual(Halving.bestIndex(iterations: [0, 0, 0, 1, 1], means: [0.9, 0.1, 0.2, 0.5, 0.6]), 4)
        // Ties: the first (np.nanargmax); NaN ignored; all NaN: the last iteration's first row.
        XCTAssertEqual(Halving.bestIndex(iterations: [0, 1, 1, 1], means: [1, .nan, 0.5, 0.5]), 2)
        XCTAssertEqual(Halving.bestIndex(iterations: [0, 1, 1], means: [0.3, .nan, .nan]), 1)
        XCTAssertNil(Halving.bestIndex(iterations: [], means: []))
    }
}
