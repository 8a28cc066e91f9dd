import XCTest
import ZooFormat

final class ArchitectureBertTests: XCTestCase {
    private typealias F = ArchitectureFixtures

    func testCheck_BundledBertTiny_MatchesWithClassifierHead() throws {
        let folder = repositoryRoot + "/zoo/checkpoints/bert-tiny"
        let tensors = try F.safetensorsTensors(folder + "/model.safetensors")
        let report = ArchitectureCheck.run(type: "bert", config: try F.jsonObject(folder + "/config.json"), tensors: tensors.tensors)
        XCTAssertNil(report.note)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.scheme, "Hugging Face, prefix bert.")
        XCTAssertEqual(report.shapeDescription, "2 x 64 x 4")
        XCTAssertEqual(report.parameterCount, 201_282)
        XCTAssertEqual(report.expectedParameterCount, 201_282)
        XCTAssertNil(report.configurationName, "2 x 64 x 4 is none of Google's sizes")
    }

    func testCheck_MiniLMFolder_MatchesWithPositionIdsAsBuffer() throws {
        guard let folder = ProcessInfo.processInfo.environment["ZOO_MINILM_DIR"], !folder.isEmpty else {
            throw XCTSkip("ZOO_MINILM_DIR is not set (make test installs all-MiniLM-L6-v2)")
        }
        let tensors = try F.safetensorsTensors(folder + "/model.safetensors")
        XCTAssertTrue(tensors.entries.contains { $0.name == "embeddings.position_ids" })
        let report = ArchitectureCheck.run(type: "bert", config: try F.jsonObject(folder + "/config.json"), tensors: tensors.tensors)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.scheme, "Hugging Face BertModel")
        XCTAssertEqual(report.configurationName, "MiniLM-L6-H384")
        XCTAssertEqual(report.bufferCount, 1)
        XCTAssertEqual(report.parameterCount, 22_713_216, "all-MiniLM-L6-v2's published count")
        XCTAssertEqual(report.expectedParameterCount, report.parameterCount)
    }

    func testCheck_BertBaseAndLarge_PublishedCountsAndNames() {
        for (layers, hidden, heads, name, count) in [(12, 768, 12, "BERT-base", 109_482_240), (24, 1024, 16, "BERT-large", 335_141_888)] {
            let tensors = F.bert(layers: layers, hidden: hidden, heads: heads, intermediate: 4 * hidden, vocab: 30522)
            let config = F.bertConfig(layers: layers, hidden: hidden, heads: heads, intermediate: 4 * hidden, vocab: 30522)
            let report = ArchitectureCheck.run(type: "bert", config: config, tensors: tensors.tensors)
            XCTAssertEqual(report.findings, [], name)
            XCTAssertEqual(report.configurationName, name)
            XCTAssertEqual(report.parameterCount, count, name)
            XCTAssertEqual(report.expectedParameterCount, count, name)
        }
    }

    func testCheck_MaskedLMHeadsWithoutPooler_Match() {
        var tensors = F.bert(layers: 2, hidden: 16, heads: 2, intermediate: 32, vocab: 50, prefix: "bert.", pooler: false)
        tensors.add("cls.predictions.bias", [50])
        tensors.add("cls.predictions.transform.dense.weight", [16, 16])
        tensors.add("cls.predictions.transform.dense.bias", [16])
        tensors.add("cls.predictions.transform.LayerNorm.weight", [16])
        tensors.add("cls.predictions.transform.LayerNorm.bias", [16])
        let config = F.bertConfig(layers: 2, hidden: 16, heads: 2, intermediate: 32, vocab: 50)
        let report = ArchitectureCheck.run(type: "bert", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.expectedParameterCount, report.parameterCount)
    }

    func testCheck_ConfigClaims24LayersOver12_OneLayerCountContradiction() {
        let tensors = F.bert(layers: 12, hidden: 32, heads: 4, intermediate: 64, vocab: 100)
        let config = F.bertConfig(layers: 24, hidden: 32, heads: 4, intermediate: 64, vocab: 100)
        let report = ArchitectureCheck.run(type: "bert", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings.map(\.kind), [.layerCount])
        XCTAssertEqual(report.findings.first?.description, "the config declares 24 layers, the tensors hold 12 (layers 0-11)")
        XCTAssertFalse(report.isConsistent)
        XCTAssertGreaterThan(report.expectedParameterCount ?? 0, report.parameterCount, "the config implies twelve more layers")
    }

    func testCheck_FewerLayersDeclared_ExtraLayersUnexpected() {
        let tensors = F.bert(layers: 3, hidden: 8, heads: 2, intermediate: 16, vocab: 10)
        let report = ArchitectureCheck.run(type: "bert", config: F.bertConfig(layers: 2, hidden: 8, heads: 2, intermediate: 16, vocab: 10),
                                           tensors: tensors.tensors)
        XCTAssertEqual(report.findings.first?.kind, .layerCount)
        XCTAssertEqual(report.findings(.unexpected).count, 16)
        XCTAssertTrue(report.findings(.unexpected).allSatisfy { $0.name.hasPrefix("encoder.layer.2.") })
    }

    func testCheck_WrongHiddenSize_MisshapedByName() {
        let tensors = F.bert(layers: 1, hidden: 8, heads: 2, intermediate: 16, vocab: 10)
        let report = ArchitectureCheck.run(type: "bert", config: F.bertConfig(layers: 1, hidden: 16, heads: 2, intermediate: 16, vocab: 10),
                                           tensors: tensors.tensors)
        XCTAssertEqual(Set(report.findings.map(\.kind)), [.misshaped])
        let word = report.findings.first { $0.name == "embeddings.word_embeddings.weight" }
        XCTAssertEqual(word?.description, "tensor embeddings.word_embeddings.weight is [10, 8], expected [10, 16]")
        XCTAssertEqual(Set(report.findings.map(\.name)),
                       Set(tensors.entries.map(\.name)).subtracting(["encoder.layer.0.intermediate.dense.bias"]),
                       "every tensor but the intermediate bias has the hidden size in its shape")
    }

    func testCheck_WrongVocabulary_OnlyEmbeddingMisshaped() {
        let tensors = F.bert(layers: 1, hidden: 8, heads: 2, intermediate: 16, vocab: 10)
        let report = ArchitectureCheck.run(type: "bert", config: F.bertConfig(layers: 1, hidden: 8, heads: 2, intermediate: 16, vocab: 11),
                                           tensors: tensors.tensors)
        XCTAssertEqual(report.findings, [ArchitectureFinding(kind: .misshaped, name: "embeddings.word_embeddings.weight",
                                                             expectedShape: [11, 8], foundShape: [10, 8])])
    }

    func testCheck_HeadsNotDividingHidden_HeadCountContradiction() {
        let tensors = F.bert(layers: 1, hidden: 10, heads: 3, intermediate: 16, vocab: 10)
        let report = ArchitectureCheck.run(type: "bert", config: F.bertConfig(layers: 1, hidden: 10, heads: 3, intermediate: 16, vocab: 10),
                                           tensors: tensors.tensors)
        XCTAssertEqual(report.findings.map(\.kind), [.headCount])
        XCTAssertEqual(report.findings.first?.description, "the hidden size 10 is not a multiple of the 3 attention heads")
        XCTAssertFalse(report.isConsistent)
    }

    func testCheck_MissingAndUnexpected_NamedButConsistent() {
        var tensors = F.bert(layers: 2, hidden: 8, heads: 2, intermediate: 16, vocab: 10)
        tensors.remove("encoder.layer.1.output.dense.weight")
        tensors.add("adapter.down.weight", [4, 8])
        tensors.add("encoder.layer.0.position_ids", [1, 512])  // a buffer anywhere is lenient
        let report = ArchitectureCheck.run(type: "bert", config: F.bertConfig(layers: 2, hidden: 8, heads: 2, intermediate: 16, vocab: 10),
                                           tensors: tensors.tensors)
        XCTAssertEqual(report.findings, [
            ArchitectureFinding(kind: .missing, name: "encoder.layer.1.output.dense.weight", expectedShape: [8, 16]),
            ArchitectureFinding(kind: .unexpected, name: "adapter.down.weight", foundShape: [4, 8]),
        ])
        XCTAssertEqual(report.findings[0].description, "missing tensor encoder.layer.1.output.dense.weight (expected [8, 16])")
        XCTAssertTrue(report.isConsistent)
        XCTAssertFalse(report.passes)
    }

    func testCheck_ClassifierShape_FromId2Label() {
        var tensors = F.bert(layers: 1, hidden: 8, heads: 2, intermediate: 16, vocab: 10, prefix: "bert.")
        tensors.add("classifier.weight", [3, 8])
        tensors.add("classifier.bias", [3])
        var config = F.bertConfig(layers: 1, hidden: 8, heads: 2, intermediate: 16, vocab: 10)
        config["id2label"] = ["0": "a", "1": "b"]
        let report = ArchitectureCheck.run(type: "bert", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings.map(\.name), ["classifier.weight", "classifier.bias"])
        XCTAssertEqual(report.findings.first?.description, "tensor classifier.weight is [3, 8], expected [2, 8]")
    }

    func testCheck_GGUFNames_SeparateAndFusedProjections() {
        let config = F.ggufConfig(layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, positions: 512)
        for (fused, scheme) in [(false, "GGUF, llama.cpp names"), (true, "GGUF, llama.cpp names, fused attn_qkv")] {
            let tensors = F.bertGGUF(layers: 12, hidden: 768, intermediate: 3072, vocab: 30522, fused: fused)
            let report = ArchitectureCheck.run(type: "bert", config: config, tensors: tensors.tensors)
            XCTAssertEqual(report.findings, [], scheme)
            XCTAssertEqual(report.scheme, scheme)
            XCTAssertEqual(report.configurationName, "BERT-base")
            // bert-base-uncased's 109,482,240 without the pooler, which llama.cpp's converter drops.
            XCTAssertEqual(report.parameterCount, 109_482_240 - 768 * 768 - 768, scheme)
            XCTAssertEqual(report.expectedParameterCount, report.parameterCount, scheme)
        }
    }

    func testCheck_GGUFNames_TokenTypesOptionalWrongFFNShapeNamed() {
        var tensors = F.bertGGUF(layers: 2, hidden: 8, intermediate: 32, vocab: 10, positions: 16)
        tensors.remove("token_types.weight")
        tensors.reshape("blk.1.ffn_down.weight", [32, 8])
        let config = F.ggufConfig(layers: 2, hidden: 8, heads: 2, intermediate: 32, vocab: 10, positions: 16)
        XCTAssertEqual(ArchitectureCheck.run(type: "bert", config: config, tensors: tensors.tensors).findings.map(\.description),
                       ["tensor blk.1.ffn_down.weight is [32, 8], expected [8, 32]"])
    }

    func testCheck_GGUFFusedQKVPartlyWritten_MissingNotContradiction() {
        // bert.gguf (scripts/make_gguf_fixtures.py): one block of which only attn_qkv is written.
        let tensors = TensorList(entries: [("token_embd.weight", [30, 32]), ("blk.0.attn_qkv.weight", [96, 32]),
                                           ("blk.0.attn_qkv.bias", [96])])
        let config = F.ggufConfig(layers: 1, hidden: 32, heads: 2, intermediate: 64, vocab: 30, positions: 128)
        let report = ArchitectureCheck.run(type: "bert", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.scheme, "GGUF, llama.cpp names, fused attn_qkv")
        XCTAssertTrue(report.isConsistent)
        XCTAssertEqual(report.findings(.missing).count, 13)
        XCTAssertEqual(report.findings(.unexpected), [])
    }
}
