import Dashboard
import Foundation
import NeuralEngine
@testable import TrainboardKit
import XCTest

/// The planned learning-rate curve is computed at chart resolution (issue 7: `--epochs 1000000000000` allocated 8 TB
/// for it, and 10^8 epochs used 1.6 GiB).
final class PlannedRatesTests: XCTestCase {
    private func callbacks(schedule: String?, decay: Double = 0) throws -> RunCallbacks {
        var c = RunConfiguration()
        c.schedule = schedule
        c.decay = decay
        c.lr = 0.1
        return try RunCallbacks(plan: try TrainingPlan(c), replay: [], onMessage: nil, lr0: 0.1)
    }

    func testStride() {
        XCTAssertEqual(PlannedRates.stride(from: 0, to: 60), 1)
        XCTAssertEqual(PlannedRates.stride(from: 0, to: 1024), 1)
        XCTAssertEqual(PlannedRates.stride(from: 0, to: 1025), 2)
        XCTAssertEqual(PlannedRates.stride(from: 5, to: 1_000_000_000_005), 976_562_500)
        XCTAssertEqual(PlannedRates.stride(from: 9, to: 3), 1)
    }

    func testShortRunsPlanEveryEpoch() throws {
        let cbs = try callbacks(schedule: "step:drop=0.5,every=2")
        let opt = SGD(learningRate: 0.1)
        XCTAssertEqual(cbs.plannedRates(from: 0, epochs: 5, stepsPerEpoch: 10, optimizer: opt), [0.1, 0.1, 0.05, 0.05, 0.025])
    }

    /// 10^12 epochs: 1,024 values at most, each the rate at the first epoch of its stride, computed at once.
    func testHugeRunsPlanAtChartResolution() throws {
        let cbs = try callbacks(schedule: "sgdr:t0=10,tmult=1,min=0", decay: 1e-3)
        let opt = SGD(learningRate: 0.1, decay: 1e-3)
        let start = Date()
        let rates = cbs.plannedRates(from: 0, epochs: 1_000_000_000_000, stepsPerEpoch: 469, optimizer: opt)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertEqual(rates.count, 1_024)  // stride 10^12 / 1024 = 976,562,500 epochs
        // Value k is the rate at epoch k * 976,562,500, a multiple of t0 = 10: SGDR is at the start of a cycle (0.1),
        // then legacy decay divides by 1 + 1e-3 * epoch * 469.
        XCTAssertEqual(rates[0], 0.1)
        XCTAssertEqual(rates[3], 0.1 / (1 + 1e-3 * 2_929_687_500 * 469), accuracy: 1e-18)
    }

    /// Equal SGDR cycles use a closed form; it agrees with counting cycles one by one.
    func testSGDRClosedFormMatchesTheLoop() throws {
        let s = try CosineAnnealingWarmRestarts(t0: 7, tMult: 1, etaMin: 0.001)
        for e in 0..<100 {
            XCTAssertEqual(s.cycle(containing: e).index, e / 7)
            XCTAssertEqual(s.cycle(containing: e).start, e / 7 * 7)
        }
        let start = Date()
        XCTAssertEqual(s.cycle(containing: 1_000_000_000_000).index, 142_857_142_857)
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.1)
    }
}
