import Dashboard
import Foundation
import NeuralEngine
import TerminalUI
@testable import TrainboardKit
import XCTest

/// The whole dashboard app (`DashboardLoop` + `InProcessTrainer` + `DashboardView`) driven through the in-memory
/// `ScriptedScreen`: a real fit on a Fashion-MNIST subset, steered with keys, checked through the channel, the files
/// and the summary. Steps wait on the channel's state (not on fixed sleeps).
final class DashboardLoopTests: XCTestCase {
    /// 2,000 training images (32 batches of 64), a 784-32-10 SGD model at lr 0.1 without decay (so the applied rate
    /// is exactly the base rate), far more epochs than the test lets run.
    func makeTrainer(dir: URL) throws -> InProcessTrainer {
        var c = RunConfiguration()
        c.data = "fashion-mnist"
        c.maxSamples = 2000
        c.epochs = 10_000
        c.batchSize = 64
        c.hidden = "32"
        c.optimizer = "sgd"
        c.lr = 0.1
        c.decay = 0
        c.seed = 3
        c.csvLog = dir.appendingPathComponent("log.csv").path
        c.journal = dir.appendingPathComponent("journal.jsonl").path
        let run = try TrainingRun.prepare(try TrainingPlan(c))
        return InProcessTrainer(run: run, stamp: "test")
    }

    func testPauseLearningRateCheckpointStopAndQuitThroughTheWholeApp() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: fashionMNISTDirectory), "Fashion-MNIST not installed")
        let dir = try makeTemporaryDirectory(self)
        let trainer = try makeTrainer(dir: dir)
        XCTAssertEqual(trainer.checkpointDirectory, dir.path, "manual checkpoints go next to the CSV log")
        let channel = trainer.channel
        var pausedAt = -1, rateBefore = Double.nan, checkpoint: String?
        var checks: [String] = []
        weak var weakScreen: ScriptedScreen?
        let screen = ScriptedScreen(columns: 120, rows: 40, channel: channel, script: [
            .waitUntil("training runs", { $0.updates >= 5 }),
            .key(.char("p")),
            .waitUntil("paused", { $0.status == .paused }),
            .run {
                let s = channel.snapshot()
                pausedAt = s.updates
                rateBefore = s.learningRate
            },
            .key(.char("+")),
            // The paused trainer applies the command in its wait loop: an event proves it ran while paused.
            .waitUntil("lr change applied", { $0.events.contains { $0.kind == .learningRate } }),
            .run {
                let s = channel.snapshot()
                if s.updates != pausedAt { checks.append("updates advanced while paused: \(pausedAt) -> \(s.updates)") }
                if s.learningRate != rateBefore * 1.25 { checks.append("lr \(s.learningRate), expected \(rateBefore * 1.25)") }
                if !(weakScreen?.frames.contains { ScriptedScreen.text($0).contains("PAUSED") } ?? false) {
                    checks.append("no frame showed PAUSED")
                }
            },
            .key(.char("c")),
            .waitUntil("checkpoint written", { $0.lastCheckpointPath != nil }),
            .run { checkpoint = channel.snapshot().lastCheckpointPath },
            .key(.char("p")),
            .waitUntil("resumed and trained 3 more updates", { $0.status == .running && $0.updates >= pausedAt + 3 }),
            .key(.char("s")),
            .waitUntil("stopped", { $0.status.isTerminal }),
            .repaint,  // a frame of the finished run for certain (q leaves without drawing)
            .key(.char("q")),
        ])
        weakScreen = screen
        let ending = DashboardLoop.run(screen: screen, channel: channel, source: trainer, themes: [.dark])

        XCTAssertEqual(ending, .quit(skipSummary: false))
        XCTAssertEqual(screen.failures, [])
        XCTAssertFalse(screen.exhausted, "the script's q ended the loop")
        XCTAssertTrue(screen.stopped)
        XCTAssertTrue(trainer.isDone)
        XCTAssertEqual(checks, [])
        XCTAssertGreaterThanOrEqual(pausedAt, 5)
        XCTAssertEqual(rateBefore, 0.1)

        // The applied rate per update (the chart's series): 0.1 up to the pause, 0.125 from the next update on.
        let applied = channel.snapshot().batchLearningRate
        XCTAssertGreaterThanOrEqual(applied.count, pausedAt + 3)
        XCTAssertEqual(applied[pausedAt - 1], 0.1, accuracy: 1e-12)
        XCTAssertEqual(applied[pausedAt], 0.125, accuracy: 1e-12)
        XCTAssertEqual(applied[pausedAt + 2], 0.125, accuracy: 1e-12)

        // The manual checkpoint holds the weights of the pause's batch boundary.
        let expectedPath = dir.path + "/manual-epoch\(pausedAt / 32 + 1)-update\(pausedAt).keras"
        XCTAssertEqual(checkpoint, expectedPath)
        let saved = try Sequential.load(from: expectedPath)
        XCTAssertEqual(saved.metadata.iterations, pausedAt)
        XCTAssertEqual(saved.metadata.reason, "manual checkpoint")

        // The journal: every manual action at the update it took effect, in order.
        let entries = try ControlJournal.read(dir.appendingPathComponent("journal.jsonl").path)
        XCTAssertEqual(entries.map(\.action), ["pause", "lr_scale", "checkpoint", "resume", "stop"])
        XCTAssertEqual(entries.prefix(4).map(\.update), [pausedAt, pausedAt, pausedAt, pausedAt])
        XCTAssertEqual(entries[1].factor, 1.25)
        XCTAssertEqual(entries[1].learningRate ?? .nan, 0.125, accuracy: 1e-12)
        XCTAssertEqual(entries[2].path, expectedPath)
        let stoppedAt = entries[4].update
        XCTAssertGreaterThanOrEqual(stoppedAt, pausedAt + 3)

        // The outcome and the summary the command prints.
        let outcome = try XCTUnwrap(trainer.outcome)
        let epochs = outcome.epochs.count
        XCTAssertEqual(outcome.reason, "stopped by the user after \(epochs) epoch\(epochs == 1 ? "" : "s")")
        XCTAssertEqual(outcome.errors, [])
        let report = trainer.report(skipSummary: false)
        XCTAssertNil(report.error)
        XCTAssertTrue(report.summary.first?.hasPrefix("Training \(outcome.reason) in ") ?? false, "\(report.summary)")
        let finalPath = dir.path + "/final-epoch\(stoppedAt / 32 + 1)-update\(stoppedAt).keras"
        XCTAssertEqual(report.summary.suffix(2), ["Final checkpoint: \(finalPath)",
                                                  "Resume with: trainboard train --resume \(finalPath)"])
        XCTAssertEqual(try Sequential.load(from: finalPath).metadata.iterations, stoppedAt)
        // The final checkpoint is resumable at the batch boundary where the stop was handled (32 batches per epoch).
        let state = try XCTUnwrap(try ModelFile.read(finalPath).trainingState)
        XCTAssertEqual(state.iterations, stoppedAt)
        XCTAssertEqual(state.epoch * 32 + state.batchesDone, stoppedAt)
        XCTAssertFalse(state.epochEnded)
        // The manual checkpoint too, at the update it was taken.
        XCTAssertEqual(try ModelFile.read(expectedPath).trainingState?.iterations, pausedAt)
        XCTAssertEqual(trainer.report(skipSummary: true).summary, [])
        XCTAssertTrue(screen.lastFrameText.contains("FINISHED: \(outcome.reason)"), screen.lastFrameText)
    }

    /// A signal stops the trainer (final checkpoint written) and ends the loop with the signal.
    func testSignalStopsTheTrainerAndEndsTheLoop() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: fashionMNISTDirectory), "Fashion-MNIST not installed")
        let dir = try makeTemporaryDirectory(self)
        let trainer = try makeTrainer(dir: dir)
        let screen = ScriptedScreen(channel: trainer.channel, script: [
            .waitUntil("training runs", { $0.updates >= 2 }), .signal(15),
        ])
        let ending = DashboardLoop.run(screen: screen, channel: trainer.channel, source: trainer, themes: [.dark])
        XCTAssertEqual(ending, .signal(15))
        XCTAssertTrue(screen.stopped)
        XCTAssertTrue(trainer.isDone)
        XCTAssertEqual(try ControlJournal.read(dir.appendingPathComponent("journal.jsonl").path).map(\.action), ["stop"])
        XCTAssertTrue(trainer.outcome?.reason.hasPrefix("stopped by the user") ?? false)
    }

    /// A read-only source (a finished run's files): the steering keys send nothing and say why, the hints say
    /// "read-only", one `q` leaves.
    func testReadOnlySourceDisablesSteeringKeys() {
        var s = TrainingSnapshot()
        s.status = .finished("replayed")
        s.epochs = 2
        s.epochMetrics = ["loss": [0.9, 0.5], "val_loss": [1.0, 0.7]]
        let channel = TrainingChannel(s)
        var hintLines: [String] = []
        weak var weakScreen: ScriptedScreen?
        let keys: [Character] = ["p", " ", "c", "s", "+", "=", "-", "_", "l"]
        let steps: [ScriptedScreen.Step] = keys.flatMap { k -> [ScriptedScreen.Step] in
            // After each key, the frame drawn for it (the bottom row is the hint line).
            [.key(.char(k)), .key(.char("?")), .key(.escape),
             .run { hintLines.append(weakScreen?.lastFrameText.split(separator: "\n").last.map(String.init) ?? "") }]
        }
        let screen = ScriptedScreen(columns: 100, rows: 30, channel: channel, script: steps + [.key(.char("q"))])
        weakScreen = screen
        var loop = DashboardLoop(screen: screen, channel: channel,
                                 source: FinishedRunSource(info: RunSourceInfo(name: "replay", canSteer: false)),
                                 themes: [.dark])
        XCTAssertEqual(loop.run(), .quit(skipSummary: false))
        XCTAssertFalse(screen.exhausted, "one q left")
        XCTAssertFalse(channel.hasCommands, "nothing was sent to a read-only source")
        XCTAssertNil(loop.state.lrInput, "l did not open the learning-rate prompt")
        XCTAssertEqual(hintLines.count, keys.count)
        for line in hintLines {
            XCTAssertTrue(line.hasPrefix("read-only: a finished run cannot be steered")
                          || line.hasPrefix("p c s +/- l: off (read-only)"), line)
            XCTAssertFalse(line.contains("pause") || line.contains("ckpt"), line)
        }
    }

    /// A source with `detachOnQuit` (an attached run): the loop passes the flag to the view, whose hint line and help
    /// say "q: detach" (not "quit (stops training first)"), and the first `q` leaves without a command to the run.
    func testDetachingSourceShowsDetachHints() {
        var s = TrainingSnapshot()
        s.status = .running
        s.epochs = 5
        let channel = TrainingChannel(s)
        var hint = "", help = ""
        weak var weakScreen: ScriptedScreen?
        let screen = ScriptedScreen(columns: 100, rows: 30, channel: channel, script: [
            .key(.char("t")), .key(.char("t")),
            .run { hint = weakScreen?.lastFrameText.split(separator: "\n").last.map(String.init) ?? "" },
            .key(.char("?")),
            .run { help = weakScreen?.lastFrameText ?? "" },
            .key(.escape),
            .key(.char("q")),
        ])
        weakScreen = screen
        var loop = DashboardLoop(screen: screen, channel: channel,
                                 source: FinishedRunSource(info: RunSourceInfo(name: "attached", canSteer: true,
                                                                               detachOnQuit: true)),
                                 themes: [.dark])
        XCTAssertEqual(loop.run(), .quit(skipSummary: true))
        XCTAssertTrue(loop.state.detachOnQuit)
        XCTAssertTrue(hint.contains("q: detach"), hint)
        XCTAssertFalse(hint.contains("quit"), hint)
        XCTAssertTrue(help.contains("detach (the run goes on"), help)
        XCTAssertFalse(help.contains("stops training first"), help)
        XCTAssertFalse(channel.hasCommands, "q sent nothing to the run")
    }

    /// The reducer: a read-only state refuses every steering key with a message, and `q` leaves at once, even while
    /// the source is still running.
    func testReducerRefusesSteeringWhenReadOnly() {
        for k: Character in ["p", " ", "c", "s", "+", "=", "-", "_", "l"] {
            var st = DashboardState()
            st.canSteer = false
            XCTAssertEqual(DashboardReducer.reduce(&st, key: .char(k), status: .running, themeCount: 1), [], "\(k)")
            XCTAssertEqual(st.message, "read-only: a finished run cannot be steered")
            XCTAssertNil(st.lrInput)
        }
        var st = DashboardState()
        st.canSteer = false
        XCTAssertEqual(DashboardReducer.reduce(&st, key: .char("q"), status: .running, themeCount: 1), [.exit])
        var steer = DashboardState()
        XCTAssertEqual(DashboardReducer.reduce(&steer, key: .char("p"), status: .running, themeCount: 1),
                       [.command(.togglePause)], "a steerable source still gets the command")
    }

    /// Another view (e.g. a comparison of runs) through the same loop: the renderer gets the initial state as given,
    /// then the state as keys change it; resizes change the frame size.
    func testCustomRendererAndInitialState() {
        let channel = TrainingChannel(TrainingSnapshot())
        var initial = DashboardState()
        initial.chartView = .recent
        var seen: [(ChartView, Int, Int)] = []
        let screen = ScriptedScreen(columns: 50, rows: 10, channel: channel,
                                    script: [.key(.tab), .resize(columns: 30, rows: 6), .key(.char("q"))])
        let ending = DashboardLoop.run(screen: screen, channel: channel,
                                       source: FinishedRunSource(info: RunSourceInfo(name: "compare", canSteer: false)),
                                       themes: [.dark], state: initial) { _, state, _, _, buffer in
            seen.append((state.chartView, buffer.area.width, buffer.area.height))
            buffer.write("CUSTOM", x: 0, y: 0)
        }
        XCTAssertEqual(ending, .quit(skipSummary: false))
        // The first frame follows the first input (Tab): from the given .recent it is .perBatch (from the default
        // .whole it would be .recent); the second follows the resize.
        XCTAssertEqual(seen.map(\.0), [.perBatch, .perBatch])
        XCTAssertEqual(seen.map(\.1), [50, 30])
        XCTAssertEqual(seen.map(\.2), [10, 6])
        XCTAssertTrue(screen.lastFrameText.hasPrefix("CUSTOM"))
    }
}
