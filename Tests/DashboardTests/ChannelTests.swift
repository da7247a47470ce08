import Foundation
import XCTest
@testable import Dashboard

final class ChannelTests: XCTestCase {
    func testSeriesChunksDownsampleAndThin() {
        var s = MetricSeries(capacity: 1 << 20)
        for i in 0..<10_000 { s.append(Double(i)) }
        XCTAssertEqual(s.count, 10_000)
        XCTAssertEqual(s[4097], 4097)
        XCTAssertEqual(s.suffix(3), [9997, 9998, 9999])
        let copy = s
        s.append(1)
        XCTAssertEqual(copy.count, 10_000, "a snapshot copy does not see later appends")
        let d = copy.downsampled(buckets: 10)
        XCTAssertEqual(d.first, 0); XCTAssertEqual(d.last, 9999)
        XCTAssertEqual(d.count, 20)
        var nan = MetricSeries()
        for v in [1.0, .nan, 3, .infinity, 2] { nan.append(v) }
        XCTAssertEqual(nan.downsampled(buckets: 1).filter(\.isFinite), [1, 3])
        XCTAssertTrue(nan.downsampled(buckets: 1).contains { $0.isNaN })
        var small = MetricSeries(capacity: 16)
        for i in 0..<17 { small.append(Double(i)) }
        XCTAssertEqual(small.count, 13, "thinning halves the older half: 8 -> 4, keeps 8, adds 1")
        XCTAssertEqual(small.last, 16)
    }

    /// Publishing from one thread while another reads: run under `swift test --sanitize=thread`.
    func testConcurrentPublishAndRead() {
        let ch = TrainingChannel()
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            for i in 0..<20_000 {
                ch.update { s in s.batchLoss.append(Double(i)); s.updates = i + 1 }
                if i % 100 == 0 { _ = ch.drainCommands() }
            }
            done.signal()
        }
        t.start()
        var last: UInt64 = 0
        var reads = 0
        while done.wait(timeout: .now()) == .timedOut {
            let v = ch.version
            XCTAssertGreaterThanOrEqual(v, last)
            last = v
            let snap = ch.snapshot()
            XCTAssertEqual(snap.batchLoss.count, snap.updates)
            ch.send(.checkpoint)
            reads += 1
        }
        XCTAssertEqual(ch.snapshot().updates, 20_000)
        XCTAssertGreaterThan(reads, 0)
    }
}
