import Dashboard
import Foundation
import NeuralEngine
@testable import TrainboardKit
import XCTest

/// Messages and defaults a new user meets first: config-file values blamed on the file, output paths probed at start,
/// journal errors naming the flag, per-optimizer decay, empty hidden entries, the bench table.
final class ConfigurationErrorSourceTests: XCTestCase {
    func testFileValueIsBlamedOnTheFile() throws {
        var file = RunConfiguration()
        file.dropout = 1.5
        let flags = RunConfiguration()
        XCTAssertThrowsError(try TrainingPlan(flags.over(file))) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.description, "--dropout: must be in [0, 1), got 1.5")
            XCTAssertEqual(e.attributed(flags: flags, file: file, path: "run.yaml").description,
                           "run.yaml: dropout: must be in [0, 1), got 1.5")
        }
    }

    func testFlagValueStaysAFlagError() throws {
        var file = RunConfiguration()
        file.dropout = 0.5
        var flags = RunConfiguration()
        flags.dropout = 1.2
        XCTAssertThrowsError(try TrainingPlan(flags.over(file))) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.attributed(flags: flags, file: file, path: "run.yaml").description,
                           "--dropout: must be in [0, 1), got 1.2")
        }
        // A key set nowhere (or not a key at all) is left alone too.
        let e = ConfigurationError(key: "config", "x")
        XCTAssertEqual(e.attributed(flags: flags, file: file, path: "run.yaml"), e)
    }

    func testEveryFieldIsAKeyAndRoundTrips() {
        XCTAssertEqual(RunConfiguration.fields.map(\.key), RunConfiguration.keyNames)
        XCTAssertTrue(RunConfiguration.keyNames.contains("exit-when-done"))
        XCTAssertTrue(RunConfiguration.keyNames.contains("terminate-on-nan"))
        for f in RunConfiguration.fields {
            var c = RunConfiguration()
            XCTAssertFalse(f.isSet(c), f.key)
            let value: Any = switch f.kind {
            case .wholeNumber: 3
            case .number: 0.5
            case .boolean: true
            case .seed: UInt64(7)
            case .text: "x"
            }
            XCTAssertTrue(f.set(value, in: &c), f.key)
            XCTAssertTrue(f.isSet(c), f.key)
            XCTAssertTrue(f.isSet(RunConfiguration().over(c)), "over() misses \(f.key)")
            if f.kind != .text { XCTAssertFalse(f.set("wrong type", in: &c), f.key) }
        }
    }

    func testExitWhenDoneReachesThePlan() throws {
        XCTAssertFalse(try TrainingPlan(RunConfiguration()).exitWhenDone)
        var c = RunConfiguration()
        c.exitWhenDone = true
        XCTAssertTrue(try TrainingPlan(c).exitWhenDone)
        c.terminateOnNan = false
        XCTAssertFalse(try TrainingPlan(c).terminateOnNaN)
    }
}

final class PlanDefaultsTests: XCTestCase {
    func testDecayDefaultsPerOptimizer() throws {
        XCTAssertEqual(try TrainingPlan(RunConfiguration()).decay, 0.0016)
        for opt in ["adam", "rmsprop", "adagrad"] {
            var c = RunConfiguration()
            c.optimizer = opt
            XCTAssertEqual(try TrainingPlan(c).decay, 0, opt)
            c.decay = 0.01
            XCTAssertEqual(try TrainingPlan(c).decay, 0.01, opt)
        }
    }

    func testEmptyHiddenEntryIsAnError() {
        for text in ["64,,64", "64,", ",64"] {
            var c = RunConfiguration()
            c.hidden = text
            XCTAssertThrowsError(try TrainingPlan(c), text) { error in
                guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.key, "hidden")
                XCTAssertTrue(e.description.contains("'\(text)'"), e.description)
                XCTAssertTrue(e.description.contains("empty"), e.description)
            }
        }
    }
}

final class OutputProbeTests: XCTestCase {
    /// /proc passes a permission-bit check as root, but no file can be created in it.
    func testDirectoryThatTakesNoFilesIsRejected() throws {
        XCTAssertThrowsError(try OutputPath.check("/proc/x.tbmodel", key: "checkpoint")) { error in
            XCTAssertTrue("\(error)".hasPrefix("--checkpoint: cannot write in /proc: "), "\(error)")
        }
        XCTAssertThrowsError(try OutputPath.check("/proc/new-dir/x.csv", key: "csv-log")) { error in
            XCTAssertTrue("\(error)".hasPrefix("--csv-log: cannot write in /proc: "), "\(error)")
        }
    }

    func testProbeLeavesNothingBehind() throws {
        let dir = try makeTemporaryDirectory(self)
        XCTAssertNil(OutputPath.probeDirectory(dir.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        XCTAssertEqual(try OutputPath.check(dir.appendingPathComponent("a/b/c.csv").path, key: "csv-log"),
                       dir.appendingPathComponent("a").path)      // the outermost directory the run will create
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        XCTAssertNil(try OutputPath.check(dir.appendingPathComponent("c.csv").path, key: "csv-log"))
    }

    /// A run whose outputs need new directories says so before it starts (none is created silently).
    func testNewOutputDirectoriesAreAnnounced() throws {
        let dir = try makeTemporaryDirectory(self)
        var c = RunConfiguration()
        c.csvLog = dir.appendingPathComponent("new/log.csv").path
        c.checkpoint = dir.appendingPathComponent("ck/{epoch:02d}/m.keras").path
        c.logJsonl = dir.appendingPathComponent("here.jsonl").path
        let notes = try TrainingRun.checkOptions(try TrainingPlan(c))
        XCTAssertEqual(notes, ["note: --checkpoint: \(dir.path)/ck does not exist; it will be created",
                               "note: --csv-log: \(dir.path)/new does not exist; it will be created"])
    }

    func testExistingFileIsNotTruncated() throws {
        let dir = try makeTemporaryDirectory(self)
        let p = dir.appendingPathComponent("log.csv").path
        try "keep\n".write(toFile: p, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try OutputPath.check(p, key: "csv-log"))
        XCTAssertEqual(try String(contentsOfFile: p, encoding: .utf8), "keep\n")
    }

    func testModelIOErrorHasNoNSErrorDump() {
        let m = Sequential(seed: 1)
        m.add(Dense(2, activation: .relu, kernelInitializer: .uniform))
        m.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        try? m.build(inputUnits: 3)
        XCTAssertThrowsError(try m.save(to: "/proc/x.tbmodel")) { error in
            let d = "\(error)"
            XCTAssertTrue(d.hasPrefix("/proc/x.tbmodel: cannot write model file: "), d)
            XCTAssertFalse(d.contains("Error Domain"), d)
            XCTAssertFalse(d.contains("UserInfo"), d)
        }
    }
}

final class JournalErrorMessageTests: XCTestCase {
    func testMissingReplayJournalNamesTheFlag() {
        XCTAssertThrowsError(try ControlJournal.read("/nonexistent")) { error in
            guard let j = error as? JournalError else { return XCTFail("\(error)") }
            XCTAssertEqual(ConfigurationError(j).description, "--replay-journal: cannot read /nonexistent: no such file")
        }
    }

    func testReplayJournalFromTheConfigFileNamesTheFile() throws {
        var file = RunConfiguration()
        file.replayJournal = "/nonexistent"
        let e = ConfigurationError(JournalError.cannotRead(path: "/nonexistent", reason: "no such file"))
            .attributed(flags: RunConfiguration(), file: file, path: "run.yaml")
        XCTAssertEqual(e.description, "run.yaml: replay-journal: cannot read /nonexistent: no such file")
    }
}

final class BenchTableTests: XCTestCase {
    func testTargetsAreMarked() {
        var r = Benchmark.Result()
        r.samplesPerSecond64 = 300_000
        r.pctOfPeak512 = 50
        r.peakRSSMiB = 100
        r.firstBatchSeconds = .nan
        r.frameMs1e6 = 1
        r.dashboardOverheadPct = 5
        let lines = r.table.split(separator: "\n").map(String.init)
        func status(_ metric: String) -> String? {
            lines.first { $0.hasPrefix(metric + " ") }?.split(separator: " ").last.map(String.init)
        }
        XCTAssertEqual(status("samples_per_s_64"), "ok")
        XCTAssertEqual(status("pct_of_peak_512"), "MISSED")
        XCTAssertEqual(status("peak_rss_mib"), "ok")
        XCTAssertEqual(status("first_batch_s"), "n/a")
        XCTAssertEqual(status("frame_ms_1e6"), "ok")
        XCTAssertEqual(status("dashboard_overhead_pct"), "MISSED")
        XCTAssertEqual(status("samples_per_s_512"), "0")   // no target: just the value
        XCTAssertEqual(r.rows.filter { $0.met == false }.map(\.metric), ["pct_of_peak_512", "dashboard_overhead_pct"])
        // Without --keras-python the reference and the ratio are not measured: said so, never a made-up number.
        XCTAssertEqual(r.rows.first { $0.metric == "ratio_64_vs_keras" },
                       .init(metric: "ratio_64_vs_keras", value: "not measured", target: ">= 2.5", met: nil))
        XCTAssertEqual(status("ratio_64_vs_keras"), "n/a")
        XCTAssertTrue(lines.contains { $0.hasPrefix("keras_samples_per_s_64 ") && $0.hasSuffix("not measured") }, "\(lines)")
        XCTAssertTrue(r.json.contains("\"keras_samples_per_s_64\":null,\"ratio_64_vs_keras\":null"), r.json)
    }

    /// With a Keras figure the ratio is engine / Keras from the same run, checked against 2.5; 512-512 against 85 %.
    func testKerasRatioAndPeakTargets() {
        var r = Benchmark.Result()
        r.samplesPerSecond64 = 400_000
        r.kerasSamplesPerSecond64 = 160_000
        r.pctOfPeak512 = 85.2
        XCTAssertEqual(r.ratio64VsKeras ?? 0, 2.5, accuracy: 1e-12)
        let byName = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.metric, $0) })
        XCTAssertEqual(byName["keras_samples_per_s_64"]?.value, "160000")
        XCTAssertEqual(byName["ratio_64_vs_keras"]?.value, "2.50")
        XCTAssertEqual(byName["ratio_64_vs_keras"]?.met, true)
        XCTAssertEqual(byName["pct_of_peak_512"]?.met, true)
        r.kerasSamplesPerSecond64 = 168_968   // the EPYC figure: 334,571 / 168,968 = 1.98x
        r.samplesPerSecond64 = 334_571
        r.pctOfPeak512 = 75.9
        XCTAssertEqual(byName.count, r.rows.count)
        XCTAssertEqual(r.rows.first { $0.metric == "ratio_64_vs_keras" }?.value, "1.98")
        XCTAssertEqual(r.rows.filter { $0.met == false }.map(\.metric), ["ratio_64_vs_keras", "pct_of_peak_512"])
        XCTAssertTrue(r.json.contains("\"ratio_64_vs_keras\":1.980"), r.json)
    }

    /// search_speedup is jobs-1 seconds over jobs-2 seconds of the same run, checked against 1.7 on 2 or more cores;
    /// with one core the target does not apply (status n/a) and a note says so. Without the probe there are no rows.
    func testSearchSpeedupRowsAndCoreNote() {
        var r = Benchmark.Result()
        XCTAssertFalse(r.rows.contains { $0.metric.hasPrefix("search") })
        XCTAssertFalse(r.json.contains("search_speedup"), r.json)
        r.cores = 2
        r.searchSecondsJobs1 = 15.3
        r.searchSecondsJobs2 = 9.0   // 15.3 / 9.0 = 1.70
        r.searchDescription = "4 candidates x 3 folds = 12 fits + 1 refit"
        var byName = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.metric, $0) })
        XCTAssertEqual(byName["search_speedup"], .init(metric: "search_speedup", value: "1.70", target: ">= 1.7", met: true))
        XCTAssertEqual(byName["search_s_jobs1"]?.value, "15.30")
        XCTAssertEqual(byName["search_s_jobs2"]?.value, "9.00")
        XCTAssertTrue(r.json.contains("\"search_s_jobs1\":15.300,\"search_s_jobs2\":9.000,\"search_speedup\":1.700,"), r.json)
        XCTAssertTrue(r.json.contains("\"cores\":2"), r.json)
        XCTAssertFalse(r.table.contains("fewer than 2"), r.table)
        r.searchSecondsJobs2 = 10.0  // 1.53
        byName = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.metric, $0) })
        XCTAssertEqual(byName["search_speedup"]?.met, false)
        XCTAssertTrue(r.table.contains("\nsearch_speedup                  1.53   >= 1.7     MISSED"), r.table)
        r.cores = 1
        byName = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.metric, $0) })
        XCTAssertNil(byName["search_speedup"]?.met)
        XCTAssertTrue(r.table.contains("search_speedup                  1.53   >= 1.7     n/a"), r.table)
        XCTAssertTrue(r.table.contains("note: this machine has 1 core, fewer than 2"), r.table)
    }

    /// The one-core 64-64 figure gives how much one fit gains from all cores (500,000 / 286,000 = 1.75 on 2 cores),
    /// and so the most --jobs 2 can gain over --jobs 1: 2 / 1.75 = 1.14, said under the table; without a one-core
    /// figure neither is shown as a number.
    func testFitSpeedupBoundsSearchSpeedup() {
        var r = Benchmark.Result()
        r.samplesPerSecond64 = 500_000
        XCTAssertEqual(r.rows.first { $0.metric == "fit_speedup_64" }?.value, "not measured")
        XCTAssertTrue(r.json.contains("\"samples_per_s_64_one_core\":null,\"fit_speedup_64\":null"), r.json)
        r.samplesPerSecond64OneCore = 286_000
        r.cores = 2
        r.searchSecondsJobs1 = 6.6
        r.searchSecondsJobs2 = 6.4
        XCTAssertEqual(r.fitSpeedup64 ?? 0, 1.748, accuracy: 0.001)
        XCTAssertEqual(r.searchSpeedupBound ?? 0, 1.144, accuracy: 0.001)
        XCTAssertEqual(r.rows.first { $0.metric == "fit_speedup_64" }?.value, "1.75")
        XCTAssertEqual(r.rows.first { $0.metric == "samples_per_s_64_one_core" }?.value, "286000")
        XCTAssertTrue(r.table.contains("at most 2 / 1.75 = 1.14x sooner than --jobs 1"), r.table)
        XCTAssertTrue(r.json.contains("\"samples_per_s_64_one_core\":286000,\"fit_speedup_64\":1.748"), r.json)
    }

    /// A --keras-python that does not exist or cannot import Keras is a clear error naming the flag.
    func testKerasReferenceErrorsNameTheFlag() throws {
        XCTAssertThrowsError(try KerasReference(python: "/nonexistent/venv/bin/python").check()) { e in
            XCTAssertEqual("\(e)", "--keras-python: /nonexistent/venv/bin/python: no such executable (expected the "
                           + "python of a virtual environment with keras and jax, e.g. /path/to/venv/bin/python)")
        }
        // /bin/false runs but fails, as a python without keras would.
        XCTAssertThrowsError(try KerasReference(python: "/bin/false").check()) { e in
            XCTAssertTrue("\(e)".hasPrefix("--keras-python: /bin/false failed (status 1)"), "\(e)")
        }
    }

    /// The samples handed to Keras are exactly the engine's: gathered floats and one-hot targets, row-major float32.
    func testKerasExportWritesTheEngineSamples() throws {
        let dir = try makeTemporaryDirectory(self)
        let data = try Dataset(features: .bytes([0, 255, 51, 102, 1, 2], scale: 1 / 255), featureCount: 2,
                               targets: .classes([2, 0, 1], classCount: 3))
        try KerasReference.export(data, width: 3, x: dir.path + "/x", y: dir.path + "/y")
        func floats(_ p: String) throws -> [Float] {
            let d = try Data(contentsOf: URL(fileURLWithPath: p))
            return d.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        // Pixels times the data set's scale, in Float as the engine's gather computes them.
        XCTAssertEqual(try floats(dir.path + "/x"), [0, 255, 51, 102, 1, 2].map { Float($0) * (1 / 255 as Float) })
        XCTAssertEqual(try floats(dir.path + "/x")[2], 0.2, accuracy: 1e-7)
        XCTAssertEqual(try floats(dir.path + "/y"), [0, 0, 1, 1, 0, 0, 0, 1, 0])
    }
}

/// The defaults come from the option table (`RunConfiguration.fields`); these are the tutorial's, written out by hand.
final class TableDefaultsTests: XCTestCase {
    func testDefaultsAreTheTutorials() {
        var c = RunConfiguration()
        c.data = "fashion-mnist"; c.epochs = 60; c.batchSize = 128; c.hidden = "64,64"; c.dropout = 0.1
        c.activation = "relu"; c.`init` = "glorot_uniform"; c.loss = "categorical_crossentropy"
        c.optimizer = "sgd"; c.momentum = 0.8; c.nesterov = false
        c.validationSplit = 0; c.seed = 1; c.headless = false; c.saveBestOnly = false; c.monitor = "val_loss"
        c.terminateOnNan = true; c.exitWhenDone = false; c.dropMissing = false; c.normalize = false
        XCTAssertEqual(RunConfiguration.defaults, c)
        XCTAssertNil(RunConfiguration.defaults.lr, "per optimizer, chosen by TrainingPlan")
        XCTAssertNil(RunConfiguration.defaults.decay, "per optimizer, chosen by TrainingPlan")
    }

    func testHelpShowsTheDefault() {
        XCTAssertEqual(RunConfiguration.field("epochs")?.help, "Epochs to train, >= 1 (default 60).")
        XCTAssertEqual(RunConfiguration.field("dropout")?.defaultText, "0.1")
        XCTAssertEqual(RunConfiguration.field("terminate-on-nan")?.defaultText, "on")
        XCTAssertNil(RunConfiguration.field("lr")?.defaultText)
        XCTAssertTrue(RunConfiguration.field("init")?.help.hasPrefix("Kernel initializer: glorot_uniform (default,") ?? false)
    }

    func testOnlyHiddenAcceptsAList() {
        XCTAssertEqual(RunConfiguration.fields.filter(\.acceptsList).map(\.key), ["hidden"])
    }
}
