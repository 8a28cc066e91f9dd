import TrainingCore
import ZooFormat

/// A ``TransferRecipe`` applied to a model: the head, the frozen set and the optimiser groups.
///
/// Made by ``TransferRecipe/apply(to:)``, which also sets every parameter's `isTrainable`.
/// Fill in ``TransferRecipe/metrics`` of ``recipe`` after training; ``json`` is what lineage
/// records.
public struct TransferPlan {
    public var recipe: TransferRecipe
    /// The head's module path.
    public let headModule: String
    /// The head's parameters, in model order.
    public let headParameters: [String]
    /// The frozen parameters, in model order.
    public let frozenParameters: [String]
    /// Trainable head parameters at ``TransferRecipe/learningRate``.
    public let headGroup: ParameterGroup
    /// Trainable backbone parameters at ``TransferRecipe/effectiveBackboneLearningRate``.
    public let backboneGroup: ParameterGroup

    /// `[headGroup, backboneGroup]`, for `AdamW(groups:)` or `SGD(groups:)`; frozen parameters
    /// are in neither.
    public var parameterGroups: [ParameterGroup] { [headGroup, backboneGroup] }

    /// The recipe's JSON plus the resolved names (`head.module`, `head.parameters`,
    /// `frozenParameters`): the lineage record of a fine-tune.
    public var json: JSONValue {
        guard case var .object(object) = recipe.json else { return recipe.json }
        var head = object["head"]?.objectValue ?? [:]
        head["module"] = .string(headModule)
        head["parameters"] = .array(headParameters.map { .string($0) })
        object["head"] = .object(head)
        object["frozenParameters"] = .array(frozenParameters.map { .string($0) })
        return .object(object)
    }
}

extension TransferRecipe {
    /// Freezes the model as the recipe says (every other parameter is made trainable) and
    /// builds the optimiser groups: the head at ``learningRate``, the rest of the trainable
    /// parameters at ``effectiveBackboneLearningRate``.
    ///
    /// - Throws: ``TransferRecipeError``: no head, a head with the old class count, more layers
    ///   to freeze than there are, a freezing pattern that matches nothing. The model is
    ///   unchanged when it throws.
    public func apply(to model: Module) throws(TransferRecipeError) -> TransferPlan {
        let named = model.namedParameters()
        let head = try resolveHead(in: model)
        let headNames = Set(head.parameters)
        let frozen = try frozenNames(named.map(\.name), head: headNames)
        for (name, parameter) in named { parameter.isTrainable = !frozen.contains(name) }
        let trainableHead = named.filter { headNames.contains($0.name) && !frozen.contains($0.name) }
        let trainableBackbone = named.filter { !headNames.contains($0.name) && !frozen.contains($0.name) }
        return TransferPlan(
            recipe: self, headModule: head.module, headParameters: head.parameters,
            frozenParameters: named.map(\.name).filter { frozen.contains($0) },
            headGroup: ParameterGroup(
                parameters: trainableHead.map(\.parameter), learningRate: learningRate, weightDecay: weightDecay),
            backboneGroup: ParameterGroup(
                parameters: trainableBackbone.map(\.parameter), learningRate: effectiveBackboneLearningRate,
                weightDecay: weightDecay))
    }

    /// `base` adjusted for loading the pretrained checkpoint into `model`: with a replaced head,
    /// the old head's tensors are skipped (``LoadOptions/exclude``) and the new head may be
    /// missing (``LoadOptions/allowMissing``), while every other key is still checked.
    ///
    /// - Throws: ``TransferRecipeError`` when the head cannot be found or has the old class count.
    public func loadOptions(for model: Module, base: LoadOptions = .init()) throws(TransferRecipeError) -> LoadOptions {
        guard case .replace = head else { return base }
        let module = try resolveHead(in: model).module
        var options = base
        options.exclude.append(.name(module))
        options.allowMissing.append(.name(module))
        return options
    }

    /// The head's module path and parameter names; checks the class count of a replaced head.
    func resolveHead(in model: Module) throws(TransferRecipeError) -> (module: String, parameters: [String]) {
        let names = model.namedParameters().map(\.name)
        guard let last = names.last else { throw TransferRecipeError(.emptyModel) }
        let module: String
        if let headModule {
            module = headModule
        } else if let dot = last.lastIndex(of: ".") {
            module = String(last[..<dot])
        } else {
            module = last
        }
        let pattern = NamePattern.name(module)
        let parameters = names.filter { pattern.matches($0) }
        guard !parameters.isEmpty else { throw TransferRecipeError(.headNotFound(module)) }
        if case let .replace(classes) = head {
            guard classes >= 0 else { throw TransferRecipeError(.negativeCount("classes", classes)) }
            if let linear = model.namedModules().first(where: { $0.name == module })?.module as? Linear,
                linear.outFeatures != classes
            {
                throw TransferRecipeError(.headClassMismatch(module: module, expected: classes, actual: linear.outFeatures))
            }
        }
        return (module, parameters)
    }

    /// The names to freeze, given every parameter name in model order.
    private func frozenNames(_ names: [String], head: Set<String>) throws(TransferRecipeError) -> Set<String> {
        switch freezing {
        case .none:
            return []
        case .backbone:
            return Set(names.filter { !head.contains($0) })
        case let .matching(patterns):
            var frozen = Set<String>()
            for pattern in patterns {
                let matched = names.filter { pattern.matches($0) }
                guard !matched.isEmpty else { throw TransferRecipeError(.noMatch(pattern)) }
                frozen.formUnion(matched)
            }
            return frozen
        case let .firstLayers(count):
            guard count >= 0 else { throw TransferRecipeError(.negativeCount("layers", count)) }
            let backbone = names.filter { !head.contains($0) }
            var groups: [Substring] = []
            var lastIndexOfGroup: [Int] = []
            for (index, name) in backbone.enumerated() {
                let group = WriterOptions.layerGroup(of: name)
                guard !group.isEmpty else { continue }
                if group != groups.last {
                    groups.append(group)
                    lastIndexOfGroup.append(index)
                } else {
                    lastIndexOfGroup[lastIndexOfGroup.count - 1] = index
                }
            }
            guard count <= groups.count else {
                throw TransferRecipeError(.notEnoughLayers(requested: count, available: groups.count))
            }
            guard count > 0 else { return [] }
            return Set(backbone[...lastIndexOfGroup[count - 1]])
        }
    }
}
