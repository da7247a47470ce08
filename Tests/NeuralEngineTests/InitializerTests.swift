import XCTest
@testable import NeuralEngine

final class InitializerTests: XCTestCase {
    func stats(_ v: [Float]) -> (mean: Double, std: Double, maxAbs: Double) {
        let d = v.map(Double.init)
        let m = d.reduce(0, +) / Double(d.count)
        let s = (d.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(d.count)).squareRoot()
        return (m, s, d.map(abs).max() ?? 0)
    }

    /// Bounds and standard deviations from Keras's definitions, fanIn 400, fanOut 100, 40,000 draws.
    func testDistributionsMatchKerasDefinitions() {
        var g = SeededGenerator(seed: 42)
        let n = 40_000, fi = 400.0, fo = 100.0
        func draw(_ i: Initializer) -> (mean: Double, std: Double, maxAbs: Double) {
            stats(i.values(count: n, fanIn: Int(fi), fanOut: Int(fo), rng: &g))
        }
        let uniformStd = { (l: Double) in l / 3.0.squareRoot() }
        let u = draw(.uniform)
        XCTAssertLessThanOrEqual(u.maxAbs, 0.05); XCTAssertEqual(u.std, uniformStd(0.05), accuracy: 0.001)
        let n05 = draw(.normal)
        XCTAssertEqual(n05.std, 0.05, accuracy: 0.001)
        XCTAssertEqual(draw(.zero).maxAbs, 0)
        let lu = draw(.lecunUniform)
        XCTAssertLessThanOrEqual(lu.maxAbs, (3 / fi).squareRoot()); XCTAssertEqual(lu.std, (1 / fi).squareRoot(), accuracy: 0.001)
        let gu = draw(.glorotUniform)
        XCTAssertLessThanOrEqual(gu.maxAbs, (6 / (fi + fo)).squareRoot())
        XCTAssertEqual(gu.std, (2 / (fi + fo)).squareRoot(), accuracy: 0.001)
        let hu = draw(.heUniform)
        XCTAssertLessThanOrEqual(hu.maxAbs, (6 / fi).squareRoot()); XCTAssertEqual(hu.std, (2 / fi).squareRoot(), accuracy: 0.002)
        // Truncated normals: the 0.8796 correction restores the intended standard deviation; nothing beyond 2 sigma.
        let gn = draw(.glorotNormal), sg = (2 / (fi + fo)).squareRoot()
        XCTAssertEqual(gn.std, sg, accuracy: sg * 0.02)
        XCTAssertLessThanOrEqual(gn.maxAbs, 2 * sg / Initializer.truncatedNormalStddev + 1e-7)
        let hn = draw(.heNormal), sh = (2 / fi).squareRoot()
        XCTAssertEqual(hn.std, sh, accuracy: sh * 0.02)
        XCTAssertLessThanOrEqual(hn.maxAbs, 2 * sh / Initializer.truncatedNormalStddev + 1e-7)
        XCTAssertEqual(gn.mean, 0, accuracy: 0.001)
    }

    func testNamesAndAliases() {
        XCTAssertEqual(Initializer(name: "he_normal"), .heNormal)
        XCTAssertEqual(Initializer(name: "zeros"), .zero)
        XCTAssertEqual(Initializer(name: "glorot_uniform"), .glorotUniform)
        XCTAssertNil(Initializer(name: "orthogonal"))
    }

    func testGeneratorIsReproducibleAndStreamsDiffer() {
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5), c = SeededGenerator(seed: 5, stream: 1)
        let xa = (0..<4).map { _ in a.next() }, xb = (0..<4).map { _ in b.next() }, xc = (0..<4).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
    }
}
