import ZooFormat

/// What `zoo --version` prints: the tool's release and the newest checkpoint format it writes, since
/// a reader needs both to know whether a .zoo from elsewhere will open here.
enum ZooVersion {
    /// The tool's release (semantic versioning; bumped with each tagged release).
    static let release = "0.9.0"

    static var description: String { "zoo \(release) (checkpoint format \(Manifest.currentVersion))" }
}
