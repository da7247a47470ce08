import ArgumentParser
import Datasets
import Foundation
import NeuralEngine
import SafeIO
import TrainboardKit

/// `trainboard convert IN OUT`: reads a model file in one format and writes it in the format of OUT's extension.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a model file between formats, by extension: .keras, .weights.h5, .h5, .json, .tbmodel.",
        discussion: """
        .keras: Keras 3's archive (architecture, compile settings, weights, optimizer variables); .weights.h5: Keras \
        3's weights layout; .h5: Keras 2's legacy full-model HDF5 file (Keras 3's load_model and load_weights read \
        it); .json: the architecture alone, as model.to_json(); .tbmodel: Trainboard's JSON. Reading a weights-only \
        file (.weights.h5, a legacy weights .h5) takes the architecture from the .json with the same name next to \
        it. Exit status 2 for a file that cannot be read, 1 when OUT cannot be written.
        """)

    @Argument(help: ArgumentHelp("The model to read.", valueName: "in")) var input: String
    @Argument(help: ArgumentHelp("The file to write; its extension picks the format.", valueName: "out")) var output: String

    func run() throws {
        guard ModelFormat(path: output) != nil else {
            printError("error: \(output): unknown model file extension; expected .keras, .weights.h5, .h5 (or .hdf5), .json or .tbmodel")
            throw ExitCode(2)
        }
        let file = try readModel(input)
        if !file.hasWeights && ModelFormat(path: output) != .json {
            printError("error: \(input) holds no weights (an architecture alone); it can only be converted to .json")
            throw ExitCode(2)
        }
        do { try file.write(to: output) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        print("\(input) (\(file.format.fileExtension)) -> \(output) (\(ModelFormat.forWriting(output).fileExtension)): \(file.summary)")
    }
}

/// Options shared by `evaluate` and `predict`: the model and the data, prepared as `train` prepares it.
struct ModelDataOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The model file (.keras, .h5, .weights.h5 with its .json, .tbmodel).", valueName: "model"))
    var model: String
    @Option(help: ArgumentHelp("Data as for train (fashion-mnist, mnist, a directory of IDX files, an .npz or a .csv[.gz]); its test split is used (a CSV file, which has none: all its samples).", valueName: "name|path"))
    var data: String?
    @Option(name: .customLong("label-column"), parsing: .unconditional, help: ArgumentHelp("CSV: the label column, as for train.", valueName: "name|index"))
    var labelColumn: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Features become value * FACTOR, as for train (must match how the model was trained).", valueName: "factor"))
    var rescale: Double?
    @Flag(help: "Standardise features with the training split's statistics, as train --normalize (must match how the model was trained).")
    var normalize = false
    @Option(name: .customLong("max-samples"), parsing: .unconditional, help: "Use only the first N samples of each split.")
    var maxSamples: Int?
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Samples per forward pass (default 128).")
    var batchSize: Int?

    /// The model (weights required), compiled with its loss (or the loss its output activation implies), and the
    /// test split prepared as `train` would. Exits with status 2 on bad input.
    func load() throws -> (Sequential, Dataset, ModelFile) {
        let file = try readModel(model)
        guard file.hasWeights else {
            printError("error: \(model) holds the architecture only (no weights); give a .keras, .h5 or .weights.h5 file")
            throw ExitCode(2)
        }
        let net: Sequential
        do { net = try file.makeModel() } catch {
            printError("error: \(model): \(error)")
            throw ExitCode(2)
        }
        let last = file.layers.last(where: { $0.className == "Dense" })?.activation ?? .linear
        let loss = file.loss ?? (last == .softmax ? .categoricalCrossentropy : last == .sigmoid ? .binaryCrossentropy : .meanSquaredError)
        net.compile(optimizer: file.makeOptimizer() ?? SGD(), loss: loss)
        var c = RunConfiguration()
        c.data = data; c.labelColumn = labelColumn; c.rescale = rescale; c.normalize = normalize ? true : nil
        c.maxSamples = maxSamples; c.batchSize = batchSize; c.loss = loss.rawValue; c.epochs = 1
        if let units = file.outputUnits, loss == .binaryCrossentropy, units == 1 { c.outputActivation = "sigmoid" }
        let run: TrainingRun
        do {
            let plan = try TrainingPlan(c)
            run = try TrainingRun.prepare(plan, lossExplicit: file.loss != nil, log: { printError($0) })
        } catch let e as ConfigurationError {
            printError("error: \(e)"); throw ExitCode(2)
        } catch {
            printError("error: \(error)"); throw ExitCode(2)
        }
        // A CSV file has no test split: all of its samples are used (after --max-samples).
        let test = run.validation ?? run.train
        if run.validation == nil { printError("note: \(run.plan.dataSpec) has no test split: using its \(test.count) samples") }
        if let n = file.inputUnits, n != test.featureCount {
            printError("error: \(model): the model takes \(n) features per sample, \(run.plan.dataSpec) has \(test.featureCount); give --data with data like the model was trained on")
            throw ExitCode(2)
        }
        if let k = file.outputUnits, test.targetWidth(outputUnits: k) != k {
            printError("error: \(model): the model has \(k) outputs, the targets of \(run.plan.dataSpec) have width \(test.targetWidth(outputUnits: k))")
            throw ExitCode(2)
        }
        return (net, test, file)
    }
}

/// `trainboard evaluate MODEL --data ...`: loss and metrics on the test split, as Keras's `evaluate` prints them.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loss and metrics of a saved model on the data's test split (Keras style: loss: 0.2874 - accuracy: 0.9210).")
    @OptionGroup var options: ModelDataOptions

    func run() throws {
        let (net, test, _) = try options.load()
        let logs: Logs
        do { logs = try net.evaluate(test, batchSize: options.batchSize ?? 128) } catch {
            printError("error: \(options.model): \(error)"); throw ExitCode(2)
        }
        let keys = ["loss"] + net.metrics.map(\.rawValue)
        print(keys.compactMap { k in logs[k].map { String(format: "%@: %.4f", k, $0) } }.joined(separator: " - "))
    }
}

/// `trainboard predict MODEL --data ... --out predictions.csv`: one row per test sample, in order.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a saved model's predictions on the data's test split to a CSV file.",
        discussion: """
        One header row, then one row per test sample in order. Classification: the class probabilities p0..p{k-1}, \
        the predicted class y_pred, and the label y_true. Regression: y_pred (y_pred0, y_pred1, ... for several \
        outputs) and y_true likewise. The file is written atomically.
        """)
    @OptionGroup var options: ModelDataOptions
    @Option(help: ArgumentHelp("The CSV file to write.", valueName: "path")) var out: String

    func run() throws {
        let (net, test, _) = try options.load()
        let width = test.targetWidth(outputUnits: net.outputUnits ?? 1)
        var x = [Float](repeating: 0, count: test.count * test.featureCount)
        var y = [Float](repeating: 0, count: test.count * width)
        let indices = Array(0..<test.count)
        indices.withUnsafeBufferPointer { i in
            x.withUnsafeMutableBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in test.gather(i, x: xp.baseAddress!, y: yp.baseAddress!, targetWidth: width) }
            }
        }
        let p: Matrix
        do { p = try net.predict(Matrix(rows: test.count, cols: test.featureCount, storage: x), batchSize: options.batchSize ?? 128) } catch {
            printError("error: \(options.model): \(error)"); throw ExitCode(2)
        }
        let f = { (v: Float) in String(format: "%.7g", Double(v)) }
        var lines: [String] = []
        if let _ = test.classCount {
            let k = p.cols
            lines.append(((0..<k).map { "p\($0)" } + ["y_pred", "y_true"]).joined(separator: ","))
            for r in 0..<p.rows {
                let row = p.row(r)
                let pred = k == 1 ? (row[0] >= 0.5 ? 1 : 0) : (row.indices.max { row[$0] < row[$1] } ?? 0)
                lines.append((row.map(f) + [String(pred), String(test.label(r) ?? 0)]).joined(separator: ","))
            }
        } else {
            let k = p.cols
            let names = k == 1 ? ["y_pred"] : (0..<k).map { "y_pred\($0)" }
            let truths = k == 1 ? ["y_true"] : (0..<k).map { "y_true\($0)" }
            lines.append((names + truths).joined(separator: ","))
            for r in 0..<p.rows { lines.append((p.row(r).map(f) + y[r * k ..< (r + 1) * k].map(f)).joined(separator: ",")) }
        }
        do { try SafeFile.write(lines.joined(separator: "\n") + "\n", to: out, createDirectories: true) } catch {
            printError("error: \(error)"); throw ExitCode(1)
        }
        printError("wrote \(p.rows) predictions to \(out)")
    }
}

/// Reads a model file; exits with status 2 naming the file and the problem.
func readModel(_ path: String) throws -> ModelFile {
    do { return try ModelFile.read(path) } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
}
