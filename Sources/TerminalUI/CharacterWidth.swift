/// Display width of characters in terminal cells, with `wcwidth` semantics: 2 for East Asian Wide and Fullwidth
/// characters (CJK ideographs, kana, Hangul syllables, fullwidth forms, emoji with emoji presentation), 0 for
/// combining and format characters, 1 for everything else (control characters included: backends draw them as `?`).
///
/// Source: Unicode 14.0 `EastAsianWidth.txt` (the characters whose property is `W` or `F`, plus the unassigned code
/// points the file's header assigns `W`: 3400..4DBF, 4E00..9FFF, F900..FAFF, 20000..2FFFD, 30000..3FFFD), generated
/// with Python's `unicodedata` 14.0; zero width as glibc's `wcwidth` (Unicode `Mn`, `Me`, `Cf` except U+00AD SOFT HYPHEN
/// and the prepended concatenation marks, plus the conjoining Hangul vowels and final consonants 1160..11FF,
/// D7B0..D7FF). glibc 2.36's `wcwidth` in `C.UTF-8` agrees on every character it knows except the 72 it widens
/// beyond the standard (3248..324F, which Unicode calls ambiguous, and the Yijing hexagrams 4DC0..4DFF) and U+1171E
/// (a spacing mark in the Swift runtime's newer Unicode data); ambiguous characters are 1, as in non-CJK locales.
/// `NCursesBackendTests.WideCharacterBackendTests.testAgreesWithTheCLibrary` checks this on every code point up to
/// 3FFFF.
///
/// A `Character` (an extended grapheme cluster: a base with its combining marks, an emoji with its modifiers) is as
/// wide as its first scalar, as `wcwidth` of that scalar: `é` (e + U+0301) is 1, `手` is 2, `😀` is 2.
///
/// Thread-safety: stateless; safe from any thread.
public enum CharacterWidth {
    /// The width of `scalar` in cells: 0, 1 or 2.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x300 { return 1 }   // ASCII, Latin-1 (U+00AD SOFT HYPHEN is 1), controls: no wide or zero-width below
        // The dashboard's own glyphs (box drawing, block elements, braille), drawn thousands of times a frame.
        if (0x2500...0x259F).contains(v) || (0x2800...0x28FF).contains(v) { return 1 }
        // Zero width first: a few combining marks are East Asian Wide (the kana voicing marks 3099, 309A; the
        // ideographic tone marks 302A..302D), and combine all the same.
        if isZeroWidth(scalar) { return 0 }
        return isWide(v) ? 2 : 1
    }

    /// The width of `character` in cells (that of its first scalar): 0, 1 or 2.
    public static func of(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        return of(first)
    }

    /// The width of `text` in cells: the sum over its characters.
    public static func of<S: StringProtocol>(_ text: S) -> Int {
        var w = 0
        for ch in text { w += of(ch) }
        return w
    }

    static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (0x1160...0x11FF).contains(v) || (0xD7B0...0xD7FF).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return true
        case .format: return !prependedConcatenationMarks.contains(v)
        default: return false
        }
    }

    /// Format characters that are spacing (Unicode's Prepended_Concatenation_Mark, e.g. ARABIC NUMBER SIGN).
    static let prependedConcatenationMarks: Set<UInt32> = [
        0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6DD, 0x70F, 0x890, 0x891, 0x8E2, 0x110BD, 0x110CD,
    ]

    static func isWide(_ v: UInt32) -> Bool {
        guard v >= 0x1100 else { return false }
        var lo = 0, hi = wideRanges.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let r = wideRanges[mid]
            if v < r.lowerBound { hi = mid - 1 } else if v > r.upperBound { lo = mid + 1 } else { return true }
        }
        return false
    }

    /// East Asian Wide (W) and Fullwidth (F) code points, sorted and disjoint (Unicode 14.0, see the type's doc).
    static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55, 0x2E80...0x2E99,
        0x2E9B...0x2EF3, 0x2F00...0x2FD5, 0x2FF0...0x2FFB, 0x3000...0x303E, 0x3041...0x3096, 0x3099...0x30FF,
        0x3105...0x312F, 0x3131...0x318E, 0x3190...0x31E3, 0x31F0...0x321E, 0x3220...0x3247, 0x3250...0x4DBF,
        0x4E00...0xA48C, 0xA490...0xA4C6, 0xA960...0xA97C, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
        0xFE30...0xFE52, 0xFE54...0xFE66, 0xFE68...0xFE6B, 0xFF01...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4,
        0x16FF0...0x16FF1, 0x17000...0x187F7, 0x18800...0x18CD5, 0x18D00...0x18D08, 0x1AFF0...0x1AFF3,
        0x1AFF5...0x1AFFB, 0x1AFFD...0x1AFFE, 0x1B000...0x1B122, 0x1B150...0x1B152, 0x1B164...0x1B167,
        0x1B170...0x1B2FB, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A,
        0x1F200...0x1F202, 0x1F210...0x1F23B, 0x1F240...0x1F248, 0x1F250...0x1F251, 0x1F260...0x1F265,
        0x1F300...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA,
        0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4, 0x1F3F8...0x1F43E, 0x1F440...0x1F440,
        0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A...0x1F57A,
        0x1F595...0x1F596, 0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC,
        0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7, 0x1F6DD...0x1F6DF, 0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC,
        0x1F7E0...0x1F7EB, 0x1F7F0...0x1F7F0, 0x1F90C...0x1F93A, 0x1F93C...0x1F945, 0x1F947...0x1F9FF,
        0x1FA70...0x1FA74, 0x1FA78...0x1FA7C, 0x1FA80...0x1FA86, 0x1FA90...0x1FAAC, 0x1FAB0...0x1FABA,
        0x1FAC0...0x1FAC5, 0x1FAD0...0x1FAD9, 0x1FAE0...0x1FAE7, 0x1FAF0...0x1FAF6, 0x20000...0x2FFFD,
        0x30000...0x3FFFD,
    ]
}

extension StringProtocol {
    /// Width in terminal cells (`CharacterWidth.of`): `"手写数字.npz".cellWidth == 12`, `"abc".cellWidth == 3`.
    public var cellWidth: Int { CharacterWidth.of(self) }
}
