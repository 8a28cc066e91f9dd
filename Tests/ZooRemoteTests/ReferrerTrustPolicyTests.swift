import XCTest
import ZooFormat
@testable import ZooRemote

/// The trust policy file: which pulls its rules cover, and how a bad file is refused.
final class ReferrerTrustPolicyTests: XCTestCase {
    private var scratch = ""
    private var path: String { scratch + "/config/trust.json" }
    private let remotes = [
        RemoteConfig(name: "hub", url: "oci://registry.example.com/team", insecure: false),
        RemoteConfig(name: "shelf", url: "/srv/models", insecure: false),
    ]

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        try FileSystem.makeDirectories(scratch + "/config")
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    private func write(_ text: String) throws {
        try FileSystem.writeAtomically(Array(text.utf8), to: path)
    }

    private func target(_ text: String) throws -> RemoteTarget {
        try RemoteTarget.parse(text, remotes: remotes, insecure: false, workingDirectory: scratch)
    }

    /// The key files of the requirements for pulling `text`, one list per requirement.
    private func keys(_ policy: TrustPolicy, _ text: String) throws -> [[String]] {
        try policy.requirements(for: try target(text), remotes: remotes).map(\.keyFiles)
    }

    private func assertInvalid(_ text: String, entry: String?, why: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try write(text)
        XCTAssertThrowsError(try TrustPolicy(path: path), file: file, line: line) { error in
            XCTAssertEqual((error as? RemoteError)?.reason, .invalidTrustPolicy(path: path, entry: entry, why: why), file: file, line: line)
        }
    }

    func testNoFile_NoRules_NothingRequired() throws {
        let policy = try TrustPolicy(path: path)
        XCTAssertEqual(policy.rules, [])
        XCTAssertEqual(try keys(policy, "hub:bert:v1"), [])
    }

    func testRemoteRule_CoversThePullsFromItHoweverSpelled() throws {
        try write(#"{"rules": [{"remote": "hub", "keys": ["hub.pem"]}]}"#)
        let policy = try TrustPolicy(path: path)
        let hub = [[scratch + "/config/hub.pem"]]
        XCTAssertEqual(try keys(policy, "hub:bert:v1"), hub)
        XCTAssertEqual(try keys(policy, "oci://registry.example.com/team/bert:v1"), hub, "the same repository, spelled as a URL")
        XCTAssertEqual(try keys(policy, "oci://REGISTRY.example.com/team/sub/bert"), hub, "host names are case-insensitive")
        XCTAssertEqual(try keys(policy, "oci://registry.example.com/teams/bert"), [], "whole path segments only")
        XCTAssertEqual(try keys(policy, "oci://registry.example.com/bert"), [])
        XCTAssertEqual(try keys(policy, "oci://other.example.com/team/bert"), [])
        XCTAssertEqual(try policy.requirements(for: try target("hub:bert"), remotes: remotes).first?.origin,
                       "\(path) rules[0] (remote hub)")
    }

    func testLocationAndNameRules_EachCoveringRuleIsARequirement() throws {
        try write("""
            {"rules": [
              {"location": "oci://registry.example.com/team/", "keys": ["/keys/team.pem"]},
              {"location": "oci://registry.example.com", "name": "team/bert", "keys": ["/keys/bert.pem", "/keys/ci.pem"]},
              {"name": "gpt", "keys": ["/keys/gpt.pem"]},
              {"remote": "shelf", "name": "tiny", "keys": ["/keys/shelf.pem"]}
            ]}
            """)
        let policy = try TrustPolicy(path: path)
        XCTAssertEqual(try keys(policy, "oci://registry.example.com/team/bert-large:v2"),
                       [["/keys/team.pem"], ["/keys/bert.pem", "/keys/ci.pem"]])
        XCTAssertEqual(try keys(policy, "hub:roberta"), [["/keys/team.pem"]])
        XCTAssertEqual(try keys(policy, "oci://registry.example.com/gpt2"), [["/keys/gpt.pem"]])
        XCTAssertEqual(try keys(policy, "/srv/models:tiny-bert"), [["/keys/shelf.pem"]])
        XCTAssertEqual(try keys(policy, "shelf:tiny"), [["/keys/shelf.pem"]])
        XCTAssertEqual(try keys(policy, "shelf:bert"), [])
        XCTAssertEqual(try keys(policy, "/srv/models2:tiny"), [], "another folder")
    }

    func testRuleNamingAnUnknownRemote_FailsWhenAPullIsChecked() throws {
        try write(#"{"rules": [{"remote": "gone", "keys": ["/k.pem"]}]}"#)
        let policy = try TrustPolicy(path: path)
        XCTAssertThrowsError(try keys(policy, "hub:bert")) { error in
            XCTAssertEqual((error as? RemoteError)?.reason, .invalidTrustPolicy(
                path: path, entry: "rules[0]", why: "no remote named \"gone\" (zoo remote list shows them)"))
        }
    }

    func testBadFiles_AreRefusedNamingTheFileAndRule() throws {
        try assertInvalid("{", entry: nil, why: "not JSON: " + "\(JSONErrorText.of("{"))")
        try assertInvalid("[]", entry: nil, why: "not a JSON object")
        try assertInvalid("{}", entry: nil, why: "no \"rules\" array")
        try assertInvalid(#"{"rules": [], "extra": 1}"#, entry: nil, why: "unknown member \"extra\"")
        try assertInvalid(#"{"rules": [3]}"#, entry: "rules[0]", why: "not an object")
        try assertInvalid(#"{"rules": [{"remote": "hub", "keys": ["/k"]}, {"keys": ["/k"]}]}"#, entry: "rules[1]",
                          why: "say what it covers: remote, location or name")
        try assertInvalid(#"{"rules": [{"remote": "hub", "location": "/x", "keys": ["/k"]}]}"#, entry: "rules[0]",
                          why: "give remote or location, not both")
        try assertInvalid(#"{"rules": [{"remote": "hub", "keys": []}]}"#, entry: "rules[0]",
                          why: "keys must be a non-empty array of PEM file paths")
        try assertInvalid(#"{"rules": [{"remote": "hub", "keys": [1]}]}"#, entry: "rules[0]", why: "keys[0] is not a file path")
        try assertInvalid(#"{"rules": [{"remote": "hub", "key": "/k"}]}"#, entry: "rules[0]",
                          why: "unknown member \"key\" (a rule has remote, location, name and keys)")
        try assertInvalid(#"{"rules": [{"remote": "", "keys": ["/k"]}]}"#, entry: "rules[0]", why: "remote is not a non-empty string")
        try assertInvalid(#"{"rules": [{"remote": "Hub", "keys": ["/k"]}]}"#, entry: "rules[0]",
                          why: "invalid remote name \"Hub\": use lowercase letters, digits and single \".\", \"_\" or \"-\" between them")
        try assertInvalid(#"{"rules": [{"location": "relative/path", "keys": ["/k"]}]}"#, entry: "rules[0]",
                          why: "location relative/path is neither oci://HOST[/PREFIX] nor an absolute folder path")
        try assertInvalid(#"{"rules": [{"location": "https://h/x", "keys": ["/k"]}]}"#, entry: "rules[0]",
                          why: "invalid location \"https://h/x\": write a registry as oci://HOST[:PORT][/PREFIX] (with --insecure for plain http)")
        let error = RemoteError(.invalidTrustPolicy(path: path, entry: "rules[2]", why: "keys must name at least one PEM file"))
        XCTAssertEqual(error.description, "\(path): rules[2]: keys must name at least one PEM file")
    }

    func testAddAndRemove_SaveTheFile() throws {
        var policy = try TrustPolicy(path: path)
        try policy.add(TrustRule(remote: "hub", keys: ["/keys/a.pem"]))
        try policy.add(TrustRule(location: "/srv/models", name: "tiny", keys: ["/keys/b.pem"]))
        XCTAssertEqual(try TrustPolicy(path: path).rules, policy.rules)
        XCTAssertThrowsError(try policy.add(TrustRule(keys: ["/k"]))) { error in
            XCTAssertEqual((error as? RemoteError)?.reason, .invalidTrustPolicy(
                path: path, entry: "the new rule", why: "say what it covers: remote, location or name"))
        }
        try policy.remove(at: 0)
        XCTAssertEqual(try TrustPolicy(path: path).rules, [TrustRule(location: "/srv/models", name: "tiny", keys: ["/keys/b.pem"])])
        XCTAssertThrowsError(try policy.remove(at: 5)) { error in
            XCTAssertEqual((error as? RemoteError)?.reason, .invalidTrustPolicy(
                path: path, entry: "rules[5]", why: "no such rule (1 in the file)"))
        }
    }
}

/// The parser's message for a text, as the policy quotes it.
private enum JSONErrorText {
    static func of(_ text: String) -> String {
        do { _ = try JSONValue(parsing: Array(text.utf8)); return "" } catch { return "\(error)" }
    }
}
