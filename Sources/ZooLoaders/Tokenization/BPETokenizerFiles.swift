import ZooFormat

/// The files a byte-level BPE tokenizer is built from, as a Hugging Face model folder or a
/// checkpoint's assets carry them: `vocab.json` + `merges.txt` (GPT-2's), and/or `tokenizer.json`.
///
/// ```swift
/// let files = try BPETokenizerFiles(checkpoint: checkpoint)
/// if files.isComplete { let tokenizer = try BPETokenizer(files: files) }
/// ```
public struct BPETokenizerFiles: Sendable, Equatable {
    /// The file names looked for.
    public enum Name {
        public static let vocabJSON = "vocab.json"
        public static let merges = "merges.txt"
        public static let tokenizerJSON = "tokenizer.json"
    }

    /// Where the files come from (a folder or checkpoint), for messages.
    public var location: String
    /// `vocab.json`: token -> id.
    public var vocabJSON: [UInt8]?
    /// `merges.txt`: one merge a line, by rank, after an optional `#version` line.
    public var merges: [UInt8]?
    /// `tokenizer.json` (Hugging Face `tokenizers`).
    public var tokenizerJSON: [UInt8]?

    public init(location: String, vocabJSON: [UInt8]? = nil, merges: [UInt8]? = nil, tokenizerJSON: [UInt8]? = nil) {
        self.location = location
        self.vocabJSON = vocabJSON
        self.merges = merges
        self.tokenizerJSON = tokenizerJSON
    }

    /// Whether a tokenizer can be looked for: `tokenizer.json`, or both `vocab.json` and `merges.txt`.
    public var isComplete: Bool { tokenizerJSON != nil || (vocabJSON != nil && merges != nil) }

    /// The tokenizer files among a checkpoint's assets (missing ones are `nil`).
    ///
    /// - Parameter location: what messages call the checkpoint (a model reference, say);
    ///   by default its ``ZooFormat/Checkpoint/location``.
    /// - Throws: ``BPETokenizerError`` naming the asset: `.checkpoint` when it cannot be read,
    ///   `.fileTooLarge` over ``BPETokenizer/maxFileByteCount``.
    public init(checkpoint: Checkpoint, location: String? = nil) throws(BPETokenizerError) {
        let location = location ?? checkpoint.location
        func asset(_ name: String) throws(BPETokenizerError) -> [UInt8]? {
            do {
                return try TokenizerFileReading.asset(
                    name, of: checkpoint, location: location, limit: BPETokenizer.maxFileByteCount)
            } catch {
                throw BPETokenizerError(error)
            }
        }
        self.init(
            location: location, vocabJSON: try asset(Name.vocabJSON), merges: try asset(Name.merges),
            tokenizerJSON: try asset(Name.tokenizerJSON))
    }

    /// The tokenizer files of a model folder (missing ones are `nil`).
    ///
    /// - Throws: ``BPETokenizerError`` naming the file: `.io` when it exists but cannot be read,
    ///   `.fileTooLarge` over ``BPETokenizer/maxFileByteCount``.
    public init(folder: String) throws(BPETokenizerError) {
        func file(_ name: String) throws(BPETokenizerError) -> [UInt8]? {
            do {
                return try TokenizerFileReading.file(name, in: folder, limit: BPETokenizer.maxFileByteCount)
            } catch {
                throw BPETokenizerError(error)
            }
        }
        self.init(
            location: folder, vocabJSON: try file(Name.vocabJSON), merges: try file(Name.merges),
            tokenizerJSON: try file(Name.tokenizerJSON))
    }
}

extension BPETokenizerError {
    /// A bounded read's failure as the BPE files' error.
    init(_ failure: TokenizerFileReading.Failure) {
        switch failure {
        case let .tooLarge(file, byteCount):
            self.init(file: file, reason: .fileTooLarge(byteCount: byteCount, limit: BPETokenizer.maxFileByteCount))
        case let .checkpoint(file, error): self.init(file: file, reason: .checkpoint(error))
        case let .io(file, error): self.init(file: file, reason: .io(error))
        }
    }
}
