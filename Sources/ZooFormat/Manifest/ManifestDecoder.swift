/// Decodes a manifest straight from its UTF-8 bytes, without a ``JSONValue`` tree for the parts
/// that grow with the model (the tensor entries and `sourceOrder`).
///
/// It handles the common case only: keys and hot strings without escapes, plain non-negative
/// integers in integer members. On anything else (an error of any kind, an escape, `24.0`, a
/// negative dim, a non-ASCII key) it gives up and ``Manifest/init(parsing:file:)`` decodes the
/// bytes again with the generic path, so every error message is the generic path's. What it
/// accepts, the generic path accepts as the same ``Manifest``: the differential test
/// (`ManifestDecoderTests`) holds it to that over the golden vectors and mutated manifests.
///
/// The members that do not grow with the model (architecture, shards, assets, metadata, lineage,
/// unknown members) are parsed with ``JSONParser`` and decoded by the generic path's own helpers.
package struct ManifestDecoder {
    /// The decoder gave up; never shown to anyone.
    struct Unhandled: Error {}

    /// The known members of a tensor entry, packed as by ``packed(_:)``.
    private struct TensorKeys {
        let name = ManifestDecoder.pack("name"), dtype = ManifestDecoder.pack("dtype")
        let shape = ManifestDecoder.pack("shape"), shard = ManifestDecoder.pack("shard")
        let offset = ManifestDecoder.pack("offset"), length = ManifestDecoder.pack("length")
        let digest = ManifestDecoder.pack("digest")
        /// The same keys as they appear in canonical form, `"name":`: their first 8 bytes packed,
        /// the mask of those that count (`"name":` has 7), the 9th byte (0 if none), the length,
        /// and the packed key.
        let quoted: [(head: UInt64, mask: UInt64, tail: UInt8, length: Int, key: UInt64)]

        init() {
            quoted = ["digest", "dtype", "length", "name", "offset", "shape", "shard"].map { key in
                let text = Array("\"\(key)\":".utf8)
                let head = text.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let mask = text.count >= 8 ? UInt64.max : (UInt64(1) << (8 * text.count)) - 1
                return (head, mask, text.count > 8 ? text[8] : 0, text.count, ManifestDecoder.pack(key))
            }
        }
    }

    private let bytes: UnsafeRawBufferPointer
    private let base: UnsafePointer<UInt8>
    private let count: Int
    private var index = 0
    private let keys = TensorKeys()
    /// Dtype names of at most 8 bytes, packed; longer ones go through `DType(rawValue:)`.
    private let dtypes: [(packed: UInt64, dtype: DType)]

    private init?(bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress else { return nil }
        self.bytes = bytes
        base = start.assumingMemoryBound(to: UInt8.self)
        count = bytes.count
        dtypes = DType.allCases.compactMap { d in d.rawValue.utf8.count <= 8 ? (Self.pack(d.rawValue), d) : nil }
    }

    /// The manifest in `bytes`, not yet validated; `nil` when the generic path must decide.
    package static func decode(_ bytes: UnsafeRawBufferPointer) -> Manifest? {
        guard var decoder = ManifestDecoder(bytes: bytes) else { return nil }
        do { return try decoder.manifest() } catch { return nil }
    }

    // MARK: The manifest object

    private mutating func manifest() throws(Unhandled) -> Manifest {
        try expect(UInt8(ascii: "{"))
        var format: String?, versionText: String?, name: String?, byteOrder: String?
        var tensors: [TensorEntry]?, sourceOrder: [Int]?
        var cold: [String: JSONValue] = [:]  // architecture, shards, assets, metadata, lineage
        var extras: [String: JSONValue] = [:]
        var seen = Set<String>()
        repeat {
            let key = String(decoding: try self.key(), as: UTF8.self)
            guard seen.insert(key).inserted else { throw Unhandled() }  // a duplicate: a JSON error
            switch key {
            case "format": format = try string()
            case "formatVersion": versionText = try string()
            case "name": name = try string()
            case "byteOrder": byteOrder = try string()
            case "tensors": tensors = try tensorArray()
            case "sourceOrder": sourceOrder = try indices()
            case "architecture", "shards", "assets", "metadata", "lineage": cold[key] = try value(depth: 1)
            default: extras[key] = try value(depth: 1)
            }
        } while try more(closing: UInt8(ascii: "}"))
        skipWhitespace()
        guard index == count else { throw Unhandled() }

        guard format == Manifest.formatName, let versionText, let name, byteOrder == "little", let tensors,
            let architectureValue = cold["architecture"], let shardsValue = cold["shards"],
            let assetsValue = cold["assets"], case let .object(metadata)? = cold["metadata"]
        else { throw Unhandled() }
        let version: FormatVersion, architecture: Architecture, shards: [FileEntry], assets: [FileEntry]
        var lineage: Lineage?
        do {
            version = try Manifest.version(versionText, file: "")
            architecture = try Manifest.architecture(architectureValue, version: version, file: "")
            shards = try Manifest.files("shards", shardsValue, file: "")
            assets = try Manifest.files("assets", assetsValue, file: "")
            // As in the generic path: a null lineage stays an unknown member, so it keeps its bytes.
            if let value = cold["lineage"] {
                if value == .null { extras["lineage"] = .null } else { lineage = try Manifest.lineage(value, file: "") }
            }
        } catch {
            throw Unhandled()
        }
        // `sourceOrder` is a 1.1 member; in a 1.0 manifest it is an unknown one, kept as JSON.
        if let order = sourceOrder, version < Manifest.sourceOrderVersion {
            extras["sourceOrder"] = .array(order.map { .integer(Int64($0)) })
            sourceOrder = nil
        }
        var manifest = Manifest(name: name, architecture: architecture, tensors: tensors, shards: shards,
                                assets: assets, metadata: metadata, lineage: lineage)
        manifest.formatVersion = version
        manifest.sourceOrder = sourceOrder
        manifest.extraMembers = extras
        return manifest
    }

    // MARK: Tensor entries

    private mutating func tensorArray() throws(Unhandled) -> [TensorEntry] {
        try expect(UInt8(ascii: "["))
        var tensors: [TensorEntry] = []
        // A canonical entry takes at least ~140 bytes: reserving from what is left avoids regrowth.
        tensors.reserveCapacity((count - index) / 160)
        if try next() == UInt8(ascii: "]") {
            index += 1
            return tensors
        }
        repeat { tensors.append(try tensor()) } while try more(closing: UInt8(ascii: "]"))
        return tensors
    }

    private mutating func tensor() throws(Unhandled) -> TensorEntry {
        try expect(UInt8(ascii: "{"))
        var seen: UInt8 = 0
        var name = "", dtype = DType.u8, shape: [Int] = [], shard = 0, offset = 0, length = 0
        var digest: SHA256Digest?
        var extras: [String: JSONValue] = [:]
        repeat {
            let bit: UInt8
            switch try tensorKey() {
            case keys.name: bit = 1; name = try string()
            case keys.dtype: bit = 2; dtype = try dtypeValue()
            case keys.shape: bit = 4; shape = try indices()
            case keys.shard: bit = 8; shard = try integer()
            case keys.offset: bit = 16; offset = try integer()
            case keys.length: bit = 32; length = try integer()
            case keys.digest: bit = 64; digest = try digestValue()
            default:
                bit = 0
                let text = String(decoding: lastKey, as: UTF8.self)
                guard extras.updateValue(try value(depth: 3), forKey: text) == nil else { throw Unhandled() }
            }
            guard seen & bit == 0 else { throw Unhandled() }
            seen |= bit
        } while try more(closing: UInt8(ascii: "}"))
        guard seen == 127, let digest else { throw Unhandled() }
        var entry = TensorEntry(name: name, dtype: dtype, shape: shape, shard: shard, offset: offset,
                                length: length, digest: digest)
        entry.extraMembers = extras
        return entry
    }

    /// The bytes of the key `tensorKey()` read last, when it was not a known one.
    private var lastKey = UnsafeRawBufferPointer(start: nil, count: 0)

    /// A key of a tensor entry, packed; known keys written canonically (`"name":`, no white
    /// space) are recognised from one 8-byte load, anything else goes through ``key()``.
    private mutating func tensorKey() throws(Unhandled) -> UInt64 {
        if count - index >= 16 {
            let head = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            for k in keys.quoted where head & k.mask == k.head && (k.length <= 8 || base[index + 8] == k.tail) {
                index += k.length
                return k.key
            }
        }
        lastKey = try key()
        return packed(lastKey)
    }

    private mutating func dtypeValue() throws(Unhandled) -> DType {
        let (range, ascii) = try rawString()
        // Non-ASCII text could still equal a name under String's canonical equivalence: generic path.
        guard ascii else { throw Unhandled() }
        if range.count <= 8 {
            let key = packed(range)
            for entry in dtypes where entry.packed == key { return entry.dtype }
            throw Unhandled()  // unknown: the generic path names the tensor and the dtype
        }
        guard let dtype = DType(rawValue: String(decoding: slice(range), as: UTF8.self)) else { throw Unhandled() }
        return dtype
    }

    /// `"sha256:"` and 64 lowercase hex digits, checked here once.
    private mutating func digestValue() throws(Unhandled) -> SHA256Digest {
        let (range, _) = try rawString()
        guard range.count == 71 else { throw Unhandled() }
        let p = base + range.lowerBound
        guard p[0] == UInt8(ascii: "s"), p[1] == UInt8(ascii: "h"), p[2] == UInt8(ascii: "a"), p[3] == UInt8(ascii: "2"),
            p[4] == UInt8(ascii: "5"), p[5] == UInt8(ascii: "6"), p[6] == UInt8(ascii: ":")
        else { throw Unhandled() }
        // Eight digits at a time. With every byte below 0x80, adding c to each byte carries into
        // its high bit exactly when the byte is >= 0x80 - c, and never into the next byte.
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var bad: UInt64 = 0
        for word in 0..<8 {
            let w = UnsafeRawPointer(p + 7 + word * 8).loadUnaligned(as: UInt64.self)
            let digit = (w &+ ones &* 0x50) & ~(w &+ ones &* 0x46)  // 0x30 <= b < 0x3a
            let letter = (w &+ ones &* 0x1f) & ~(w &+ ones &* 0x19)  // 0x61 <= b < 0x67
            bad |= (w & highs) | (~(digit | letter) & highs)
        }
        guard bad == 0 else { throw Unhandled() }
        return SHA256Digest(checkedHex: String(decoding: UnsafeRawBufferPointer(start: p + 7, count: 64), as: UTF8.self))
    }

    /// An array of plain non-negative integers (a shape, `sourceOrder`).
    private mutating func indices() throws(Unhandled) -> [Int] {
        try expect(UInt8(ascii: "["))
        var values: [Int] = []
        if try next() == UInt8(ascii: "]") {
            index += 1
            return values
        }
        values.reserveCapacity(4)
        repeat { values.append(try integer()) } while try more(closing: UInt8(ascii: "]"))
        return values
    }

    /// A plain non-negative integer token within 2^53 - 1. Signs, fractions, exponents and
    /// leading zeros are the generic path's to accept (`24.0`) or refuse (`01`).
    private mutating func integer() throws(Unhandled) -> Int {
        skipWhitespace()
        let start = index
        var value = 0
        while index < count {
            let digit = base[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            value = value &* 10 &+ Int(digit)
            index += 1
            guard index - start <= 16 else { throw Unhandled() }  // 16 digits cannot overflow
        }
        let digits = index - start
        guard digits > 0, value <= Int(maxExactInteger), digits == 1 || base[start] != UInt8(ascii: "0") else {
            throw Unhandled()
        }
        if index < count {
            let b = base[index]
            guard b != UInt8(ascii: "."), b != UInt8(ascii: "e"), b != UInt8(ascii: "E") else { throw Unhandled() }
        }
        return value
    }

    // MARK: Tokens

    /// Any other value, by the generic parser, with the generic path's number rule.
    private mutating func value(depth: Int) throws(Unhandled) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: JSONValue.defaultMaxDepth, saturatesIntegers: true)
        parser.index = index
        let value: JSONValue
        do { value = try parser.parseValue(depth: depth) } catch { throw Unhandled() }
        index = parser.index
        guard Manifest.firstInexactNumber(value) == nil else { throw Unhandled() }
        return value
    }

    /// An object key of ASCII without escapes, and the `:` after it.
    private mutating func key() throws(Unhandled) -> UnsafeRawBufferPointer {
        let (range, ascii) = try rawString()
        // Non-ASCII keys could be canonically equivalent to known ones (String equality): generic path.
        guard ascii else { throw Unhandled() }
        try expect(UInt8(ascii: ":"))
        return slice(range)
    }

    /// A string value without escapes, validated as UTF-8.
    private mutating func string() throws(Unhandled) -> String {
        let (range, ascii) = try rawString()
        if ascii { return String(decoding: slice(range), as: UTF8.self) }
        guard let s = String(validating: slice(range), as: UTF8.self) else { throw Unhandled() }
        return s
    }

    /// The bytes between the quotes of a string without escapes or control characters, and
    /// whether they are all ASCII.
    private mutating func rawString() throws(Unhandled) -> (Range<Int>, ascii: Bool) {
        try expect(UInt8(ascii: "\""))
        let start = index
        var high: UInt8 = 0
        // Eight bytes at a time: stop at the first word holding a quote, a backslash, a
        // control character or a non-ASCII byte (the classic "has zero byte" bit trick).
        while count - index >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5c)
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | (word &- ones &* 0x20) | word
            if special & highs != 0 { break }
            index += 8
        }
        while index < count {
            let b = base[index]
            if b == UInt8(ascii: "\"") {
                let range = start..<index
                index += 1
                return (range, high < 0x80)
            }
            guard b != UInt8(ascii: "\\"), b >= 0x20 else { throw Unhandled() }
            high |= b
            index += 1
        }
        throw Unhandled()
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < count {
            switch base[index] {
            case 0x20, 0x0a, 0x0d, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next byte after white space, not consumed.
    @inline(__always)
    private mutating func next() throws(Unhandled) -> UInt8 {
        skipWhitespace()
        guard index < count else { throw Unhandled() }
        return base[index]
    }

    @inline(__always)
    private mutating func expect(_ byte: UInt8) throws(Unhandled) {
        if index < count, base[index] == byte {  // canonical form: no white space
            index += 1
            return
        }
        guard try next() == byte else { throw Unhandled() }
        index += 1
    }

    /// After a member or an element: `true` at a `,`, `false` at `closing`.
    @inline(__always)
    private mutating func more(closing: UInt8) throws(Unhandled) -> Bool {
        let byte = try next()
        index += 1
        if byte == UInt8(ascii: ",") { return true }
        guard byte == closing else { throw Unhandled() }
        return false
    }

    private func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Up to 8 bytes as one integer (first byte lowest), 0 for longer keys. Keys hold no NUL
    /// (control characters are refused), so distinct keys pack to distinct values.
    private func packed(_ key: UnsafeRawBufferPointer) -> UInt64 {
        guard key.count <= 8 else { return 0 }
        var value: UInt64 = 0
        for byte in key.reversed() { value = value << 8 | UInt64(byte) }
        return value
    }

    private func packed(_ range: Range<Int>) -> UInt64 { packed(slice(range)) }

    private static func pack(_ text: String) -> UInt64 {
        var value: UInt64 = 0
        for byte in text.utf8.reversed() { value = value << 8 | UInt64(byte) }
        return value
    }
}
