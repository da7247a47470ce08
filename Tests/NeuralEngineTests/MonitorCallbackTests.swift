import XCTest
@testable import NeuralEngine

final class MonitorCallbackTests: XCTestCase {
    /// Keras 3's mode="auto" (monitor_callback.py `_set_monitor_op`): one `val_` prefix removed; `loss` minimizes;
    /// otherwise the `_direction` of the Keras 3 metric of that name; anything else has no direction.
    func testAutoDirectionFollowsKeras3() {
        let cases: [(String, MonitorDirection?)] = [
            // Rule 1: loss.
            ("loss", .minimize), ("val_loss", .minimize),
            // Rule 2: metrics with _direction "up" (accuracy_metrics, confusion_metrics, f_score, iou, regression,
            // correlation).
            ("accuracy", .maximize), ("val_accuracy", .maximize), ("acc", .maximize), ("val_acc", .maximize),
            ("binary_accuracy", .maximize), ("val_sparse_categorical_accuracy", .maximize),
            ("top_k_categorical_accuracy", .maximize), ("auc", .maximize), ("val_auc", .maximize),
            ("precision", .maximize), ("recall", .maximize), ("val_recall_at_precision", .maximize),
            ("f1_score", .maximize), ("fbeta_score", .maximize), ("iou", .maximize), ("mean_iou", .maximize),
            ("r2_score", .maximize), ("cosine_similarity", .maximize), ("pearson_correlation", .maximize),
            // Rule 3: metrics with _direction "down" (regression, hinge, probabilistic; wrapped losses).
            ("mae", .minimize), ("val_mae", .minimize), ("mean_absolute_error", .minimize), ("mse", .minimize),
            ("val_mean_squared_error", .minimize), ("mape", .minimize), ("msle", .minimize),
            ("root_mean_squared_error", .minimize), ("logcosh", .minimize), ("hinge", .minimize),
            ("squared_hinge", .minimize), ("categorical_crossentropy", .minimize),
            ("val_binary_crossentropy", .minimize), ("kl_divergence", .minimize), ("poisson", .minimize),
            ("MSE", .minimize), ("MAE", .minimize),
            // Rule 4: no known direction (Keras 3 raises ValueError): not a substring match, one prefix only.
            ("learning_rate", nil), ("val_learning_rate", nil), ("true_positives", nil), ("false_negatives", nil),
            ("my_accuracy", nil), ("accuracy_2", nil), ("val_val_loss", nil), ("batch_loss", nil), ("", nil),
        ]
        for (name, expected) in cases {
            XCTAssertEqual(MonitorCallback.inferDirection(for: name), expected, name)
            XCTAssertEqual(MonitorCallback(monitor: name).direction, expected, name)
        }
        XCTAssertEqual(MonitorCallback(monitor: "val_accuracy", mode: .min).direction, .minimize)
        XCTAssertEqual(MonitorCallback(monitor: "val_loss", mode: .max).direction, .maximize)
        XCTAssertEqual(MonitorCallback(monitor: "learning_rate", mode: .min).direction, .minimize)
        XCTAssertEqual(MonitorCallback(monitor: "learning_rate", mode: .max).direction, .maximize)
        XCTAssertEqual(MonitorCallback(monitor: "val_accuracy").best, -.infinity)
        XCTAssertEqual(MonitorCallback(monitor: "val_loss").best, .infinity)
    }

    /// The keys `fit` logs are exactly `epochLogKeys`, with and without validation, for both default metrics.
    func testEpochLogKeysAreWhatFitLogs() throws {
        XCTAssertEqual(Sequential.epochLogKeys(metrics: [.accuracy], hasValidation: true),
                       ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"])
        XCTAssertEqual(Sequential.epochLogKeys(metrics: [.mae], hasValidation: false), ["loss", "mae", "learning_rate"])
        XCTAssertEqual(Sequential.defaultMetrics(for: .categoricalCrossentropy), [.accuracy])
        XCTAssertEqual(Sequential.defaultMetrics(for: .binaryCrossentropy), [.accuracy])
        XCTAssertEqual(Sequential.defaultMetrics(for: .meanSquaredError), [.mae])
        let model = try makeModel()
        let data = try regressionData(8)
        let withVal = try model.fit(data, batchSize: 4, epochs: 1, validationData: data)
        XCTAssertEqual(Set(withVal.history.keys), Set(model.epochLogKeys(hasValidation: true)))
        let without = try model.fit(data, batchSize: 4, epochs: 1)
        XCTAssertEqual(Set(without.history.keys), Set(model.epochLogKeys(hasValidation: false)))
        let split = try model.fit(data, batchSize: 4, epochs: 1, validationSplit: 0.25)
        XCTAssertEqual(Set(split.history.keys), Set(model.epochLogKeys(hasValidation: true)))
    }

    /// All three monitoring callbacks: a monitor the run never logs makes `fit` throw at the end of the first epoch,
    /// listing the logged keys; the model is usable for another fit afterwards.
    func testUnloggedMonitorEndsFitAtFirstEpoch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let makers: [(String, () throws -> MonitorCallback)] = [
            ("EarlyStopping", { EarlyStopping(monitor: "val_acc", patience: 3) }),
            ("ReduceLROnPlateau", { try ReduceLROnPlateau(monitor: "val_acc") }),
            ("ModelCheckpoint", { try ModelCheckpoint(filepath: dir + "/m-{epoch:02d}.json", monitor: "val_acc",
                                                      saveBestOnly: true) }),
        ]
        let data = try regressionData(8)
        for (name, make) in makers {
            let model = try makeModel()
            let probe = EpochProbe()
            XCTAssertThrowsError(try model.fit(data, batchSize: 4, epochs: 5, validationData: data,
                                               callbacks: [try make(), probe]), name) { error in
                XCTAssertEqual(error as? MonitorError,
                               .unavailable(callback: name, monitor: "val_acc",
                                            available: ["learning_rate", "loss", "mae", "val_loss", "val_mae"]))
                XCTAssertEqual("\(error)", "\(name) monitors 'val_acc', which this run does not log; the logged keys "
                               + "are: learning_rate, loss, mae, val_loss, val_mae")
            }
            XCTAssertEqual(probe.begun, [0], name)
            XCTAssertEqual(probe.ended, [], name)
            XCTAssertFalse(probe.trainEnded, name)
            XCTAssertNil(model.raisedError, "fit cleared the error it threw")
            // The same model trains normally afterwards.
            XCTAssertEqual(try model.fit(data, batchSize: 4, epochs: 2, callbacks: [probe]).epochs, [0, 1])
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "nothing was saved")
        // Without validation data the default val_loss is not logged either.
        XCTAssertThrowsError(try makeModel().fit(data, batchSize: 4, epochs: 3, callbacks: [EarlyStopping()])) {
            XCTAssertEqual($0 as? MonitorError,
                           .unavailable(callback: "EarlyStopping", monitor: "val_loss", available: ["learning_rate", "loss", "mae"]))
        }
    }

    /// mode auto on a name of unknown direction raises as Keras 3 does; mode min/max makes the same monitor work.
    func testUnknownDirectionEndsFitUnlessModeIsGiven() throws {
        let data = try regressionData(8)
        for cb in [EarlyStopping(monitor: "learning_rate"), try ReduceLROnPlateau(monitor: "learning_rate")] as [MonitorCallback] {
            XCTAssertThrowsError(try makeModel().fit(data, batchSize: 4, epochs: 3, callbacks: [cb])) {
                XCTAssertEqual($0 as? MonitorError, .unknownDirection(callback: cb.callbackName, monitor: "learning_rate"))
                XCTAssertTrue("\($0)".contains("give mode min or max"), "\($0)")
            }
        }
        let es = EarlyStopping(monitor: "learning_rate", patience: 1, mode: .min)
        let history = try makeModel().fit(data, batchSize: 4, epochs: 5, callbacks: [es])
        XCTAssertEqual(history.epochs, [0, 1], "the constant rate never improves: stopped after patience 1")
        XCTAssertEqual(es.stoppedEpoch, 1)
    }

    /// ModelCheckpoint without saveBestOnly does not consult its monitor: no error, a file every epoch.
    func testCheckpointWithoutSaveBestOnlyIgnoresItsMonitor() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cp = try ModelCheckpoint(filepath: dir + "/m-{epoch:02d}.json", monitor: "val_acc")
        XCTAssertFalse(cp.usesMonitor)
        XCTAssertNoThrow(try cp.validate(loggedKeys: ["loss"]))
        try makeModel().fit(try regressionData(8), batchSize: 4, epochs: 2, callbacks: [cp])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["m-01.json", "m-02.json"])
    }

    /// `validate(loggedKeys:)`: the check the command line makes before training.
    func testValidateBeforeTraining() throws {
        let keys = Sequential.epochLogKeys(metrics: [.accuracy], hasValidation: true)
        XCTAssertNoThrow(try EarlyStopping(monitor: "val_accuracy").validate(loggedKeys: keys))
        XCTAssertNoThrow(try EarlyStopping(monitor: "learning_rate", mode: .max).validate(loggedKeys: keys))
        XCTAssertThrowsError(try EarlyStopping(monitor: "val_acc").validate(loggedKeys: keys)) {
            XCTAssertEqual($0 as? MonitorError, .unavailable(callback: "EarlyStopping", monitor: "val_acc",
                                                             available: ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]))
        }
        let noValidation = Sequential.epochLogKeys(metrics: [.accuracy], hasValidation: false)
        XCTAssertThrowsError(try ReduceLROnPlateau().validate(loggedKeys: noValidation)) {
            XCTAssertEqual(($0 as? MonitorError)?.monitor, "val_loss")
        }
        // The direction is checked first: a learning_rate monitor in auto mode is wrong even though it is logged.
        XCTAssertThrowsError(try ModelCheckpoint(filepath: "x.json", monitor: "learning_rate", saveBestOnly: true)
            .validate(loggedKeys: keys)) {
            XCTAssertEqual($0 as? MonitorError, .unknownDirection(callback: "ModelCheckpoint", monitor: "learning_rate"))
        }
    }

    func testImprovementTest() {
        let lo = MonitorCallback(monitor: "val_loss", minDelta: -0.1)   // |minDelta| is used
        XCTAssertEqual(lo.minDelta, 0.1)
        XCTAssertTrue(lo.isImprovement(0.39, over: 0.5))
        XCTAssertFalse(lo.isImprovement(0.4, over: 0.5))
        XCTAssertFalse(lo.isImprovement(.nan, over: 0.5))
        XCTAssertFalse(lo.isImprovement(.nan, over: .infinity))
        XCTAssertFalse(lo.isImprovement(0.1, over: .nan))
        XCTAssertTrue(lo.isImprovement(1e9, over: .infinity))
        let hi = MonitorCallback(monitor: "val_accuracy", minDelta: 0.01)
        XCTAssertTrue(hi.isImprovement(0.92, over: 0.9))
        XCTAssertFalse(hi.isImprovement(0.905, over: 0.9))
        XCTAssertFalse(hi.isImprovement(.nan, over: -.infinity))
    }
}
