import Foundation
import NeuralEngine
import SafeIO
import TrainboardKit
import XCTest

/// The model and batch memory is estimated before anything is allocated (issue 7: `--hidden 100000,100000` aborted
/// trying to allocate 40 GB).
final class MemoryEstimateTests: XCTestCase {
    private func plan(hidden: String, optimizer: String = "sgd", momentum: Double = 0.8, batch: Int = 128) throws -> TrainingPlan {
        var c = RunConfiguration()
        c.hidden = hidden
        c.optimizer = optimizer
        c.momentum = momentum
        c.batchSize = batch
        return try TrainingPlan(c)
    }

    /// By hand for 784-64-64-10: P = 784*64+64 + 64*64+64 + 64*10+10 = 55,050; SGD with momentum keeps weights,
    /// gradients and one slot: 3 * 4 * P = 660,600 bytes; a batch of 128 keeps 4 floats per unit of
    /// 784+64+64+10 = 922 units, plus the one-hot targets: 4*4*128*922 + 4*128*10 = 1,893,376 bytes.
    func testEstimateMatchesTheHandCount() throws {
        let e = MemoryEstimate(plan: try plan(hidden: "64,64"), inputUnits: 784, outputUnits: 10)
        XCTAssertEqual(e.parameters, 55_050)
        XCTAssertEqual(e.modelBytes, 660_600)
        XCTAssertEqual(e.batchBytes, 1_893_376)
        let adam = MemoryEstimate(plan: try plan(hidden: "64,64", optimizer: "adam", momentum: 0), inputUnits: 784, outputUnits: 10)
        XCTAssertEqual(adam.modelBytes, 4 * 4 * 55_050)
    }

    func testHugeLayersAreRefusedWithTheEstimate() throws {
        // 784*1e5 + 1e5*1e5 + 1e5*10 weights + biases = 10,079,600,010 parameters; 12 bytes each (weights, gradients,
        // momentum) plus a 128-sample batch of 200,794 units (16 bytes each) = 121,366,431,352 bytes = 113.0 GiB.
        let e = MemoryEstimate(plan: try plan(hidden: "100000,100000"), inputUnits: 784, outputUnits: 10)
        XCTAssertEqual(e.parameters, 784 * 100_000 + 100_000 + 100_000 * 100_000 + 100_000 + 100_000 * 10 + 10)
        MemoryLimit.override(16 << 30)
        defer { MemoryLimit.override(nil) }
        XCTAssertThrowsError(try e.check()) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "hidden")
            XCTAssertTrue("\(error)".hasPrefix("--hidden: the model (10079600010 parameters) and one batch needs about 113 GiB, "
                                                + "more than the memory limit of 16 GiB"), "\(error)")
        }
        // Overflowing sizes saturate instead of trapping.
        let absurd = MemoryEstimate(plan: try plan(hidden: "\(Int.max / 2),\(Int.max / 2)"), inputUnits: 784, outputUnits: 10)
        XCTAssertEqual(absurd.totalBytes, Int.max)
        XCTAssertThrowsError(try absurd.check())
        XCTAssertNoThrow(try MemoryEstimate(plan: try plan(hidden: "512,512"), inputUnits: 784, outputUnits: 10).check())
    }

    func testAHugeBatchIsBlamedOnTheBatchSize() throws {
        MemoryLimit.override(1 << 30)
        defer { MemoryLimit.override(nil) }
        let e = MemoryEstimate(plan: try plan(hidden: "64", batch: 10_000_000), inputUnits: 784, outputUnits: 10)
        XCTAssertThrowsError(try e.check()) { error in XCTAssertEqual((error as? ConfigurationError)?.key, "batch-size") }
    }

    func testLimitParsing() {
        XCTAssertEqual(MemoryLimit.parse("512M"), 512 << 20)
        XCTAssertEqual(MemoryLimit.parse("2g"), 2 << 30)
        XCTAssertEqual(MemoryLimit.parse("1.5K"), 1536)
        XCTAssertEqual(MemoryLimit.parse("4096"), 4096)
        XCTAssertNil(MemoryLimit.parse("-1G"))
        XCTAssertNil(MemoryLimit.parse("0"))
        XCTAssertNil(MemoryLimit.parse("lots"))
        XCTAssertEqual(MemoryLimit.format(16 << 30), "16 GiB")
        XCTAssertEqual(MemoryLimit.format(1536), "1.5 KiB")
    }
}
