import Foundation
import XCTest
@testable import Dashboard
import TerminalUI

/// Panels from the logged metric names (issue 8): regression runs get `mae` charts, extra Keras metrics get rows,
/// read-only sources turn the steering keys off, and `compare` colours each run.
final class MetricPanelsTests: XCTestCase {
    func testMetricsPairingAndOrder() {
        XCTAssertEqual(MetricPanels.metrics(in: ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]),
                       ["loss", "accuracy"])
        XCTAssertEqual(MetricPanels.metrics(in: ["epoch", "mae", "lr", "val_mae", "loss", "val_loss"]), ["loss", "mae"])
        XCTAssertEqual(MetricPanels.metrics(in: ["val_auc", "loss"]), ["loss", "auc"])
        XCTAssertEqual(MetricPanels.charted(requested: nil, metrics: ["loss", "mae"]), ["loss", "mae"])
        XCTAssertEqual(MetricPanels.charted(requested: nil, metrics: ["loss"]), ["loss"])
        XCTAssertEqual(MetricPanels.charted(requested: ["auc", "nope"], metrics: ["loss", "auc"]), ["auc"])
        let all = ["loss", "accuracy", "auc", "precision"]
        XCTAssertEqual(MetricPanels.cycled(["loss", "accuracy"], metrics: all), ["loss", "auc"])
        XCTAssertEqual(MetricPanels.cycled(["loss", "precision"], metrics: all), ["loss", "accuracy"])
        XCTAssertEqual(MetricPanels.cycled(["loss", "auc", "precision"], metrics: all), ["loss", "auc", "accuracy"])
        XCTAssertEqual(MetricPanels.cycled(["loss"], metrics: all), ["loss", "accuracy"])
        XCTAssertNil(MetricPanels.cycled(["loss", "mae"], metrics: ["loss", "mae"]))
        XCTAssertEqual(MetricPanels.goal(of: "val_loss", goals: [:]), .minimize)
        XCTAssertEqual(MetricPanels.goal(of: "val_accuracy", goals: [:]), .maximize)
        XCTAssertNil(MetricPanels.goal(of: "mae", goals: [:]))
        XCTAssertEqual(MetricPanels.goal(of: "val_mae", goals: ["mae": .minimize]), .minimize)
        XCTAssertEqual(MetricPanels.best([3, .nan, 1, 1, 2], goal: .minimize)?.index, 2)
        XCTAssertEqual(MetricPanels.best([0.5, 0.9, .infinity], goal: .maximize)?.value, 0.9)
    }

    func regressionSnapshot() -> TrainingSnapshot {
        var s = TrainingSnapshot()
        s.status = .running
        s.epochs = 10; s.epoch = 3; s.stepsPerEpoch = 10; s.updates = 30; s.batchSize = 32
        s.metricKeys = ["loss", "mae", "val_loss", "val_mae", "learning_rate"]
        s.metricGoals = ["loss": .minimize, "mae": .minimize]
        s.epochMetrics = ["loss": [16.4, 1.71, 0.784], "mae": [3.15, 0.996, 0.708], "val_loss": [5.38, 0.852, 0.633],
                          "val_mae": [1.75, 0.758, 0.651], "learning_rate": [0.02, 0.0164, 0.0134]]
        for i in 0..<30 { s.batchLoss.append(10 / Double(i + 1)); s.batchLearningRate.append(0.02) }
        return s
    }

    /// A regression run: an `MAE` chart with `mae` / `val_mae` and its best (min), table columns mae / val_mae, and
    /// no accuracy anywhere.
    func testRegressionRunShowsMAENotAccuracy() {
        let b = renderView(regressionSnapshot(), width: 120, height: 40)
        let text = b.lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("MAE  mae 0.708  val_mae 0.651  min 0.651"), text)
        XCTAssertTrue(text.contains("epoch   loss    mae val_loss val_mae     lr"), text)
        XCTAssertTrue(text.contains("    3  0.784  0.708    0.633   0.651 0.0134"), text)
        XCTAssertFalse(text.lowercased().contains("acc"), text)
        // Compact sizes: the mae sparkline replaces the accuracy one.
        let small = renderView(regressionSnapshot(), width: 60, height: 16).lines.joined(separator: "\n")
        XCTAssertTrue(small.contains("mae 0.708/0.651 min 0.651"), small)
        XCTAssertFalse(small.lowercased().contains("acc"), small)
    }

    /// Extra Keras metrics: the ones without a line chart get sparkline rows; `m` moves the chart to the next one;
    /// `--charts` (state.charts) chooses.
    func testExtraMetricsGetSparklinesAndMCycles() {
        var s = TrainingSnapshot()
        s.status = .finished("done")
        s.isReadOnly = true
        s.epochs = 3; s.epoch = 2; s.stepsPerEpoch = 1000; s.updates = 3000
        s.epochMetrics = ["loss": [0.65, 0.31, 0.29], "accuracy": [0.71, 0.89, 0.90], "auc": [0.77, 0.945, 0.951],
                          "precision": [0.72, 0.90, 0.899], "val_loss": [0.4, 0.32, 0.324],
                          "val_auc": [0.905, 0.936, 0.940]]
        var state = DashboardState()
        var text = renderView(s, state, width: 120, height: 40).lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("Accuracy"), text)
        XCTAssertTrue(text.contains("auc 0.951/0.94"), text)
        XCTAssertTrue(text.contains("precision 0.899/-"), text)
        _ = DashboardReducer.reduce(&state, key: .char("m"), status: s.status, themeCount: 1, readOnly: true,
                                    metrics: s.metricNames)
        XCTAssertEqual(state.charts, ["loss", "auc"])
        XCTAssertEqual(state.message, "charts: loss, auc")
        text = renderView(s, state, width: 120, height: 40).lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("AUC  auc 0.951  val_auc 0.94"), text)
        XCTAssertTrue(text.contains("acc 0.9/- max 0.9"), text)
        state.charts = ["loss", "accuracy", "precision"]
        text = renderView(s, state, width: 120, height: 40).lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("Precision  precision 0.899"), text)
        XCTAssertTrue(text.contains("Accuracy  accuracy 0.9"), text)
        // The table follows the same list (as many columns as the panel's width holds).
        XCTAssertTrue(text.contains("epoch   loss accuracy    auc precisio"), text)
    }

    /// A read-only source: steering keys only say they are off, the hints and help say so, no summary box.
    func testReadOnlyDisablesSteering() {
        var s = regressionSnapshot()
        s.status = .finished("replay")
        s.isReadOnly = true
        var state = DashboardState()
        for key in ["p", " ", "c", "s", "+", "-", "l"] {
            let effects = DashboardReducer.reduce(&state, key: .char(Character(key)), status: .running, themeCount: 1,
                                                  readOnly: true)
            XCTAssertEqual(effects, [], key)
            XCTAssertNil(state.lrInput, key)
            XCTAssertEqual(state.message, "read-only: a finished run cannot be steered", key)
        }
        XCTAssertEqual(DashboardReducer.reduce(&state, key: .char("q"), status: s.status, themeCount: 1, readOnly: true),
                       [.exit])
        let text = renderView(s, width: 120, height: 40).lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("p c s +/- l: off (read-only)"), text)
        XCTAssertFalse(text.contains("Summary"), text)
        state = DashboardState(); state.showHelp = true
        let help = renderView(s, state, width: 120, height: 40).lines.joined(separator: "\n")
        XCTAssertTrue(help.contains("off: read-only (pause / resume)"), help)
    }

    func testCompareColoursEachRunAndHandlesDifferentLengths() {
        let a = ComparedRun(name: "sgd.csv", epochMetrics: ["loss": [1, 0.5, 0.25], "val_loss": [1.1, 0.6, 0.4],
                                                             "accuracy": [0.5, 0.7, 0.8], "learning_rate": [0.1, 0.1, 0.05]],
                            keys: ["accuracy", "learning_rate", "loss", "val_loss"], epochs: [0, 1, 2])
        let b = ComparedRun(name: "adam.csv", epochMetrics: ["loss": [0.9, 0.3], "mae": [2, 1]],
                            keys: ["loss", "mae"], epochs: [0, 1])
        var buffer = CellBuffer(width: 120, height: 30)
        CompareView(runs: [a, b], state: DashboardState(), theme: .dark, symbols: .unicode).render(into: &buffer)
        let lines = buffer.lines
        let text = lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("Trainboard compare: 2 runs"), text)
        // Legend: each name in its run's colour.
        let legend = lines[1]
        for (i, name) in ["sgd.csv", "adam.csv"].enumerated() {
            let x = legend.range(of: name).map { legend.distance(from: legend.startIndex, to: $0.lowerBound) }!
            XCTAssertEqual(buffer.cell(x: x, y: 1)?.style.foreground, Theme.dark[.run(i)].foreground, name)
        }
        XCTAssertNotEqual(Theme.dark[.run(0)].foreground, Theme.dark[.run(1)].foreground)
        // Best table, validation view (epochs counted from 1): sgd's best val_loss 0.4 at epoch 3; no run logs val_accuracy and adam logs no
        // val_loss, so those cells are "-": a training value is never shown under a validation heading.
        XCTAssertTrue(text.contains("0.4 @3"), text)
        XCTAssertFalse(text.contains("0.8 @3"), text)
        XCTAssertFalse(text.contains("0.3 @2"), text)
        XCTAssertTrue(text.contains("Learning rate"), text)
        // The training view (`v`): sgd's accuracy 0.8 at epoch 3, adam's loss 0.3 at epoch 2.
        var training = DashboardState(); training.compareTraining = true
        buffer = CellBuffer(width: 120, height: 30)
        CompareView(runs: [a, b], state: training, theme: .dark, symbols: .unicode).render(into: &buffer)
        let trainingText = buffer.lines.joined(separator: "\n")
        XCTAssertTrue(trainingText.contains("0.8 @3"), trainingText)
        XCTAssertTrue(trainingText.contains("0.3 @2"), trainingText)
        var state = DashboardState(); state.charts = ["mae"]
        buffer = CellBuffer(width: 80, height: 24)
        CompareView(runs: [a, b], state: state, theme: .dark, symbols: .ascii).render(into: &buffer)
        XCTAssertTrue(buffer.lines.joined().contains("MAE"), buffer.lines.joined(separator: "\n"))
        XCTAssertTrue(buffer.lines.joined().allSatisfy(\.isASCII))
    }
}
