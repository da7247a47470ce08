@testable import trainboard
import XCTest

/// `--listen` takes an optional value on the command line.
final class ListenArgumentTests: XCTestCase {
    func testListenAloneMeansAuto() {
        XCTAssertEqual(listenDefaulted(["train", "--listen"]), ["train", "--listen=auto"])
        XCTAssertEqual(listenDefaulted(["--listen", "--headless"]), ["--listen=auto", "--headless"])
        XCTAssertEqual(listenDefaulted(["--listen", "127.0.0.1:0", "--headless"]), ["--listen", "127.0.0.1:0", "--headless"])
        XCTAssertEqual(listenDefaulted(["--listen", "/tmp/r.sock"]), ["--listen", "/tmp/r.sock"])
        XCTAssertEqual(listenDefaulted(["--listen=x"]), ["--listen=x"])
        // After `--`, arguments are left alone.
        XCTAssertEqual(listenDefaulted(["attach", "--", "--listen"]), ["attach", "--", "--listen"])
    }

    func testParsedIntoTheConfiguration() throws {
        let t = try Train.parse(listenDefaulted(["--listen", "--epochs", "2"]))
        XCTAssertEqual(t.options.configuration.listen, "auto")
        let u = try Train.parse(["--listen", "127.0.0.1:0"])
        XCTAssertEqual(u.options.configuration.listen, "127.0.0.1:0")
    }
}
