import XCTest
import ZooFormat

/// Mixture-of-experts decoders (Mixtral, llama.cpp's MoE llama) in the architecture check.
final class ArchitectureMoETests: XCTestCase {
    private typealias F = ArchitectureFixtures

    func testCheck_Mixtral8x7B_PublishedCountAndName() {
        let config = F.mixtralConfig(layers: 32, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 32000, experts: 8)
        let tensors = F.mixtral(layers: 32, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 32000, experts: 8)
        let report = ArchitectureCheck.run(type: "mixtral", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.architecture, "llama")
        XCTAssertEqual(report.scheme, "Hugging Face")
        XCTAssertEqual(report.configurationName, "Mixtral-8x7B")
        XCTAssertEqual(report.shapeDescription, "32 x 4096 x 32 (8 kv heads, 8 experts)")
        XCTAssertEqual(report.parameterCount, 46_702_792_704)  // mistralai/Mixtral-8x7B-v0.1
        XCTAssertEqual(report.expectedParameterCount, 46_702_792_704)
    }

    func testCheck_DenseMistralSizes_NotNamedAsMixtral() {
        let config = F.llamaConfig(layers: 32, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 32000)
        let tensors = F.llama(layers: 1, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 32000)
        XCTAssertEqual(ArchitectureCheck.run(type: "mistral", config: config, tensors: tensors.tensors).configurationName, "Mistral-7B")
    }

    func testCheck_HuggingFaceExperts_MisshapedAndMissingNamed() {
        var tensors = F.mixtral(layers: 2, hidden: 8, heads: 2, kvHeads: 1, intermediate: 12, vocab: 10, experts: 4)
        let config = F.mixtralConfig(layers: 2, hidden: 8, heads: 2, kvHeads: 1, intermediate: 12, vocab: 10, experts: 4)
        tensors.reshape("model.layers.1.block_sparse_moe.experts.3.w2.weight", [12, 8])  // w1's shape
        tensors.remove("model.layers.0.block_sparse_moe.experts.2.w3.weight")
        let report = ArchitectureCheck.run(type: "mixtral", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings.map(\.description), [
            "tensor model.layers.1.block_sparse_moe.experts.3.w2.weight is [12, 8], expected [8, 12]",
            "missing tensor model.layers.0.block_sparse_moe.experts.2.w3.weight (expected [12, 8])",
        ])
    }

    func testCheck_FewerExpertsThanDeclared_MissingNotContradiction() {
        let tensors = F.mixtral(layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 12, vocab: 10, experts: 2)
        let config = F.mixtralConfig(layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 12, vocab: 10, experts: 3)
        let report = ArchitectureCheck.run(type: "mixtral", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings.map(\.name), ["model.layers.0.block_sparse_moe.gate.weight",
                                                     "model.layers.0.block_sparse_moe.experts.2.w1.weight",
                                                     "model.layers.0.block_sparse_moe.experts.2.w2.weight",
                                                     "model.layers.0.block_sparse_moe.experts.2.w3.weight"])
        XCTAssertEqual(report.findings.map(\.kind), [.misshaped, .missing, .missing, .missing])
    }

    func testCheck_GGUFStackedExperts_MatchWithImporterConfig() {
        var config = F.ggufLlamaConfig(layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 10)
        config["expert_count"] = 4
        config["num_local_experts"] = 4
        let tensors = F.mixtral(layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 10, experts: 4, gguf: true)
        let report = ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.scheme, "GGUF, llama.cpp names")
        XCTAssertEqual(report.expectedParameterCount, report.parameterCount)
    }

    func testCheck_GGUFExpertsInGGMLOrder_MisshapedWithBothShapes() {
        var config = F.ggufLlamaConfig(layers: 1, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 10)
        config["expert_count"] = 4
        var tensors = F.mixtral(layers: 1, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 10, experts: 4, gguf: true)
        tensors.reshape("blk.0.ffn_down_exps.weight", [24, 16, 4])  // ggml's ne, not reversed
        tensors.reshape("blk.0.ffn_gate_inp.weight", [16, 8])      // another expert count
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors).findings.map(\.description), [
            "tensor blk.0.ffn_gate_inp.weight is [16, 8], expected [4, 16]",
            "tensor blk.0.ffn_down_exps.weight is [24, 16, 4], expected [4, 16, 24]",
        ])
    }

    func testCheck_ExpertFeedForwardLength_WidthOfTheExperts() {
        var config = F.ggufLlamaConfig(layers: 1, hidden: 16, heads: 4, kvHeads: 2, intermediate: 64, vocab: 10)
        config["expert_count"] = 4
        config["expert_feed_forward_length"] = 24
        let tensors = F.mixtral(layers: 1, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 10, experts: 4, gguf: true)
        XCTAssertEqual(ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors).findings, [])
    }

    func testCheck_NoOrZeroExpertCount_DenseExpectedExpertsUnexpected() {
        let tensors = F.mixtral(layers: 1, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 10, experts: 4, gguf: true)
        var config = F.ggufLlamaConfig(layers: 1, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 10)
        for count: JSONValue? in [nil, 0] {
            config["expert_count"] = count
            let report = ArchitectureCheck.run(type: "llama", config: config, tensors: tensors.tensors)
            XCTAssertNil(report.dimensions?.experts)
            XCTAssertTrue(report.isConsistent, "\(String(describing: count))")
            XCTAssertEqual(report.findings(.missing).map(\.name), ["blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"])
            XCTAssertEqual(report.findings(.unexpected).count, 4)
        }
    }

    func testCheck_HostileExpertCounts_NoteNotHang() {
        let tensors = F.mixtral(layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 12, vocab: 10, experts: 2)
        var config = F.mixtralConfig(layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 12, vocab: 10, experts: 2)
        config["num_local_experts"] = .integer(Int64(ArchitectureConfig.maxExperts))
        let report = ArchitectureCheck.run(type: "mixtral", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.note, .tooManyExpected(implied: 3 * ArchitectureConfig.maxExperts + 11, layers: 1, present: 16))
        XCTAssertEqual(report.note?.description,
                       "the config implies 196619 tensors for the 1 layer present, the checkpoint holds 16: tensors not checked")
        XCTAssertTrue(report.passes)
        config["num_local_experts"] = .integer(Int64(ArchitectureConfig.maxExperts) + 1)
        XCTAssertEqual(ArchitectureCheck.run(type: "mixtral", config: config, tensors: tensors.tensors).note,
                       .invalidValue(key: "num_local_experts", value: "65537"))
    }

    func testCheck_HundredThousandTensorsOf1100Experts_DeclaredAndMatching() {
        // 30 layers x 1,100 experts x 3: the expected names stay within the check's bound.
        let config = F.mixtralConfig(layers: 30, hidden: 4, heads: 2, kvHeads: 2, intermediate: 4, vocab: 10, experts: 1100)
        let tensors = F.mixtral(layers: 30, hidden: 4, heads: 2, kvHeads: 2, intermediate: 4, vocab: 10, experts: 1100).tensors
        let report = ArchitectureCheck.run(type: "mixtral", config: config, tensors: tensors)
        XCTAssertEqual(tensors.count, 99_213)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.expectedParameterCount, report.parameterCount)
    }
}
