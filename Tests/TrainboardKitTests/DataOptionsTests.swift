import Datasets
import Foundation
import NeuralEngine
import TrainboardKit
import XCTest

/// Issue 6, "Data people bring", through `TrainingRun.prepare`: --rescale, --normalize, --label-column,
/// --drop-missing, the data line, and the warning about large unscaled features.
final class DataOptionsTests: XCTestCase {
    /// Collects `log` messages (called on the preparing thread).
    final class Messages: @unchecked Sendable {   // only touched by the thread that runs `prepare`
        var lines: [String] = []
    }

    private func write(_ text: String, _ name: String) throws -> String {
        let url = try makeTemporaryDirectory(self).appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    private func prepare(_ c: RunConfiguration, lossExplicit: Bool = false) throws -> (TrainingRun, [String]) {
        let m = Messages()
        let run = try TrainingRun.prepare(try TrainingPlan(c), lossExplicit: lossExplicit) { m.lines.append($0) }
        return (run, m.lines)
    }

    private func values(_ d: Dataset) -> [Float] {
        switch d.features {
        case .bytes(let b, let s): return b.map { Float($0) * s }
        case .floats(let f): return f
        }
    }

    /// 40 rows `label,pixel0..pixel3`, pixels 0...255, labels 0/1/2.
    private func kaggleCSV() -> String {
        var t = "label,pixel0,pixel1,pixel2,pixel3\n"
        for i in 0..<40 { t += "\(i % 3),\((i * 37) % 256),\((i * 11) % 256),255,\(i)\n" }
        return t
    }

    func testImageLikeCSVIsScaledAndSaysSo() throws {
        var c = RunConfiguration()
        c.data = try write(kaggleCSV(), "train.csv")
        let (run, log) = try prepare(c)
        guard case .bytes(_, let scale) = run.train.features else { return XCTFail("expected bytes") }
        XCTAssertEqual(scale, 1 / 255)
        XCTAssertTrue(run.dataDescription.hasSuffix("train.csv (\(c.data!)): 40 train, 4 features, 3 classes; label column 0 (\"label\"); pixels 0-255 scaled by 1/255 (--rescale 1 keeps them raw)"), run.dataDescription)
        XCTAssertTrue(log.isEmpty, "\(log)")
        // --rescale 1 keeps the raw values and says so; no warning then (the user chose the scale).
        c.rescale = 1
        let (raw, rawLog) = try prepare(c)
        XCTAssertEqual(Array(values(raw.train).prefix(4)), [0, 0, 255, 0])
        XCTAssertTrue(raw.dataDescription.hasSuffix("; label column 0 (\"label\"); features x 1 (--rescale)"), raw.dataDescription)
        XCTAssertTrue(rawLog.isEmpty, "\(rawLog)")
    }

    func testLargeUnscaledFeaturesWarnNamingNormalize() throws {
        var c = RunConfiguration()
        c.data = try write("income,age,label\n52000,31,1\n61000.5,45,0\n18000,22,1\n", "people.csv")
        let (run, log) = try prepare(c)
        XCTAssertEqual(values(run.train), [52000, 31, 61000.5, 45, 18000, 22], "tabular data is never rescaled")
        XCTAssertEqual(log.count, 1, "\(log)")
        XCTAssertTrue(log.first?.contains("up to 61000.5") ?? false, "\(log)")
        XCTAssertTrue(log.first?.contains("--normalize") ?? false, "\(log)")
        XCTAssertTrue(run.dataDescription.hasSuffix("unscaled features up to 61000.5 (see --normalize)"), run.dataDescription)
        // Small values: no warning.
        c.data = try write("a,b,label\n100,-100,1\n3,4,0\n", "small.csv")
        XCTAssertTrue(try prepare(c).1.isEmpty)
    }

    /// Features 1..10 (one column), 0.2 held out: statistics of samples 1..8 only (mean 4.5, np.var 5.25, std
    /// 2.2912878), applied to all ten: 9 -> 1.9639610, 10 -> 2.4003968.
    func testNormalizeFitsOnTheTrainingSplitOnly() throws {
        var t = "x,const,label\n"
        for i in 1...10 { t += "\(i),7,\(i % 2)\n" }
        var c = RunConfiguration()
        c.data = try write(t, "n.csv")
        c.normalize = true
        c.validationSplit = 0.2
        let (run, log) = try prepare(c)
        let x = values(run.train)
        let expected: [Float] = [-1.5275252, -1.0910895, -0.65465367, -0.21821789, 0.21821789, 0.65465367, 1.0910895,
                                 1.5275252, 1.9639610, 2.4003968]
        for i in 0..<10 {
            XCTAssertEqual(x[2 * i], expected[i], accuracy: 2e-6, "sample \(i)")
            XCTAssertEqual(x[2 * i + 1], 0, "a constant feature is centred, not divided by 1e-7")
        }
        XCTAssertTrue(log.isEmpty, "\(log)")
        XCTAssertTrue(run.dataDescription.contains(": 10 train (last 2 held out for validation), 2 features, 2 classes"), run.dataDescription)
        XCTAssertTrue(run.dataDescription.hasSuffix("normalized with the mean and std of the first 8 (training) samples (1 constant feature only centred)"), run.dataDescription)
    }

    func testLabelColumnAndDropMissingThroughThePlan() throws {
        // Headerless, label first (MNIST in CSV): the last column is a constant pixel.
        var t = ""
        for i in 0..<12 { t += "\(i % 4),\((i * 7) % 50),\(i),0\n" }
        var c = RunConfiguration()
        c.data = try write(t, "mnist.csv")
        XCTAssertThrowsError(try prepare(c)) { e in
            XCTAssertTrue("\(e)".contains("label column 3 (the last; no header) has the single value 0"), "\(e)")
            XCTAssertTrue("\(e)".contains("--label-column"), "\(e)")
        }
        c.labelColumn = "0"
        let (run, log) = try prepare(c)
        XCTAssertEqual((0..<12).compactMap { run.train.label($0) }, (0..<12).map { $0 % 4 })
        XCTAssertEqual(run.outputUnits, 4)
        XCTAssertTrue(run.dataDescription.contains("12 train, 3 features, 4 classes; label column 0 (no header)"), run.dataDescription)
        XCTAssertTrue(log.isEmpty, "no 'no header' note once the column is given: \(log)")
        c.labelColumn = nil
        c.data = try write("1,2,3\n4,5,6\n", "tiny.csv")
        XCTAssertTrue(try prepare(c).1.contains { $0.contains("--label-column 0") })

        // A NaN cell: exit-2 error by default, dropped and counted with drop-missing.
        c.data = try write("a,b,label\n1,2,0\n3,nan,1\n5,6,1\n", "nan.csv")
        XCTAssertThrowsError(try prepare(c)) { e in XCTAssertTrue("\(e)".contains("nan.csv:3: column 2"), "\(e)") }
        c.dropMissing = true
        let (dropped, _) = try prepare(c)
        XCTAssertEqual(dropped.train.count, 2)
        XCTAssertTrue(dropped.dataDescription.contains("1 row with missing values dropped"), dropped.dataDescription)

        // Non-integral labels with an explicit cross-entropy loss: file, line, column, value.
        c.data = try write("a,b,label\n1,2,0\n3,4,1.5\n", "frac.csv")
        c.dropMissing = nil
        c.loss = "categorical_crossentropy"
        XCTAssertThrowsError(try prepare(c, lossExplicit: true)) { e in
            XCTAssertTrue("\(e)".contains("frac.csv:3: label column 2: label '1.5' is not an integer class index"), "\(e)")
        }
    }

    func testOptionValidation() throws {
        var c = RunConfiguration()
        for bad in [0, .infinity, .nan] {
            c.rescale = bad
            XCTAssertThrowsError(try TrainingPlan(c)) { e in XCTAssertEqual((e as? ConfigurationError)?.key, "rescale") }
        }
        c.rescale = -0.5   // Keras's Rescaling takes any scale
        XCTAssertEqual(try TrainingPlan(c).rescale, -0.5)
        c = RunConfiguration()
        c.labelColumn = "  "
        XCTAssertThrowsError(try TrainingPlan(c)) { e in XCTAssertEqual((e as? ConfigurationError)?.key, "label-column") }
        let yaml = try ConfigFile.parse("rescale: 0.5\nnormalize: true\nlabel-column: 0\ndrop-missing: true\n", path: "r.yaml")
        let plan = try TrainingPlan(yaml)
        XCTAssertEqual(plan.rescale, 0.5)
        XCTAssertTrue(plan.normalize)
        XCTAssertEqual(plan.labelColumn, .index(0))
        XCTAssertTrue(plan.dropMissing)
        XCTAssertEqual(try TrainingPlan(try ConfigFile.parse("label-column: digit\n", path: "r.yaml")).labelColumn, .name("digit"))
        // A split that leaves no training samples is a configuration error before training.
        c = RunConfiguration()
        c.data = try write("a,label\n1,0\n2,1\n3,0\n", "three.csv")
        c.validationSplit = 0.9
        XCTAssertThrowsError(try prepare(c)) { e in
            XCTAssertEqual((e as? ConfigurationError)?.key, "validation-split", "\(e)")
        }
    }
}

/// The same checks on Fashion-MNIST (skipped when Debian's dataset-fashion-mnist is missing).
final class DataOptionsFashionMNISTTests: XCTestCase {
    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: fashionMNISTDirectory + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST is not installed at \(fashionMNISTDirectory)")
        }
    }

    func testValidationSplitSaysHowManyWereHeldOut() throws {
        var c = RunConfiguration()
        c.maxSamples = 1000
        c.validationSplit = 0.2
        let run = try TrainingRun.prepare(try TrainingPlan(c))
        XCTAssertTrue(run.dataDescription.hasSuffix("1000 of 60000 train (last 200 held out for validation), 1000 of 10000 test (not used), 784 features, 10 classes"), run.dataDescription)
        c.validationSplit = nil
        c.labelColumn = "0"
        XCTAssertThrowsError(try TrainingRun.prepare(try TrainingPlan(c))) { e in
            XCTAssertEqual((e as? ConfigurationError)?.key, "label-column", "\(e)")
        }
    }

    /// The case: the same images as a Kaggle-style CSV (`label,pixel0,...,pixel783`, 0-255) train exactly as
    /// the IDX files do (same bytes, same 1/255), while `--rescale 1` (raw pixels) starts from a loss far above.
    func testKaggleStyleCSVTrainsLikeTheIDXFiles() throws {
        let idx = try DataLoader.load("fashion-mnist").train.prefix(600)
        guard case .bytes(let px, _) = idx.features else { return XCTFail("IDX gives bytes") }
        var text = "label," + (0..<784).map { "pixel\($0)" }.joined(separator: ",") + "\n"
        for i in 0..<600 {
            text += "\(idx.label(i)!)," + px[i * 784 ..< (i + 1) * 784].map(String.init).joined(separator: ",") + "\n"
        }
        let url = try makeTemporaryDirectory(self).appendingPathComponent("fashion_train.csv")
        try Data(text.utf8).write(to: url)

        func history(_ data: String, rescale: Double? = nil) throws -> (TrainingRun, [String: [Double]]) {
            var c = RunConfiguration()
            c.data = data
            c.maxSamples = 600
            c.validationSplit = 0.25
            c.epochs = 3
            c.rescale = rescale
            let run = try TrainingRun.prepare(try TrainingPlan(c))
            return (run, try run.execute().history)
        }
        let (_, fromIDX) = try history("fashion-mnist")
        let (csvRun, fromCSV) = try history(url.path)
        XCTAssertTrue(csvRun.dataDescription.contains("pixels 0-255 scaled by 1/255"), csvRun.dataDescription)
        XCTAssertEqual(csvRun.previewImages().count, 10, "28 x 28 pixels: the digit preview works")
        for key in ["loss", "accuracy", "val_loss", "val_accuracy"] {
            XCTAssertEqual(fromCSV[key], fromIDX[key], key)
        }
        XCTAssertLessThan(fromCSV["loss"]![2], fromCSV["loss"]![0])
        let (_, raw) = try history(url.path, rescale: 1)
        XCTAssertGreaterThan(raw["loss"]![0], 10 * fromCSV["loss"]![0])
    }
}
