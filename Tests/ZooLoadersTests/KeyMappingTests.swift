import XCTest
import ZooLoaders

final class KeyMappingTests: XCTestCase {
    func testMap_StripPrefix_OnlyWhereItMatches() {
        let mapping: KeyMapping = [.stripPrefix("bert.")]
        XCTAssertEqual(mapping.map("bert.encoder.layer.0.output.dense.weight"), "encoder.layer.0.output.dense.weight")
        XCTAssertEqual(mapping.map("classifier.weight"), "classifier.weight")
        XCTAssertEqual(mapping.map("xbert.pooler"), "xbert.pooler")
    }

    func testMap_AddPrefix_EveryName() {
        let mapping: KeyMapping = [.addPrefix("bert.")]
        XCTAssertEqual(mapping.map("embeddings.word_embeddings.weight"), "bert.embeddings.word_embeddings.weight")
    }

    func testMap_RulesInOrder_ComposeLeftToRight() {
        let mapping: KeyMapping = [
            .stripPrefix("model."), .rename(pattern: #"^h\.(\d+)\."#, replacement: "layers.$1."), .addPrefix("net."),
        ]
        XCTAssertEqual(mapping.map("model.h.12.attn.weight"), "net.layers.12.attn.weight")
        XCTAssertEqual(mapping.map("h.3.mlp.bias"), "net.layers.3.mlp.bias")
    }

    func testMap_RenameEveryMatch_WithCaptureGroups() {
        let mapping: KeyMapping = [.rename(pattern: #"_(\w)"#, replacement: ".$1")]
        XCTAssertEqual(mapping.map("a_b_c"), "a.b.c")
    }

    func testMap_HuggingFaceBERT_FixesGammaAndBetaOfLayerNormOnly() {
        let mapping = KeyMapping.huggingFaceBERT
        XCTAssertEqual(mapping.map("bert.embeddings.LayerNorm.gamma"), "bert.embeddings.LayerNorm.weight")
        XCTAssertEqual(mapping.map("encoder.layer.3.output.LayerNorm.beta"), "encoder.layer.3.output.LayerNorm.bias")
        XCTAssertEqual(mapping.map("LayerNorm.gamma"), "LayerNorm.weight")
        XCTAssertEqual(mapping.map("encoder.gamma_scale"), "encoder.gamma_scale")
        XCTAssertEqual(mapping.map("other.gamma"), "other.gamma")
        XCTAssertEqual(mapping.map("bert.embeddings.LayerNorm.weight"), "bert.embeddings.LayerNorm.weight")
    }

    func testMap_EmptyMapping_Identity() {
        XCTAssertEqual(KeyMapping([]).map("a.b"), "a.b")
    }

    func testCompiled_InvalidPattern_ThrowsNamingIt() {
        let mapping: KeyMapping = [.rename(pattern: "(unclosed", replacement: "x")]
        XCTAssertThrowsError(try mapping.compiled()) { error in
            guard case let .invalidKeyPattern(pattern, _)? = (error as? CheckpointLoadError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(pattern, "(unclosed")
        }
        XCTAssertEqual(mapping.map("keep.me"), "keep.me")
    }
}
