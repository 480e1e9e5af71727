//! Normalisation of typed or pasted tracking numbers.
//!
//! People paste numbers with spaces, dashes and line breaks, type them in
//! lower case, and Chinese and Japanese input methods produce full-width
//! characters (`１Ｚ９９９…`). Normalisation removes separators, upper-cases
//! ASCII letters and folds full-width letters and digits to ASCII. Anything
//! else is kept as it is, so that validation can point at it.
//!
//! Normalisation is idempotent: every character it outputs maps to itself.
//! That holds because the output alphabet is upper-case ASCII letters,
//! digits, and characters that are neither separators nor foldable, and only
//! ASCII letters are case-mapped (Unicode case mapping can expand one
//! character into several, which would make that guarantee harder to see).

use std::borrow::Cow;

/// Returns the normalised form of `input`: separators removed, ASCII and
/// full-width letters and digits mapped to upper-case ASCII, everything else
/// unchanged. `normalize(&normalize(s)) == normalize(s)` for every `s`.
pub fn normalize(input: &str) -> String {
    normalize_checked(input).0.into_owned()
}

fn is_alphanumeric(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

/// Byte classes for [`normalize_checked`]'s first pass, as bits so that a
/// whole input's classes are their union: `A–Z0–9` is 0.
const CLEAN: u8 = 0;
const LOWER: u8 = 1;
const SEPARATOR: u8 = 2;
const OTHER: u8 = 4;
const NON_ASCII: u8 = 8;

static CLASS: [u8; 256] = {
    let mut class = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        class[b] = if byte.is_ascii_uppercase() || byte.is_ascii_digit() {
            CLEAN
        } else if byte.is_ascii_lowercase() {
            LOWER
        } else if is_ascii_separator(byte) {
            SEPARATOR
        } else if byte.is_ascii() {
            OTHER
        } else {
            NON_ASCII
        };
        b += 1;
    }
    class
};

/// [`normalize`], also telling whether the result is entirely `A–Z0–9`, which
/// the fast paths learn for free and validation would otherwise scan for.
///
/// Input that is already normalised is borrowed, not copied.
pub(crate) fn normalize_checked(input: &str) -> (Cow<'_, str>, bool) {
    let bytes = input.as_bytes();
    // One branch-free pass says which paths the input needs.
    let classes = bytes.iter().fold(0, |acc, &b| acc | CLASS[usize::from(b)]);
    if classes == CLEAN {
        // Already normalised: the common case for numbers pasted from a label.
        return (Cow::Borrowed(input), true);
    }
    if classes & NON_ASCII == 0 {
        let mut out = Vec::with_capacity(bytes.len());
        for &b in bytes {
            if CLASS[usize::from(b)] != SEPARATOR {
                out.push(b.to_ascii_uppercase());
            }
        }
        // ASCII in, ASCII out: the conversion cannot fail.
        let out = String::from_utf8(out).unwrap_or_default();
        return (Cow::Owned(out), classes & OTHER == 0);
    }
    let mut out = String::with_capacity(input.len());
    out.extend(input.chars().filter_map(fold));
    let is_clean = out.bytes().all(is_alphanumeric);
    (Cow::Owned(out), is_clean)
}

/// ASCII characters that separate groups of a number. Whitespace matches
/// `char::is_whitespace` for ASCII so both paths agree.
const fn is_ascii_separator(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | b'-' | b'_' | b'.' | b'/' | b'(' | b')'
    )
}

/// What `c` becomes: `None` for separators, the upper-case ASCII form of a
/// letter or digit (ASCII or full-width), and `c` itself otherwise.
fn fold(c: char) -> Option<char> {
    let code = u32::from(c);
    match c {
        _ if c.is_ascii() => {
            // `c` is ASCII, so the conversion is lossless.
            let b = code as u8;
            (!is_ascii_separator(b)).then(|| char::from(b.to_ascii_uppercase()))
        }
        // Full-width digits and letters (U+FF10–FF19, U+FF21–FF3A, U+FF41–FF5A)
        // sit at a fixed offset from ASCII.
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(code - 0xFEE0).map(|ascii| ascii.to_ascii_uppercase())
        }
        // Full-width separators: hyphen-minus, full stop, solidus, low line,
        // parentheses.
        '\u{FF0D}' | '\u{FF0E}' | '\u{FF0F}' | '\u{FF3F}' | '\u{FF08}' | '\u{FF09}' => None,
        // Unicode dashes and minus sign; the katakana long-vowel mark and the
        // middle dots are what Japanese and Chinese input methods type for
        // "-" and "·".
        '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{30FC}'
        | '\u{00B7}'
        | '\u{30FB}'
        | '\u{FF65}' => None,
        // Zero-width characters that ride along with copied text.
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
        // Every other kind of whitespace, including the ideographic space U+3000.
        _ if c.is_whitespace() => None,
        _ => Some(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let once = normalize(input);
        assert_eq!(once, expected, "{input:?}");
        assert_eq!(normalize(&once), once, "not idempotent on {input:?}");
    }

    #[test]
    fn ascii_separators_and_case() {
        check("  1z 999 aa1 01 2345 6784\n", "1Z999AA10123456784");
        check("0307-1790-0005-2348-3741", "03071790000523483741");
        check("(00) 1234.5678/9_0", "001234567890");
        check("\tRA123456785cn ", "RA123456785CN");
    }

    #[test]
    fn full_width_input_method_characters() {
        check("１Ｚ９９９ＡＡ１０１２３４５６７８４", "1Z999AA10123456784");
        check("ｒａ１２３４５６７８５ｃｎ", "RA123456785CN");
        check("ＳＦ　１２３４－５６７８", "SF12345678");
        check("YT２２２９ー５２１２", "YT22295212");
    }

    #[test]
    fn unicode_dashes_and_invisible_characters() {
        check("9400\u{2013}1112\u{2014}0108", "940011120108");
        check("\u{FEFF}TBA123\u{200B}456", "TBA123456");
        check("12\u{00A0}34\u{3000}56", "123456");
    }

    #[test]
    fn other_characters_are_kept_for_validation_to_report() {
        check("1Z#99", "1Z#99");
        check("运单1Z", "运单1Z");
        check("é", "é");
        check("", "");
    }
}
