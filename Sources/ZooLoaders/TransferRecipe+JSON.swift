import TrainingCore
import ZooFormat

/// The recipe as JSON for a manifest's lineage, and back.
///
/// ```json
/// {"type": "zoo.transfer", "head": {"action": "replace", "classes": 3},
///  "freeze": {"rule": "firstLayers", "layers": 1},
///  "learningRates": {"head": 0.001, "backbone": 0.0001}, "weightDecay": 0, "epochs": 3,
///  "dataset": {"name": "topics", "size": 60}, "metrics": {"accuracy": 0.93}}
/// ```
/// A ``TransferPlan`` adds `head.module`, `head.parameters` and `frozenParameters`.
extension TransferRecipe {
    /// The value of the `type` member.
    public static let jsonType = "zoo.transfer"

    /// The recipe as a JSON object (numbers as their shortest decimal form: `0.001`, not
    /// `0.0010000000474974513`; a non-finite metric as `null`).
    public var json: JSONValue {
        var headObject: [String: JSONValue]
        switch head {
        case .reuse: headObject = ["action": "reuse"]
        case let .replace(classes): headObject = ["action": "replace", "classes": .integer(Int64(classes))]
        }
        if let headModule { headObject["module"] = .string(headModule) }
        let freeze: JSONValue
        switch freezing {
        case .none: freeze = ["rule": "none"]
        case .backbone: freeze = ["rule": "backbone"]
        case let .firstLayers(count): freeze = ["rule": "firstLayers", "layers": .integer(Int64(count))]
        case let .matching(patterns):
            freeze = ["rule": "patterns", "patterns": .array(patterns.map(Self.json(pattern:)))]
        }
        var object: [String: JSONValue] = [
            "type": .string(Self.jsonType),
            "head": .object(headObject),
            "freeze": freeze,
            "learningRates": [
                "head": Self.json(learningRate), "backbone": Self.json(effectiveBackboneLearningRate),
            ],
            "weightDecay": Self.json(weightDecay),
            "epochs": .integer(Int64(epochs)),
            "metrics": .object(metrics.mapValues { $0.isFinite ? .number($0) : .null }),
        ]
        if let dataset {
            object["dataset"] = ["name": .string(dataset.name), "size": .integer(Int64(dataset.size))]
        }
        return .object(object)
    }

    /// Reads a recipe (or a ``TransferPlan``'s JSON) back; unknown members are ignored.
    ///
    /// - Throws: ``TransferRecipeError`` with reason `.invalidJSON` naming the member.
    public init(json: JSONValue) throws(TransferRecipeError) {
        func fail(_ member: String, _ expected: String) -> TransferRecipeError {
            TransferRecipeError(.invalidJSON(member: member, expected: expected))
        }
        guard let object = json.objectValue else { throw fail("the recipe", "an object") }
        guard object["type"]?.stringValue == Self.jsonType else { throw fail("type", "\"\(Self.jsonType)\"") }
        guard let headObject = object["head"]?.objectValue else { throw fail("head", "an object") }
        let head: Head
        switch headObject["action"]?.stringValue {
        case "reuse": head = .reuse
        case "replace":
            guard let classes = headObject["classes"]?.integerValue.flatMap(Int.init(exactly:)) else {
                throw fail("head.classes", "an integer")
            }
            head = .replace(classes: classes)
        default: throw fail("head.action", "\"reuse\" or \"replace\"")
        }
        guard let freezeObject = object["freeze"]?.objectValue else { throw fail("freeze", "an object") }
        let freezing: Freezing
        switch freezeObject["rule"]?.stringValue {
        case "none": freezing = .none
        case "backbone": freezing = .backbone
        case "firstLayers":
            guard let layers = freezeObject["layers"]?.integerValue.flatMap(Int.init(exactly:)) else {
                throw fail("freeze.layers", "an integer")
            }
            freezing = .firstLayers(layers)
        case "patterns":
            guard let items = freezeObject["patterns"]?.arrayValue else { throw fail("freeze.patterns", "an array") }
            var patterns: [NamePattern] = []
            for item in items { patterns.append(try Self.pattern(json: item)) }
            freezing = .matching(patterns)
        default: throw fail("freeze.rule", "\"none\", \"backbone\", \"firstLayers\" or \"patterns\"")
        }
        guard let rates = object["learningRates"]?.objectValue, let headRate = rates["head"]?.doubleValue,
            let backboneRate = rates["backbone"]?.doubleValue
        else { throw fail("learningRates", "an object with numbers head and backbone") }
        guard let epochs = object["epochs"]?.integerValue.flatMap(Int.init(exactly:)) else {
            throw fail("epochs", "an integer")
        }
        var dataset: Dataset?
        if let value = object["dataset"], value != .null {
            guard let name = value["name"]?.stringValue, let size = value["size"]?.integerValue.flatMap(Int.init(exactly:))
            else { throw fail("dataset", "an object with a string name and an integer size") }
            dataset = Dataset(name: name, size: size)
        }
        var metrics: [String: Double] = [:]
        if let value = object["metrics"], value != .null {
            guard let members = value.objectValue else { throw fail("metrics", "an object") }
            for (key, member) in members {
                if member == .null { metrics[key] = .nan; continue }
                guard let number = member.doubleValue else { throw fail("metrics.\(key)", "a number") }
                metrics[key] = number
            }
        }
        let learningRate = Float(headRate)
        let backbone = Float(backboneRate)
        let implied = TransferRecipe(head: head, learningRate: learningRate).effectiveBackboneLearningRate
        self.init(
            head: head, headModule: headObject["module"]?.stringValue, freezing: freezing, learningRate: learningRate,
            backboneLearningRate: backbone == implied ? nil : backbone,
            weightDecay: Float(object["weightDecay"]?.doubleValue ?? 0), epochs: epochs, dataset: dataset,
            metrics: metrics)
    }

    /// A one-line description of a lineage recipe for `zoo show`: for a transfer recipe,
    /// e.g. `replace head classifier (3 classes); freeze first 1 layer (26 parameters); lr head
    /// 0.001, backbone 0.0001; 3 epochs; data topics (60 examples); accuracy 0.93`; for any other
    /// JSON, its canonical text (at most `limit` characters).
    public static func summary(of json: JSONValue, limit: Int = 160) -> String {
        guard let recipe = try? TransferRecipe(json: json) else {
            let text = String(decoding: json.canonicalBytes, as: UTF8.self)
            return text.count > limit ? String(text.prefix(max(0, limit - 3))) + "..." : text
        }
        var parts: [String] = []
        let module = json["head"]?["module"]?.stringValue.map { " " + $0 } ?? ""
        switch recipe.head {
        case .reuse: parts.append("reuse head\(module)")
        case let .replace(classes): parts.append("replace head\(module) (\(classes) class\(classes == 1 ? "" : "es"))")
        }
        let frozenCount = json["frozenParameters"]?.arrayValue?.count
        let counted = frozenCount.map { " (\($0) parameter\($0 == 1 ? "" : "s"))" } ?? ""
        switch recipe.freezing {
        case .none: parts.append("nothing frozen")
        case .backbone: parts.append("backbone frozen\(counted)")
        case let .firstLayers(k): parts.append("freeze first \(k) layer\(k == 1 ? "" : "s")\(counted)")
        case let .matching(patterns):
            parts.append("freeze \(patterns.map(\.description).joined(separator: ", "))\(counted)")
        }
        parts.append(
            "lr head \(Self.decimal(recipe.learningRate)), backbone \(Self.decimal(recipe.effectiveBackboneLearningRate))")
        parts.append("\(recipe.epochs) epoch\(recipe.epochs == 1 ? "" : "s")")
        if let dataset = recipe.dataset { parts.append("data \(dataset.name) (\(dataset.size) examples)") }
        for key in recipe.metrics.keys.sorted() {
            let value = recipe.metrics[key] ?? .nan
            parts.append("\(key) \(value.isFinite ? String(describing: value) : "n/a")")
        }
        return parts.joined(separator: "; ")
    }

    // MARK: Helpers

    /// A Float as the Double of its shortest decimal text, so `1e-3` is written `0.001`.
    static func json(_ value: Float) -> JSONValue {
        guard value.isFinite else { return .null }
        return .number(Double(decimal(value)) ?? Double(value))
    }

    static func decimal(_ value: Float) -> String { String(describing: value) }

    static func json(pattern: NamePattern) -> JSONValue {
        let kind: String
        switch pattern.kind {
        case .nameOrModule: kind = "name"
        case .prefix: kind = "prefix"
        case .glob: kind = "glob"
        case .regex: kind = "regex"
        }
        return ["kind": .string(kind), "text": .string(pattern.text)]
    }

    static func pattern(json: JSONValue) throws(TransferRecipeError) -> NamePattern {
        guard let text = json["text"]?.stringValue else {
            throw TransferRecipeError(.invalidJSON(member: "freeze.patterns[].text", expected: "a string"))
        }
        switch json["kind"]?.stringValue {
        case "name": return .name(text)
        case "prefix": return .prefix(text)
        case "glob": return .glob(text)
        case "regex":
            do { return try .regex(text) } catch {
                throw TransferRecipeError(.invalidJSON(member: "freeze.patterns[].text", expected: "a valid regular expression"))
            }
        default:
            throw TransferRecipeError(
                .invalidJSON(member: "freeze.patterns[].kind", expected: "\"name\", \"prefix\", \"glob\" or \"regex\""))
        }
    }
}
