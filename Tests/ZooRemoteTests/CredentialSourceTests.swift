import XCTest
import ZooFormat
@testable import ZooRemote

final class CredentialSourceTests: XCTestCase {
    private var scratch = ""
    private var file: String { scratch + "/zoo/credentials.json" }

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        try FileSystem.makeDirectories(scratch + "/zoo")
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    private func write(_ text: String, mode: mode_t) throws {
        try FileSystem.writeAtomically(Array(text.utf8), to: file, mode: mode)
        chmod(file, mode)
    }

    func testCredentials_EnvironmentPair_AppliesToEveryHost() throws {
        let source = CredentialSource(environment: ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "s3cret"])
        let credentials = try XCTUnwrap(try source.credentials(forHost: "any.example.com"))
        XCTAssertEqual(credentials.username, "alice")
        XCTAssertEqual(credentials.password.reveal(), "s3cret")
    }

    func testCredentials_HalfTheEnvironmentPair_NamesTheMissingVariable() {
        let source = CredentialSource(environment: ["ZOO_REGISTRY_USER": "alice"])
        XCTAssertThrowsError(try source.credentials(forHost: "h")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidConfig(
                path: "environment", why: "ZOO_REGISTRY_USER is set but ZOO_REGISTRY_PASSWORD is not")))
        }
    }

    func testCredentials_OwnerOnlyFile_GivesTheHostsEntry() throws {
        try write(#"{"registries":{"127.0.0.1:5000":{"username":"bob","password":"pw"}}}"#, mode: 0o600)
        let source = CredentialSource(environment: ["XDG_CONFIG_HOME": scratch])
        XCTAssertEqual(source.filePath, file)
        XCTAssertEqual(try source.credentials(forHost: "127.0.0.1:5000")?.username, "bob")
        XCTAssertNil(try source.credentials(forHost: "other:5000"))
    }

    func testCredentials_FileOthersCanRead_IsRefusedWithTheFix() throws {
        try write(#"{"registries":{}}"#, mode: 0o644)
        let source = CredentialSource(environment: ["XDG_CONFIG_HOME": scratch])
        XCTAssertThrowsError(try source.credentials(forHost: "h")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.credentialsFileTooOpen(path: file, mode: 0o100644)))
            XCTAssertEqual("\(error)", "\(file) is readable by others (mode 644): run chmod 600 \(file)")
        }
    }

    func testSecret_EveryTextForm_IsRedacted() {
        let credentials = Credentials(username: "u", password: Secret("hunter2"))
        XCTAssertFalse("\(credentials)".contains("hunter2"))
        XCTAssertFalse(String(reflecting: credentials).contains("hunter2"))
        XCTAssertEqual("\(Secret("hunter2"))", "<redacted>")
    }
}
