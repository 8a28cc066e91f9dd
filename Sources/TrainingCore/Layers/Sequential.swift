/// Layers applied one after the other, named `"0"`, `"1"`, ... as PyTorch's `nn.Sequential`
/// (so a parameter-free layer such as ``ReLU`` still takes up an index).
public final class Sequential: Module, UnaryLayer {
    public let layers: [any UnaryLayer]

    public init(_ layers: [any UnaryLayer]) {
        self.layers = layers
    }

    override public var namedChildren: [(name: String, module: Module)] {
        layers.enumerated().map { (String($0.offset), $0.element as Module) }
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        layers.reduce(input) { x, layer in layer(x) }
    }
}

/// A list of modules named `"0"`, `"1"`, ... as PyTorch's `nn.ModuleList`.
public final class ModuleList<Element: Module>: Module {
    public let modules: [Element]

    public init(_ modules: [Element]) {
        self.modules = modules
    }

    override public var namedChildren: [(name: String, module: Module)] {
        modules.enumerated().map { (String($0.offset), $0.element as Module) }
    }
}
