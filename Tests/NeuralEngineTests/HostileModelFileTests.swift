import Foundation
import NeuralEngine
import XCTest

/// Model files that declare absurd sizes are refused before the weights are allocated (found by `tb-fuzz model`: an
/// `inputUnits` of 499,999,999,999 aborted trying to allocate 6 TB).
final class HostileModelFileTests: XCTestCase {
    func testHugeDeclaredInputIsRefusedNotAllocated() throws {
        let model = Sequential([Dense(3, activation: .relu), Dense(2, activation: .softmax)], seed: 1)
        try model.build(inputUnits: 4)
        let path = NSTemporaryDirectory() + "hostile-\(getpid()).tbmodel"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"inputUnits\":4", with: "\"inputUnits\":499999999999")
        XCTAssertTrue(text.contains("499999999999"))
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Sequential.load(from: path)) { e in
            XCTAssertTrue("\(e)".contains("a model with 499999999999 inputs and layers of 3, 2 units needs about"), "\(e)")
            XCTAssertTrue("\(e)".contains("more than the memory limit"), "\(e)")
        }
    }

    func testBuildRefusesOverflowingSizes() {
        let model = Sequential([Dense(Int.max / 2), Dense(Int.max / 2)], seed: 1)
        XCTAssertThrowsError(try model.build(inputUnits: 1_000))
    }
}
