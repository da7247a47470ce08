import NeuralEngine
import TrainboardKit
import XCTest

final class TrainingPlanTests: XCTestCase {
    func testDefaultsAreTheTutorials() throws {
        let p = try TrainingPlan(RunConfiguration())
        XCTAssertEqual(p.dataSpec, "fashion-mnist")
        XCTAssertEqual(p.hidden, [64, 64])
        XCTAssertEqual(p.dropout, 0.1)
        XCTAssertEqual(p.activation, .relu)
        XCTAssertEqual(p.initializer, .glorotUniform)
        XCTAssertEqual(p.loss, .categoricalCrossentropy)
        XCTAssertEqual(p.resolvedOutputActivation, .softmax)
        XCTAssertEqual(p.optimizerName, "sgd")
        XCTAssertEqual(p.learningRate, 0.1)
        XCTAssertEqual(p.momentum, 0.8)
        XCTAssertEqual(p.decay, 0.0016)
        XCTAssertFalse(p.nesterov)
        XCTAssertEqual(p.batchSize, 128)
        XCTAssertEqual(p.epochs, 60)
        XCTAssertEqual(p.seed, 1)
        XCTAssertEqual(p.validationSplit, 0)
        XCTAssertEqual(p.monitor, "val_loss")
        XCTAssertNil(p.maxSamples)
        XCTAssertNil(p.scheduleSpec)
        XCTAssertNil(p.earlyStoppingSpec)
        XCTAssertTrue(p.terminateOnNaN)
    }

    func testDefaultModelIsTheTutorialsMLP() throws {
        let p = try TrainingPlan(RunConfiguration())
        let m = p.makeModel(outputs: 10)
        XCTAssertEqual(m.layers.map(\.className), ["Dense", "Dropout", "Dense", "Dense"])
        let dense = m.layers.compactMap { $0 as? Dense }
        XCTAssertEqual(dense.map(\.units), [64, 64, 10])
        XCTAssertEqual(dense.map(\.activation), [.relu, .relu, .softmax])
        XCTAssertEqual(dense.map(\.kernelInitializer), [.glorotUniform, .glorotUniform, .glorotUniform])
        XCTAssertEqual((m.layers[1] as? Dropout)?.rate, 0.1)
        try m.build(inputUnits: 784)
        XCTAssertEqual(m.parameterCount, 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10)
        XCTAssertEqual(m.parameterCount, 55_050)
        let sgd = try XCTUnwrap(m.optimizer as? SGD)
        XCTAssertEqual(sgd.learningRate, 0.1, accuracy: 1e-12)
        XCTAssertEqual(m.loss, .categoricalCrossentropy)
    }

    /// With default options the first Dense kernel ([784, 64]) is Keras's glorot_uniform: inside ±√(6 / (784 + 64))
    /// = ±0.0841 and with the standard deviation of that uniform, limit / √3 = 0.0486 (50,176 draws: the sample std
    /// is within ~0.3 % of it; 2 % allowed). Keras 2's `uniform` (±0.05, std 0.0289) stays selectable.
    func testDefaultKernelIsGlorotUniform() throws {
        func firstKernel(_ c: RunConfiguration) throws -> [Double] {
            let m = try TrainingPlan(c).makeModel(outputs: 10)
            try m.build(inputUnits: 784)
            let k = m.getWeights()[0]
            XCTAssertEqual([k.rows, k.cols], [784, 64])
            return k.storage.map(Double.init)
        }
        func std(_ v: [Double]) -> Double {
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
        }
        let limit = (6.0 / (784 + 64)).squareRoot()
        XCTAssertEqual(limit, 0.0841158, accuracy: 1e-7)
        let glorot = try firstKernel(RunConfiguration())
        XCTAssertLessThanOrEqual(glorot.map(abs).max() ?? .infinity, limit)
        XCTAssertGreaterThan(glorot.map(abs).max() ?? 0, 0.99 * limit, "the draws reach the limit")
        XCTAssertEqual(std(glorot), limit / 3.0.squareRoot(), accuracy: 0.02 * limit / 3.0.squareRoot())

        var c = RunConfiguration()
        c.`init` = "uniform"
        let uniform = try firstKernel(c)
        XCTAssertLessThanOrEqual(uniform.map(abs).max() ?? .infinity, 0.05)
        XCTAssertEqual(std(uniform), 0.05 / 3.0.squareRoot(), accuracy: 0.02 * 0.05 / 3.0.squareRoot())
    }

    /// The dashboard's and the headless run's model line: sizes, activations, dropout only when a Dropout layer is
    /// built, the kernel initializer.
    func testModelDescription() throws {
        XCTAssertEqual(try TrainingPlan(RunConfiguration()).modelDescription(inputs: 784, outputs: 10),
                       "784-64-64-10 relu/softmax dropout 0.1 init glorot_uniform")
        var c = RunConfiguration()
        c.hidden = "none"
        XCTAssertEqual(try TrainingPlan(c).modelDescription(inputs: 784, outputs: 10), "784-10 softmax init glorot_uniform")
        XCTAssertEqual(try TrainingPlan(c).makeModel(outputs: 10).layers.map(\.className), ["Dense"])
        c.hidden = "32"
        c.dropout = 0
        c.`init` = "uniform"
        c.activation = "tanh"
        c.loss = "mean_squared_error"
        XCTAssertEqual(try TrainingPlan(c).modelDescription(inputs: 4, outputs: 1), "4-32-1 tanh/linear init uniform")
    }

    func testNonSGDOptimizerDefaultsToSmallLearningRate() throws {
        var c = RunConfiguration()
        c.optimizer = "Adam"
        let p = try TrainingPlan(c)
        XCTAssertEqual(p.optimizerName, "adam")
        XCTAssertEqual(p.learningRate, 0.001)
    }

    func testHiddenParsing() throws {
        var c = RunConfiguration()
        c.hidden = " 128 , 32,16 "
        XCTAssertEqual(try TrainingPlan(c).hidden, [128, 32, 16])
        c.hidden = "none"
        XCTAssertEqual(try TrainingPlan(c).hidden, [])
        c.hidden = "32"
        let m = try TrainingPlan(c).makeModel(outputs: 10)
        XCTAssertEqual(m.layers.map(\.className), ["Dense", "Dropout", "Dense"])
    }

    /// Each bad value throws a ConfigurationError whose key is the flag and whose description names it and the value.
    func testEveryBadValueNamesKeyAndValue() {
        let cases: [(String, String, (inout RunConfiguration) -> Void)] = [
            ("epochs", "0", { $0.epochs = 0 }),
            ("batch-size", "0", { $0.batchSize = 0 }),
            ("hidden", "x", { $0.hidden = "64,x" }),
            ("hidden", "0", { $0.hidden = "64,0" }),
            ("dropout", "1.0", { $0.dropout = 1.0 }),
            ("dropout", "-0.5", { $0.dropout = -0.5 }),
            ("activation", "swish", { $0.activation = "swish" }),
            ("output-activation", "gelu", { $0.outputActivation = "gelu" }),
            ("init", "orthogonal", { $0.`init` = "orthogonal" }),
            ("loss", "hinge", { $0.loss = "hinge" }),
            ("optimizer", "lbfgs", { $0.optimizer = "lbfgs" }),
            ("lr", "-1", { $0.lr = -1 }),
            ("lr", "-1e-09", { $0.lr = -1e-9 }),
            ("lr", "nan", { $0.lr = .nan }),
            ("lr", "inf", { $0.lr = .infinity }),
            ("lr", "-inf", { $0.lr = -.infinity }),
            ("momentum", "1", { $0.momentum = 1 }),
            ("decay", "-0.1", { $0.decay = -0.1 }),
            ("validation-split", "1", { $0.validationSplit = 1 }),
            ("max-samples", "0", { $0.maxSamples = 0 }),
        ]
        for (key, value, mutate) in cases {
            var c = RunConfiguration()
            mutate(&c)
            XCTAssertThrowsError(try TrainingPlan(c), "\(key)=\(value)") { error in
                guard let e = error as? ConfigurationError else {
                    return XCTFail("\(key): expected ConfigurationError, got \(error)")
                }
                XCTAssertEqual(e.key, key)
                XCTAssertTrue(e.description.contains("--\(key)"), "\(e.description) should name --\(key)")
                XCTAssertTrue(e.description.contains(value), "\(e.description) should name the value \(value)")
            }
        }
    }

    /// Keras accepts a learning rate of 0 (frozen weights); negative and non-finite rates are rejected with ">= 0".
    func testLearningRateZeroAcceptedNegativeAndNonFiniteRejected() throws {
        for optimizer in ["sgd", "adam", "rmsprop", "adagrad"] {
            var c = RunConfiguration()
            c.optimizer = optimizer
            c.lr = 0
            let plan = try TrainingPlan(c)
            XCTAssertEqual(plan.learningRate, 0)
            XCTAssertEqual(plan.makeOptimizer().learningRate, 0, optimizer)
        }
        for bad in [-0.1, -Double.ulpOfOne, .nan, .infinity, -.infinity] {
            var c = RunConfiguration()
            c.lr = bad
            XCTAssertThrowsError(try TrainingPlan(c)) { error in
                XCTAssertTrue("\(error)".hasPrefix("--lr: must be >= 0"), "\(error)")
            }
        }
    }

    /// With --lr 0 a real epoch (dropout, momentum, legacy decay: the defaults) leaves every weight bit-identical.
    func testLearningRateZeroFreezesTheWeights() throws {
        var c = RunConfiguration()
        c.lr = 0
        c.hidden = "8,8"
        let plan = try TrainingPlan(c)
        let model = plan.makeModel(outputs: 3)
        var x: [Float] = [], labels: [Int32] = []
        for i in 0..<40 { x += [Float(i % 5) / 5, Float(i % 7) / 7, Float(i % 3) / 3, 0.5]; labels.append(Int32(i % 3)) }
        let data = try Dataset(features: .floats(x), featureCount: 4, targets: .classes(labels, classCount: 3))
        try model.build(inputUnits: 4)
        let before = model.getWeights()
        let history = try model.fit(data, batchSize: 8, epochs: 2, validationData: data)
        XCTAssertEqual(model.optimizer?.iterations, 10, "the updates ran")
        XCTAssertEqual(history[LogKey.learningRate], [0, 0])
        XCTAssertEqual(model.getWeights(), before)
        XCTAssertEqual(history[LogKey.valLoss][0], history[LogKey.valLoss][1], "validation loss unchanged")
    }

    func testListedChoicesAppearInErrors() {
        var c = RunConfiguration()
        c.activation = "swish"
        XCTAssertThrowsError(try TrainingPlan(c)) { error in
            let d = "\(error)"
            for a in Activation.allCases { XCTAssertTrue(d.contains(a.rawValue), d) }
        }
    }
}

final class RunConfigurationTests: XCTestCase {
    func testFlagsOverrideYAMLOverrideDefaults() throws {
        var yaml = RunConfiguration()
        yaml.epochs = 7
        yaml.batchSize = 32
        yaml.hidden = "16"
        var flags = RunConfiguration()
        flags.epochs = 3
        flags.lr = 0.5
        let merged = flags.over(yaml)
        XCTAssertEqual(merged.epochs, 3)       // flag wins
        XCTAssertEqual(merged.batchSize, 32)   // from YAML
        XCTAssertEqual(merged.hidden, "16")
        XCTAssertEqual(merged.lr, 0.5)
        XCTAssertNil(merged.dropout)           // neither: left for the defaults
        let plan = try TrainingPlan(merged)
        XCTAssertEqual(plan.epochs, 3)
        XCTAssertEqual(plan.batchSize, 32)
        XCTAssertEqual(plan.hidden, [16])
        XCTAssertEqual(plan.learningRate, 0.5)
        XCTAssertEqual(plan.dropout, 0.1)      // default
        XCTAssertEqual(plan.momentum, 0.8)
    }

    func testOverFillsEveryField() {
        // Every key of the defaults survives `over` onto an empty configuration.
        XCTAssertEqual(RunConfiguration().over(.defaults), .defaults)
        XCTAssertEqual(RunConfiguration.defaults.over(RunConfiguration()), .defaults)
    }

    func testKeyNamesAreFlagNames() {
        let names = RunConfiguration.keyNames
        for k in ["batch-size", "early-stopping", "reduce-lr-on-plateau", "save-best-only", "csv-log", "log-jsonl",
                  "validation-split", "max-samples", "init", "lr"] {
            XCTAssertTrue(names.contains(k), k)
        }
    }
}
