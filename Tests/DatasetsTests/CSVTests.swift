import Datasets
import Foundation
import NeuralEngine
import XCTest

final class CSVTests: XCTestCase {
    var dir: TempDir!

    override func setUpWithError() throws { dir = try TempDir() }
    override func tearDown() { dir.cleanup() }

    private func floats(_ d: Dataset) -> [Float] {
        if case .floats(let f) = d.features { return f }
        XCTFail("expected float features")
        return []
    }

    func testHeaderWithLabelColumnByNameGivesClasses() throws {
        let p = try dir.write("kaggle.csv", text: "label,pixel1,pixel2\n2,0,255\n0,10,-1.5\n\n1,3,4\n")
        let d = try CSVLoader.load(p)
        XCTAssertEqual(d.count, 3)
        XCTAssertEqual(d.featureCount, 2)
        XCTAssertEqual(floats(d), [0, 255, 10, -1.5, 3, 4])
        guard case .classes(let l, let k) = d.targets else { return XCTFail("expected classes") }
        XCTAssertEqual(l, [2, 0, 1])
        XCTAssertEqual(k, 3)
    }

    func testNoHeaderDefaultsToLastColumnAndRegressionForNonIntegers() throws {
        let p = try dir.write("reg.csv", text: "1,2,0.5\r\n3,4,1.25\r\n5,6,-2\r\n")
        let d = try CSVLoader.load(p)
        XCTAssertEqual(d.count, 3)
        XCTAssertEqual(floats(d), [1, 2, 3, 4, 5, 6])
        guard case .values(let v, 1) = d.targets else { return XCTFail("expected values") }
        XCTAssertEqual(v, [0.5, 1.25, -2])
    }

    func testExplicitOptions() throws {
        let p = try dir.write("x.csv", text: "a,b,c\n1,\"2\",3\n4,5,6\n")
        let byIndex = try CSVLoader.load(p, options: CSVOptions(label: .index(1), target: .values))
        XCTAssertEqual(floats(byIndex), [1, 3, 4, 6])
        guard case .values(let v, 1) = byIndex.targets else { return XCTFail("expected values") }
        XCTAssertEqual(v, [2, 5])
        let byName = try CSVLoader.load(p, options: CSVOptions(label: .name("A"), target: .classes))
        XCTAssertEqual(byName.classCount, 5)
        XCTAssertEqual(byName.label(1), 4)
        assertThrows(try CSVLoader.load(p, options: CSVOptions(label: .name("zzz"))), contains: [p, "no column named 'zzz'"])
        assertThrows(try CSVLoader.load(p, options: CSVOptions(header: .absent)),
                     contains: [p, ":1:", "column 1", "'a' is not a number"])
        let neg = try dir.write("neg.csv", text: "1,-1\n2,0\n")
        assertThrows(try CSVLoader.load(neg, options: CSVOptions(target: .classes)), contains: [neg + ":1", "label column 1", "'-1'", "negative"])
        let tsv = try dir.write("t.tsv", text: "x\ty\n1\t0\n2\t1\n")
        let loaded = try DataLoader.load(tsv)
        XCTAssertEqual(loaded.train.count, 2)
        XCTAssertNil(loaded.test)
        XCTAssertEqual(loaded.train.classCount, 2)
    }

    func testGzippedCSVThroughDataLoader() throws {
        let p = try dir.writeGzip("data.csv.gz", Array("f1,f2,label\n0.5,1,1\n2,3,0\n".utf8))
        let loaded = try DataLoader.load(p)
        XCTAssertEqual(loaded.name, "data.csv.gz")
        XCTAssertEqual(floats(loaded.train), [0.5, 1, 2, 3])
        XCTAssertEqual(loaded.train.label(0), 1)
    }

    func testRaggedRowNamesFileLineAndCounts() throws {
        let p = try dir.write("ragged.csv", text: "a,b,label\n1,2,0\n\n3,4\n")
        assertThrows(try CSVLoader.load(p), contains: [p + ":4", "2 columns", "expected 3"])
    }

    func testNonNumericCellNamesFileLineAndColumn() throws {
        let p = try dir.write("bad.csv", text: "1,2,0\n3,x7,1\n")
        assertThrows(try CSVLoader.load(p), contains: [p + ":2", "column 2", "'x7' is not a number"])
        let empty = try dir.write("empty.csv", text: "a,b\n")
        assertThrows(try CSVLoader.load(empty), contains: [empty, "no data rows"])
    }
}
