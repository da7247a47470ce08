import XCTest
@testable import HyperSearch

/// Kinds of the options these tests search.
func testKind(_ name: String) -> ParamKind? {
    switch name {
    case "batch-size", "epochs": return .wholeNumber
    case "lr", "dropout": return .number
    case "nesterov": return .boolean
    case "init", "hidden", "schedule": return .text
    default: return nil
    }
}

final class ParameterGridTests: XCTestCase {
    func testGridOrderIsScikitLearns() throws {
        let space = try ParameterSpace.parse("init=lecun_uniform,glorot_uniform;batch-size=32,128;epochs=1,2", kind: testKind)
        let grid = try ParameterGrid(space)
        // list(ParameterGrid({'init': ['lecun_uniform', 'glorot_uniform'], 'batch-size': [32, 128], 'epochs': [1, 2]}))
        // with scikit-learn 1.9.1: keys sorted, the last (init) fastest.
        let expected: [(Int, Int, String)] = [
            (32, 1, "lecun_uniform"), (32, 1, "glorot_uniform"), (32, 2, "lecun_uniform"), (32, 2, "glorot_uniform"),
            (128, 1, "lecun_uniform"), (128, 1, "glorot_uniform"), (128, 2, "lecun_uniform"), (128, 2, "glorot_uniform"),
        ]
        XCTAssertEqual(grid.count, 8)
        for (i, e) in expected.enumerated() {
            XCTAssertEqual(grid[i], ["batch-size": .int(e.0), "epochs": .int(e.1), "init": .string(e.2)], "candidate \(i)")
        }
    }

    func testSeveralGridsInOrder() throws {
        // list(ParameterGrid([{'b': [1, 2], 'a': ['x']}, {'c': [True, False]}])) with scikit-learn 1.9.1:
        // [{'a': 'x', 'b': 1}, {'a': 'x', 'b': 2}, {'c': True}, {'c': False}]
        let space = ParameterSpace(grids: [["b": .list([.int(1), .int(2)]), "a": .list([.string("x")])],
                                           ["c": .list([.bool(true), .bool(false)])]])
        let c = try ParameterGrid(space).candidates
        XCTAssertEqual(c, [["a": .string("x"), "b": .int(1)], ["a": .string("x"), "b": .int(2)],
                           ["c": .bool(true)], ["c": .bool(false)]])
    }

    func testIssueGridCounts() throws {
        // batch size {10, 20} x epochs {10, 50} x 8 initializers: 32 candidates.
        let space = try ParameterSpace.parse(
            "batch-size=10,20;epochs=10,50;init=zero,uniform,normal,lecun_uniform,lecun_normal,glorot_uniform,glorot_normal,he_uniform",
            kind: testKind)
        XCTAssertEqual(try ParameterGrid(space).count, 32)
    }

    func testBracketsGroupValuesWithCommas() throws {
        let space = try ParameterSpace.parse("hidden=[64,64],[128],none;lr=0.1,1", kind: testKind)
        XCTAssertEqual(space.grids[0]["hidden"], .list([.string("64,64"), .string("128"), .string("none")]))
        XCTAssertEqual(space.grids[0]["lr"], .list([.double(0.1), .double(1)]))
    }

    func testBadSpecsNameTheProblem() {
        func message(_ spec: String) -> String {
            do { _ = try ParameterSpace.parse(spec, kind: testKind); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("bogus=1,2").contains("'bogus'"))
        XCTAssertTrue(message("batch-size=32,x").contains("'x' is not a whole number"))
        XCTAssertTrue(message("batch-size").contains("no '='"))
        XCTAssertTrue(message("lr=uniform(1,0.1)").contains("a < b"))
        XCTAssertTrue(message("batch-size=uniform(1,4)").contains("randint"))
        XCTAssertTrue(message("lr=loguniform(0,1)").contains("0 < a"))
        XCTAssertTrue(message("init=zero,zero").contains("listed twice"))
        XCTAssertTrue(message("hidden=[64,64").contains("unbalanced"))
        XCTAssertTrue(message("batch-size=").contains("empty value"))
        XCTAssertTrue(message("").contains("empty"))
    }

    func testGridRefusesDistributionsAndHugeProducts() throws {
        let dist = try ParameterSpace.parse("lr=uniform(0.01,0.1)", kind: testKind)
        XCTAssertThrowsError(try ParameterGrid(dist))
        let big = (0..<7).map { "k\($0)" }
        let space = ParameterSpace(grids: [Dictionary(uniqueKeysWithValues: big.map { ($0, Distribution.list((0..<10).map { .int($0) })) })])
        XCTAssertThrowsError(try ParameterGrid(space)) { XCTAssertTrue("\($0)".contains("more than 1000000")) }
    }
}

final class ParameterSamplerTests: XCTestCase {
    func testSameSeedSameCandidatesOtherSeedOthers() throws {
        let space = try ParameterSpace.parse("lr=loguniform(0.001,0.1);batch-size=randint(16,256);init=zero,he_normal", kind: testKind)
        let a = try ParameterSampler(space, nIter: 20, seed: 7).sample().candidates
        let b = try ParameterSampler(space, nIter: 20, seed: 7).sample().candidates
        let c = try ParameterSampler(space, nIter: 20, seed: 8).sample().candidates
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        for p in a {
            guard case .double(let lr)? = p["lr"], case .int(let bs)? = p["batch-size"] else { return XCTFail("\(p)") }
            XCTAssertTrue(lr >= 0.001 && lr < 0.1, "\(lr)")
            XCTAssertTrue((16..<256).contains(bs), "\(bs)")
        }
    }

    func testAllListsWithoutReplacementAndCappedAtGridSize() throws {
        let space = try ParameterSpace.parse("init=zero,he_normal,lecun_uniform;batch-size=32,64,128", kind: testKind)
        let (some, noWarning) = try ParameterSampler(space, nIter: 5, seed: 1).sample()
        XCTAssertEqual(some.count, 5)
        XCTAssertEqual(Set(some).count, 5, "drawn without replacement")
        XCTAssertNil(noWarning)
        let (all, warning) = try ParameterSampler(space, nIter: 50, seed: 1).sample()
        XCTAssertEqual(all.count, 9)
        XCTAssertEqual(Set(all), Set(try ParameterGrid(space).candidates), "each combination once")
        XCTAssertTrue(warning?.contains("smaller than n_iter=50") == true)
    }

    func testLargeGridSampledWithoutReplacement() throws {
        let values = (0..<100).map { ParamValue.int($0) }
        let space = ParameterSpace(grids: [["epochs": .list(values), "batch-size": .list(values)]])
        let c = try ParameterSampler(space, nIter: 300, seed: 3).sample().candidates
        XCTAssertEqual(Set(c).count, 300)
    }

    func testLogUniformCoversDecades() throws {
        // log10 of loguniform(1e-4, 1) is uniform on [-4, 0): about a quarter of 4,000 draws in each decade.
        let space = try ParameterSpace.parse("lr=loguniform(0.0001,1)", kind: testKind)
        let c = try ParameterSampler(space, nIter: 4000, seed: 2).sample().candidates
        var decades = [0, 0, 0, 0]
        for p in c { if case .double(let v)? = p["lr"] { decades[min(3, Int(log10(v) + 4))] += 1 } }
        for d in decades { XCTAssertTrue(abs(d - 1000) < 120, "\(decades)") }
    }

    func testBoundsOnNIter() throws {
        let space = try ParameterSpace.parse("init=zero", kind: testKind)
        XCTAssertThrowsError(try ParameterSampler(space, nIter: 0, seed: 1).sample())
        XCTAssertThrowsError(try ParameterSampler(space, nIter: 10_000_000, seed: 1).sample())
    }
}
