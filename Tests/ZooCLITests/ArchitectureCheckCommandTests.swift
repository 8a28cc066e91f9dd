import Foundation
import XCTest
import ZooFormat

/// The architecture check from the command line: `zoo show`'s configuration line, `zoo verify
/// --deep` failing by name, `zoo import` refusing contradictions (spec/architectures.md).
final class ArchitectureCheckCommandTests: CLITestCase {
    /// A BERT checkpoint folder (zero weights) of the given sizes, written with the real writer;
    /// `config` overrides what its architecture declares.
    private func writeBert(at path: String, layers: Int, hidden: Int, heads: Int, vocab: Int = 100,
                           config overrides: [String: JSONValue] = [:]) throws -> Int
    {
        var config: [String: JSONValue] = [
            "model_type": "bert", "num_hidden_layers": .integer(Int64(layers)), "hidden_size": .integer(Int64(hidden)),
            "num_attention_heads": .integer(Int64(heads)), "intermediate_size": .integer(Int64(4 * hidden)),
            "vocab_size": .integer(Int64(vocab)), "max_position_embeddings": 64, "type_vocab_size": 2,
        ]
        config.merge(overrides) { $1 }
        let writer = try CheckpointWriter(destination: path, name: "bert",
                                          architecture: Architecture(family: .autoencoding, type: "bert", config: config))
        var count = 0
        func add(_ name: String, _ shape: [Int]) throws {
            let elements = shape.reduce(1, *)
            count += elements
            try writer.addTensor(name: name, dtype: .f32, shape: shape, bytes: [UInt8](repeating: 0, count: 4 * elements))
        }
        try add("embeddings.word_embeddings.weight", [vocab, hidden])
        try add("embeddings.position_embeddings.weight", [64, hidden])
        try add("embeddings.token_type_embeddings.weight", [2, hidden])
        try add("embeddings.LayerNorm.weight", [hidden])
        try add("embeddings.LayerNorm.bias", [hidden])
        for n in 0..<layers {
            let l = "encoder.layer.\(n)."
            for p in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
                try add(l + p + ".weight", [hidden, hidden])
                try add(l + p + ".bias", [hidden])
            }
            try add(l + "intermediate.dense.weight", [4 * hidden, hidden])
            try add(l + "intermediate.dense.bias", [4 * hidden])
            try add(l + "output.dense.weight", [hidden, 4 * hidden])
            try add(l + "output.dense.bias", [hidden])
            for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
                try add(l + norm + ".weight", [hidden])
                try add(l + norm + ".bias", [hidden])
            }
        }
        _ = try writer.finish()
        return count
    }

    /// `$ZOO_TEST_FIXTURES` (scripts/test.sh sets it).
    private static func fixturesRoot() throws -> String {
        _ = try GGUFCommandTests.fixture("gguf", "bert.gguf")  // fails with the set-up hint when absent
        return ProcessInfo.processInfo.environment["ZOO_TEST_FIXTURES"] ?? ""
    }

    /// The catalog's other source checkpoint, beside bert-tiny.
    private static func glyphsMLP() throws -> String {
        URL(fileURLWithPath: try Fixtures.bertTiny()).deletingLastPathComponent().appendingPathComponent("glyphs-mlp").path
    }

    func testShow_BertTiny_ConfigurationLineWithCount() throws {
        _ = try importBertTiny()
        let text = try run(["show", "bert-tiny"]).stdout
        XCTAssertTrue(text.contains("config:         bert, 2 x 64 x 4: 201.3k\n"), text)
        XCTAssertFalse(text.contains("check:"), text)
        let check = try json(try run(["show", "bert-tiny", "--json"]).stdout)["architectureCheck"]
        XCTAssertEqual(check?["passes"], true)
        XCTAssertEqual(check?["parameterCount"]?.integerValue, 201_282)
        XCTAssertEqual(check?["expectedParameterCount"]?.integerValue, 201_282)
        XCTAssertEqual(check?["scheme"], "Hugging Face, prefix bert.")
    }

    func testShow_NamedConfiguration_PrintsItsName() throws {
        let count = try writeBert(at: scratch + "/tiny", layers: 2, hidden: 128, heads: 2)
        try run(["import", scratch + "/tiny", "--name", "google-tiny"])
        let text = try run(["show", "google-tiny"]).stdout
        XCTAssertEqual(count, 418_048)
        XCTAssertTrue(text.contains("config:         bert, 2 x 128 x 2: 418.0k — BERT-tiny\n"), text)
    }

    func testImport_ConfigClaimsMoreLayers_RefusedThenForcedAndVerifyFails() throws {
        let liar = scratch + "/liar"
        try FileManager.default.copyItem(atPath: try Fixtures.bertTiny(), toPath: liar)
        let config = try String(contentsOfFile: liar + "/config.json", encoding: .utf8)
        try config.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 24")
            .write(toFile: liar + "/config.json", atomically: true, encoding: .utf8)

        let refused = try run(["import", liar], expect: 1)
        assertErrorLine(refused, contains: [liar, "the tensors contradict the bert config (24 x 64 x 4)",
                                            "the config declares 24 layers, the tensors hold 2 (layers 0-1)",
                                            "--no-architecture-check"])
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n", "nothing stored")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/tmp"), [])

        try run(["import", liar, "--no-architecture-check"])
        let show = try run(["show", "liar"]).stdout
        XCTAssertTrue(show.contains("config:         bert, 24 x 64 x 4: 201.3k (the config implies 1.3M)"), show)
        XCTAssertTrue(show.contains("check:          bert (Hugging Face, prefix bert.) 24 x 64 x 4: layer count"), show)
        let verify = try run(["verify", "liar", "--deep"], expect: 1)
        XCTAssertEqual(verify.stderr, "Error: architecture: the config declares 24 layers, the tensors hold 2 (layers 0-1)\n")
        XCTAssertEqual(try run(["verify", "liar"]).status, 0, "without --deep only the bytes are checked")
        let report = try json(try run(["verify", "liar", "--deep", "--json"], expect: 1).stdout)
        XCTAssertEqual(report["clean"], false)
        XCTAssertEqual(report["architecture"]?["findings"]?.arrayValue?.first?["kind"], "layerCount")
    }

    func testImport_WrongHiddenSize_RefusedNamingTensorsAndShapes() throws {
        _ = try writeBert(at: scratch + "/cp", layers: 1, hidden: 16, heads: 2, config: ["hidden_size": 32])
        let result = try run(["import", scratch + "/cp"], expect: 1)
        assertErrorLine(result, contains: [
            "the tensors contradict the bert config (1 x 32 x 2)",
            "tensor embeddings.word_embeddings.weight is [100, 16], expected [100, 32]",
            "and 15 more",
        ])
    }

    func testVerifyDeep_GGUFMissingTensors_NotedOnImportAndNamedByVerify() throws {
        let result = try run(["import", try GGUFCommandTests.fixture("gguf", "all_types.gguf")])
        XCTAssertTrue(result.stderr.contains("note: architecture check (llama (GGUF, llama.cpp names) 1 x 64 x 4 (2 kv heads): "
            + "5 missing, 7 unexpected): missing tensor blk.0.ffn_norm.weight (expected [64])"), result.stderr)
        let verify = try run(["verify", "all_types", "--deep"], expect: 1)
        XCTAssertEqual(verify.stderr.split(separator: "\n"), [
            "Error: architecture: missing tensor blk.0.ffn_norm.weight (expected [64])",
            "Error: architecture: missing tensor blk.0.ffn_gate.weight (expected [128, 64])",
            "Error: architecture: missing tensor blk.0.ffn_up.weight (expected [128, 64])",
            "Error: architecture: missing tensor blk.0.ffn_down.weight (expected [64, 128])",
            "Error: architecture: missing tensor output_norm.weight (expected [64])",
        ])
    }

    func testVerifyDeep_UnknownArchitecture_PassesWithNote() throws {
        try run(["import", try Self.glyphsMLP()])
        let mlp = try run(["verify", "glyphs-mlp", "--deep"])
        XCTAssertTrue(mlp.stdout.hasSuffix("architecture: architecture 'mlp' is not one zoo knows "
            + "(bert, gpt2, llama, mistral, mixtral, qwen2): tensors not checked\n"), mlp.stdout)
    }

    func testImportVerifyDeep_GGUFFilesOfGPT2BertAndMoE_MatchUnderLlamaCppNames() throws {
        // Written by gguf-py with its own MODEL_TENSOR names (scripts/make_gguf_fixtures.py).
        let expected = [
            ("arch_gpt2", "gpt2 (GGUF, llama.cpp names) 2 x 8 x 2: tensors match"),
            ("arch_bert", "bert (GGUF, llama.cpp names) 2 x 8 x 2: tensors match"),
            ("arch_moe", "llama (GGUF, llama.cpp names) 2 x 16 x 4 (2 kv heads, 4 experts): tensors match"),
        ]
        for (name, verdict) in expected {
            let imported = try run(["import", try GGUFCommandTests.fixture("gguf", name + ".gguf")])
            XCTAssertEqual(imported.stderr, "", name)
            let verify = try run(["verify", name, "--deep"])
            XCTAssertTrue(verify.stdout.hasSuffix("architecture: \(verdict)\n"), verify.stdout)
            XCTAssertEqual(verify.stderr, "", name)
        }
        // The importer's zoo order (ggml's ne reversed) is the order the table expects.
        let tensors = try json(try run(["show", "arch_moe", "--json"]).stdout)["tensors"]?.arrayValue ?? []
        let down = tensors.first { $0["name"] == "blk.0.ffn_down_exps.weight" }
        XCTAssertEqual(down?["shape"], [4, 16, 24])
        XCTAssertTrue(try run(["show", "arch_moe"]).stdout.contains("config:         llama, 2 x 16 x 4 (2 kv heads, 4 experts): "))
    }

    func testImportVerifyDeep_GGUFBertFusedQKVPartlyWritten_NotedThenMissingNamed() throws {
        // bert.gguf holds one block's fused attn_qkv only: llama.cpp's other BERT layout, incomplete.
        let imported = try run(["import", try GGUFCommandTests.fixture("gguf", "bert.gguf"), "--name", "gguf-bert"])
        XCTAssertTrue(imported.stderr.hasPrefix("note: architecture check (bert (GGUF, llama.cpp names, fused attn_qkv) "
            + "1 x 32 x 2: 13 missing): missing tensor position_embd.weight (expected [128, 32])"), imported.stderr)
        let verify = try run(["verify", "gguf-bert", "--deep"], expect: 1)
        XCTAssertEqual(verify.stderr.split(separator: "\n").count, 13)
        XCTAssertTrue(verify.stderr.contains("Error: architecture: missing tensor blk.0.attn_output.weight (expected [32, 32])\n"))
    }

    func testImportAndVerify_CatalogAndFixtures_Pass() throws {
        let sources = [try Fixtures.bertTiny(), try Self.glyphsMLP(),
                       try Self.fixturesRoot() + "/hf_sharded",
                       try GGUFCommandTests.fixture("gguf", "aligned64.gguf")]
        for (i, source) in sources.enumerated() {
            try run(["import", source, "--name", "m\(i)"])
            let verify = try run(["verify", "m\(i)", "--deep"])
            XCTAssertEqual(verify.stderr, "", source)
        }
        XCTAssertTrue(try run(["verify", "m2", "--deep"]).stdout.contains("architecture: bert (Hugging Face BertModel) 2 x 32 x 2: tensors match"))
    }
}
