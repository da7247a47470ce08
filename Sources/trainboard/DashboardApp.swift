import ArgumentParser
import Dashboard
import Foundation
import NCursesBackend
import NeuralEngine
import Synchronization
import TerminalUI
import TrainboardKit

/// What the trainer thread leaves for the UI thread when it ends.
final class TrainerResult: Sendable {
    let done = Atomic<Bool>(false)
    let outcome = Mutex<RunOutcome?>(nil)
    let error = Mutex<String?>(nil)
}

/// The interactive dashboard: the trainer on its own `Thread`, ncurses on the main thread, one `TrainingChannel`
/// between them (DESIGN.md, "Threads").
struct DashboardApp {
    let trainingRun: TrainingRun
    let theme: ResolvedTheme
    var exitWhenDone = false

    func run() throws {
        SignalTrap.install()
        let plan = trainingRun.plan
        let run = trainingRun
        let stamp = Self.timestamp()
        let logDir = [plan.csvLog, plan.logJSONL, plan.checkpoint].compactMap { $0 }.first
            .map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "trainboard-runs/\(stamp)"
        let journal = ControlJournalWriter(path: plan.journal ?? "\(logDir)/trainboard-journal-\(stamp).jsonl")
        let checkpointDir = plan.checkpoint.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? logDir

        var initial = TrainingSnapshot()
        initial.title = "Trainboard \(TrainboardInfo.version)"
        initial.dataDescription = run.dataDescription
        initial.modelDescription = plan.modelDescription(inputs: run.train.featureCount, outputs: run.outputUnits)
        initial.optimizerDescription = "\(plan.optimizerName) lr \(plan.learningRate)"
            + (plan.optimizerName == "sgd" ? " momentum \(plan.momentum)\(plan.nesterov ? " nesterov" : "")" : "")
            + " decay \(plan.decay) batch \(plan.batchSize)"
        initial.epochs = plan.epochs
        initial.stepsPerEpoch = run.stepsPerEpoch
        initial.batchSize = plan.batchSize
        initial.previews = run.previewImages()
        let channel = TrainingChannel(initial)
        let result = TrainerResult()

        let trainer = Thread {
            do {
                let outcome = try run.execute(onMessage: { message in
                    // Messages arrive as "severity: text" (CallbackMessage.description).
                    var kind = TrainingEvent.Kind.info
                    var text = message
                    for (prefix, k) in [("info: ", TrainingEvent.Kind.info), ("warning: ", .warning), ("error: ", .warning)]
                    where message.hasPrefix(prefix) {
                        kind = k
                        text = prefix == "error: " ? message : String(message.dropFirst(prefix.count))
                    }
                    channel.update { s in
                        s.events.append(TrainingEvent(kind: kind, epoch: max(0, s.epoch), update: s.updates,
                                                      time: s.elapsed, message: text))
                    }
                }, makeChannelCallback: { cbs in
                    Self.channelCallback(channel: channel, run: run, callbacks: cbs, journal: journal,
                                         checkpointDir: checkpointDir)
                })
                result.outcome.withLock { $0 = outcome }
                channel.update { s in
                    s.status = outcome.errors.isEmpty ? .finished(outcome.reason) : .failed(outcome.reason)
                    s.summary = Summary.lines(outcome) + s.summary
                }
            } catch {
                result.error.withLock { $0 = "\(error)" }
                channel.update { $0.status = .failed("\(error)") }
            }
            result.done.store(true, ordering: .releasing)
        }
        trainer.name = "trainboard-trainer"
        trainer.stackSize = 8 << 20

        let term = Terminal(options: TerminalOptions())
        do { try term.start() } catch {
            printError("error: cannot start the dashboard: \(error). Use --headless.")
            throw ExitCode(1)
        }
        trainer.start()

        var state = DashboardState()
        state.themeName = theme.themes.first?.name
        var lastVersion: UInt64 = .max
        var lastStats = ProcessStats.sample()
        var lastStatsTime = Date()
        var cpuPercent: Double?
        var needsRender = true
        var exitRequested = false
        let symbols: Symbols = term.isUTF8 && term.colorMode != .none ? .unicode : .ascii
        var lastFrame = Date.distantPast

        loop: while true {
            switch term.poll(timeoutMs: 100) {
            case .signal(let sig):
                channel.send(.stop)
                Self.wait(for: result, seconds: 10)
                term.stop()
                printError("stopped by signal \(sig)")
                throw ExitCode(SignalTrap.exitStatus(for: sig))
            case .key(let key):
                if key == .ctrl("l") { term.invalidate(); needsRender = true; break }
                guard let input = Self.input(key) else { break }
                let status = channel.snapshot().status
                let effects = DashboardReducer.reduce(&state, key: input, status: status, themeCount: theme.themes.count)
                if input == .char("t"), !theme.themes.isEmpty {
                    let name = theme.themes[state.themeIndex % theme.themes.count].name
                    state.themeName = name
                    state.message = "theme: \(name)"
                }
                needsRender = true
                for e in effects {
                    switch e {
                    case .command(let c): channel.send(c)
                    case .exit: exitRequested = true
                    case .redraw: term.invalidate()
                    }
                }
            case .resize:
                needsRender = true
            case .timeout:
                break
            }
            let done = result.done.load(ordering: .acquiring)
            // A failed run (an error thrown by the trainer, or a callback that could not write its file) leaves the
            // dashboard at once: the terminal is restored and the error printed after it.
            if done, result.error.withLock({ $0 }) != nil || !(result.outcome.withLock({ $0?.errors }) ?? []).isEmpty {
                break loop
            }
            if done && (state.quitRequested || exitWhenDone) { break loop }
            if exitRequested {
                if !done { channel.send(.stop); Self.wait(for: result, seconds: 30) }
                break loop
            }
            if Date().timeIntervalSince(lastStatsTime) >= 1, let now = ProcessStats.sample() {
                if let prev = lastStats {
                    cpuPercent = (now.cpuSeconds - prev.cpuSeconds) / Date().timeIntervalSince(lastStatsTime) * 100
                }
                lastStats = now
                lastStatsTime = Date()
                let rss = now.rssMiB, cpu = cpuPercent
                channel.update { s in s.rssMiB = rss; s.cpuPercent = cpu }
            }
            let version = channel.version
            // Input and resizes redraw at up to 30 frames/s; progress alone at up to 10 (the poll above wakes at most
            // every 100 ms when idle; a key ends it at once), because every wake-up and frame takes CPU time from
            // training on a machine whose cores are busy with BLAS (bench: dashboard_overhead_pct).
            let interval = needsRender ? 1.0 / 30 : 1.0 / 10
            if (version != lastVersion || needsRender) && Date().timeIntervalSince(lastFrame) >= interval {
                lastVersion = version
                needsRender = false
                lastFrame = Date()
                var buffer = term.makeBuffer()
                DashboardView(snapshot: channel.snapshot(), state: state,
                              theme: theme.themes[state.themeIndex % max(1, theme.themes.count)], symbols: symbols)
                    .render(into: &buffer)
                term.present(buffer)
            }
        }
        term.stop()
        Self.wait(for: result, seconds: 30)
        if let error = result.error.withLock({ $0 }) {
            printError("error: training failed: \(error)")
            throw ExitCode(1)
        }
        if !state.skipSummary {
            let snap = channel.snapshot()
            print(snap.summary.joined(separator: "\n"))
        }
        // A journal write that failed stopped the run (ChannelCallback): a failed run, with the path named.
        if let j = journal.lastError {
            printError("error: training failed: \(journal.path): cannot write the control journal: \(j)")
            throw ExitCode(1)
        }
        if let errors = result.outcome.withLock({ $0?.errors }), !errors.isEmpty {
            printError("error: training failed: \(errors.joined(separator: "; "))")
            throw ExitCode(1)
        }
    }

    static func wait(for result: TrainerResult, seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while !result.done.load(ordering: .acquiring) && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
    }

    static func input(_ key: Key) -> KeyInput? {
        switch key {
        case .char(let c): return .char(c)
        case .enter: return .enter
        case .escape: return .escape
        case .tab, .backTab: return .tab
        case .backspace, .delete: return .backspace
        case .up: return .up
        case .down: return .down
        case .left: return .left
        case .right: return .right
        case .resize: return .resize
        default: return nil
        }
    }

    static func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date())
    }

    /// The dashboard's callback for this run, wired to the other callbacks' state.
    static func channelCallback(channel: TrainingChannel, run: TrainingRun, callbacks cbs: RunCallbacks,
                                journal: ControlJournalWriter, checkpointDir: String) -> Callback {
        let plan = run.plan
        let steps = run.stepsPerEpoch
        // Manual and final checkpoints take --checkpoint's format when it names one, else Keras's .keras.
        let ext = plan.checkpoint.flatMap { ModelFormat(path: $0) }?.fileExtension ?? ModelFormat.keras.fileExtension
        return ChannelCallback(
            channel: channel, epochs: plan.epochs, stepsPerEpoch: steps, batchSize: plan.batchSize, journal: journal,
            checkpointPath: { epoch, update, final in
                "\(checkpointDir)/\(final ? "final" : "manual")-epoch\(epoch + 1)-update\(update)\(ext)"
            },
            planner: { from, optimizer in
                cbs.plannedRates(from: from, epochs: plan.epochs, stepsPerEpoch: steps, optimizer: optimizer)
            },
            epochObserver: { epoch, s in
                if let es = cbs.earlyStopping {
                    s.monitor = es.monitor
                    s.bestEpoch = es.bestEpoch
                    s.bestValue = es.bestValue
                    s.patience = es.patience
                    s.patienceLeft = es.patienceLeft
                } else if let ck = cbs.checkpoint {
                    s.monitor = ck.monitor
                    s.bestValue = ck.bestValue
                }
                if let ck = cbs.checkpoint, let p = ck.lastSavedPath {
                    // ModelCheckpoint's own message ("Epoch N: saving model to ...") is already in the event list.
                    s.lastCheckpointPath = p
                    s.lastCheckpointEpoch = ck.lastSavedEpoch
                }
                if let rp = cbs.plateau, let r = rp.reductions.last, r.epoch == epoch {
                    s.events.append(TrainingEvent(kind: .plateau, epoch: epoch, update: s.updates, time: s.elapsed,
                                                  message: String(format: "ReduceLROnPlateau: %.4g -> %.4g", r.oldRate, r.newRate)))
                }
                if let es = cbs.earlyStopping, es.stoppedEpoch == epoch {
                    s.events.append(TrainingEvent(kind: .earlyStop, epoch: epoch, update: s.updates, time: s.elapsed,
                                                  message: "EarlyStopping: no improvement in \(es.patience) epochs"))
                }
            })
    }
}
