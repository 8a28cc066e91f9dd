import Foundation
import XCTest
import ZooFormat
@testable import ZooSigning

final class SignedFolderTests: XCTestCase {
    func testFiles_FIFO_Refused() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeFile(dir + "/m/weights.bin", [1, 2, 3])
        XCTAssertEqual(mkfifo(dir + "/m/pipe", 0o600), 0)
        XCTAssertEqual(signingError { _ = try SignedFolder.files(in: dir + "/m") }, SigningError(file: dir + "/m", reason: .notRegularFile("pipe")))
    }

    func testFiles_DigestsAndOrder_MatchContent() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeFile(dir + "/m/b", Array("b".utf8))
        try writeFile(dir + "/m/a/z", Array("z".utf8))
        try writeFile(dir + "/m/a.b", [])
        let files = try SignedFolder.files(in: dir + "/m")
        XCTAssertEqual(files, [SignedFile(path: "a/z", digest: SHA256.digest(Array("z".utf8))),
                               SignedFile(path: "a.b", digest: SHA256.digest([])),
                               SignedFile(path: "b", digest: SHA256.digest(Array("b".utf8)))])
    }

    func testFiles_MissingFolder_NamesIt() throws {
        let error = signingError { _ = try SignedFolder.files(in: "/nonexistent/model") }
        XCTAssertEqual(error?.file, "/nonexistent/model")
        guard case let .io(io)? = error?.reason else { return XCTFail("expected an I/O error") }
        XCTAssertEqual(io.errno, ENOENT)
    }
}
