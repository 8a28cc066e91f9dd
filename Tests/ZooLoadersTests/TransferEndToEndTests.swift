import Foundation
import TrainingCore
import XCTest
import ZooConverters
import ZooFormat
import ZooLoaders

/// The whole path: a pretrained checkpoint, a new head, training, export with lineage.
final class TransferEndToEndTests: LoaderTestCase {
    func testBertTiny_RealHuggingFaceNames_LoadStrictlyIntoBertForSequenceClassification() throws {
        let path = scratch + "/bert-tiny"
        try SafetensorsImporter().importModel(from: try Self.bertTinyFolder(), to: path)
        let checkpoint = try Checkpoint(directory: path)
        let config = try BertConfig(jsonData: Data(checkpoint.asset(path: "config.json")))
        let model = BertForSequenceClassification(config: config, seed: 0)
        let summary = try CheckpointLoader.loadDetailed(checkpoint, into: model)
        XCTAssertEqual(summary.report.missingKeys, [])
        XCTAssertEqual(summary.report.unexpectedKeys, [])
        XCTAssertEqual(summary.report.shapeMismatches, [])
        XCTAssertEqual(summary.report.loadedKeys, model.stateDictKeys)
        XCTAssertEqual(summary.report.loadedKeys.count, 41)
        XCTAssertEqual(summary.borrowedKeys.count, 41, "F32 checkpoint: nothing copied")
        XCTAssertEqual(model.parameterCount, checkpoint.manifest.architecture.parameterCount)
        let classifier = try checkpoint.tensor(named: "classifier.weight").scalars(as: Float.self)
        XCTAssertEqual(model.classifier.weight.value.scalars, classifier)
        // The loaded model runs.
        model.eval()
        let logits = try withNoGrad { try model(try TokenBatch(inputIDs: [[2, 10, 11, 3]])) }
        XCTAssertEqual(logits.shape, [1, 2])
        XCTAssertTrue(logits.value.scalars.allSatisfy(\.isFinite))
    }

    func testTinyBert_ReplaceHeadTrainExport_LineageRecordsEverything() throws {
        // The "pretrained" model: 2 classes.
        let pretrained = BertForSequenceClassification(config: Self.tinyBertConfig(layers: 2, labels: 2), seed: 11)
        let parent = try save(pretrained, name: "tiny-bert")

        // A new model with 3 classes: lenient loading reports the old head as a shape mismatch...
        let model = BertForSequenceClassification(config: Self.tinyBertConfig(layers: 2, labels: 3), seed: 12)
        let lenient = try CheckpointLoader.load(parent, into: model, options: LoadOptions(verify: []))
        XCTAssertEqual(lenient.missingKeys, [])
        XCTAssertEqual(lenient.shapeMismatches, [
            ShapeMismatch(key: "classifier.weight", expected: [3, 8], actual: [2, 8]),
            ShapeMismatch(key: "classifier.bias", expected: [3], actual: [2]),
        ])
        // ...and the recipe's options skip it: the new head is missing, as expected.
        var recipe = TransferRecipe.replaceHead(classes: 3)
        recipe.freezing = .firstLayers(1)
        recipe.learningRate = 0.01
        recipe.epochs = 20
        recipe.dataset = .init(name: "synthetic-first-token", size: 12)
        let summary = try CheckpointLoader.loadDetailed(parent, into: model, options: try recipe.loadOptions(for: model))
        XCTAssertEqual(summary.report.missingKeys, ["classifier.weight", "classifier.bias"])
        XCTAssertEqual(summary.report.unexpectedKeys, [])
        XCTAssertEqual(summary.report.shapeMismatches, [])
        XCTAssertEqual(summary.skippedTensors, ["classifier.weight", "classifier.bias"])
        XCTAssertEqual(model.bert.stateDict(), pretrained.bert.stateDict())

        // Train 20 steps: the label is the first real token modulo 3.
        var plan = try recipe.apply(to: model)
        XCTAssertEqual(plan.frozenParameters.count, 5 + 16)
        var generator = SeededGenerator(seed: 5)
        let rows = (0..<12).map { _ in [1] + (0..<5).map { _ in 4 + Int(generator.next() % 30) } }
        let labels = rows.map { $0[1] % 3 }
        let batch = try TokenBatch(inputIDs: rows)
        let optimizer = AdamW(groups: plan.parameterGroups)
        model.train()
        var losses: [Float] = []
        for _ in 0..<20 {
            optimizer.zeroGrad()
            let loss = try crossEntropy(logits: model(batch), labels: labels)
            losses.append(loss.value.scalar)
            loss.backward()
            optimizer.step()
        }
        let first = try XCTUnwrap(losses.first), last = try XCTUnwrap(losses.last)
        XCTAssertLessThan(last, first, "\(losses)")
        model.eval()
        let predictions = try withNoGrad { try model(batch) }.value
        let correct = (0..<12).filter { row in
            (0..<3).max { predictions[row, $0] < predictions[row, $1] } == labels[row]
        }.count
        plan.recipe.metrics = ["loss": Double(last), "accuracy": Double(correct) / 12]

        // Export with lineage.
        let manifest = try ModelExporter.export(
            model, parent: parent, to: scratch + "/child", recipe: plan.json, options: ExportOptions(name: "tiny-bert-3"))
        let child = try Checkpoint(directory: scratch + "/child")
        XCTAssertEqual(manifest.lineage?.parent, parent.digest)
        let lineage = try XCTUnwrap(manifest.lineage?.recipe)
        XCTAssertEqual(lineage["type"], "zoo.transfer")
        XCTAssertEqual(lineage["head"]?["classes"], 3)
        XCTAssertEqual(lineage["head"]?["module"], "classifier")
        XCTAssertEqual(lineage["frozenParameters"]?.arrayValue?.count, 21)
        XCTAssertEqual(lineage["learningRates"], ["head": 0.01, "backbone": 0.001])
        XCTAssertEqual(lineage["epochs"], 20)
        XCTAssertEqual(lineage["dataset"], ["name": "synthetic-first-token", "size": 12])
        XCTAssertEqual(lineage["metrics"]?["accuracy"]?.doubleValue, Double(correct) / 12)
        XCTAssertEqual(lineage["metrics"]?["loss"]?.doubleValue, Double(last))
        XCTAssertEqual(try TransferRecipe(json: lineage).metrics, plan.recipe.metrics)
        XCTAssertEqual(manifest.architecture.config["num_labels"], 3)

        // Frozen tensors are byte-identical to the parent's; trained ones differ.
        let diff = try CheckpointDiff(from: parent, to: child)
        XCTAssertEqual(Set(diff.unchanged), Set(plan.frozenParameters))
        XCTAssertEqual(diff.changed.count, 41 - 21)
        XCTAssertTrue(diff.changed.filter(\.isValueChange).allSatisfy { ($0.maxAbsDifference ?? 0) > 0 })
        XCTAssertEqual(diff.changed.filter { !$0.isValueChange }.map(\.name), ["classifier.weight", "classifier.bias"])

        // The child reloads strictly into a 3-class model.
        let reloaded = BertForSequenceClassification(config: Self.tinyBertConfig(layers: 2, labels: 3), seed: 13)
        XCTAssertTrue(try CheckpointLoader.load(child, into: reloaded).isComplete)
        XCTAssertEqual(reloaded.stateDict(), model.stateDict())
    }
}
