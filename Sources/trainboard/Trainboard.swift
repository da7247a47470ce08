import ArgumentParser
import Foundation
import SafeIO
import NeuralEngine
import TrainboardKit

@main
struct Trainboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainboard",
        abstract: "Train Keras-style neural networks in the terminal and steer them live.",
        discussion: """
        With no subcommand, `trainboard` runs `train` with the tutorial's defaults on Fashion-MNIST and opens the \
        dashboard (or prints one line per epoch when stdout is not a terminal or with --headless).
        Exit status: 0 on success, 1 on a training failure, 2 on bad input (flags, config, data, theme), \
        128+N when stopped by signal N.
        """,
        version: TrainboardInfo.version,
        subcommands: [Train.self, Attach.self, ListRuns.self, Search.self, FitTrial.self, Replay.self, Compare.self, Evaluate.self, Predict.self, Convert.self, Bench.self,
                      Themes.self, Info.self],
        defaultSubcommand: Train.self)

    /// ArgumentParser's `main()` with two changes that keep the documented interface:
    /// - `trainboard --help` (`-h`, `help`) also shows the options of `train`, the default subcommand, which are the
    ///   flags people type after `trainboard` (ArgumentParser alone would list only the subcommands there);
    /// - a command-line parse error (unknown flag, missing or malformed value) exits with status 2, like every
    ///   other kind of bad input, instead of ArgumentParser's 64 (EX_USAGE).
    static func main() {
        let arguments = listenDefaulted(Array(CommandLine.arguments.dropFirst()))
        if arguments == ["--help"] || arguments == ["-h"] || arguments == ["help"] {
            print(helpMessage())
            print("OPTIONS OF `trainboard train` (the default subcommand):\n")
            print(helpMessage(for: Train.self))
            return
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if exitCode(for: error).rawValue == ExitCode.validationFailure.rawValue {
                StandardError.write(fullMessage(for: error) + "\n")
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// `--listen` takes an optional value: given alone (last, or before another option), it means `--listen=auto`.
func listenDefaulted(_ arguments: [String]) -> [String] {
    var out: [String] = []
    for (i, a) in arguments.enumerated() {
        if a == "--" { out += arguments[i...]; break }
        if a == "--listen", i + 1 == arguments.count || arguments[i + 1].hasPrefix("-") {
            out.append("--listen=auto")
        } else {
            out.append(a)
        }
    }
    return out
}

/// Prints `message` to standard error with the program's prefix.
func printError(_ message: String) {
    StandardError.write("trainboard: \(message)\n")
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the BLAS library, data locations and version.")
    func run() throws {
        print("trainboard \(TrainboardInfo.version)")
        print("BLAS: \(Sequential.blasDescription)")
        print("Fashion-MNIST: \(TrainboardInfo.fashionMNISTLocation)")
        print("Keras cache: \(TrainboardInfo.kerasCache)")
    }
}
