import ArgumentParser
import Foundation
import TrainboardKit

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training speed, GEMM peak, memory and start-up (build with -c release).",
        discussion: """
        Trains the 64-64 and 512-512 MLPs on Fashion-MNIST (batch 128) and reports samples/s, the share of the \
        same-run GEMM peak the 512-512 model reaches, peak RSS, the time from process start to the first finished \
        batch, and the cost of one dashboard frame holding 10^6 points.
        """)

    @Flag(help: "Print one JSON object (after the table).") var json = false
    @Option(help: "Epochs per model (the best epoch counts).") var epochs = 2
    @Option(help: "Data set.") var data = "fashion-mnist"

    func run() throws {
        var b = Benchmark()
        b.epochs = epochs
        b.dataSpec = data
        b.log = { print($0) }
        let r: Benchmark.Result
        do { r = try b.run() } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        print(String(format: """
        metric                     value      target
        samples_per_s_64        %9.0f   >= 240000
        samples_per_s_512       %9.0f
        gemm_peak_gflops        %9.1f
        pct_of_peak_512         %9.1f   >= 80
        peak_rss_mib            %9.1f   <= 150
        first_batch_s           %9.3f   <= 0.7
        frame_ms_1e6            %9.3f   <= 2
        """, r.samplesPerSecond64, r.samplesPerSecond512, r.gemmPeakGFLOPS, r.pctOfPeak512, r.peakRSSMiB,
                     r.firstBatchSeconds, r.frameMs1e6))
        if let d = r.dashboardOverheadPct { print(String(format: "dashboard_overhead_pct  %9.2f   <= 3", d)) }
        if json { print(r.json) }
    }
}
