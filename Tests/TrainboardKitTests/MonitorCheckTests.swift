import NeuralEngine
import TrainboardKit
import XCTest

/// Monitors and checkpoint path fields are checked against the keys the run will log, before training.
final class MonitorCheckTests: XCTestCase {
    private func plan(_ mutate: (inout RunConfiguration) -> Void) throws -> TrainingPlan {
        var c = RunConfiguration()
        mutate(&c)
        return try TrainingPlan(c)
    }

    /// The ConfigurationError `checkLogKeys` throws, or nil.
    private func error(hasValidation: Bool = true, _ mutate: (inout RunConfiguration) -> Void) throws -> ConfigurationError? {
        do {
            try TrainingRun.checkLogKeys(try plan(mutate), hasValidation: hasValidation)
            return nil
        } catch let e as ConfigurationError {
            return e
        }
    }

    let classificationKeys = "accuracy, learning_rate, loss, val_accuracy, val_loss"

    func testEachCallbackRejectsAnUnloggedMonitorListingTheKeys() throws {
        let es = try error { $0.monitor = "val_acc"; $0.earlyStopping = "on" }
        XCTAssertEqual(es?.key, "monitor")
        XCTAssertEqual(es?.description,
                       "--monitor: EarlyStopping monitors 'val_acc', which this run does not log; the logged keys are: "
                       + classificationKeys)
        let plateau = try error { $0.monitor = "val_acc"; $0.reduceLrOnPlateau = "patience=2" }
        XCTAssertEqual(plateau?.key, "monitor")
        XCTAssertTrue(plateau?.description.hasPrefix("--monitor: ReduceLROnPlateau monitors 'val_acc'") ?? false)
        XCTAssertTrue(plateau?.description.hasSuffix(classificationKeys) ?? false)
        let checkpoint = try error { $0.monitor = "val_acc"; $0.checkpoint = "/tmp/x.tbmodel"; $0.saveBestOnly = true }
        XCTAssertEqual(checkpoint?.key, "monitor")
        XCTAssertTrue(checkpoint?.description.hasPrefix("--monitor: ModelCheckpoint monitors 'val_acc'") ?? false)
        // A monitor in the callback's own spec is blamed on that option.
        let own = try error { $0.earlyStopping = "monitor=val_acc,patience=3" }
        XCTAssertEqual(own?.key, "early-stopping")
        XCTAssertEqual(try error { $0.reduceLrOnPlateau = "monitor=accuracy_val" }?.key, "reduce-lr-on-plateau")
    }

    func testLoggedMonitorsPass() throws {
        for m in ["val_loss", "val_accuracy", "loss", "accuracy"] {
            XCTAssertNil(try error { $0.monitor = m; $0.earlyStopping = "on"; $0.reduceLrOnPlateau = "on"
                                     $0.checkpoint = "/tmp/x.tbmodel"; $0.saveBestOnly = true }, m)
        }
        // Regression: the metric is mae.
        XCTAssertNil(try error { $0.loss = "mean_squared_error"; $0.earlyStopping = "monitor=val_mae" })
        XCTAssertEqual(try error { $0.loss = "mean_squared_error"; $0.earlyStopping = "monitor=val_accuracy" }?.description,
                       "--early-stopping: EarlyStopping monitors 'val_accuracy', which this run does not log; the logged "
                       + "keys are: learning_rate, loss, mae, val_loss, val_mae")
        // Unused monitors are not checked: no callback, or a checkpoint that saves every epoch.
        XCTAssertNil(try error { $0.monitor = "val_acc" })
        XCTAssertNil(try error { $0.monitor = "val_acc"; $0.checkpoint = "/tmp/x.tbmodel" })
        XCTAssertNil(try error { $0.monitor = "val_acc"; $0.earlyStopping = "off" })
    }

    /// Without validation data there are no val_ keys: the default monitor val_loss is an error where it is used.
    func testNoValidationHasNoValKeys() throws {
        let e = try error(hasValidation: false) { $0.earlyStopping = "on" }
        XCTAssertEqual(e?.description, "--monitor: EarlyStopping monitors 'val_loss', which this run does not log; "
                       + "the logged keys are: accuracy, learning_rate, loss")
        XCTAssertNil(try error(hasValidation: false) { $0.earlyStopping = "monitor=loss" })
    }

    /// mode auto with a name of unknown direction (learning_rate) is an error with the fix; mode=min/max is fine.
    func testUnknownDirectionNeedsMode() throws {
        let es = try error { $0.earlyStopping = "monitor=learning_rate" }
        XCTAssertEqual(es?.key, "early-stopping")
        XCTAssertEqual(es?.description, "--early-stopping: EarlyStopping cannot tell whether 'learning_rate' should be "
                       + "minimized or maximized (it is not a loss or a metric; Keras 3 raises here too); add mode=min "
                       + "or mode=max to --early-stopping")
        XCTAssertNil(try error { $0.earlyStopping = "monitor=learning_rate,mode=min" })
        XCTAssertNil(try error { $0.reduceLrOnPlateau = "monitor=learning_rate,mode=max" })
        let cp = try error { $0.monitor = "learning_rate"; $0.checkpoint = "/tmp/x.tbmodel"; $0.saveBestOnly = true }
        XCTAssertTrue(cp?.description.hasSuffix("--save-best-only needs a loss or a metric") ?? false, cp?.description ?? "nil")
    }

    func testCheckpointPathFieldsMustBeLogged() throws {
        XCTAssertNil(try error { $0.checkpoint = "/tmp/m-{epoch:02d}-{val_loss:.4f}-{accuracy:.2f}.tbmodel" })
        let e = try error { $0.checkpoint = "/tmp/m-{epoch:02d}-{val_acc:.4f}.tbmodel" }
        XCTAssertEqual(e?.description, "--checkpoint: the path's field {val_acc} is not a key this run logs; the fields "
                       + "available are: epoch, " + classificationKeys)
        XCTAssertNotNil(try error(hasValidation: false) { $0.checkpoint = "/tmp/m-{val_loss:.4f}.tbmodel" })
    }

    /// The check runs in `TrainingRun.prepare` (real data: Fashion-MNIST's test split is the validation data).
    func testPrepareRejectsAnUnloggedMonitor() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
        let p = try plan { $0.monitor = "val_acc"; $0.earlyStopping = "on"; $0.maxSamples = 100 }
        XCTAssertThrowsError(try TrainingRun.prepare(p)) {
            XCTAssertEqual(($0 as? ConfigurationError)?.key, "monitor")
            XCTAssertTrue("\($0)".hasSuffix(self.classificationKeys), "\($0)")
        }
        // With a validation split the val_ keys exist.
        XCTAssertNoThrow(try TrainingRun.prepare(try plan { $0.earlyStopping = "on"; $0.validationSplit = 0.2; $0.maxSamples = 100 }))
    }
}
