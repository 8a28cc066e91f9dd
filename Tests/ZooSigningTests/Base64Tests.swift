import XCTest
@testable import ZooSigning

final class Base64Tests: XCTestCase {
    func testEncode_RFC4648Vectors_Match() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8), encoded)
        }
    }

    func testDecode_EveryByteValue_RoundTrips() {
        for count in 0..<70 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ count) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
        }
    }

    func testDecode_NonCanonical_Refused() {
        for text in ["Zg", "Zg=", "Zh==", "Zm9=", "Zm9v\n", " Zm9v", "Zm-v", "Zm_v", "Z===", "=Zm9", "Zg==Zg==", "Zm9vYg"] {
            XCTAssertNil(Base64.decode(text), text)
        }
    }
}
