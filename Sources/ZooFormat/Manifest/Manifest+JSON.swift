/// The largest integer a manifest may hold: RFC 8785 numbers are IEEE doubles, exact to 2^53 - 1.
let maxExactInteger: Int64 = (1 << 53) - 1

extension Manifest {
    /// Parses and validates manifest bytes; `file` names them in errors.
    ///
    /// Enforces the size limit before parsing, then the JSON rules (UTF-8, no duplicate keys,
    /// bounded depth), the version rule, and every layout rule of ``validate(file:)``.
    public init(parsing bytes: [UInt8], file: String) throws(FormatError) {
        self = try bytes.withUnsafeBytes { raw in
            Result { () throws(FormatError) in try Manifest(parsing: raw, file: file) }
        }.get()
    }

    /// Parses and validates manifest bytes in place (no copy); `file` names them in errors.
    ///
    /// The common case goes through ``ManifestDecoder``, straight from the bytes; anything it
    /// does not handle (an error, escapes, unusual number forms) is decoded again by the generic
    /// path, so results and error messages are exactly the generic path's.
    package init(parsing bytes: UnsafeRawBufferPointer, file: String) throws(FormatError) {
        guard bytes.count <= Self.maxByteCount else {
            throw FormatError(file: file, reason: .manifestTooLarge(size: bytes.count, limit: Self.maxByteCount))
        }
        guard let decoded = ManifestDecoder.decode(bytes) else {
            self = try Self(genericParsing: bytes, file: file)
            return
        }
        try decoded.validate(file: file)
        self = decoded
    }

    /// The generic path: a ``JSONValue`` tree, then ``init(json:file:)`` and ``validate(file:)``.
    /// What ``init(parsing:file:)`` falls back to; `package` for the differential test and the benchmark.
    package init(genericParsing bytes: UnsafeRawBufferPointer, file: String) throws(FormatError) {
        guard bytes.count <= Self.maxByteCount else {
            throw FormatError(file: file, reason: .manifestTooLarge(size: bytes.count, limit: Self.maxByteCount))
        }
        var parser = JSONParser(bytes: bytes, maxDepth: JSONValue.defaultMaxDepth, saturatesIntegers: true)
        let json: JSONValue
        do {
            json = try parser.parseDocument()
        } catch {
            throw FormatError(file: file, offset: error.offset, reason: .json(error))
        }
        try self.init(json: json, file: file)
        try validate(file: file)
    }

    /// Decodes a parsed manifest (not yet validated: call ``validate(file:)``).
    public init(json: JSONValue, file: String) throws(FormatError) {
        try Self.checkNumbers(json, path: "manifest", file: file)
        var top = try Members(json, path: "manifest", file: file)
        let format = try top.string("format")
        guard format == Self.formatName else { throw FormatError(file: file, reason: .notACheckpoint(format: format)) }
        let version = try Self.version(try top.string("formatVersion"), file: file)
        let byteOrder = try top.string("byteOrder")
        guard byteOrder == "little" else { throw FormatError(file: file, reason: .unsupportedByteOrder(byteOrder)) }
        let architecture = try Self.architecture(try top.value("architecture"), version: version, file: file)

        var tensors: [TensorEntry] = []
        for (i, element) in try top.array("tensors").enumerated() {
            var t = try Members(element, path: "tensors[\(i)]", file: file)
            let name = try t.string("name")
            let dtypeText = try t.string("dtype")
            guard let dtype = DType(rawValue: dtypeText) else {
                throw FormatError(file: file, reason: .unknownDType(tensor: name, dtype: dtypeText))
            }
            var shape: [Int] = []
            for (j, dim) in try t.array("shape").enumerated() {
                shape.append(try Members.integer(dim, path: "tensors[\(i)].shape[\(j)]", file: file, allowNegative: true))
            }
            var entry = TensorEntry(
                name: name, dtype: dtype, shape: shape, shard: try t.integer("shard"), offset: try t.integer("offset"),
                length: try t.integer("length"), digest: try t.digest("digest"))
            entry.extraMembers = t.remaining
            tensors.append(entry)
        }
        let shards = try Self.files("shards", try top.value("shards"), file: file)
        let assets = try Self.files("assets", try top.value("assets"), file: file)
        let metadata = try top.object("metadata")
        // 1.1 defines `sourceOrder`; in a 1.0 manifest the member is unknown and kept as such.
        var sourceOrder: [Int]?
        if version >= Self.sourceOrderVersion, top.peek("sourceOrder") != nil {
            var order: [Int] = []
            let elements = try top.array("sourceOrder")
            order.reserveCapacity(elements.count)
            for (i, element) in elements.enumerated() {
                order.append(try Members.integer(element, path: "manifest.sourceOrder[\(i)]", file: file, allowNegative: false))
            }
            sourceOrder = order
        }
        // Members that are absent stay absent and explicit nulls stay null (as unknown members),
        // so that re-encoding gives the same bytes and the same digest.
        var lineage: Lineage?
        if let value = top.peek("lineage"), value != .null {
            lineage = try Self.lineage(try top.value("lineage"), file: file)
        }
        self.init(name: try top.string("name"), architecture: architecture, tensors: tensors, shards: shards,
                  assets: assets, metadata: metadata, lineage: lineage)
        self.formatVersion = version
        self.sourceOrder = sourceOrder
        self.extraMembers = top.remaining
    }

    // The parts below are shared by the generic path and ``ManifestDecoder``, which hands them
    // the (small) JSON values of the members that are not per tensor.

    /// The `formatVersion` member: `MAJOR.MINOR` of the major version this library reads.
    static func version(_ text: String, file: String) throws(FormatError) -> FormatVersion {
        guard let version = FormatVersion(parsing: text) else {
            throw FormatError(file: file, reason: .invalidVersion(text))
        }
        guard version.major == Self.currentVersion.major else {
            throw FormatError(file: file, reason: .unsupportedVersion(found: version, supported: Self.currentVersion))
        }
        return version
    }

    /// The `architecture` member.
    static func architecture(_ value: JSONValue, version: FormatVersion, file: String) throws(FormatError) -> Architecture {
        var arch = try Members(value, path: "architecture", file: file)
        let family = ModelFamily(rawValue: try arch.string("family"))
        // A newer minor version may add families: keep the name, treat it as "other".
        guard family.isKnown || version.minor > Self.currentVersion.minor else {
            throw FormatError(file: file, reason: .invalidMember("architecture.family",
                expected: ModelFamily.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        var architecture = Architecture(
            family: family, type: try arch.string("type"), config: try arch.object("config"),
            parameterCount: try arch.integer("parameterCount"))
        architecture.extraMembers = arch.remaining
        return architecture
    }

    /// The `shards` or `assets` member (`key`).
    static func files(_ key: String, _ value: JSONValue, file: String) throws(FormatError) -> [FileEntry] {
        guard case let .array(elements) = value else {
            throw FormatError(file: file, reason: .invalidMember("manifest.\(key)", expected: "an array"))
        }
        var entries: [FileEntry] = []
        entries.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            var f = try Members(element, path: "\(key)[\(i)]", file: file)
            var entry = FileEntry(path: try f.string("path"), length: try f.integer("length"), digest: try f.digest("digest"))
            entry.extraMembers = f.remaining
            entries.append(entry)
        }
        return entries
    }

    /// A `lineage` member that is not null.
    static func lineage(_ value: JSONValue, file: String) throws(FormatError) -> Lineage {
        var l = try Members(value, path: "lineage", file: file)
        var parent: SHA256Digest?
        if let p = l.peek("parent"), p != .null {
            parent = try Members.digest(try l.value("parent"), path: "lineage.parent", file: file)
        }
        // Spec §11.3: an object or null; free-form inside, but not any JSON value.
        let recipe = try l.optional("recipe")
        switch recipe {
        case nil, .null?, .object?: break
        default: throw FormatError(file: file, reason: .invalidMember("lineage.recipe", expected: "an object or null"))
        }
        var lineage = Lineage(parent: parent, recipe: recipe)
        lineage.extraMembers = l.remaining
        return lineage
    }

    /// The manifest as a JSON value (the inverse of ``init(json:file:)``).
    public var jsonValue: JSONValue {
        func file(_ f: FileEntry) -> JSONValue {
            .object(f.extraMembers.merging([
                "path": .string(f.path), "length": .integer(Int64(f.length)), "digest": .string(f.digest.description),
            ]) { _, known in known })
        }
        var top: [String: JSONValue] = [
            "format": .string(Self.formatName),
            "formatVersion": .string(formatVersion.description),
            "name": .string(name),
            "byteOrder": "little",
            "architecture": .object(architecture.extraMembers.merging([
                "family": .string(architecture.family.rawValue), "type": .string(architecture.type),
                "config": .object(architecture.config), "parameterCount": .integer(Int64(architecture.parameterCount)),
            ]) { _, known in known }),
            "tensors": .array(tensors.map { t in
                .object(t.extraMembers.merging([
                    "name": .string(t.name), "dtype": .string(t.dtype.rawValue),
                    "shape": .array(t.shape.map { .integer(Int64($0)) }), "shard": .integer(Int64(t.shard)),
                    "offset": .integer(Int64(t.offset)), "length": .integer(Int64(t.length)),
                    "digest": .string(t.digest.description),
                ]) { _, known in known })
            }),
            "shards": .array(shards.map(file)),
            "assets": .array(assets.map(file)),
            "metadata": .object(metadata),
        ]
        if let sourceOrder { top["sourceOrder"] = .array(sourceOrder.map { .integer(Int64($0)) }) }
        if let lineage {
            var members = lineage.extraMembers
            if let parent = lineage.parent { members["parent"] = .string(parent.description) }
            if let recipe = lineage.recipe { members["recipe"] = recipe }
            top["lineage"] = .object(members)
        }
        return .object(extraMembers.merging(top) { _, known in known })
    }
}

extension Manifest {
    /// Every number in a manifest must survive the canonical form unchanged: integers within
    /// +-(2^53-1), and no whole-valued double in [2^53, 1e21), which RFC 8785 would print as an
    /// integer out of that range (spec section 4.1).
    static func checkNumbers(_ value: JSONValue, path: String, file: String) throws(FormatError) {
        if let bad = firstInexactNumber(value) {
            throw FormatError(file: file, reason: .integerOutOfRange(([path] + bad.reversed()).joined()))
        }
    }

    /// The path (innermost component first) to the first number that breaks the rule, or nil.
    /// Paths are only built on failure: this walks every value of every manifest.
    static func firstInexactNumber(_ value: JSONValue) -> [String]? {
        switch value {
        case let .integer(i):
            return i >= -maxExactInteger && i <= maxExactInteger ? nil : []
        case let .number(d):
            guard d.isFinite else { return [] }  // only values built in code can hold NaN or infinity
            let magnitude = abs(d)
            return d.rounded() == d && magnitude > Double(maxExactInteger) && magnitude < 1e21 ? [] : nil
        case let .array(elements):
            for (i, element) in elements.enumerated() {
                if var path = firstInexactNumber(element) { path.append("[\(i)]"); return path }
            }
            return nil
        case let .object(members):
            for (key, member) in members {
                if var path = firstInexactNumber(member) { path.append("." + key); return path }
            }
            return nil
        case .null, .bool, .string:
            return nil
        }
    }
}

/// Reads the members of one JSON object, naming the member path in every error; what is left
/// unread at the end is `remaining` (unknown members from a newer minor version).
struct Members {
    // Read-only: mutating the dictionary would copy it out of the parsed tree (copy-on-write),
    // which cost more than the rest of decoding. Consumed keys are only counted.
    private let members: [String: JSONValue]
    private var consumed: [String] = []
    let path: String
    let file: String

    init(_ value: JSONValue, path: String, file: String) throws(FormatError) {
        guard case let .object(members) = value else {
            throw FormatError(file: file, reason: .invalidMember(path, expected: "an object"))
        }
        self.members = members
        self.path = path
        self.file = file
        consumed.reserveCapacity(members.count)
    }

    /// Members not read so far (unknown members from a newer minor version); usually none.
    var remaining: [String: JSONValue] {
        guard members.count > consumed.count else { return [:] }
        return members.filter { !consumed.contains($0.key) }
    }

    /// The member `key` without consuming it.
    func peek(_ key: String) -> JSONValue? { members[key] }

    mutating func optional(_ key: String) throws(FormatError) -> JSONValue? {
        guard let value = members[key] else { return nil }
        consumed.append(key)
        return value
    }

    mutating func value(_ key: String) throws(FormatError) -> JSONValue {
        guard let value = members[key] else {
            throw FormatError(file: file, reason: .missingMember("\(path).\(key)"))
        }
        consumed.append(key)
        return value
    }
    mutating func string(_ key: String) throws(FormatError) -> String {
        guard case let .string(s) = try value(key) else {
            throw FormatError(file: file, reason: .invalidMember("\(path).\(key)", expected: "a string"))
        }
        return s
    }

    mutating func array(_ key: String) throws(FormatError) -> [JSONValue] {
        guard case let .array(a) = try value(key) else {
            throw FormatError(file: file, reason: .invalidMember("\(path).\(key)", expected: "an array"))
        }
        return a
    }

    mutating func object(_ key: String) throws(FormatError) -> [String: JSONValue] {
        guard case let .object(o) = try value(key) else {
            throw FormatError(file: file, reason: .invalidMember("\(path).\(key)", expected: "an object"))
        }
        return o
    }

    mutating func integer(_ key: String) throws(FormatError) -> Int {
        let path = self.path
        return try Self.integer(try value(key), path: "\(path).\(key)", file: file, allowNegative: false)
    }

    mutating func digest(_ key: String) throws(FormatError) -> SHA256Digest {
        let path = self.path
        return try Self.digest(try value(key), path: "\(path).\(key)", file: file)
    }

    static func integer(
        _ value: JSONValue, path: @autoclosure () -> String, file: String, allowNegative: Bool
    ) throws(FormatError) -> Int {
        // A whole-valued double such as 24.0 canonicalises to 24, so it is the same integer.
        guard let i = value.integerValue else {
            throw FormatError(file: file, reason: .invalidMember(path(), expected: "an integer"))
        }
        // Negative dims are reported by shape validation with the tensor's name; other members are counts.
        guard i >= -maxExactInteger, i <= maxExactInteger, allowNegative || i >= 0 else {
            throw FormatError(file: file, reason: .integerOutOfRange(path()))
        }
        return Int(i)
    }

    static func digest(_ value: JSONValue, path: @autoclosure () -> String, file: String) throws(FormatError) -> SHA256Digest {
        guard case let .string(s) = value, let digest = SHA256Digest(parsing: s) else {
            throw FormatError(file: file, reason: .invalidMember(path(), expected: "\"sha256:\" and 64 lowercase hex digits"))
        }
        return digest
    }
}
