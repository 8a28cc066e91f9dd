import TrainingCore

/// MiniLM with a topic head: the encoder's parameters under their own names (`embeddings.*`,
/// `encoder.layer.N.*`, as in the parent checkpoint) and the head as `classifier.*`.
final class TopicClassifier: Module {
    let bert: BertModel
    let classifier: Linear

    init(bert: BertModel, classifier: Linear) {
        self.bert = bert
        self.classifier = classifier
    }

    override var namedChildren: [(name: String, module: Module)] {
        bert.namedChildren + [("classifier", classifier)]
    }

    override var ignoredStateKeys: [String] { ["embeddings.position_ids"] }

    /// The encoder's last layer (the one fine-tuned).
    var topLayer: BertLayer { bert.encoder.layers.modules[bert.encoder.layers.modules.count - 1] }

    /// The hidden states entering the top layer, computed once without gradients (the layers
    /// below are frozen, so they never change).
    func statesBelowTop(_ batch: TokenBatch) throws -> Tensor {
        try withNoGrad {
            let mask = batch.maskTensor
            var hidden = try bert.embeddings(batch)
            for layer in bert.encoder.layers.modules.dropLast() { hidden = layer(hidden, mask: mask) }
            return hidden.value
        }
    }

    /// The topic logits from the states entering the top layer: top layer, mean pooling,
    /// L2 normalisation (as the sentence embeddings), head.
    func logits(statesBelowTop states: Tensor, batch: TokenBatch) -> Variable {
        let mask = batch.maskTensor
        let top = topLayer(Variable(states), mask: mask)
        return classifier(meanPooling(top, mask: mask).l2Normalized())
    }
}
