import XCTest
@testable import NeuralEngine

/// Three updates with a scripted gradient sequence, against NumPy implementations of Keras's update rules
/// (values printed by NumPy 2.4 in float64; see the formulas in Optimizer.swift).
final class OptimizerTests: XCTestCase {
    let gradients: [[Float]] = [[0.1, -0.3, 0.2], [-0.2, 0.1, 0.4], [0.05, 0.05, -0.1]]

    func run(_ opt: Optimizer) -> [Float] {
        let p = Parameter(name: "w", rows: 1, cols: 3, values: [1, -2, 0.5])
        for g in gradients {
            for k in 0..<3 { p.grad.pointer[k] = g[k] }
            opt.apply([p])
        }
        XCTAssertEqual(opt.iterations, 3)
        return p.matrix.storage
    }

    func assertClose(_ a: [Float], _ b: [Double], _ tol: Float = 2e-6, file: StaticString = #filePath, line: UInt = #line) {
        for (x, y) in zip(a, b) { XCTAssertEqual(x, Float(y), accuracy: tol, file: file, line: line) }
    }

    func testSGDMomentumWithLegacyDecay() {
        assertClose(run(SGD(learningRate: 0.1, momentum: 0.9, decay: 0.5)), [0.99573333, -1.93386667, 0.40013333])
    }

    func testSGDNesterov() {
        assertClose(run(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, decay: 0.5)),
                    [0.99699333, -1.91964667, 0.36845333])
    }

    func testAdam() { assertClose(run(Adam(learningRate: 0.01)), [0.99502819, -1.9839409, 0.47446238]) }
    func testRMSprop() { assertClose(run(RMSprop(learningRate: 0.01)), [0.98962554, -1.98430266, 0.44713073]) }
    func testAdagrad() { assertClose(run(Adagrad(learningRate: 0.01)), [1.0008685, -1.99646471, 0.48914786]) }

    /// Learning rate 0 (Keras accepts it): every optimizer leaves the weights exactly as they were, while its slots
    /// (momentum, moments, accumulators) and `iterations` still advance.
    func testZeroLearningRateFreezesWeights() {
        let optimizers: [Optimizer] = [SGD(learningRate: 0), SGD(learningRate: 0, momentum: 0.9, nesterov: true, decay: 0.5),
                                       Adam(learningRate: 0), RMSprop(learningRate: 0), Adagrad(learningRate: 0)]
        for o in optimizers { XCTAssertEqual(run(o), [1, -2, 0.5], "\(type(of: o))") }
    }

    /// Issue case 5: lr0 0.1, decay 0.01: update t=299 uses 0.1/(1+2.99) = 0.0250627, t=300 uses 0.025.
    func testLegacyDecayPerUpdate() {
        let o = SGD(learningRate: 0.1, decay: 0.01)
        XCTAssertEqual(o.learningRate(atUpdate: 299), 0.0250627, accuracy: 1e-7)
        XCTAssertEqual(o.learningRate(atUpdate: 300), 0.025, accuracy: 1e-12)
    }
}
