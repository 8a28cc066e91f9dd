import TrainingCore
import XCTest
import ZooFormat
import ZooLoaders

final class CheckpointLoaderTests: LoaderTestCase {
    /// An MLP 4 -> 3 -> 2: `layers.0.weight [3, 4]`, `layers.0.bias [3]`, `layers.2.weight [2, 3]`, `layers.2.bias [2]`.
    private func mlp(seed: UInt64 = 1) -> MLPClassifier {
        MLPClassifier(inputSize: 4, hiddenSizes: [3], classCount: 2, seed: seed)
    }

    /// A checkpoint that fits `mlp()` except: `layers.0.weight` is [4, 4], `layers.2.bias` is
    /// missing, `extra.weight` is unexpected.
    private func misfit() throws -> Checkpoint {
        try writeCheckpoint([
            RawTensor("layers.0.weight", [4, 4]), RawTensor("layers.0.bias", [3], offset: 100),
            RawTensor("layers.2.weight", [2, 3], offset: 200), RawTensor("extra.weight", [2]),
        ])
    }

    private var misfitReport: LoadReport {
        LoadReport(
            loadedKeys: ["layers.0.bias", "layers.2.weight"], missingKeys: ["layers.2.bias"],
            unexpectedKeys: ["extra.weight"],
            shapeMismatches: [ShapeMismatch(key: "layers.0.weight", expected: [3, 4], actual: [4, 4])])
    }

    func testLoad_Strict_MisfitThrowsFullReportAndLoadsNothing() throws {
        let model = mlp()
        let before = Self.values(model)
        XCTAssertThrowsError(try CheckpointLoader.load(try misfit(), into: model)) { error in
            XCTAssertEqual(error as? LoadError, LoadError(report: misfitReport, failedChecks: .all))
        }
        XCTAssertEqual(Self.values(model), before)
    }

    func testLoad_Lenient_MisfitReportsAndLoadsWhatFits() throws {
        let model = mlp()
        let before = Self.values(model)
        let report = try CheckpointLoader.load(try misfit(), into: model, options: LoadOptions(verify: []))
        XCTAssertEqual(report, misfitReport)
        XCTAssertEqual(model.parameter(named: "layers.0.bias")?.value.scalars, [100, 101, 102])
        XCTAssertEqual(model.parameter(named: "layers.2.weight")?.value.scalars, [200, 201, 202, 203, 204, 205])
        XCTAssertEqual(model.parameter(named: "layers.0.weight")?.value, before["layers.0.weight"])
        XCTAssertEqual(model.parameter(named: "layers.2.bias")?.value, before["layers.2.bias"])
    }

    func testLoad_OnlyShapeCheck_MissingAndUnexpectedAllowed() throws {
        let model = mlp()
        XCTAssertThrowsError(try CheckpointLoader.load(try misfit(), into: model, options: LoadOptions(verify: .matchingShapes))) {
            XCTAssertEqual(($0 as? LoadError)?.failedChecks, .matchingShapes)
        }
    }

    func testLoad_ExactFit_StrictLoadsEveryValue() throws {
        let source = mlp(seed: 7)
        let checkpoint = try save(source)
        let model = mlp(seed: 8)
        let report = try CheckpointLoader.load(checkpoint, into: model)
        XCTAssertEqual(report, LoadReport(loadedKeys: ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]))
        XCTAssertEqual(Self.values(model), Self.values(source))
    }

    // MARK: Wrong architecture

    func testLoad_BertCheckpointIntoMLP_StrictReportsEveryKeyNoCrash() throws {
        let bert = BertForSequenceClassification(config: Self.tinyBertConfig(), seed: 1)
        let checkpoint = try save(bert)
        let model = mlp()
        XCTAssertThrowsError(try CheckpointLoader.load(checkpoint, into: model)) { error in
            guard let error = error as? LoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.failedChecks, [.noMissingKeys, .noUnexpectedKeys])
            XCTAssertEqual(error.report.loadedKeys, [])
            XCTAssertEqual(error.report.missingKeys, ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
            XCTAssertEqual(error.report.unexpectedKeys, bert.stateDictKeys.sorted())
            XCTAssertEqual(error.report.shapeMismatches, [])
            XCTAssertTrue(error.description.hasPrefix("state dict does not fit the model: 4 missing keys (layers.0.weight"),
                          error.description)
        }
    }

    func testLoad_BertCheckpointIntoMLP_LenientSummarySaysWrongArchitecture() throws {
        let checkpoint = try save(BertForSequenceClassification(config: Self.tinyBertConfig(), seed: 1))
        let summary = try CheckpointLoader.loadDetailed(checkpoint, into: mlp(), options: LoadOptions(verify: []))
        XCTAssertEqual(summary.report.loadedKeys, [])
        XCTAssertEqual(summary.report.missingKeys.count, 4)
        XCTAssertEqual(summary.report.unexpectedKeys.count, 41)  // every tensor of the BERT
        XCTAssertTrue(summary.description.hasPrefix("loaded 0 of 4 parameters; 4 missing: layers.0.weight"), summary.description)
        XCTAssertTrue(summary.description.hasSuffix("no checkpoint tensor fits the model: is it the right architecture?"),
                      summary.description)
    }

    func testLoad_MLPCheckpointIntoBert_StrictReportsEveryKeyNoCrash() throws {
        let checkpoint = try save(mlp())
        let bert = BertForSequenceClassification(config: Self.tinyBertConfig(), seed: 1)
        XCTAssertThrowsError(try CheckpointLoader.load(checkpoint, into: bert)) { error in
            guard let error = error as? LoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.report.missingKeys, bert.stateDictKeys)
            XCTAssertEqual(error.report.unexpectedKeys, ["layers.0.bias", "layers.0.weight", "layers.2.bias", "layers.2.weight"])
        }
    }

    func testLoad_BertOfOtherSize_ReportsEveryShapeMismatch() throws {
        let checkpoint = try save(BertForSequenceClassification(config: Self.tinyBertConfig(hidden: 12), seed: 1))
        let bert = BertForSequenceClassification(config: Self.tinyBertConfig(hidden: 8), seed: 1)
        XCTAssertThrowsError(try CheckpointLoader.load(checkpoint, into: bert)) { error in
            guard let error = error as? LoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.failedChecks, .matchingShapes)
            XCTAssertEqual(error.report.shapeMismatches.first,
                           ShapeMismatch(key: "bert.embeddings.word_embeddings.weight", expected: [40, 8], actual: [40, 12]))
            // Only the shapes without the hidden size still fit.
            XCTAssertEqual(error.report.loadedKeys, [
                "bert.encoder.layer.0.intermediate.dense.bias", "bert.encoder.layer.1.intermediate.dense.bias", "classifier.bias",
            ])
            XCTAssertEqual(error.report.shapeMismatches.count, 38)
        }
    }

    // MARK: Prefix, exclusion, mapping

    func testLoad_PrefixAndStrip_EncoderWithoutOldHeadLoadsStrictly() throws {
        let source = BertForSequenceClassification(config: Self.tinyBertConfig(), seed: 3)
        let checkpoint = try save(source)
        let encoder = BertModel(config: Self.tinyBertConfig(), seed: 4)
        let summary = try CheckpointLoader.loadDetailed(
            checkpoint, into: encoder, options: LoadOptions(keyMapping: [.stripPrefix("bert.")], prefix: "bert."))
        XCTAssertEqual(summary.report.loadedKeys, encoder.stateDictKeys)
        XCTAssertTrue(summary.report.isComplete)
        XCTAssertEqual(summary.skippedTensors, ["classifier.weight", "classifier.bias"])
        XCTAssertEqual(encoder.stateDict(), Dictionary(uniqueKeysWithValues: source.bert.stateDict().map { ($0.key, $0.value) }))
    }

    func testLoad_Exclude_LeavesNamedTensorsOutAsMissing() throws {
        let checkpoint = try save(mlp(seed: 2))
        let model = mlp()
        let summary = try CheckpointLoader.loadDetailed(
            checkpoint, into: model, options: LoadOptions(exclude: ["layers.2"], verify: [.noUnexpectedKeys, .matchingShapes]))
        XCTAssertEqual(summary.report.missingKeys, ["layers.2.weight", "layers.2.bias"])
        XCTAssertEqual(summary.skippedTensors, ["layers.2.weight", "layers.2.bias"])
    }

    func testLoad_AllowMissing_OnlyThoseMayBeMissing() throws {
        let checkpoint = try writeCheckpoint([RawTensor("layers.0.weight", [3, 4]), RawTensor("layers.0.bias", [3])])
        let allowed = LoadOptions(allowMissing: ["layers.2"])
        XCTAssertEqual(try CheckpointLoader.load(checkpoint, into: mlp(), options: allowed).missingKeys,
                       ["layers.2.weight", "layers.2.bias"])
        let tooFew = try writeCheckpoint([RawTensor("layers.0.weight", [3, 4])])
        XCTAssertThrowsError(try CheckpointLoader.load(tooFew, into: mlp(), options: allowed)) { error in
            XCTAssertEqual((error as? LoadError)?.report.missingKeys, ["layers.0.bias", "layers.2.weight", "layers.2.bias"])
            XCTAssertEqual((error as? LoadError)?.failedChecks, .noMissingKeys)
        }
    }

    func testLoad_OldGammaBetaNames_LoadWithHuggingFaceFixUp() throws {
        let checkpoint = try writeCheckpoint([
            RawTensor("embeddings.LayerNorm.gamma", [4], offset: 1), RawTensor("embeddings.LayerNorm.beta", [4]),
        ])
        let norm = Holder(LayerNorm(features: 4))
        XCTAssertThrowsError(try CheckpointLoader.load(checkpoint, into: norm))
        let report = try CheckpointLoader.load(checkpoint, into: norm, options: LoadOptions(keyMapping: .huggingFaceBERT))
        XCTAssertEqual(report.loadedKeys, ["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"])
        XCTAssertEqual(norm.norm.weight.value.scalars, [1, 2, 3, 4])
    }

    func testLoad_TwoTensorsMapToOneKey_ThrowsNamingBoth() throws {
        let checkpoint = try writeCheckpoint([RawTensor("a.weight", [3]), RawTensor("b.weight", [3])])
        let options = LoadOptions(keyMapping: [.rename(pattern: "^[ab]\\.", replacement: "layers.0.")])
        XCTAssertThrowsError(try CheckpointLoader.stateDict(from: checkpoint, options: options)) { error in
            XCTAssertEqual(error as? CheckpointLoadError, CheckpointLoadError(
                location: checkpoint.location, reason: .duplicateKey("layers.0.weight", tensors: ["a.weight", "b.weight"])))
        }
    }

    func testLoad_IgnorableBuffer_ReportedIgnoredNotUnexpected() throws {
        let bert = BertModel(config: Self.tinyBertConfig(), seed: 1)
        var tensors = bert.stateDictKeys.map { key in
            RawTensor(key, bert.stateDict()[key]?.shape ?? [], floats: bert.stateDict()[key]?.scalars ?? [])
        }
        tensors.append(RawTensor("embeddings.position_ids", .i64, [1, 16], bytes: Self.bytes((0..<16).map(Int64.init))))
        let report = try CheckpointLoader.load(try writeCheckpoint(tensors), into: BertModel(config: Self.tinyBertConfig(), seed: 2))
        XCTAssertEqual(report.ignoredKeys, ["embeddings.position_ids"])
        XCTAssertTrue(report.isComplete)
    }

    // MARK: NaN and infinity

    func testLoad_NaN_ThrowsNamingTensorAndFirstIndex() throws {
        var weights = (0..<6).map(Float.init)
        weights[4] = .nan
        let checkpoint = try writeCheckpoint([
            RawTensor("layers.0.weight", [3, 4]), RawTensor("layers.0.bias", [3]),
            RawTensor("layers.2.weight", [2, 3], floats: weights), RawTensor("layers.2.bias", [2]),
        ])
        let model = mlp()
        let before = Self.values(model)
        XCTAssertThrowsError(try CheckpointLoader.load(checkpoint, into: model)) { error in
            XCTAssertEqual(error as? CheckpointLoadError, CheckpointLoadError(
                location: checkpoint.location, reason: .nonFinite(tensor: "layers.2.weight", key: "layers.2.weight", index: 4, count: 1)))
            XCTAssertEqual("\(error)", "\(checkpoint.location): tensor 'layers.2.weight' holds 1 NaN or infinite value, the first at element 4")
        }
        XCTAssertEqual(Self.values(model), before)
    }

    func testLoad_InfinityInF16UnderMappedName_ThrowsWithBothNames() throws {
        // F16 bits: 1.0, +inf, 2.0, -inf.
        let checkpoint = try writeCheckpoint([RawTensor("old.bias", .f16, [4], bytes: Self.bytes([UInt16(0x3C00), 0x7C00, 0x4000, 0xFC00]))])
        let options = LoadOptions(keyMapping: [.rename(pattern: "^old", replacement: "norm")])
        XCTAssertThrowsError(try CheckpointLoader.stateDict(from: checkpoint, options: options)) { error in
            XCTAssertEqual((error as? CheckpointLoadError)?.reason, .nonFinite(tensor: "old.bias", key: "norm.bias", index: 1, count: 2))
            XCTAssertTrue("\(error)".contains("tensor 'old.bias' (model key 'norm.bias') holds 2 NaN or infinite values"), "\(error)")
        }
    }

    func testLoad_NonFiniteAllowed_LoadsAndReportsKey() throws {
        let checkpoint = try writeCheckpoint([
            RawTensor("layers.0.weight", [3, 4], floats: [Float](repeating: .infinity, count: 12)), RawTensor("layers.0.bias", [3]),
            RawTensor("layers.2.weight", [2, 3]), RawTensor("layers.2.bias", [2]),
        ])
        let model = mlp()
        let summary = try CheckpointLoader.loadDetailed(checkpoint, into: model, options: LoadOptions(rejectNonFinite: false))
        XCTAssertEqual(summary.nonFiniteKeys, ["layers.0.weight"])
        XCTAssertEqual(model.parameter(named: "layers.0.weight")?.value.scalars.first, .infinity)
    }

    func testLoad_NaNInUnexpectedTensor_NotScannedNotLoaded() throws {
        let checkpoint = try writeCheckpoint([
            RawTensor("layers.0.weight", [3, 4]), RawTensor("layers.0.bias", [3]),
            RawTensor("layers.2.weight", [2, 3]), RawTensor("layers.2.bias", [2]),
            RawTensor("unused", [2], floats: [.nan, .nan]),
        ])
        let report = try CheckpointLoader.load(checkpoint, into: mlp(), options: LoadOptions(verify: .matchingShapes))
        XCTAssertEqual(report.unexpectedKeys, ["unused"])
    }

    // MARK: Zero copy

    func testLoad_F32_ZeroCopyPointsIntoTheMapping() throws {
        let checkpoint = try save(mlp(seed: 5))
        let model = mlp()
        let summary = try CheckpointLoader.loadDetailed(checkpoint, into: model)
        XCTAssertEqual(summary.borrowedKeys, model.stateDictKeys)
        XCTAssertEqual(summary.convertedKeys, [:])
        for entry in checkpoint.manifest.tensors {
            let parameter = try XCTUnwrap(model.parameter(named: entry.name))
            XCTAssertTrue(parameter.value.isBorrowed, entry.name)
            let (shard, owner) = try checkpoint.shardBytes(entry.shard)
            let mapped = withExtendedLifetime(owner) { shard.baseAddress.map { $0 + entry.offset } }
            let address = parameter.value.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
            XCTAssertEqual(address, mapped, entry.name)
        }
    }

    func testLoad_ZeroCopyThenTrain_CopiesOnWriteAndLeavesFileIntact() throws {
        let checkpoint = try save(mlp(seed: 5))
        let model = mlp()
        try CheckpointLoader.load(checkpoint, into: model)
        model.freeze(matching: ["layers.0"])
        let optimizer = SGD(parameters: model.parameters(), learningRate: 0.1)
        let loss = try crossEntropy(logits: model(Variable(Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]))), labels: [1])
        loss.backward()
        optimizer.step()
        XCTAssertTrue(try XCTUnwrap(model.parameter(named: "layers.0.weight")).value.isBorrowed, "frozen: still mapped")
        XCTAssertFalse(try XCTUnwrap(model.parameter(named: "layers.2.weight")).value.isBorrowed, "trained: own copy")
        XCTAssertEqual(checkpoint.verify(.deep).failures.count, 0)
        XCTAssertNotEqual(model.parameter(named: "layers.2.weight")?.value.scalars,
                          try checkpoint.tensor(named: "layers.2.weight").scalars(as: Float.self))
    }

    func testLoad_ZeroCopyOff_OwnsEveryTensor() throws {
        let checkpoint = try save(mlp(seed: 5))
        let model = mlp()
        let summary = try CheckpointLoader.loadDetailed(checkpoint, into: model, options: LoadOptions(zeroCopy: false))
        XCTAssertEqual(summary.borrowedKeys, [])
        XCTAssertFalse(model.parameters().contains { $0.value.isBorrowed })
        XCTAssertEqual(Self.values(model), Self.values(mlp(seed: 5)))
    }
}

/// A module holding a LayerNorm under `embeddings.LayerNorm`.
private final class Holder: Module {
    let norm: LayerNorm
    private let inner: Inner
    init(_ norm: LayerNorm) {
        self.norm = norm
        self.inner = Inner(norm)
    }
    override var namedChildren: [(name: String, module: Module)] { [("embeddings", inner)] }

    final class Inner: Module {
        let norm: LayerNorm
        init(_ norm: LayerNorm) { self.norm = norm }
        override var namedChildren: [(name: String, module: Module)] { [("LayerNorm", norm)] }
    }
}
