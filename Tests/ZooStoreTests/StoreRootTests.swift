import XCTest
import ZooFormat
import ZooStore

final class StoreRootTests: XCTestCase {
    func testDefaultRoot_ZooHomeSet_UsesIt() {
        XCTAssertEqual(Store.defaultRoot(environment: ["ZOO_HOME": "/z", "XDG_DATA_HOME": "/x", "HOME": "/h"]), "/z")
    }

    func testDefaultRoot_XDGDataHomeSet_UsesZooUnderIt() {
        XCTAssertEqual(Store.defaultRoot(environment: ["ZOO_HOME": "", "XDG_DATA_HOME": "/x", "HOME": "/h"]), "/x/zoo")
    }

    func testDefaultRoot_OnlyHome_UsesLocalShare() {
        XCTAssertEqual(Store.defaultRoot(environment: ["HOME": "/h"]), "/h/.local/share/zoo")
    }

    func testInit_TrailingSlashes_AreDropped() {
        XCTAssertEqual(Store(root: "/a/b//").root, "/a/b")
        XCTAssertEqual(Store(root: "/a/b").blobPath(SHA256Digest(hex: String(repeating: "0", count: 64))!),
                       "/a/b/blobs/sha256/" + String(repeating: "0", count: 64))
    }
}
