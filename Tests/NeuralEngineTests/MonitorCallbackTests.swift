import XCTest
@testable import NeuralEngine

final class MonitorCallbackTests: XCTestCase {
    func testAutoDirection() {
        XCTAssertEqual(MonitorCallback.inferDirection(for: "val_loss"), .minimize)
        XCTAssertEqual(MonitorCallback.inferDirection(for: "loss"), .minimize)
        XCTAssertEqual(MonitorCallback.inferDirection(for: "val_mae"), .minimize)
        XCTAssertEqual(MonitorCallback.inferDirection(for: "val_accuracy"), .maximize)
        XCTAssertEqual(MonitorCallback.inferDirection(for: "acc"), .maximize)
        XCTAssertEqual(MonitorCallback.inferDirection(for: "val_auc"), .maximize)
        XCTAssertEqual(MonitorCallback(monitor: "val_accuracy", mode: .min).direction, .minimize)
        XCTAssertEqual(MonitorCallback(monitor: "val_loss", mode: .max).direction, .maximize)
    }

    func testImprovementTest() {
        let lo = MonitorCallback(monitor: "val_loss", minDelta: -0.1)   // |minDelta| is used
        XCTAssertEqual(lo.minDelta, 0.1)
        XCTAssertTrue(lo.isImprovement(0.39, over: 0.5))
        XCTAssertFalse(lo.isImprovement(0.4, over: 0.5))
        XCTAssertFalse(lo.isImprovement(.nan, over: 0.5))
        XCTAssertFalse(lo.isImprovement(.nan, over: .infinity))
        XCTAssertFalse(lo.isImprovement(0.1, over: .nan))
        XCTAssertTrue(lo.isImprovement(1e9, over: .infinity))
        let hi = MonitorCallback(monitor: "val_accuracy", minDelta: 0.01)
        XCTAssertTrue(hi.isImprovement(0.92, over: 0.9))
        XCTAssertFalse(hi.isImprovement(0.905, over: 0.9))
        XCTAssertFalse(hi.isImprovement(.nan, over: -.infinity))
    }
}
