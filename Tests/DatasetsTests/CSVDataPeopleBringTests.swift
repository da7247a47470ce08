import Datasets
import Foundation
import NeuralEngine
import XCTest

/// Issue 6, "Data people bring": image-like CSVs, the label column, missing and non-finite cells, scaling.
final class CSVDataPeopleBringTests: XCTestCase {
    var dir: TempDir!

    override func setUpWithError() throws { dir = try TempDir() }
    override func tearDown() { dir.cleanup() }

    /// Features as a batch sees them (bytes times scale).
    private func values(_ d: Dataset) -> [Float] {
        switch d.features {
        case .bytes(let b, let s): return b.map { Float($0) * s }
        case .floats(let f): return f
        }
    }

    // MARK: Image-like CSVs (item 1)

    /// Kaggle's layout `label,pixel0,...`: bytes scaled by 1/255 as IDX files are, whatever the feature count.
    func testKagglePixelCSVIsScaledBy1Over255() throws {
        let p = try dir.write("train.csv", text: "label,pixel0,pixel1,pixel2,pixel3\n1,0,255,51,102\n0,255,0,0,3\n")
        let (d, report) = try CSVLoader.loadReporting(p)
        guard case .bytes(let px, let scale) = d.features else { return XCTFail("expected bytes, got \(d.features)") }
        XCTAssertEqual(px, [0, 255, 51, 102, 255, 0, 0, 3])
        XCTAssertEqual(scale, 1 / 255)
        // Bytes times the Float scale 1/255, as a batch gathers them (Dataset.gather): 51 -> 0.2, 102 -> 0.4.
        let inv255: Float = 1 / 255
        XCTAssertEqual(values(d), [0, 255, 51, 102, 255, 0, 0, 3].map { $0 * inv255 })
        XCTAssertEqual(values(d)[2], 0.2, accuracy: 1e-7)
        XCTAssertTrue(report.imageLike)
        XCTAssertEqual(d.imageShape?.rows, 2)   // 4 = 2 x 2
        XCTAssertEqual(report.labelDescription, "label column 0 (\"label\")")
        XCTAssertEqual(d.classCount, 2)
        let loaded = try DataLoader.load(p)
        XCTAssertTrue(loaded.summary.contains("pixels 0-255 scaled by 1/255"), loaded.summary)
    }

    /// Without pixel names: at least 64 integer features in 0...255 make an image (8 x 8 here); 63 do not.
    func testSixtyFourIntegerFeaturesAreImagesSixtyThreeAreNot() throws {
        func row(_ label: Int, _ n: Int, _ v: (Int) -> Int) -> String {
            (0..<n).map { String(v($0)) }.joined(separator: ",") + ",\(label)\n"
        }
        let p64 = try dir.write("64.csv", text: row(0, 64) { $0 * 4 } + row(1, 64) { 255 - $0 })
        let (d64, r64) = try CSVLoader.loadReporting(p64)
        XCTAssertTrue(r64.imageLike)
        XCTAssertEqual(d64.imageShape?.cols, 8)
        XCTAssertEqual(values(d64)[63], 252 * (1 / 255 as Float))
        let p63 = try dir.write("63.csv", text: row(0, 63) { $0 * 4 } + row(1, 63) { 255 - $0 })
        let (d63, r63) = try CSVLoader.loadReporting(p63)
        XCTAssertFalse(r63.imageLike)
        XCTAssertEqual(values(d63)[62], 248, "other tabular data is never rescaled")
    }

    /// One value outside 0...255, or one fraction, keeps the file's values as they are.
    func testNonPixelValuesAreNeverRescaled() throws {
        for bad in ["256", "-1", "0.5"] {
            let p = try dir.write("t.csv", text: "label,pixel0,pixel1\n1,0,255\n0,\(bad),7\n")
            let (d, report) = try CSVLoader.loadReporting(p)
            XCTAssertFalse(report.imageLike, bad)
            XCTAssertEqual(values(d), [0, 255, Float(bad)!, 7], bad)
        }
        // Non-pixel names with few features: integers 0...255 stay raw.
        let p = try dir.write("age.csv", text: "age,weight,label\n30,80,1\n41,95,0\n")
        XCTAssertEqual(values(try CSVLoader.load(p)), [30, 80, 41, 95])
    }

    func testRescalingReplacesTheByteScaleAndMultipliesFloats() throws {
        let bytes = try Dataset(features: .bytes([0, 128, 255, 1], scale: 1 / 255), featureCount: 2,
                                targets: .classes([0, 1], classCount: 2), imageShape: (1, 2))
        let raw = try Rescaling.apply(bytes, factor: 1)
        guard case .bytes(let b, let s) = raw.features else { return XCTFail("bytes stay bytes") }
        XCTAssertEqual(b, [0, 128, 255, 1])
        XCTAssertEqual(s, 1)
        XCTAssertEqual(values(try Rescaling.apply(bytes, factor: 0.5)), [0, 64, 127.5, 0.5])
        XCTAssertEqual(raw.imageShape?.cols, 2)
        let floats = try Dataset(features: .floats([2, -4, 1000, 0.5]), featureCount: 2,
                                 targets: .values([1, 2], width: 1))
        XCTAssertEqual(values(try Rescaling.apply(floats, factor: 0.01)), [0.02, -0.04, 10, 0.005])
        XCTAssertEqual(floats.largestFeatureMagnitude, 1000)
        XCTAssertEqual(bytes.largestFeatureMagnitude, 1)
    }

    /// Reference (NumPy, float64): x = [[1,10,5],[3,10,7],[5,10,9.5]]; mean [3, 10, 7.1666667], np.var
    /// [2.6666667, 0, 3.3888889]; (x - mean) / std with std 0 -> 1: row [1,10,5] -> [-1.2247449, 0, -1.1769646],
    /// row [7,11,0] -> [2.4494898, 1, -3.893037]. Keras would divide the constant column by 1e-7 (11 -> 1e7).
    func testNormalizationFitsOnTheFirstSamplesOnlyAndCentresConstantFeatures() throws {
        let x: [Float] = [1, 10, 5, 3, 10, 7, 5, 10, 9.5, 7, 11, 0]
        let d = try Dataset(features: .floats(x), featureCount: 3, targets: .classes([0, 1, 0, 1], classCount: 2))
        let n = Normalization(fittingFirst: 3, of: d)   // the 4th sample is the held-out tail
        XCTAssertEqual(n.mean, [3, 10, Float(7.1666667)])
        XCTAssertEqual(n.constantFeatures, 1)
        XCTAssertEqual(n.scale[1], 1)
        let out = values(try n.apply(d))
        let expected: [Float] = [-1.2247449, 0, -1.1769646, 0, 0, -0.090536415, 1.2247449, 0, 1.2675010,
                                 2.4494898, 1, -3.8930371]
        for (a, e) in zip(out, expected) { XCTAssertEqual(a, e, accuracy: 2e-6) }
        XCTAssertFalse(out.contains { !$0.isFinite })
        // Bytes are normalised on their scaled values; every column constant -> only centred, never NaN.
        let flat = try Dataset(features: .bytes([7, 7, 7, 7], scale: 1 / 255), featureCount: 2,
                               targets: .classes([0, 1], classCount: 2))
        let nf = Normalization(fittingFirst: 2, of: flat)
        XCTAssertEqual(nf.constantFeatures, 2)
        XCTAssertEqual(values(try nf.apply(flat)), [0, 0, 0, 0])
        // Fitted on nothing: the identity.
        let none = Normalization(fittingFirst: 0, of: d)
        XCTAssertEqual(values(try none.apply(d)), x)
        assertThrows(try n.apply(flat), contains: ["fitted on 3 features, applied to 2"])
    }

    // MARK: The label column (item 2)

    /// The widespread MNIST-in-CSV layout: no header, label first. The default (last column) is a pixel that is always
    /// 0: an error naming the column and --label-column; `--label-column 0` gives the right classes.
    func testHeaderlessLabelFirstCSV() throws {
        var text = ""
        let labels = [5, 0, 4, 1, 9, 2]
        for (i, l) in labels.enumerated() {
            text += "\(l)," + (0..<784).map { j in j == 783 ? "0" : String((i * 31 + j * 7) % 256) }.joined(separator: ",") + "\n"
        }
        let p = try dir.write("mnist_train.csv", text: text)
        assertThrows(try CSVLoader.load(p), contains: [p, "label column 784 (the last; no header)", "single value 0",
                                                      "all 6 rows", "--label-column"])
        let (d, report) = try CSVLoader.loadReporting(p, options: CSVOptions(label: .index(0)))
        XCTAssertEqual((0..<6).compactMap { d.label($0) }, labels)
        XCTAssertEqual(d.classCount, 10)
        XCTAssertEqual(d.featureCount, 784)
        XCTAssertTrue(report.imageLike)
        XCTAssertEqual(d.imageShape?.rows, 28)
        XCTAssertEqual(values(d)[1], 7 * (1 / 255 as Float))   // sample 0, pixel 1
        XCTAssertEqual(report.labelDescription, "label column 0 (no header)")
        // -1 is the last column; the parser takes numbers as indices and anything else as names.
        XCTAssertEqual(CSVOptions.labelColumn(parsing: "0"), .index(0))
        XCTAssertEqual(CSVOptions.labelColumn(parsing: " -1 "), .index(-1))
        XCTAssertEqual(CSVOptions.labelColumn(parsing: "digit"), .name("digit"))
        XCTAssertNil(CSVOptions.labelColumn(parsing: " "))
        assertThrows(try CSVLoader.load(p, options: CSVOptions(label: .index(785))), contains: [p, "785", "785 columns"])
    }

    func testSingleClassAndNonIntegralClassLabels() throws {
        let p = try dir.write("one.csv", text: "a,b,label\n1,2,3\n4,5,3\n")
        assertThrows(try CSVLoader.load(p), contains: [p, "label column 2 (\"label\")", "single value 3", "--label-column"])
        let frac = try dir.write("frac.csv", text: "a,b,label\n1,2,3\n4,5,2.5\n")
        // Classes required (an explicit cross-entropy loss): file, line, column and value.
        assertThrows(try CSVLoader.load(frac, options: CSVOptions(target: .classes)),
                     contains: [frac + ":3", "label column 2", "'2.5'", "not an integer class index"])
        let neg = try dir.write("neg.csv", text: "a,label\n1,0\n\n2,-1\n")
        assertThrows(try CSVLoader.load(neg, options: CSVOptions(target: .classes)), contains: [neg + ":4", "'-1'", "negative"])
        // Left to decide, non-integral labels are regression targets.
        guard case .values(let v, 1) = try CSVLoader.load(frac).targets else { return XCTFail("expected values") }
        XCTAssertEqual(v, [3, 2.5])
    }

    // MARK: Missing and non-finite cells (item 3)

    func testMissingAndNonFiniteCellsNameFileLineAndColumn() throws {
        for cell in ["", "nan", "NaN", "-nan", "inf", "-inf", "+Infinity", "1e39", "NA", "N/A", "null", "None", "?", " "] {
            let p = try dir.write("m.csv", text: "a,b,label\n1,2,0\n3,\(cell),1\n")
            assertThrows(try CSVLoader.load(p), contains: [p + ":3", "column 2", "--drop-missing"])
            XCTAssertTrue(CSVLoader.isMissing(cell), cell)
        }
        for text in ["0", "-2.5", "1e30", "abc", "label"] { XCTAssertFalse(CSVLoader.isMissing(text), text) }
        // A missing label is missing too; a word still is "not a number".
        let label = try dir.write("l.csv", text: "a,b,label\n1,2,0\n3,4,\n")
        assertThrows(try CSVLoader.load(label), contains: [label + ":3", "column 3", "empty cell"])
        let word = try dir.write("w.csv", text: "a,b,label\n1,2,0\n3,x,1\n")
        assertThrows(try CSVLoader.load(word, options: CSVOptions(dropMissing: true)), contains: [word + ":3", "'x' is not a number"])
    }

    func testDropMissingDropsThoseRowsAndCountsThem() throws {
        let p = try dir.write("m.csv", text: "a,b,label\n1,2,0\n3,nan,1\n,4,1\n5,6,1\n7,8,NA\n9,10,0\n")
        let (d, report) = try CSVLoader.loadReporting(p, options: CSVOptions(dropMissing: true))
        XCTAssertEqual(report.droppedRows, 3)
        XCTAssertEqual(values(d), [1, 2, 5, 6, 9, 10])
        XCTAssertEqual((0..<3).compactMap { d.label($0) }, [0, 1, 0])
        let loaded = try DataLoader.load(p, options: LoadOptions(csv: CSVOptions(dropMissing: true)))
        XCTAssertTrue(loaded.summary.contains("3 rows with missing values dropped"), loaded.summary)
        // A first row with a missing cell is data, not a header.
        let first = try dir.write("f.csv", text: "1,,0\n2,3,1\n4,5,0\n")
        assertThrows(try CSVLoader.load(first), contains: [first + ":1", "column 2", "empty cell"])
        let (df, rf) = try CSVLoader.loadReporting(first, options: CSVOptions(dropMissing: true))
        XCTAssertEqual(rf.droppedRows, 1)
        XCTAssertFalse(rf.hasHeader)
        XCTAssertEqual(values(df), [2, 3, 4, 5])
        let all = try dir.write("all.csv", text: "a,label\nnan,1\n")
        assertThrows(try CSVLoader.load(all, options: CSVOptions(dropMissing: true)), contains: [all, "no data rows left", "1"])
    }
}

/// A NUL byte inside a cell is not silently cut off (issue 7: `0\0.5` was read as 0).
final class CSVNULByteTests: XCTestCase {
    func testNULInsideACellIsAnErrorNamingLineAndColumn() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let p = try dir.write("nul.csv", Array("label,a,b\n1,0".utf8) + [0] + Array(".5,2\n0,1,2\n".utf8))
        assertThrows(try CSVLoader.load(p), contains: [p + ":2: column 2: '0\\u{0}.5' is not a number"])
    }
}

/// Text class names in the label column (an iris-style `species` column) say what a label must be.
final class CSVTextLabelTests: XCTestCase {
    func testTextLabelsSayLabelsMustBeNumbers() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let p = try dir.write("iris.csv", text: "sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n")
        assertThrows(try CSVLoader.load(p), contains: [
            p, "line 2: the label column (index 2, --label-column 2) holds 'setosa'", "class indices 0, 1, 2"])
    }
}
