/// GPT-2's pre-tokenization: the pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, matched by hand
/// over Unicode scalars (as the `regex` module and Oniguruma match it over code points), with
/// `\s` the Unicode White_Space property, `\p{L}` the letter and `\p{N}` the number categories.
///
/// Each piece is then tokenized on its own, so BPE never merges across a word boundary:
///
/// ```swift
/// ByteLevelPreTokenizer.pieces(of: "it's  a test!!")   // ["it", "'s", " ", " a", " test", "!!"]
/// ```
public enum ByteLevelPreTokenizer {
    enum Kind: Equatable {
        case letter, number, space, other
    }

    static func kind(of scalar: Unicode.Scalar) -> Kind {
        // ASCII fast path; the rest asks the Unicode tables.
        if scalar.isASCII {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .space
            default: return .other
            }
        }
        let properties = scalar.properties
        if properties.isWhitespace { return .space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// The pieces of `text`, in order; together they are exactly `text`.
    public static func pieces(of text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return split(scalars, in: scalars.indices).map { range in
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[range])
            return String(piece)
        }
    }

    /// The ranges of the pieces of `scalars[range]`, in order, covering it.
    static func split(_ scalars: [Unicode.Scalar], in range: Range<Int>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var i = range.lowerBound
        let end = range.upperBound
        /// The end of the run of `kind` starting at `start`.
        func run(of kind: Kind, from start: Int) -> Int {
            var j = start
            while j < end && Self.kind(of: scalars[j]) == kind { j += 1 }
            return j
        }
        while i < end {
            let scalar = scalars[i]
            // 's 't 're 've 'm 'll 'd (case-sensitive, ASCII apostrophe only).
            if scalar == "'" && i + 1 < end {
                let second = scalars[i + 1]
                if second == "s" || second == "t" || second == "m" || second == "d" {
                    pieces.append(i..<(i + 2)); i += 2; continue
                }
                if i + 2 < end {
                    let third = scalars[i + 2]
                    if (second == "r" && third == "e") || (second == "v" && third == "e") || (second == "l" && third == "l") {
                        pieces.append(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: one optional space, then a run of one kind.
            var start = i
            if scalar == " " && i + 1 < end && kind(of: scalars[i + 1]) != .space { start = i + 1 }
            let kind = kind(of: scalars[start])
            if kind != .space {
                let stop = run(of: kind, from: start)
                pieces.append(i..<stop); i = stop; continue
            }
            // `\s+(?!\S)`: a whitespace run up to the end, or all but its last scalar when a
            // non-space follows (that scalar then starts the next piece as its optional space);
            // `\s+`: a single whitespace scalar before a non-space.
            let stop = run(of: .space, from: i)
            let length = stop == end || stop - i == 1 ? stop - i : stop - i - 1
            pieces.append(i..<(i + length)); i += length
        }
        return pieces
    }
}
