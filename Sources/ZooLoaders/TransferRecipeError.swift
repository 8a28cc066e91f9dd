import TrainingCore

/// Why a ``TransferRecipe`` cannot be applied to a model, or its JSON read back.
public struct TransferRecipeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The model has no parameters.
        case emptyModel
        /// ``TransferRecipe/headModule`` names no module with parameters.
        case headNotFound(String)
        /// The head has another number of outputs than ``TransferRecipe/Head/replace(classes:)``
        /// says: the model was built with the old class count.
        case headClassMismatch(module: String, expected: Int, actual: Int)
        /// ``TransferRecipe/Freezing/firstLayers(_:)`` asks for more layers than the backbone has.
        case notEnoughLayers(requested: Int, available: Int)
        /// A count that must not be negative (layers, classes, epochs, data set size).
        case negativeCount(String, Int)
        /// A freezing pattern that matches no parameter (a typo must not train the whole model).
        case noMatch(NamePattern)
        /// A recipe JSON member is missing or has the wrong type.
        case invalidJSON(member: String, expected: String)
    }

    public var reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .emptyModel:
            "the model has no parameters"
        case let .headNotFound(module):
            "no parameters under head module \"\(module)\""
        case let .headClassMismatch(module, expected, actual):
            "head \"\(module)\" has \(actual) outputs, the recipe replaces it with \(expected) classes: "
                + "build the model with \(expected) labels"
        case let .notEnoughLayers(requested, available):
            "cannot freeze the first \(requested) layers: the backbone has \(available)"
        case let .negativeCount(what, value):
            "\(what) is \(value), expected 0 or more"
        case let .noMatch(pattern):
            "no parameter matches freezing pattern \(pattern)"
        case let .invalidJSON(member, expected):
            "recipe JSON: \(member) must be \(expected)"
        }
    }
}
