import Foundation
import NeuralEngine
import TrainboardKit
import XCTest

final class CallbackSpecsTests: XCTestCase {
    private func plan(_ mutate: (inout RunConfiguration) -> Void) throws -> TrainingPlan {
        var c = RunConfiguration()
        mutate(&c)
        return try TrainingPlan(c)
    }

    func testOptionSpecParsing() throws {
        let o = try OptionSpec(" monitor=val_loss, patience=5 ,restore_best_weights,min-delta=0.01", option: "early-stopping",
                               allowed: ["monitor", "patience", "restore-best-weights", "min-delta"])
        XCTAssertEqual(o.values, ["monitor": "val_loss", "patience": "5", "restore-best-weights": "true", "min-delta": "0.01"])
        XCTAssertEqual(o.string("monitor"), "val_loss")
        XCTAssertEqual(try o.int("patience"), 5)
        XCTAssertEqual(try o.double("min-delta"), 0.01)
        XCTAssertEqual(try o.bool("restore-best-weights"), true)
        XCTAssertNil(try o.int("missing"))
        XCTAssertEqual(try o.mode(), .auto)
    }

    func testOptionSpecDefaultsWords() throws {
        for t in ["", "on", "true", "default", "  "] {
            XCTAssertEqual(try OptionSpec(t, option: "x", allowed: ["a"]).values, [:], t)
        }
    }

    func testUnknownSettingNamesItAndTheAllowedOnes() {
        XCTAssertThrowsError(try OptionSpec("patience=3,bogus=1", option: "early-stopping", allowed: ["monitor", "patience"])) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.key, "early-stopping")
            XCTAssertTrue(e.description.contains("bogus"), e.description)
            XCTAssertTrue(e.description.contains("monitor, patience"), e.description)
        }
        XCTAssertThrowsError(try OptionSpec("=3", option: "early-stopping", allowed: ["patience"]))
    }

    func testBadNumbers() throws {
        let o = try OptionSpec("patience=x,min-delta=abc,factor=nan,cooldown=-1,flag=maybe,mode=up", option: "reduce-lr-on-plateau",
                               allowed: ["patience", "min-delta", "factor", "cooldown", "flag", "mode"])
        for (call, text) in [({ _ = try o.int("patience") }, "patience=x"),
                             ({ _ = try o.double("min-delta") }, "min-delta=abc"),
                             ({ _ = try o.double("factor") }, "factor=nan"),
                             ({ _ = try o.int("cooldown") }, "cooldown=-1"),
                             ({ _ = try o.bool("flag") }, "flag=maybe"),
                             ({ _ = try o.mode() }, "mode=up")] as [(() throws -> Void, String)] {
            XCTAssertThrowsError(try call(), text) { error in
                guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.key, "reduce-lr-on-plateau")
                XCTAssertTrue(e.description.contains(text), e.description)
            }
        }
    }

    func testMakeEarlyStopping() throws {
        let es = try XCTUnwrap(try plan { $0.earlyStopping = "monitor=val_accuracy,patience=3,restore-best-weights" }.makeEarlyStopping())
        XCTAssertEqual(es.monitor, "val_accuracy")
        XCTAssertEqual(es.patience, 3)
        XCTAssertTrue(es.restoreBestWeights)
        XCTAssertEqual(es.minDelta, 0)
        XCTAssertEqual(es.mode, .auto)
        XCTAssertEqual(es.direction, .maximize)
        XCTAssertNil(es.baseline)
        XCTAssertEqual(es.startFromEpoch, 0)
    }

    func testEarlyStoppingDefaultsAndOff() throws {
        let es = try XCTUnwrap(try plan { $0.earlyStopping = "on"; $0.monitor = "val_loss" }.makeEarlyStopping())
        XCTAssertEqual(es.monitor, "val_loss")
        XCTAssertEqual(es.patience, 5)
        XCTAssertFalse(es.restoreBestWeights)
        XCTAssertNil(try plan { $0.earlyStopping = "off" }.makeEarlyStopping())
        XCTAssertNil(try plan { _ in }.makeEarlyStopping())
        XCTAssertThrowsError(try plan { $0.earlyStopping = "patience=x" }.makeEarlyStopping()) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "early-stopping")
            XCTAssertTrue("\(error)".contains("patience=x"), "\(error)")
        }
    }

    func testMakeReduceLROnPlateau() throws {
        let r = try XCTUnwrap(try plan { $0.reduceLrOnPlateau = "factor=0.5,patience=2,cooldown=1,min-lr=0.001" }.makeReduceLROnPlateau())
        XCTAssertEqual(r.factor, 0.5)
        XCTAssertEqual(r.patience, 2)
        XCTAssertEqual(r.cooldown, 1)
        XCTAssertEqual(r.minLR, 0.001)
        XCTAssertEqual(r.monitor, "val_loss")
    }

    func testReduceLROnPlateauFactorMustBeBelowOne() throws {
        XCTAssertThrowsError(try plan { $0.reduceLrOnPlateau = "factor=2" }.makeReduceLROnPlateau()) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("expected ConfigurationError, got \(error)") }
            XCTAssertEqual(e.key, "reduce-lr-on-plateau")
            XCTAssertTrue(e.description.contains("factor"), e.description)
        }
    }

    func testMakeSchedule() throws {
        let s = try XCTUnwrap(try plan { $0.schedule = "exp:k=0.1" }.makeSchedule())
        for e in 0..<10 {
            XCTAssertEqual(s.learningRate(epoch: e, initial: 0.1), 0.1 * exp(-0.1 * Double(e)), accuracy: 1e-15)
        }
        XCTAssertNil(try plan { $0.schedule = "none" }.makeSchedule())
        XCTAssertThrowsError(try plan { $0.schedule = "bogus:k=1" }.makeSchedule()) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "schedule")
            XCTAssertTrue("\(error)".contains("bogus"), "\(error)")
        }
    }
}
