import XCTest
@testable import ZooSigning

final class DSSETests: XCTestCase {
    /// The example from the DSSE v1 protocol document.
    func testPAE_SpecExample_MatchesBytes() {
        let pae = DSSE.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        XCTAssertEqual(String(decoding: pae, as: UTF8.self), "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }
}
