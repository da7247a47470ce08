import XCTest
@testable import Dashboard
import TerminalUI

/// The scripted run with a CJK data path and checkpoint directory and emoji in the title and an event.
func wideSnapshot() -> TrainingSnapshot {
    var s = scriptedSnapshot()
    s.title = "Trainboard 0.1 🚀"
    s.dataDescription = "手写数字.npz (data/手写数字.npz): 1000 of 1000 train, 200 of 200 test, 784 features, 10 classes"
    s.lastCheckpointPath = "runs/实验一/best-epoch2.tbmodel"
    s.events.append(TrainingEvent(kind: .checkpoint, epoch: 2, update: 240, time: 84,
                                  message: "ModelCheckpoint runs/实验一/best-epoch2.tbmodel 😀"))
    return s
}

/// The dashboard with double-width text: a CJK data path, an emoji in the title and events, CJK in a checkpoint path.
final class WideTextViewTests: XCTestCase {
    /// Fails unless every double-width character has its continuation cell right after it and no continuation cell is
    /// orphaned, and every row is exactly the buffer's width in cells.
    func assertIntact(_ b: CellBuffer, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let w = b.area.width
        for y in 0..<b.area.height {
            for x in 0..<w {
                let c = b.cells[y * w + x]
                if c.isContinuation, x == 0 || b.cells[y * w + x - 1].width != 2 {
                    return XCTFail("\(message): orphan continuation at (\(x), \(y))", file: file, line: line)
                }
                if !c.isContinuation, c.width == 2, x + 1 >= w || !b.cells[y * w + x + 1].isContinuation {
                    return XCTFail("\(message): split \(c.symbol) at (\(x), \(y))", file: file, line: line)
                }
            }
            XCTAssertEqual(b.line(y).cellWidth, w, "\(message): row \(y)", file: file, line: line)
        }
    }

    func testCJKPathInTheDataLineAt80x24() {
        let b = renderView(wideSnapshot(), width: 80, height: 24)
        // The header's second row starts with the data description: the whole file name, 2 cells per character.
        // The three header parts share 80 - 6 cells; the data part's cut falls inside "数字" of the directory, so
        // 数 (2 cells) gives way to the ellipsis and a padding space.
        XCTAssertTrue(b.line(1).hasPrefix("手写数字.npz (data/手写… │ 784-128-64-10"), b.line(1))
        XCTAssertEqual(b.cell(x: 0, y: 1)?.symbol, "手")
        XCTAssertEqual(b.cell(x: 1, y: 1)?.isContinuation, true)
        XCTAssertEqual(b.cell(x: 8, y: 1)?.symbol, ".")
        XCTAssertTrue(b.line(0).hasPrefix("Trainboard 0.1 🚀"), b.line(0))
        assertIntact(b, "80x24")
    }

    func testEmojiAndCJKInEventsAndCheckpointPaths() {
        let b = renderView(wideSnapshot(), width: 120, height: 40)
        let all = b.lines.joined(separator: "\n")
        XCTAssertTrue(all.contains("/best-epoch2.tbmodel"), all)
        assertIntact(b, "120x40")
    }

    func testNoWideCharacterIsSplitAtAnyWidth() {
        var st = DashboardState()
        for w in 50...130 {
            for h in [14, 24] {
                st.showHelp = w % 2 == 0
                assertIntact(renderView(wideSnapshot(), st, width: w, height: h), "\(w)x\(h)")
            }
        }
    }

    func testNarrowHeaderKeepsTheFileName() {
        // At 50 and 51 columns the data part is cut to 14 / 15 cells: the file name stays whole.
        for w in [50, 51] {
            let b = renderView(wideSnapshot(), width: w, height: 24)
            XCTAssertTrue(b.line(1).hasPrefix("手写数字"), b.line(1))
            assertIntact(b, "\(w)x24")
        }
    }

    func testFitMessageMeasuresCells() {
        let e: Character = "…"
        XCTAssertEqual(DashboardView.fitMessage("ckpt runs/实验一/手写数字.npz", width: 20, ellipsis: e),
                       "ckpt …/手写数字.npz")                     // 5 + 1 + 13 = 19 cells: the file name whole
        XCTAssertEqual(DashboardView.fitMessage("ckpt runs/实验一/手写数字.npz", width: 10, ellipsis: e),
                       "…数字.npz")                               // the end of the text, 1 + 8 cells
        XCTAssertLessThanOrEqual(DashboardView.fitMessage("ckpt runs/实验一/手写数字.npz", width: 10, ellipsis: e)
            .cellWidth, 10)
    }
}
