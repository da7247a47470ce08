import Foundation
import XCTest
@testable import NeuralEngine

final class CSVLoggerTests: XCTestCase {
    private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func testWritesHeaderRowsAndNaN() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/log.csv"
        let model = try makeModel()
        let logger = CSVLogger(path: path)
        let logs: [Logs] = [
            ["loss": 0.5, "val_loss": 0.25, "learning_rate": 0.1, "accuracy": 0.75],
            ["loss": .nan, "val_loss": .infinity, "learning_rate": 1e-05, "accuracy": 1],
            ["loss": 0.125, "learning_rate": 0.001, "accuracy": 0.5, "extra": 3],
        ]
        try drive([logger], model: model, epochLogs: logs)
        XCTAssertEqual(try read(path), """
            epoch,accuracy,learning_rate,loss,val_loss
            0,0.75,0.1,0.5,0.25
            1,1.0,1e-05,nan,inf
            2,0.5,0.001,0.125,NA

            """)
        XCTAssertEqual(logger.keys, ["accuracy", "learning_rate", "loss", "val_loss"])

        // Append: no second header; a new file in append mode gets one.
        let again = CSVLogger(path: path, append: true)
        try drive([again], model: model, epochLogs: [["loss": 0.0625, "val_loss": 0.5, "learning_rate": 0.1, "accuracy": 1]])
        XCTAssertEqual(try read(path), """
            epoch,accuracy,learning_rate,loss,val_loss
            0,0.75,0.1,0.5,0.25
            1,1.0,1e-05,nan,inf
            2,0.5,0.001,0.125,NA
            0,1.0,0.1,0.0625,0.5

            """)
        let fresh = CSVLogger(path: dir + "/new.csv", append: true)
        try drive([fresh], model: model, epochLogs: [["loss": 2]])
        XCTAssertEqual(try read(dir + "/new.csv"), "epoch,loss\n0,2.0\n")

        // Not appending truncates.
        try drive([CSVLogger(path: path)], model: model, epochLogs: [["loss": 1]])
        XCTAssertEqual(try read(path), "epoch,loss\n0,1.0\n")
    }

    func testAppendToEmptyFileWritesHeader() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/empty.csv"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        try drive([CSVLogger(path: path, append: true)], model: try makeModel(), epochLogs: [["loss": 1]])
        XCTAssertEqual(try read(path), "epoch,loss\n0,1.0\n")
    }

    func testSeparatorQuotingAndRowsSurviveBeforeTrainEnd() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/semi.csv"
        let model = try makeModel()
        let logger = CSVLogger(path: path, separator: ";")
        logger.setModel(model)
        logger.onTrainBegin(logs: [:])
        var logs: Logs = ["a;b": 1.5, "loss": -0.5]
        logger.onEpochEnd(0, logs: &logs)
        // Written and flushed before onTrainEnd.
        XCTAssertEqual(try read(path), "epoch;\"a;b\";loss\n0;1.5;-0.5\n")
        logger.onTrainEnd(logs: logs)
    }

    func testUnwritablePathStopsTraining() throws {
        let model = try makeModel()
        let logger = CSVLogger(path: "/dev/null/x.csv")
        let ran = try drive([logger], model: model, epochLogs: [["loss": 1], ["loss": 2]])
        XCTAssertEqual(ran, [0])
        XCTAssertEqual(logger.errors.count, 1)
    }

    func testRealFitWritesOneRowPerEpoch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/fit.csv"
        let model = try makeModel(learningRate: 0.01)
        let data = try regressionData(12)
        try model.fit(data, batchSize: 4, epochs: 3, validationData: data, callbacks: [CSVLogger(path: path)])
        let lines = try read(path).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], "epoch,learning_rate,loss,mae,val_loss,val_mae")
        XCTAssertTrue(lines[3].hasPrefix("2,0.01,"))
    }
}
