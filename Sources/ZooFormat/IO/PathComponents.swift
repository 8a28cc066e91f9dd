/// Byte-level checks of relative paths from outside (manifests, archives, indexes).
///
/// Works on UTF-8 bytes, never on `Character`s: Swift groups a combining mark with the
/// character before it, so `"../\u{301}x"` has no ".." *Character* component although the file
/// system sees one.
public enum PathComponents {
    /// True when `path` is relative and every `/`-separated component is non-empty and neither
    /// `.` nor `..` (a trailing `/` is allowed).
    public static func areSafe(_ path: [UInt8]) -> Bool {
        guard let first = path.first, first != UInt8(ascii: "/") else { return false }
        var components = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if path.last == UInt8(ascii: "/") { components.removeLast() }
        return components.allSatisfy { component in
            !component.isEmpty && !component.elementsEqual([0x2e]) && !component.elementsEqual([0x2e, 0x2e])
        }
    }

    /// The same check on a string's UTF-8 bytes.
    public static func areSafe(_ path: String) -> Bool { areSafe(Array(path.utf8)) }
}
