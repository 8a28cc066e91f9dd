import XCTest
import ZooFormat

/// What every architecture shares: notes instead of errors, hostile configs, scale.
final class ArchitectureCheckTests: XCTestCase {
    private typealias F = ArchitectureFixtures

    func testCheck_UnknownArchitecture_PassesWithNote() {
        let tensors = TensorList(entries: [("layers.0.weight", [4, 4]), ("layers.0.bias", [4])])
        let report = ArchitectureCheck.run(type: "mlp", config: ["hidden_sizes": [4]], tensors: tensors.tensors)
        XCTAssertEqual(report.note, .unknownArchitecture(type: "mlp"))
        XCTAssertTrue(report.passes)
        XCTAssertEqual(report.parameterCount, 20)
        XCTAssertNil(report.expectedParameterCount)
        XCTAssertEqual(report.verdict, "architecture 'mlp' is not one zoo knows (bert, gpt2, llama, mistral, mixtral, qwen2): tensors not checked")
    }

    func testCheck_ConfigWithoutLayers_PassesWithNoteNamingTheKeys() {
        let report = ArchitectureCheck.run(type: "gpt2", config: ["model_type": "gpt2"],
                                           tensors: F.gpt2(layers: 1, hidden: 8, vocab: 5, positions: 4).tensors)
        XCTAssertEqual(report.note, .missingKey(["n_embd", "hidden_size", "embedding_length"]))
        XCTAssertTrue(report.passes)
        XCTAssertEqual(report.note?.description,
                       "the config has no n_embd (nor hidden_size, embedding_length): tensors not checked against it")
    }

    func testCheck_NonNumericOrHugeSizes_PassWithNote() {
        let tensors = F.bert(layers: 1, hidden: 8, heads: 2, intermediate: 16, vocab: 10).tensors
        for (value, text) in [(JSONValue.string("12"), "\"12\""), (-3, "-3"), (.integer(1 << 50), "1125899906842624"), (1.5, "1.5")] {
            var config = F.bertConfig(layers: 1, hidden: 8, heads: 2, intermediate: 16, vocab: 10)
            config["num_hidden_layers"] = value
            let report = ArchitectureCheck.run(type: "bert", config: config, tensors: tensors)
            XCTAssertEqual(report.note, .invalidValue(key: "num_hidden_layers", value: text), "\(value)")
            XCTAssertTrue(report.passes)
        }
    }

    func testCheck_NamesOfNoKnownScheme_PassWithNote() {
        // Names of no BERT scheme (a hand-rolled encoder).
        let tensors = TensorList(entries: [("encoder.embed.weight", [30, 32]), ("encoder.blocks.0.qkv.weight", [96, 32])])
        let report = ArchitectureCheck.run(type: "bert", config: F.bertConfig(layers: 2, hidden: 32, heads: 2, intermediate: 64, vocab: 30),
                                           tensors: tensors.tensors)
        XCTAssertEqual(report.note, .unrecognisedNames(architecture: "bert", example: "embeddings.word_embeddings.weight"))
        XCTAssertTrue(report.passes)
    }

    func testCheck_ConfigClaimingAMillionLayers_BoundedByTheTensors() {
        let tensors = F.bert(layers: 2, hidden: 8, heads: 2, intermediate: 16, vocab: 10)
        let config = F.bertConfig(layers: ArchitectureConfig.maxLayers, hidden: 8, heads: 2, intermediate: 16, vocab: 10)
        let report = ArchitectureCheck.run(type: "bert", config: config, tensors: tensors.tensors)
        XCTAssertEqual(report.findings.map(\.kind), [.layerCount])
        XCTAssertEqual(report.findings.first?.description, "the config declares 1048576 layers, the tensors hold 2 (layers 0-1)")
    }

    func testCheck_LayerGaps_ListedAsLayersAndMissing() {
        var tensors = F.llama(layers: 4, hidden: 8, heads: 2, kvHeads: 2, intermediate: 16, vocab: 10)
        tensors.entries.removeAll { $0.name.hasPrefix("model.layers.2.") }
        let report = ArchitectureCheck.run(
            type: "llama", config: F.llamaConfig(layers: 4, hidden: 8, heads: 2, kvHeads: 2, intermediate: 16, vocab: 10),
            tensors: tensors.tensors)
        XCTAssertEqual(report.findings.first?.description, "the config declares 4 layers, the tensors hold 3 (layers 0, 1, 3)")
        XCTAssertEqual(report.findings(.missing).count, 9)
    }

    func testListing_LongList_FirstFiveAndCount() {
        let findings = (0..<8).map { ArchitectureFinding(kind: .unexpected, name: "t\($0)", foundShape: [1]) }
        XCTAssertEqual(ArchitectureReport.listing(findings),
                       "unexpected tensor t0 [1]; unexpected tensor t1 [1]; unexpected tensor t2 [1]; unexpected tensor t3 [1]; "
                           + "unexpected tensor t4 [1]; and 3 more")
    }

    /// 100,000 mixture-of-experts tensors under a known architecture: every expert tensor is
    /// unexpected, and the check stays one pass over the names (no timing assert: the figure
    /// is for the log; zoo-bench holds the budgets).
    func testCheck_HundredThousandMoETensors_AllUnexpectedNamed() {
        var tensors = F.llama(layers: 32, hidden: 8, heads: 2, kvHeads: 2, intermediate: 16, vocab: 10)
        let dense = tensors.entries.count
        var layer = 0, expert = 0
        while tensors.entries.count < 100_000 {
            for part in ["w1", "w2", "w3"] where tensors.entries.count < 100_000 {
                tensors.add("model.layers.\(layer).block_sparse_moe.experts.\(expert).\(part).weight", [4, 4])
            }
            expert += 1
            if expert == 1100 { (layer, expert) = (layer + 1, 0) }  // 32 layers x 1100 experts x 3 > 100k
        }
        let list = tensors.tensors
        let report = ArchitectureCheck.run(
            type: "llama", config: F.llamaConfig(layers: 32, hidden: 8, heads: 2, kvHeads: 2, intermediate: 16, vocab: 10),
            tensors: list)
        XCTAssertEqual(list.count, 100_000)
        XCTAssertEqual(report.findings.count, 100_000 - dense)
        XCTAssertEqual(report.findings(.unexpected).count, 100_000 - dense)
        XCTAssertTrue(report.passes, "unexpected tensors alone pass")
    }
}

final class ArchitectureSummaryTests: XCTestCase {
    func testSummary_JSONRoundTrip_AndRefusesDamaged() {
        let report = ArchitectureCheck.run(
            type: "bert",
            config: ArchitectureFixtures.bertConfig(layers: 3, hidden: 8, heads: 2, intermediate: 16, vocab: 10),
            tensors: ArchitectureFixtures.bert(layers: 2, hidden: 8, heads: 2, intermediate: 16, vocab: 10).tensors)
        let summary = ArchitectureSummary(report)
        XCTAssertEqual(summary.findingCount, 1)
        XCTAssertEqual(summary.shape, "3 x 8 x 2")
        XCTAssertEqual(ArchitectureSummary(json: summary.jsonValue), summary)
        let unknown = ArchitectureSummary(ArchitectureCheck.run(type: "mlp", config: [:], tensors: []))
        XCTAssertEqual(ArchitectureSummary(json: unknown.jsonValue), unknown)
        guard case var .object(members) = summary.jsonValue else { return XCTFail("not an object") }
        members["parameterCount"] = -1
        XCTAssertNil(ArchitectureSummary(json: .object(members)))
        members["parameterCount"] = 5
        members["shape"] = 3
        XCTAssertNil(ArchitectureSummary(json: .object(members)))
    }
}
