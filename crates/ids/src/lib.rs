//! Tracking-number validation, carrier detection and typo explanations.
//!
//! Sellers type or paste tracking numbers from labels, carrier e-mails and
//! Chinese input methods. This crate normalises such input ([`normalize`]),
//! matches it against the number formats of parcel carriers, postal
//! operators (UPU S10, Deutsche Post Frankier-IDs) and freight identifiers
//! (ISO 6346 containers, IATA air waybills, SSCC, FBA ids), and returns a
//! [`Verdict`]: whether it is valid, the ranked [`Candidate`] formats with
//! their evidence, and for a mistyped number the failing check digit and the
//! most likely correction.
//!
//! The crate is pure: no I/O, no clock, no randomness, no dependency on
//! other tracklane crates. It never panics on any input.
//!
//! ```
//! let verdict = tracklane_ids::check("1z 999 aa1 01 2345 6784");
//! assert!(verdict.valid);
//! assert_eq!(verdict.carrier, Some("UPS"));
//!
//! // Two neighbouring digits swapped: the check digit fails and the swap is found.
//! let verdict = tracklane_ids::check("1Z879E933046834440");
//! assert!(!verdict.valid);
//! assert_eq!(verdict.suggestion.as_deref(), Some("1Z879E930346834440"));
//! ```
//!
//! Ranking: a format whose check digit matches beats a distinctive shape
//! without check digit (a literal prefix such as `TBA`), which beats a
//! format whose check digit failed, which beats a bare run of digits (a GLS
//! or DPD number is just "11 or 12" or "14" digits). The table order breaks
//! ties, the narrower shape first: a 12-digit number starting 0 to 5 whose
//! Luhn and FedEx mod-11 digits both match is Purolator's before FedEx's,
//! and both are listed. A failed check digit keeps a 12-digit FedEx typo
//! invalid even though GLS numbers have no check digit.
//!
//! Code map:
//! - `normalize`: separators, case, full-width characters.
//! - `checksum`: the check-digit algorithms, kept additive so the typo
//!   search is cheap.
//! - `formats`: the format table; formats built from labels seen in the wild
//!   rather than a public specification are marked "unsure" there and never
//!   carry a check digit.
//! - `country`: ISO 3166 codes and the postal operator behind an S10 number.
//! - `detect`: matching, ranking, named-carrier rules, the typo search.
//! - `verdict`: the public result types and their English and Chinese
//!   messages.
//! - `mix`: the deterministic benchmark mix.
//!
//! Deliberately absent: any lookup at a carrier (a valid number may still
//! be unknown to the carrier), and guessing beyond one adjacent
//! transposition or the check digit itself.

#![warn(missing_docs)]

mod checksum;
mod country;
mod detect;
mod formats;
mod mix;
mod normalize;
mod verdict;

pub use mix::bench_mix;
pub use normalize::normalize;
pub use verdict::{Candidate, Fix, Lang, Reason, Verdict};

/// Every carrier code this crate knows, with its English display name.
/// `UPU` stands for postal operators without a code of their own (the
/// country is in [`Candidate::country`]); `CONTAINER`, `AWB`, `SSCC`,
/// `FBA_BOX` and `FBA_SHIPMENT` are freight identifiers rather than carriers.
pub const CARRIERS: &[(&str, &str)] = &[
    ("UPS", "UPS"),
    ("FEDEX", "FedEx"),
    ("USPS", "USPS"),
    ("DHL", "DHL Express"),
    ("DHL_ECOMMERCE", "DHL eCommerce"),
    ("DHL_PARCEL", "DHL Parcel"),
    ("AMZL", "Amazon Logistics"),
    ("ONTRAC", "OnTrac"),
    ("LASERSHIP", "LaserShip"),
    ("CANADA_POST", "Canada Post"),
    ("CANPAR", "Canpar"),
    ("PUROLATOR", "Purolator"),
    ("DPD", "DPD"),
    ("GLS", "GLS"),
    ("YODEL", "Yodel"),
    ("LANDMARK", "Landmark Global"),
    ("ODFL", "Old Dominion Freight Line"),
    ("XPO", "XPO"),
    ("ESTES", "Estes Express Lines"),
    ("SAIA", "Saia"),
    ("RL", "R+L Carriers"),
    ("FEDEX_FREIGHT", "FedEx Freight"),
    ("SPEEDEE", "Spee-Dee Delivery"),
    ("GOFO", "GOFO Express"),
    ("SF", "SF Express"),
    ("YUNEXPRESS", "YunExpress"),
    ("YANWEN", "Yanwen"),
    ("4PX", "4PX"),
    ("CAINIAO", "Cainiao"),
    ("CHINA_POST", "China Post"),
    ("CHINA_EMS", "China EMS"),
    ("JAPAN_POST", "Japan Post"),
    ("ROYAL_MAIL", "Royal Mail"),
    ("LA_POSTE", "La Poste"),
    ("DEUTSCHE_POST", "Deutsche Post"),
    ("POSTNL", "PostNL"),
    ("POSTE_ITALIANE", "Poste Italiane"),
    ("CORREOS", "Correos"),
    ("UPU", "Postal operator (UPU S10)"),
    ("CONTAINER", "Container (ISO 6346)"),
    ("AWB", "Air waybill (IATA)"),
    ("SSCC", "SSCC-18"),
    ("FBA_BOX", "FBA box ID"),
    ("FBA_SHIPMENT", "FBA shipment ID"),
];

/// Simplified Chinese names where the carrier is usually written in Chinese;
/// the others keep their Latin brand name.
const CARRIER_NAMES_ZH: &[(&str, &str)] = &[
    ("USPS", "美国邮政"),
    ("AMZL", "亚马逊物流"),
    ("CANADA_POST", "加拿大邮政"),
    ("SF", "顺丰速运"),
    ("YUNEXPRESS", "云途物流"),
    ("YANWEN", "燕文物流"),
    ("4PX", "递四方"),
    ("CAINIAO", "菜鸟"),
    ("CHINA_POST", "中国邮政"),
    ("CHINA_EMS", "中国邮政 EMS"),
    ("JAPAN_POST", "日本邮政"),
    ("ROYAL_MAIL", "英国皇家邮政"),
    ("LA_POSTE", "法国邮政"),
    ("DEUTSCHE_POST", "德国邮政"),
    ("POSTNL", "荷兰邮政"),
    ("POSTE_ITALIANE", "意大利邮政"),
    ("CORREOS", "西班牙邮政"),
    ("UPU", "邮政（UPU S10）"),
    ("CONTAINER", "集装箱（ISO 6346）"),
    ("AWB", "航空运单（IATA）"),
    ("FBA_BOX", "FBA 箱号"),
    ("FBA_SHIPMENT", "FBA 货件号"),
];

/// The static code for `name` if it is one of [`CARRIERS`], ignoring ASCII case.
fn find_carrier(name: &str) -> Option<&'static str> {
    CARRIERS
        .iter()
        .map(|&(code, _)| code)
        .find(|code| code.eq_ignore_ascii_case(name))
}

/// Whether we have any format for the carrier `code` (case-insensitive).
pub fn knows_carrier(code: &str) -> bool {
    find_carrier(code.trim()).is_some()
}

/// The display name of a carrier code in `lang`, or `code` itself when the
/// code is not one of [`CARRIERS`].
pub fn carrier_name(code: &str, lang: Lang) -> &str {
    let Some(code_static) = find_carrier(code) else {
        return code;
    };
    let zh = match lang {
        Lang::ZhCn => CARRIER_NAMES_ZH
            .iter()
            .find(|&&(c, _)| c == code_static)
            .map(|&(_, name)| name),
        Lang::En => None,
    };
    zh.or_else(|| {
        CARRIERS
            .iter()
            .find(|&&(c, _)| c == code_static)
            .map(|&(_, name)| name)
    })
    .unwrap_or(code)
}

/// One entry of the format table, for help texts ("UPS numbers look like
/// 1Z + 16 letters or digits") and documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FormatInfo {
    /// Carrier code; `UPU` for S10, whose carrier depends on the country suffix.
    pub carrier: &'static str,
    /// Service name as it appears in [`Candidate::service`].
    pub service: &'static str,
    /// The shape in English, e.g. `"1Z + 16 letters or digits"`.
    pub description: &'static str,
    /// The check-digit algorithm, e.g. `"UPS mod-10"`; `None` when the format
    /// has none (or none we could confirm).
    pub check_digit: Option<&'static str>,
    /// `false` for shapes so generic (LTL PRO numbers) that they only count
    /// when the caller names the carrier.
    pub is_detected: bool,
}

/// Every format this crate knows, most specific first.
pub fn formats() -> impl Iterator<Item = FormatInfo> {
    formats::FORMATS.iter().map(|format| FormatInfo {
        carrier: format.carrier,
        service: format.service,
        description: format.description,
        check_digit: format.check.map(|check| check.scheme.name()),
        is_detected: format.detect,
    })
}

/// Checks a tracking number without knowing its carrier: detects the formats
/// it fits, ranks them and explains a failure.
pub fn check(input: &str) -> Verdict<'_> {
    detect::check_for(input, None)
}

/// Checks a tracking number, optionally for a named carrier (a code from
/// [`CARRIERS`], case-insensitive; blank counts as none).
///
/// With a named carrier the number is valid only if it fits one of that
/// carrier's formats, or a postal or IMpb number the carrier ships under
/// (Yanwen and other consolidators hand parcels over under S10 numbers).
/// Otherwise the reason is the carrier's failed check digit, or
/// [`Reason::CarrierMismatch`] listing the carriers it does fit.
///
/// For a carrier we have no format for ([`knows_carrier`] is false) any
/// plausible number is valid: 6–40 characters of A–Z and 0–9. Detected
/// candidates are still listed, but `carrier` stays `None` because the
/// caller's carrier is not one of our codes.
pub fn check_for<'a>(input: &'a str, carrier: Option<&str>) -> Verdict<'a> {
    detect::check_for(input, carrier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(code: &str, known: bool, en: &str, zh: &str) {
        assert_eq!(knows_carrier(code), known, "{code}");
        assert_eq!(carrier_name(code, Lang::En), en);
        assert_eq!(carrier_name(code, Lang::ZhCn), zh);
    }

    #[test]
    fn carrier_names() {
        check("UPS", true, "UPS", "UPS");
        check("ups", true, "UPS", "UPS");
        check("china_post", true, "China Post", "中国邮政");
        check("SF", true, "SF Express", "顺丰速运");
        check("TNT", false, "TNT", "TNT");
    }

    #[test]
    fn every_carrier_has_a_format() {
        for (code, _) in CARRIERS {
            let direct = formats().any(|format| format.carrier == *code);
            // Postal operators are reached through S10 numbers of their country.
            let postal = matches!(
                *code,
                "CHINA_POST"
                    | "CHINA_EMS"
                    | "JAPAN_POST"
                    | "ROYAL_MAIL"
                    | "LA_POSTE"
                    | "DEUTSCHE_POST"
                    | "POSTE_ITALIANE"
                    | "CORREOS"
            );
            assert!(direct || postal, "{code} has no format");
        }
        assert_eq!(formats().filter(|format| !format.is_detected).count(), 8);
    }

    #[test]
    fn codes_are_unique_and_upper_case() {
        for (index, (code, _)) in CARRIERS.iter().enumerate() {
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            assert!(
                CARRIERS[..index].iter().all(|(other, _)| other != code),
                "{code} twice"
            );
        }
        for (code, _) in CARRIER_NAMES_ZH {
            assert!(knows_carrier(code), "{code}");
        }
    }
}
