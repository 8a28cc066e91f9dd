import ZooFormat

/// A value built by the restricted ``Unpickler``.
///
/// Containers, storages and tensors are indices into the ``PickleGraph`` that owns them, so a
/// value is flat: however deeply a hostile pickle nests its containers (or makes them contain
/// themselves), nothing is reference-counted or torn down recursively.
enum PickleValue: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case tuple(Int)
    case list(Int)
    case dict(Int)
    /// An allow-listed global (a function, a storage type or a dtype).
    case global(TorchGlobal)
    /// A storage from a persistent id: an index into ``PickleGraph/storages``.
    case storage(Int)
    /// A tensor from a rebuild call: an index into ``PickleGraph/tensors``.
    case tensor(Int)

    /// The Python type name, for errors.
    var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case let .global(global): global.qualifiedName
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// A dictionary key: the unpickler accepts strings and integers (a `bool` key is the integer
/// 0 or 1, as in Python).
enum PickleKey: Hashable, Sendable {
    case string(String)
    case int(Int64)

    /// The key as one component of a dotted tensor name.
    var pathComponent: String {
        switch self {
        case let .string(text): text
        case let .int(number): String(number)
        }
    }
}

/// A Python dict: insertion-ordered, a repeated key replaces the value in place.
struct PickleDict: Sendable {
    private(set) var keys: [PickleKey] = []
    private(set) var values: [PickleValue] = []
    private var index: [PickleKey: Int] = [:]

    mutating func set(_ key: PickleKey, _ value: PickleValue) {
        if let existing = index[key] {
            values[existing] = value
        } else {
            index[key] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    subscript(key: PickleKey) -> PickleValue? { index[key].map { values[$0] } }

    var count: Int { keys.count }
}

/// A storage named by a persistent id `('storage', torch.<T>Storage, key, location, numel)`:
/// the zip member `<archive>/data/<key>`.
struct TorchStorage: Equatable, Sendable {
    /// The member name under `data/`.
    let key: String
    /// The storage type's dtype; nil for `torch.storage.UntypedStorage` (bytes; the tensor
    /// names the dtype, `_rebuild_tensor_v3`).
    let dtype: DType?
    /// Elements of `dtype` (bytes for an untyped storage), as the persistent id declares.
    let elementCount: Int
    /// `elementCount` x element size: the member's expected size.
    let byteCount: Int
    /// Where the tensor lived when saved (`cpu`, `cuda:0`...); zoo does not need it.
    let location: String
}

/// A tensor from `torch._utils._rebuild_tensor[_v2|_v3]` (or a parameter wrapping one): a
/// strided view of a storage, in elements of `dtype`.
struct TorchTensor: Equatable, Sendable {
    /// Index into ``PickleGraph/storages``.
    let storage: Int
    let dtype: DType
    let storageOffset: Int
    let shape: [Int]
    let strides: [Int]
    /// `conj` or `neg` when the metadata sets that bit (refused once the tensor has a name).
    let flag: String?
    /// Offset in the pickle of the `REDUCE` that built it, for errors.
    let pickleOffset: Int
}

/// Everything one pickle built; values refer into it by index.
struct PickleGraph: Sendable {
    var tuples: [[PickleValue]] = []
    var lists: [[PickleValue]] = []
    var dicts: [PickleDict] = []
    /// One per storage key.
    var storages: [TorchStorage] = []
    var tensors: [TorchTensor] = []
}
