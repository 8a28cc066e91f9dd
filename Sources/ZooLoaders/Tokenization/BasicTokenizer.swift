import Foundation

/// BERT's text normalisation and word splitting, before WordPiece: Hugging Face `tokenizers`'
/// `BertNormalizer` followed by `BertPreTokenizer` (what `BertTokenizerFast` and
/// sentence-transformers run).
///
/// In order: text cleaning (NUL, U+FFFD and control/format characters dropped, every whitespace
/// character made a space), a space on each side of every CJK ideograph, accent stripping
/// (canonical decomposition, then nonspacing marks dropped), lower-casing (per character, full
/// Unicode mapping); then words are split at whitespace and every punctuation character becomes a
/// word of its own.
///
/// ```swift
/// BasicTokenizer().tokenize("Crème brûlée, s'il vous plaît!")
/// // ["creme", "brulee", ",", "s", "'", "il", "vous", "plait", "!"]
/// ```
public struct BasicTokenizer: Sendable, Equatable {
    /// Drop control characters and turn whitespace into spaces (`clean_text`).
    public var cleansText: Bool
    /// Put CJK ideographs in words of their own (`handle_chinese_chars`, `tokenize_chinese_chars`).
    public var splitsCJKCharacters: Bool
    /// Decompose and drop nonspacing marks (`strip_accents`).
    public var stripsAccents: Bool
    /// Lower-case (`lowercase`, `do_lower_case`).
    public var lowercases: Bool

    /// An uncased BERT tokenizer by default (`do_lower_case=True`).
    ///
    /// - Parameter stripAccents: `nil` follows `lowercase`, as Hugging Face does.
    public init(lowercase: Bool = true, stripAccents: Bool? = nil, splitCJKCharacters: Bool = true, cleanText: Bool = true) {
        self.lowercases = lowercase
        self.stripsAccents = stripAccents ?? lowercase
        self.splitsCJKCharacters = splitCJKCharacters
        self.cleansText = cleanText
    }

    /// The normalised text (`BertNormalizer`), before splitting into words.
    public func normalize(_ text: String) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: normalizedScalars(text.unicodeScalars))
        return String(view)
    }

    /// The words of `text`: normalised, split at whitespace, punctuation isolated.
    public func tokenize(_ text: String) -> [String] {
        words(in: text.unicodeScalars).map { word in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: word)
            return String(view)
        }
    }

    /// The words of a piece of text, as scalars (the input of WordPiece).
    func words(in text: some Sequence<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        let scalars = normalizedScalars(text)
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if scalar.isBertWhitespace {
                if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
            } else if scalar.isBertPunctuation {
                if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `BertNormalizer`: clean, pad CJK, strip accents, lower-case, in that order.
    func normalizedScalars(_ text: some Sequence<Unicode.Scalar>) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.underestimatedCount)
        var isASCII = true
        for scalar in text {
            if cleansText {
                if scalar.isBertRemovable { continue }
                if scalar.isBertWhitespace {
                    scalars.append(" ")
                    continue
                }
            }
            if scalar.value >= 0x80 {
                isASCII = false
                if splitsCJKCharacters && scalar.isCJKIdeograph {
                    scalars.append(" ")
                    scalars.append(scalar)
                    scalars.append(" ")
                    continue
                }
            }
            scalars.append(scalar)
        }
        // ASCII text is its own canonical decomposition and lower-cases byte by byte.
        if isASCII {
            if lowercases {
                for i in scalars.indices where scalars[i].value >= 0x41 && scalars[i].value <= 0x5A {
                    scalars[i] = Unicode.Scalar(UInt8(scalars[i].value + 0x20))
                }
            }
            return scalars
        }
        if stripsAccents {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            let decomposed = String(view).decomposedStringWithCanonicalMapping
            scalars = decomposed.unicodeScalars.filter { !$0.isBertNonspacingMark }
        }
        if lowercases {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(scalars.count)
            for scalar in scalars {
                if scalar.value < 0x80 {
                    let isUpper = scalar.value >= 0x41 && scalar.value <= 0x5A
                    lowered.append(isUpper ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar)
                } else if scalar.properties.changesWhenLowercased {
                    lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                } else {
                    lowered.append(scalar)
                }
            }
            scalars = lowered
        }
        return scalars
    }
}
