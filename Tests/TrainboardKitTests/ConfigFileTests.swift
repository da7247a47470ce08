import TrainboardKit
import XCTest

final class ConfigFileTests: XCTestCase {
    private func write(_ text: String, name: String = "run.yaml") throws -> String {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testValidFile() throws {
        let path = try write("""
        epochs: 5
        batch-size: 64
        hidden: [128, 64]
        dropout: 0.2
        lr: 0.05
        nesterov: true
        early-stopping: "monitor=val_accuracy,patience=3"
        seed: 42
        max-samples: 1000
        """)
        let c = try ConfigFile.load(path)
        XCTAssertEqual(c.epochs, 5)
        XCTAssertEqual(c.batchSize, 64)
        XCTAssertEqual(c.hidden, "128,64")
        XCTAssertEqual(c.dropout, 0.2)
        XCTAssertEqual(c.lr, 0.05)
        XCTAssertEqual(c.nesterov, true)
        XCTAssertEqual(c.earlyStopping, "monitor=val_accuracy,patience=3")
        XCTAssertEqual(c.seed, 42)
        XCTAssertEqual(c.maxSamples, 1000)
        XCTAssertNil(c.momentum)
        let plan = try TrainingPlan(c)
        XCTAssertEqual(plan.hidden, [128, 64])
        XCTAssertEqual(plan.momentum, 0.8)
    }

    func testStringAndScalarHiddenForms() throws {
        XCTAssertEqual(try ConfigFile.load(try write("hidden: \"32,16\"\n")).hidden, "32,16")
        XCTAssertEqual(try ConfigFile.load(try write("hidden: 32\n")).hidden, "32")
        // An integer where a Double is expected is fine.
        XCTAssertEqual(try ConfigFile.load(try write("lr: 1\n")).lr, 1)
    }

    func testEmptyFileIsEmptyConfiguration() throws {
        XCTAssertEqual(try ConfigFile.load(try write("")), RunConfiguration())
    }

    func testFlagsOverrideFile() throws {
        let fileConfig = try ConfigFile.load(try write("epochs: 9\nbatch-size: 16\n"))
        var flags = RunConfiguration()
        flags.epochs = 2
        let plan = try TrainingPlan(flags.over(fileConfig))
        XCTAssertEqual(plan.epochs, 2)
        XCTAssertEqual(plan.batchSize, 16)
    }

    func testUnknownKeyListsKnownKeys() throws {
        let path = try write("epochs: 3\nbatch_size: 64\n")
        XCTAssertThrowsError(try ConfigFile.load(path)) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.key, "config")
            XCTAssertTrue(e.description.contains(path), e.description)
            XCTAssertTrue(e.description.contains("batch_size"), e.description)
            XCTAssertTrue(e.description.contains("batch-size"), e.description)
            XCTAssertTrue(e.description.contains("early-stopping"), e.description)
        }
    }

    func testWrongTypeNamesKey() throws {
        let path = try write("epochs: many\n")
        XCTAssertThrowsError(try ConfigFile.load(path)) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.key, "epochs")
            XCTAssertEqual(e.file, path)
            XCTAssertEqual(e.description, "\(path): epochs: expected a whole number, got 'many'")
        }
    }

    /// Every kind of value has a plain-words expectation, and no Swift decoding jargon leaks out.
    func testWrongTypeMessagesPerKind() throws {
        let cases: [(String, String)] = [
            ("epochs: two", "epochs: expected a whole number, got 'two'"),
            ("max-samples: 1.5", "max-samples: expected a whole number, got '1.5'"),
            ("dropout: lots", "dropout: expected a number, got 'lots'"),
            ("lr: [1, 2]", "lr: expected a number, got a list"),
            ("nesterov: maybe", "nesterov: expected true or false, got 'maybe'"),
            ("terminate-on-nan: 2", "terminate-on-nan: expected true or false, got '2'"),
            ("seed: -1", "seed: expected a non-negative whole number, got '-1'"),
            ("theme: {a: 1}", "theme: expected text, got a mapping"),
            ("hidden: [64, x]", "hidden: expected text, got a list"),
        ]
        for (yaml, expected) in cases {
            let path = try write(yaml + "\n")
            XCTAssertThrowsError(try ConfigFile.load(path), yaml) { error in
                XCTAssertEqual("\(error)", "\(path): \(expected)")
                XCTAssertFalse("\(error)".contains("Expected to decode"), "\(error)")
            }
        }
    }

    /// `lr: 0` in YAML is accepted (frozen weights); a negative or non-finite one is an error naming the file.
    func testLearningRateZeroAndBadRatesFromYAML() throws {
        XCTAssertEqual(try TrainingPlan(try ConfigFile.load(try write("lr: 0\n"))).learningRate, 0)
        for (yaml, shown) in [("lr: -0.01", "-0.01"), ("lr: .nan", "nan"), ("lr: .inf", "inf"), ("lr: -.inf", "-inf")] {
            let path = try write(yaml + "\n")
            let file = try ConfigFile.load(path)
            XCTAssertThrowsError(try TrainingPlan(file), yaml) { error in
                guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
                let attributed = e.attributed(flags: RunConfiguration(), file: file, path: path)
                XCTAssertEqual("\(attributed)", "\(path): lr: must be >= 0 and finite (0 freezes the weights), got \(shown)")
            }
        }
    }

    func testEveryKindReadsAndNullMeansUnset() throws {
        let c = try ConfigFile.load(try write("""
        seed: 18446744073709551615
        validation-split: 0
        terminate-on-nan: false
        exit-when-done: yes
        data: 123
        epochs: ~
        theme:
        """))
        XCTAssertEqual(c.seed, .max)
        XCTAssertEqual(c.validationSplit, 0)
        XCTAssertEqual(c.terminateOnNan, false)
        XCTAssertEqual(c.exitWhenDone, true)
        XCTAssertEqual(c.data, "123")
        XCTAssertNil(c.epochs)
        XCTAssertNil(c.theme)
    }

    func testInvalidYAMLNamesFile() throws {
        let path = try write("epochs: [3\nlr: : 0.1\n", name: "broken.yaml")
        XCTAssertThrowsError(try ConfigFile.load(path)) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.key, "config")
            XCTAssertTrue(e.description.contains(path), e.description)
            XCTAssertTrue(e.description.contains("YAML"), e.description)
        }
    }

    func testTopLevelListIsRejected() throws {
        let path = try write("- 1\n- 2\n")
        XCTAssertThrowsError(try ConfigFile.load(path)) { error in
            XCTAssertTrue("\(error)".contains("mapping"), "\(error)")
        }
    }

    func testMissingFileNamesFile() {
        XCTAssertThrowsError(try ConfigFile.load("/nonexistent/run.yaml")) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.key, "config")
            XCTAssertTrue(e.description.contains("/nonexistent/run.yaml"), e.description)
        }
    }
}
