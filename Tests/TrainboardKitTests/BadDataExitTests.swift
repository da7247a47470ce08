import Datasets
import Foundation
import NeuralEngine
import TrainboardKit
import XCTest

/// Bad data is found before training (exit 2 naming the file or option), not as a training failure (issue 7).
final class BadDataExitTests: XCTestCase {
    private func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// An IDX directory whose test images are 32x32 while the training images are 28x28.
    func testTrainAndTestShapesMustAgree() throws {
        let dir = try makeTemporaryDirectory(self).path
        func images(_ n: Int, _ side: Int) -> Data { Data(be32(0x0803) + be32(n) + be32(side) + be32(side) + [UInt8](repeating: 7, count: n * side * side)) }
        func labels(_ n: Int) -> Data { Data(be32(0x0801) + be32(n) + (0..<n).map { UInt8($0 % 3) }) }
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/train-images-idx3-ubyte", contents: images(6, 28)))
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/train-labels-idx1-ubyte", contents: labels(6)))
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/t10k-images-idx3-ubyte", contents: images(3, 32)))
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/t10k-labels-idx1-ubyte", contents: labels(3)))
        var c = RunConfiguration()
        c.data = dir
        XCTAssertThrowsError(try TrainingRun.prepare(try TrainingPlan(c))) { e in
            XCTAssertTrue(e is DataError, "\(type(of: e))")
            XCTAssertEqual("\(e)", "data source '\(dir)': the training split has 28x28 images but the test split has 32x32 images; "
                           + "both must have the same features")
        }
    }

    /// `--validation-split 0.999` on 300 samples keeps Int(300 * 0.001) = 0 training samples.
    func testValidationSplitThatLeavesNoTrainingRows() throws {
        let dir = try makeTemporaryDirectory(self).path
        let csv = dir + "/d.csv"
        let rows = (0..<300).map { "\(Double($0) / 300),\($0 % 2)" }.joined(separator: "\n")
        XCTAssertTrue(FileManager.default.createFile(atPath: csv, contents: Data(("x,label\n" + rows + "\n").utf8)))
        var c = RunConfiguration()
        c.data = csv
        c.validationSplit = 0.999
        XCTAssertThrowsError(try TrainingRun.prepare(try TrainingPlan(c))) { e in
            XCTAssertEqual("\(e)", "--validation-split: 0.999 of 300 samples leaves no training samples")
        }
        // 1e-17 rounds 1 - split to 1.0 in Double: every sample would train and none validate.
        c.validationSplit = 1e-17
        XCTAssertThrowsError(try TrainingRun.prepare(try TrainingPlan(c))) { e in
            XCTAssertEqual("\(e)", "--validation-split: 1e-17 of 300 samples leaves no validation samples")
        }
        c.validationSplit = 0.2
        XCTAssertEqual(try TrainingRun.prepare(try TrainingPlan(c)).train.count, 300)
    }
}
