import Foundation
import XCTest
@testable import NeuralEngine

/// `ModelSnapshot` and `CheckpointWriter`: background checkpoint writes that are atomic, in order, and
/// report every error, from weights copied at the moment of the request.
final class CheckpointWriterTests: XCTestCase {
    /// A 20-64-5 classifier with a little training data, so that `fit` visibly moves the weights.
    private func trainedModel() throws -> (Sequential, Dataset) {
        var g = SeededGenerator(seed: 11)
        let n = 64
        let x = (0..<n * 20).map { _ in g.nextUnitFloat() }
        let data = try Dataset(features: .floats(x), featureCount: 20,
                               targets: .classes((0..<n).map { Int32($0 % 5) }, classCount: 5))
        let model = Sequential([Dense(64, activation: .relu), Dense(5, activation: .softmax)], seed: 3)
        model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.5), loss: .categoricalCrossentropy)
        try model.fit(data, batchSize: 16, epochs: 1)
        return (model, data)
    }

    private func tensors(_ path: String) throws -> [Matrix] { try Sequential.load(from: path).model.getWeights() }

    /// The snapshot holds the weights of the moment it was taken, even when it is written after more training; its
    /// file is byte for byte the file a synchronous `save` writes at that moment.
    func testSnapshotIsTheWeightsAtTheRequestEvenWhenWrittenAfterMoreTraining() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (model, data) = try trainedModel()
        let meta = ModelMetadata(epoch: 0, iterations: model.optimizer?.iterations, reason: "test")
        let before = model.getWeights()
        try model.save(to: dir + "/sync.tbmodel", metadata: meta)
        let snap = model.snapshot(metadata: meta)
        XCTAssertEqual(snap.weights, before)
        try model.fit(data, batchSize: 16, epochs: 3)
        XCTAssertNotEqual(model.getWeights(), before, "training moved the weights")
        let writer = CheckpointWriter()
        writer.write(snap, to: dir + "/async.tbmodel")
        writer.waitUntilIdle()
        XCTAssertEqual(try tensors(dir + "/async.tbmodel"), before)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/async.tbmodel")),
                       try Data(contentsOf: URL(fileURLWithPath: dir + "/sync.tbmodel")))
    }

    /// Writes and their completions happen in request order: six snapshots to one path leave the last one there,
    /// and completions arrive 0, 1, ..., 5.
    func testWritesAndCompletionsAreInRequestOrder() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (model, data) = try trainedModel()
        let writer = CheckpointWriter(maxPending: 2)
        let order = LockedArray()
        var last: [Matrix] = []
        for k in 0..<6 {
            try model.fit(data, batchSize: 16, epochs: 1)
            last = model.getWeights()
            writer.write(model.snapshot(metadata: ModelMetadata(iterations: k)), to: dir + "/same.tbmodel") { r in
                XCTAssertNil(r.error)
                order.append(r.metadata.iterations ?? -1)
            }
            writer.write(model.snapshot(metadata: ModelMetadata(iterations: k)), to: dir + "/m\(k).tbmodel") { r in
                order.append(100 + (r.metadata.iterations ?? -1))
            }
        }
        writer.waitUntilIdle()
        XCTAssertEqual(writer.pendingCount, 0)
        XCTAssertEqual(order.values, (0..<6).flatMap { [$0, 100 + $0] })
        let (reloaded, meta) = try Sequential.load(from: dir + "/same.tbmodel")
        XCTAssertEqual(meta.iterations, 5, "the last request wins")
        XCTAssertEqual(reloaded.getWeights(), last)
        for k in 0..<6 { XCTAssertEqual(try Sequential.load(from: dir + "/m\(k).tbmodel").metadata.iterations, k) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }, [],
                       "no temporary file is left behind")
    }

    /// While an existing checkpoint is replaced over and over, a reader polling the path always finds a complete file
    /// (the old or a new one, never a prefix), and the directory shows no other visible name.
    func testNoPartialFileIsEverVisible() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 256-512-10: ~137k weights, a ~1.5 MB file, so each write takes many milliseconds.
        let model = Sequential([Dense(512, activation: .relu, inputDim: 256), Dense(10, activation: .softmax)], seed: 5)
        model.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
        try model.build(inputUnits: 256)
        let path = dir + "/ckpt.tbmodel"
        try model.save(to: path, metadata: ModelMetadata(iterations: -1))
        let expectedBytes = try Data(contentsOf: URL(fileURLWithPath: path)).count
        let writer = CheckpointWriter()
        for k in 0..<8 { writer.write(model.snapshot(metadata: ModelMetadata(iterations: k)), to: path) }
        var reads = 0
        repeat {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            // Iterations -1...7 change the length by at most one byte.
            XCTAssertLessThanOrEqual(abs(data.count - expectedBytes), 1, "read \(data.count) bytes")
            let (_, meta) = try Sequential.load(from: path)
            XCTAssertNotNil(meta.iterations)
            let visible = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }
            XCTAssertEqual(visible, ["ckpt.tbmodel"])
            reads += 1
        } while writer.pendingCount > 0
        writer.waitUntilIdle()
        XCTAssertEqual(try Sequential.load(from: path).metadata.iterations, 7)
        XCTAssertGreaterThan(reads, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["ckpt.tbmodel"])
    }

    /// A directory that cannot be created (its parent is a regular file; this also holds for root, unlike
    /// permissions) gives one completion with `ModelIOError.unwritable` naming the path and the POSIX reason, writes
    /// nothing, and later writes still work.
    func testUnwritableDirectoryIsReportedNotLost() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (model, _) = try trainedModel()
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/file", contents: Data("x".utf8)))
        let bad = dir + "/file/sub/ckpt.tbmodel"
        let writer = CheckpointWriter()
        let results = LockedArray()
        let messages = LockedStrings()
        writer.write(model.snapshot(), to: bad) { r in
            results.append(r.error == nil ? 0 : 1)
            messages.append(r.error.map { "\($0)" } ?? "")
        }
        writer.write(model.snapshot(), to: dir + "/good.tbmodel") { r in results.append(r.error == nil ? 0 : 1) }
        writer.waitUntilIdle()
        XCTAssertEqual(results.values, [1, 0])
        // SafeFile names the path component that is not a directory.
        XCTAssertEqual(messages.values, ["\(bad): cannot write model file: \(dir)/file is not a directory"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad))
        XCTAssertThrowsError(try model.save(to: bad)) { e in
            guard case ModelIOError.unwritable(let p, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(p, bad)
            XCTAssertEqual(reason, "\(dir)/file is not a directory")
        }
        // A directory in the way of the file name.
        try FileManager.default.createDirectory(atPath: dir + "/adir.tbmodel", withIntermediateDirectories: false)
        XCTAssertThrowsError(try model.save(to: dir + "/adir.tbmodel")) { e in
            XCTAssertEqual("\(e)", "\(dir)/adir.tbmodel: cannot write model file: is a directory")
        }
    }
}

/// Thread-safe collectors for completions (they run on the writer's thread).
final class LockedArray: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int] = []
    func append(_ v: Int) { lock.lock(); items.append(v); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return items }
}

final class LockedStrings: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ v: String) { lock.lock(); items.append(v); lock.unlock() }
    var values: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
