import XCTest
import ZooFormat
@testable import ZooRemote

/// Upload session URLs carry `_state` tokens: errors print them as `?<redacted>`.
final class URLRedactionTests: XCTestCase {
    private let session = "http://127.0.0.1:5000/v2/team/big/blobs/uploads/0b6e-4c1f?_state=QnHurrS9mon%3D%3D"

    func testRedact_QueriesFragmentsAndUserInfo() {
        XCTAssertEqual(URLRedaction.redact(session), "http://127.0.0.1:5000/v2/team/big/blobs/uploads/0b6e-4c1f?<redacted>")
        XCTAssertEqual(URLRedaction.redact(session + "&digest=sha256:00"), "http://127.0.0.1:5000/v2/team/big/blobs/uploads/0b6e-4c1f?<redacted>")
        XCTAssertEqual(URLRedaction.redact("https://h/v2/x#frag"), "https://h/v2/x?<redacted>")
        XCTAssertEqual(URLRedaction.redact("HTTPS://alice:pw@h:443/v2/?q=1"), "HTTPS://<redacted>@h:443/v2/?<redacted>")
        XCTAssertEqual(URLRedaction.redact("https://h/v2/a@b/blobs"), "https://h/v2/a@b/blobs", "an @ in the path is no user info")
        XCTAssertEqual(URLRedaction.redact("http://127.0.0.1:5000/v2/big/blobs/sha256:ab"), "http://127.0.0.1:5000/v2/big/blobs/sha256:ab")
        XCTAssertEqual(URLRedaction.redact("/tmp/layout?/blobs/sha256/ab"), "/tmp/layout?/blobs/sha256/ab", "a path is not a URL")
        XCTAssertEqual(URLRedaction.redact("oci://host/big:v1"), "oci://host/big:v1")
        XCTAssertEqual(URLRedaction.redact(""), "")
    }

    func testEveryReasonThatShowsAURL_PrintsItRedacted() throws {
        let digest = SHA256.digest(Array("a".utf8))
        let other = SHA256.digest(Array("b".utf8))
        let shown = "http://127.0.0.1:5000/v2/team/big/blobs/uploads/0b6e-4c1f?<redacted>"
        let reasons: [(RemoteError.Reason, String)] = [
            (.registry(status: 202, code: nil, message: "the upload holds 0 or 1 byte after a chunk ending at byte 5",
                       method: "PATCH", url: session),
             "registry answered 202: the upload holds 0 or 1 byte after a chunk ending at byte 5 for PATCH \(shown)"),
            (.registry(status: 400, code: "DIGEST_INVALID", message: "provided digest did not match uploaded content",
                       method: "PUT", url: session + "&digest=\(digest)"),
             "registry answered 400 DIGEST_INVALID: provided digest did not match uploaded content for PUT \(shown)"),
            (.transport(url: session, message: "Connection reset by peer"), "cannot reach \(shown): Connection reset by peer"),
            (.insecureNotAllowed(url: session),
             "\(shown) uses plain http: pass --insecure (or add the remote with --insecure) to allow it"),
            (.digestMismatch(blob: "shards/0", source: session, expected: digest, actual: other),
             "shards/0 from \(shown) hashes to \(other), expected \(digest); the data was discarded"),
            (.sizeMismatch(blob: "shards/0", source: session, expected: 2, actual: 3), "shards/0 from \(shown) is 3 bytes, expected 2"),
            (.invalidReply(source: session, why: "upload Range \"x\" is not of the form 0-<last byte>"),
             "invalid answer from \(shown): upload Range \"x\" is not of the form 0-<last byte>"),
            (.replyTooLarge(what: "manifest", source: session, declared: 1 << 40, limit: 4 << 20),
             "manifest from \(shown) is larger than the 4194304-byte limit (Content-Length 1099511627776); nothing was kept"),
            (.replyTooLarge(what: "listing", source: session, declared: nil, limit: 16),
             "listing from \(shown) is larger than the 16-byte limit; nothing was kept"),
            (.notACheckpoint(source: session, why: "x"), "\(shown) is not a zoo checkpoint: x"),
            (.invalidManifest(source: session, why: "x"), "invalid OCI manifest from \(shown): x"),
        ]
        for (reason, expected) in reasons {
            XCTAssertEqual(RemoteError(reason).description, expected)
            XCTAssertFalse(RemoteError(reason).description.contains("_state"), expected)
        }
    }

    func testAccessDenied_NamesTheURLRedacted() throws {
        let address = RegistryAddress(host: "127.0.0.1:5000", insecure: true)
        let registry = Registry(address: address, credentials: CredentialSource(environment: [:]), options: HTTPOptions())
        let connection = try registry.connect()
        let response = HTTPResponse(status: 403, headers: HTTPHeaders(),
                                    body: Array(#"{"errors":[{"code":"DENIED","message":"no"}]}"#.utf8), effectiveURL: session)
        let error = connection.failure(response, HTTPRequest(.patch, session))
        XCTAssertEqual(error.description, "authentication with 127.0.0.1:5000 failed: access denied to "
                       + "http://127.0.0.1:5000/v2/team/big/blobs/uploads/0b6e-4c1f?<redacted> (no)")
    }
}
