import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// The names `zoo import` suggests from a path, and the content-only manifest name of a
/// Hugging Face folder.
final class SourceNameTests: XCTestCase {
    func testSuggested_FilesFoldersAndHuggingFaceCache() {
        let cases: [(String, String)] = [
            ("/data/tiny.gguf", "tiny"),
            ("/data/bert.zoo.zst", "bert"),
            ("/data/resnet18.pth", "resnet18"),
            ("/data/my-bert/model.safetensors", "my-bert"),
            ("/data/my-bert/pytorch_model.bin", "my-bert"),
            ("/data/llama/model-00001-of-00004.safetensors", "llama"),
            ("/data/weights.bin", "weights"),
            ("/data/x/../gpt/./consolidated.pt", "gpt"),
            ("/hub/models--google-bert--bert-base-uncased", "google-bert/bert-base-uncased"),
            ("/hub/models--google-bert--bert-base-uncased/snapshots/0123abcd", "google-bert/bert-base-uncased"),
            ("/hub/models--org--name/snapshots/0123abcd/model.safetensors", "org/name"),
        ]
        for (path, expected) in cases { XCTAssertEqual(SourceName.suggested(forPath: path), expected, path) }
        XCTAssertNil(SourceName.suggested(forPath: "/"))
        XCTAssertFalse(SourceName.isGeneric("model-1-of-x"))
        XCTAssertTrue(SourceName.isGeneric("pytorch_model-00002-of-00003"))
    }

    func testModelName_FromConfigContentOnly() throws {
        func config(_ text: String) throws -> [String: JSONValue] {
            guard case let .object(members) = try JSONValue(parsing: Array(text.utf8)) else { throw CocoaError(.coderInvalidValue) }
            return members
        }
        XCTAssertEqual(HuggingFace.modelName(config: try config(#"{"_name_or_path": "org/my-model", "model_type": "bert"}"#)), "my-model")
        XCTAssertEqual(HuggingFace.modelName(config: try config(#"{"_name_or_path": "", "model_type": "bert"}"#)), "bert")
        XCTAssertEqual(HuggingFace.modelName(config: try config(#"{"architectures": ["GPT2LMHeadModel"]}"#)), "GPT2LMHeadModel")
        XCTAssertEqual(HuggingFace.modelName(config: nil), "model")
    }
}
