import XCTest
@testable import NeuralEngine

/// Finite-difference checks: every parameter gradient from backprop against central differences of the loss.
final class GradientCheckTests: XCTestCase {
    /// Deterministic pseudo-random inputs in [-1, 1].
    func inputs(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var g = SeededGenerator(seed: seed)
        return Matrix(rows: rows, cols: cols, storage: (0..<rows * cols).map { _ in Float(g.nextUnitDouble() * 2 - 1) })
    }

    func oneHot(_ labels: [Int], classes: Int) -> Matrix {
        var m = Matrix(rows: labels.count, cols: classes)
        for (r, l) in labels.enumerated() { m[r, l] = 1 }
        return m
    }

    /// Compares analytic and numeric gradients of every parameter; returns the worst relative error.
    func check(_ model: Sequential, x: Matrix, y: Matrix, file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try model.computeGradients(x: x, y: y)
        let analytic = model.parameters.map(\.gradient)
        let h: Float = 1e-2
        var worst = 0.0
        for (pi, p) in model.parameters.enumerated() {
            let original = p.matrix
            for k in 0..<p.count {
                var plus = original; plus.storage[k] += h
                try p.assign(plus)
                let lp = try model.computeGradients(x: x, y: y)
                var minus = original; minus.storage[k] -= h
                try p.assign(minus)
                let lm = try model.computeGradients(x: x, y: y)
                try p.assign(original)
                let numeric = (lp - lm) / Double(2 * h)
                let a = Double(analytic[pi].storage[k])
                let err = abs(numeric - a) / max(1e-2, abs(numeric) + abs(a))
                worst = max(worst, err)
                XCTAssertLessThan(err, 0.03, "\(p.name)[\(k)]: analytic \(a) numeric \(numeric)", file: file, line: line)
            }
        }
        XCTAssertGreaterThan(analytic.flatMap(\.storage).map { abs($0) }.max() ?? 0, 1e-4, "gradients are all ~0: the check would be vacuous", file: file, line: line)
    }

    func testEveryActivationThroughDenseWithMSE() throws {
        for act in Activation.allCases {
            let m = Sequential([Dense(4, activation: act, kernelInitializer: .glorotUniform, biasInitializer: .uniform),
                                Dense(2, activation: .linear, biasInitializer: .uniform)], seed: 7)
            m.compile(optimizer: SGD(), loss: .meanSquaredError)
            let x = inputs(5, 3, seed: 1)
            let y = inputs(5, 2, seed: 2)
            try check(m, x: x, y: y)
        }
    }

    func testSoftmaxCategoricalCrossentropyFused() throws {
        let m = Sequential([Dense(5, activation: .tanh), Dense(3, activation: .softmax)], seed: 3)
        m.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
        try check(m, x: inputs(6, 4, seed: 4), y: oneHot([0, 1, 2, 1, 0, 2], classes: 3))
    }

    func testCategoricalCrossentropyOnNonSoftmaxOutput() throws {
        // Sigmoid outputs are normalised to sum 1 by the loss (Keras's probability form).
        let m = Sequential([Dense(3, activation: .sigmoid, biasInitializer: .uniform)], seed: 5)
        m.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
        try check(m, x: inputs(4, 3, seed: 6), y: oneHot([0, 1, 2, 1], classes: 3))
    }

    func testSigmoidBinaryCrossentropyFused() throws {
        let m = Sequential([Dense(4, activation: .relu, biasInitializer: .uniform), Dense(1, activation: .sigmoid)], seed: 9)
        m.compile(optimizer: SGD(), loss: .binaryCrossentropy)
        try check(m, x: inputs(6, 3, seed: 10), y: Matrix(rows: 6, cols: 1, storage: [1, 0, 1, 1, 0, 0]))
    }

    func testBinaryCrossentropyOnProbabilities() throws {
        let m = Sequential([Dense(2, activation: .softmax, biasInitializer: .uniform)], seed: 11)
        m.compile(optimizer: SGD(), loss: .binaryCrossentropy)
        try check(m, x: inputs(4, 3, seed: 12), y: Matrix([[1, 0], [0, 1], [1, 0], [0, 1]]))
    }

    func testDropoutBackwardUsesTheForwardMask() throws {
        let d = Dropout(0.5)
        var rng = SeededGenerator(seed: 1)
        d.build(inputUnits: 8, rng: &rng)
        d.prepare(batchCapacity: 2)
        let x = [Float](repeating: 1, count: 16)
        let out = x.withUnsafeBufferPointer { d.forward($0.baseAddress!, rows: 2, training: true, rng: &rng) }
        let outs = Array(UnsafeBufferPointer(start: out, count: 16))
        XCTAssertTrue(outs.allSatisfy { $0 == 0 || $0 == 2 }, "inverted dropout scales survivors by 1/(1-0.5)")
        XCTAssertTrue(outs.contains(0) && outs.contains(2))
        var g = [Float](repeating: 3, count: 16)
        let back = g.withUnsafeMutableBufferPointer { d.backward($0.baseAddress!, rows: 2, needInputGradient: true) }
        let backs = Array(UnsafeBufferPointer(start: back!, count: 16))
        XCTAssertEqual(backs, outs.map { $0 * 3 })
        // Inference is the identity.
        let inf = x.withUnsafeBufferPointer { d.forward($0.baseAddress!, rows: 2, training: false, rng: &rng) }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: inf, count: 16)), x)
    }
}
