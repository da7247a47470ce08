import Foundation
import XCTest
@testable import NeuralEngine

/// `fit(..., resume:)` from states written into `.keras` checkpoints: mid-epoch exactness, ModelCheckpoint's best
/// across a resume (the case 3), the CSV log gaining a column (case 4).
final class ResumeEngineTests: XCTestCase {
    private func makeAdamModel() -> Sequential {
        let m = Sequential([Dense(8, activation: .relu, inputDim: 3), Dropout(0.25), Dense(2)], seed: 3)
        m.compile(optimizer: Adam(learningRate: 0.01, decay: 0.001), loss: .meanSquaredError)
        return m
    }

    /// Takes a checkpoint at one moment (a batch end, or an epoch begin before the shuffle) and stops training.
    private final class StopAndSave: Callback {
        let epoch: Int, batch: Int?, path: String
        init(epoch: Int, batch: Int?, path: String) { self.epoch = epoch; self.batch = batch; self.path = path }
        override func onEpochBegin(_ e: Int, logs: Logs) {
            guard batch == nil, e == epoch, let model else { return }
            try? model.save(to: path)
            model.stopTraining = true
        }
        override func onTrainBatchEnd(_ b: Int, logs: Logs) {
            guard let model, model.currentEpoch == epoch, b == batch else { return }
            try? model.save(to: path)
            model.stopTraining = true
        }
    }

    private func bits(_ m: Sequential) -> [[UInt32]] { m.getWeights().map { $0.storage.map(\.bitPattern) } }

    /// Stopped inside epoch 1 after batch 2 (of 5), or at the beginning of epoch 2 (before its shuffle), and resumed
    /// from the `.keras` file with a fresh model: the same weights (bit for bit) and the same epoch logs as a run that
    /// never stopped; with Adam (m and v), legacy decay, dropout and shuffling on.
    func testMidEpochResumeFromKerasFileIsExact() throws {
        let data = try regressionData(40), val = try regressionData(10)
        let reference = makeAdamModel()
        let full = try reference.fit(data, batchSize: 8, epochs: 4, validationData: val)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (epoch, batch) in [(1, 2 as Int?), (2, nil), (0, 4)] {
            let path = dir + "/stop-\(epoch)-\(batch ?? -1).keras"
            let first = makeAdamModel()
            try first.fit(data, batchSize: 8, epochs: 4, validationData: val,
                          callbacks: [StopAndSave(epoch: epoch, batch: batch, path: path)])
            let file = try ModelFile.read(path)
            let state = try XCTUnwrap(file.trainingState)
            XCTAssertEqual(state.epoch, epoch)
            XCTAssertEqual(state.batchesDone, batch.map { $0 + 1 } ?? 0)
            XCTAssertFalse(state.epochEnded)
            XCTAssertEqual(state.shuffled, batch != nil)
            XCTAssertEqual(state.iterations, epoch * 5 + (batch.map { $0 + 1 } ?? 0))
            XCTAssertEqual(state.history.map(\.epoch), Array(0..<epoch))
            let (model, restored) = try file.makeResumableModel(optimizer: Adam(learningRate: 0.01, decay: 0.001),
                                                                loss: .meanSquaredError)
            let rest = try model.fit(data, batchSize: 8, epochs: 4, validationData: val, resume: restored)
            XCTAssertEqual(rest.epochs, Array(epoch..<4))
            XCTAssertEqual(bits(model), bits(reference), "stopped at epoch \(epoch) batch \(String(describing: batch))")
            let merged = History.dictionary(restored.history + rest.records)
            XCTAssertEqual(Set(merged.keys), Set(full.history.keys))
            for (k, v) in full.history { XCTAssertEqual(merged[k]?.map(\.bitPattern), v.map(\.bitPattern), k) }
        }
    }

    /// Replaces `val_loss` with scripted values (epoch `first` gets `values[0]`), before ModelCheckpoint sees it.
    private final class ScriptedValLoss: Callback {
        let first: Int, values: [Double]
        init(first: Int, _ values: [Double]) { self.first = first; self.values = values }
        override func onEpochEnd(_ epoch: Int, logs: inout Logs) { logs[LogKey.valLoss] = values[epoch - first] }
    }

    /// Case 3: save-best-only across a resume. Run A's val_loss [0.50, 0.42, 0.40] saves at epochs 0, 1 and 2, the
    /// best (0.40) last; run B resumed from that file, with val_loss [0.45, 0.41, 0.39] for epochs 3-5, does not
    /// overwrite it at 0.45 or 0.41 (both worse than 0.40) and saves only at epoch 5 (0.39).
    func testSaveBestOnlyKeepsTheBestAcrossAResume() throws {
        let data = try regressionData(20), val = try regressionData(5)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/best.keras"
        let a = makeAdamModel()
        let ckA = try ModelCheckpoint(filepath: path, saveBestOnly: true)
        try a.fit(data, batchSize: 10, epochs: 3, validationData: val,
                  callbacks: [ScriptedValLoss(first: 0, [0.50, 0.42, 0.40]), ckA])
        XCTAssertEqual(ckA.saved.map(\.epoch), [0, 1, 2])
        let file = try ModelFile.read(path)
        let state = try XCTUnwrap(file.trainingState)
        XCTAssertEqual(state.resumeEpoch, 3)
        XCTAssertEqual(state.callbacks["ModelCheckpoint"]?.values["best"], 0.40)

        let (b, restored) = try file.makeResumableModel(optimizer: Adam(learningRate: 0.01, decay: 0.001),
                                                        loss: .meanSquaredError)
        let ckB = try ModelCheckpoint(filepath: path, saveBestOnly: true)
        try b.fit(data, batchSize: 10, epochs: 6, validationData: val,
                  callbacks: [ScriptedValLoss(first: 3, [0.45, 0.41, 0.39]), ckB], resume: restored)
        XCTAssertEqual(ckB.saved.map(\.epoch), [5])
        XCTAssertEqual(ckB.bestValue, 0.39)
        XCTAssertEqual(try ModelFile.read(path).trainingState?.epoch, 5)
        XCTAssertEqual(try ModelFile.read(path).metadata.logs?[LogKey.valLoss], 0.39)
    }

    /// Adds a log key from a given epoch on (as a newly added callback would).
    private final class ExtraKey: Callback {
        override func onEpochEnd(_ epoch: Int, logs: inout Logs) { logs["extra"] = Double(epoch) * 10 }
    }

    /// Case 4, second half: a resumed run whose logs gain a column: the header gains it (appended), the earlier rows
    /// get `NA` there, and every row keeps its values under the right names. Rows written after the checkpoint
    /// (epoch 3 here, whose checkpoint was not used) are dropped and written again.
    func testCSVLogGainingAColumnStaysAligned() throws {
        let data = try regressionData(20), val = try regressionData(5)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/log.csv", ck = dir + "/ck-{epoch}.keras"
        let a = makeAdamModel()
        try a.fit(data, batchSize: 10, epochs: 4, validationData: val,
                  callbacks: [try ModelCheckpoint(filepath: ck), CSVLogger(path: csv)])
        let (b, state) = try ModelFile.read(dir + "/ck-3.keras")
            .makeResumableModel(optimizer: Adam(learningRate: 0.01, decay: 0.001), loss: .meanSquaredError)
        XCTAssertEqual(state.resumeEpoch, 3)
        let history = try b.fit(data, batchSize: 10, epochs: 5, validationData: val,
                                callbacks: [ExtraKey(), CSVLogger(path: csv)], resume: state)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6, "\(lines)")
        XCTAssertEqual(lines[0], "epoch,learning_rate,loss,mae,val_loss,val_mae,extra")
        let rows = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.map { $0[0] }, ["0", "1", "2", "3", "4"])
        XCTAssertTrue(rows.allSatisfy { $0.count == 7 }, "\(rows)")
        XCTAssertEqual(rows.prefix(3).map { $0[6] }, ["NA", "NA", "NA"])
        XCTAssertEqual(rows.suffix(2).map { $0[6] }, ["30.0", "40.0"])
        XCTAssertEqual(rows[4][3], CSVLogger.format(history.history["mae"]![1]))
        XCTAssertEqual(rows[4][4], CSVLogger.format(history.history["val_loss"]![1]))
    }

    /// A damaged training state is refused with what is wrong: counts out of range when the file is read (naming the
    /// file), a data order that is not a permutation or a state of other data when `fit` starts (before any update).
    func testDamagedStatesAreRefused() throws {
        let data = try regressionData(20), val = try regressionData(5)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s.tbmodel"
        try makeAdamModel().fit(data, batchSize: 10, epochs: 2, validationData: val,
                                callbacks: [try ModelCheckpoint(filepath: path)])
        func damaged(_ change: (inout [String: Any]) -> Void) throws -> String {
            var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            var state = try XCTUnwrap(root["trainingState"] as? [String: Any])
            change(&state)
            root["trainingState"] = state
            let out = dir + "/bad-\(UUID().uuidString).tbmodel"
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: out))
            return out
        }
        let negative = try damaged { $0["epoch"] = -3 }
        XCTAssertThrowsError(try ModelFile.read(negative)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(negative) && text.contains("epoch -3"), text)
        }
        let huge = try damaged { $0["iterations"] = Int.max }
        XCTAssertThrowsError(try ModelFile.read(huge)) { XCTAssertTrue("\($0)".contains("iterations"), "\($0)") }
        // Order [0, 0, ...]: not a permutation.
        let zeros = PackedInts([Int](repeating: 0, count: 20))
        let twice = try damaged { $0["order"] = String(decoding: try! JSONEncoder().encode(zeros), as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        let (m1, s1) = try ModelFile.read(twice).makeResumableModel(optimizer: Adam(learningRate: 0.01, decay: 0.001), loss: .meanSquaredError)
        let before = m1.getWeights()
        XCTAssertThrowsError(try m1.fit(data, batchSize: 10, epochs: 3, validationData: val, resume: s1)) {
            XCTAssertTrue("\($0)".contains("not a permutation"), "\($0)")
        }
        XCTAssertEqual(m1.getWeights(), before)
        // The state of a 20-sample run on 21 samples.
        let (m2, s2) = try ModelFile.read(path).makeResumableModel(optimizer: Adam(learningRate: 0.01, decay: 0.001), loss: .meanSquaredError)
        XCTAssertThrowsError(try m2.fit(try regressionData(21), batchSize: 10, epochs: 3, resume: s2)) {
            XCTAssertTrue("\($0)".contains("20 training samples, this run has 21"), "\($0)")
        }
        // Another optimizer than the file's.
        XCTAssertThrowsError(try ModelFile.read(path).makeResumableModel(optimizer: SGD(), loss: .meanSquaredError)) {
            XCTAssertTrue("\($0)".contains("trained with Adam, this run uses SGD"), "\($0)")
        }
    }
}
