import Foundation
import NeuralEngine
import TrainboardKit
import XCTest

final class EpochLineReporterTests: XCTestCase {
    func testLineIsKerasVerbose2() {
        let logs: Logs = ["val_loss": 0.40031, "loss": 0.35612, "accuracy": 0.87119, "val_accuracy": 0.85714,
                          "learning_rate": 0.0994, "batch_loss": 0.3, "size": 128]
        XCTAssertEqual(EpochLineReporter.line(steps: 469, of: 469, seconds: 1.2, logs: logs),
                       "469/469 - 1s - 3ms/step - accuracy: 0.8712 - learning_rate: 0.0994 - loss: 0.3561 - val_accuracy: 0.8571 - val_loss: 0.4003")
    }

    func testSmallValuesNaNAndInfinity() {
        let logs: Logs = ["learning_rate": 0.0001, "loss": .nan, "val_loss": .infinity, "accuracy": 0.001]
        XCTAssertEqual(EpochLineReporter.line(steps: 2, of: 4, seconds: 4, logs: logs),
                       "2/4 - 4s - 2s/step - accuracy: 1.0000e-03 - learning_rate: 1.0000e-04 - loss: nan - val_loss: inf")
    }

    func testStepTimeUnits() {
        XCTAssertEqual(EpochLineReporter.line(steps: 1000, of: 1000, seconds: 0.25, logs: [:]), "1000/1000 - 0s - 250us/step")
        XCTAssertEqual(EpochLineReporter.line(steps: 0, of: 10, seconds: 0, logs: [:]), "0/10 - 0s - 0us/step")
    }

    func testFormatValue() {
        XCTAssertEqual(EpochLineReporter.formatValue(0.35612), "0.3561")
        XCTAssertEqual(EpochLineReporter.formatValue(12.5), "12.5000")
        XCTAssertEqual(EpochLineReporter.formatValue(-0.5), "-0.5000")
        XCTAssertEqual(EpochLineReporter.formatValue(0.0011), "0.0011")
        XCTAssertEqual(EpochLineReporter.formatValue(0.001), "1.0000e-03")   // not > 1e-3
        XCTAssertEqual(EpochLineReporter.formatValue(0.00012345), "1.2345e-04")
        XCTAssertEqual(EpochLineReporter.formatValue(-0.0005), "-5.0000e-04")
        XCTAssertEqual(EpochLineReporter.formatValue(0), "0.0000e+00")
        XCTAssertEqual(EpochLineReporter.formatValue(.nan), "nan")
        XCTAssertEqual(EpochLineReporter.formatValue(.infinity), "inf")
        XCTAssertEqual(EpochLineReporter.formatValue(-.infinity), "-inf")
    }

    func testCallbackWritesEpochHeaderAndLine() {
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        let r = EpochLineReporter(epochs: 3, stepsPerEpoch: 5) { lines.all.append($0) }
        r.onEpochBegin(1, logs: [:])
        for b in 0..<5 { r.onTrainBatchEnd(b, logs: [:]) }
        var logs: Logs = ["loss": 0.5]
        r.onEpochEnd(1, logs: &logs)
        XCTAssertEqual(lines.all.count, 2)
        XCTAssertEqual(lines.all.first, "Epoch 2/3")
        XCTAssertTrue(lines.all.last?.hasPrefix("5/5 - 0s - ") == true, lines.all.last ?? "")
        XCTAssertTrue(lines.all.last?.hasSuffix(" - loss: 0.5000") == true, lines.all.last ?? "")
    }
}

final class JSONLinesLoggerTests: XCTestCase {
    private func objects(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try XCTUnwrap(o as? [String: Any], String(line))
        }
    }

    func testEveryLineIsJSONAndNonFiniteBecomesNull() throws {
        let path = try makeTemporaryDirectory(self).appendingPathComponent("sub/log.jsonl").path
        let logger = try JSONLinesLogger(path: path)
        var logs: Logs = ["loss": 0.25, "accuracy": 1, "val_loss": .nan, "val_accuracy": -.infinity, "learning_rate": 1e-5]
        logger.onEpochEnd(0, logs: &logs)
        logger.append([("event", "note"), ("text", "quote \" backslash \\ newline \n tab \t bell \u{07} é"),
                       ("flag", true), ("n", 3)])
        logger.onTrainEnd(logs: [:])
        let objs = try objects(path)
        XCTAssertEqual(objs.count, 3)
        let e = objs[0]
        XCTAssertEqual(e["event"] as? String, "epoch")
        XCTAssertEqual((e["epoch"] as? NSNumber)?.intValue, 0)
        XCTAssertEqual((e["loss"] as? NSNumber)?.doubleValue, 0.25)
        XCTAssertEqual((e["accuracy"] as? NSNumber)?.doubleValue, 1)
        XCTAssertEqual((e["learning_rate"] as? NSNumber)?.doubleValue, 1e-5)
        XCTAssertTrue(e["val_loss"] is NSNull)
        XCTAssertEqual(e["val_loss_raw"] as? String, "nan")
        XCTAssertTrue(e["val_accuracy"] is NSNull)
        XCTAssertEqual(e["val_accuracy_raw"] as? String, "-inf")
        XCTAssertEqual(objs[1]["text"] as? String, "quote \" backslash \\ newline \n tab \t bell \u{07} é")
        XCTAssertEqual((objs[1]["flag"] as? NSNumber)?.boolValue, true)
        XCTAssertEqual((objs[1]["n"] as? NSNumber)?.intValue, 3)
        XCTAssertEqual(objs[2]["event"] as? String, "train_end")
    }

    func testNumbersRoundTrip() throws {
        let path = try makeTemporaryDirectory(self).appendingPathComponent("n.jsonl").path
        let logger = try JSONLinesLogger(path: path)
        // The extremes are spelled as constants: the literals 5e-324 and 123456789012345678 are not exactly representable.
        let values: [Double] = [0, -0.0, 1, -3, 0.1, 1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                123_456_789_012_345_680, 2.5e-7]
        logger.append(values.enumerated().map { ("v\($0.offset)", $0.element as Any) })
        let o = try XCTUnwrap(try objects(path).first)
        for (i, v) in values.enumerated() {
            XCTAssertEqual((o["v\(i)"] as? NSNumber)?.doubleValue, v, "v\(i)")
        }
    }

    func testAppendMode() throws {
        let path = try makeTemporaryDirectory(self).appendingPathComponent("a.jsonl").path
        try JSONLinesLogger(path: path).append([("a", 1)])
        try JSONLinesLogger(path: path, append: true).append([("b", 2)])
        XCTAssertEqual(try objects(path).count, 2)
        try JSONLinesLogger(path: path).append([("c", 3)])
        XCTAssertEqual(try objects(path).count, 1)
    }

    func testUnwritablePathThrowsNamingIt() {
        XCTAssertThrowsError(try JSONLinesLogger(path: "/proc/nope/log.jsonl")) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "log-jsonl")
            XCTAssertTrue("\(error)".contains("/proc/nope/log.jsonl"), "\(error)")
        }
    }
}

final class ProcessStatsTests: XCTestCase {
    func testParseWithAwkwardCommandName() throws {
        // Field 2 contains spaces and a ')'; utime (14) = 250 ticks, stime (15) = 50 ticks.
        let stat = "4242 (my (odd) prog) R 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 3 0 100 123456789 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
        let status = """
        Name:\tmy (odd) prog
        VmPeak:\t  300000 kB
        VmHWM:\t   20480 kB
        VmRSS:\t   10240 kB
        Threads:\t3

        """
        let s = try XCTUnwrap(ProcessStats.parse(stat: stat, status: status, ticksPerSecond: 100))
        XCTAssertEqual(s.cpuSeconds, 3.0, accuracy: 1e-12)
        XCTAssertEqual(s.rssMiB, 10.0, accuracy: 1e-12)
        XCTAssertEqual(s.peakRSSMiB, 20.0, accuracy: 1e-12)
    }

    func testMalformedInput() {
        XCTAssertNil(ProcessStats.parse(stat: "no parens here", status: "", ticksPerSecond: 100))
        XCTAssertNil(ProcessStats.parse(stat: "1 (x) R 1 2", status: "", ticksPerSecond: 100))
        XCTAssertNil(ProcessStats.parse(stat: "1 (x) R 1 2 3 4 5 6 7 8 9 10 11 12", status: "", ticksPerSecond: 0))
        let s = ProcessStats.parse(stat: "1 (x) R 1 2 3 4 5 6 7 8 9 10 11 12", status: "", ticksPerSecond: 10)
        XCTAssertEqual(s?.cpuSeconds ?? -1, 2.3, accuracy: 1e-12)   // utime 11 + stime 12 ticks
        XCTAssertEqual(s?.rssMiB, 0)
    }

    func testSampleOnLinux() throws {
        #if os(Linux)
        let s = try XCTUnwrap(ProcessStats.sample())
        XCTAssertGreaterThan(s.rssMiB, 1)
        XCTAssertGreaterThanOrEqual(s.peakRSSMiB, s.rssMiB)
        XCTAssertGreaterThan(s.cpuSeconds, 0)
        #endif
    }
}

final class BenchmarkTests: XCTestCase {
    func testFlopsPerSample() {
        // Forward 2·m·n per layer; backward adds the weight gradient (2·m·n) everywhere and the input gradient
        // (2·m·n) for every layer but the first.
        let l1 = 2.0 * 784 * 512, l2 = 2.0 * 512 * 512, l3 = 2.0 * 512 * 10
        XCTAssertEqual(Benchmark.flopsPerSample([784, 512, 512, 10]), 2 * l1 + 3 * l2 + 3 * l3)
        XCTAssertEqual(Benchmark.flopsPerSample([784, 512, 512, 10]), 3_209_216)
        XCTAssertEqual(Benchmark.flopsPerSample([4, 3]), 48)
    }
}
