import ZooFormat
import ZooStore

/// A named remote: `zoo remote add NAME URL [--insecure]`.
public struct RemoteConfig: Sendable, Equatable {
    /// `[a-z0-9]+` runs joined by one of `.` `_` `-` (no `:` or `/`, so `NAME:MODEL` parses).
    public var name: String
    /// `oci://HOST[:PORT][/PREFIX]` or an absolute folder path.
    public var url: String
    /// Allow plain http for this registry.
    public var insecure: Bool

    public init(name: String, url: String, insecure: Bool) {
        self.name = name
        self.url = url
        self.insecure = insecure
    }

    /// The remote as a ``RemoteBase``; `insecure` (from the command line) adds to the setting.
    public func base(insecure extra: Bool = false) throws(RemoteError) -> RemoteBase {
        try RemoteTarget.parseBase(url, insecure: insecure || extra, workingDirectory: "/")
    }

    /// Checks the naming rule.
    public static func validateName(_ name: String) throws(RemoteError) {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidRemoteName(name, why: why)) }
        guard !name.isEmpty, name.utf8.count <= 64 else { throw fail("use 1 to 64 characters") }
        var previousIsSeparator = true
        for byte in name.utf8 {
            let isAlphanumeric = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
            let isSeparator = byte == 0x2e || byte == 0x5f || byte == 0x2d
            guard isAlphanumeric || isSeparator else {
                throw fail("use lowercase letters, digits and single \".\", \"_\" or \"-\" between them")
            }
            guard !(isSeparator && previousIsSeparator) else {
                throw fail("a separator must sit between letters or digits")
            }
            previousIsSeparator = isSeparator
        }
        if previousIsSeparator { throw fail("must end with a letter or digit") }
    }
}

/// The user's remotes, kept in `remotes.json` of the config folder (``ConfigFolder/path(environment:)``,
/// written atomically):
///
/// ```json
/// { "remotes": [ { "name": "hub", "url": "oci://registry.example.com/team", "insecure": false } ] }
/// ```
///
/// Earlier versions kept the file in the store (`<store>/remotes.json`). That file is still read
/// and merged in, never written: a remote of the same name in the config folder wins
/// (``shadowedLegacyNames()`` says which), and `zoo remote add` / `rm` change the config file only.
public struct RemoteList: Sendable {
    /// The config folder's `remotes.json`: read, and written by ``add(name:url:insecure:workingDirectory:)``
    /// and ``remove(name:)``.
    public let path: String
    /// A store's own `remotes.json` of earlier versions, read only; `nil`: none.
    public let legacyPath: String?

    /// The user's remotes, merged with those `store` kept itself.
    public init(store: Store, configFolder: String = ConfigFolder.path()) {
        self.path = configFolder + "/remotes.json"
        self.legacyPath = store.root + "/remotes.json"
    }

    /// The remotes of one file only.
    public init(path: String) {
        self.path = path
        self.legacyPath = nil
    }

    /// Every remote, sorted by name (none when no file exists): the config file's, then the
    /// legacy file's whose names the config file does not use.
    public func load() throws(RemoteError) -> [RemoteConfig] {
        let own = try Self.read(path)
        guard let legacyPath, legacyPath != path else { return own }
        let names = Set(own.map(\.name))
        let legacy = try Self.read(legacyPath).filter { !names.contains($0.name) }
        return (own + legacy).sorted { $0.name < $1.name }
    }

    /// Names the legacy store file defines differently from the config file (which wins), sorted.
    public func shadowedLegacyNames() throws(RemoteError) -> [String] {
        guard let legacyPath, legacyPath != path else { return [] }
        let own = Dictionary(try Self.read(path).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return try Self.read(legacyPath).filter { old in own[old.name].map { $0 != old } ?? false }.map(\.name).sorted()
    }

    /// The remotes of the file at `path`.
    private static func read(_ path: String) throws(RemoteError) -> [RemoteConfig] {
        guard FileSystem.kind(of: path) != .missing else { return [] }
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: 1 << 20) } catch { throw RemoteError(.io(error)) }
        guard let bytes else { throw RemoteError(.invalidConfig(path: path, why: "larger than 1 MiB")) }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw RemoteError(.invalidConfig(path: path, why: error.description)) }
        guard let entries = json["remotes"]?.arrayValue else {
            throw RemoteError(.invalidConfig(path: path, why: "no \"remotes\" array"))
        }
        var remotes: [RemoteConfig] = []
        for (i, entry) in entries.enumerated() {
            guard let name = entry["name"]?.stringValue, let url = entry["url"]?.stringValue else {
                throw RemoteError(.invalidConfig(path: path, why: "remotes[\(i)] needs string members name and url"))
            }
            let insecure: Bool = if case let .bool(value)? = entry["insecure"] { value } else { false }
            remotes.append(RemoteConfig(name: name, url: url, insecure: insecure))
        }
        return remotes.sorted { $0.name < $1.name }
    }

    /// Adds a remote after checking its name and URL; folder paths are stored absolute.
    @discardableResult
    public func add(name: String, url: String, insecure: Bool, workingDirectory: String) throws(RemoteError) -> RemoteConfig {
        try RemoteConfig.validateName(name)
        // A name the legacy store file uses is taken too: adding it would silently shadow it.
        guard !(try load()).contains(where: { $0.name == name }) else { throw RemoteError(.remoteExists(name)) }
        var remotes = try Self.read(path)
        let base = try RemoteTarget.parseBase(url, insecure: insecure, workingDirectory: workingDirectory)
        let stored: String = if case let .folder(path) = base { path } else { url }
        let remote = RemoteConfig(name: name, url: stored, insecure: insecure)
        remotes.append(remote)
        try save(remotes)
        return remote
    }

    /// Removes a remote from the config file. One only the legacy store file has is refused
    /// naming that file (this never writes into a store).
    public func remove(name: String) throws(RemoteError) {
        var remotes = try Self.read(path)
        guard let index = remotes.firstIndex(where: { $0.name == name }) else {
            if let legacyPath, legacyPath != path, try Self.read(legacyPath).contains(where: { $0.name == name }) {
                throw RemoteError(.invalidConfig(path: legacyPath, why:
                    "remote \"\(name)\" is kept in this store's old remotes file; edit or delete that file"))
            }
            throw RemoteError(.unknownRemote(name))
        }
        remotes.remove(at: index)
        try save(remotes)
    }

    /// The remote called `name`.
    public func remote(named name: String) throws(RemoteError) -> RemoteConfig {
        guard let remote = try load().first(where: { $0.name == name }) else { throw RemoteError(.unknownRemote(name)) }
        return remote
    }

    private func save(_ remotes: [RemoteConfig]) throws(RemoteError) {
        let json = JSONValue.object(["remotes": .array(remotes.sorted { $0.name < $1.name }.map {
            .object(["name": .string($0.name), "url": .string($0.url), "insecure": .bool($0.insecure)])
        })])
        do {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path))
            try FileSystem.writeAtomically(PrettyJSON.bytes(json), to: path)
        } catch {
            throw RemoteError(.io(error))
        }
    }
}
