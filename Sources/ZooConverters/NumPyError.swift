import ZooFormat

/// Why a `.npy` or `.npz` file was rejected, or a checkpoint could not be written as `.npz`, and where.
///
/// `file` names the file (for an `.npz`, the archive; `member` then names the `.npy` inside) and
/// `offset` the byte in the file or member where the check failed, when one applies.
///
/// ```swift
/// do { _ = try NumPyImporter().importFile("weights.npz", to: "out") }
/// catch { print(error) }   // "weights.npz: member path \"../evil.npy\" could leave the archive ..."
/// ```
public struct NumPyError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        // MARK: .npy header

        /// The file does not start with `\x93NUMPY`.
        case notNumPy
        /// A format version other than 1.0, 2.0 and 3.0.
        case unsupportedVersion(major: UInt8, minor: UInt8)
        /// The file ends inside the header (or before its declared length).
        case truncatedHeader
        /// The header length is over ``NumPy/maxHeaderBytes``.
        case headerTooLarge(declared: Int)
        /// The header is not the dict literal NumPy writes; `why` says what was found.
        case invalidHeader(why: String)
        /// A dtype zoo has no equivalent for (objects, strings, complex, datetimes, structured...).
        case unsupportedDType(descr: String, why: String)
        /// Element count times width overflows (or passes 2^53 - 1).
        case sizeOverflow
        /// The data is shorter or longer than the header's shape needs.
        case dataLength(expected: Int, actual: Int)
        /// A Fortran-order array inside an `.npz` too large to transpose in memory.
        case fortranTooLarge(bytes: Int)

        // MARK: .npz archive

        /// libarchive could not read or write the archive.
        case archive(String)
        /// The zip container is malformed or ambiguous (see ``ZipArchive``): a broken, truncated
        /// or inconsistent central directory, local headers that disagree with it, bytes no
        /// member accounts for.
        case invalidZip(PyTorchError.Reason)
        /// A member whose name minus `.npy` is not a safe tensor name (`..npy` would be tensor `.`).
        case memberTensorName(member: String, tensor: String)
        /// A member's data does not have the CRC-32 the central directory records.
        case crcMismatch(expected: UInt32, actual: UInt32)
        /// A member decompresses to another size than the central directory records.
        case memberSizeMismatch(expected: Int, actual: Int)
        /// The members' declared sizes add up to more than the file may expand to (``ExpansionLimit``).
        case outputTooLarge(bytes: Int, limit: Int)
        /// A member path that could escape a folder (absolute, `..`, backslash, NUL, empty).
        case unsafeMemberPath(String)
        /// A member that is a link, a folder or anything but a regular file.
        case notRegularMember(String)
        /// An encrypted member.
        case encryptedMember(String)
        /// A member whose name does not end in `.npy`.
        case notNpyMember(String)
        /// Two members with the same name.
        case duplicateMember(String)

        // MARK: Export

        /// A dtype NumPy has no type for (`BF16`, `F8_*`, `Q8_0`).
        case noNumPyDType(tensor: String, dtype: DType)
        /// A tensor name that cannot be an archive member (absolute, `..`...).
        case unsafeTensorName(String)

        // MARK: Wrapped

        /// A system call failed.
        case io(IOError)
        /// The zoo checkpoint being written or read rejected something.
        case checkpoint(FormatError)
    }

    /// The file the problem is in.
    public var file: String
    /// The `.npy` member of an `.npz` archive, when the problem is inside one.
    public var member: String?
    /// The byte offset in the file (or the member) where the check failed, when one applies.
    public var offset: Int?
    /// What was wrong.
    public var reason: Reason

    public init(file: String, member: String? = nil, offset: Int? = nil, reason: Reason) {
        self.file = file
        self.member = member
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .io(error): return error.description
        case let .checkpoint(error): return error.description
        default: break
        }
        var place = file
        if let member { place += ": member \(member)" }
        if let offset { place += ": byte \(offset)" }
        return "\(place): \(reason)"
    }
}

extension NumPyError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notNumPy: "not a .npy file (it does not start with \\x93NUMPY)"
        case let .unsupportedVersion(major, minor): ".npy format version \(major).\(minor) is not supported (zoo reads 1.0, 2.0 and 3.0)"
        case .truncatedHeader: "file ends inside the .npy header"
        case let .headerTooLarge(declared): "header declares \(declared) bytes, over the \(NumPy.maxHeaderBytes)-byte limit"
        case let .invalidHeader(why): "invalid .npy header: \(why)"
        case let .unsupportedDType(descr, why): "dtype '\(descr)' is not supported: \(why)"
        case .sizeOverflow: "element count times dtype width overflows"
        case let .dataLength(expected, actual): "array data is \(actual) bytes, its shape and dtype need \(expected)"
        case let .fortranTooLarge(bytes):
            "Fortran-order array of \(bytes) bytes inside an .npz is over the \(NumPy.maxFortranBytesInMemory)-byte limit for transposing in memory (save it in C order, or as a .npy file)"
        case let .archive(message): "cannot read the zip archive: \(message)"
        case let .invalidZip(reason): "invalid zip archive: \(reason)"
        case let .memberTensorName(member, tensor):
            "member \"\(member)\" would be tensor '\(tensor)', which is not a safe tensor name (empty, . or .. component)"
        case let .crcMismatch(expected, actual):
            "CRC-32 is \(hex(actual)), the central directory records \(hex(expected)) (damaged data)"
        case let .memberSizeMismatch(expected, actual):
            "decompresses to \(actual) bytes, the central directory records \(expected)"
        case let .outputTooLarge(bytes, limit):
            "the members declare \(bytes) bytes in all, more than this file may expand to (\(limit) bytes: "
                + "\(ExpansionLimit.factor)x its size, at least \(ExpansionLimit.floorBytes >> 20) MiB)"
        case let .unsafeMemberPath(path): "member path \"\(path)\" could leave the archive (absolute, .., backslash or empty component)"
        case let .notRegularMember(path): "member \"\(path)\" is not a regular file (links and folders are refused)"
        case let .encryptedMember(path): "member \"\(path)\" is encrypted"
        case let .notNpyMember(path): "member \"\(path)\" is not a .npy array"
        case let .duplicateMember(path): "member \"\(path)\" appears twice"
        case let .noNumPyDType(tensor, dtype) where dtype.isCarriedOnly:
            "tensor '\(tensor)' is \(dtype.rawValue), which zoo carries bit-exact but cannot write to NumPy or convert "
                + "(export it to safetensors)"
        case let .noNumPyDType(tensor, dtype):
            "tensor '\(tensor)' is \(dtype.rawValue), which NumPy has no dtype for (convert it first, e.g. --dtype f32)"
        case let .unsafeTensorName(name): "tensor name '\(name)' cannot be an .npz member (absolute, .., backslash or empty component)"
        case let .io(error): error.description
        case let .checkpoint(error): error.description
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
