import ZooFormat
import ZooStore

/// One rule of the trust policy: which pulls it covers and the public keys one of which must
/// have signed what they pull.
///
/// A rule selects by a configured remote *or* a location prefix, optionally narrowed by a model
/// name prefix; a rule with only a name prefix covers that name wherever it is pulled from.
public struct TrustRule: Sendable, Equatable {
    /// A remote's name (`zoo remote add`): every pull from its registry prefix or folder, however
    /// the pull spells the location.
    public var remote: String?
    /// A location prefix: `oci://HOST[:PORT][/REPO...]` or a folder path; covers what is pulled
    /// from it or below it (whole path segments: `oci://h/team` does not cover `oci://h/teams`).
    public var location: String?
    /// A model name prefix, under the remote or location when one is given (`team/`, `bert-`).
    public var name: String?
    /// PEM public key files: a pulled model needs a valid signature by at least one of them.
    /// Relative paths are read against the folder of `trust.json`.
    public var keys: [String]

    public init(remote: String? = nil, location: String? = nil, name: String? = nil, keys: [String]) {
        self.remote = remote
        self.location = location
        self.name = name
        self.keys = keys
    }

    var json: JSONValue {
        var members: [String: JSONValue] = ["keys": .array(keys.map { .string($0) })]
        if let remote { members["remote"] = .string(remote) }
        if let location { members["location"] = .string(location) }
        if let name { members["name"] = .string(name) }
        return .object(members)
    }

    /// `remote hub, name team/` (for listings and errors).
    public var selector: String {
        var parts: [String] = []
        if let remote { parts.append("remote \(remote)") }
        if let location { parts.append("location \(location)") }
        if let name { parts.append("name \(name)") }
        return parts.joined(separator: ", ")
    }
}

/// What one pull must carry: a valid signature by at least one of ``keyFiles``.
public struct SignatureRequirement: Sendable, Equatable {
    /// Absolute paths of PEM public key files.
    public var keyFiles: [String]
    /// Where the requirement comes from: `--key`, or `trust.json rules[2] (remote hub)`.
    public var origin: String

    public init(keyFiles: [String], origin: String) {
        self.keyFiles = keyFiles
        self.origin = origin
    }
}

/// The trust policy: `trust.json` in the user's config folder (``ConfigFolder``), rules mapping
/// remotes and locations to the keys that must have signed what is pulled from them.
///
/// ```json
/// { "rules": [
///     { "remote": "hub", "keys": ["hub.pem"] },
///     { "location": "oci://registry.example.com/team", "name": "bert", "keys": ["/etc/zoo/team.pem", "ci.pem"] }
/// ] }
/// ```
///
/// Every rule that covers a pull must be met (one valid signature by one of its keys); `--key`
/// adds one more such requirement. A pull no rule covers and without `--key` is not verified.
/// A file that cannot be read or a rule that cannot be used stops every pull with an error
/// naming the file and the rule, rather than being skipped: a broken policy never means no policy.
public struct TrustPolicy: Sendable, Equatable {
    public static let fileName = "trust.json"
    /// Larger policy files are refused.
    public static let maxByteCount = 1 << 20

    /// The policy file.
    public let path: String
    public var rules: [TrustRule]

    /// The policy at `path`, with its rules checked; no rules when the file does not exist.
    ///
    /// - Throws: ``RemoteError/Reason/invalidTrustPolicy(path:entry:why:)`` naming the rule.
    public init(path: String) throws(RemoteError) {
        self.path = path
        rules = []
        guard FileSystem.kind(of: path) != .missing else { return }
        func fail(_ entry: String?, _ why: String) -> RemoteError {
            RemoteError(.invalidTrustPolicy(path: path, entry: entry, why: why))
        }
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: Self.maxByteCount) } catch { throw fail(nil, error.description) }
        guard let bytes else { throw fail(nil, "larger than \(Self.maxByteCount) bytes") }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw fail(nil, "not JSON: \(error)") }
        guard let object = json.objectValue else { throw fail(nil, "not a JSON object") }
        for key in object.keys where key != "rules" { throw fail(nil, "unknown member \"\(key)\"") }
        guard let entries = object["rules"]?.arrayValue else { throw fail(nil, "no \"rules\" array") }
        for (i, entry) in entries.enumerated() {
            let at = "rules[\(i)]"
            guard let members = entry.objectValue else { throw fail(at, "not an object") }
            for key in members.keys where !["remote", "location", "name", "keys"].contains(key) {
                throw fail(at, "unknown member \"\(key)\" (a rule has remote, location, name and keys)")
            }
            func text(_ key: String) throws(RemoteError) -> String? {
                guard let value = members[key] else { return nil }
                guard let string = value.stringValue, !string.isEmpty else { throw fail(at, "\(key) is not a non-empty string") }
                return string
            }
            guard let keyValues = members["keys"]?.arrayValue, !keyValues.isEmpty else {
                throw fail(at, "keys must be a non-empty array of PEM file paths")
            }
            var keys: [String] = []
            for (k, value) in keyValues.enumerated() {
                guard let key = value.stringValue, !key.isEmpty else { throw fail(at, "keys[\(k)] is not a file path") }
                keys.append(key)
            }
            let rule = TrustRule(remote: try text("remote"), location: try text("location"), name: try text("name"), keys: keys)
            try Self.check(rule, entry: at, path: path)
            rules.append(rule)
        }
    }

    /// The policy in the config folder (`ConfigFolder.path()/trust.json`).
    public static func load(environment: [String: String] = Store.currentEnvironment()) throws(RemoteError) -> TrustPolicy {
        try TrustPolicy(path: ConfigFolder.path(environment: environment) + "/" + fileName)
    }

    /// Checks a rule's shape: what it selects and that it names keys.
    static func check(_ rule: TrustRule, entry: String, path: String) throws(RemoteError) {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidTrustPolicy(path: path, entry: entry, why: why)) }
        guard rule.remote != nil || rule.location != nil || rule.name != nil else {
            throw fail("say what it covers: remote, location or name")
        }
        guard rule.remote == nil || rule.location == nil else { throw fail("give remote or location, not both") }
        if let remote = rule.remote {
            do { try RemoteConfig.validateName(remote) } catch { throw fail(error.description) }
        }
        if let location = rule.location {
            do { _ = try RemoteTarget.parseBase(location, insecure: false, workingDirectory: "/") } catch {
                throw fail(error.description)
            }
            guard location.hasPrefix("oci://") || location.hasPrefix("/") || location.hasPrefix("file://") else {
                throw fail("location \(location) is neither oci://HOST[/PREFIX] nor an absolute folder path")
            }
        }
        guard !rule.keys.isEmpty else { throw fail("keys must name at least one PEM file") }
    }

    /// The requirements of the rules that cover pulling `target`; `remotes` resolves the rules'
    /// remote names. A rule naming a remote that is not configured is an error (it would
    /// otherwise silently cover nothing).
    public func requirements(for target: RemoteTarget, remotes: [RemoteConfig]) throws(RemoteError) -> [SignatureRequirement] {
        guard let name = target.name else { return [] }
        let pulled = Self.identity(of: target.base, name: name)
        let folder = FileSystem.parentDirectory(of: path)
        var out: [SignatureRequirement] = []
        for (i, rule) in rules.enumerated() {
            let entry = "rules[\(i)]"
            var base: String?
            if let remoteName = rule.remote {
                guard let remote = remotes.first(where: { $0.name == remoteName }) else {
                    throw RemoteError(.invalidTrustPolicy(path: path, entry: entry, why:
                        "no remote named \"\(remoteName)\" (zoo remote list shows them)"))
                }
                base = Self.identity(of: try remote.base(), name: nil)
            } else if let location = rule.location {
                base = Self.identity(of: try RemoteTarget.parseBase(location, insecure: false, workingDirectory: "/"), name: nil)
            }
            var covered: Bool
            if let base {
                covered = pulled == base || pulled.hasPrefix(base + "/")
                if covered, let prefix = rule.name {
                    covered = pulled.dropFirst(base.count + 1).hasPrefix(prefix)
                }
            } else {
                covered = rule.name.map { target.base.repository(for: name).hasPrefix($0) || name.hasPrefix($0) } ?? false
            }
            guard covered else { continue }
            let files = rule.keys.map { $0.hasPrefix("/") ? $0 : folder + "/" + $0 }
            out.append(SignatureRequirement(keyFiles: files, origin: "\(path) \(entry) (\(rule.selector))"))
        }
        return out
    }

    /// A pull's place, for prefix matching: `oci://HOST[:PORT]/REPOSITORY` for registries,
    /// `PATH/NAME` for folders (the base alone without a name).
    static func identity(of base: RemoteBase, name: String?) -> String {
        switch base {
        case let .registry(address, _):
            let repository = name.map { base.repository(for: $0) } ?? base.repository(for: "")
            let trimmed = repository.hasSuffix("/") ? String(repository.dropLast()) : repository
            return "oci://" + address.host.lowercased() + (trimmed.isEmpty ? "" : "/" + trimmed)
        case let .folder(path):
            return name.map { path + "/" + $0 } ?? path
        }
    }

    /// Adds a rule (checked) and saves the file atomically.
    public mutating func add(_ rule: TrustRule) throws(RemoteError) {
        try Self.check(rule, entry: "the new rule", path: path)
        rules.append(rule)
        try save()
    }

    /// Removes rule `index` (0-based, as ``rules`` lists them) and saves.
    public mutating func remove(at index: Int) throws(RemoteError) {
        guard rules.indices.contains(index) else {
            throw RemoteError(.invalidTrustPolicy(path: path, entry: "rules[\(index)]", why: "no such rule (\(rules.count) in the file)"))
        }
        rules.remove(at: index)
        try save()
    }

    private func save() throws(RemoteError) {
        let json = JSONValue.object(["rules": .array(rules.map(\.json))])
        do {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path))
            try FileSystem.writeAtomically(PrettyJSON.bytes(json), to: path)
        } catch {
            throw RemoteError(.io(error))
        }
    }
}
