#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCurl
import Foundation
import ZooFormat

/// How an ``HTTPClient`` talks: which schemes it may use, and an optional rate limit.
struct HTTPOptions: Sendable {
    /// Allow plain `http://` (and redirects to it). Off: https only.
    var allowInsecure = false
    /// Caps each transfer at this many bytes per second (libcurl's own limiter); `nil`: none.
    var bytesPerSecond: Int?
    /// Give up connecting after this many seconds.
    var connectTimeout = 30
    /// Abort a transfer that moves less than 1 byte/s for this many seconds (a dead peer).
    var stallTimeout = 60
}

/// One libcurl easy handle, reused request after request so the connection stays open.
/// Use from one thread at a time (each transfer worker owns one).
///
/// Request bodies stream from a file region through a read callback and response bodies
/// stream to an ``HTTPResponseSink`` through a write callback: libcurl only reads the socket
/// as fast as the sink takes the bytes, so memory stays bounded whatever the blob size.
final class HTTPClient: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer  // CURL *
    private let errorBuffer: UnsafeMutablePointer<CChar>
    let options: HTTPOptions

    /// Error bodies are kept up to this size (OCI error JSON is a few hundred bytes).
    static let errorBodyLimit = 64 << 10
    /// libcurl's receive buffer: its largest value, so the sink gets big pieces.
    static let receiveBufferSize = 512 << 10
    /// libcurl's upload buffer: its largest value.
    static let uploadBufferSize = 2 << 20

    /// Makes a handle; libcurl is initialised on first use.
    init(options: HTTPOptions) throws(RemoteError) {
        _ = CurlGlobal.initialised
        guard let handle = curl_easy_init() else {
            throw RemoteError(.transport(url: "", message: "curl_easy_init failed (out of memory)"))
        }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(ZOO_CURL_ERROR_SIZE) + 1)
        self.errorBuffer.initialize(repeating: 0, count: Int(ZOO_CURL_ERROR_SIZE) + 1)
        self.options = options
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and waits for the answer.
    ///
    /// - Parameters:
    ///   - sink: receives a 2xx body as it streams; `nil` collects it (up to `collectLimit`).
    ///   - collectLimit: the largest body collected in memory; a larger 2xx body fails with
    ///     ``RemoteError/Reason/replyTooLarge(what:source:declared:limit:)``, before a byte of it
    ///     is read when its `Content-Length` says so.
    ///   - document: what the collected body is, for that error ("manifest").
    /// A GET or HEAD follows up to ``maxRedirects`` redirects (``HTTPOrigin/redirect(from:to:)``:
    /// never https -> http); `Authorization` is dropped once one leads to another origin.
    ///
    /// - Throws: ``RemoteError/Reason/transport(url:message:)`` when no answer came, or
    ///   whatever the sink threw. An HTTP error status is returned, not thrown.
    func perform(_ request: HTTPRequest, body: HTTPBody = .none, sink: HTTPResponseSink? = nil,
                 collectLimit: Int = 1 << 20, document: String = "the answer") throws(RemoteError) -> HTTPResponse
    {
        var current = request
        var redirects = 0
        while true {
            let response = try performOnce(current, body: body, sink: sink, collectLimit: collectLimit, document: document)
            guard current.method == .get || current.method == .head, Self.redirectStatuses.contains(response.status),
                let location = response.headers["Location"]
            else { return response }
            guard redirects < Self.maxRedirects else {
                throw RemoteError(.invalidReply(source: current.url, why: "more than \(Self.maxRedirects) redirects"))
            }
            redirects += 1
            let next = try HTTPOrigin.redirect(from: current.url, to: location)
            // Credentials belong to the origin they were meant for: another scheme, host or port
            // (a storage bucket, a CDN) gets none, and none come back after it.
            if HTTPOrigin(next) != HTTPOrigin(current.url) {
                current.headers.removeAll { $0.name.lowercased() == "authorization" }
            }
            current.url = next
        }
    }

    /// Redirects followed for a GET or HEAD (registries send blob readers to their storage).
    static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]
    static let maxRedirects = 5

    /// One request and its answer, redirects not followed.
    private func performOnce(_ request: HTTPRequest, body: HTTPBody, sink: HTTPResponseSink?,
                             collectLimit: Int, document: String) throws(RemoteError) -> HTTPResponse
    {
        let isHTTP = request.url.hasPrefix("http://")
        guard request.url.hasPrefix("https://") || (isHTTP && options.allowInsecure) else {
            if isHTTP { throw RemoteError(.insecureNotAllowed(url: request.url)) }
            throw RemoteError(.transport(url: request.url, message: "only http and https URLs are supported"))
        }
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        let context = TransferContext(url: request.url, sink: sink, collectLimit: request.method == .head ? nil : collectLimit,
                                      document: document, body: body)
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers { headerList = curl_slist_append(headerList, "\(header.name): \(header.value)") }
        // No "Expect: 100-continue" round trip before bodies.
        headerList = curl_slist_append(headerList, "Expect:")

        try configure(request, body: body, headers: headerList, context: unmanaged.toOpaque())
        let code = curl_easy_perform(handle)
        if let failure = context.failure { throw failure }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw RemoteError(.transport(url: request.url, message: Self.explain(code, message: message, url: request.url)))
        }
        var status = 0
        _ = zoo_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafeMutablePointer<CChar>?
        _ = zoo_curl_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
        return HTTPResponse(status: status, headers: context.headers, body: context.collected,
                            effectiveURL: effective.map { String(cString: $0) } ?? request.url)
    }

    private func configure(_ request: HTTPRequest, body: HTTPBody, headers: UnsafeMutablePointer<curl_slist>?,
                           context: UnsafeMutableRawPointer) throws(RemoteError)
    {
        var failed = false
        func check(_ code: CURLcode) { if code != CURLE_OK { failed = true } }
        check(zoo_curl_setopt_string(handle, CURLOPT_URL, request.url))
        check(zoo_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        check(zoo_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        check(zoo_curl_setopt_string(handle, CURLOPT_USERAGENT, "zoo/1.0"))
        let protocols = options.allowInsecure ? "http,https" : "https"
        check(zoo_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, protocols))
        check(zoo_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, protocols))
        check(zoo_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeout))
        check(zoo_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1))
        check(zoo_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, options.stallTimeout))
        check(zoo_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        if let rate = options.bytesPerSecond {
            // libcurl reads up to 100 buffers before it checks the rate: keep those to ~0.1 s worth.
            let buffer = min(Self.receiveBufferSize, max(16 << 10, rate / 1000))
            check(zoo_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, buffer))
            check(zoo_curl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, buffer))
            check(zoo_curl_setopt_off(handle, CURLOPT_MAX_RECV_SPEED_LARGE, curl_off_t(rate)))
            check(zoo_curl_setopt_off(handle, CURLOPT_MAX_SEND_SPEED_LARGE, curl_off_t(rate)))
        } else {
            check(zoo_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, Self.receiveBufferSize))
            check(zoo_curl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, Self.uploadBufferSize))
        }
        check(zoo_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers))
        check(zoo_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        check(zoo_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        check(zoo_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        check(zoo_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        // Redirects are followed by ``perform``, which decides what crosses to another origin.
        check(zoo_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        switch request.method {
        case .get:
            break
        case .head:
            check(zoo_curl_setopt_long(handle, CURLOPT_NOBODY, 1))
        case .delete:
            check(zoo_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
        case .post, .put, .patch:
            check(zoo_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
            check(zoo_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
            check(zoo_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(body.length)))
            check(zoo_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION, curlReadCallback))
            check(zoo_curl_setopt_pointer(handle, CURLOPT_READDATA, context))
        }
        if failed {
            throw RemoteError(.transport(url: request.url, message: "libcurl refused an option (libcurl too old?)"))
        }
    }

    /// Adds a hint to the messages users hit most.
    private static func explain(_ code: CURLcode, message: String, url: String) -> String {
        switch code {
        case CURLE_SSL_CONNECT_ERROR where url.hasPrefix("https://"):
            message + " (if the registry speaks plain http, use --insecure)"
        case CURLE_UNSUPPORTED_PROTOCOL:
            message + " (plain http needs --insecure)"
        default:
            message
        }
    }
}

/// Runs `curl_global_init` once per process, before the first handle.
private enum CurlGlobal {
    static let initialised: Bool = curl_global_init(ZOO_CURL_GLOBAL_DEFAULT) == CURLE_OK
}

/// State shared with the C callbacks of one transfer.
private final class TransferContext {
    let url: String
    let sink: HTTPResponseSink?
    /// `nil` for a HEAD: its Content-Length describes a body that never comes.
    let collectLimit: Int?
    let document: String
    let body: HTTPBody
    var bodySent = 0
    var headers = HTTPHeaders()
    var status = 0
    var collected: [UInt8] = []
    var streaming: Bool?
    var failure: RemoteError?

    init(url: String, sink: HTTPResponseSink?, collectLimit: Int?, document: String, body: HTTPBody) {
        self.url = url
        self.sink = sink
        self.collectLimit = collectLimit
        self.document = document
        self.body = body
    }

    /// One header line, with its CRLF. A status line starts a new header block (after a
    /// 100 Continue or a redirect), so only the final response's headers are kept. Returns false
    /// to abort: a 2xx body to be collected whose `Content-Length` is over the limit is refused
    /// at the blank line that ends the headers, before any of it is read.
    func header(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .newlinesAndReturns)
        if trimmed.isEmpty {
            if sink == nil, let collectLimit, (200..<300).contains(status), let declared = headers["Content-Length"],
                let length = Int(declared), length > collectLimit
            {
                failure = RemoteError(.replyTooLarge(what: document, source: url, declared: length, limit: collectLimit))
                return false
            }
            return true
        }
        if trimmed.hasPrefix("HTTP/") {
            headers.removeAll()
            let parts = trimmed.split(separator: " ", maxSplits: 2)
            status = parts.count >= 2 ? Int(parts[1]) ?? 0 : 0
            return true
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return true }
        let name = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        headers.append(name: name, value: value)
        return true
    }

    /// Body bytes; returns false to abort the transfer.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if streaming == nil {
            streaming = sink != nil && (200..<300).contains(status)
            if streaming == true, let sink {
                do { try sink.begin(status: status, headers: headers) } catch {
                    failure = error
                    return false
                }
            }
        }
        if streaming == true, let sink {
            do { try sink.write(bytes) } catch {
                failure = error
                return false
            }
            return true
        }
        let isError = !(200..<300).contains(status)
        let limit = isError ? HTTPClient.errorBodyLimit : collectLimit ?? 0
        if collected.count + bytes.count > limit {
            if isError { return true }  // keep reading to the end; the start of the error is enough
            failure = RemoteError(.replyTooLarge(what: document, source: url, declared: nil, limit: limit))
            return false
        }
        collected.append(contentsOf: bytes)
        return true
    }

    /// Fills `buffer` with the next request-body bytes; returns how many (0 at the end).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let remaining = body.length - bodySent
        let count = min(remaining, buffer.count)
        guard count > 0, let base = buffer.baseAddress else { return 0 }
        switch body {
        case .none:
            return 0
        case let .bytes(bytes):
            bytes.withUnsafeBytes { source in
                base.copyMemory(from: source.baseAddress! + bodySent, byteCount: count)
            }
        case let .file(fd, path, offset, _, observe):
            var filled = 0
            while filled < count {
                let n = pread(fd, base + filled, count - filled, off_t(offset + bodySent + filled))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = RemoteError(.io(IOError(call: "pread", path: path, errno: errno)))
                    return nil
                }
                if n == 0 {
                    failure = RemoteError(.io(IOError(call: "pread", path: path, errno: EIO)))
                    return nil
                }
                filled += n
            }
            observe?(UnsafeRawBufferPointer(start: base, count: count), offset + bodySent)
        }
        bodySent += count
        return count
    }
}

private let curlHeaderCallback: zoo_curl_data_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
    return context.header(line) ? length : 0
}

private let curlWriteCallback: zoo_curl_data_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    return context.write(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : 0
}

private let curlReadCallback: zoo_curl_data_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return ZOO_CURL_READFUNC_ABORT }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    guard let filled = context.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count)) else {
        return ZOO_CURL_READFUNC_ABORT
    }
    return filled
}

extension CharacterSet {
    static var newlinesAndReturns: CharacterSet { CharacterSet(charactersIn: "\r\n") }
}
