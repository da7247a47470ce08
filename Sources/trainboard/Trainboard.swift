import ArgumentParser
import Foundation
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
        subcommands: [Train.self, Bench.self, Themes.self, Info.self],
        defaultSubcommand: Train.self)
}

/// Prints `message` to standard error with the program's prefix.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("trainboard: \(message)\n".utf8))
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
