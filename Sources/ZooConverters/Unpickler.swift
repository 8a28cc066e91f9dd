import ZooFormat

/// A restricted pickle machine for PyTorch state dicts: it understands exactly the opcodes
/// (``PickleOpcode``) and globals (``TorchGlobal``) that `torch.save` writes for a state dict
/// and refuses anything else with an error naming the opcode or global and its byte offset.
/// Nothing is ever imported, called or executed: the allow-listed "calls" (`OrderedDict()`,
/// `_rebuild_tensor_v2(...)`, ...) only build ``PickleValue``s after checking their arguments.
///
/// The machine is iterative (no recursion) and bounded (``Limits``): values pushed, stack
/// depth, memo entries, open marks, container nesting; strings and frames are checked against
/// the bytes left before they are read. Every opcode costs time proportional to the values it
/// pops or pushes, so a pickle runs in time linear in its size.
///
/// ```swift
/// let result = try Unpickler.load(pickleBytes, file: "model.pt", member: "archive/data.pkl")
/// if case let .dict(root) = result.root { print(result.graph.dicts[root].keys) }
/// ```
struct Unpickler {
    /// Bounds on what a pickle may make the machine hold.
    struct Limits: Sendable {
        /// Values pushed in all: each costs a stack or container slot (~24 bytes); a state dict
        /// needs ~25 per tensor, so the default allows ~400,000 tensors in ~250 MB at most.
        var values = 10_000_000
        /// Stack entries at once (a dict's items sit on the stack until `SETITEMS`).
        var stackDepth = 4_000_000
        /// Memo entries.
        var memo = 4_000_000
        /// Open `MARK`s at once.
        var marks = 100_000
        /// Containers nested in containers: a container's level is one more than its deepest
        /// element's (an empty one is level 1). CPython stops at its recursion limit of 1,000
        /// when it prints or copies such a value; a state dict nests fewer than 10. The bound
        /// keeps the dotted names (one component per level) and the walks over them short.
        var nesting = 1_000

        static let `default` = Limits()
    }

    /// A `GLOBAL` line (module or name) is at most this long.
    static let maxGlobalLineBytes = 256
    /// The protocols whose opcodes the machine reads.
    static let protocols = 2...5

    /// The unpickled object and the graph its containers, storages and tensors live in.
    struct Result {
        var root: PickleValue
        var graph: PickleGraph
    }

    let file: String
    let member: String
    let limits: Limits
    var graph = PickleGraph()
    private var reader: CheckedReader
    private var stack: [PickleValue] = []
    /// Stack heights at each open MARK.
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var pushed = 0
    /// Where the opcode being run starts.
    private(set) var opcodeOffset = 0
    /// Storage key -> index in ``PickleGraph/storages``.
    var storageIndex: [String: Int] = [:]
    /// Nesting level of each tuple, list and dict in ``graph`` (missing entries: level 1).
    private var tupleLevels: [Int] = []
    private var listLevels: [Int] = []
    private var dictLevels: [Int] = []

    /// Runs the pickle in `bytes` (the member `member` of `file`, named in errors) to its `STOP`.
    static func load(
        _ bytes: UnsafeRawBufferPointer, file: String, member: String, limits: Limits = .default
    ) throws(PyTorchError) -> Result {
        var machine = Unpickler(bytes, file: file, member: member, limits: limits)
        let root = try machine.run()
        return Result(root: root, graph: machine.graph)
    }

    private init(_ bytes: UnsafeRawBufferPointer, file: String, member: String, limits: Limits) {
        self.file = file
        self.member = member
        self.limits = limits
        self.reader = CheckedReader(bytes) { error in
            PyTorchError(file: file, member: member, offset: error.offset, reason: .truncatedPickle)
        }
    }

    /// An error at the current opcode.
    func fail(_ reason: PyTorchError.Reason) -> PyTorchError {
        PyTorchError(file: file, member: member, offset: opcodeOffset, reason: reason)
    }

    private mutating func run() throws(PyTorchError) -> PickleValue {
        while true {
            opcodeOffset = reader.offset
            let code = try reader.read(UInt8.self)
            guard let opcode = PickleOpcode(rawValue: code) else {
                throw fail(.unsupportedOpcode(code: code, name: PickleOpcode.name(of: code)))
            }
            switch opcode {
            case .proto:
                let version = Int(try reader.read(UInt8.self))
                guard Self.protocols.contains(version) else { throw fail(.unsupportedProtocol(version)) }
            case .frame:
                // Frames only group opcodes for buffered reading; the length must still be honest.
                let length = try reader.read(UInt64.self)
                guard length <= UInt64(reader.remaining) else { throw fail(.truncatedPickle) }
            case .stop:
                let result = try pop(opcode)
                guard reader.remaining == 0 else {
                    throw PyTorchError(file: file, member: member, offset: reader.offset,
                                       reason: .bytesAfterStop(count: reader.remaining))
                }
                return result

            // Scalars
            case .none: try push(.none)
            case .newTrue: try push(.bool(true))
            case .newFalse: try push(.bool(false))
            case .binInt: try push(.int(Int64(try reader.read(Int32.self))))
            case .binInt1: try push(.int(Int64(try reader.read(UInt8.self))))
            case .binInt2: try push(.int(Int64(try reader.read(UInt16.self))))
            case .long1: try push(.int(try readLong1()))
            case .binFloat:
                // The one big-endian field of the protocol (`read` gives the little-endian value).
                let bits = try reader.read(UInt64.self)
                try push(.float(Double(bitPattern: bits.byteSwapped)))
            case .binUnicode: try push(.string(try readString(length: UInt64(try reader.read(UInt32.self)))))
            case .shortBinUnicode: try push(.string(try readString(length: UInt64(try reader.read(UInt8.self)))))
            case .binUnicode8: try push(.string(try readString(length: try reader.read(UInt64.self))))

            // Containers
            case .mark:
                guard marks.count < limits.marks else { throw fail(.limitExceeded(what: "open MARKs", limit: limits.marks)) }
                marks.append(stack.count)
            case .emptyTuple: try push(try newTuple([]))
            case .tuple: try push(try newTuple(try popMark(opcode)))
            case .tuple1: try push(try newTuple(try pop(opcode, count: 1)))
            case .tuple2: try push(try newTuple(try pop(opcode, count: 2)))
            case .tuple3: try push(try newTuple(try pop(opcode, count: 3)))
            case .emptyList:
                graph.lists.append([])
                try push(.list(graph.lists.count - 1))
            case .emptyDict:
                graph.dicts.append(PickleDict())
                try push(.dict(graph.dicts.count - 1))
            case .append:
                let value = try pop(opcode)
                try appendToList(CollectionOfOne(value), opcode)
            case .appends:
                let values = try popMark(opcode)
                try appendToList(values, opcode)
            case .setItem:
                let pair = try pop(opcode, count: 2)
                try setItems(pair, opcode)
            case .setItems:
                let items = try popMark(opcode)
                guard items.count % 2 == 0 else { throw fail(.stackUnderflow(opcode: opcode.name)) }
                try setItems(items, opcode)

            // Memo
            case .binPut: try put(Int(try reader.read(UInt8.self)), opcode)
            case .longBinPut: try put(Int(try reader.read(UInt32.self)), opcode)
            case .memoize: try put(memo.count, opcode)
            case .binGet: try get(Int(try reader.read(UInt8.self)))
            case .longBinGet: try get(Int(try reader.read(UInt32.self)))

            // Globals, calls and storages
            case .global:
                let module = try readLine()
                let name = try readLine()
                try push(.global(try TorchGlobal.resolve(module: module, name: name, failure: fail)))
            case .stackGlobal:
                let names = try pop(opcode, count: 2)
                guard case let .string(module) = names[0], case let .string(name) = names[1] else {
                    throw fail(.wrongType(opcode: opcode.name, expected: "two strings",
                                          found: "\(names[0].typeName), \(names[1].typeName)"))
                }
                try push(.global(try TorchGlobal.resolve(module: module, name: name, failure: fail)))
            case .reduce:
                let call = try pop(opcode, count: 2)
                guard case let .global(function) = call[0] else {
                    throw fail(.wrongType(opcode: opcode.name, expected: "an allow-listed function", found: call[0].typeName))
                }
                guard case let .tuple(arguments) = call[1] else {
                    throw fail(.wrongType(opcode: opcode.name, expected: "an argument tuple", found: call[1].typeName))
                }
                try push(try self.call(function, graph.tuples[arguments]))
            case .build:
                let state = try pop(opcode)
                let target = try top(opcode)
                // nn.Module.state_dict() sets `_metadata` (module versions) on its OrderedDict: ignored.
                guard case .dict = target, state == .none || state.isDict else {
                    throw fail(.invalidBuild(found: "\(target.typeName) with a \(state.typeName) state"))
                }
            case .binPersID:
                let id = try pop(opcode)
                try push(try persistentLoad(id))
            }
        }
    }

    // MARK: Stack

    private mutating func push(_ value: PickleValue) throws(PyTorchError) {
        pushed += 1
        guard pushed <= limits.values else { throw fail(.limitExceeded(what: "pickle values", limit: limits.values)) }
        guard stack.count < limits.stackDepth else {
            throw fail(.limitExceeded(what: "stack entries", limit: limits.stackDepth))
        }
        stack.append(value)
    }

    /// The bottom of the current stack frame: values below the last MARK are out of reach.
    private var frameBase: Int { marks.last ?? 0 }

    private mutating func pop(_ opcode: PickleOpcode) throws(PyTorchError) -> PickleValue {
        guard stack.count > frameBase, let value = stack.popLast() else { throw fail(.stackUnderflow(opcode: opcode.name)) }
        return value
    }

    /// Pops `count` values, returned in stack order (the deepest first).
    private mutating func pop(_ opcode: PickleOpcode, count: Int) throws(PyTorchError) -> [PickleValue] {
        guard stack.count - frameBase >= count else { throw fail(.stackUnderflow(opcode: opcode.name)) }
        let values = Array(stack.suffix(count))
        stack.removeLast(count)
        return values
    }

    private func top(_ opcode: PickleOpcode) throws(PyTorchError) -> PickleValue {
        guard stack.count > frameBase, let value = stack.last else { throw fail(.stackUnderflow(opcode: opcode.name)) }
        return value
    }

    /// Pops everything above the last MARK, and the MARK.
    private mutating func popMark(_ opcode: PickleOpcode) throws(PyTorchError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail(.missingMark(opcode: opcode.name)) }
        let values = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return values
    }

    private mutating func newTuple(_ items: [PickleValue]) throws(PyTorchError) -> PickleValue {
        let level = try level(containing: items)
        graph.tuples.append(items)
        Self.setLevel(level, at: graph.tuples.count - 1, in: &tupleLevels)
        return .tuple(graph.tuples.count - 1)
    }

    private mutating func appendToList<C: Collection<PickleValue>>(_ values: C, _ opcode: PickleOpcode) throws(PyTorchError) {
        let target = try top(opcode)
        guard case let .list(index) = target else {
            throw fail(.wrongType(opcode: opcode.name, expected: "a list", found: target.typeName))
        }
        let level = try level(containing: values)
        graph.lists[index].append(contentsOf: values)
        Self.raiseLevel(to: level, at: index, in: &listLevels)
    }

    // MARK: Nesting

    /// The nesting level of a value: 0 for a scalar (a tensor or storage too), else its
    /// container's recorded level.
    private func level(of value: PickleValue) -> Int {
        switch value {
        case let .tuple(index): index < tupleLevels.count ? tupleLevels[index] : 1
        case let .list(index): index < listLevels.count ? listLevels[index] : 1
        case let .dict(index): index < dictLevels.count ? dictLevels[index] : 1
        default: 0
        }
    }

    /// The level of a container holding `items`, refused past ``Limits/nesting``.
    ///
    /// A list or dict filled after it was put in another container does not raise its
    /// holders' levels; ``PickleWalker`` bounds the nesting it walks as well.
    private func level<C: Collection<PickleValue>>(containing items: C) throws(PyTorchError) -> Int {
        var deepest = 0
        for item in items { deepest = max(deepest, level(of: item)) }
        guard deepest < limits.nesting else {
            throw fail(.limitExceeded(what: "levels of nested containers", limit: limits.nesting))
        }
        return deepest + 1
    }

    private static func setLevel(_ level: Int, at index: Int, in levels: inout [Int]) {
        while levels.count <= index { levels.append(1) }
        levels[index] = level
    }

    private static func raiseLevel(to level: Int, at index: Int, in levels: inout [Int]) {
        while levels.count <= index { levels.append(1) }
        levels[index] = max(levels[index], level)
    }

    /// Sets key-value pairs (`items` alternates them) into the dict on top of the stack.
    private mutating func setItems(_ items: [PickleValue], _ opcode: PickleOpcode) throws(PyTorchError) {
        let target = try top(opcode)
        guard case let .dict(index) = target else {
            throw fail(.wrongType(opcode: opcode.name, expected: "a dict", found: target.typeName))
        }
        Self.raiseLevel(to: try level(containing: items), at: index, in: &dictLevels)
        var i = 0
        while i + 1 < items.count {
            let key: PickleKey
            switch items[i] {
            case let .string(text): key = .string(text)
            case let .int(number): key = .int(number)
            case let .bool(flag): key = .int(flag ? 1 : 0)
            default: throw fail(.unsupportedKey(found: items[i].typeName))
            }
            graph.dicts[index].set(key, items[i + 1])
            i += 2
        }
    }

    // MARK: Memo

    private mutating func put(_ index: Int, _ opcode: PickleOpcode) throws(PyTorchError) {
        let value = try top(opcode)
        if memo[index] == nil, memo.count >= limits.memo {
            throw fail(.limitExceeded(what: "memo entries", limit: limits.memo))
        }
        memo[index] = value
    }

    private mutating func get(_ index: Int) throws(PyTorchError) {
        guard let value = memo[index] else { throw fail(.missingMemo(index: index)) }
        try push(value)
    }

    // MARK: Arguments

    /// `LONG1`: a little-endian two's complement integer of up to 8 bytes.
    private mutating func readLong1() throws(PyTorchError) -> Int64 {
        let count = Int(try reader.read(UInt8.self))
        guard count <= 8 else { throw fail(.integerTooLarge(byteCount: count)) }
        let bytes = try reader.bytes(count: count)
        guard let last = bytes.last else { return 0 }
        var value: UInt64 = last & 0x80 != 0 ? .max : 0  // sign extension
        for byte in bytes.reversed() { value = value << 8 | UInt64(byte) }
        return Int64(bitPattern: value)
    }

    /// A UTF-8 string of `length` bytes (checked against the bytes left before reading).
    private mutating func readString(length: UInt64) throws(PyTorchError) -> String {
        guard length <= UInt64(reader.remaining) else { throw fail(.truncatedPickle) }
        let bytes = try reader.bytes(count: Int(length))
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail(.invalidString) }
        return text
    }

    /// A `GLOBAL` argument line: printable ASCII up to a newline, at most ``maxGlobalLineBytes``.
    private mutating func readLine() throws(PyTorchError) -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = try reader.read(UInt8.self)
            if byte == UInt8(ascii: "\n") { break }
            guard byte > 0x20, byte < 0x7f, bytes.count < Self.maxGlobalLineBytes else { throw fail(.invalidString) }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension PickleValue {
    var isDict: Bool { if case .dict = self { true } else { false } }
}
