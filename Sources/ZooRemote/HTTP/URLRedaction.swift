/// Makes URLs safe to print: registries put secrets in them. An upload session's `Location`
/// carries a `_state` token (CNCF distribution) or a signed session id in its query, which lets
/// anyone holding it write to the upload; a URL may also carry `user:password@`.
///
/// Every ``RemoteError`` description that shows a URL passes it through here; code that needs
/// the real URL (to send a request, or in the store's 0600 upload state files) keeps it.
///
/// ```swift
/// URLRedaction.redact("http://h/v2/r/blobs/uploads/u?_state=abc")   // "http://h/v2/r/blobs/uploads/u?<redacted>"
/// ```
enum URLRedaction {
    /// What replaces a query (and a fragment).
    static let query = "?<redacted>"

    /// `text` with the query and fragment of an `http(s)://` URL replaced by `?<redacted>`, and its
    /// user information by `<redacted>@`. Anything else (a folder path, a `oci://` location a user
    /// typed, an empty string) is returned as is.
    static func redact(_ text: String) -> String {
        let lowered = text.prefix(8).lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else { return text }
        guard let schemeEnd = text.range(of: "://") else { return text }
        let scheme = text[..<schemeEnd.upperBound]
        var rest = text[schemeEnd.upperBound...]
        var tail = ""
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            rest = rest[..<cut]
            tail = query
        }
        // user:password@host: the authority ends at the first "/".
        var userInfo = ""
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            rest = rest[rest.index(after: at)...]
            userInfo = "<redacted>@"
        }
        return String(scheme) + userInfo + rest + tail
    }
}
