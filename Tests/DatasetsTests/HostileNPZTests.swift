import Datasets
import Foundation
import NeuralEngine
import XCTest

/// Label values that would size the output layer absurdly (issue 7): refused when the data are loaded, naming the
/// file and the array, before anything is allocated by them.
final class HostileNPZTests: XCTestCase {
    var dir: TempDir!
    override func setUpWithError() throws { dir = try TempDir() }
    override func tearDown() { dir.cleanup() }

    private func archive(_ name: String, yTrain: String, n: Int = 300) throws -> String {
        try runPython("""
        import numpy as np
        y = np.zeros(\(n), dtype=np.int64); y[7] = \(yTrain)
        np.savez('\(name)', x_train=np.zeros((\(n), 2, 2), np.uint8), y_train=y,
                 x_test=np.zeros((2, 2, 2), np.uint8), y_test=np.array([0, 1], np.int64))
        """, in: dir.path)
        return dir.file(name)
    }

    func testHugeLabelValuesAreRefused() throws {
        for (label, text) in [("10**8", "label 100000000"), ("2**40", "label 1099511627776"), ("2**62", "label 4611686018427387904")] {
            let p = try archive("big.npz", yTrain: label)
            assertThrows(try DataLoader.load(p), contains: [p, "y_train.npy", text, "beyond the 65536 classes supported"])
        }
    }

    /// Label 10^6 on 300 samples built a 1,000,001-unit output layer (2.8 GiB) and exited 0.
    func testClassCountFarAboveTheSampleCountIsRefused() throws {
        let p = try archive("sparse.npz", yTrain: "2000")
        assertThrows(try DataLoader.load(p), contains: [p, "y_train.npy", "2001 classes for only 302 samples"])
        let q = try archive("million.npz", yTrain: "10**6")
        assertThrows(try DataLoader.load(q), contains: [q, "label 1000000 is beyond the 65536 classes"])
        // 1,000 classes on 300 samples are unusual but allowed (under the 1,024 floor of the rule).
        let ok = try archive("ok.npz", yTrain: "999")
        XCTAssertEqual(try DataLoader.load(ok).train.classCount, 1000)
    }

    func testDatasetRefusesMoreThanTheMaximumClassCount() {
        XCTAssertThrowsError(try Dataset(features: .floats([0, 1]), featureCount: 1,
                                         targets: .classes([0, 1], classCount: 70_000))) { e in
            XCTAssertEqual(e as? DatasetError, .tooManyClasses(classCount: 70_000, samples: 2))
        }
    }
}
