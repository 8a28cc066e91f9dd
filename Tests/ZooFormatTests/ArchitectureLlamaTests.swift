import XCTest
import ZooFormat

final class ArchitectureLlamaTests: XCTestCase {
    private typealias F = ArchitectureFixtures

    func testCheck_Llama7BAndTinyLlama_PublishedCounts() {
        let sizes = [(32, 4096, 32, 32, 11008, "LLaMA-7B", 6_738_415_616), (22, 2048, 32, 4, 5632, "TinyLlama-1.1B", 1_100_048_384)]
        for (layers, hidden, heads, kv, inter, name, count) in sizes {
            let config = F.llamaConfig(layers: layers, hidden: hidden, heads: heads, kvHeads: kv, intermediate: inter, vocab: 32000)
            let tensors = F.llama(layers: layers, hidden: hidden, heads: heads, kvHeads: kv, intermediate: inter, vocab: 32000)
            let report = ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors)
            XCTAssertEqual(report.findings, [], name)
            XCTAssertEqual(report.configurationName, name)
            XCTAssertEqual(report.parameterCount, count, name)
            XCTAssertEqual(report.expectedParameterCount, count, name)
        }
    }

    func testCheck_GroupedQueryAttention_KeyValueShapesFromKVHeads() {
        var tensors = F.llama(layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 32, vocab: 10)
        let config = F.llamaConfig(layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 32, vocab: 10)
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors).findings, [])
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors).shapeDescription,
                       "2 x 16 x 4 (2 kv heads)")
        tensors.reshape("model.layers.1.self_attn.k_proj.weight", [16, 16])  // full heads
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors).findings.map(\.description),
                       ["tensor model.layers.1.self_attn.k_proj.weight is [16, 16], expected [8, 16]"])
    }

    func testCheck_TiedEmbeddings_LMHeadOptional_UntiedRequired() {
        let tensors = F.llama(layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 16, vocab: 10, head: false)
        let tied = F.llamaConfig(layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 16, vocab: 10, tied: true)
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: tied, tensors: tensors.tensors).findings, [])
        let untied = F.llamaConfig(layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 16, vocab: 10, tied: false)
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: untied, tensors: tensors.tensors).findings,
                       [ArchitectureFinding(kind: .missing, name: "lm_head.weight", expectedShape: [10, 8])])
    }

    func testCheck_GGUFNamesWithImporterConfig_Match() {
        let tensors = F.llama(layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 32, vocab: 10, gguf: true, head: false)
        let config = F.ggufLlamaConfig(layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 32, vocab: 10)
        let report = ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.scheme, "GGUF, llama.cpp names")
    }

    func testCheck_GGUFQuantizedTensor_ShapeInElementsChecked() {
        // A Q8_0 tensor's manifest shape counts elements, as for any dtype (spec/gguf.md §3.3).
        let config = F.ggufLlamaConfig(layers: 1, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, vocab: 16)
        var tensors = F.llama(layers: 1, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, vocab: 16, gguf: true).tensors
        let digest = SHA256.digest([UInt8]())
        for i in tensors.indices where tensors[i].name == "blk.0.attn_v.weight" {
            tensors[i] = TensorEntry(name: tensors[i].name, dtype: .q8_0, shape: [32, 64], shard: 0, offset: 0,
                                     length: 32 * 2 * 34, digest: digest)
        }
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: config, tensors: tensors).findings, [])
        for i in tensors.indices where tensors[i].name == "blk.0.attn_v.weight" { tensors[i].shape = [64, 64] }
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: config, tensors: tensors).findings.map(\.description),
                       ["tensor blk.0.attn_v.weight is [64, 64], expected [32, 64]"])
    }

    func testCheck_KVHeadsNotDividingHeads_HeadCountContradiction() {
        let tensors = F.llama(layers: 1, hidden: 12, heads: 3, kvHeads: 3, intermediate: 16, vocab: 10)
        let config = F.llamaConfig(layers: 1, hidden: 12, heads: 3, kvHeads: 2, intermediate: 16, vocab: 10)
        let report = ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings.first?.description, "the 3 attention heads are not a multiple of the 2 key/value heads")
        XCTAssertFalse(report.isConsistent)
    }

    func testCheck_MistralAndQwen2Types_UseTheLlamaTable() {
        var tensors = F.llama(layers: 1, hidden: 8, heads: 2, kvHeads: 1, intermediate: 16, vocab: 10)
        for p in ["q", "k", "v"] { tensors.add("model.layers.0.self_attn.\(p)_proj.bias", [p == "q" ? 8 : 4]) }
        for type in ["mistral", "qwen2", "Llama"] {
            let report = ArchitectureCheck.run(
                type: type, config: F.llamaConfig(layers: 1, hidden: 8, heads: 2, kvHeads: 1, intermediate: 16, vocab: 10),
                tensors: tensors.tensors)
            XCTAssertEqual(report.architecture, "llama", type)
            XCTAssertEqual(report.findings, [], type)
        }
    }
}
