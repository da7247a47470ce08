import Foundation
import SafeIO
import XCTest
@testable import HyperSearch

/// Output of Slurm 22.05.8's commands captured on the test cluster (see Tests/Fixtures/slurm/README.md).
let slurmFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/slurm").path

func slurmFixture(_ name: String) throws -> String {
    String(decoding: try SafeFile.read("\(slurmFixtures)/\(name)", limit: 1 << 20), as: UTF8.self)
}

final class SlurmBatchTests: XCTestCase {
    func testArraySpec() {
        XCTAssertEqual(SlurmBatch.arraySpec([0, 1, 2, 3, 5, 7]), "0-3,5,7")
        XCTAssertEqual(SlurmBatch.arraySpec([5, 3, 4, 4, 9]), "3-5,9")
        XCTAssertEqual(SlurmBatch.arraySpec([12]), "12")
        XCTAssertEqual(SlurmBatch.arraySpec([]), "")
    }

    func testParseArraySpec() {
        XCTAssertEqual(SlurmBatch.parseArraySpec("2-3,5,7%2"), [2, 3, 5, 7])
        XCTAssertEqual(SlurmBatch.parseArraySpec("[2-3,5,7%2]"), [2, 3, 5, 7])
        XCTAssertEqual(SlurmBatch.parseArraySpec("0-9:3"), [0, 3, 6, 9])
        XCTAssertEqual(SlurmBatch.parseArraySpec("4"), [4])
        for bad in ["", "a", "5-3", "-1", "1-", "1,,2", "0-4:0", "N/A"] {
            XCTAssertNil(SlurmBatch.parseArraySpec(bad), bad)
        }
        // A range larger than the bound is refused before anything is allocated.
        XCTAssertNil(SlurmBatch.parseArraySpec("0-999999999999", limit: 1000))
        XCTAssertEqual(SlurmBatch.parseArraySpec("0-999", limit: 1000)?.count, 1000)
    }

    /// Any set of fit numbers survives the trip through Slurm's syntax.
    func testArraySpecRoundTrip() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let fits = (0..<Int.random(in: 1...40, using: &g)).map { _ in Int.random(in: 0..<100, using: &g) }
            XCTAssertEqual(SlurmBatch.parseArraySpec(SlurmBatch.arraySpec(fits)), Array(Set(fits)).sorted())
        }
    }

    func testCommands() {
        let s = SlurmSettings(partition: "gpu", time: "1:00:00", cpusPerFit: 4, mem: "2G", maxParallel: 16,
                              extraArgs: ["--qos=long", "--account=proj"])
        XCTAssertEqual(SlurmBatch.arrayCommand(fits: [0, 1, 2, 5], directory: "/shared/s", script: "/shared/s/slurm/fit.sh", settings: s),
                       ["sbatch", "--parsable", "--job-name=trainboard-search", "--array=0-2,5%16",
                        "--output=/shared/s/fits/fit-%5a.log", "--cpus-per-task=4", "--partition=gpu", "--time=1:00:00",
                        "--mem=2G", "--qos=long", "--account=proj", "/shared/s/slurm/fit.sh"])
        XCTAssertEqual(SlurmBatch.refitCommand(arrayJob: "77", refitIndex: 24, directory: "/shared/s", script: "/shared/s/slurm/fit.sh",
                                               settings: SlurmSettings()),
                       ["sbatch", "--parsable", "--job-name=trainboard-search-refit", "--dependency=afterok:77",
                        "--kill-on-invalid-dep=yes", "--output=/shared/s/refit.log", "--cpus-per-task=1",
                        "/shared/s/slurm/fit.sh", "24"])
        XCTAssertEqual(SlurmBatch.refitCommand(arrayJob: nil, refitIndex: 3, directory: "/d", script: "/d/slurm/fit.sh",
                                               settings: SlurmSettings()),
                       ["sbatch", "--parsable", "--job-name=trainboard-search-refit", "--output=/d/refit.log",
                        "--cpus-per-task=1", "/d/slurm/fit.sh", "3"])
    }

    func testShellQuoteAndPaths() {
        XCTAssertEqual(SlurmBatch.shellQuote("/shared/run-1/fit.sh"), "/shared/run-1/fit.sh")
        XCTAssertEqual(SlurmBatch.shellQuote("/a b/it's"), "'/a b/it'\\''s'")
        XCTAssertEqual(SlurmBatch.shellQuote("$HOME"), "'$HOME'")
        XCTAssertEqual(SlurmBatch.shellQuote(""), "''")
        XCTAssertNoThrow(try SlurmBatch.checkPath("/shared/search 1", what: "dir"))
        for bad in ["relative/dir", "/a%b", "/a\nb", "/a\\b"] {
            XCTAssertThrowsError(try SlurmBatch.checkPath(bad, what: "dir"), bad) { e in
                XCTAssertTrue("\(e)".contains(bad), "\(e)")
            }
        }
    }

    func testSettingsValidation() {
        for t in ["30", "30:00", "1:30:00", "2-0", "2-12:00", "2-12:00:00", "UNLIMITED"] {
            XCTAssertNoThrow(try SlurmSettings(time: t).validate(), t)
        }
        for t in ["", "5 hours", "1h", "1:2:3:4", "-5"] {
            XCTAssertThrowsError(try SlurmSettings(time: t).validate(), t) { XCTAssertTrue("\($0)".hasPrefix("--time:")) }
        }
        XCTAssertNoThrow(try SlurmSettings(mem: "500M").validate())
        XCTAssertThrowsError(try SlurmSettings(mem: "lots").validate()) { XCTAssertTrue("\($0)".contains("--mem: expected")) }
        XCTAssertThrowsError(try SlurmSettings(cpusPerFit: 0).validate()) { XCTAssertTrue("\($0)".contains("got 0")) }
        XCTAssertThrowsError(try SlurmSettings(maxParallel: 0).validate())
        XCTAssertThrowsError(try SlurmSettings(partition: "a b").validate())
        XCTAssertThrowsError(try SlurmSettings(extraArgs: ["--x\n#SBATCH"]).validate())
    }

    func testParsableAndConfig() throws {
        XCTAssertEqual(SlurmBatch.parseParsable("1234\n"), "1234")
        XCTAssertEqual(SlurmBatch.parseParsable("1234;cluster2\n"), "1234")
        XCTAssertNil(SlurmBatch.parseParsable(""))
        XCTAssertNil(SlurmBatch.parseParsable("sbatch: error: invalid partition\n"))
        XCTAssertEqual(SlurmBatch.parseMaxArraySize(try slurmFixture("scontrol-show-config.txt")), 1001)
        XCTAssertNil(SlurmBatch.parseMaxArraySize("MinJobAge = 300\n"))
    }

    /// The batch script itself, run with bash: a task runs `TB fit-trial DIR FIT` (the fit from the array task id, or
    /// the argument for the refit) with the BLAS threads of its CPUs; a missing binary fails with a message.
    func testScriptRunsTheFitUnit() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-script-\(UUID().uuidString)/a b").path
        try FileManager.default.createDirectory(atPath: tmp + "/search's", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: (tmp as NSString).deletingLastPathComponent) }
        let dir = tmp + "/search's"
        _ = FileManager.default.createFile(atPath: dir + "/plan.json", contents: Data("{}".utf8))
        let tb = tmp + "/tb"
        _ = FileManager.default.createFile(atPath: tb, contents: Data("#!/bin/sh\n[ \"$1\" = --version ] && { echo 9.9; exit 0; }\necho \"args:$1|$2|$3 blas:$OPENBLAS_NUM_THREADS\"\n".utf8),
                                       attributes: [.posixPermissions: 0o755])
        let script = tmp + "/fit.sh"
        _ = FileManager.default.createFile(atPath: script, contents: Data(SlurmBatch.script(executable: tb, directory: dir).utf8))

        func bash(_ args: [String], env: [String: String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [script] + args
            p.environment = env.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
            let pipe = Pipe()
            p.standardOutput = pipe; p.standardError = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        var (status, out) = try bash([], env: ["SLURM_ARRAY_TASK_ID": "7", "SLURM_CPUS_PER_TASK": "3", "SLURM_JOB_ID": "55"])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("args:fit-trial|\(dir)|7 blas:3"), out)
        XCTAssertTrue(out.contains("fit 7 (job 55, array -)"), out)
        (status, out) = try bash(["24"], env: ["SLURM_ARRAY_TASK_ID": "7"])
        XCTAssertTrue(out.contains("args:fit-trial|\(dir)|24 blas:1"), out)
        (status, out) = try bash([], env: [:])
        XCTAssertEqual(status, 2)
        XCTAssertTrue(out.contains("no fit number"), out)
        try FileManager.default.removeItem(atPath: tb)
        (status, out) = try bash([], env: ["SLURM_ARRAY_TASK_ID": "3"])
        XCTAssertEqual(status, 127)
        XCTAssertTrue(out.contains("fit 3") && out.contains("cannot run \(tb)") && out.contains("every node"), out)
    }
}

final class SlurmQueueTests: XCTestCase {
    func testSqueueOnePerTask() throws {
        let s = SlurmQueue.parseSqueue(try slurmFixture("squeue-r.txt"))
        XCTAssertEqual(s.count, 5)
        XCTAssertEqual(s[0], SlurmJobStatus(arrayJobId: "11", taskIds: [2], jobId: "11", state: "PENDING", reason: "JobArrayTaskLimit"))
        XCTAssertEqual(s[2], SlurmJobStatus(arrayJobId: "12", taskIds: [], jobId: "12", state: "PENDING", reason: "Dependency"))
        XCTAssertEqual(s[3], SlurmJobStatus(arrayJobId: "11", taskIds: [0], jobId: "13", state: "RUNNING", reason: "None", nodes: "vm"))
        XCTAssertEqual(s[4].taskIds, [1])
        XCTAssertEqual(s[4].jobId, "14")
    }

    func testSqueueCompactPendingRange() throws {
        let s = SlurmQueue.parseSqueue(try slurmFixture("squeue-compact.txt"))
        XCTAssertEqual(s.map(\.taskIds), [[2, 4], [], [0], [1]])
        // Not job lines: skipped.
        XCTAssertEqual(SlurmQueue.parseSqueue("slurm_load_jobs error: Invalid job id specified\n\n1|2|3\n"), [])
    }

    func testScontrolPendingAndRunning() throws {
        let s = SlurmQueue.parseScontrol(try slurmFixture("scontrol1.txt"))
        XCTAssertEqual(s.map(\.taskIds), [[2, 3, 5, 7], [1], [0]])
        XCTAssertEqual(s.map(\.jobId), ["1", "4", "3"])
        XCTAssertEqual(s.map(\.state), ["PENDING", "RUNNING", "RUNNING"])
        XCTAssertEqual(s[0].reason, "JobArrayTaskLimit")
        XCTAssertNil(s[0].nodes)
        XCTAssertEqual(s[1].nodes, "vm")
        XCTAssertEqual(s[1].runTime, "00:00:04")
        // A value with a space (the command's arguments) stays whole.
        let fields = SlurmQueue.scontrolFields(Substring(try slurmFixture("scontrol1.txt").split(separator: "\n")[0]))
        XCTAssertEqual(fields["Command"], "/tmp/h12/t.sh 30")
        XCTAssertEqual(fields["AllocNode:Sid"], "localhost:16893")
    }

    func testEndedTasks() throws {
        let cancelled = try XCTUnwrap(SlurmQueue.parseScontrol(try slurmFixture("scontrol-cancelled.txt")).first)
        XCTAssertEqual(SlurmQueue.fitState(cancelled, hasResult: false, cancelledByUs: false), .failed)
        XCTAssertEqual(SlurmQueue.fitState(cancelled, hasResult: false, cancelledByUs: true), .cancelled)
        XCTAssertEqual(SlurmQueue.fitState(cancelled, hasResult: true, cancelledByUs: false), .completed)
        XCTAssertEqual(SlurmQueue.endReason(cancelled),
                       "CANCELLED (signal 15): cancelled by scancel or an administrator on vm after 00:00:07")
        let timeout = try XCTUnwrap(SlurmQueue.parseScontrol(try slurmFixture("scontrol-timeout.txt")).first)
        XCTAssertEqual(timeout.taskIds, [])
        XCTAssertEqual(SlurmQueue.fitState(timeout, hasResult: false, cancelledByUs: false), .timeout)
        XCTAssertEqual(SlurmQueue.endReason(timeout),
                       "TIMEOUT (signal 15): the time limit (--time) was reached on vm after 00:01:15, reason TimeLimit")
        let failed = SlurmQueue.parseScontrol(try slurmFixture("scontrol-failed.txt"))
        XCTAssertEqual(failed.map(\.taskIds), [[1], [0]])
        XCTAssertEqual(SlurmQueue.fitState(failed[0], hasResult: false, cancelledByUs: false), .failed)
        XCTAssertTrue(SlurmQueue.endReason(failed[0]).hasPrefix("FAILED (exit status 3) on vm after"), SlurmQueue.endReason(failed[0]))
        let refit = try XCTUnwrap(SlurmQueue.parseScontrol(try slurmFixture("scontrol-refit-killed.txt")).first)
        XCTAssertEqual(SlurmQueue.fitState(refit, hasResult: false, cancelledByUs: false), .cancelled)
        XCTAssertTrue(SlurmQueue.endReason(refit).contains("--dependency=afterok"))
        let pendingRefit = try XCTUnwrap(SlurmQueue.parseScontrol(try slurmFixture("scontrol-refit-pending.txt")).first)
        XCTAssertEqual(SlurmQueue.fitState(pendingRefit, hasResult: false, cancelledByUs: false), .pending)
        XCTAssertEqual(pendingRefit.reason, "Dependency")
    }
}

/// Slurm's commands replaced by recorded answers, in order per command.
final class FakeSlurm: SlurmCommands, @unchecked Sendable {
    var answers: [String: [CommandOutput]] = [:]
    var calls: [[String]] = []
    func run(_ arguments: [String]) throws -> CommandOutput {
        calls.append(arguments)
        let name = arguments[0] == "scontrol" ? "scontrol \(arguments[1])" : arguments[0]
        guard var list = answers[name], !list.isEmpty else { return CommandOutput(status: 1, stdout: "", stderr: "no answer") }
        let a = list.removeFirst()
        answers[name] = list
        return a
    }
    func answer(_ name: String, _ stdout: String, status: Int32 = 0, stderr: String = "") {
        answers[name, default: []].append(CommandOutput(status: status, stdout: stdout, stderr: stderr))
    }
}

final class SlurmExecutorTests: XCTestCase {
    func makeSearch() throws -> (SearchDirectory, SearchPlan) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-exec-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let plan = SearchPlan(kind: "grid", space: "init=zero,he_normal",
                              candidates: [["init": .string("zero")], ["init": .string("he_normal")]], nSplits: 2,
                              crossValidator: .kFold, shuffleFolds: false, seed: 1, testFold: [0, 0, 1, 1],
                              scoring: .accuracy, returnTrainScore: false, options: [:], created: "now")
        let dir = SearchDirectory(path)
        try dir.writePlan(plan)
        return (dir, plan)
    }

    func result(_ i: Int) -> FitResult {
        FitResult(index: i, candidate: i / 2, split: i % 2, params: [:], testScore: 0.5, trainScore: nil, fitTime: 1,
                  scoreTime: 0, nTrainSamples: 2, nTestSamples: 2, epochs: 1, reason: "", error: nil)
    }

    /// Submission, then the queue as Slurm reports it: running, finished with a result, killed by scancel; the state
    /// file follows; the refit is cancelled by Slurm (afterok can no longer be met).
    func testSubmitAndFollow() throws {
        let (dir, plan) = try makeSearch()
        try dir.writeResult(result(3))   // finished before: not submitted
        let fake = FakeSlurm()
        fake.answer("scontrol show", "MaxArraySize            = 1001\n")
        fake.answer("sbatch", "41\n")
        fake.answer("sbatch", "42\n")
        let exec = SlurmExecutor(directory: dir, plan: plan, settings: SlurmSettings(maxParallel: 2),
                                 executable: "/opt/tb/trainboard", refitLocal: false, commands: fake)
        let fits = try exec.unfinishedFits()
        XCTAssertEqual(fits, [0, 1, 2])
        try exec.submit(fits: fits)
        XCTAssertEqual(fake.calls[1], ["sbatch", "--parsable", "--job-name=trainboard-search", "--array=0-2%2",
                                       "--output=\(dir.path)/fits/fit-%5a.log", "--cpus-per-task=1", dir.slurmScriptPath])
        XCTAssertEqual(fake.calls[2].prefix(4), ["sbatch", "--parsable", "--job-name=trainboard-search-refit", "--dependency=afterok:41"])
        XCTAssertEqual(fake.calls[2].suffix(2), [dir.slurmScriptPath, "4"])
        var saved = try XCTUnwrap(try dir.slurmState())
        XCTAssertEqual(saved.arrayJobId, "41")
        XCTAssertEqual(saved.refitJobId, "42")
        XCTAssertEqual(saved.fits.map(\.state), [.pending, .pending, .pending, .completed])
        XCTAssertEqual(saved.fits.map(\.jobId), ["41_0", "41_1", "41_2", nil])
        XCTAssertTrue(String(decoding: try SafeFile.read(dir.slurmScriptPath, limit: 1 << 20), as: UTF8.self).contains("tb=/opt/tb/trainboard\n"))

        fake.answer("squeue", "41|2|41|PENDING|JobArrayTaskLimit|\n42|N/A|42|PENDING|Dependency|\n41|0|43|RUNNING|None|n1\n41|1|44|RUNNING|None|n2\n")
        var changes = try exec.poll()
        XCTAssertEqual(changes.map(\.record.fit), [0, 1, 2])
        XCTAssertEqual(exec.state.fits.map(\.state), [.running, .running, .pending, .completed])
        XCTAssertEqual(exec.state.fits[1].node, "n2")
        XCTAssertEqual(exec.state.fits[2].reason, "JobArrayTaskLimit")

        // Fit 0 wrote its result and left the queue; fit 1 was killed with scancel; fit 2 runs.
        try dir.writeResult(result(0))
        fake.answer("squeue", "42|N/A|42|PENDING|Dependency|\n41|2|45|RUNNING|None|n1\n")
        fake.answer("scontrol show", """
        JobId=44 ArrayJobId=41 ArrayTaskId=1 JobState=CANCELLED Reason=None ExitCode=0:15 RunTime=00:00:09 NodeList=n2 BatchHost=n2
        JobId=43 ArrayJobId=41 ArrayTaskId=0 JobState=COMPLETED Reason=None ExitCode=0:0 RunTime=00:00:20 NodeList=n1

        """)
        changes = try exec.poll()
        XCTAssertEqual(exec.state.fits.map(\.state), [.completed, .failed, .running, .completed])
        XCTAssertEqual(exec.state.fits[1].reason, "CANCELLED (signal 15): cancelled by scancel or an administrator on n2 after 00:00:09")
        XCTAssertEqual(exec.state.fits[1].slurmState, "CANCELLED")
        XCTAssertFalse(exec.isDone)

        // Fit 2 finishes; the refit job is cancelled by Slurm.
        try dir.writeResult(result(2))
        fake.answer("squeue", "", status: 1, stderr: "slurm_load_jobs error: Invalid job id specified\n")
        fake.answer("scontrol show", "JobId=42 JobState=CANCELLED Reason=DependencyNeverSatisfied Dependency=afterok:41_*(failed) ExitCode=0:0 RunTime=00:00:00 NodeList=\n")
        changes = try exec.poll()
        XCTAssertEqual(changes.map(\.record.fit), [2, 4])
        XCTAssertTrue(exec.isDone)
        saved = try XCTUnwrap(try dir.slurmState())
        XCTAssertEqual(saved.fits.map(\.state), [.completed, .failed, .completed, .completed])
        XCTAssertEqual(saved.refit?.state, .cancelled)
        XCTAssertEqual(saved.refit?.jobId, "42")
    }

    func testSbatchRefusalAndArraySize() throws {
        let (dir, plan) = try makeSearch()
        let fake = FakeSlurm()
        fake.answer("scontrol show", "MaxArraySize = 1001\n")
        fake.answer("sbatch", "", status: 1, stderr: "sbatch: error: invalid partition specified: gpu\n")
        let exec = SlurmExecutor(directory: dir, plan: plan, settings: SlurmSettings(), executable: "/tb",
                                 refitLocal: true, commands: fake)
        XCTAssertThrowsError(try exec.submit(fits: [0, 1])) { e in
            XCTAssertTrue("\(e)".hasPrefix("sbatch refused the job (status 1): sbatch: error: invalid partition specified: gpu. "
                                          + "Does `sinfo` reach the cluster from here?"), "\(e)")
            XCTAssertTrue("\(e)".contains("`trainboard search --resume \(dir.path)` runs it on this machine"), "\(e)")
        }
        let small = FakeSlurm()
        small.answer("scontrol show", "MaxArraySize            = 3\n")
        let exec2 = SlurmExecutor(directory: dir, plan: plan, settings: SlurmSettings(), executable: "/tb",
                                  refitLocal: true, commands: small)
        XCTAssertThrowsError(try exec2.submit(fits: [0, 3])) { e in
            XCTAssertTrue("\(e)".contains("fit 3 cannot be an array task: this cluster's MaxArraySize is 3"), "\(e)")
        }
        XCTAssertFalse(small.calls.contains { $0[0] == "sbatch" })
    }

    /// A cancel by the follower: tasks that end without a result are `cancelled`, not `failed`.
    func testCancelByUs() throws {
        let (dir, plan) = try makeSearch()
        let fake = FakeSlurm()
        fake.answer("sbatch", "7\n")
        let exec = SlurmExecutor(directory: dir, plan: plan, settings: SlurmSettings(), executable: "/tb",
                                 refitLocal: true, commands: fake)
        try exec.submit(fits: [0, 1, 2, 3])
        fake.answer("scancel", "")
        XCTAssertEqual(try exec.cancel().status, 0)
        XCTAssertEqual(fake.calls.last, ["scancel", "7"])
        try dir.writeResult(result(0))
        fake.answer("squeue", "")
        fake.answer("scontrol show", """
        JobId=7 ArrayJobId=7 ArrayTaskId=2-3 JobState=CANCELLED Reason=None ExitCode=0:0 RunTime=00:00:00 NodeList=(null)
        JobId=8 ArrayJobId=7 ArrayTaskId=1 JobState=CANCELLED Reason=None ExitCode=0:15 RunTime=00:00:02 NodeList=n1

        """)
        _ = try exec.poll()
        XCTAssertEqual(exec.state.fits.map(\.state), [.completed, .cancelled, .cancelled, .cancelled])
        XCTAssertEqual(exec.state.fits.map(\.reason), [nil, "cancelled by this search (s or Ctrl-C) while running on n1",
                                                       "cancelled by this search (s or Ctrl-C) before it started",
                                                       "cancelled by this search (s or Ctrl-C) before it started"])
        XCTAssertTrue(exec.isDone)
    }
}
