import ZooFormat

/// Finds the tensors (and simple values) in an unpickled object and names them by their dotted
/// paths: dict keys (strings, or integers in decimal) and list or tuple indices, joined by `.`.
///
/// Walks are iterative with a visited set, so a container reached twice (or containing itself)
/// is walked once: its tensors keep the first path that reached them.
struct PickleWalker {
    let graph: PickleGraph
    let file: String
    let member: String
    /// The deepest nesting walked (``Unpickler/Limits/nesting``).
    var nesting = Unpickler.Limits.default.nesting

    /// What ``select(_:root:)`` picked.
    struct Selection {
        /// Dotted name and index in ``PickleGraph/tensors``, in walk (pickle) order.
        var tensors: [(name: String, tensor: Int)]
        /// The top-level key (or dotted path) whose entry was taken, nil for the whole object.
        var key: String?
        /// Top-level keys holding tensors that were left out.
        var skipped: [String]
    }

    private enum Container: Hashable {
        case tuple(Int), list(Int), dict(Int)
    }

    /// The name of a lone tensor saved on its own (`torch.save(t)`).
    static let loneTensorName = "tensor"

    /// Applies a ``PyTorchSelection`` to the unpickled `root`.
    func select(_ selection: PyTorchSelection, root: PickleValue) throws(PyTorchError) -> Selection {
        if case let .tensor(index) = root { return Selection(tensors: [(Self.loneTensorName, index)], key: nil, skipped: []) }
        switch selection {
        case .everything:
            return Selection(tensors: try tensors(under: root), key: nil, skipped: [])
        case let .key(path):
            guard let (value, first) = lookup(path, in: root) else {
                throw PyTorchError(file: file, member: member, reason: .missingKey(path))
            }
            return Selection(tensors: try tensors(under: value), key: path,
                             skipped: skippedKeys(root, except: first, holders: tensorHolders()))
        case .automatic:
            guard case let .dict(index) = root else { return Selection(tensors: try tensors(under: root), key: nil, skipped: []) }
            let dict = graph.dicts[index]
            let holdsTensors = dict.values.contains { if case .tensor = $0 { true } else { false } }
            if !holdsTensors {
                let holders = tensorHolders()
                for key in PyTorchZip.stateDictKeys {
                    guard let value = dict[.string(key)], value.isDict, containsTensor(value, holders: holders) else { continue }
                    return Selection(tensors: try tensors(under: value), key: key,
                                     skipped: skippedKeys(root, except: key, holders: holders))
                }
            }
            return Selection(tensors: try tensors(under: root), key: nil, skipped: [])
        }
    }

    /// Every tensor under `value`, named relative to it.
    ///
    /// Linear in the containers walked: a path is kept as a link to its parent's path and
    /// spelled out only for a tensor. Refuses a tensor or container more than
    /// ``Unpickler/Limits/nesting`` containers deep (a list filled after it was nested can
    /// escape the unpickler's own count).
    func tensors(under value: PickleValue) throws(PyTorchError) -> [(name: String, tensor: Int)] {
        var result: [(name: String, tensor: Int)] = []
        var visited = Set<Container>()
        var paths = PathTree()
        var pending: [(value: PickleValue, path: Int, level: Int)] = [(value, PathTree.root, 0)]
        while let (value, path, level) = pending.popLast() {
            if case let .tensor(index) = value {
                result.append((paths.name(path), index))
                continue
            }
            guard let children = children(of: value, visited: &visited) else { continue }
            guard level < nesting else { throw nestingError() }
            for (key, child) in children.reversed() {
                pending.append((child, paths.add(key, under: path), level + 1))
            }
        }
        return result
    }

    /// The keys (or indices) and values of a container not visited yet, nil for anything else.
    private func children(of value: PickleValue, visited: inout Set<Container>) -> [(String, PickleValue)]? {
        switch value {
        case let .dict(index):
            guard visited.insert(.dict(index)).inserted else { return nil }
            let dict = graph.dicts[index]
            return zip(dict.keys, dict.values).map { ($0.pathComponent, $1) }
        case let .list(index):
            guard visited.insert(.list(index)).inserted else { return nil }
            return graph.lists[index].enumerated().map { (String($0), $1) }
        case let .tuple(index):
            guard visited.insert(.tuple(index)).inserted else { return nil }
            return graph.tuples[index].enumerated().map { (String($0), $1) }
        default:
            return nil
        }
    }

    private func nestingError() -> PyTorchError {
        PyTorchError(file: file, member: member,
                     reason: .limitExceeded(what: "levels of nested containers", limit: nesting))
    }

    /// Whether any tensor lies under `value`; `holders` comes from ``tensorHolders()``.
    private func containsTensor(_ value: PickleValue, holders: Set<Container>) -> Bool {
        switch value {
        case .tensor: true
        case let .dict(index): holders.contains(.dict(index))
        case let .list(index): holders.contains(.list(index))
        case let .tuple(index): holders.contains(.tuple(index))
        default: false
        }
    }

    /// Every container a tensor can be reached from, in one pass over the graph (edges
    /// reversed, walked back from the tensors): asking it about many entries that share a big
    /// container stays linear, where a walk per entry would be quadratic.
    private func tensorHolders() -> Set<Container> {
        var parents: [Container: [Container]] = [:]
        var pending: [Container] = []
        func link(_ parent: Container, _ children: [PickleValue]) {
            for child in children {
                switch child {
                case .tensor: pending.append(parent)
                case let .dict(index): parents[.dict(index), default: []].append(parent)
                case let .list(index): parents[.list(index), default: []].append(parent)
                case let .tuple(index): parents[.tuple(index), default: []].append(parent)
                default: continue
                }
            }
        }
        for (index, dict) in graph.dicts.enumerated() { link(.dict(index), dict.values) }
        for (index, list) in graph.lists.enumerated() { link(.list(index), list) }
        for (index, tuple) in graph.tuples.enumerated() { link(.tuple(index), tuple) }
        var holders = Set<Container>()
        while let container = pending.popLast() {
            guard holders.insert(container).inserted else { continue }
            pending.append(contentsOf: parents[container] ?? [])
        }
        return holders
    }

    /// Simple values reachable from `root` through dicts only (lists of numbers, such as an
    /// optimizer's parameter indices, are not metadata), leaving out the top-level entries in
    /// `skipping`. At most ``PyTorchZip/maxRecordedValues``; long strings, non-finite floats
    /// and integers a manifest cannot hold exactly are left out.
    func values(root: PickleValue, skipping: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        var visited = Set<Container>()
        var paths = PathTree()
        var pending: [(value: PickleValue, path: Int, level: Int)] = [(root, PathTree.root, 0)]
        while let (value, path, level) = pending.popLast(), result.count < PyTorchZip.maxRecordedValues {
            let isTop = path == PathTree.root
            switch value {
            case let .dict(index):
                // Deeper values are left out (tensors that deep were refused by `tensors(under:)`).
                guard level < nesting, visited.insert(.dict(index)).inserted else { continue }
                let dict = graph.dicts[index]
                for (key, child) in zip(dict.keys, dict.values).reversed() {
                    if isTop, skipping.contains(key.pathComponent) { continue }
                    pending.append((child, paths.add(key.pathComponent, under: path), level + 1))
                }
            case .none where !isTop: result[paths.name(path)] = .null
            case let .bool(flag) where !isTop: result[paths.name(path)] = .bool(flag)
            case let .int(number) where !isTop && number.magnitude <= UInt64(Shape.maxElementCount):
                result[paths.name(path)] = .integer(number)
            case let .float(number) where !isTop && number.isFinite: result[paths.name(path)] = .number(number)
            case let .string(text) where !isTop && text.utf8.count <= PyTorchZip.maxRecordedStringBytes:
                result[paths.name(path)] = .string(text)
            default: continue
            }
        }
        return result
    }

    /// The entry at `path` (a top-level key, else a dotted path through dicts) and the
    /// top-level key it lies under.
    private func lookup(_ path: String, in root: PickleValue) -> (PickleValue, String)? {
        guard case let .dict(index) = root else { return nil }
        if let value = graph.dicts[index][.string(path)] { return (value, path) }
        var current = root
        let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for component in components {
            guard case let .dict(dictIndex) = current else { return nil }
            let dict = graph.dicts[dictIndex]
            guard let next = dict[.string(component)] ?? Int64(component).flatMap({ dict[.int($0)] }) else { return nil }
            current = next
        }
        return components.first.map { (current, $0) }
    }

    /// Top-level keys other than `selected` whose entries hold tensors.
    private func skippedKeys(_ root: PickleValue, except selected: String, holders: Set<Container>) -> [String] {
        guard case let .dict(index) = root else { return [] }
        let dict = graph.dicts[index]
        return zip(dict.keys, dict.values).compactMap { key, value in
            key.pathComponent != selected && containsTensor(value, holders: holders) ? key.pathComponent : nil
        }
    }

}

/// Dotted paths as a tree of (parent, component) links, so that walking a deep container
/// costs one entry per step and a name is spelled out only when it is needed.
private struct PathTree {
    /// The empty path (the walk's starting value).
    static let root = 0
    private var parents: [Int] = [-1]
    private var components: [String] = [""]

    /// The path `parent` + `.` + `component`.
    mutating func add(_ component: String, under parent: Int) -> Int {
        parents.append(parent)
        components.append(component)
        return parents.count - 1
    }

    /// The dotted name of `path` (empty for the root).
    func name(_ path: Int) -> String {
        var parts: [Substring] = []
        var node = path
        while node != Self.root {
            parts.append(components[node][...])
            node = parents[node]
        }
        return parts.reversed().joined(separator: ".")
    }
}
