import Foundation
import TrainingCore
import XCTest
import ZooConverters
import ZooFormat
import ZooLoaders

/// ``SentenceEmbedder`` on the bundled bert-tiny (a BertForSequenceClassification) and on small
/// hand-made BERT checkpoints.
final class SentenceEmbedderTests: LoaderTestCase {
    static let texts = [
        "hello world", "the quick brown fox jumps over the lazy dog", "", "a", "Crème brûlée, s'il vous plaît!",
        "日本語のテキスト", String(repeating: "long ", count: 40),
    ]

    /// bert-tiny imported as a checkpoint folder.
    func bertTiny() throws -> Checkpoint {
        let folder = scratch + "/bert-tiny"
        if FileSystem.kind(of: folder) == .missing {
            try SafetensorsImporter().importFolder(try Self.bertTinyFolder(), to: folder)
        }
        return try Checkpoint(directory: folder)
    }

    /// A BERT checkpoint written from `model`'s state dict, with `assets` and a BERT config.
    func writeBert(_ model: Module, config: BertConfig, assets: [String: [UInt8]], prefix: String = "") throws -> Checkpoint {
        let path = scratch + "/" + FileSystem.uniqueName("bert")
        let configJSON = try JSONValue(parsing: Array(try JSONEncoder().encode(config)))
        var members = configJSON.objectValue ?? [:]
        members["model_type"] = "bert"
        let writer = try CheckpointWriter(
            destination: path, name: "bert",
            architecture: Architecture(family: .autoencoding, type: "bert", config: members))
        let state = model.stateDict()
        for name in model.stateDictKeys {
            guard let tensor = state[name] else { continue }
            try tensor.scalars.withUnsafeBytes {
                try writer.addTensor(name: prefix + name, dtype: .f32, shape: tensor.shape, bytes: $0)
            }
        }
        for (name, bytes) in assets.sorted(by: { $0.key < $1.key }) { try writer.addAsset(path: name, bytes: bytes) }
        try writer.finish()
        return try Checkpoint(directory: path)
    }

    static let vocabText = Array((["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (0..<35).map { "w\($0)" })
        .joined(separator: "\n").utf8)

    // MARK: bert-tiny

    func testInit_BertTinyClassifier_LoadsEncoderUnderBertPrefix() throws {
        let embedder = try SentenceEmbedder(checkpoint: try bertTiny())
        let summary = try XCTUnwrap(embedder.loadSummary)
        XCTAssertTrue(summary.report.isComplete, "\(summary)")
        XCTAssertEqual(summary.report.loadedKeys.count, embedder.model.namedParameters().count)
        XCTAssertTrue(summary.skippedTensors.contains("classifier.weight"))
        XCTAssertTrue(summary.skippedTensors.contains("bert.pooler.dense.weight"))
        XCTAssertEqual(embedder.dimension, 64)
        XCTAssertNil(embedder.model.pooler)
        XCTAssertFalse(embedder.model.isTraining)
    }

    func testEmbed_BertTiny_UnitLengthAndDistinct() throws {
        let vectors = try SentenceEmbedder(checkpoint: try bertTiny()).embed(Self.texts)
        XCTAssertEqual(vectors.count, Self.texts.count)
        for vector in vectors {
            XCTAssertEqual(vector.count, 64)
            XCTAssertEqual(vector.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        }
        XCTAssertGreaterThan(MiniLMFixtures.maxAbsDifference(vectors[0], vectors[1]), 1e-3)
    }

    func testEmbed_Batched_SameAsOneAtATimeWithin1e6() throws {
        let embedder = try SentenceEmbedder(checkpoint: try bertTiny())
        let batched = try embedder.embed(Self.texts, batchSize: 3)
        let together = try embedder.embed(Self.texts, batchSize: 32)
        for (index, text) in Self.texts.enumerated() {
            let alone = try embedder.embed(text)
            XCTAssertLessThanOrEqual(MiniLMFixtures.maxAbsDifference(alone, batched[index]), 1e-6, text)
            XCTAssertLessThanOrEqual(MiniLMFixtures.maxAbsDifference(alone, together[index]), 1e-6, text)
        }
    }

    func testEmbed_BertTiny_MatchesNumpyReferenceWithin1e5() throws {
        let folder = try Self.bertTinyFolder()
        let result = try MiniLMFixtures.runNumpy(["embed", "--max-length", "512"] + Self.texts, model: folder)
        XCTAssertEqual(result.status, 0, result.output)
        let json = try JSONValue(parsing: Array(result.output.utf8))
        let expected = try XCTUnwrap(json["embeddings"]?.arrayValue).map { row in
            (row.arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) }
        }
        let embedder = try SentenceEmbedder(checkpoint: try bertTiny())
        let vectors = try embedder.embed(Self.texts)
        for (index, text) in Self.texts.enumerated() {
            XCTAssertEqual(embedder.tokenizer.encode(text), try MiniLMFixtures.ints(json["input_ids"]?.arrayValue?[index]))
            XCTAssertLessThanOrEqual(MiniLMFixtures.maxAbsDifference(vectors[index], expected[index]), 1e-5, text)
        }
    }

    func testEmbed_WithoutNormalization_IsTheMeanOfTokenStates() throws {
        let checkpoint = try bertTiny()
        let raw = try SentenceEmbedder(checkpoint: checkpoint, normalizes: false)
        let vector = try raw.embed("hello world")
        let batch = try raw.tokenizer.batch(["hello world"])
        let states = try withNoGrad { try raw.model(batch).lastHiddenState.value }
        let length = batch.sequenceLength
        for feature in [0, 17, 63] {
            let mean = (0..<length).reduce(Float(0)) { $0 + states[0, $1, feature] } / Float(length)
            XCTAssertEqual(vector[feature], mean, accuracy: 1e-6)
        }
        let normalized = try SentenceEmbedder(checkpoint: checkpoint).embed("hello world")
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertLessThanOrEqual(MiniLMFixtures.maxAbsDifference(vector.map { $0 / norm }, normalized), 1e-6)
    }

    func testEmbed_BatchSizeZero_Throws() throws {
        XCTAssertThrowsError(try SentenceEmbedder(checkpoint: try bertTiny()).embed(["a"], batchSize: 0)) { error in
            XCTAssertEqual((error as? SentenceEmbedderError)?.reason, .invalidBatchSize(0))
        }
    }

    // MARK: Hand-made checkpoints

    func testInit_SentenceConfigAsset_SetsMaxLength() throws {
        let config = Self.tinyBertConfig()
        let checkpoint = try writeBert(
            BertModel(config: config, addPooler: false, seed: 1), config: config,
            assets: ["vocab.txt": Self.vocabText, "sentence_bert_config.json": Array(#"{"max_seq_length": 6}"#.utf8)])
        let embedder = try SentenceEmbedder(checkpoint: checkpoint)
        XCTAssertEqual(embedder.tokenizer.maxLength, 6)
        XCTAssertEqual(embedder.tokenizer.encode("w1 w2 w3 w4 w5 w6 w7"), [2, 6, 7, 8, 9, 3])
        XCTAssertEqual(try SentenceEmbedder(checkpoint: checkpoint, maxLength: 4).tokenizer.maxLength, 4)
        // Never more than the model's 16 positions.
        XCTAssertEqual(try SentenceEmbedder(checkpoint: checkpoint, maxLength: 100).tokenizer.maxLength, 16)
    }

    func testInit_NotBERT_ThrowsNamingType() throws {
        let path = scratch + "/gpt2"
        let writer = try CheckpointWriter(
            destination: path, name: "gpt2", architecture: Architecture(family: .autoregressive, type: "gpt2"))
        try [Float](repeating: 0, count: 4).withUnsafeBytes {
            try writer.addTensor(name: "h.0.weight", dtype: .f32, shape: [2, 2], bytes: $0)
        }
        try writer.finish()
        XCTAssertThrowsError(try SentenceEmbedder(checkpoint: try Checkpoint(directory: path))) { error in
            XCTAssertEqual(error as? SentenceEmbedderError, SentenceEmbedderError(location: path, reason: .notBERT(type: "gpt2")))
            XCTAssertEqual("\(error)", "\(path): a gpt2 model, not BERT: sentence embeddings need a BERT encoder")
        }
    }

    func testInit_NoVocabulary_ThrowsTokenizerError() throws {
        let config = Self.tinyBertConfig()
        let checkpoint = try writeBert(BertModel(config: config, seed: 1), config: config, assets: [:])
        XCTAssertThrowsError(try SentenceEmbedder(checkpoint: checkpoint)) { error in
            XCTAssertEqual(
                (error as? SentenceEmbedderError)?.reason,
                .tokenizer(TokenizerError(file: checkpoint.location, reason: .missingVocabulary)))
        }
    }

    func testInit_VocabularyLargerThanEmbeddings_Throws() throws {
        let config = Self.tinyBertConfig()
        let vocab = Self.vocabText + Array("\nextra".utf8)
        let checkpoint = try writeBert(BertModel(config: config, seed: 1), config: config, assets: ["vocab.txt": vocab])
        XCTAssertThrowsError(try SentenceEmbedder(checkpoint: checkpoint)) { error in
            XCTAssertEqual((error as? SentenceEmbedderError)?.reason, .vocabularyTooLarge(tokens: 41, embeddings: 40))
        }
    }

    func testInit_CheckpointWithFewerLayers_ThrowsLoadErrorListingMissingKeys() throws {
        let saved = Self.tinyBertConfig(layers: 1)
        var declared = saved
        declared.numLayers = 2
        // The manifest claims 2 layers, the tensors hold 1.
        let checkpoint = try writeBert(
            BertModel(config: saved, addPooler: false, seed: 1), config: declared, assets: ["vocab.txt": Self.vocabText])
        XCTAssertThrowsError(try SentenceEmbedder(checkpoint: checkpoint)) { error in
            let load = error as? LoadError
            XCTAssertEqual(load?.failedChecks, .noMissingKeys)
            XCTAssertEqual(load?.report.missingKeys.count, 16)
            XCTAssertEqual(load?.report.missingKeys.first, "encoder.layer.1.attention.self.query.weight")
        }
    }

    func testEmbed_HandMadeModel_SameInBatchesAsAlone() throws {
        let config = Self.tinyBertConfig()
        let model = BertModel(config: config, addPooler: false, seed: 7)
        let checkpoint = try writeBert(model, config: config, assets: ["vocab.txt": Self.vocabText], prefix: "bert.")
        let embedder = try SentenceEmbedder(checkpoint: checkpoint)
        let texts = ["w1 w2 w3", "w4", "w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18"]
        let batched = try embedder.embed(texts)
        XCTAssertEqual(embedder.tokenizer.maxLength, 16)
        for (index, text) in texts.enumerated() {
            XCTAssertLessThanOrEqual(MiniLMFixtures.maxAbsDifference(try embedder.embed(text), batched[index]), 1e-6)
        }
    }
}
