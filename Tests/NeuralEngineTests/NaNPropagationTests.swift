import XCTest
@testable import NeuralEngine

/// Issue 6, item 3: a NaN input must reach the loss (Keras: relu(NaN) = max(NaN, 0) = NaN), so that TerminateOnNaN
/// stops training instead of a relu silently turning the NaN into 0.
final class NaNPropagationTests: XCTestCase {
    /// f(z) for one row through `forward`.
    private func apply(_ activation: Activation, _ z: [Float]) -> [Float] {
        var zz = z
        var a = [Float](repeating: 0, count: z.count)
        zz.withUnsafeMutableBufferPointer { zp in
            a.withUnsafeMutableBufferPointer { ap in
                activation.forward(z: zp.baseAddress!, bias: nil, a: ap.baseAddress!, rows: 1, cols: z.count)
            }
        }
        return a
    }

    /// The eight-lane relu path (rows of 8 or more columns) and its scalar tail treat NaN, negatives and -0 alike.
    func testReluSIMDPathPropagatesNaN() {
        var z: [Float] = (0..<19).map { (i: Int) -> Float in
            let v = Float(i + 1)
            return i % 3 == 0 ? -v : v
        }
        for i in [0, 9, 17] { z[i] = Float.nan }
        z[4] = -0.0
        let a = apply(.relu, z)
        for i in 0..<19 {
            if [0, 9, 17].contains(i) { XCTAssertTrue(a[i].isNaN, "lane \(i)") }
            else if z[i] <= 0 { XCTAssertEqual(a[i], 0, "lane \(i)"); XCTAssertEqual(a[i].sign, FloatingPointSign.plus, "lane \(i)") }
            else { XCTAssertEqual(a[i], z[i], "lane \(i)") }
        }
    }

    func testEveryActivationPropagatesNaN() {
        // relu keeps its values elsewhere: max(-2, 0) = 0, max(3, 0) = 3, and -0 maps to +0 as TensorFlow's relu.
        let relu = apply(.relu, [-2, .nan, 3, -0.0])
        XCTAssertEqual(relu[0], 0)
        XCTAssertTrue(relu[1].isNaN)
        XCTAssertEqual(relu[2], 3)
        XCTAssertEqual(relu[3].sign, .plus)
        for act in [Activation.linear, .sigmoid, .tanh] {
            let out = apply(act, [0, .nan])
            XCTAssertTrue(out[1].isNaN, "\(act)(NaN)")
            XCTAssertFalse(out[0].isNaN, "\(act)(0)")
        }
        // softmax: one NaN logit makes the row NaN (the denominator is NaN), wherever it is in the row.
        for row in [[Float.nan, 1, 2], [1, 2, .nan], [.nan, .nan, .nan]] {
            XCTAssertTrue(apply(.softmax, row).allSatisfy(\.isNaN), "\(row)")
        }
    }

    func testEveryLossOfANaNOutputIsNaN() {
        let z = Matrix([[Float.nan, 0.5]])
        for (loss, act) in [(Loss.categoricalCrossentropy, Activation.softmax), (.categoricalCrossentropy, .sigmoid),
                            (.categoricalCrossentropy, .relu), (.binaryCrossentropy, .sigmoid),
                            (.binaryCrossentropy, .softmax), (.binaryCrossentropy, .relu), (.meanSquaredError, .linear),
                            (.meanSquaredError, .relu)] {
            let v = loss.perSample(logits: z, targets: Matrix([[0, 1]]), activation: act)[0]
            XCTAssertTrue(v.isNaN, "\(loss) after \(act): \(v)")
        }
        XCTAssertTrue(Loss.binaryCrossentropy(probability: .nan, label: 1).isNaN)
    }

    /// The whole path: a relu network fed one NaN feature. Before the fix relu zeroed the NaN hidden units, the loss
    /// stayed finite and training ran to the end.
    func testNaNFeatureStopsTrainingThroughTerminateOnNaN() throws {
        var x: [Float] = [], y: [Float] = []
        for i in 0..<8 {
            x += [Float(i) / 8, 1 - Float(i) / 8, 0.5]
            y += i % 2 == 0 ? [1, 0] : [0, 1]
        }
        x[5 * 3 + 1] = .nan    // sample 5, feature 1
        let data = try Dataset(features: .floats(x), featureCount: 3, targets: .values(y, width: 2))
        for (hidden, output, loss) in [(Activation.relu, Activation.softmax, Loss.categoricalCrossentropy),
                                       (.relu, .sigmoid, .binaryCrossentropy), (.relu, .linear, .meanSquaredError)] {
            let model = Sequential([Dense(4, activation: hidden, inputDim: 3), Dense(2, activation: output)], seed: 3)
            model.compile(optimizer: SGD(learningRate: 0.1), loss: loss)
            let term = TerminateOnNaN()
            let rec = BatchRecorder()
            // Unshuffled batches of 2: sample 5 is in batch 2 of epoch 0.
            let history = try model.fit(data, batchSize: 2, epochs: 3, shuffle: false, callbacks: [term, rec])
            XCTAssertEqual(term.terminatedAtEpoch, 0, "\(loss)")
            XCTAssertEqual(term.terminatedAtBatch, 2, "\(loss)")
            XCTAssertTrue(rec.batchLogs.last?.logs["batch_loss"]?.isNaN ?? false, "\(loss)")
            XCTAssertEqual(rec.batchLogs.count, 3, "\(loss)")
            XCTAssertEqual(history.epochs, [0], "\(loss)")
        }
    }
}
