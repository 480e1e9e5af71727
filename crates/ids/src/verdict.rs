//! The result of checking a tracking number, and how it is explained.
//!
//! A [`Verdict`] says whether a number is valid, which carriers it could
//! belong to ([`Candidate`]s, best first), and, when it is not valid, why
//! ([`Reason`]) with a likely correction. Reasons carry a stable code
//! (`tracking_number.check_digit`) for programs and a full sentence in English
//! or Simplified Chinese for people.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::detect::Listing;

/// The language of a human-readable message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese (zh-CN).
    ZhCn,
}

/// One format the number fits (or nearly fits), with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    /// Tracklane carrier code, e.g. `"UPS"`; see [`crate::CARRIERS`].
    pub carrier: &'static str,
    /// The carrier's service or number family, e.g. `"UPS 1Z"`, `"UPU S10"`.
    pub service: &'static str,
    /// Why the number fits, in English: its shape and the check-digit outcome.
    /// Borrowed from a table built once, except for a failed check digit,
    /// whose text names the digit expected.
    pub why: Cow<'static, str>,
    /// The format has a check digit and it matches.
    pub check_digit_verified: bool,
    /// For UPU S10 numbers, the ISO 3166-1 alpha-2 code of the issuing
    /// operator's country; `None` otherwise.
    pub country: Option<&'static str>,
    /// `false` when the number has the format's shape but its check digit
    /// does not match: listed so the caller can see what was probably meant.
    pub fits: bool,
}

/// A likely correction of a mistyped number, behind [`Verdict::suggestion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// The characters at `position` and `position + 1` (1-based) were swapped;
    /// swapping them back makes the check digit match.
    Transposition {
        /// 1-based position of the first of the two characters.
        position: usize,
    },
    /// Replacing the check digit at `position` (1-based) makes the number
    /// valid. Always possible, so it is the fallback when no single
    /// transposition explains the error.
    CheckDigit {
        /// 1-based position of the check digit.
        position: usize,
    },
}

/// Why a number is not valid. Positions are 1-based character positions in
/// the normalised number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Nothing left after normalisation.
    Empty,
    /// A character other than A–Z and 0–9 survived normalisation.
    BadCharacters {
        /// 1-based position of the first such character.
        position: usize,
        /// The character itself.
        character: char,
    },
    /// Shorter than any format (or than the format its prefix announces).
    TooShort {
        /// Characters in the normalised number.
        length: usize,
        /// The fewest characters the format needs.
        length_min: usize,
    },
    /// Longer than any format (or than the format its prefix announces).
    TooLong {
        /// Characters in the normalised number.
        length: usize,
        /// The most characters the format allows.
        length_max: usize,
    },
    /// The number has a format's shape but its check digit does not match.
    CheckDigit {
        /// 1-based position of the check digit.
        position: usize,
        /// The check digit the rest of the number calls for.
        expected: char,
        /// The check digit actually there.
        found: char,
    },
    /// The number fits no format we know.
    UnknownFormat,
    /// Zeros after the first two characters: a placeholder typed or exported
    /// in place of a number. Such a number passes most check digits (a
    /// weighted sum of zeros is zero), so its shape alone would accept it.
    Placeholder,
    /// The caller named a carrier the number does not fit.
    CarrierMismatch {
        /// The carrier code the caller named, upper-cased.
        named: String,
        /// Carriers the number does fit, best first; may be empty.
        fits: Vec<&'static str>,
    },
}

impl Reason {
    /// A stable machine-readable code, e.g. `"tracking_number.check_digit"`.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Empty => "tracking_number.empty",
            Reason::BadCharacters { .. } => "tracking_number.characters",
            Reason::TooShort { .. } => "tracking_number.too_short",
            Reason::TooLong { .. } => "tracking_number.too_long",
            Reason::CheckDigit { .. } => "tracking_number.check_digit",
            Reason::UnknownFormat => "tracking_number.unknown_format",
            Reason::Placeholder => "tracking_number.placeholder",
            Reason::CarrierMismatch { .. } => "tracking_number.carrier_mismatch",
        }
    }

    /// A full sentence naming the problem and the fix.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Reason::Empty, Lang::En) => {
                "The tracking number is empty; enter the number printed on the shipping label.".to_owned()
            }
            (Reason::Empty, Lang::ZhCn) => "运单号为空，请输入面单上印的运单号。".to_owned(),
            (Reason::BadCharacters { position, character }, Lang::En) => format!(
                "The tracking number contains {} at position {position}, but tracking numbers use only the letters A–Z and digits 0–9; remove that character.",
                shown(*character, Lang::En)
            ),
            (Reason::BadCharacters { position, character }, Lang::ZhCn) => format!(
                "运单号第 {position} 位是{}，但运单号只能包含字母 A–Z 和数字 0–9，请删除该字符。",
                shown(*character, Lang::ZhCn)
            ),
            (Reason::TooShort { length, length_min }, Lang::En) => format!(
                "The tracking number has {length} characters but needs at least {length_min}; check the label for missing characters."
            ),
            (Reason::TooShort { length, length_min }, Lang::ZhCn) => {
                format!("运单号只有 {length} 位，至少应有 {length_min} 位，请对照面单检查是否漏输了字符。")
            }
            (Reason::TooLong { length, length_max }, Lang::En) => format!(
                "The tracking number has {length} characters but may have at most {length_max}; check the label for extra characters or two numbers run together."
            ),
            (Reason::TooLong { length, length_max }, Lang::ZhCn) => {
                format!("运单号有 {length} 位，最多只应有 {length_max} 位，请检查是否多输了字符或把两个单号连在了一起。")
            }
            (Reason::CheckDigit { position, expected, found }, Lang::En) => format!(
                "The check digit at position {position} should be {expected} but is {found}, so a character was probably mistyped; compare the number with the label."
            ),
            (Reason::CheckDigit { position, expected, found }, Lang::ZhCn) => format!(
                "第 {position} 位校验码应为 {expected}，实际为 {found}，说明可能有字符输错了，请对照面单核对。"
            ),
            (Reason::UnknownFormat, Lang::En) => "The tracking number matches no carrier format we know; check it against the label or choose the carrier explicitly.".to_owned(),
            (Reason::UnknownFormat, Lang::ZhCn) => "运单号不符合任何已知承运商的格式，请对照面单核对，或手动选择承运商。".to_owned(),
            (Reason::Placeholder, Lang::En) => "The tracking number is only zeros after its first characters, a placeholder rather than a real number; enter the number printed on the shipping label.".to_owned(),
            (Reason::Placeholder, Lang::ZhCn) => "运单号除开头外全是 0，是占位符而不是真实单号，请输入面单上印的运单号。".to_owned(),
            (Reason::CarrierMismatch { named, fits }, Lang::En) => {
                let named = crate::carrier_name(named, Lang::En);
                if fits.is_empty() {
                    format!("The tracking number does not fit any {named} format; check the number or choose a different carrier.")
                } else {
                    let fits = join(fits, ", ", Lang::En);
                    format!("The tracking number does not fit {named} but looks like {fits}; choose the matching carrier or check the number.")
                }
            }
            (Reason::CarrierMismatch { named, fits }, Lang::ZhCn) => {
                let named = crate::carrier_name(named, Lang::ZhCn);
                if fits.is_empty() {
                    format!("运单号不符合{named}的任何格式，请核对单号或选择其他承运商。")
                } else {
                    let fits = join(fits, "、", Lang::ZhCn);
                    format!("运单号不符合{named}的格式，但看起来像{fits}的单号，请选择对应的承运商或核对单号。")
                }
            }
        }
    }
}

/// A character as shown inside a message: quoted, or as U+XXXX when it would
/// be invisible.
fn shown(character: char, lang: Lang) -> String {
    let visible = !(character.is_control() || character.is_whitespace());
    match (visible, lang) {
        (true, Lang::En) => format!("'{character}'"),
        (true, Lang::ZhCn) => format!("“{character}”"),
        (false, _) => format!("U+{:04X}", u32::from(character)),
    }
}

fn join(codes: &[&str], separator: &str, lang: Lang) -> String {
    let mut out = String::new();
    for (index, code) in codes.iter().enumerate() {
        if index > 0 {
            out.push_str(separator);
        }
        out.push_str(crate::carrier_name(code, lang));
    }
    out
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for Reason {}

/// Serialises as `{"code": …, "message": …}` with the English message, the
/// shape `tracklane id check --json` prints.
impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Reason", 2)?;
        object.serialize_field("code", self.code())?;
        object.serialize_field("message", &self.message(Lang::En))?;
        object.end()
    }
}

/// The outcome of [`crate::check`] or [`crate::check_for`], borrowing the
/// input it judged: checking a batch copies none of its numbers, and a
/// number that is already normalised (the common case) is not copied either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<'a> {
    /// The input exactly as given.
    pub input: &'a str,
    /// The input after [`crate::normalize`]; borrowed when that changed nothing.
    pub normalized: Cow<'a, str>,
    /// The number fits at least one known format (with a matching check
    /// digit where the format has one) and, if a carrier was named, fits that
    /// carrier. A bare run of digits without a check digit (say, 14 digits
    /// for DPD) does not make a number valid when a check-digit format of the
    /// same shape failed: a mistyped FedEx number must not pass as GLS.
    pub valid: bool,
    /// The best candidate's carrier code. When a carrier was named and the
    /// number fits it (or only its check digit failed), the named carrier;
    /// `None` when nothing matched or the named carrier is not one of
    /// [`crate::CARRIERS`].
    pub carrier: Option<&'static str>,
    /// The best candidate's service, e.g. `"FedEx Ground"`.
    pub service: Option<&'static str>,
    /// The formats behind [`Verdict::candidates`].
    pub(crate) listing: Listing,
    /// Why the number is not valid; `None` when it is.
    pub reason: Option<Reason>,
    /// The corrected number, when a check digit failed.
    pub suggestion: Option<String>,
    /// How [`Verdict::suggestion`] differs from the input. Not serialised.
    pub fix: Option<Fix>,
}

impl Verdict<'_> {
    /// Every format the number fits or nearly fits, best first: verified
    /// check digits, then distinctive shapes, then failed check digits, then
    /// bare digit runs. Built on each call.
    pub fn candidates(&self) -> Vec<Candidate> {
        self.listing.build(self.normalized.as_bytes())
    }

    /// The reason and the suggestion as one sentence, or `None` when the
    /// number is valid.
    pub fn message(&self, lang: Lang) -> Option<String> {
        let reason = self.reason.as_ref()?.message(lang);
        let Some(suggestion) = &self.suggestion else {
            return Some(reason);
        };
        let stem = reason.trim_end_matches(['.', '。']);
        Some(match (self.fix, lang) {
            (Some(Fix::Transposition { position }), Lang::En) => format!(
                "{stem}: the characters at positions {position} and {} look swapped, so did you mean {suggestion}?",
                position + 1
            ),
            (Some(Fix::Transposition { position }), Lang::ZhCn) => {
                format!(
                    "{stem}：第 {position} 位和第 {} 位可能输反了，您要输入的是否为 {suggestion}？",
                    position + 1
                )
            }
            (_, Lang::En) => format!("{stem}; did you mean {suggestion}?"),
            (_, Lang::ZhCn) => format!("{stem}；您要输入的是否为 {suggestion}？"),
        })
    }
}

/// Serialises to the keys `input, normalized, valid, carrier, service,
/// candidates, reason, suggestion`; `reason` is `{code, message}` or null.
impl Serialize for Verdict<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Verdict", 8)?;
        object.serialize_field("input", &self.input)?;
        object.serialize_field("normalized", &self.normalized)?;
        object.serialize_field("valid", &self.valid)?;
        object.serialize_field("carrier", &self.carrier)?;
        object.serialize_field("service", &self.service)?;
        object.serialize_field("candidates", &self.candidates())?;
        object.serialize_field("reason", &self.reason)?;
        object.serialize_field("suggestion", &self.suggestion)?;
        object.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(reason: Reason, code: &str, en: &str, zh: &str) {
        assert_eq!(reason.code(), code);
        assert_eq!(reason.message(Lang::En), en);
        assert_eq!(reason.message(Lang::ZhCn), zh);
    }

    #[test]
    fn check_digit_message() {
        check(
            Reason::CheckDigit {
                position: 18,
                expected: '4',
                found: '5',
            },
            "tracking_number.check_digit",
            "The check digit at position 18 should be 4 but is 5, so a character was probably mistyped; compare the number with the label.",
            "第 18 位校验码应为 4，实际为 5，说明可能有字符输错了，请对照面单核对。",
        );
    }

    #[test]
    fn bad_character_message_shows_invisible_characters_as_code_points() {
        check(
            Reason::BadCharacters {
                position: 3,
                character: '\u{7}',
            },
            "tracking_number.characters",
            "The tracking number contains U+0007 at position 3, but tracking numbers use only the letters A–Z and digits 0–9; remove that character.",
            "运单号第 3 位是U+0007，但运单号只能包含字母 A–Z 和数字 0–9，请删除该字符。",
        );
    }

    #[test]
    fn carrier_mismatch_names_carriers() {
        check(
            Reason::CarrierMismatch {
                named: "FEDEX".to_owned(),
                fits: vec!["UPS", "CHINA_POST"],
            },
            "tracking_number.carrier_mismatch",
            "The tracking number does not fit FedEx but looks like UPS, China Post; choose the matching carrier or check the number.",
            "运单号不符合FedEx的格式，但看起来像UPS、中国邮政的单号，请选择对应的承运商或核对单号。",
        );
    }

    #[test]
    fn every_code_is_namespaced() {
        let reasons = [
            Reason::Empty,
            Reason::BadCharacters {
                position: 1,
                character: '#',
            },
            Reason::TooShort {
                length: 3,
                length_min: 8,
            },
            Reason::TooLong {
                length: 50,
                length_max: 40,
            },
            Reason::CheckDigit {
                position: 1,
                expected: '1',
                found: '2',
            },
            Reason::UnknownFormat,
            Reason::Placeholder,
            Reason::CarrierMismatch {
                named: "UPS".to_owned(),
                fits: Vec::new(),
            },
        ];
        for reason in reasons {
            assert!(reason.code().starts_with("tracking_number."));
            assert!(reason.message(Lang::En).ends_with('.'));
            assert!(reason.message(Lang::ZhCn).ends_with('。'));
        }
    }
}
