import ZooFormat

extension Checkpoint {
    /// The model type the checkpoint declares: Hugging Face's `model_type` in its config, else the
    /// manifest's `architecture.type`.
    var declaredModelType: String {
        let architecture = manifest.architecture
        return architecture.config["model_type"]?.stringValue ?? architecture.type
    }
}
