import XCTest
import NeuralEngine
import HyperSearch
@testable import TrainboardKit

/// `--normalize` in a search: each fold's statistics come from its training part only.
final class SearchFoldNormalizationTests: XCTestCase {
    func testFoldStatisticsComeFromTheTrainingPartOnly() throws {
        // 4 samples x 2 features: feature 0 = 1, 3, 100, 5; feature 1 = 7, 7, 7, 9. Folds [0, 1, 0, 1].
        let data = try Dataset(features: .floats([1, 7, 3, 7, 100, 7, 5, 9]), featureCount: 2,
                               targets: .classes([0, 1, 0, 1], classCount: 2))
        let (trainIdx, testIdx) = Folds.split([0, 1, 0, 1], k: 0)
        XCTAssertEqual(trainIdx, [1, 3])
        XCTAssertEqual(testIdx, [0, 2])
        let (train, test) = try SearchTrial.foldData(data, trainIndices: trainIdx, testIndices: testIdx, normalize: true)
        // Training part: feature 0 = 3, 5 -> mean 4, population std 1 -> -1, 1; feature 1 = 7, 9 -> mean 8, std 1.
        // Held-out: (1 - 4) / 1 = -3, (100 - 4) / 1 = 96; (7 - 8) / 1 = -1 twice. With the whole data's statistics
        // (mean 27.25 of feature 0) the held-out 100 would have leaked into the scaling.
        XCTAssertEqual(floats(train), [-1, -1, 1, 1])
        XCTAssertEqual(floats(test), [-3, -1, 96, -1])
        // Split 1: training part = samples 0, 2: feature 0 = 1, 100 -> mean 50.5, std 49.5; feature 1 = 7, 7 is
        // constant there (only centred: 7 - 7 = 0, 9 - 7 = 2).
        let (t1, h1) = Folds.split([0, 1, 0, 1], k: 1)
        let (train1, test1) = try SearchTrial.foldData(data, trainIndices: t1, testIndices: h1, normalize: true)
        XCTAssertEqual(floats(train1), [-1, 0, 1, 0])
        let want: [Float] = [(3 - 50.5) / 49.5, 0, (5 - 50.5) / 49.5, 2]
        for (g, w) in zip(floats(test1), want) { XCTAssertEqual(g, w, accuracy: 1e-6) }
        // Without --normalize the parts are the raw rows.
        let (raw, rawTest) = try SearchTrial.foldData(data, trainIndices: trainIdx, testIndices: testIdx, normalize: false)
        XCTAssertEqual(floats(raw), [3, 7, 5, 9])
        XCTAssertEqual(floats(rawTest), [1, 7, 100, 7])
    }

    func floats(_ d: Dataset) -> [Float] {
        switch d.features {
        case .floats(let f): return f
        case .bytes(let b, let s): return b.map { Float($0) * s }
        }
    }
}
