import XCTest
@testable import HyperSearch

/// Fold assignments against scikit-learn 1.9.1 (/work/venv, `pip install scikit-learn`): for each split k of
/// `cv.split(np.zeros((n, 1)), y)`, the samples of `test` got fold number k.
final class FoldsTests: XCTestCase {
    func testKFoldTenByThreeIsFourThreeThree() throws {
        // KFold(3) on 10 samples: [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
        XCTAssertEqual(try Folds.kFold(n: 10, nSplits: 3), [0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
        // KFold(2) on 7 samples: [0, 0, 0, 0, 1, 1, 1]
        XCTAssertEqual(try Folds.kFold(n: 7, nSplits: 2), [0, 0, 0, 0, 1, 1, 1])
    }

    func testStratifiedKFoldMatchesScikitLearn() throws {
        let cases: [(labels: [Int], k: Int, expected: [Int])] = [
            ([0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2], 3, [0, 1, 2, 0, 0, 1, 1, 2, 0, 1, 2, 2]),
            ([3, 1, 1, 3, 0, 3, 1, 0, 0, 3, 3, 1, 2, 2, 0, 3], 3, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 0, 2, 2, 2]),
            ([1, 0, 1, 1, 0, 1, 1, 1, 0, 1], 4, [0, 0, 0, 1, 1, 1, 2, 2, 3, 3]),
            ([2, 2, 0, 1, 0, 2, 1, 1, 2, 0, 0, 2, 1], 2, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]),
        ]
        for c in cases {
            XCTAssertEqual(try Folds.stratifiedKFold(labels: c.labels, nSplits: c.k).testFold, c.expected, "\(c.labels)")
        }
    }

    func testStratifiedWarnsLikeScikitLearnAndRefusesImpossible() throws {
        // scikit-learn warns "The least populated class in y has only 2 members, which is less than n_splits=3."
        let w = try Folds.stratifiedKFold(labels: [3, 1, 1, 3, 0, 3, 1, 0, 0, 3, 3, 1, 2, 2, 0, 3], nSplits: 3).warning
        XCTAssertEqual(w, "The least populated class in y has only 2 members, which is less than n_splits=3.")
        XCTAssertThrowsError(try Folds.stratifiedKFold(labels: [0, 1, 2, 0, 1, 2], nSplits: 3))
        XCTAssertThrowsError(try Folds.kFold(n: 3, nSplits: 4))
        XCTAssertThrowsError(try Folds.kFold(n: 3, nSplits: 1))
    }

    func testShuffledFoldsAreSeededAndKeepTheSizes() throws {
        let a = try Folds.kFold(n: 10, nSplits: 3, shuffle: true, seed: 5)
        XCTAssertEqual(a, try Folds.kFold(n: 10, nSplits: 3, shuffle: true, seed: 5))
        XCTAssertNotEqual(a, try Folds.kFold(n: 10, nSplits: 3))
        XCTAssertEqual((0..<3).map { k in a.filter { $0 == k }.count }, [4, 3, 3])
        let labels = [0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2]
        let s = try Folds.stratifiedKFold(labels: labels, nSplits: 3, shuffle: true, seed: 5).testFold
        let plain = try Folds.stratifiedKFold(labels: labels, nSplits: 3).testFold
        // Per class and fold the counts stay those of the unshuffled allocation.
        for c in 0..<3 { for k in 0..<3 {
            let count = { (f: [Int]) in labels.indices.filter { labels[$0] == c && f[$0] == k }.count }
            XCTAssertEqual(count(s), count(plain))
        } }
    }

    func testSplitGivesAscendingIndices() {
        let (train, test) = Folds.split([0, 1, 0, 2, 1], k: 1)
        XCTAssertEqual(train, [0, 2, 3])
        XCTAssertEqual(test, [1, 4])
    }
}
