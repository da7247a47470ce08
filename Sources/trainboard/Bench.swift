import ArgumentParser
import Foundation
import SafeIO
import TrainboardKit

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training speed, GEMM peak, memory and start-up (build with -c release).",
        discussion: """
        Trains the 64-64 and 512-512 MLPs on Fashion-MNIST (batch 128) and reports samples/s, the share of the \
        same-run GEMM peak the 512-512 model reaches, peak RSS, the time from process start to the first finished \
        batch, and the cost of one dashboard frame holding 10^6 points. With --keras-python, the same 64-64 model, \
        optimizer, batch size and samples are also trained by Keras 3 on the JAX backend right after the engine, for as \
        many epochs (at least 3: Keras's first compiles), and \
        the table shows the ratio (target >= 2.5x); without it the ratio row says "not measured". \
        The 64-64 model is also trained on one core (samples_per_s_64_one_core; fit_speedup_64 = all cores / one \
        core). search_speedup: the same small search (\(SearchProbe.summary)) run with --jobs 1 and with --jobs 2 in this \
        run, each fit its own process; the ratio of the wall times (target >= 1.7 on 2 cores; the output says when the \
        machine has fewer; a --jobs 1 fit that already uses every core bounds it to cores / fit_speedup_64, printed \
        under the table). --search-epochs sizes it (about 10-20 s at --jobs 1 with the default); 0 skips it.
        """)

    @Flag(help: "Print one JSON object on stdout; progress and the table go to stderr.") var json = false
    @Option(help: "Epochs per model, for Trainboard and for Keras alike (the best epoch counts: on a shared or virtual machine single epochs can vary by 20 %).") var epochs = 5
    @Option(help: "Data set.") var data = "fashion-mnist"
    @Option(help: ArgumentHelp(
        "Also train the 64-64 model with Keras 3 on JAX using this Python (a venv with keras and jax), right after the engine, and report the speed ratio.",
        valueName: "python")) var kerasPython: String?
    @Option(name: .customLong("search-epochs"), parsing: .unconditional,
            help: "Epochs per fit of the search_speedup search (0 skips it).") var searchEpochs = SearchProbe.defaultEpochs

    func run() throws {
        var b = Benchmark()
        b.epochs = epochs
        b.dataSpec = data
        let toStandardError = json
        b.log = { printLine($0, toStandardError: toStandardError) }
        let dataSpec = data
        b.dashboardProbe = {
            let r = try DashboardProbe.measure(arguments: ["--data", dataSpec, "--epochs", "8", "--seed", "1"])
            return (dashboard: r.dashboard, headless: r.headless)
        }
        guard (1...1000).contains(epochs) else {
            printError("error: --epochs: expected 1...1000, got \(epochs)")
            throw ExitCode(2)
        }
        guard (0...100_000).contains(searchEpochs) else {
            printError("error: --search-epochs: expected 0...100000, got \(searchEpochs)")
            throw ExitCode(2)
        }
        if searchEpochs > 0 {
            let epochs = searchEpochs
            b.searchProbe = { try SearchProbe.measure(data: dataSpec, epochs: epochs) }
        }
        if let python = kerasPython {
            let reference = KerasReference(python: python, epochs: max(3, epochs))
            do {
                try reference.checkExecutable()
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            b.keras = reference
        }
        let r: Benchmark.Result
        do { r = try b.run() } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        // With --json, stdout carries only the JSON object (for pipes); the table goes to stderr.
        if json {
            printLine(r.table, toStandardError: true)
            print(r.json)
        } else {
            print(r.table)
        }
    }
}

/// Prints `line` to stdout, or to stderr (unprefixed) when `toStandardError`.
private func printLine(_ line: String, toStandardError: Bool) {
    if toStandardError { StandardError.write(line + "\n") } else { print(line) }
}

/// Measures the dashboard's cost: the same short training run as two child processes, one drawing the dashboard
/// into a pseudo-terminal (`script`, 120x40, xterm-256color) and one headless, alternating, best of `repeats` each;
/// returns (dashboard, headless) samples/s from their summary lines.
enum DashboardProbe {
    static func samplesPerSecond(arguments: [String], dashboard: Bool) throws -> Double {
        let exe = Bundle.main.executableURL?.path ?? CommandLine.arguments[0]
        let quoted = ([exe, "train"] + arguments + (dashboard ? ["--exit-when-done"] : ["--headless"]))
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", quoted, "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"; env["COLUMNS"] = "120"; env["LINES"] = "40"
        if env["LANG"] == nil { env["LANG"] = "C.UTF-8" }
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0,
              let r = text.range(of: #"\((\d+) samples/s\)"#, options: [.regularExpression, .backwards]) else {
            throw ValidationError("dashboard probe: no summary from the child run (status \(p.terminationStatus))")
        }
        return Double(text[r].filter(\.isNumber)) ?? 0
    }

    static func measure(arguments: [String], repeats: Int = 3) throws -> (dashboard: Double, headless: Double) {
        var d = 0.0, h = 0.0
        for _ in 0..<repeats {
            h = max(h, try samplesPerSecond(arguments: arguments, dashboard: false))
            d = max(d, try samplesPerSecond(arguments: arguments, dashboard: true))
        }
        return (d, h)
    }
}

/// Measures `search_speedup`: the same small grid search (`grid`, `folds` folds, the first `rows` samples, batch 128,
/// seed 1; many short epochs, so that it takes 10-20 s at --jobs 1 on 2 cores, of which the refit, which cannot run
/// beside other fits, is about a tenth) as `trainboard search --jobs 1` and `--jobs 2` child processes of this executable, `--jobs 2` first, each
/// into a new directory under a temporary folder removed afterwards; returns both wall times (process start to exit).
enum SearchProbe {
    static let grid = "init=lecun_uniform,glorot_uniform,he_uniform,glorot_normal"
    static let candidates = 4
    static let folds = 3
    static let rows = 3000
    static let defaultEpochs = 80
    static var summary: String { "\(candidates) candidates x \(folds) folds + refit, \(rows) rows, batch 128" }

    static func measure(data: String, epochs: Int) throws -> (jobs1: Double, jobs2: Double, description: String) {
        let exe = Bundle.main.executableURL?.path ?? CommandLine.arguments[0]
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("trainboard-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: base) }
        func time(jobs: Int) throws -> Double {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["search", "--grid", grid, "--cv", String(folds), "--max-samples", String(rows),
                           "--epochs", String(epochs), "--batch-size", "128", "--seed", "1", "--data", data,
                           "--jobs", String(jobs), "--out", base + "/jobs\(jobs)"]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            p.standardInput = FileHandle.nullDevice
            let start = DispatchTime.now().uptimeNanoseconds
            try p.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            guard p.terminationStatus == 0 else {
                let tail = String(decoding: output.suffix(600), as: UTF8.self)
                throw ValidationError("search_speedup: `trainboard search --jobs \(jobs)` failed (status \(p.terminationStatus)): \(tail)")
            }
            return seconds
        }
        let two = try time(jobs: 2)
        let one = try time(jobs: 1)
        return (one, two, "\(candidates) candidates x \(folds) folds = \(candidates * folds) fits + 1 refit, the first \(rows) rows, \(epochs) epochs, batch 128")
    }
}
