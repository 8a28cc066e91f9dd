/// The character classes of BERT's tokenizer, as Hugging Face `tokenizers` defines them
/// (`BertNormalizer`, `BertPreTokenizer`).
///
/// `tokenizers` takes punctuation, nonspacing marks and control/format characters from the
/// Unicode 8.0 tables of its `unicode_categories` dependency, so a character added to Unicode
/// later (e.g. U+2E43, U+1E944) is an ordinary letter to it. The same cut-off is applied here
/// through each scalar's Unicode age, so the tokens match on such text too.
extension Unicode.Scalar {
    /// Whether the scalar existed in Unicode 8.0, the version of `tokenizers`' category tables.
    @inline(__always)
    var isInBertUnicodeTables: Bool {
        guard let age = properties.age else { return false }
        return age.major < 8 || (age.major == 8 && age.minor == 0)
    }

    /// Removed by text cleaning: NUL, U+FFFD and control, format and private-use characters
    /// (categories Cc, Cf, Co, Cs), except tab, newline and carriage return.
    var isBertRemovable: Bool {
        if value == 0 || value == 0xFFFD { return true }
        if value == 0x09 || value == 0x0A || value == 0x0D { return false }
        if value < 0x7F { return value < 0x20 }
        switch properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return isInBertUnicodeTables
        default: return false
        }
    }

    /// Whitespace: tab, newline, carriage return or a `White_Space` character (Rust's
    /// `char::is_whitespace`).
    var isBertWhitespace: Bool {
        if value < 0x80 { return value == 0x20 || (value >= 0x09 && value <= 0x0D) }
        return properties.isWhitespace
    }

    /// Punctuation split off as its own token: every ASCII symbol `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`
    /// and Unicode punctuation (categories Pc, Pd, Ps, Pe, Pi, Pf, Po).
    var isBertPunctuation: Bool {
        if value < 0x80 {
            return (value >= 33 && value <= 47) || (value >= 58 && value <= 64) || (value >= 91 && value <= 96)
                || (value >= 123 && value <= 126)
        }
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return isInBertUnicodeTables
        default:
            return false
        }
    }

    /// A nonspacing mark (category Mn), dropped when accents are stripped.
    var isBertNonspacingMark: Bool {
        value >= 0x300 && properties.generalCategory == .nonspacingMark && isInBertUnicodeTables
    }

    /// A CJK ideograph, made a word of its own: the CJK Unified Ideographs blocks and their
    /// extensions A to E, and the compatibility ideographs (not Hiragana, Katakana or Hangul).
    var isCJKIdeograph: Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default:
            false
        }
    }
}
