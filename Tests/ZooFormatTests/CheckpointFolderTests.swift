import Foundation
import XCTest
import ZooFormat

/// Symbolic links inside a checkpoint folder (spec §2): `manifest.json`, `shards/`, `assets/`,
/// a folder under `assets/` or any declared file being a link is refused, naming it; a link to
/// a perfectly good copy of the same bytes is refused all the same.
final class CheckpointFolderTests: XCTestCase {
    private var temp: TemporaryDirectory!  // set in setUp, removed in tearDown

    override func setUpWithError() throws { temp = try TemporaryDirectory("zoo-folder-tests") }
    override func tearDown() { temp.remove() }

    /// "w" F32 [4] and "b" U8 [8]; assets config.json and tok/vocab.txt.
    @discardableResult
    private func make(_ name: String = "ckpt") throws -> Manifest {
        try makeCheckpoint(at: temp(name), tensors: [TensorSpec("w", .f32, [4]), TensorSpec("b", .u8, [8])],
                           assets: [("config.json", Array(#"{"x":1}"#.utf8)), ("tok/vocab.txt", Array("a\nb\n".utf8))])
    }

    /// Moves `relative` out of the folder and puts a link to it in its place: same bytes, via a link.
    private func replaceWithLink(_ relative: String, in name: String = "ckpt") throws {
        let path = temp(name + "/" + relative)
        let moved = temp("moved-" + relative.replacingOccurrences(of: "/", with: "-"))
        XCTAssertEqual(rename(path, moved), 0)
        XCTAssertEqual(symlink(moved, path), 0)
    }

    private func assertRefused(_ relative: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")),
                                   FormatError(file: temp("ckpt/" + relative), reason: .symbolicLink(relative)),
                                   file: file, line: line)
    }

    func testOpen_IntactFolder_Opens() throws {
        try make()
        XCTAssertTrue(try Checkpoint(directory: temp("ckpt")).verify(.deep).isClean)
    }

    func testOpen_ShardsFolderIsALink_Refused() throws {
        try make()
        try replaceWithLink("shards")
        assertRefused("shards")
    }

    func testOpen_AssetsFolderIsALink_Refused() throws {
        try make()
        try replaceWithLink("assets")
        assertRefused("assets")
    }

    func testOpen_FolderUnderAssetsIsALink_Refused() throws {
        try make()
        try replaceWithLink("assets/tok")
        assertRefused("assets/tok")
    }

    func testOpen_AssetIsALink_Refused() throws {
        try make()
        try replaceWithLink("assets/config.json")
        assertRefused("assets/config.json")
    }

    func testOpen_ManifestIsALink_RefusedBeforeReadingIt() throws {
        try make()
        try replaceWithLink("manifest.json")
        assertRefused("manifest.json")
        // A link to a FIFO would block a reader that opened it: it is refused without opening.
        XCTAssertEqual(unlink(temp("ckpt/manifest.json")), 0)
        XCTAssertEqual(mkfifo(temp("fifo"), 0o600), 0)
        XCTAssertEqual(symlink(temp("fifo"), temp("ckpt/manifest.json")), 0)
        assertRefused("manifest.json")
    }

    func testOpen_DanglingLinkForAShard_RefusedAsALink() throws {
        try make()
        let shard = temp("ckpt/shards/00000.bin")
        XCTAssertEqual(unlink(shard), 0)
        XCTAssertEqual(symlink(temp("nowhere"), shard), 0)
        assertRefused("shards/00000.bin")
    }

    func testOpen_ShardsIsAFile_RefusedAsNotAFolder() throws {
        try make()
        try FileSystem.removeTree(temp("ckpt/shards"))
        try writeBytes([1], to: temp("ckpt/shards"))
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")), FormatError(
            file: temp("ckpt/shards"), reason: .invalidPath("shards", why: "not a folder")))
    }

    func testOpen_LinkOutsideTheDeclaredFiles_IsIgnored() throws {
        try make()
        XCTAssertEqual(symlink("/etc/passwd", temp("ckpt/notes.txt")), 0)
        XCTAssertEqual(symlink("/etc/passwd", temp("ckpt/shards/99999.bin")), 0)
        XCTAssertTrue(try Checkpoint(directory: temp("ckpt")).verify(.deep).isClean, "undeclared files are not read")
    }

    func testError_NamesTheLink() {
        let error = FormatError(file: "/m/shards", reason: .symbolicLink("shards"))
        XCTAssertEqual(error.description.contains("shards is a symbolic link: a checkpoint folder holds no links"), true,
                       error.description)
    }
}
