import ZooFormat

extension HuggingFace {
    /// The manifest name of a model read from a Hugging Face folder, from the folder's content
    /// only, so that the same files give the same model digest wherever they lie: the last
    /// component of `config.json`'s `_name_or_path` (`"google-bert/bert-base-uncased"` ->
    /// `bert-base-uncased`), else its `model_type`, else the first of `architectures`, else
    /// `"model"`. The manifest name is informational; the store name comes from the path
    /// (``SourceName``).
    static func modelName(config: [String: JSONValue]?) -> String {
        if let path = config?["_name_or_path"]?.stringValue,
            let last = path.split(separator: "/").last(where: { $0 != "." && $0 != ".." }), !last.isEmpty,
            last.utf8.count <= Manifest.maxNameByteCount
        {
            return String(last)
        }
        if let type = config?["model_type"]?.stringValue, !type.isEmpty, type.utf8.count <= Manifest.maxNameByteCount {
            return type
        }
        if let first = config?["architectures"]?.arrayValue?.first?.stringValue, !first.isEmpty,
            first.utf8.count <= Manifest.maxNameByteCount
        {
            return first
        }
        return "model"
    }
}
