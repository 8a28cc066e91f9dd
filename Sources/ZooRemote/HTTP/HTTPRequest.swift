#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The HTTP methods the OCI distribution protocol uses.
enum HTTPMethod: String, Sendable {
    case get = "GET", head = "HEAD", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
}

/// A request body: nothing, bytes in memory, or a range of an open file streamed from disk
/// (never read into memory whole).
enum HTTPBody {
    case none
    case bytes([UInt8])
    /// `length` bytes of `fd` starting at `offset`; `observe` sees every byte as it is read for
    /// sending, with its file offset (a retried request shows the same bytes again).
    case file(fd: Int32, path: String, offset: Int, length: Int, observe: ((UnsafeRawBufferPointer, Int) -> Void)?)

    var length: Int {
        switch self {
        case .none: 0
        case let .bytes(bytes): bytes.count
        case let .file(_, _, _, length, _): length
        }
    }
}

/// One request: method, absolute URL, headers. Credentials travel only in the
/// `Authorization` header, which ``description`` leaves out.
struct HTTPRequest: CustomStringConvertible {
    var method: HTTPMethod
    var url: String
    var headers: [(name: String, value: String)] = []

    init(_ method: HTTPMethod, _ url: String, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.url = url
        self.headers = headers
    }

    /// `GET https://host/v2/...` — never a header value, and the URL's query redacted
    /// (``URLRedaction``).
    var description: String { "\(method.rawValue) \(URLRedaction.redact(url))" }
}

/// Response headers, looked up case-insensitively; the last value wins.
struct HTTPHeaders: Sendable {
    private(set) var fields: [(name: String, value: String)] = []

    mutating func append(name: String, value: String) { fields.append((name, value)) }
    mutating func removeAll() { fields.removeAll() }

    subscript(name: String) -> String? {
        let lowered = name.lowercased()
        return fields.last { $0.name.lowercased() == lowered }?.value
    }

    /// Every value of a header that may repeat (`WWW-Authenticate`, `Link`).
    func values(_ name: String) -> [String] {
        let lowered = name.lowercased()
        return fields.filter { $0.name.lowercased() == lowered }.map(\.value)
    }
}

/// What came back: the final status and headers (after redirects), and the body when it was
/// collected (error bodies and small documents; streamed bodies go to the sink instead).
struct HTTPResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The URL that answered (differs from the request's after a redirect).
    var effectiveURL: String

    var isSuccess: Bool { (200..<300).contains(status) }
}

/// Receives a successful (2xx) response body as it arrives, in order. An error thrown here
/// aborts the transfer and is rethrown by ``HTTPClient/perform(_:body:sink:collectLimit:)``.
protocol HTTPResponseSink: AnyObject {
    /// Called once, before the first byte, with the final status and headers.
    func begin(status: Int, headers: HTTPHeaders) throws(RemoteError)
    func write(_ bytes: UnsafeRawBufferPointer) throws(RemoteError)
}
