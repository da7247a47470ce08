import Foundation
import XCTest
@testable import NeuralEngine

/// The vectorised and two-thread kernels (issue 6, item 12) against their definitions, element by element, including
/// the lengths that leave a scalar tail.
final class KernelTests: XCTestCase {
    /// Dropout keeps input i when its 16-bit draw (draw i/4 of the model's dropout stream, bits 16·(i%4) and up) is
    /// below round(65536 · (1 - rate)), and scales survivors by 1 / (1 - rate): checked for 8k+5 inputs (SIMD body
    /// plus tail), with NaN and infinity inputs (a dropped NaN stays NaN: x · 0).
    func testDropoutMaskFollowsTheDrawRuleForEveryLength() throws {
        for (rows, cols) in [(3, 7), (5, 13), (1, 64), (2, 3)] {
            let n = rows * cols
            let d = Dropout(0.3)
            var build = SeededGenerator(seed: 0)
            d.build(inputUnits: cols, rng: &build)
            d.prepare(batchCapacity: rows)
            var x = (0..<n).map { Float($0) - 10 }
            x[1] = .nan
            x[2] = .infinity
            var rng = SeededGenerator(seed: 21, stream: 3)
            let out = x.withUnsafeBufferPointer { xp in
                Array(UnsafeBufferPointer(start: d.forward(xp.baseAddress!, rows: rows, training: true, rng: &rng), count: n))
            }
            var reference = SeededGenerator(seed: 21, stream: 3)
            let threshold: UInt64 = 45875   // round(65536 * 0.7)
            let scale = Float(1 / 0.7)
            var bits: UInt64 = 0
            var kept = 0
            for i in 0..<n {
                if i % 4 == 0 { bits = reference.next() }
                let keep = (bits >> (16 * UInt64(i % 4))) & 0xFFFF < threshold
                kept += keep ? 1 : 0
                let expected = x[i] * (keep ? scale : 0)
                if expected.isNaN { XCTAssertTrue(out[i].isNaN, "\(n): input \(i)") } else {
                    XCTAssertEqual(out[i], expected, "\(n): input \(i)")
                }
            }
            XCTAssertEqual(rng.next(), reference.next(), "\(n): the same number of draws")
            XCTAssertGreaterThan(kept, 0)
        }
    }

    /// ReLU forward with a bias: z += b, a = z if z > 0 else 0 (-0 gives 0), for widths with and without a scalar
    /// tail; z keeps the biased values (the last layer's loss reads them). (NaN handling is the activation's rule,
    /// tested with it.)
    func testReluForwardWithBiasForEveryWidth() {
        for cols in [1, 7, 8, 11, 16, 19] {
            let rows = 3
            var z = (0..<rows * cols).map { Float($0 % 5) - 2.5 }
            if z.count > 3 { z[3] = -0.0 }
            let b = (0..<cols).map { Float($0) * 0.25 - 1 }
            let expectedZ = (0..<rows * cols).map { z[$0] + b[$0 % cols] }
            let expectedA = expectedZ.map { $0 > 0 ? $0 : 0 }
            var a = [Float](repeating: 7, count: rows * cols)
            z.withUnsafeMutableBufferPointer { zp in
                b.withUnsafeBufferPointer { bp in
                    a.withUnsafeMutableBufferPointer { ap in
                        Activation.relu.forward(z: zp.baseAddress!, bias: bp.baseAddress!, a: ap.baseAddress!, rows: rows, cols: cols)
                    }
                }
            }
            XCTAssertEqual(a, expectedA, "cols \(cols)")
            XCTAssertEqual(z, expectedZ, "cols \(cols)")
        }
    }

    /// `ChunkPool.run` calls the body exactly once per index, from both threads, and returns only when all are done.
    /// The gather of byte features (the AVX2 loop of `tb_gather_bytes` where the CPU has it): every value is the
    /// same float as `Float(byte) * scale`, bit for bit, for widths that leave every tail (1, 7, 31, 33, 784), for
    /// rows taken in any order and twice, and for the bytes 0 and 255; the one-hot targets follow the rows.
    func testByteGatherIsTheScalarProductForEveryWidth() throws {
        for f in [1, 7, 31, 33, 784] {
            let n = 9
            var bytes = (0..<(n * f)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            bytes[0] = 0
            bytes[n * f - 1] = 255
            let labels = (0..<n).map { Int32($0 % 4) }
            let scale = Float(1.0 / 255.0)
            let d = try Dataset(features: .bytes(bytes, scale: scale), featureCount: f,
                                targets: .classes(labels, classCount: 4))
            let order = [8, 0, 3, 3, 7]
            var x = [Float](repeating: .nan, count: order.count * f), y = [Float](repeating: .nan, count: order.count * 4)
            order.withUnsafeBufferPointer { o in
                x.withUnsafeMutableBufferPointer { xs in
                    y.withUnsafeMutableBufferPointer { ys in d.gather(o, x: xs.baseAddress!, y: ys.baseAddress!, targetWidth: 4) }
                }
            }
            for (r, i) in order.enumerated() {
                for j in 0..<f {
                    XCTAssertEqual(x[r * f + j].bitPattern, (Float(bytes[i * f + j]) * scale).bitPattern, "width \(f), row \(i), feature \(j)")
                }
                XCTAssertEqual(Array(y[r * 4 ..< r * 4 + 4]), (0..<4).map { $0 == Int(labels[i]) ? 1 : 0 })
            }
        }
    }

    func testChunkPoolRunsEveryIndexOnce() {
        let pool = ChunkPool(helper: true)
        for count in [0, 1, 2, 3, 17, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(1, count))
            hits.initialize(repeating: 0, count: max(1, count))
            defer { hits.deallocate() }
            nonisolated(unsafe) let h = hits
            pool.run(count: count) { i in
                h[i] += 1
                if i % 7 == 0 { usleep(100) }
            }
            XCTAssertEqual((0..<count).map { hits[$0] }, [Int](repeating: 1, count: count), "count \(count)")
        }
    }

    /// Above `Optimizer.parallelThreshold` the update is shared between two threads in chunks; every optimizer gives
    /// bit-for-bit the values of the one-thread update, over several steps.
    func testChunkedUpdateEqualsTheOneThreadUpdate() {
        func params(_ seed: UInt64) -> [Parameter] {
            var g = SeededGenerator(seed: seed)
            let shapes = [(700, 400), (1, 400), (400, 10), (1, 10)]   // 284,410 parameters > 2^18
            return shapes.enumerated().map { i, s in
                Parameter(name: "p\(i)", rows: s.0, cols: s.1, values: (0..<s.0 * s.1).map { _ in g.nextUnitFloat() - 0.5 })
            }
        }
        let makers: [() -> Optimizer] = [
            { SGD(learningRate: 0.1, momentum: 0.8, decay: 0.01) }, { SGD(learningRate: 0.1, momentum: 0.9, nesterov: true) },
            { SGD(learningRate: 0.05) }, { Adam(learningRate: 0.01) }, { RMSprop(learningRate: 0.01) },
            { Adagrad(learningRate: 0.1) },
        ]
        XCTAssertGreaterThanOrEqual(params(1).reduce(0) { $0 + $1.count }, Optimizer.parallelThreshold)
        for make in makers {
            let chunked = make(), single = make()
            let a = params(1), b = params(1)
            var g = SeededGenerator(seed: 5)
            for step in 1...3 {
                for (pa, pb) in zip(a, b) {
                    for k in 0..<pa.count { let v = g.nextUnitFloat() - 0.5; pa.grad.pointer[k] = v; pb.grad.pointer[k] = v }
                }
                chunked.apply(a)
                let lr = Float(single.currentLearningRate)
                for (i, p) in b.enumerated() {
                    single.prepare(p, slot: i)
                    single.update(p, slot: i, lr: lr, step: step, range: 0..<p.count)
                }
                single.iterations += 1
            }
            for (pa, pb) in zip(a, b) {
                XCTAssertTrue(pa.matrix.storage.elementsEqual(pb.matrix.storage) { $0.bitPattern == $1.bitPattern },
                              "\(chunked.name) \(pa.name)")
            }
        }
    }
}
