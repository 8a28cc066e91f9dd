import ZooFormat

/// The globals a state dict pickle may name: the whole allow-list. Any other global
/// (`os.system`, `builtins.eval`, `__builtin__.getattr`, `torch.nn.modules.linear.Linear`...)
/// is refused where it appears, before anything uses it.
enum TorchGlobal: Equatable, Sendable {
    /// `collections.OrderedDict`: called with `()`, makes an empty dict.
    case orderedDict
    /// `torch._utils._rebuild_tensor(storage, storage_offset, size, stride)`.
    case rebuildTensor
    /// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor_v3(..., backward_hooks, dtype[, metadata])`, for dtypes
    /// without a typed storage (float8, uint16/32/64): the storage is untyped bytes.
    case rebuildTensorV3
    /// `torch._utils._rebuild_parameter(data, requires_grad, backward_hooks)`.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, backward_hooks, state)`.
    case rebuildParameterWithState
    /// `torch.<T>Storage`, only inside a persistent id.
    case storageType(DType)
    /// `torch.storage.UntypedStorage`, only inside a persistent id.
    case untypedStorage
    /// `torch.<dtype>` (e.g. `torch.float8_e4m3fn`), only as `_rebuild_tensor_v3`'s dtype.
    case dtype(DType)

    /// The allow-list, by `module.name`.
    static let allowed: [String: TorchGlobal] = {
        var table: [String: TorchGlobal] = [
            "collections.OrderedDict": .orderedDict,
            "torch._utils._rebuild_tensor": .rebuildTensor,
            "torch._utils._rebuild_tensor_v2": .rebuildTensorV2,
            "torch._utils._rebuild_tensor_v3": .rebuildTensorV3,
            "torch._utils._rebuild_parameter": .rebuildParameter,
            "torch._utils._rebuild_parameter_with_state": .rebuildParameterWithState,
            "torch.storage.UntypedStorage": .untypedStorage,
            "torch.UntypedStorage": .untypedStorage,
        ]
        for (name, dtype) in storageTypes { table["torch." + name] = .storageType(dtype) }
        for (name, dtype) in dtypes { table["torch." + name] = .dtype(dtype) }
        return table
    }()

    /// `torch.<T>Storage` names and their dtypes (`torch.storage._dtype_to_storage_type_map`).
    static let storageTypes: [String: DType] = [
        "DoubleStorage": .f64, "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    /// `torch.<dtype>` names zoo has a dtype for.
    static let dtypes: [String: DType] = [
        "float64": .f64, "float32": .f32, "float16": .f16, "bfloat16": .bf16, "int64": .i64, "int32": .i32,
        "int16": .i16, "int8": .i8, "uint8": .u8, "bool": .bool, "uint16": .u16, "uint32": .u32, "uint64": .u64,
        "float8_e4m3fn": .f8E4M3, "float8_e5m2": .f8E5M2,
    ]

    /// Torch storage types and dtypes that are real but have no zoo dtype: named as such in the
    /// error rather than as a forbidden global.
    static let unsupportedDTypes: Set<String> = [
        "torch.ComplexDoubleStorage", "torch.ComplexFloatStorage", "torch.QInt8Storage", "torch.QInt32Storage",
        "torch.QUInt8Storage", "torch.QUInt4x2Storage", "torch.QUInt2x4Storage", "torch.complex32",
        "torch.complex64", "torch.complex128", "torch.qint8", "torch.qint32", "torch.quint8", "torch.quint4x2",
        "torch.quint2x4", "torch.float8_e4m3fnuz", "torch.float8_e5m2fnuz", "torch.float8_e8m0fnu",
        "torch.float4_e2m1fn_x2", "torch.bits1x8", "torch.bits2x4", "torch.bits4x2", "torch.bits8", "torch.bits16",
    ]

    /// The global `module.name`, or an error naming it.
    static func resolve(
        module: String, name: String, failure: (PyTorchError.Reason) -> PyTorchError
    ) throws(PyTorchError) -> TorchGlobal {
        let qualified = module + "." + name
        if let global = allowed[qualified] { return global }
        if unsupportedDTypes.contains(qualified) { throw failure(.unsupportedDType(qualified)) }
        throw failure(.globalNotAllowed(qualified))
    }

    /// The global's `module.name`.
    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: return "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .untypedStorage: return "torch.storage.UntypedStorage"
        case let .storageType(dtype):
            return "torch." + (Self.storageTypes.first { $0.value == dtype }?.key ?? dtype.rawValue)
        case let .dtype(dtype):
            return "torch." + (Self.dtypes.first { $0.value == dtype }?.key ?? dtype.rawValue)
        }
    }
}

extension Unpickler {
    /// `REDUCE` of an allow-listed global: checks the arguments' number and kinds and builds
    /// the value the function would return. Storage types and dtypes are not callable.
    mutating func call(_ function: TorchGlobal, _ arguments: [PickleValue]) throws(PyTorchError) -> PickleValue {
        let name = function.qualifiedName
        func invalid(_ why: String) -> PyTorchError { fail(.invalidCall(function: name, why: why)) }
        switch function {
        case .orderedDict:
            guard arguments.isEmpty else { throw invalid("expected no arguments, got \(arguments.count)") }
            graph.dicts.append(PickleDict())
            return .dict(graph.dicts.count - 1)

        case .rebuildTensor, .rebuildTensorV2, .rebuildTensorV3:
            let counts: ClosedRange<Int> = switch function {
            case .rebuildTensor: 4...4
            case .rebuildTensorV2: 6...7
            default: 7...8
            }
            guard counts.contains(arguments.count) else {
                throw invalid("expected \(counts.lowerBound == counts.upperBound ? "\(counts.lowerBound)" : "\(counts.lowerBound) or \(counts.upperBound)") arguments, got \(arguments.count)")
            }
            guard case let .storage(storageIndex) = arguments[0] else {
                throw invalid("argument 1 (storage) is a \(arguments[0].typeName), not a storage")
            }
            let storage = graph.storages[storageIndex]
            guard case let .int(offset) = arguments[1], offset >= 0, let storageOffset = Int(exactly: offset) else {
                throw invalid("argument 2 (storage_offset) is not a non-negative integer")
            }
            let shape = try integers(arguments[2], what: "argument 3 (size)", invalid: invalid)
            let strides = try integers(arguments[3], what: "argument 4 (stride)", invalid: invalid)
            guard shape.count == strides.count else {
                throw invalid("size has \(shape.count) dimensions, stride \(strides.count)")
            }
            guard shape.count <= Shape.maxRank else { throw invalid("rank \(shape.count) is over \(Shape.maxRank)") }
            var flag: String?
            if function != .rebuildTensor {
                guard case .bool = arguments[4] else { throw invalid("argument 5 (requires_grad) is not a bool") }
                guard arguments[5].isDict else { throw invalid("argument 6 (backward_hooks) is not a dict") }
                let metadataIndex = function == .rebuildTensorV2 ? 6 : 7
                if arguments.count > metadataIndex { flag = try tensorFlag(arguments[metadataIndex], invalid: invalid) }
            }
            let dtype: DType
            if function == .rebuildTensorV3 {
                guard case let .global(.dtype(given)) = arguments[6] else {
                    throw invalid("argument 7 (dtype) is a \(arguments[6].typeName), not a torch dtype")
                }
                dtype = given
            } else {
                guard let typed = storage.dtype else { throw invalid("an untyped storage needs _rebuild_tensor_v3") }
                dtype = typed
            }
            graph.tensors.append(TorchTensor(
                storage: storageIndex, dtype: dtype, storageOffset: storageOffset, shape: shape, strides: strides,
                flag: flag, pickleOffset: opcodeOffset))
            return .tensor(graph.tensors.count - 1)

        case .rebuildParameter, .rebuildParameterWithState:
            let count = function == .rebuildParameter ? 3 : 4
            guard arguments.count == count else { throw invalid("expected \(count) arguments, got \(arguments.count)") }
            guard case .tensor = arguments[0] else { throw invalid("argument 1 (data) is a \(arguments[0].typeName), not a tensor") }
            guard case .bool = arguments[1] else { throw invalid("argument 2 (requires_grad) is not a bool") }
            guard arguments[2].isDict else { throw invalid("argument 3 (backward_hooks) is not a dict") }
            // A parameter is its tensor; python attributes in `state` are not weights.
            return arguments[0]

        case .storageType, .untypedStorage, .dtype:
            throw fail(.wrongType(opcode: "REDUCE", expected: "an allow-listed function", found: name))
        }
    }

    /// A tuple of non-negative integers that fit `Int`.
    private func integers(
        _ value: PickleValue, what: String, invalid: (String) -> PyTorchError
    ) throws(PyTorchError) -> [Int] {
        guard case let .tuple(index) = value else { throw invalid("\(what) is a \(value.typeName), not a tuple") }
        var result: [Int] = []
        result.reserveCapacity(graph.tuples[index].count)
        for item in graph.tuples[index] {
            guard case let .int(number) = item, number >= 0, let exact = Int(exactly: number) else {
                throw invalid("\(what) holds something other than a non-negative integer")
            }
            result.append(exact)
        }
        return result
    }

    /// The tensor metadata (`torch._utils.get_tensor_metadata`: `{"conj": bool, "neg": bool}`):
    /// the name of the bit that is set, if any.
    private func tensorFlag(_ value: PickleValue, invalid: (String) -> PyTorchError) throws(PyTorchError) -> String? {
        if value == .none { return nil }
        guard case let .dict(index) = value else { throw invalid("metadata is a \(value.typeName), not a dict") }
        let metadata = graph.dicts[index]
        for (key, flag) in zip(metadata.keys, metadata.values) {
            guard case let .string(name) = key, name == "conj" || name == "neg", case let .bool(isSet) = flag else {
                throw invalid("metadata holds \"\(key.pathComponent)\", only the bools conj and neg are known")
            }
            if isSet { return name }
        }
        return nil
    }

    /// `BINPERSID`: `('storage', torch.<T>Storage | torch.storage.UntypedStorage, key, location, numel)`.
    /// A key seen before must come with the same type and size.
    mutating func persistentLoad(_ id: PickleValue) throws(PyTorchError) -> PickleValue {
        func invalid(_ why: String) -> PyTorchError { fail(.invalidPersistentID(why: why)) }
        guard case let .tuple(index) = id else { throw invalid("a \(id.typeName), not a tuple") }
        let fields = graph.tuples[index]
        guard fields.count == 5 else { throw invalid("\(fields.count) fields, not 5") }
        guard fields[0] == .string("storage") else { throw invalid("the first field is not 'storage'") }
        let dtype: DType?
        switch fields[1] {
        case let .global(.storageType(typed)): dtype = typed
        case .global(.untypedStorage): dtype = nil
        default: throw invalid("the second field is a \(fields[1].typeName), not a storage type")
        }
        guard case let .string(key) = fields[2], Self.isSafeStorageKey(key) else {
            throw invalid("the storage key is not a plain member name")
        }
        guard case let .string(location) = fields[3] else { throw invalid("the location is not a string") }
        guard case let .int(numel) = fields[4], numel >= 0, let elementCount = Int(exactly: numel),
            let byteCount = (dtype ?? .u8).byteCount(elementCount: elementCount)
        else {
            throw invalid("numel is not a non-negative integer of a sane size")
        }
        let storage = TorchStorage(key: key, dtype: dtype, elementCount: elementCount, byteCount: byteCount, location: location)
        if let existing = storageIndex[key] {
            let known = graph.storages[existing]
            guard known.dtype == dtype, known.elementCount == elementCount else { throw fail(.storageConflict(key: key)) }
            return .storage(existing)
        }
        graph.storages.append(storage)
        storageIndex[key] = graph.storages.count - 1
        return .storage(graph.storages.count - 1)
    }

    /// Storage keys name members under `data/`: `torch.save` uses decimal numbers; anything
    /// with a slash, or `.`/`..`, is refused.
    static func isSafeStorageKey(_ key: String) -> Bool {
        guard !key.isEmpty, key.utf8.count <= 128, key != ".", key != ".." else { return false }
        return key.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }
}
