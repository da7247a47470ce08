#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HyperSearch
import XCTest

/// `LocalExecutor` steered by `FitControl`, with a shell script standing in for `trainboard fit-trial` (it ignores its
/// arguments and sleeps, or exits at once for fit 0).
final class FitControlTests: XCTestCase {
    func executor(jobs: Int) throws -> (LocalExecutor, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tbfc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/fake-trainboard"
        // $3 is the fit number: fit 0 ends at once with status 0, the others sleep 30 s.
        try "#!/bin/sh\n[ \"$3\" = 0 ] && exit 0\nexec sleep 30\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        return (LocalExecutor(executable: script, directory: SearchDirectory(dir), jobs: jobs, blasThreads: 1,
                              refitIndex: 99), dir)
    }

    func testCancelKillsRunningFitsAndNeverStartsTheOthers() throws {
        let (ex, _) = try executor(jobs: 2)
        let control = FitControl()
        var endings: [Int: LocalExecutor.Ending] = [:]
        let started = Date()
        // Once fit 1 and fit 2 run (fit 0 ended), cancel fits 1..3 from another thread.
        DispatchQueue.global().async {
            while control.runningFits != [1, 2] && Date().timeIntervalSince(started) < 20 { usleep(10_000) }
            control.cancel([1, 2, 3])
        }
        try ex.run([0, 1, 2, 3], control: control) { i, e in endings[i] = e }
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "the sleeping fits were not killed")
        XCTAssertEqual(endings[0], .exited(0))
        XCTAssertEqual(endings[1], .signaled(SIGKILL))
        XCTAssertEqual(endings[2], .signaled(SIGKILL))
        XCTAssertNil(endings[3], "a cancelled fit must not start")
        XCTAssertTrue(control.isCancelled(3))
        XCTAssertFalse(control.isCancelled(0))
        XCTAssertEqual(control.runningFits, [])
    }

    func testStopKillsEverythingAndStartsNothingMore() throws {
        let (ex, _) = try executor(jobs: 1)
        let control = FitControl()
        var endings: [Int: LocalExecutor.Ending] = [:]
        let started = Date()
        DispatchQueue.global().async {
            while control.runningFits != [1] && Date().timeIntervalSince(started) < 20 { usleep(10_000) }
            XCTAssertEqual(control.stop(), [1])
        }
        try ex.run([0, 1, 2], control: control) { i, e in endings[i] = e }
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        XCTAssertEqual(endings, [0: .exited(0), 1: .signaled(SIGKILL)])
        XCTAssertTrue(control.isStopped)
        // After a stop nothing starts, even in a new run.
        var more: [Int] = []
        try ex.run([2], control: control) { i, _ in more.append(i) }
        XCTAssertEqual(more, [])
    }
}
