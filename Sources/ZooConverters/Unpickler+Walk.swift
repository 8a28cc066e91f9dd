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
            return Selection(tensors: tensors(under: root), key: nil, skipped: [])
        case let .key(path):
            guard let (value, first) = lookup(path, in: root) else {
                throw PyTorchError(file: file, member: member, reason: .missingKey(path))
            }
            return Selection(tensors: tensors(under: value), key: path, skipped: skippedKeys(root, except: first))
        case .automatic:
            guard case let .dict(index) = root else { return Selection(tensors: tensors(under: root), key: nil, skipped: []) }
            let dict = graph.dicts[index]
            let holdsTensors = dict.values.contains { if case .tensor = $0 { true } else { false } }
            if !holdsTensors {
                for key in PyTorchZip.stateDictKeys {
                    guard let value = dict[.string(key)], value.isDict, containsTensor(value) else { continue }
                    return Selection(tensors: tensors(under: value), key: key, skipped: skippedKeys(root, except: key))
                }
            }
            return Selection(tensors: tensors(under: root), key: nil, skipped: [])
        }
    }

    /// Every tensor under `value`, named relative to it.
    func tensors(under value: PickleValue) -> [(name: String, tensor: Int)] {
        var result: [(name: String, tensor: Int)] = []
        var visited = Set<Container>()
        var pending: [(value: PickleValue, name: String)] = [(value, "")]
        while let (value, name) = pending.popLast() {
            switch value {
            case let .tensor(index):
                result.append((name, index))
            case let .dict(index):
                guard visited.insert(.dict(index)).inserted else { continue }
                let dict = graph.dicts[index]
                for (key, child) in zip(dict.keys, dict.values).reversed() {
                    pending.append((child, Self.join(name, key.pathComponent)))
                }
            case let .list(index):
                guard visited.insert(.list(index)).inserted else { continue }
                for (position, child) in graph.lists[index].enumerated().reversed() {
                    pending.append((child, Self.join(name, String(position))))
                }
            case let .tuple(index):
                guard visited.insert(.tuple(index)).inserted else { continue }
                for (position, child) in graph.tuples[index].enumerated().reversed() {
                    pending.append((child, Self.join(name, String(position))))
                }
            default:
                continue
            }
        }
        return result
    }

    /// Whether any tensor lies under `value`.
    func containsTensor(_ value: PickleValue) -> Bool {
        var visited = Set<Container>()
        var pending = [value]
        while let value = pending.popLast() {
            switch value {
            case .tensor: return true
            case let .dict(index):
                if visited.insert(.dict(index)).inserted { pending.append(contentsOf: graph.dicts[index].values) }
            case let .list(index):
                if visited.insert(.list(index)).inserted { pending.append(contentsOf: graph.lists[index]) }
            case let .tuple(index):
                if visited.insert(.tuple(index)).inserted { pending.append(contentsOf: graph.tuples[index]) }
            default: continue
            }
        }
        return false
    }

    /// Simple values reachable from `root` through dicts only (lists of numbers, such as an
    /// optimizer's parameter indices, are not metadata), leaving out the top-level entries in
    /// `skipping`. At most ``PyTorchZip/maxRecordedValues``; long strings, non-finite floats
    /// and integers a manifest cannot hold exactly are left out.
    func values(root: PickleValue, skipping: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        var visited = Set<Container>()
        var pending: [(value: PickleValue, name: String)] = [(root, "")]
        while let (value, name) = pending.popLast(), result.count < PyTorchZip.maxRecordedValues {
            switch value {
            case let .dict(index):
                guard visited.insert(.dict(index)).inserted else { continue }
                let dict = graph.dicts[index]
                for (key, child) in zip(dict.keys, dict.values).reversed() {
                    if name.isEmpty, skipping.contains(key.pathComponent) { continue }
                    pending.append((child, Self.join(name, key.pathComponent)))
                }
            case .none where !name.isEmpty: result[name] = .null
            case let .bool(flag) where !name.isEmpty: result[name] = .bool(flag)
            case let .int(number) where !name.isEmpty && number.magnitude <= UInt64(Shape.maxElementCount):
                result[name] = .integer(number)
            case let .float(number) where !name.isEmpty && number.isFinite: result[name] = .number(number)
            case let .string(text) where !name.isEmpty && text.utf8.count <= PyTorchZip.maxRecordedStringBytes:
                result[name] = .string(text)
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
    private func skippedKeys(_ root: PickleValue, except selected: String) -> [String] {
        guard case let .dict(index) = root else { return [] }
        let dict = graph.dicts[index]
        return zip(dict.keys, dict.values).compactMap { key, value in
            key.pathComponent != selected && containsTensor(value) ? key.pathComponent : nil
        }
    }

    private static func join(_ prefix: String, _ component: String) -> String {
        prefix.isEmpty ? component : prefix + "." + component
    }
}
