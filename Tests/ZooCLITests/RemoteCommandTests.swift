import Foundation
import XCTest
import ZooFormat

final class RemoteCommandTests: RemoteCLITestCase {
    func testRemote_AddListRemove_RoundTrip() throws {
        XCTAssertEqual(try run(["remote", "add", "hub", "oci://registry.example.com/team"]).stdout,
                       "Added remote hub: oci://registry.example.com/team\n")
        XCTAssertEqual(try run(["remote", "add", "local", "oci://127.0.0.1:5000", "--insecure"]).stdout,
                       "Added remote local: oci://127.0.0.1:5000 (insecure: plain http allowed)\n")
        try run(["remote", "add", "share", scratch + "/share/"])
        let rows = [["NAME", "URL", "INSECURE"], ["hub", "oci://registry.example.com/team", "no"],
                    ["local", "oci://127.0.0.1:5000", "yes"], ["share", scratch + "/share", "no"]]
        let widths = (0..<2).map { column in rows.map { $0[column].count }.max() ?? 0 }
        let table = rows.map { row in
            row[0].padding(toLength: widths[0] + 3, withPad: " ", startingAt: 0)
                + row[1].padding(toLength: widths[1] + 3, withPad: " ", startingAt: 0) + row[2]
        }
        XCTAssertEqual(try run(["remote", "list"]).stdout, table.joined(separator: "\n") + "\n")
        let listed = try json(try run(["remote", "list", "--json"]).stdout)
        XCTAssertEqual(listed, .array([
            .object(["name": "hub", "url": "oci://registry.example.com/team", "insecure": false]),
            .object(["name": "local", "url": "oci://127.0.0.1:5000", "insecure": true]),
            .object(["name": "share", "url": .string(scratch + "/share"), "insecure": false]),
        ]))
        XCTAssertEqual(try run(["remote", "rm", "hub"]).stdout, "Removed remote hub\n")
        XCTAssertEqual(try json(try run(["remote", "list", "--json"]).stdout).arrayValue?.count, 2)
    }

    /// `ZOO_CONFIG_HOME` of the test's zoo (ZooProcess puts it beside the store).
    private var configFolder: String { (storeRoot as NSString).deletingLastPathComponent + "/zoo-config" }

    func testRemote_Add_WritesTheConfigFolderNotTheStore() throws {
        try run(["remote", "add", "hub", "oci://registry.example.com/team"])
        XCTAssertEqual(FileSystem.kind(of: configFolder + "/remotes.json"), .regular)
        XCTAssertEqual(FileSystem.kind(of: storeRoot + "/remotes.json"), .missing)
        // Another store sees the same remotes: they are the user's.
        let other = ZooProcess(home: scratch + "/other-store")
        XCTAssertEqual(try other.run(["remote", "list", "--json"]).stdout, try run(["remote", "list", "--json"]).stdout)
    }

    func testRemote_LegacyStoreFile_MergedConfigWinsAndSaysSoOnce() throws {
        try FileSystem.makeDirectories(storeRoot)
        try FileSystem.writeAtomically(Array("""
            {"remotes": [{"name": "old", "url": "oci://old.example.com", "insecure": false},
                         {"name": "hub", "url": "oci://stale.example.com", "insecure": false}]}
            """.utf8), to: storeRoot + "/remotes.json")
        try FileSystem.makeDirectories(configFolder)
        try FileSystem.writeAtomically(Array("""
            {"remotes": [{"name": "hub", "url": "oci://registry.example.com/team", "insecure": true}]}
            """.utf8), to: configFolder + "/remotes.json")
        let listed = try run(["remote", "list", "--json"])
        XCTAssertEqual(try json(listed.stdout), .array([
            .object(["name": "hub", "url": "oci://registry.example.com/team", "insecure": true]),
            .object(["name": "old", "url": "oci://old.example.com", "insecure": false]),
        ]))
        XCTAssertEqual(listed.stderr, "Note: \(storeRoot)/remotes.json also defines hub; using \(configFolder)/remotes.json\n")
        // add refuses a name the old file uses; rm of an old-file remote names that file; neither writes the store.
        let legacyBytes = try FileSystem.readFile(storeRoot + "/remotes.json", limit: 1 << 20)
        XCTAssertTrue(try run(["remote", "add", "old", "oci://x"], expect: 1).stderr.contains("a remote named \"old\" exists already"))
        XCTAssertTrue(try run(["remote", "rm", "old"], expect: 1).stderr.contains("\(storeRoot)/remotes.json: remote \"old\""))
        try run(["remote", "rm", "hub"])
        XCTAssertEqual(try FileSystem.readFile(storeRoot + "/remotes.json", limit: 1 << 20), legacyBytes)
        // With the config's hub gone, the old file's shows through, and nothing is noted.
        let after = try run(["remote", "list", "--json"])
        XCTAssertEqual(try json(after.stdout).arrayValue?.map { $0["url"] }, [.string("oci://stale.example.com"), .string("oci://old.example.com")])
        XCTAssertEqual(after.stderr, "")
    }

    func testRemote_DuplicateBadNameAndUnknown_ExitOneWithTheReason() throws {
        try run(["remote", "add", "hub", "oci://h"])
        assertErrorLine(try run(["remote", "add", "hub", "oci://h"], expect: 1),
                        contains: ["Error: a remote named \"hub\" exists already (zoo remote rm hub first)"])
        assertErrorLine(try run(["remote", "add", "Hub", "oci://h"], expect: 1),
                        contains: ["Error: invalid remote name \"Hub\": use lowercase letters"])
        assertErrorLine(try run(["remote", "rm", "nope"], expect: 1),
                        contains: ["Error: no remote named \"nope\" (zoo remote list shows them)"])
        assertErrorLine(try run(["remote", "add", "web", "https://h/x"], expect: 1),
                        contains: ["write a registry as oci://HOST[:PORT][/PREFIX]"])
    }

    func testRemote_RegistryRemoteWithPrefix_PushPullAndListByName() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 1, megabytes: 1)
        try run(["remote", "add", "hub", "oci://\(registry.address)/team", "--insecure"])
        try run(["push", "big", "hub"])
        try run(["push", "big", "hub:big:v2"])
        let listed = try json(try run(["list", "--remote", "hub", "--json"]).stdout)
        XCTAssertEqual(listed.arrayValue?.map { "\($0["name"]?.stringValue ?? ""):\($0["tag"]?.stringValue ?? "")" },
                       ["big:latest", "big:v2"])
        XCTAssertEqual(listed.arrayValue?.first?["digest"], .string(manifest.digest.description))
        try run(["rm", "big"])
        let pulled = try run(["pull", "hub:big:v2"])
        XCTAssertEqual(pulled.stdout.split(separator: "\n").first.map(String.init), "Pulled big:v2 (\(manifest.digest))")
    }
}
