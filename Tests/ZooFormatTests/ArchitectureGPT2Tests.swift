import XCTest
import ZooFormat

final class ArchitectureGPT2Tests: XCTestCase {
    private typealias F = ArchitectureFixtures

    func testCheck_GPT2Sizes_PublishedCountsAndNames() {
        let sizes = [(12, 768, 12, "GPT-2 small", 124_439_808), (24, 1024, 16, "GPT-2 medium", 354_823_168),
                     (36, 1280, 20, "GPT-2 large", 774_030_080), (48, 1600, 25, "GPT-2 XL", 1_557_611_200)]
        for (layers, hidden, heads, name, count) in sizes {
            let report = ArchitectureCheck.run(type: "gpt2", config: F.gpt2Config(layers: layers, hidden: hidden, heads: heads),
                                               tensors: F.gpt2(layers: layers, hidden: hidden).tensors)
            XCTAssertEqual(report.findings, [], name)
            XCTAssertEqual(report.scheme, "Hugging Face, prefix transformer.")
            XCTAssertEqual(report.configurationName, name)
            XCTAssertEqual(report.parameterCount, count, name)
            XCTAssertEqual(report.expectedParameterCount, count, name)
        }
    }

    func testCheck_SeparateLMHeadAndMaskBuffers_AcceptedNotCountedAsParameters() {
        let plain = F.gpt2(layers: 2, hidden: 8, vocab: 20, positions: 16)
        let withExtras = F.gpt2(layers: 2, hidden: 8, vocab: 20, positions: 16, lmHead: true, masks: true)
        let config = F.gpt2Config(layers: 2, hidden: 8, heads: 2, vocab: 20, positions: 16)
        let base = ArchitectureCheck.run(type: "gpt2", config: config, tensors: plain.tensors)
        let report = ArchitectureCheck.run(type: "gpt2", config: config, tensors: withExtras.tensors)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.bufferCount, 4)
        XCTAssertEqual(report.parameterCount, base.parameterCount + 20 * 8, "lm_head counts, the masks do not")
        XCTAssertEqual(report.expectedParameterCount, report.parameterCount)
    }

    func testCheck_GPT2ModelWithoutPrefix_Matches() {
        let report = ArchitectureCheck.run(type: "gpt2", config: F.gpt2Config(layers: 1, hidden: 8, heads: 2, vocab: 5, positions: 4),
                                           tensors: F.gpt2(layers: 1, hidden: 8, vocab: 5, positions: 4, prefix: "").tensors)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.scheme, "Hugging Face GPT2Model")
    }

    func testCheck_LinearLayoutInsteadOfConv1D_MisshapedWithBothShapes() {
        var tensors = F.gpt2(layers: 1, hidden: 8, vocab: 5, positions: 4)
        tensors.reshape("transformer.h.0.attn.c_attn.weight", [24, 8])  // nn.Linear's [out, in]
        let report = ArchitectureCheck.run(type: "gpt2", config: F.gpt2Config(layers: 1, hidden: 8, heads: 2, vocab: 5, positions: 4),
                                           tensors: tensors.tensors)
        XCTAssertEqual(report.findings.map(\.description), ["tensor transformer.h.0.attn.c_attn.weight is [24, 8], expected [8, 24]"])
    }

    func testCheck_HeadsNotDividing_AndMissingLnF() {
        var tensors = F.gpt2(layers: 1, hidden: 8, vocab: 5, positions: 4)
        tensors.remove("transformer.ln_f.bias")
        let report = ArchitectureCheck.run(type: "gpt2", config: F.gpt2Config(layers: 1, hidden: 8, heads: 3, vocab: 5, positions: 4),
                                           tensors: tensors.tensors)
        XCTAssertEqual(report.findings.map(\.kind), [.headCount, .missing])
        XCTAssertEqual(report.findings.last?.name, "transformer.ln_f.bias")
    }

    func testCheck_NInnerGiven_MLPWidthFromIt() {
        var tensors = F.gpt2(layers: 1, hidden: 8, vocab: 5, positions: 4)  // MLP 32 wide
        var config = F.gpt2Config(layers: 1, hidden: 8, heads: 2, vocab: 5, positions: 4)
        config["n_inner"] = 16
        XCTAssertEqual(ArchitectureCheck.run(type: "gpt2", config: config, tensors: tensors.tensors).findings(.misshaped).map(\.name), [
            "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_fc.bias", "transformer.h.0.mlp.c_proj.weight",
        ])
        tensors = F.gpt2(layers: 1, hidden: 8, vocab: 5, positions: 4)
        config["n_inner"] = 32
        XCTAssertEqual(ArchitectureCheck.run(type: "gpt2", config: config, tensors: tensors.tensors).findings, [])
    }

    func testCheck_GGUFNames_GPT2SmallPublishedCount() {
        let config = F.ggufConfig(layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 50257, positions: 1024)
        let report = ArchitectureCheck.run(type: "gpt2", config: config,
                                           tensors: F.gpt2GGUF(layers: 12, hidden: 768, vocab: 50257, positions: 1024).tensors)
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.scheme, "GGUF, llama.cpp names")
        XCTAssertEqual(report.configurationName, "GPT-2 small")
        XCTAssertEqual(report.parameterCount, 124_439_808)
        XCTAssertEqual(report.expectedParameterCount, 124_439_808)
    }

    func testCheck_GGUFNamesWithConv1DOrientation_Misshaped() {
        // A converter that forgot to transpose the Conv1Ds: [in, out] under llama.cpp's names.
        var tensors = F.gpt2GGUF(layers: 1, hidden: 8, vocab: 5, positions: 4)
        tensors.reshape("blk.0.attn_qkv.weight", [8, 24])
        tensors.reshape("blk.0.ffn_up.weight", [8, 32])
        let config = F.ggufConfig(layers: 1, hidden: 8, heads: 2, intermediate: 32, vocab: 5, positions: 4)
        XCTAssertEqual(ArchitectureCheck.run(type: "gpt2", config: config, tensors: tensors.tensors).findings.map(\.description), [
            "tensor blk.0.attn_qkv.weight is [8, 24], expected [24, 8]",
            "tensor blk.0.ffn_up.weight is [8, 32], expected [32, 8]",
        ])
    }
}
