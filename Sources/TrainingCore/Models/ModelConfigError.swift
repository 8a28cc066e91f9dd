import Foundation

/// Why a Hugging Face `config.json` was rejected (``BertConfig``, ``GPT2Config``).
public struct ModelConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The JSON does not decode (syntax, or a member of the wrong type); the text says where.
        case malformed(String)
        /// A value this implementation does not support (e.g. `hidden_act: "swish"`).
        case unsupported(key: String, value: String)
        /// A value that makes no model.
        case invalid(key: String, value: String, expected: String)
    }

    /// The model family whose config it is, as messages name it (`"BERT"`, `"GPT-2"`).
    public var model: String
    public var reason: Reason

    public init(model: String, reason: Reason) {
        self.model = model
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .malformed(text): "\(model) config: \(text)"
        case let .unsupported(key, value): "\(model) config: unsupported \(key) \"\(value)\""
        case let .invalid(key, value, expected): "\(model) config: \(key) is \(value), expected \(expected)"
        }
    }
}

/// Why a BERT `config.json` was rejected.
public typealias BertConfigError = ModelConfigError
/// Why a GPT-2 `config.json` was rejected.
public typealias GPT2ConfigError = ModelConfigError

/// What the model configs share: decoding with readable errors and the checks of `validate()`.
extension ModelConfigError {
    /// `type` decoded from JSON; a decoding failure becomes `.malformed` saying where.
    static func decode<Config: Decodable>(_ type: Config.Type, from data: Data, model: String) throws(ModelConfigError)
        -> Config
    {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as ModelConfigError {
            throw error
        } catch {
            throw ModelConfigError(model: model, reason: .malformed(describe(error)))
        }
    }

    /// Throws `.invalid` for the first size that is not positive.
    static func checkPositive(_ sizes: [(key: String, value: Int)], model: String) throws(ModelConfigError) {
        for (key, value) in sizes where value <= 0 {
            throw ModelConfigError(model: model, reason: .invalid(key: key, value: "\(value)", expected: "a positive integer"))
        }
    }

    /// Throws `.invalid` unless the hidden size divides into the heads.
    static func checkHeads(
        hidden: (key: String, value: Int), heads: (key: String, value: Int), model: String
    ) throws(ModelConfigError) {
        if hidden.value % heads.value != 0 {
            throw ModelConfigError(
                model: model,
                reason: .invalid(
                    key: hidden.key, value: "\(hidden.value)", expected: "a multiple of \(heads.key) (\(heads.value))"))
        }
    }

    /// Throws `.invalid` for the first probability outside [0, 1] (`nil`: not set).
    static func checkProbabilities(_ values: [(key: String, value: Float?)], model: String) throws(ModelConfigError) {
        for case let (key, value?) in values where !(0...1).contains(value) {
            throw ModelConfigError(model: model, reason: .invalid(key: key, value: "\(value)", expected: "a probability in [0, 1]"))
        }
    }

    /// Throws `.invalid` unless the layer-norm epsilon is positive (NaN is not).
    static func checkEpsilon(_ epsilon: (key: String, value: Float), model: String) throws(ModelConfigError) {
        if !(epsilon.value > 0) {
            throw ModelConfigError(model: model, reason: .invalid(key: epsilon.key, value: "\(epsilon.value)", expected: "> 0"))
        }
    }

    /// A `DecodingError` as a short text naming the member's path.
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch decoding {
        case let .typeMismatch(type, context):
            return "\(path(context)): expected \(type)"
        case let .valueNotFound(type, context):
            return "\(path(context)): expected \(type), found null"
        case let .keyNotFound(key, _):
            return "missing \(key.stringValue)"
        case let .dataCorrupted(context):
            return path(context).isEmpty ? "not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
