import XCTest
@testable import NeuralEngine

final class ModelCheckpointTests: XCTestCase {
    func testFilepathFormatting() throws {
        let t = try FilepathTemplate("ckpt/model-{epoch:02d}-{val_loss:.2f}.json")
        XCTAssertEqual(t.fieldNames, ["epoch", "val_loss"])
        XCTAssertEqual(try t.format(epoch: 2, logs: [LogKey.valLoss: 0.4567]), "ckpt/model-03-0.46.json")
        XCTAssertEqual(try t.format(epoch: 9, logs: [LogKey.valLoss: .nan]), "ckpt/model-10-nan.json")
        XCTAssertEqual(try FilepathTemplate("{epoch:02d}-{val_loss:.2f}").format(epoch: 0, logs: ["val_loss": 1.234]),
                       "01-1.23")
        XCTAssertEqual(try FilepathTemplate("e{epoch}_{loss}").format(epoch: 11, logs: ["loss": 0.25]), "e12_0.25")
        XCTAssertEqual(try FilepathTemplate("{val_loss:.4f}").format(epoch: 0, logs: ["val_loss": 0.123456]), "0.1235")
        XCTAssertEqual(try FilepathTemplate("{val_loss:.2e}").format(epoch: 0, logs: ["val_loss": 0.000123]), "1.23e-04")
        XCTAssertEqual(try FilepathTemplate("{epoch:03}").format(epoch: 4, logs: [:]), "005")
        XCTAssertEqual(try FilepathTemplate("{epoch:4d}|").format(epoch: 4, logs: [:]), "   5|")
        XCTAssertEqual(try FilepathTemplate("{{literal}}-{epoch}").format(epoch: 0, logs: [:]), "{literal}-1")
    }

    func testFilepathErrors() throws {
        XCTAssertThrowsError(try FilepathTemplate("a{epoch"))
        XCTAssertThrowsError(try FilepathTemplate("a}b"))
        XCTAssertThrowsError(try FilepathTemplate("{}"))
        XCTAssertThrowsError(try FilepathTemplate("{epoch:x}"))
        XCTAssertThrowsError(try FilepathTemplate("{epoch:.d}"))
        XCTAssertThrowsError(try ModelCheckpoint(filepath: ""))
        let t = try FilepathTemplate("{val_acc:.2f}")
        XCTAssertThrowsError(try t.format(epoch: 0, logs: ["loss": 1])) { e in
            XCTAssertTrue("\(e)".contains("val_acc"), "\(e)")
        }
        XCTAssertThrowsError(try FilepathTemplate("{loss:d}").format(epoch: 0, logs: ["loss": 0.5]))
    }

    /// Widths and precisions are bounded when the template is parsed (issue 7: `{epoch:999999999999d}` allocated 1 TB).
    func testFormatWidthAndPrecisionAreBounded() throws {
        for bad in ["x-{epoch:999999999999d}.tbmodel", "{epoch:65d}", "{epoch:0100}", "{loss:.31f}",
                    "{loss:.99999999999999999999999f}", "{loss:1000.2f}"] {
            XCTAssertThrowsError(try FilepathTemplate(bad), bad) { e in
                XCTAssertTrue("\(e)".contains("too large"), "\(bad): \(e)")
                XCTAssertLessThan("\(e)".count, 200, "the message stays short")
            }
        }
        XCTAssertEqual(try FilepathTemplate("{epoch:064d}").format(epoch: 0, logs: [:]).count, 64)
        XCTAssertEqual(try FilepathTemplate("{loss:.30f}").format(epoch: 0, logs: ["loss": 0.5]),
                       "0." + "5" + String(repeating: "0", count: 29))
    }

    /// A template ending in `/` names a directory; the model is written inside it (issue 7: `dir/{epoch:02d}/`).
    func testTemplateEndingInSlashWritesInsideTheDirectory() throws {
        let t = try FilepathTemplate("dir/{epoch:02d}/")
        XCTAssertEqual(try t.format(epoch: 0, logs: [:]), "dir/01/model.keras")
    }

    /// Saving a model to `/dev/null` writes through it and leaves the device, and through a symbolic link writes the
    /// link's target and keeps the link (issue 7: as root, `--checkpoint /dev/null` replaced the device).
    func testSaveNeverReplacesDevicesOrLinks() throws {
        let model = Sequential([Dense(2)], seed: 1)
        try model.build(inputUnits: 3)
        try model.save(to: "/dev/null")
        var st = stat()
        XCTAssertEqual(lstat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR)
        let dir = NSTemporaryDirectory() + "ckpt-link-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.tbmodel", withDestinationPath: "real.tbmodel")
        XCTAssertThrowsError(try model.save(to: dir + "/link.tbmodel")) { e in
            XCTAssertTrue("\(e)".contains("symbolic link whose target does not exist"), "\(e)")
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/real.tbmodel", contents: Data("old".utf8)))
        try model.save(to: dir + "/link.tbmodel")
        XCTAssertEqual(lstat(dir + "/link.tbmodel", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFLNK)
        let (loaded, _) = try Sequential.load(from: dir + "/real.tbmodel")
        XCTAssertEqual(loaded.parameters.first?.value.array(count: 6), model.parameters.first?.value.array(count: 6))
        XCTAssertThrowsError(try model.save(to: "/dev/full")) { e in
            XCTAssertEqual("\(e)", "/dev/full: cannot write model file: no space left on device")
        }
    }

    func testSavesEveryEpochWithFormattedNames() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try makeModel()
        let ckpt = try ModelCheckpoint(filepath: dir + "/m-{epoch:02d}-{val_loss:.2f}.keras")
        try drive([ckpt], model: model, epochLogs: valLossLogs([0.5, 0.456, 0.7]))
        XCTAssertEqual(ckpt.saved.map(\.path), [dir + "/m-01-0.50.keras", dir + "/m-02-0.46.keras", dir + "/m-03-0.70.keras"])
        XCTAssertEqual(ckpt.lastSavedEpoch, 2)
        XCTAssertEqual(uniformWeight(try Sequential.load(from: dir + "/m-03-0.70.keras").model), 2)
        XCTAssertTrue(ckpt.errors.isEmpty)
    }

    func testSaveBestOnlyInMaxModeAndNaNLogsInMetadata() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try makeModel()
        let ckpt = try ModelCheckpoint(filepath: dir + "/best.keras", monitor: "val_accuracy", saveBestOnly: true)
        let logs: [Logs] = [0.5, 0.7, 0.6, 0.8].map { ["val_accuracy": $0, "loss": .nan] }
        try drive([ckpt], model: model, epochLogs: logs)
        XCTAssertEqual(ckpt.saved.map(\.epoch), [0, 1, 3])
        let (loaded, meta) = try Sequential.load(from: dir + "/best.keras")
        XCTAssertEqual(uniformWeight(loaded), 3)
        XCTAssertEqual(meta.logs, ["val_accuracy": 0.8])
    }

    func testWriteErrorIsReportedAndStopsTraining() throws {
        let model = try makeModel()
        let ckpt = try ModelCheckpoint(filepath: "/dev/null/cannot/{epoch}.json")
        let ran = try drive([ckpt], model: model, epochLogs: valLossLogs([0.5, 0.4]))
        XCTAssertEqual(ran, [0])
        XCTAssertTrue(model.stopTraining)
        XCTAssertEqual(ckpt.errors.count, 1)
        XCTAssertNotNil(ckpt.lastError)
        XCTAssertNil(ckpt.lastSavedPath)
    }

    func testMissingPlaceholderKeyStopsTraining() throws {
        let model = try makeModel()
        let ckpt = try ModelCheckpoint(filepath: "/tmp/{val_accuracy}.json")
        let ran = try drive([ckpt], model: model, epochLogs: valLossLogs([0.5, 0.4]))
        XCTAssertEqual(ran, [0])
        XCTAssertTrue(ckpt.errors[0].contains("val_accuracy"), ckpt.errors[0])
    }
}
