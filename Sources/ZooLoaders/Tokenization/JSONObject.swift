import ZooFormat

/// A JSON object read member by member, with errors naming the file and the member's path.
struct JSONObject {
    let members: [String: JSONValue]
    /// The dotted path of this object followed by a dot (`""` at the top).
    let path: String
    let file: String

    init(members: [String: JSONValue], path: String, file: String) {
        self.members = members
        self.path = path
        self.file = file
    }

    /// Parses a JSON document that must be an object.
    init(parsing bytes: [UInt8], file: String) throws(TokenizerError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch {
            throw TokenizerError(file: file, offset: error.offset, reason: .json(error))
        }
        guard let members = value.objectValue else {
            throw TokenizerError(file: file, reason: .invalidMember("(top level)", expected: "an object"))
        }
        self.init(members: members, path: "", file: file)
    }

    private func invalid(_ key: String, _ expected: String) -> TokenizerError {
        TokenizerError(file: file, reason: .invalidMember(path + key, expected: expected))
    }

    /// A string member; `nil` when absent or null.
    func string(_ key: String) throws(TokenizerError) -> String? {
        guard let value = members[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw invalid(key, "a string") }
        return text
    }

    /// A Boolean member; `nil` when absent or null.
    func bool(_ key: String) throws(TokenizerError) -> Bool? {
        guard let value = members[key], value != .null else { return nil }
        guard case let .bool(flag) = value else { throw invalid(key, "true, false or null") }
        return flag
    }

    /// A positive integer member; `nil` when absent or null, or (with `ignoringAbove`) when it
    /// is a larger number, as the 1e30 "no limit" of `model_max_length`.
    func positiveInteger(_ key: String, ignoringAbove limit: Double? = nil) throws(TokenizerError) -> Int? {
        guard let value = members[key], value != .null else { return nil }
        if let limit, let number = value.doubleValue, number > limit { return nil }
        guard let raw = value.integerValue, let number = Int(exactly: raw), number > 0 else {
            throw invalid(key, "a positive integer")
        }
        return number
    }

    /// An object member (required).
    func object(_ key: String) throws(TokenizerError) -> JSONObject {
        guard let members = members[key]?.objectValue else { throw invalid(key, "an object") }
        return JSONObject(members: members, path: path + key + ".", file: file)
    }

    /// An object member; `nil` when absent or null.
    func optionalObject(_ key: String) throws(TokenizerError) -> JSONObject? {
        guard let value = members[key], value != .null else { return nil }
        return try object(key)
    }

    /// An array member; `nil` when absent or null.
    func array(_ key: String) throws(TokenizerError) -> [JSONValue]? {
        guard let value = members[key], value != .null else { return nil }
        guard let elements = value.arrayValue else { throw invalid(key, "an array") }
        return elements
    }

    /// A special token's name: a string, or an object with a `content` string (`AddedToken`).
    func tokenName(_ key: String) throws(TokenizerError) -> String? {
        guard let value = members[key], value != .null else { return nil }
        if let text = value.stringValue { return text }
        if let content = value["content"]?.stringValue { return content }
        throw invalid(key, "a string or an object with a \"content\" string")
    }
}
