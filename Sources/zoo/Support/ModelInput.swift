import ArgumentParser
import ZooFormat
import ZooLoaders
import ZooStore

/// The model and token-id arguments `zoo embed` and `zoo generate` share.
enum ModelInput {
    /// The model `model` names: a stored model (NAME[:TAG], digest or digest prefix), else a
    /// checkpoint folder or `.zoo` archive at that path.
    static func checkpoint(_ model: String, store: Store) throws -> Checkpoint {
        let exists = FileSystem.kind(of: model) != .missing
        if let reference = try? ModelReference(parsing: model) {
            do {
                return try store.checkpoint(for: reference)
            } catch {
                guard exists, case .noSuchModel = error.reason else { throw error }
            }
        }
        guard exists else { throw InputError.notFound(model) }
        return try Checkpoint(contentsOf: model)
    }

    /// `"464 3290,318"` -> `[464, 3290, 318]`.
    static func parseIDs(_ text: String) throws -> [Int] {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
        guard !fields.isEmpty else { throw ValidationError("an empty id sequence: give at least one token id") }
        return try fields.map { field in
            guard let id = Int(field), id >= 0 else {
                throw ValidationError("'\(field)' is not a token id (a non-negative integer)")
            }
            return id
        }
    }
}
