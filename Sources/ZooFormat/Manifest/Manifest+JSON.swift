/// The largest integer a manifest may hold: RFC 8785 numbers are IEEE doubles, exact to 2^53 - 1.
let maxExactInteger: Int64 = (1 << 53) - 1

extension Manifest {
    /// Parses and validates manifest bytes; `file` names them in errors.
    ///
    /// Enforces the size limit before parsing, then the JSON rules (UTF-8, no duplicate keys,
    /// bounded depth), the version rule, and every layout rule of ``validate(file:)``.
    public init(parsing bytes: [UInt8], file: String) throws(FormatError) {
        guard bytes.count <= Self.maxByteCount else {
            throw FormatError(file: file, reason: .manifestTooLarge(size: bytes.count, limit: Self.maxByteCount))
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
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
        let versionText = try top.string("formatVersion")
        guard let version = FormatVersion(parsing: versionText) else {
            throw FormatError(file: file, reason: .invalidVersion(versionText))
        }
        guard version.major == Self.currentVersion.major else {
            throw FormatError(file: file, reason: .unsupportedVersion(found: version, supported: Self.currentVersion))
        }
        let byteOrder = try top.string("byteOrder")
        guard byteOrder == "little" else { throw FormatError(file: file, reason: .unsupportedByteOrder(byteOrder)) }

        var arch = try Members(try top.value("architecture"), path: "architecture", file: file)
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
        func files(_ key: String, _ value: JSONValue?) throws(FormatError) -> [FileEntry] {
            guard let value else { return [] }
            guard case let .array(elements) = value else {
                throw FormatError(file: file, reason: .invalidMember("manifest.\(key)", expected: "an array"))
            }
            var entries: [FileEntry] = []
            for (i, element) in elements.enumerated() {
                var f = try Members(element, path: "\(key)[\(i)]", file: file)
                var entry = FileEntry(path: try f.string("path"), length: try f.integer("length"), digest: try f.digest("digest"))
                entry.extraMembers = f.remaining
                entries.append(entry)
            }
            return entries
        }
        let shards = try files("shards", try top.value("shards"))
        let assets = try files("assets", try top.value("assets"))
        let metadata = try top.object("metadata")
        var lineage: Lineage?
        if let value = try top.optional("lineage"), value != .null {
            var l = try Members(value, path: "lineage", file: file)
            var parent: SHA256Digest?
            if let p = try l.optional("parent"), p != .null { parent = try Members.digest(p, path: "lineage.parent", file: file) }
            let recipe = try l.optional("recipe")
            lineage = Lineage(parent: parent, recipe: recipe == .null ? nil : recipe)
            lineage?.extraMembers = l.remaining
        }
        self.init(name: try top.string("name"), architecture: architecture, tensors: tensors, shards: shards,
                  assets: assets, metadata: metadata, lineage: lineage)
        self.formatVersion = version
        self.extraMembers = top.remaining
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
        if let lineage {
            top["lineage"] = .object(lineage.extraMembers.merging([
                "parent": lineage.parent.map { .string($0.description) } ?? .null,
                "recipe": lineage.recipe ?? .null,
            ]) { _, known in known })
        }
        return .object(extraMembers.merging(top) { _, known in known })
    }
}

extension Manifest {
    /// Every number in a manifest must survive the canonical form unchanged: integers within
    /// +-(2^53-1), and no whole-valued double in [2^53, 1e21), which RFC 8785 would print as an
    /// integer out of that range (spec section 4.1).
    static func checkNumbers(_ value: JSONValue, path: String, file: String) throws(FormatError) {
        switch value {
        case let .integer(i):
            guard i >= -maxExactInteger, i <= maxExactInteger else {
                throw FormatError(file: file, reason: .integerOutOfRange(path))
            }
        case let .number(d):
            let magnitude = abs(d)
            if d.rounded() == d, magnitude > Double(maxExactInteger), magnitude < 1e21 {
                throw FormatError(file: file, reason: .integerOutOfRange(path))
            }
        case let .array(elements):
            for (i, element) in elements.enumerated() { try checkNumbers(element, path: "\(path)[\(i)]", file: file) }
        case let .object(members):
            for (key, member) in members { try checkNumbers(member, path: "\(path).\(key)", file: file) }
        case .null, .bool, .string:
            break
        }
    }
}

/// Reads the members of one JSON object, naming the member path in every error; what is left
/// unread at the end is `remaining` (unknown members from a newer minor version).
struct Members {
    private var members: [String: JSONValue]
    let path: String
    let file: String

    init(_ value: JSONValue, path: String, file: String) throws(FormatError) {
        guard case let .object(members) = value else {
            throw FormatError(file: file, reason: .invalidMember(path, expected: "an object"))
        }
        self.members = members
        self.path = path
        self.file = file
    }

    var remaining: [String: JSONValue] { members }

    mutating func optional(_ key: String) throws(FormatError) -> JSONValue? { members.removeValue(forKey: key) }

    mutating func value(_ key: String) throws(FormatError) -> JSONValue {
        guard let value = members.removeValue(forKey: key) else {
            throw FormatError(file: file, reason: .missingMember("\(path).\(key)"))
        }
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
        try Self.integer(try value(key), path: "\(path).\(key)", file: file, allowNegative: false)
    }

    mutating func digest(_ key: String) throws(FormatError) -> SHA256Digest {
        try Self.digest(try value(key), path: "\(path).\(key)", file: file)
    }

    static func integer(_ value: JSONValue, path: String, file: String, allowNegative: Bool) throws(FormatError) -> Int {
        // A whole-valued double such as 24.0 canonicalises to 24, so it is the same integer.
        guard let i = value.integerValue else {
            throw FormatError(file: file, reason: .invalidMember(path, expected: "an integer"))
        }
        // Negative dims are reported by shape validation with the tensor's name; other members are counts.
        guard i >= -maxExactInteger, i <= maxExactInteger, allowNegative || i >= 0 else {
            throw FormatError(file: file, reason: .integerOutOfRange(path))
        }
        return Int(i)
    }

    static func digest(_ value: JSONValue, path: String, file: String) throws(FormatError) -> SHA256Digest {
        guard case let .string(s) = value, let digest = SHA256Digest(parsing: s) else {
            throw FormatError(file: file, reason: .invalidMember(path, expected: "\"sha256:\" and 64 lowercase hex digits"))
        }
        return digest
    }
}
