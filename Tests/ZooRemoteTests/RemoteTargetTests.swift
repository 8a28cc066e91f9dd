import XCTest
import ZooFormat
@testable import ZooRemote

final class RemoteTargetTests: XCTestCase {
    private let remotes = [
        RemoteConfig(name: "hub", url: "oci://registry.example.com:5000/team", insecure: false),
        RemoteConfig(name: "local", url: "oci://127.0.0.1:5000", insecure: true),
        RemoteConfig(name: "share", url: "/mnt/models", insecure: false),
    ]
    private let digest = SHA256.digest([1])

    private func parse(_ text: String, insecure: Bool = false) throws -> RemoteTarget {
        try RemoteTarget.parse(text, remotes: remotes, insecure: insecure, workingDirectory: "/work")
    }

    func testParse_OCIURLWithTag_IsARegistryRepository() throws {
        let target = try parse("oci://registry.example.com:5000/team/bert-tiny:v1")
        XCTAssertEqual(target, RemoteTarget(base: .registry(RegistryAddress(host: "registry.example.com:5000", insecure: false),
                                                            namespace: ""),
                                            name: "team/bert-tiny", version: .tag("v1")))
        XCTAssertEqual(target.repository, "team/bert-tiny")
        XCTAssertEqual(target.description, "oci://registry.example.com:5000/team/bert-tiny:v1")
    }

    func testParse_OCIURLWithDigestAndInsecure_KeepsBoth() throws {
        let target = try parse("oci://127.0.0.1:5000/bert@\(digest)", insecure: true)
        XCTAssertEqual(target.base, .registry(RegistryAddress(host: "127.0.0.1:5000", insecure: true), namespace: ""))
        XCTAssertEqual(target.name, "bert")
        XCTAssertEqual(target.version, .digest(digest))
    }

    func testParse_Loopback_AllowsPlainHTTPWithoutInsecure_OtherHostsDoNot() throws {
        XCTAssertEqual(try parse("oci://127.0.0.1:5000/bert").base,
                       .registry(RegistryAddress(host: "127.0.0.1:5000", insecure: true), namespace: ""))
        XCTAssertEqual(try parse("oci://localhost:5000/bert").base,
                       .registry(RegistryAddress(host: "localhost:5000", insecure: true), namespace: ""))
        XCTAssertEqual(try parse("oci://registry.example.com/bert").base,
                       .registry(RegistryAddress(host: "registry.example.com", insecure: false), namespace: ""))
        XCTAssertEqual(try parse("oci://10.0.0.1:5000/bert").base,
                       .registry(RegistryAddress(host: "10.0.0.1:5000", insecure: false), namespace: ""))
    }

    func testParse_HostSlashRepoWithoutScheme_IsARegistryAsDockerReadsIt() throws {
        XCTAssertEqual(try parse("registry.example.com:5000/team/bert-tiny:v1"), try parse("oci://registry.example.com:5000/team/bert-tiny:v1"))
        XCTAssertEqual(try parse("ghcr.io/org/model@\(digest)"), try parse("oci://ghcr.io/org/model@\(digest)"))
        XCTAssertEqual(try parse("localhost:5000/bert").base,
                       .registry(RegistryAddress(host: "localhost:5000", insecure: true), namespace: ""))
        // No dot, port or localhost before the slash: a folder, as before; a remote name stays a remote.
        XCTAssertEqual(try parse("shared/layout:bert").base, .folder(path: "/work/shared/layout"))
        XCTAssertEqual(try parse("hub:team/bert").repository, "team/team/bert")
    }

    func testParse_RemoteName_UsesItsURLPrefixAndInsecureSetting() throws {
        let hub = try parse("hub:bert:v2")
        XCTAssertEqual(hub.repository, "team/bert")
        XCTAssertEqual(hub.version, .tag("v2"))
        let local = try parse("local:bert")
        XCTAssertEqual(local.base, .registry(RegistryAddress(host: "127.0.0.1:5000", insecure: true), namespace: ""))
        XCTAssertNil(local.version)
        XCTAssertEqual(try parse("share:m:t").base, .folder(path: "/mnt/models"))
    }

    func testParse_PathsAndFileURLs_AreFolders() throws {
        XCTAssertEqual(try parse("./zoo:bert-tiny"), RemoteTarget(base: .folder(path: "/work/zoo"), name: "bert-tiny", version: nil))
        XCTAssertEqual(try parse("/data/zoo:a/b:v1"), RemoteTarget(base: .folder(path: "/data/zoo"), name: "a/b", version: .tag("v1")))
        XCTAssertEqual(try parse("file:///data/my%20zoo:m"), RemoteTarget(base: .folder(path: "/data/my zoo"), name: "m", version: nil))
    }

    func testParse_BareWordThatIsNeitherRemoteNorFolder_SaysHowToNameANewFolder() {
        XCTAssertThrowsError(try parse("nowhere:m")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidLocation(
                "nowhere:m", why: "no remote named \"nowhere\" and no folder ./nowhere (write ./nowhere for a new folder)")))
        }
    }

    func testParse_HTTPURL_PointsToTheOCIForm() {
        XCTAssertThrowsError(try parse("http://127.0.0.1:5000/bert")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidLocation(
                "http://127.0.0.1:5000/bert", why: "write a registry as oci://HOST[:PORT]/REPO (with --insecure for plain http)")))
        }
    }

    func testParse_BadPieces_AreRefusedWithTheRule() {
        XCTAssertThrowsError(try parse("oci://bad host/x")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidLocation(
                "oci://bad host/x", why: "\"bad host\" is not HOST or HOST:PORT")))
        }
        XCTAssertThrowsError(try parse("oci://h:99999/x"))
        XCTAssertThrowsError(try parse("oci://h/Bert")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidLocation(
                "oci://h/Bert", why: "invalid model name \"Bert\": uppercase \"B\" at position 1: names are lowercase")))
        }
        XCTAssertThrowsError(try parse("hub:bert@sha256:12")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidLocation(
                "hub:bert@sha256:12", why: "\"sha256:12\" is not a digest (sha256:<64 lowercase hex>)")))
        }
    }

    func testParseBase_RemoteURLs_AndRemoteNameRule() throws {
        XCTAssertEqual(try RemoteTarget.parseBase("oci://h:1/team/", insecure: false, workingDirectory: "/"),
                       .registry(RegistryAddress(host: "h:1", insecure: false), namespace: "team"))
        XCTAssertEqual(try RemoteTarget.parseBase("zoo", insecure: false, workingDirectory: "/repo"), .folder(path: "/repo/zoo"))
        XCTAssertThrowsError(try RemoteTarget.parseBase("oci://h/team:v1", insecure: false, workingDirectory: "/"))
        XCTAssertThrowsError(try RemoteConfig.validateName("Hub")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidRemoteName(
                "Hub", why: "use lowercase letters, digits and single \".\", \"_\" or \"-\" between them")))
        }
        XCTAssertNoThrow(try RemoteConfig.validateName("my-hub.2"))
    }

    func testChallenge_BearerWithQuotedParameters_ParsesEach() {
        let challenge = Challenge(parsing: #"Bearer realm="http://127.0.0.1:9/token",service="reg",scope="repository:a/b:pull,push""#)
        XCTAssertEqual(challenge, Challenge(scheme: "bearer", parameters: [
            "realm": "http://127.0.0.1:9/token", "service": "reg", "scope": "repository:a/b:pull,push",
        ]))
        XCTAssertEqual(Challenge(parsing: #"Basic realm="zoo-test""#)?.scheme, "basic")
    }

    // Upload Range headers: UploadRangeTests.
    func testNextLink_IsTheTargetOfRelNext() {
        XCTAssertEqual(RegistryConnection.nextLink(#"</v2/_catalog?last=b&n=2>; rel="next""#), "/v2/_catalog?last=b&n=2")
    }
}
