import XCTest
@testable import NeuralEngine

final class LossTests: XCTestCase {
    /// Issue case 8: from logits, large margins neither overflow nor give NaN.
    func testCrossEntropyFromLargeLogits() {
        let z = Matrix([[300, 100, 100], [-100, 200, 500]])
        let y = Matrix([[1, 0, 0], [0, 1, 0]])
        let per = Loss.categoricalCrossentropy.perSample(logits: z, targets: y, activation: .softmax)
        XCTAssertEqual(per[0], 0, accuracy: 1e-80)
        XCTAssertEqual(per[1], 300, accuracy: 1e-9)
        XCTAssertEqual((per[0] + per[1]) / 2, 150, accuracy: 1e-9)
        XCTAssertFalse(per.contains { $0.isNaN })
        let tiny = Loss.categoricalCrossentropy.perSample(logits: Matrix([[100, 0, 0]]), targets: Matrix([[1, 0, 0]]),
                                                          activation: .softmax)[0]
        XCTAssertFalse(tiny.isNaN)
        XCTAssertGreaterThan(tiny, 0)
        // log(1 + 2e^-100) = 2e^-100 to double precision.
        XCTAssertEqual(tiny, 2 * exp(-100.0), accuracy: 1e-50)
    }

    func testBinaryCrossentropyAtTheEdges() {
        let v = Loss.binaryCrossentropy(probability: 0, label: 1)
        XCTAssertTrue(v.isFinite)
        XCTAssertEqual(v, -log(1e-7), accuracy: 1e-9) // Keras clips to epsilon = 1e-7: 16.118...
        XCTAssertEqual(Loss.binaryCrossentropy(probability: 1, label: 0), -log(1e-7), accuracy: 1e-6)
        XCTAssertEqual(Loss.sigmoidCrossEntropy(logit: 0, label: 1), log(2), accuracy: 1e-12)
        XCTAssertEqual(Loss.sigmoidCrossEntropy(logit: -1000, label: 1), 1000, accuracy: 1e-9)
        XCTAssertEqual(Loss.sigmoidCrossEntropy(logit: 1000, label: 1), 0, accuracy: 1e-12)
    }

    /// Reference values computed by hand (and with NumPy): softmax([1,2,3]) = [0.09003057, 0.24472847, 0.66524096].
    func testSoftmaxCrossEntropyReference() {
        let per = Loss.categoricalCrossentropy.perSample(logits: Matrix([[1, 2, 3]]), targets: Matrix([[0, 1, 0]]),
                                                         activation: .softmax)
        XCTAssertEqual(per[0], -log(0.24472847), accuracy: 1e-6) // 1.40760596
    }

    func testMeanSquaredErrorAveragesOverOutputs() {
        let per = Loss.meanSquaredError.perSample(logits: Matrix([[1, 2], [0, 0]]), targets: Matrix([[0, 0], [1, 1]]),
                                                  activation: .linear)
        XCTAssertEqual(per, [2.5, 1.0])
    }

    func testAccuracyMetrics() {
        let a: [Float] = [0.1, 0.7, 0.2, 0.6, 0.3, 0.1]
        let y: [Float] = [0, 1, 0, 0, 0, 1]
        let acc = a.withUnsafeBufferPointer { ap in y.withUnsafeBufferPointer { yp in
            Metric.accuracy.sum(a: ap.baseAddress!, y: yp.baseAddress!, rows: 2, cols: 3) } }
        XCTAssertEqual(acc, 1)
        let b: [Float] = [0.9, 0.2, 0.6]
        let by: [Float] = [1, 0, 0]
        let bacc = b.withUnsafeBufferPointer { ap in by.withUnsafeBufferPointer { yp in
            Metric.accuracy.sum(a: ap.baseAddress!, y: yp.baseAddress!, rows: 3, cols: 1) } }
        XCTAssertEqual(bacc, 2)
    }
}
