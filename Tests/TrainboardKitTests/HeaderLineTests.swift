import TrainboardKit
import XCTest

/// The optimizer part of the header line is built in one place (`TrainingPlan.optimizerDescription`) for the
/// dashboard and the headless output.
final class HeaderLineTests: XCTestCase {
    func testOptimizerDescription() throws {
        XCTAssertEqual(try TrainingPlan(RunConfiguration()).optimizerDescription, "sgd lr 0.1 momentum 0.8 decay 0.0016")
        var c = RunConfiguration()
        c.nesterov = true
        c.momentum = 0.9
        XCTAssertEqual(try TrainingPlan(c).optimizerDescription, "sgd lr 0.1 momentum 0.9 nesterov decay 0.0016")
        c = RunConfiguration()
        c.optimizer = "adam"
        XCTAssertEqual(try TrainingPlan(c).optimizerDescription, "adam lr 0.001 decay 0.0", "no momentum outside SGD")
    }
}
