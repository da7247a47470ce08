import Foundation
import XCTest
@testable import NeuralEngine

/// A small real model: Dense(2) on 3 inputs, MSE, SGD.
func makeModel(learningRate: Double = 0.1, decay: Double = 0) throws -> Sequential {
    let model = Sequential([Dense(2, inputDim: 3)], seed: 7)
    model.compile(optimizer: SGD(learningRate: learningRate, decay: decay), loss: .meanSquaredError)
    try model.build(inputUnits: 3)
    return model
}

/// Weights that are all `value` (kernel [3,2], bias [1,2]).
func constantWeights(_ model: Sequential, _ value: Float) -> [Matrix] {
    model.getWeights().map { Matrix(rows: $0.rows, cols: $0.cols, repeating: value) }
}

/// The single value all weights share, or nil when they differ.
func uniformWeight(_ model: Sequential) -> Float? {
    let all = model.getWeights().flatMap(\.storage)
    guard let f = all.first, all.allSatisfy({ $0 == f || ($0.isNaN && f.isNaN) }) else { return nil }
    return f
}

/// Drives `callbacks` through the fit loop's order with scripted epoch logs, without any training:
/// setModel, onTrainBegin, per epoch (onEpochBegin, weights = Float(epoch), onEpochEnd, stop check), onTrainEnd.
/// Returns the epochs that ran. Like `fit`, throws an error a callback raised right after the hook.
@discardableResult
func drive(_ callbacks: [Callback], model: Sequential, epochLogs: [Logs]) throws -> [Int] {
    let list = CallbackList(callbacks)
    list.setModel(model)
    model.stopTraining = false
    model.raisedError = nil
    func rethrow() throws {
        if let e = model.raisedError { model.raisedError = nil; throw e }
    }
    list.onTrainBegin(logs: [:])
    try rethrow()
    var ran: [Int] = []
    var last: Logs = [:]
    for (epoch, scripted) in epochLogs.enumerated() {
        list.onEpochBegin(epoch, logs: [:])
        try rethrow()
        try model.setWeights(constantWeights(model, Float(epoch)))
        var logs = scripted
        list.onEpochEnd(epoch, logs: &logs)
        try rethrow()
        last = logs
        ran.append(epoch)
        if model.stopTraining { break }
    }
    list.onTrainEnd(logs: last)
    try rethrow()
    return ran
}

func valLossLogs(_ values: [Double]) -> [Logs] { values.map { [LogKey.loss: 1, LogKey.valLoss: $0] } }

/// Regression data: `n` samples, 3 positive features, 2 targets.
func regressionData(_ n: Int) throws -> Dataset {
    var x: [Float] = [], y: [Float] = []
    for i in 0..<n {
        let a = Float(i % 7) / 7 + 0.1, b = Float(i % 5) / 5 + 0.1, c = Float(i % 3) / 3 + 0.1
        x += [a, b, c]
        y += [a + b, b - c]
    }
    return try Dataset(x: Matrix(rows: n, cols: 3, storage: x), y: Matrix(rows: n, cols: 2, storage: y))
}

/// Records training hook calls: (epoch, batch) of every onTrainBatchBegin and every batch's logs.
final class BatchRecorder: Callback {
    var epoch = -1
    var begins: [(epoch: Int, batch: Int)] = []
    var batchLogs: [(epoch: Int, batch: Int, logs: Logs)] = []
    override func onEpochBegin(_ epoch: Int, logs: Logs) { self.epoch = epoch }
    override func onTrainBatchBegin(_ batch: Int, logs: Logs) { begins.append((epoch, batch)) }
    override func onTrainBatchEnd(_ batch: Int, logs: Logs) { batchLogs.append((epoch, batch, logs)) }
}

/// Records which epochs began and ended and whether training ended.
final class EpochProbe: Callback {
    var begun: [Int] = []
    var ended: [Int] = []
    var trainEnded = false
    override func onEpochBegin(_ epoch: Int, logs: Logs) { begun.append(epoch) }
    override func onEpochEnd(_ epoch: Int, logs: inout Logs) { ended.append(epoch) }
    override func onTrainEnd(logs: Logs) { trainEnded = true }
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tb-callbacks-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func assertRelativelyEqual(_ a: Double, _ b: Double, _ tol: Double = 1e-7, _ message: String = "",
                           file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(abs(a - b), tol * max(abs(b), 1e-300), "\(a) != \(b) \(message)", file: file, line: line)
}
