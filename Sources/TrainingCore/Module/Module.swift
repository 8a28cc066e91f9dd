/// A building block of a model: it owns parameters and child modules, each under a name, so that
/// every parameter has a dotted path such as `bert.encoder.layer.0.attention.self.query.weight`
/// (PyTorch's state-dict names).
///
/// Subclasses register what they own by overriding ``namedChildren`` and ``namedLocalParameters``
/// (explicit lists, in PyTorch's order: a module's own parameters, then its children in
/// declaration order). Everything else—walking the tree, freezing, state dicts, train/eval mode—
/// is shared.
///
/// ```swift
/// final class Head: Module {
///     let dense: Linear
///     let out: Linear
///     override var namedChildren: [(name: String, module: Module)] { [("dense", dense), ("out", out)] }
/// }
/// head.namedParameters().map(\.name)   // ["dense.weight", "dense.bias", "out.weight", "out.bias"]
/// ```
open class Module {
    /// Whether the module is in training mode (dropout active); see ``train(_:)``.
    public private(set) var isTraining = true

    public init() {}

    /// The direct children with their names, in registration order.
    open var namedChildren: [(name: String, module: Module)] { [] }

    /// The parameters this module owns directly, with their names.
    open var namedLocalParameters: [(name: String, parameter: Parameter)] { [] }

    /// State-dict keys, relative to this module, that checkpoints may contain but that are not
    /// parameters here (PyTorch buffers such as BERT's `position_ids`). Loading skips them.
    open var ignoredStateKeys: [String] { [] }

    /// Switches this module and all its descendants to training (`true`) or evaluation mode.
    public func train(_ isTraining: Bool = true) {
        for (_, module) in namedModules() { module.isTraining = isTraining }
    }

    /// Switches to evaluation mode: dropout becomes the identity.
    public func eval() {
        train(false)
    }

    /// This module (named `""`) and all its descendants with their dotted paths, parents first.
    public func namedModules() -> [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = []
        func visit(_ module: Module, path: String) {
            result.append((path, module))
            for (name, child) in module.namedChildren {
                visit(child, path: path.isEmpty ? name : path + "." + name)
            }
        }
        visit(self, path: "")
        return result
    }

    /// Every parameter with its dotted name, each parameter once (under its first name), in
    /// PyTorch's `named_parameters()` order.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var seen = Set<ObjectIdentifier>()
        return allNamedParameters().filter { seen.insert(ObjectIdentifier($0.parameter)).inserted }
    }

    /// Every parameter, each once.
    public func parameters() -> [Parameter] {
        namedParameters().map(\.parameter)
    }

    /// The parameters that are not frozen, with their names.
    public func trainableParameters() -> [(name: String, parameter: Parameter)] {
        namedParameters().filter(\.parameter.isTrainable)
    }

    /// The parameter with this dotted name, if any.
    public func parameter(named name: String) -> Parameter? {
        allNamedParameters().first { $0.name == name }?.parameter
    }

    /// The parameters whose names match any of the patterns.
    public func parameters(matching patterns: [NamePattern]) -> [(name: String, parameter: Parameter)] {
        let matchers = patterns.map { $0.matcher() }
        return namedParameters().filter { entry in matchers.contains { $0(entry.name) } }
    }

    /// The total number of scalars in all parameters.
    public var parameterCount: Int {
        parameters().reduce(0) { $0 + $1.value.count }
    }

    /// Clears the accumulated gradient of every parameter.
    public func zeroGrad() {
        for parameter in parameters() { parameter.zeroGrad() }
    }

    /// Every (name, parameter) pair, including a shared parameter under each of its names.
    func allNamedParameters() -> [(name: String, parameter: Parameter)] {
        namedModules().flatMap { path, module in
            module.namedLocalParameters.map { name, parameter in
                (path.isEmpty ? name : path + "." + name, parameter)
            }
        }
    }
}
