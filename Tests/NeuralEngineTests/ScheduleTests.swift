import Foundation
import XCTest
@testable import NeuralEngine

final class ScheduleTests: XCTestCase {
    func testTimeBased() throws {
        let s = try TimeBasedDecay(k: 0.01)
        XCTAssertEqual(s.learningRate(epoch: 0, initial: 0.1), 0.1)
        assertRelativelyEqual(s.learningRate(epoch: 10, initial: 0.1), 0.1 / 1.1, 1e-14)
        assertRelativelyEqual(s.learningRate(epoch: 100, initial: 0.1), 0.05, 1e-14)
    }

    // lr0 · drop^floor(e / every), 0-based epochs (PyTorch StepLR): the first drop comes after `every` full epochs.
    func testStep() throws {
        let s = try StepDecay(drop: 0.5, epochsDrop: 10)
        XCTAssertEqual(s.plannedRates(from: 0, to: 10, initial: 0.1), [Double](repeating: 0.1, count: 10))
        XCTAssertEqual(s.learningRate(epoch: 9, initial: 0.1), 0.1)
        XCTAssertEqual(s.learningRate(epoch: 10, initial: 0.1), 0.05)
        XCTAssertEqual(s.learningRate(epoch: 19, initial: 0.1), 0.05)
        XCTAssertEqual(s.learningRate(epoch: 20, initial: 0.1), 0.025)
        XCTAssertEqual(s.learningRate(epoch: 29, initial: 0.1), 0.025)
        XCTAssertEqual(s.learningRate(epoch: 30, initial: 0.1), 0.0125)
        let parsed = try Schedule(parsing: "step:drop=0.5,every=10")
        XCTAssertEqual([9, 10, 19, 20].map { parsed.learningRate(epoch: $0, initial: 0.1) }, [0.1, 0.05, 0.05, 0.025])
        // every=1 drops at every epoch boundary, from epoch 1 on; drop=1 never changes the rate.
        let every1 = try StepDecay(drop: 0.1, epochsDrop: 1)
        XCTAssertEqual(every1.learningRate(epoch: 0, initial: 1), 1)
        assertRelativelyEqual(every1.learningRate(epoch: 3, initial: 1), 0.001, 1e-15)
        XCTAssertEqual(try StepDecay(drop: 1, epochsDrop: 3).learningRate(epoch: 100, initial: 0.2), 0.2)
        // every=3: epochs 0-2, 3-5, 6-8 get lr0, lr0·d, lr0·d².
        let s3 = try StepDecay(drop: 0.5, epochsDrop: 3)
        XCTAssertEqual(s3.plannedRates(from: 0, to: 9, initial: 0.8), [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2])
    }

    /// The rate `fit` logs as `learning_rate` follows the step schedule (no legacy decay, so it is the base rate).
    func testStepThroughFit() throws {
        let model = try makeModel(learningRate: 0.1)
        let scheduler = LearningRateScheduler(try Schedule(parsing: "step:drop=0.5,every=10"))
        let history = try model.fit(try regressionData(8), batchSize: 8, epochs: 21, callbacks: [scheduler])
        let logged = history[LogKey.learningRate]
        XCTAssertEqual(logged.count, 21)
        XCTAssertEqual([9, 10, 19, 20].map { logged[$0] }, [0.1, 0.05, 0.05, 0.025])
        XCTAssertEqual(Array(logged[0..<10]), [Double](repeating: 0.1, count: 10))
    }

    func testExponential() throws {
        let s = try ExponentialDecay(k: 0.1)
        XCTAssertEqual(s.learningRate(epoch: 0, initial: 0.1), 0.1)
        assertRelativelyEqual(s.learningRate(epoch: 10, initial: 0.1), 0.036787944117144235, 1e-12)
        assertRelativelyEqual(s.learningRate(epoch: 1, initial: 0.1), 0.09048374180359596, 1e-12)
    }

    func testSGDR() throws {
        let s = try CosineAnnealingWarmRestarts(t0: 10, tMult: 2, etaMin: 0, etaMax: 0.1)
        let expected: [(Int, Double)] = [(0, 0.1), (5, 0.05), (9, 0.0024472), (10, 0.1), (20, 0.05),
                                         (29, 0.00061558), (30, 0.1)]
        for (e, x) in expected {
            // The brief's values are rounded to 5 significant digits; the exact ones hold to 1e-7 relative.
            let lr = s.learningRate(epoch: e, initial: 1)
            XCTAssertEqual(lr, x, accuracy: x * 1e-4, "epoch \(e)")
        }
        assertRelativelyEqual(s.learningRate(epoch: 9, initial: 1), 0.1 * (1 + cos(0.9 * Double.pi)) / 2, 1e-7)
        assertRelativelyEqual(s.learningRate(epoch: 9, initial: 1), 0.0024471741852423, 1e-7)
        assertRelativelyEqual(s.learningRate(epoch: 29, initial: 1), 0.00061558297024311, 1e-7)
        assertRelativelyEqual(s.learningRate(epoch: 5, initial: 1), 0.05, 1e-7)
        assertRelativelyEqual(s.learningRate(epoch: 20, initial: 1), 0.05, 1e-7)
        XCTAssertEqual(s.learningRate(epoch: 30, initial: 1), 0.1)
        XCTAssertTrue(s.cycle(containing: 30) == (2, 30, 40))
        XCTAssertTrue(s.cycle(containing: 69) == (2, 30, 40))
        XCTAssertTrue(s.cycle(containing: 70) == (3, 70, 80))
        // etaMax defaults to lr0; etaMin floor.
        let d = try CosineAnnealingWarmRestarts(t0: 4, etaMin: 0.01)
        XCTAssertEqual(d.learningRate(epoch: 0, initial: 0.2), 0.2)
        assertRelativelyEqual(d.learningRate(epoch: 2, initial: 0.2), 0.105, 1e-12)
        XCTAssertEqual(d.learningRate(epoch: 4, initial: 0.2), 0.2)
        XCTAssertEqual(s.learningRate(epoch: Int.max, initial: 1).isFinite, true)
    }

    /// SGDR with a floor, against Keras 3's `CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=2.0, m_mul=1.0,
    /// alpha=0.1)` called with the epoch as the step. The expected values were computed by a Python transcription of
    /// `keras/src/optimizers/schedules/learning_rate_schedule.py` (`CosineDecayRestarts.__call__`, float64), so
    /// min = alpha · lr0 = 0.01.
    func testSGDRMatchesKerasCosineDecayRestarts() throws {
        let s = try Schedule(parsing: "sgdr:t0=10,tmult=2,min=0.01")
        let keras: [(Int, Double)] = [(0, 0.1), (1, 0.09779754323328192), (5, 0.05500000000000001),
                                      (9, 0.012202456766718092), (10, 0.1), (11, 0.0994459753267812),
                                      (20, 0.05500000000000001), (29, 0.010554024673218807), (30, 0.1),
                                      (45, 0.07222075445642905), (69, 0.010138719982009242), (70, 0.1)]
        for (e, x) in keras { assertRelativelyEqual(s.learningRate(epoch: e, initial: 0.1), x, 1e-12, "epoch \(e)") }
        // t_mul = 1 (Keras's non-geometric branch): CosineDecayRestarts(0.2, 4, t_mul=1.0, alpha=0.05).
        let flat = try Schedule(parsing: "sgdr:t0=4,min=0.01")
        for (e, x) in [(0, 0.2), (3, 0.03782485578727799), (4, 0.2), (7, 0.03782485578727799), (8, 0.2)] {
            assertRelativelyEqual(flat.learningRate(epoch: e, initial: 0.2), x, 1e-12, "epoch \(e)")
        }
    }

    func testPlannedRates() throws {
        let s = try ExponentialDecay(k: 0)
        XCTAssertEqual(s.plannedRates(from: 3, to: 6, initial: 0.5), [0.5, 0.5, 0.5])
        XCTAssertEqual(s.plannedRates(from: 6, to: 6, initial: 0.5), [])
        XCTAssertEqual(s.plannedRates(from: 7, to: 2, initial: 0.5), [])
    }

    func testParser() throws {
        XCTAssertEqual(try Schedule(parsing: "exp:k=0.1"), .exponential(try ExponentialDecay(k: 0.1)))
        XCTAssertEqual(try Schedule(parsing: "step:drop=0.5,every=10"), .step(try StepDecay(drop: 0.5, epochsDrop: 10)))
        XCTAssertEqual(try Schedule(parsing: " time: k = 0.01 "), .timeBased(try TimeBasedDecay(k: 0.01)))
        XCTAssertEqual(try Schedule(parsing: "sgdr:t0=10,tmult=2,min=0"),
                       .sgdr(try CosineAnnealingWarmRestarts(t0: 10, tMult: 2, etaMin: 0)))
        XCTAssertEqual(try Schedule(parsing: "sgdr:t0=10,tmult=2,min=0,max=0.1"),
                       .sgdr(try CosineAnnealingWarmRestarts(t0: 10, tMult: 2, etaMin: 0, etaMax: 0.1)))
        XCTAssertEqual(try Schedule(parsing: "sgdr:t0=5"), .sgdr(try CosineAnnealingWarmRestarts(t0: 5)))
        for spec in ["exp:k=0.1", "step:drop=0.5,every=10", "time:k=0.01", "sgdr:t0=10,tmult=2,min=0.0,max=0.1"] {
            let s = try Schedule(parsing: spec)
            XCTAssertEqual(try Schedule(parsing: s.description), s, spec)
        }
        let sgdr = try Schedule(parsing: "sgdr:t0=10,tmult=2,min=0,max=0.1")
        XCTAssertEqual(sgdr.learningRate(epoch: 10, initial: 1), 0.1)
    }

    func testParserErrors() {
        func error(_ spec: String) -> ScheduleError? {
            do { _ = try Schedule(parsing: spec); return nil } catch { return error as? ScheduleError }
        }
        XCTAssertEqual(error(""), .empty)
        XCTAssertEqual(error("cosine:k=1"), .unknownKind("cosine"))
        XCTAssertEqual(error("exp"), .missingKey(kind: "exp", key: "k"))
        XCTAssertEqual(error("exp:k"), .malformedParameter(kind: "exp", text: "k"))
        XCTAssertEqual(error("exp:z=1"), .unknownKey(kind: "exp", key: "z", allowed: ["k"]))
        XCTAssertEqual(error("exp:k=abc"), .badValue(kind: "exp", key: "k", value: "abc", expected: "a finite number"))
        XCTAssertEqual(error("exp:k=-1"), .badValue(kind: "exp", key: "k", value: "-1.0", expected: "a finite number >= 0"))
        XCTAssertEqual(error("exp:k=1,k=2"), .duplicateKey(kind: "exp", key: "k"))
        XCTAssertEqual(error("step:drop=0.5"), .missingKey(kind: "step", key: "every"))
        XCTAssertEqual(error("step:drop=2,every=10"), .badValue(kind: "step", key: "drop", value: "2.0", expected: "a number in (0, 1]"))
        XCTAssertEqual(error("step:drop=0.5,every=2.5"), .badValue(kind: "step", key: "every", value: "2.5", expected: "an integer"))
        XCTAssertEqual(error("sgdr:t0=0"), .badValue(kind: "sgdr", key: "t0", value: "0", expected: "an integer >= 1"))
        XCTAssertEqual(error("sgdr:t0=10,max=0.01,min=0.1")?.description,
                       "sgdr schedule: max=0.01 is invalid (expected a finite number >= min (0.1))")
        XCTAssertEqual(error("time:k=nan"), .badValue(kind: "time", key: "k", value: "nan", expected: "a finite number"))
        XCTAssertEqual(error("exp:z=1")?.description, "exp schedule: unknown key 'z' (allowed: k)")
    }
}
