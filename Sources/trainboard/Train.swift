import ArgumentParser
import Datasets
import Dashboard
import Foundation
import NCursesBackend
import TrainboardKit

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a Sequential MLP (the default command).",
        discussion: """
        Defaults are the Keras tutorial's: 784-64-Dropout(0.1)-64-10, relu, softmax, categorical cross-entropy, \
        SGD lr 0.1, momentum 0.8, decay 0.0016, batch 128, 60 epochs, validation on the test split (adam, rmsprop \
        and adagrad default to lr 0.001 and decay 0); kernels start from glorot_uniform, Keras's default for Dense \
        (--init uniform gives the tutorial's Keras 2 U(-0.05, 0.05)).
        In a terminal this opens the dashboard; with --headless, when stdout is not a terminal, or when the \
        terminal cannot move the cursor (TERM=dumb, an unknown TERM; a notice says so on stderr), it prints one \
        line per epoch in Keras's verbose=2 style.
        """)

    @OptionGroup var options: TrainOptions

    func run() throws {
        let plan: TrainingPlan
        let run: TrainingRun
        let theme: ResolvedTheme
        let flags = options.configuration
        var fileConfig = RunConfiguration()
        var headless = !Terminal.isInteractive
        do {
            do {
                if let path = options.config { fileConfig = try ConfigFile.load(path) }
                // --resume: options not given are the checkpoint's (ResumePlan).
                plan = try TrainingPlan(try ResumePlan.fill(flags.over(fileConfig)))
                if plan.headless { headless = true }
                theme = try ResolvedTheme.load(plan.theme)
                for w in theme.warnings { printError(w) }
                // A terminal that cannot draw the dashboard (TERM=dumb, no terminfo entry) gets the headless lines.
                if !headless, let problem = Terminal.unsupportedTerminal() {
                    printError("notice: \(problem); one line per epoch instead of the dashboard, as with --headless")
                    headless = true
                }
                let interactive = !headless
                if !interactive { printError("loading \(plan.dataSpec) ...") }
                let lossExplicit = flags.over(fileConfig).loss != nil
                run = try TrainingRun.prepare(plan, lossExplicit: lossExplicit, log: { printError($0) })
            } catch let e as JournalError {
                throw ConfigurationError(e)
            }
        } catch let e as ConfigurationError {
            let blamed = options.config.map { e.attributed(flags: flags, file: fileConfig, path: $0) } ?? e
            printError("error: \(blamed)"); throw ExitCode(2)
        } catch let e as DataError {
            // A data source named in the config file (not on the command line) is blamed on the file.
            if let path = options.config, flags.data == nil, fileConfig.data != nil {
                printError("error: \(path): data: \(e)"); throw ExitCode(2)
            }
            printError("error: \(e)"); throw ExitCode(2)
        }
        // The dashboard writes a final checkpoint; a headless resumed run without --checkpoint keeps nothing.
        if headless, let warning = ResumePlan.missingCheckpointWarning(plan) { printError(warning) }
        if headless {
            try HeadlessRunner(trainingRun: run).run()
        } else {
            try DashboardApp(trainingRun: run, theme: theme, exitWhenDone: plan.exitWhenDone).run()
        }
    }
}
