import Dashboard
import Foundation
import XCTest
@testable import TrainboardKit

/// The committed Keras 3 CSVLogger files (Tests/Fixtures/keras-logs, written by make_fixtures.py with Keras 3.15.1 /
/// JAX). Expected values are copied from the files themselves (Keras's `repr(float)` of each logged value).
let kerasLogs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/keras-logs").path

final class RunLogTests: XCTestCase {
    func fixture(_ name: String) throws -> RunLog { try RunLog.read("\(kerasLogs)/\(name)") }

    func write(_ text: String, _ name: String = "log.csv") throws -> String {
        let path = try makeTemporaryDirectory(self).appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testKerasClassifierWithLearningRate() throws {
        let log = try fixture("classifier.csv")
        XCTAssertEqual(log.format, .csv)
        XCTAssertEqual(log.name, "classifier.csv")
        XCTAssertEqual(log.keys, ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"])
        XCTAssertEqual(log.epochs, Array(0..<8))
        XCTAssertEqual(log.values["loss"]?[0], 0.6966301202774048)
        XCTAssertEqual(log.values["val_accuracy"]?[3], 0.8999999761581421)
        XCTAssertEqual(log.values["learning_rate"]?[7], 0.02500000037252903)
        XCTAssertEqual(MetricPanels.metrics(in: log.keys), ["loss", "accuracy"])
    }

    func testKerasExtraMetricsRegressionAndNaN() throws {
        let extra = try fixture("extra-metrics.csv")
        XCTAssertEqual(MetricPanels.metrics(in: extra.keys), ["loss", "accuracy", "auc", "precision"])
        XCTAssertEqual(extra.values["auc"]?[2], 0.9507161974906921)
        XCTAssertEqual(extra.values["val_precision"]?[5], 0.8765432238578796)

        let reg = try fixture("regression.csv")
        XCTAssertEqual(MetricPanels.metrics(in: reg.keys), ["loss", "mae"])
        XCTAssertEqual(reg.values["mae"]?[9], 0.34099090099334717)
        XCTAssertEqual(RunReplay.goals(for: reg.keys), ["loss": .minimize, "mae": .minimize])
        XCTAssertEqual(RunReplay.goals(for: extra.keys)["auc"], .maximize)

        let div = try fixture("diverging.csv")
        XCTAssertEqual(div.values["loss"]?[2], 11.79880142211914)
        XCTAssertTrue(div.values["loss"]?[3]?.isNaN == true, "nan is kept, not dropped")
        XCTAssertTrue(div.values["val_mae"]?[6]?.isNaN == true)
        XCTAssertEqual(div.values["learning_rate"]?[6], 40.959999084472656)
    }

    func testMissingAndInfiniteCellsAndOtherSeparators() throws {
        let log = try RunLog.read(try write("epoch;loss;val_loss\n0;inf;NA\n1;-inf;\n2;0.5;0.25\n"))
        XCTAssertEqual(log.values["loss"]?.map { $0 }, [.infinity, -.infinity, 0.5])
        XCTAssertEqual(log.values["val_loss"]?.map { $0 }, [nil, nil, 0.25])
        let quoted = try RunLog.read(try write("\"epoch\",\"loss\"\r\n0,\"1e-05\"\r\n"))
        XCTAssertEqual(quoted.values["loss"]?.first, 1e-05)
    }

    func testJSONLinesFromTheRealLogger() throws {
        let path = try makeTemporaryDirectory(self).appendingPathComponent("log.jsonl").path
        let logger = try JSONLinesLogger(path: path)
        logger.append([("event", "epoch"), ("epoch", 0), ("accuracy", 0.5), ("loss", Double.nan)])
        logger.append([("event", "epoch"), ("epoch", 1), ("accuracy", 0.75), ("loss", 0.125), ("mae", 2.0)])
        logger.append([("event", "train_end"), ("epoch", 1)])
        let log = try RunLog.read(path)
        XCTAssertEqual(log.format, .jsonLines)
        XCTAssertEqual(log.epochs, [0, 1])
        XCTAssertEqual(log.keys, ["accuracy", "loss", "mae"])
        XCTAssertEqual(log.values["accuracy"]?.map { $0 }, [0.5, 0.75])
        XCTAssertTrue(log.values["loss"]?[0]?.isNaN == true, "null with loss_raw \"nan\" is NaN")
        XCTAssertEqual(log.values["loss"]?[1], 0.125)
        XCTAssertEqual(log.values["mae"]?.map { $0 }, [nil, 2.0])
    }

    /// Each bad file names the file and the line, and says what was expected.
    func testBadLogsNameFileAndLine() throws {
        let cases: [(String, String, Int?, String)] = [
            ("loss,acc\n0.5,0.9\n", "log.csv", 1, "no 'epoch' column"),
            ("epoch,loss\n0,0.5\n1\n", "log.csv", 3, "1 fields, expected 2"),
            ("epoch,loss\n0,0.5,7\n", "log.csv", 2, "3 fields, expected 2"),
            ("epoch,name\n0,NA\n1,\n", "log.csv", 1, "no numeric columns"),
            ("epoch,loss\n0,abc\n", "log.csv", 2, "column 'loss': expected a number"),
            ("epoch,loss\nx,0.5\n", "log.csv", 2, "column 'epoch': expected a whole number"),
            ("epoch,loss\n", "log.csv", 1, "no rows"),
            ("  \n", "log.csv", nil, "empty file"),
            ("{\"epoch\":0,\"loss\":1}\n[1,2]\n", "log.jsonl", 2, "not a JSON object"),
            ("{\"epoch\":0,\"loss\":1}\n{\"loss\":2}\n", "log.jsonl", 2, "missing field 'epoch'"),
            ("{\"epoch\":0.5,\"loss\":1}\n", "log.jsonl", 1, "field 'epoch': expected a whole number"),
            ("{\"epoch\":0,\"name\":\"x\"}\n", "log.jsonl", nil, "no numeric fields"),
            ("{\"epoch\":0,\"a\":" + String(repeating: "[", count: 40) + "}\n", "log.jsonl", 1, "not a JSON object"),
        ]
        for (text, name, line, message) in cases {
            let path = try write(text, name)
            XCTAssertThrowsError(try RunLog.read(path), text) { e in
                guard let e = e as? RunLogError else { return XCTFail("\(e)") }
                XCTAssertEqual(e.path, path)
                XCTAssertEqual(e.line, line, text)
                XCTAssertTrue(e.description.contains(message), "\(e) for \(text)")
                XCTAssertTrue(e.description.hasPrefix(path + (line.map { ":\($0): " } ?? ": ")), e.description)
            }
        }
        let bin = try makeTemporaryDirectory(self).appendingPathComponent("bin.csv").path
        try Data([0x65, 0x70, 0xff, 0x0a]).write(to: URL(fileURLWithPath: bin))
        XCTAssertThrowsError(try RunLog.read(bin)) { XCTAssertTrue("\($0)".contains("not UTF-8 text (invalid byte at offset 2)"), "\($0)") }
        XCTAssertThrowsError(try RunLog.read("/dev/zero")) { XCTAssertTrue("\($0)".contains("/dev/zero"), "\($0)") }
    }

    func testHeadlessSummaryTable() throws {
        let table = RunSummary.table([try fixture("classifier.csv"), try fixture("regression.csv")])
        let lines = table.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        // Best values picked by hand from the files: min loss 0.24312470853328705 at epoch 7, max accuracy
        // 0.893750011920929 at 6, min val_loss 0.26026013493537903 at 6, max val_accuracy 0.8999999761581421 first at
        // 3; regression: min loss 0.1777208000421524 at 9, min mae 0.34099090099334717 at 9, min val_loss
        // 0.2668081521987915 at 9, min val_mae 0.3855571448802948 at 9; final learning rates 0.025 / 0.003306.
        XCTAssertEqual(lines, [
            "run epochs loss (min) accuracy (max) mae (min) val_loss (min) val_accuracy (max) val_mae (min) final lr non-finite",
            "classifier.csv 8 0.243125 @8 0.89375 @7 - 0.26026 @7 0.9 @4 - 0.025 -",
            "regression.csv 10 0.177721 @10 - 0.340991 @10 0.266808 @10 - 0.385557 @10 0.00330598 -",
        ])
        let div = RunSummary.table([try fixture("diverging.csv")])
        XCTAssertTrue(div.contains("7.02413 @2"), div)            // min loss before the nan rows
        XCTAssertTrue(div.hasSuffix("loss nan @4"), div)
    }

    func testReplaySnapshotAndJournalMarks() throws {
        let log = try fixture("diverging.csv")
        let journal = [
            JournalEntry(action: "pause", epoch: 0, update: 5, time: 1),
            JournalEntry(action: "lr_scale", epoch: 2, update: 25, time: 3, learningRate: 0.2, factor: 1.25),
            JournalEntry(action: "checkpoint", epoch: 1, update: 15, time: 2, path: "runs/manual-epoch2-update15.tbmodel"),
        ]
        // Each entry bounds the steps: e*s <= u < (e+1)*s; epoch 2 at update 25 gives 9 <= s <= 12, epoch 1 at 15
        // keeps s <= 15: the largest consistent value is 12.
        XCTAssertEqual(RunReplay.estimatedStepsPerEpoch(journal), 12)
        XCTAssertNil(RunReplay.estimatedStepsPerEpoch([journal[0]]))
        // diverging.csv logs epochs 0-6: these actions fit; one at epoch 8 (after the epoch following the last row)
        // or a resumed log's earlier epoch do not.
        XCTAssertNil(RunReplay.journalMismatch(log, journal: journal, journalPath: "j.jsonl"))
        XCTAssertNil(RunReplay.journalMismatch(log, journal: [JournalEntry(action: "stop", epoch: 7, update: 90, time: 9)],
                                               journalPath: "j.jsonl"))
        let far = RunReplay.journalMismatch(log, journal: journal + [JournalEntry(action: "pause", epoch: 8, update: 99, time: 9)],
                                            journalPath: "j.jsonl")
        XCTAssertEqual(far.map { $0.hasPrefix("warning: j.jsonl: 1 of 4 actions fall outside") }, true, far ?? "nil")
        XCTAssertEqual(far.map { $0.contains("epochs 0-6 (0-based, as logged), the first pause at epoch 8") }, true, far ?? "nil")
        let s = RunReplay.snapshot(log, journal: journal, journalPath: "j.jsonl")
        XCTAssertTrue(s.isReadOnly)
        XCTAssertEqual(s.completedEpochs, 7)
        XCTAssertEqual(s.learningRate, 40.959999084472656)
        XCTAssertEqual(s.metricNames, ["loss", "mae"])
        XCTAssertEqual(s.monitor, "val_loss")
        XCTAssertEqual(s.bestEpoch, 2)
        XCTAssertEqual(s.bestValue, 2.56191349029541)
        XCTAssertTrue(s.epochMetrics["loss"]![3].isNaN)
        let kinds = s.events.map(\.kind)
        XCTAssertEqual(kinds, [.pause, .checkpoint, .learningRate, .nan])
        // Marks inside their epoch: pause at update 5 of 12 in epoch 0 -> x = 5/12; checkpoint 15 -> 1 + 3/12.
        let steps = Double(RunReplay.chartStepsPerEpoch)
        XCTAssertEqual(Double(s.events[0].update) / steps, 5.0 / 12, accuracy: 1e-3)
        XCTAssertEqual(Double(s.events[1].update) / steps, 1 + 3.0 / 12, accuracy: 1e-3)
        XCTAssertEqual(s.events[3].epoch, 3)
        XCTAssertTrue(s.events[3].message.contains("loss nan"), s.events[3].message)
    }

    func testChartsOption() throws {
        XCTAssertEqual(try RunReplay.parseCharts("loss,val_mae", metrics: ["loss", "mae"]), ["loss", "mae"])
        XCTAssertThrowsError(try RunReplay.parseCharts("loss,accuracy", metrics: ["loss", "mae"])) {
            XCTAssertEqual("\($0)", "--charts: 'accuracy' is not a metric of the log; its metrics are: loss, mae")
        }
        XCTAssertThrowsError(try RunReplay.parseCharts("mae,mae", metrics: ["loss", "mae"]))
    }
}
