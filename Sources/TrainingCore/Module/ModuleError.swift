/// Why a request about a module's parameters could not be carried out.
public struct ModuleError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// A strict freeze or unfreeze got a pattern that matches no parameter.
        case noMatch(NamePattern)
        /// A regular expression pattern does not compile.
        case invalidPattern(String, message: String)
    }

    public var reason: Reason

    public init(reason: Reason) {
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .noMatch(pattern): "no parameter matches \(pattern)"
        case let .invalidPattern(text, message): "invalid regular expression \"\(text)\": \(message)"
        }
    }
}
