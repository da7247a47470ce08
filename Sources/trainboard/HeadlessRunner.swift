import ArgumentParser
import Foundation
import NCursesBackend
import NeuralEngine
import TrainboardKit

/// Runs training on the calling thread without curses, printing Keras verbose=2 lines. SIGINT/SIGTERM/SIGHUP stop
/// training gracefully at the next batch (finished epochs are already logged and flushed), then the process exits
/// 128 + signal.
struct HeadlessRunner {
    let trainingRun: TrainingRun

    /// Stops training when a signal is pending.
    final class SignalStop: Callback {
        override func onTrainBatchEnd(_ batch: Int, logs: Logs) {
            if SignalTrap.pendingSignal() != nil { model?.stopTraining = true }
        }
    }

    func run() throws {
        SignalTrap.install()
        let run = trainingRun
        let p = run.plan
        print("Trainboard \(TrainboardInfo.version) — \(run.dataDescription)")
        let model = run.startModel.map { "\($0.summary.split(separator: ";").first ?? "") from \(p.from ?? "")" }
            ?? p.modelDescription(inputs: run.train.featureCount, outputs: run.outputUnits)
        print("Model: \(model); loss \(p.loss.rawValue); optimizer \(p.optimizerDescription); batch \(p.batchSize); seed \(p.seed)")
        print("BLAS: \(Sequential.blasDescription)")
        if let r = run.resumePoint {
            let s = r.state
            print("Resuming \(r.path): epoch \(s.resumeEpoch + 1)\(s.isMidEpoch ? ", batch \(s.batchesDone + 1)" : ""), update \(s.iterations + 1), \(s.history.count) earlier epoch\(s.history.count == 1 ? "" : "s")")
        }
        let reporter = EpochLineReporter(epochs: p.epochs, stepsPerEpoch: run.stepsPerEpoch)
        if let address = p.listen {
            try runListening(address, reporter: reporter)
            return
        }
        let outcome: RunOutcome
        do {
            // Errors are reported once, at the end ("error: training failed: ..."); other messages follow their epoch.
            outcome = try run.execute(extraCallbacks: [SignalStop(), reporter], onMessage: { message in
                if message.severity != .error { reporter.message(message.description) }
            })
        } catch {
            printError("error: training failed: \(error)")
            throw ExitCode(1)
        }
        print(outcome.summaryLines.joined(separator: "\n"))
        if !outcome.errors.isEmpty {
            printError("error: training failed: \(outcome.errors.joined(separator: "; "))")
            throw ExitCode(1)
        }
        if let sig = SignalTrap.pendingSignal() {
            // The finished epochs are in the last checkpoint: say how to continue from it.
            if let path = outcome.lastResumableCheckpoint { print("Resume with: \(ResumePlan.command(path))") }
            printError("stopped by signal \(sig)")
            throw ExitCode(SignalTrap.exitStatus(for: sig))
        }
    }

    /// `--listen`: the trainer on its own thread with the dashboard's callback (so that attached clients can steer it
    /// through the same commands as the dashboard's keys), the epoch lines as without `--listen`.
    /// `observer`, and a line on stdout as each command takes effect ("trainboard: steered: paused at update 584"):
    /// the one running headless sees what an attached dashboard did. Called on the trainer's thread, or for a
    /// checkpoint on the writer's; one `print` per line.
    static func announcing(_ observer: @escaping CommandObserver) -> CommandObserver {
        { command in
            let ack = observer(command)
            let name = AttachBridge.name(of: command)
            return { outcome in
                ack(outcome)
                print(outcome.ok ? "trainboard: steered: \(outcome.message)"
                                 : "trainboard: steering refused: \(name): \(outcome.message)")
                fflush(nil)
            }
        }
    }

    private func runListening(_ address: AttachAddress, reporter: EpochLineReporter) throws {
        let bridge = AttachBridge()
        // The reporter is used on the trainer's thread only (its callbacks and these messages).
        struct TrainerThreadOnly: @unchecked Sendable { let reporter: EpochLineReporter }
        let box = TrainerThreadOnly(reporter: reporter)
        let trainer = InProcessTrainer(run: trainingRun, extraCallbacks: [SignalStop(), reporter],
                                       beforeChannelCallback: [bridge.publisher],
                                       onMessage: { message in
                                           if message.severity != .error { box.reporter.message(message.description) }
                                       }, commandObserver: Self.announcing(bridge.commandObserver))
        try startListening(bridge, address: address, channel: trainer.channel)
        trainer.start()
        var stopSent = false
        while !trainer.isDone {
            // A signal also ends a pause (SignalStop alone would wait for the next batch).
            if !stopSent, SignalTrap.pendingSignal() != nil { trainer.channel.send(.stop); stopSent = true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let outcome = trainer.outcome
        bridge.finish(reason: outcome?.reason ?? "failed: \(trainer.error ?? "unknown error")")
        if let e = trainer.error {
            printError("error: training failed: \(e)")
            throw ExitCode(1)
        }
        let report = trainer.report(skipSummary: false)
        if let o = outcome { print(o.summaryLines.joined(separator: "\n")) }
        if let error = report.error {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        if let sig = SignalTrap.pendingSignal() {
            if let path = outcome?.lastResumableCheckpoint { print("Resume with: \(ResumePlan.command(path))") }
            printError("stopped by signal \(sig)")
            throw ExitCode(SignalTrap.exitStatus(for: sig))
        }
    }
}
