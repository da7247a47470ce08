import Foundation
import XCTest
@testable import Dashboard
import TerminalUI

/// A scripted run: epoch 3 of 10 (0-based epoch 2), 100 batches an epoch, paused, EarlyStopping best at epoch 2,
/// a checkpoint, and events.
func scriptedSnapshot() -> TrainingSnapshot {
    var s = TrainingSnapshot()
    s.status = .paused
    s.title = "Trainboard 0.1"
    s.dataDescription = "fashion-mnist 60000 train / 10000 test"
    s.modelDescription = "784-128-64-10 relu/softmax"
    s.optimizerDescription = "sgd lr 0.1 momentum 0.9 decay 0.001 batch 64"
    s.epochs = 10
    s.epoch = 2
    s.stepsPerEpoch = 100
    s.batchSize = 64
    s.batchesDone = 40
    s.updates = 240
    s.elapsed = 83
    s.samplesPerSecond = 12_345
    s.learningRate = 0.0806
    s.cpuPercent = 187
    s.rssMiB = 212
    for i in 0..<240 {
        let t = Double(i)
        s.batchLoss.append(2.3 * exp(-t / 60) + 0.35 + 0.08 * sin(t * 1.7))
        s.batchLearningRate.append(0.1 / (1 + 0.001 * t))
    }
    s.epochMetrics = [
        "loss": [1.12, 0.62],
        "val_loss": [0.71, 0.58],
        "accuracy": [0.64, 0.79],
        "val_accuracy": [0.75, 0.81],
        "learning_rate": [0.1, 0.0909],
    ]
    s.plannedLearningRate = [0.083, 0.077, 0.071, 0.067, 0.0625, 0.059, 0.056, 0.053]
    s.plannedFromEpoch = 2
    s.monitor = "val_loss"
    s.bestEpoch = 1
    s.bestValue = 0.58
    s.patience = 3
    s.patienceLeft = 3
    s.lastCheckpointPath = "runs/20261129/best-epoch2.tbmodel"
    s.lastCheckpointEpoch = 1
    s.events = [
        TrainingEvent(kind: .checkpoint, epoch: 1, update: 200, time: 60, message: "ModelCheckpoint runs/20261129/best-epoch2.tbmodel"),
        TrainingEvent(kind: .learningRate, epoch: 2, update: 220, time: 75, message: "lr x0.80: 0.1 -> 0.08"),
        TrainingEvent(kind: .pause, epoch: 2, update: 240, time: 83, message: "paused"),
    ]
    return s
}

func renderView(_ s: TrainingSnapshot, _ state: DashboardState = DashboardState(), width: Int, height: Int,
                symbols: Symbols = .unicode) -> CellBuffer {
    var b = CellBuffer(width: width, height: height)
    DashboardView(snapshot: s, state: state, theme: .dark, symbols: symbols).render(into: &b)
    return b
}

final class DashboardViewTests: XCTestCase {
    /// Compares `buffer.lines` with `__Snapshots__/NAME.txt`; with `TRAINBOARD_RECORD_SNAPSHOTS=1`, writes it.
    func assertSnapshot(_ buffer: CellBuffer, named name: String, file: StaticString = #filePath, line: UInt = #line) {
        let dir = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("__Snapshots__")
        let url = dir.appendingPathComponent("\(name).txt")
        let text = buffer.lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["TRAINBOARD_RECORD_SNAPSHOTS"] == "1" {
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try? text.write(to: url, atomically: true, encoding: .utf8)
            XCTFail("recorded \(url.path)", file: file, line: line)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            XCTFail("no snapshot \(url.path); run with TRAINBOARD_RECORD_SNAPSHOTS=1", file: file, line: line)
            return
        }
        let exp = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let got = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if exp != got {
            let diff = zip(exp, got).enumerated().filter { $0.element.0 != $0.element.1 }.prefix(5)
                .map { "line \($0.offset):\n  expected: \($0.element.0)\n  actual:   \($0.element.1)" }
            XCTFail("snapshot \(name) differs (\(exp.count) vs \(got.count) lines)\n" + diff.joined(separator: "\n")
                    + "\nactual frame:\n" + text, file: file, line: line)
        }
    }

    // MARK: - Snapshots

    func testSnapshot80x24() {
        assertSnapshot(renderView(scriptedSnapshot(), width: 80, height: 24), named: "dashboard-80x24")
    }

    func testSnapshot120x40() {
        assertSnapshot(renderView(scriptedSnapshot(), width: 120, height: 40), named: "dashboard-120x40")
    }

    func testSnapshot80x24ASCII() {
        let b = renderView(scriptedSnapshot(), width: 80, height: 24, symbols: .ascii)
        XCTAssertTrue(b.isAllASCII)
        assertSnapshot(b, named: "dashboard-80x24-ascii")
    }

    // MARK: - Meaning

    func text(_ b: CellBuffer) -> String { b.lines.joined(separator: "\n") }

    func testPausedStatusAndEpochGauge() {
        for (w, h) in [(80, 24), (120, 40), (DashboardView.minimumColumns, DashboardView.minimumRows)] {
            let b = renderView(scriptedSnapshot(), width: w, height: h)
            XCTAssertTrue(b.line(0).contains("PAUSED"), "\(w)x\(h): \(b.line(0))")
            XCTAssertTrue(text(b).contains("3/10"), "\(w)x\(h): epoch gauge")
            XCTAssertTrue(text(b).contains("40/100"), "\(w)x\(h): batch gauge")
        }
        // The paused status is drawn in the paused style.
        let b = renderView(scriptedSnapshot(), width: 120, height: 40)
        let x = b.line(0).distance(from: b.line(0).startIndex, to: b.line(0).range(of: "PAUSED")!.lowerBound)
        XCTAssertEqual(b.cell(x: x, y: 0)?.style, Theme.dark[.paused].adding(.reverse))
    }

    func testStatusTexts() {
        var s = scriptedSnapshot()
        for (status, expected) in [(TrainingStatus.running, "RUNNING"), (.stopping, "STOPPING"),
                                   (.finished("completed 10 epochs"), "FINISHED: completed 10 epochs"),
                                   (.failed("out of memory"), "FAILED: out of memory")] {
            s.status = status
            XCTAssertTrue(renderView(s, width: 120, height: 40).line(0).contains(expected), expected)
        }
    }

    func testBestEpochMarkerAndInfo() {
        let b = renderView(scriptedSnapshot(), width: 120, height: 40)
        let t = text(b)
        XCTAssertTrue(t.contains("best epoch 2"), t)
        XCTAssertTrue(t.contains("patience 3/3 left"), t)
        XCTAssertTrue(t.contains("best-epoch2.tbmodel"), t)
        // The vertical marker: the marker glyph in the marker style, with its "best" label.
        XCTAssertTrue(t.contains("┊best"), t)
        let markers = b.cells.filter { $0.symbol == Symbols.unicode.markerLine && $0.style == Theme.dark[.marker] }
        XCTAssertGreaterThan(markers.count, 5)
        // The best row of the epoch table is highlighted.
        XCTAssertTrue(b.cells.contains { $0.style == Theme.dark[.highlight] })
    }

    func testEventsListed() {
        let t = text(renderView(scriptedSnapshot(), width: 120, height: 40))
        XCTAssertTrue(t.contains("pause: paused"), t)
        XCTAssertTrue(t.contains("lr: lr x0.80"), t)
        // A long checkpoint message keeps its file name (see testEventsKeepFileNames).
        XCTAssertTrue(t.contains("e2 ckpt: "), t)
        XCTAssertTrue(t.contains("/best-epoch2.tbmodel"), t)
    }

    func testHelpOverlayListsEveryBinding() {
        var st = DashboardState()
        st.showHelp = true
        for (w, h) in [(80, 24), (120, 40)] {
            let t = text(renderView(scriptedSnapshot(), st, width: w, height: h))
            for (k, d) in KeyMap.bindings {
                XCTAssertTrue(t.contains(k), "\(w)x\(h): key \(k)")
                XCTAssertTrue(t.contains(d), "\(w)x\(h): \(d)")
            }
        }
    }

    /// An attached run (`trainboard attach`): `q` detaches and the run goes on, so the hint line and the help say
    /// "detach", never "quit (stops training first)"; a run of its own keeps the quit wording.
    func testAttachedRunSaysDetach() {
        var st = DashboardState()
        st.detachOnQuit = true
        for (w, h) in [(DashboardView.minimumColumns, DashboardView.minimumRows), (80, 24), (120, 40)] {
            let hint = renderView(scriptedSnapshot(), st, width: w, height: h).line(h - 1)
            XCTAssertTrue(hint.contains("q: detach"), "\(w)x\(h): \(hint)")
            XCTAssertFalse(hint.contains("quit"), "\(w)x\(h): \(hint)")
        }
        st.showHelp = true
        let help = text(renderView(scriptedSnapshot(), st, width: 120, height: 40))
        XCTAssertTrue(help.contains("detach (the run goes on; no summary)"), help)
        XCTAssertFalse(help.contains("stops training first"), help)
        XCTAssertTrue(help.contains("pause / resume"), help)
        st.detachOnQuit = false
        let own = text(renderView(scriptedSnapshot(), st, width: 120, height: 40))
        XCTAssertTrue(own.contains("quit (stops training first; again: skip summary)"), own)
        XCTAssertFalse(own.contains("detach"), own)
        st.showHelp = false
        XCTAssertTrue(renderView(scriptedSnapshot(), st, width: 120, height: 40).line(39).contains("q: quit"))
    }

    func testLRInputPrompt() {
        var st = DashboardState()
        st.lrInput = "0.05"
        let b = renderView(scriptedSnapshot(), st, width: 80, height: 24)
        XCTAssertTrue(b.line(23).hasPrefix("learning rate: 0.05_  Enter to apply, Esc to cancel"), b.line(23))
        st.lrInput = nil
        st.message = "not a positive number: 'x'"
        XCTAssertTrue(renderView(scriptedSnapshot(), st, width: 80, height: 24).line(23).contains("not a positive number"))
    }

    func testHintsAlwaysVisible() {
        for (w, h) in [(DashboardView.minimumColumns, DashboardView.minimumRows), (80, 24), (120, 40)] {
            let b = renderView(scriptedSnapshot(), width: w, height: h)
            XCTAssertTrue(b.line(h - 1).hasPrefix("p: pause"), b.line(h - 1))
        }
    }

    func testASCIIModeWritesOnlyASCII() {
        var st = DashboardState()
        var s = scriptedSnapshot()
        s.previews = (0..<10).map { PreviewImage(label: $0, name: "class\($0)", rows: 28, cols: 28,
                                                 pixels: (0..<784).map { UInt8($0 % 256) }) }
        for digits in [false, true] {
            for help in [false, true] {
                st.showDigits = digits
                st.showHelp = help
                for (w, h) in [(50, 14), (80, 24), (120, 40)] {
                    XCTAssertTrue(renderView(s, st, width: w, height: h, symbols: .ascii).isAllASCII, "\(w)x\(h)")
                }
            }
        }
        s.status = .finished("done")
        s.summary = ["best val_loss 0.58"]
        XCTAssertTrue(renderView(s, width: 80, height: 24, symbols: .ascii).isAllASCII)
    }

    func testEverySizeRendersAndSmallShowsNotice() {
        let minW = DashboardView.minimumColumns, minH = DashboardView.minimumRows
        let sizes = [(0, 0), (1, 1), (10, 3), (20, 5), (minW - 1, minH), (minW, minH - 1), (minW - 1, minH - 1),
                     (minW, minH), (80, 24), (120, 40), (300, 100), (0, 40), (120, 0), (400, 2), (2, 100)]
        var st = DashboardState()
        for (w, h) in sizes {
            for flags in 0..<4 {
                st.showHelp = flags & 1 != 0
                st.showDigits = flags & 2 != 0
                let b = renderView(scriptedSnapshot(), st, width: w, height: h)
                if (w < minW || h < minH) && w >= 30 && h >= 3 {
                    XCTAssertTrue(text(b).contains("too small"), "\(w)x\(h)")
                }
                if w >= minW && h >= minH {
                    XCTAssertFalse(text(b).contains("too small"), "\(w)x\(h)")
                }
            }
        }
    }

    func testNaNAndInfinityRender() {
        var s = scriptedSnapshot()
        s.batchLoss.append(.nan)
        s.batchLoss.append(.infinity)
        s.batchLearningRate.append(.infinity)
        s.batchLearningRate.append(.nan)
        s.epochMetrics["loss"]?.append(.nan)
        s.epochMetrics["val_loss"]?.append(-.infinity)
        s.epochMetrics["accuracy"]?.append(.nan)
        s.epochMetrics["val_accuracy"]?.append(.nan)
        s.epochMetrics["learning_rate"]?.append(.infinity)
        s.learningRate = .infinity
        s.bestValue = .nan
        s.elapsed = .nan
        s.samplesPerSecond = .infinity
        s.cpuPercent = .nan
        s.plannedLearningRate = [.infinity, .nan, 0, -1]
        s.events.append(TrainingEvent(kind: .nan, epoch: 2, update: 242, time: 84, message: "batch 41: loss is nan"))
        var st = DashboardState()
        for view in ChartView.allCases {
            for log in [false, true] {
                st.chartView = view
                st.logScaleLR = log
                for (w, h) in [(50, 14), (80, 24), (120, 40), (300, 100)] {
                    let b = renderView(s, st, width: w, height: h)
                    XCTAssertTrue(text(b).contains("NaN"), "\(w)x\(h)")
                }
            }
        }
    }

    func testEmptySnapshotRenders() {
        for (w, h) in [(50, 14), (80, 24), (120, 40)] {
            let b = renderView(TrainingSnapshot(), width: w, height: h)
            XCTAssertTrue(b.line(0).contains("STARTING"))
        }
    }

    func testChartViews() {
        var st = DashboardState()
        for v in ChartView.allCases {
            st.chartView = v
            XCTAssertTrue(text(renderView(scriptedSnapshot(), st, width: 120, height: 40)).contains("[\(v.rawValue)]"))
        }
    }

    func testDigitPreviewShowsEveryClass() {
        var s = scriptedSnapshot()
        let names = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
        s.previews = (0..<10).map { PreviewImage(label: $0, name: names[$0], rows: 28, cols: 28,
                                                 pixels: (0..<784).map { UInt8(($0 * 7) % 256) }) }
        var st = DashboardState()
        st.showDigits = true
        for (w, h) in [(120, 40), (80, 24)] {
            let b = renderView(s, st, width: w, height: h)
            let t = text(b)
            for i in 0..<10 { XCTAssertTrue(t.contains("\(i) "), "\(w)x\(h): label \(i)\n\(t)") }
            XCTAssertTrue(t.contains("0 T-sh"), t)
            XCTAssertTrue(b.cells.contains { $0.symbol == "▀" })
        }
    }

    func testFinishedShowsSummary() {
        var s = scriptedSnapshot()
        s.status = .finished("completed 10 epochs")
        s.summary = ["best val_loss 0.41 at epoch 7", "test accuracy 0.885"]
        for (w, h) in [(50, 14), (80, 24), (120, 40)] {
            let t = text(renderView(s, width: w, height: h))
            XCTAssertTrue(t.contains("press q to quit"), "\(w)x\(h)\n\(t)")
            XCTAssertTrue(t.contains("test accuracy 0.885"), "\(w)x\(h)\n\(t)")
        }
    }

    func testLargeHistoryRendersQuickly() {
        var s = scriptedSnapshot()
        s.status = .running
        s.stepsPerEpoch = 500
        s.epochs = 2000
        s.epoch = 1999
        s.updates = 1_000_000
        s.batchLoss = MetricSeries()
        s.batchLearningRate = MetricSeries()
        for i in 0..<1_000_000 {
            s.batchLoss.append(2 * exp(-Double(i) / 2e5) + 0.1 * Double(i % 7) / 7)
            s.batchLearningRate.append(0.1 / (1 + 0.0016 * Double(i)))
        }
        var b = CellBuffer(width: 120, height: 40)
        let start = Date()
        DashboardView(snapshot: s, state: DashboardState(), theme: .dark, symbols: .unicode).render(into: &b)
        // Debug builds are slow; this only guards against per-frame copies of the whole history.
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.0)
    }

    // MARK: - Polish (user report)

    /// Column of each occurrence of `ch` in `line` (cells are one character each).
    func columns(of ch: Character, in line: String) -> [Int] {
        line.enumerated().filter { $0.element == ch }.map(\.offset)
    }

    func testTableNumbersFitTheirColumns() {
        var s = scriptedSnapshot()
        s.epoch = 5
        s.epochMetrics = [
            "loss": [1.1234, 0.6234, 0.5123, 0.4567, 0.4012],
            "val_loss": [0.7123, 0.5812, 0.5234, 0.4987, 0.4876],
            "accuracy": [0.6412, 0.7934, 0.8123, 0.8345, 0.8456],
            "val_accuracy": [0.7543, 0.8123, 0.8234, 0.8301, 0.8355],
            "learning_rate": [0.00984, 0.00784, 0.00627, 0.00502, 0.000401],
        ]
        for (w, h) in [(120, 40), (100, 30)] {
            let b = renderView(s, width: w, height: h)
            let rows = b.lines.filter { $0.contains("0.0078") }
            XCTAssertEqual(rows.count, 1, "\(w)x\(h): lr 0.00784 shown as 0.0078\n\(text(b))")
            XCTAssertFalse(rows.first?.contains("…") ?? true, "\(w)x\(h): \(rows)")
            XCTAssertTrue(text(b).contains("4e-4"), "\(w)x\(h): 0.000401 -> 4e-4\n\(text(b))")
            // No number in the table is cut.
            let table = b.lines.filter { $0.contains(" 0.8") && $0.contains(" 0.4") }
            XCTAssertFalse(table.isEmpty)
            for row in table { XCTAssertFalse(row.contains("…"), "\(w)x\(h): \(row)") }
        }
        XCTAssertEqual(DashboardView.fitNumber(0.00784, width: 6), "0.0078")
        XCTAssertEqual(DashboardView.fitNumber(0.00784, width: 7), "0.00784")
        XCTAssertEqual(DashboardView.fitNumber(0.000784, width: 6), "7.8e-4")
        XCTAssertEqual(DashboardView.fitNumber(0.000784, width: 4), "8e-4")
        XCTAssertEqual(DashboardView.fitNumber(0.6234, width: 4), "0.62")
        XCTAssertEqual(DashboardView.fitNumber(12.345, width: 4), "12.3")
        XCTAssertEqual(DashboardView.fitNumber(1234.6, width: 4), "1235")
        XCTAssertEqual(DashboardView.fitNumber(0.1, width: 6), "0.1")
        XCTAssertEqual(DashboardView.fitNumber(.nan, width: 6), "NaN")
        XCTAssertEqual(DashboardView.fitNumber(-.infinity, width: 2), "-inf")
    }

    func testCompactAccuracyIsInformative() {
        // 80x24: a two-row accuracy chart (8 braille rows) with its own y range, not a saturated sparkline.
        let b = renderView(scriptedSnapshot(), width: 80, height: 24)
        guard let title = b.lines.firstIndex(where: { $0.contains("Accuracy") }) else {
            return XCTFail(text(b))
        }
        XCTAssertTrue(b.line(title + 1).hasPrefix("  0.81│"), b.line(title + 1))
        XCTAssertTrue(b.line(title + 2).hasPrefix("  0.64│"), b.line(title + 2))
        let accCells = b.cells.filter { $0.style == Theme.dark[.valAccuracy] || $0.style == Theme.dark[.accuracy] }
        XCTAssertGreaterThan(Set(accCells.map(\.symbol)).count, 3, "varied braille, not one repeated glyph")
        XCTAssertFalse(text(b).contains("▇▇▇▇"), text(b))
        // The one-row sparkline (short terminals) uses the data's own range and states last / best values.
        let small = renderView(scriptedSnapshot(), width: 50, height: 14)
        let t = text(small)
        XCTAssertTrue(t.contains("acc 0.79/0.81 max 0.81"), t)
        guard let row = small.lines.firstIndex(where: { $0.contains("acc 0.79/0.81") }) else { return XCTFail(t) }
        let spark = small.lines[row] + small.lines[row + 1]
        XCTAssertTrue(spark.contains("▁") && spark.contains("█"), "scaled to min..max\n\(t)")
    }

    func testLossLegendShortensAtNarrowWidths() {
        var s = scriptedSnapshot()
        s.epochMetrics["loss"] = [1.1234, 0.6234]
        s.epochMetrics["val_loss"] = [0.7123, 0.5812]
        s.batchLoss.append(0.3241)
        let b = renderView(s, width: 80, height: 24)
        let legend = b.line(4)
        XCTAssertTrue(legend.contains("Loss  loss 0.62  val 0.58  batch 0.32 "), legend)
        XCTAssertFalse(legend.contains("…"), legend)
        // Wide: the full names, the values with 3 digits, and the chart view.
        let wide = renderView(s, width: 120, height: 40).line(4)
        XCTAssertTrue(wide.contains("loss 0.623  val_loss 0.581  batch 0.324  [whole]"), wide)
    }

    func testThemeNameShown() {
        var st = DashboardState()
        st.message = "theme: nord"
        st.themeName = "nord"
        for (w, h) in [(80, 24), (120, 40), (DashboardView.minimumColumns, DashboardView.minimumRows)] {
            let b = renderView(scriptedSnapshot(), st, width: w, height: h)
            XCTAssertTrue(b.line(h - 1).hasPrefix("theme: nord"), "\(w)x\(h): \(b.line(h - 1))")
            XCTAssertTrue(b.line(h - 1).contains("?: help"), "\(w)x\(h): \(b.line(h - 1))")
        }
        st.message = nil
        st.showHelp = true
        for (w, h) in [(80, 24), (120, 40)] {
            let t = text(renderView(scriptedSnapshot(), st, width: w, height: h))
            XCTAssertTrue(t.contains("theme: nord"), "\(w)x\(h)\n\(t)")
        }
    }

    func testDigitsWithoutImagesShowNotice() {
        var st = DashboardState()
        st.showDigits = true
        for (w, h) in [(120, 40), (80, 24), (60, 24), (DashboardView.minimumColumns, DashboardView.minimumRows)] {
            let b = renderView(scriptedSnapshot(), st, width: w, height: h)
            let t = text(b)
            XCTAssertTrue(t.contains("no images to preview"), "\(w)x\(h)\n\(t)")
            XCTAssertTrue(t.contains("Samples"), "\(w)x\(h)\n\(t)")
            XCTAssertTrue(t.contains("loss 0.62"), "\(w)x\(h): charts still shown\n\(t)")
        }
        // Wide: the side panel stays below the notice.
        let t = text(renderView(scriptedSnapshot(), st, width: 120, height: 40))
        XCTAssertTrue(t.contains("no images to preview (not image data)"), t)
        XCTAssertTrue(t.contains("Epochs") && t.contains("Events"), t)
    }

    func testEventsKeepFileNames() {
        var s = scriptedSnapshot()
        s.events[0].message = "ModelCheckpoint trainboard-runs/20261129-083512/ckpt-epoch2.tbmodel"
        s.lastCheckpointPath = "trainboard-runs/20261129-083512/ckpt-epoch2.tbmodel"
        for (w, h) in [(80, 24), (100, 30), (120, 40)] {
            let b = renderView(s, width: w, height: h)
            let row = b.lines.first { $0.contains("e2 ckpt:") } ?? ""
            XCTAssertTrue(row.contains("…/ckpt-epoch2.tbmodel"), "\(w)x\(h): \(row)")
            XCTAssertTrue(text(b).contains("ckpt ep 2 …"), "\(w)x\(h)\n\(text(b))")
        }
        let e: Character = "…"
        XCTAssertEqual(DashboardView.fitMessage("ckpt: ModelCheckpoint runs/20261129/best-epoch2.tbmodel", width: 44,
                                                ellipsis: e), "ckpt: ModelCheckpoint …/best-epoch2.tbmodel")
        XCTAssertEqual(DashboardView.fitMessage("ckpt: ModelCheckpoint runs/20261129/best-epoch2.tbmodel", width: 29,
                                                ellipsis: e), "ckpt: …/best-epoch2.tbmodel")
        XCTAssertEqual(DashboardView.fitMessage("ckpt: ModelCheckpoint runs/20261129/best-epoch2.tbmodel", width: 12,
                                                ellipsis: e), "…ch2.tbmodel")
        XCTAssertEqual(DashboardView.fitMessage("lr x0.80: 0.1 -> 0.08 and some more", width: 12, ellipsis: e),
                       "lr x0.80: 0…")
        XCTAssertEqual(DashboardView.fitMessage("short", width: 12, ellipsis: e), "short")
        XCTAssertEqual(DashboardView.fitMessage("a/b", width: 0, ellipsis: e), "")
    }

    func testChartsShareWholeEpochAxis() {
        for (w, h) in [(80, 24), (120, 40), (100, 30)] {
            let b = renderView(scriptedSnapshot(), width: w, height: h)
            // x labels: whole epochs only.
            let labelRows = b.lines.filter { $0.contains("epoch 0") }
            XCTAssertFalse(labelRows.isEmpty, "\(w)x\(h)")
            for row in labelRows {
                let chartPart = String(row.prefix(w * 58 / 100))
                XCTAssertFalse(chartPart.contains("."), "\(w)x\(h): \(row)")
                XCTAssertTrue(chartPart.contains(" 1 ") && chartPart.contains(" 2 "), "\(w)x\(h): \(row)")
            }
            // Every chart's y axis is in the same column, so equal x values fall in equal columns.
            let chartRows = (4..<(h - 1)).map { String(b.line($0).prefix(w / 2)) }
            let axisColumns = Set(chartRows.compactMap { r in columns(of: "│", in: r).first })
            XCTAssertEqual(axisColumns.count, 1, "\(w)x\(h): \(axisColumns)")
            // The learning-rate event marker (x = 2.2) sits in one of the loss chart's marker columns.
            let lossRow = chartRows[2], lrRow = chartRows.last { $0.contains("┊") && $0.contains("│") } ?? ""
            let lossMarkers = Set(columns(of: "┊", in: lossRow)), lrMarkers = Set(columns(of: "┊", in: lrRow))
            XCTAssertFalse(lrMarkers.isEmpty, "\(w)x\(h)\n\(text(b))")
            XCTAssertTrue(lrMarkers.isSubset(of: lossMarkers), "\(w)x\(h): \(lossMarkers) \(lrMarkers)\n\(text(b))")
        }
        XCTAssertEqual(DashboardView.integerTicks(lo: 0, hi: 10, plotWidth: 40), [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(DashboardView.integerTicks(lo: 0, hi: 10, plotWidth: 20), [0, 5, 10])
        XCTAssertEqual(DashboardView.integerTicks(lo: 0, hi: 7, plotWidth: 40), [0, 7])
        XCTAssertEqual(DashboardView.integerTicks(lo: 0, hi: 3, plotWidth: 40), [0, 1, 2, 3])
        XCTAssertEqual(DashboardView.integerTicks(lo: 0, hi: 2.5, plotWidth: 40), [0, 2.5])
        XCTAssertEqual([0.3, 1, 2.4, 3, 7, 9, 11, 13, 90, 101, 2000].map { DashboardView.niceEpochCount(atLeast: $0) },
                       [1, 1, 3, 3, 8, 10, 12, 15, 100, 120, 2000])
    }

    func testWholeWindowCappedAtPlannedEpochs() {
        var s = scriptedSnapshot()
        s.epochs = 7
        s.epoch = 6
        s.updates = 650
        let v = DashboardView(snapshot: s, state: DashboardState(), theme: .dark, symbols: .unicode)
        XCTAssertEqual(v.chartWindow.lo, 0)
        XCTAssertEqual(v.chartWindow.hi, 7)   // nice 8 capped at the 7 planned epochs
        s.epochs = 10
        XCTAssertEqual(DashboardView(snapshot: s, state: DashboardState(), theme: .dark, symbols: .unicode)
            .chartWindow.hi, 8)
        var st = DashboardState()
        st.chartView = .recent
        let r = DashboardView(snapshot: s, state: st, theme: .dark, symbols: .unicode).chartWindow
        XCTAssertEqual(r.lo, 4)
        XCTAssertEqual(r.hi, 7)
    }
}

final class MetricSeriesSummaryTests: XCTestCase {
    /// `downsampled` with per-chunk summaries gives the same points as a plain scan.
    func testDownsampledMatchesBruteForce() {
        var s = MetricSeries()
        var g = SystemRandomNumberGenerator()
        var all: [Double] = []
        for i in 0..<30_000 {
            var v = Double.random(in: -1...1, using: &g) * Double(i % 977)
            if i % 5003 == 7 { v = .nan }
            if i == 20_000 { v = .infinity }
            s.append(v); all.append(v)
        }
        func brute(_ buckets: Int, _ r: Range<Int>) -> [Double] {
            let n = r.count
            if n <= buckets * 2 { return Array(all[r]) }
            var out: [Double] = []
            for b in 0..<buckets {
                let lo = r.lowerBound + n * b / buckets, hi = r.lowerBound + n * (b + 1) / buckets
                guard hi > lo else { continue }
                var mn = Double.infinity, mx = -Double.infinity, iMin = lo, iMax = lo
                var bad: Double?
                for i in lo..<hi {
                    let v = all[i]
                    if v.isFinite {
                        if v < mn { mn = v; iMin = i }
                        if v > mx { mx = v; iMax = i }
                    } else if bad == nil { bad = v }
                }
                if mn.isFinite {
                    if iMin <= iMax { out.append(mn); if iMax != iMin { out.append(mx) } } else { out.append(mx); out.append(mn) }
                }
                if let bad { out.append(bad) }
            }
            return out
        }
        for (buckets, r) in [(1, 0..<30_000), (3, 0..<30_000), (7, 100..<29_000), (2, 4096..<12_288), (50, 0..<30_000),
                             (1, 8000..<8200)] {
            let a = s.downsampled(buckets: buckets, range: r), b = brute(buckets, r)
            XCTAssertEqual(a.count, b.count)
            for (x, y) in zip(a, b) { XCTAssertTrue(x == y || (x.isNaN && y.isNaN), "\(buckets) \(r)") }
        }
        // After thinning the summaries are rebuilt.
        var small = MetricSeries(capacity: 16)
        for i in 0..<100 { small.append(Double(i)) }
        XCTAssertEqual(small.downsampled(buckets: 1), [small[0], small[small.count - 1]])
    }
}
