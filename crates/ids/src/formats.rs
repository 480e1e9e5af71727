//! The table of tracking-number formats: shape, check digit, carrier.
//!
//! Each [`Format`] says which carrier issues it, how long it is, what its
//! characters look like (`shape`), and where its check digit sits. The table
//! order is the tie-break when several formats fit equally well, so more
//! specific formats (a literal prefix, letters in fixed places, a restricted
//! first digit) come first and bare digit runs last. Two formats of the same
//! length whose check digits both match are such a tie: the narrower shape
//! explains the number better, and the other stays listed behind it.
//!
//! Shape functions are only called on normalised input that is already known
//! to be `A–Z0–9` and within `len_min..=len_max`, so they can index freely.
//!
//! Where public specifications were not available to us the format is
//! described as observed on labels and marked "unsure" in its comment; those
//! formats carry no check digit and never outrank a verified one.

use crate::checksum::Scheme;

/// Groups of formats that several carriers share. A carrier that hands
/// parcels to another network under that network's number "accepts" the
/// family (see [`ACCEPTS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// A format of one carrier only.
    Own,
    /// UPU S10 (postal operators worldwide).
    S10,
    /// USPS Intelligent Mail package barcode.
    Impb,
    /// GS1 Serial Shipping Container Code.
    Sscc,
}

/// How strongly a format without a check digit identifies a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    /// A literal prefix or letters in fixed places: unlikely by accident.
    Distinctive,
    /// A bare run of digits of some length: any mistyped number of that
    /// length looks the same, so it never outweighs a failed check digit.
    Generic,
}

/// Where a format's check digit sits and how it is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Check {
    pub scheme: Scheme,
    /// Index of the first payload character.
    pub start: u8,
    /// How many characters follow the check digit (2 for S10's country code).
    pub after: u8,
}

impl Check {
    /// The index of the check character in a number of `len` characters.
    pub(crate) fn at(self, len: usize) -> usize {
        len - 1 - usize::from(self.after)
    }
}

/// One tracking-number format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Format {
    /// The characters the number can start with; detection skips the format
    /// for any other first character without calling `shape`.
    pub first: &'static [u8],
    pub carrier: &'static str,
    pub service: &'static str,
    pub family: Family,
    pub len_min: u8,
    pub len_max: u8,
    pub shape: fn(&[u8]) -> bool,
    /// Every character is a digit; checked before `shape`, see [`digits`].
    pub digits_only: bool,
    pub check: Option<Check>,
    pub tier: Tier,
    /// `false` for shapes so generic (a PRO number is any 9–11 digits) that
    /// they only count when the caller names the carrier.
    pub detect: bool,
    /// A literal prefix, used to say "too short for a UPS 1Z number" when
    /// nothing else fits; empty when the format has none.
    pub prefix: &'static str,
    /// The shape in English, e.g. "1Z + 16 letters or digits".
    pub description: &'static str,
}

/// A set of formats: bit `i` stands for `FORMATS[i]`.
pub(crate) type FormatSet = u128;

/// The most formats the table may hold: detection keeps per-length sets of
/// formats in a [`FormatSet`].
pub(crate) const FORMATS_MAX: usize = FormatSet::BITS as usize;

/// The longest normalised number any format accepts.
pub(crate) const LENGTH_MAX: usize = 40;

fn all_digits(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_digit)
}

/// The shape of formats whose only condition is the digits-only flag.
fn any(_: &[u8]) -> bool {
    true
}

fn all_letters(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_uppercase)
}

const DIGITS: &[u8] = b"0123456789";
const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const HEX: &[u8] = b"0123456789ABCDEF";

/// The letters a UPS waybill number may start with (see its table entry).
const UPS_WAYBILL_LETTERS: &[u8] = b"AFHJKMQTVW";

const fn check(scheme: Scheme, start: u8) -> Option<Check> {
    Some(Check {
        scheme,
        start,
        after: 0,
    })
}

const GS1: Scheme = Scheme::Gs1 { bias: 0 };

/// Builds a format with the defaults most entries share: own family,
/// distinctive, detected, no prefix hint.
// Eight positional arguments break clippy's limit, but they keep each row of
// the table on a few lines in the same order as the `Format` fields.
#[allow(clippy::too_many_arguments)]
const fn format(
    first: &'static [u8],
    carrier: &'static str,
    service: &'static str,
    len_min: u8,
    len_max: u8,
    shape: fn(&[u8]) -> bool,
    check: Option<Check>,
    description: &'static str,
) -> Format {
    Format {
        first,
        carrier,
        service,
        family: Family::Own,
        len_min,
        len_max,
        shape,
        digits_only: false,
        check,
        tier: Tier::Distinctive,
        detect: true,
        prefix: "",
        description,
    }
}

const fn with_prefix(mut f: Format, prefix: &'static str) -> Format {
    f.prefix = prefix;
    f
}

const fn in_family(mut f: Format, family: Family) -> Format {
    f.family = family;
    f
}

/// Marks a format whose numbers are all digits. Detection checks that once
/// per number instead of in every such format's `shape`, which then only
/// checks what else the format requires (a prefix, say).
const fn digits(mut f: Format) -> Format {
    f.digits_only = true;
    f
}

const fn generic(mut f: Format) -> Format {
    f.tier = Tier::Generic;
    f
}

const fn named_only(mut f: Format) -> Format {
    f.tier = Tier::Generic;
    f.detect = false;
    f
}

/// Hex digits only, at least one of them a letter A–F (a Frankier-ID).
fn is_lettered_hex(s: &[u8]) -> bool {
    s.iter().all(|b| HEX.contains(b)) && s.iter().any(|b| (b'A'..=b'F').contains(b))
}

/// USPS IMpb tracking part: channel application identifier 91–95 first.
fn is_impb_start(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'9' && (b'1'..=b'5').contains(&s[1])
}

/// IMpb service type codes of Parcel Select Lightweight (748) and of the
/// other service types on FedEx's published Ground Economy samples (612, 419).
fn is_consolidator_service(stc: &[u8]) -> bool {
    matches!(stc, b"748" | b"612" | b"419")
}

fn impb_len(len: usize) -> bool {
    matches!(len, 20..=22 | 26)
}

/// ODFL PRO prefixes seen on published examples (terminal numbers 072, 077,
/// 078 and 777, and guaranteed-service 80; 777 and 80 as in
/// jkeen/tracking_number_data's Old Dominion definitions).
fn is_odfl_prefix(s: &[u8]) -> bool {
    s.starts_with(b"072")
        || s.starts_with(b"077")
        || s.starts_with(b"078")
        || s.starts_with(b"777")
        || s.starts_with(b"80")
}

/// The format table, most specific first. See the module docs.
pub(crate) static FORMATS: [Format; 69] = [
    // ---- Literal prefixes and letters in fixed places -------------------
    with_prefix(
        format(
            b"1",
            "UPS",
            "UPS 1Z",
            18,
            18,
            |s| s.starts_with(b"1Z"),
            check(Scheme::Ups, 2),
            "1Z + 16 letters or digits",
        ),
        "1Z",
    ),
    // UPU S10: 2 letters, 8 digits, check digit, ISO country of the issuing operator.
    // The carrier is resolved from the country by `country::s10_operator`.
    in_family(
        format(
            LETTERS,
            "UPU",
            "UPU S10",
            13,
            13,
            |s| {
                all_letters(&s[..2])
                    && all_digits(&s[2..11])
                    && all_letters(&s[11..])
                    && crate::country::country(&s[11..]).is_some()
            },
            Some(Check {
                scheme: Scheme::S10,
                start: 2,
                after: 2,
            }),
            "2 letters + 9 digits + country code",
        ),
        Family::S10,
    ),
    // ISO 6346: owner code (3 letters), category U/J/Z, 6-digit serial, check digit.
    format(
        LETTERS,
        "CONTAINER",
        "ISO 6346 container",
        11,
        11,
        |s| all_letters(&s[..3]) && matches!(s[3], b'U' | b'J' | b'Z') && all_digits(&s[4..]),
        check(Scheme::Iso6346, 0),
        "4 letters ending in U, J or Z + 7 digits",
    ),
    with_prefix(
        format(
            b"T",
            "AMZL",
            "Amazon Logistics",
            15,
            15,
            |s| matches!(&s[..3], b"TBA" | b"TBC" | b"TBM") && all_digits(&s[3..]),
            None,
            "TBA, TBC or TBM + 12 digits",
        ),
        "TBA",
    ),
    format(
        b"CD",
        "ONTRAC",
        "OnTrac",
        15,
        15,
        |s| matches!(s[0], b'C' | b'D') && all_digits(&s[1..]),
        check(Scheme::Ups, 0),
        "C or D + 14 digits",
    ),
    // Spee-Dee Delivery (US Midwest): SP + 18 digits, no check digit published.
    with_prefix(
        format(
            b"S",
            "SPEEDEE",
            "Spee-Dee Delivery",
            20,
            20,
            |s| s.starts_with(b"SP") && all_digits(&s[2..]),
            None,
            "SP + 18 digits",
        ),
        "SP",
    ),
    // GOFO Express, a US last-mile network for cross-border parcels: GFUS +
    // 14 digits, no check digit published.
    with_prefix(
        format(
            b"G",
            "GOFO",
            "GOFO Express",
            18,
            18,
            |s| s.starts_with(b"GFUS") && all_digits(&s[4..]),
            None,
            "GFUS + 14 digits",
        ),
        "GFUS",
    ),
    with_prefix(
        format(
            b"Y",
            "YUNEXPRESS",
            "YunExpress",
            18,
            18,
            |s| s.starts_with(b"YT") && all_digits(&s[2..]),
            None,
            "YT + 16 digits",
        ),
        "YT",
    ),
    with_prefix(
        format(
            b"S",
            "SF",
            "SF Express",
            14,
            15,
            |s| s.starts_with(b"SF") && all_digits(&s[2..]),
            None,
            "SF + 12 or 13 digits",
        ),
        "SF",
    ),
    // FBA box label: the shipment id, "U", and a 6-digit box number.
    format(
        b"F",
        "FBA_BOX",
        "FBA box ID",
        18,
        20,
        |s| s.starts_with(b"FBA") && s[s.len() - 7] == b'U' && all_digits(&s[s.len() - 6..]),
        None,
        "FBA + 8 to 10 letters or digits + U + 6 digits",
    ),
    with_prefix(
        format(
            b"F",
            "FBA_SHIPMENT",
            "FBA shipment ID",
            11,
            13,
            |s| s.starts_with(b"FBA"),
            None,
            "FBA + 8 to 10 letters or digits",
        ),
        "FBA",
    ),
    // Landmark Global LTN: unsure of the exact serial length; seen as LTN + 8 digits + N1.
    with_prefix(
        format(
            b"L",
            "LANDMARK",
            "Landmark Global LTN",
            11,
            18,
            |s| {
                let Some(n) = s[3..].iter().position(|&b| b == b'N') else {
                    return false;
                };
                let n = n + 3;
                s.starts_with(b"LTN")
                    && (9..=15).contains(&n)
                    && all_digits(&s[3..n])
                    && (1..=2).contains(&(s.len() - n - 1))
                    && all_digits(&s[n + 1..])
            },
            None,
            "LTN + digits + N + 1 or 2 digits",
        ),
        "LTN",
    ),
    // 4PX: unsure of the exact layout; seen as 4PX + digits, often ending in CN.
    with_prefix(
        format(
            b"4",
            "4PX",
            "4PX",
            13,
            23,
            |s| s.starts_with(b"4PX"),
            None,
            "4PX + 10 to 20 letters or digits",
        ),
        "4PX",
    ),
    format(
        b"G",
        "DHL_ECOMMERCE",
        "DHL eCommerce",
        12,
        40,
        |s| s.starts_with(b"GM") && all_digits(&s[2..]),
        None,
        "GM + 10 to 38 digits",
    ),
    // DHL Express piece ID (licence plate) printed on each package.
    format(
        b"J",
        "DHL",
        "DHL Express piece ID",
        20,
        20,
        |s| s.starts_with(b"JD") && all_digits(&s[2..]),
        None,
        "JD + 18 digits",
    ),
    format(
        b"J",
        "YODEL",
        "Yodel",
        18,
        19,
        |s| {
            (s.starts_with(b"JD") && s.len() == 18 || s.starts_with(b"JJD"))
                && all_digits(&s[s.len() - 16..])
        },
        None,
        "JD or JJD + 16 digits",
    ),
    // DHL piece IDs of the JJD… and JVGL… families. Other J-letter prefixes
    // (Purolator's JFV…, say) are left to their own formats.
    format(
        b"J",
        "DHL",
        "DHL Express piece ID",
        12,
        14,
        |s| {
            let letters = if s.starts_with(b"JJD") {
                3
            } else if s.starts_with(b"JVGL") {
                4
            } else {
                return false;
            };
            (8..=10).contains(&(s.len() - letters)) && all_digits(&s[letters..])
        },
        None,
        "JJD + 9 to 11 digits, or JVGL + 8 to 10 digits",
    ),
    // DHL Parcel (UK and Germany international): unsure of the serial length.
    format(
        b"J",
        "DHL_PARCEL",
        "DHL Parcel",
        21,
        24,
        |s| s.starts_with(b"JJD") && all_digits(&s[3..]),
        None,
        "JJD + 18 to 21 digits",
    ),
    // Cainiao: LP numbers are well attested; unsure of the exact serial length.
    format(
        b"L",
        "CAINIAO",
        "Cainiao",
        14,
        20,
        |s| s.starts_with(b"LP") && all_digits(&s[2..]),
        None,
        "LP + 12 to 18 digits",
    ),
    // Cainiao "CN…" numbers: unsure; CN + a few letters + digits as seen on AliExpress orders.
    format(
        b"C",
        "CAINIAO",
        "Cainiao",
        12,
        22,
        |s| {
            let letters = s[2..].iter().take_while(|b| b.is_ascii_uppercase()).count();
            s.starts_with(b"CN")
                && (2..=4).contains(&letters)
                && (8..=16).contains(&(s.len() - 2 - letters))
                && all_digits(&s[2 + letters..])
        },
        None,
        "CN + 2 to 4 letters + 8 to 16 digits",
    ),
    format(
        b"CDKLSUXZ",
        "CANPAR",
        "Canpar",
        22,
        22,
        |s| {
            matches!(s[0], b'C' | b'D' | b'K' | b'L' | b'S' | b'U' | b'X' | b'Z')
                && all_digits(&s[1..])
        },
        None,
        "one of C, D, K, L, S, U, X, Z + 21 digits",
    ),
    // LaserShip: no public check-digit specification, so shape only: 1LS7,
    // a 1 or 2, then either ten digits, or two digits, 01, a 1 to 4, six digits
    // and the piece suffix -1 (the dash is gone after normalisation).
    with_prefix(
        format(
            b"1",
            "LASERSHIP",
            "LaserShip",
            15,
            17,
            |s| {
                s.starts_with(b"1LS7")
                    && matches!(s[4], b'1' | b'2')
                    && all_digits(&s[4..])
                    && (s.len() == 15
                        || (s.len() == 17
                            && &s[7..9] == b"01"
                            && matches!(s[9], b'1'..=b'4')
                            && s[16] == b'1'))
            },
            None,
            "1LS7 + 1 or 2 + 10 digits, or 1LS7 + 1 or 2 + 2 digits + 01 + 1-4 + 6 digits + -1",
        ),
        "1LS",
    ),
    // LX + 8 digits as in public test data (jkeen/tracking_number_data); a
    // broader "L + any letter" also took other L-prefixed shapes.
    with_prefix(
        format(
            b"L",
            "LASERSHIP",
            "LaserShip",
            10,
            10,
            |s| s.starts_with(b"LX") && all_digits(&s[2..]),
            None,
            "LX + 8 digits",
        ),
        "LX",
    ),
    // Yanwen: unsure. Its own numbers are seen as Y + letter + 9 digits + 2
    // letters; most of its parcels travel under postal S10 numbers instead.
    format(
        b"Y",
        "YANWEN",
        "Yanwen",
        13,
        13,
        |s| {
            s[0] == b'Y'
                && s[1].is_ascii_uppercase()
                && all_digits(&s[2..11])
                && all_letters(&s[11..])
        },
        None,
        "Y + 1 letter + 9 digits + 2 letters",
    ),
    with_prefix(
        format(
            b"Y",
            "YANWEN",
            "Yanwen",
            11,
            18,
            |s| s.starts_with(b"YW") && all_digits(&s[2..]),
            None,
            "YW + 9 to 16 digits",
        ),
        "YW",
    ),
    // PostNL 3S codes: 3S + 4-letter customer code + serial; unsure of the serial length.
    format(
        b"3",
        "POSTNL",
        "PostNL 3S",
        11,
        17,
        |s| s.starts_with(b"3S") && all_letters(&s[2..6]) && all_digits(&s[6..]),
        None,
        "3S + 4 letters + 5 to 11 digits",
    ),
    format(
        LETTERS,
        "PUROLATOR",
        "Purolator",
        12,
        12,
        |s| all_letters(&s[..3]) && all_digits(&s[3..]),
        None,
        "3 letters + 9 digits",
    ),
    // UPS Mail Innovations: unsure; seen as MI + 6-digit mailer id + package id.
    with_prefix(
        format(
            b"M",
            "UPS",
            "UPS Mail Innovations",
            10,
            30,
            |s| s.starts_with(b"MI") && all_digits(&s[2..8]),
            None,
            "MI + 6-digit mailer ID + up to 22 letters or digits",
        ),
        "MI",
    ),
    // Other DHL eCommerce prefixes; unsure, so after every other lettered format.
    format(
        b"LRUCSTIHM",
        "DHL_ECOMMERCE",
        "DHL eCommerce",
        12,
        40,
        |s| {
            matches!(
                &s[..2],
                b"LX" | b"RX" | b"UV" | b"CN" | b"SG" | b"TH" | b"IN" | b"HK" | b"MY"
            ) && all_digits(&s[2..])
        },
        None,
        "LX, RX, UV, CN, SG, TH, IN, HK or MY + 10 to 38 digits",
    ),
    // FedEx door tag left when a delivery failed; unsure whether the 12 digits
    // carry the Express check digit, so shape only.
    with_prefix(
        format(
            b"D",
            "FEDEX",
            "FedEx door tag",
            14,
            14,
            |s| s.starts_with(b"DT") && all_digits(&s[2..]),
            None,
            "DT + 12 digits",
        ),
        "DT",
    ),
    // UPS waybill: one letter, a 9-digit serial and a check digit, which is
    // UPS's 1Z rule applied to the serial (every second digit doubled, the sum
    // topped up to a multiple of ten): all five examples of
    // jkeen/tracking_number_data's "UPS Waybill" definition satisfy it. UPS
    // publishes no list of the letters; these are the ones public definitions
    // use (UPS's tracking help shows T, jkeen's examples J, K and V, and
    // mediocre/bloodhound accepts A, F, H, J, K, M, Q, T and W).
    format(
        UPS_WAYBILL_LETTERS,
        "UPS",
        "UPS waybill",
        11,
        11,
        |s| UPS_WAYBILL_LETTERS.contains(&s[0]) && all_digits(&s[1..]),
        check(Scheme::Ups, 1),
        "A, F, H, J, K, M, Q, T, V or W + 10 digits",
    ),
    // Deutsche Post Frankier-ID: the matrix code on Internetmarke, Warenpost
    // and Prio/Einschreiben letters, 19 hex digits and a CRC-4 over their
    // ASCII codes. All digits is left to the named-only entry below: 20 bare
    // digits are far more likely a parcel number, and a Frankier-ID almost
    // always has a letter.
    format(
        HEX,
        "DEUTSCHE_POST",
        "Deutsche Post Frankier-ID",
        20,
        20,
        is_lettered_hex,
        check(Scheme::Crc4, 0),
        "20 hex digits (0–9, A–F)",
    ),
    // ---- Digit runs with a check digit --------------------------------------
    // A bare 22-digit channel-92 IMpb whose service type is Parcel Select
    // Lightweight (748) or one of the service types FedEx's published Ground
    // Economy samples carry (612, 419): the label a consolidator prints, and
    // FedEx SmartPost (now Ground Economy) is the one whose samples look so.
    // USPS stays listed right behind it; with the 420 + ZIP routing prefix,
    // which USPS's own barcode carries, USPS comes first (entries below).
    digits(in_family(
        format(
            b"9",
            "FEDEX",
            "FedEx SmartPost",
            22,
            22,
            |s| s.starts_with(b"92") && is_consolidator_service(&s[2..5]),
            check(GS1, 0),
            "92 + Parcel Select service type + 17 digits",
        ),
        Family::Impb,
    )),
    digits(in_family(
        format(
            b"9",
            "USPS",
            "USPS IMpb",
            20,
            26,
            |s| impb_len(s.len()) && is_impb_start(s),
            check(GS1, 0),
            "91 to 95 + 18 to 24 digits",
        ),
        Family::Impb,
    )),
    // 420 + ZIP routing code in front of the IMpb; the check digit covers the IMpb only.
    digits(in_family(
        format(
            b"4",
            "USPS",
            "USPS IMpb",
            28,
            34,
            |s| s.starts_with(b"420") && impb_len(s.len() - 8) && is_impb_start(&s[8..]),
            check(GS1, 8),
            "420 + 5-digit ZIP + IMpb",
        ),
        Family::Impb,
    )),
    digits(in_family(
        format(
            b"4",
            "USPS",
            "USPS IMpb",
            32,
            38,
            |s| s.starts_with(b"420") && impb_len(s.len() - 12) && is_impb_start(&s[12..]),
            check(GS1, 12),
            "420 + 9-digit ZIP+4 + IMpb",
        ),
        Family::Impb,
    )),
    // SmartPost parcels are delivered by USPS under an IMpb with channel 92.
    digits(in_family(
        format(
            b"9",
            "FEDEX",
            "FedEx SmartPost",
            22,
            22,
            |s| s.starts_with(b"92") && !is_consolidator_service(&s[2..5]),
            check(GS1, 0),
            "92 + 20 digits",
        ),
        Family::Impb,
    )),
    // FedEx Ground 96: the check digit covers the 14-digit serial after 96 + SCNC + service.
    digits(format(
        b"9",
        "FEDEX",
        "FedEx Ground",
        22,
        22,
        |s| s.starts_with(b"96"),
        check(GS1, 7),
        "96 + 20 digits",
    )),
    digits(format(
        b"1",
        "FEDEX",
        "FedEx Express",
        34,
        34,
        |s| s.starts_with(b"100"),
        check(Scheme::FedEx, 20),
        "34-digit barcode starting 100",
    )),
    // Other 34-digit FedEx label barcodes starting 10 (Ground labels among
    // them): the same layout, the tracking number in the last 14 digits.
    digits(format(
        b"1",
        "FEDEX",
        "FedEx 34-digit barcode",
        34,
        34,
        |s| s.starts_with(b"10") && !s.starts_with(b"100"),
        check(Scheme::FedEx, 20),
        "34-digit barcode starting 10",
    )),
    digits(format(
        b"9",
        "FEDEX",
        "FedEx Ground",
        34,
        34,
        |s| s.starts_with(b"96"),
        check(Scheme::FedEx, 20),
        "34-digit barcode starting 96",
    )),
    digits(in_family(
        format(
            b"0",
            "SSCC",
            "SSCC-18",
            20,
            20,
            |s| s.starts_with(b"00"),
            check(GS1, 2),
            "(00) + 18 digits",
        ),
        Family::Sscc,
    )),
    digits(in_family(
        format(
            DIGITS,
            "SSCC",
            "SSCC-18",
            18,
            18,
            any,
            check(GS1, 0),
            "18 digits",
        ),
        Family::Sscc,
    )),
    // FedEx Ground also tracks a shipper's SSCC printed without the (00)
    // application identifier (jkeen/tracking_number_data's "FedEx Ground
    // (SSCC-18)"). Nothing in the digits tells it from any other SSCC, so it
    // comes after the generic reading, as the 20-digit pair does.
    digits(in_family(
        format(
            DIGITS,
            "FEDEX",
            "FedEx Ground SSCC",
            18,
            18,
            any,
            check(GS1, 0),
            "18 digits (SSCC without its 00)",
        ),
        Family::Sscc,
    )),
    digits(in_family(
        format(
            b"0",
            "FEDEX",
            "FedEx Ground SSCC",
            20,
            20,
            |s| s.starts_with(b"00"),
            check(GS1, 2),
            "00 + 18 digits",
        ),
        Family::Sscc,
    )),
    digits(format(
        DIGITS,
        "USPS",
        "USPS 20-digit",
        20,
        20,
        |s| !is_impb_start(s) && !s.starts_with(b"00"),
        check(GS1, 0),
        "20 digits",
    )),
    // SmartPost's older 20-digit labels left off a leading "91" rather than
    // "92" (FedEx's SmartPost job aid); FedEx's Ground Economy samples of that
    // kind start 02, which no USPS 20-digit service code does (USPS's start
    // 03, 14, 23, 70, 71, 73, 77, 81). USPS stays listed behind it.
    digits(in_family(
        format(
            b"0",
            "FEDEX",
            "FedEx SmartPost",
            20,
            20,
            |s| s.starts_with(b"02"),
            check(Scheme::Gs1 { bias: 28 }, 0),
            "20 digits starting 02 (SmartPost without its 91)",
        ),
        Family::Impb,
    )),
    // IMpb printed without its leading "91": the check digit still counts it.
    digits(format(
        DIGITS,
        "USPS",
        "USPS IMpb",
        20,
        20,
        |s| !s.starts_with(b"9"),
        check(Scheme::Gs1 { bias: 28 }, 0),
        "20 digits (IMpb without its 91)",
    )),
    // SmartPost printed without its leading "92".
    digits(in_family(
        format(
            DIGITS,
            "FEDEX",
            "FedEx SmartPost",
            20,
            20,
            |s| !s.starts_with(b"92"),
            check(Scheme::Gs1 { bias: 29 }, 0),
            "20 digits (SmartPost without its 92)",
        ),
        Family::Impb,
    )),
    // Purolator before FedEx Express: both are 12 digits with a check digit,
    // and about one number in ten passes both checks by chance. Purolator's
    // also fixes the first digit, so when both match it is the more specific
    // reading (see the module docs); FedEx stays listed right behind it.
    digits(format(
        b"012345",
        "PUROLATOR",
        "Purolator",
        12,
        12,
        |s| s[0] <= b'5',
        check(Scheme::Luhn, 0),
        "12 digits starting 0 to 5",
    )),
    digits(format(
        DIGITS,
        "FEDEX",
        "FedEx Express",
        12,
        12,
        any,
        check(Scheme::FedEx, 0),
        "12 digits",
    )),
    // DHL Paket numbers are Deutsche Post Identcodes (2 + 3 + 6 digits + check digit).
    digits(format(
        DIGITS,
        "DHL_PARCEL",
        "DHL Paket",
        12,
        12,
        any,
        check(Scheme::Identcode, 0),
        "12 digits",
    )),
    digits(format(
        DIGITS,
        "FEDEX",
        "FedEx Ground",
        15,
        15,
        any,
        check(GS1, 0),
        "15 digits",
    )),
    digits(format(
        DIGITS,
        "CANADA_POST",
        "Canada Post",
        16,
        16,
        any,
        check(GS1, 0),
        "16 digits",
    )),
    // DPD's full parcel barcode: ZIP (7), parcel number (14), service (3), country (3), check character.
    format(
        DIGITS,
        "DPD",
        "DPD barcode",
        28,
        28,
        |s| all_digits(&s[..27]),
        check(Scheme::Mod37_36, 0),
        "27 digits + check character",
    ),
    // IATA air waybill: airline prefix (3 digits), serial (7 digits), check digit = serial mod 7.
    digits(format(
        DIGITS,
        "AWB",
        "IATA air waybill",
        11,
        11,
        any,
        check(Scheme::Mod7, 3),
        "3-digit airline prefix + 8 digits",
    )),
    digits(format(
        DIGITS,
        "DHL",
        "DHL Express",
        10,
        10,
        any,
        check(Scheme::Mod7, 0),
        "10 digits",
    )),
    digits(format(
        DIGITS,
        "DHL",
        "DHL Express",
        11,
        11,
        any,
        check(Scheme::Mod7, 0),
        "11 digits",
    )),
    digits(format(
        b"078",
        "ODFL",
        "ODFL PRO",
        11,
        11,
        is_odfl_prefix,
        check(Scheme::Luhn, 0),
        "11 digits starting 072, 077, 078, 777 or 80",
    )),
    // ---- Bare digit runs without a check digit --------------------------------
    digits(generic(format(
        DIGITS,
        "DPD",
        "DPD parcel number",
        14,
        14,
        any,
        None,
        "14 digits",
    ))),
    // GLS: 11 digits, or 12 with a check digit whose algorithm we could not confirm.
    digits(generic(format(
        DIGITS,
        "GLS",
        "GLS parcel number",
        11,
        12,
        any,
        None,
        "11 or 12 digits",
    ))),
    // ---- Named-only: LTL PRO numbers ------------------------------------------
    // Other ODFL terminals: same Luhn check, but too common a shape to detect.
    digits(named_only(format(
        DIGITS,
        "ODFL",
        "ODFL PRO",
        11,
        11,
        |s| !is_odfl_prefix(s),
        check(Scheme::Luhn, 0),
        "11 digits",
    ))),
    digits(named_only(format(
        DIGITS,
        "ODFL",
        "ODFL PRO",
        10,
        10,
        any,
        None,
        "10 digits (PRO without its check digit)",
    ))),
    // A Frankier-ID without letters: a USPS or SSCC number of 20 digits
    // passes its CRC-4 one time in 16, so it only counts for Deutsche Post.
    digits(named_only(format(
        DIGITS,
        "DEUTSCHE_POST",
        "Deutsche Post Frankier-ID",
        20,
        20,
        any,
        check(Scheme::Crc4, 0),
        "20 digits (Frankier-ID without letters)",
    ))),
    // The remaining LTL carriers publish no check-digit rule we could confirm;
    // the lengths are deliberately broad (unsure).
    digits(named_only(format(
        DIGITS,
        "XPO",
        "XPO PRO",
        9,
        11,
        any,
        None,
        "9 to 11 digits",
    ))),
    digits(named_only(format(
        DIGITS,
        "ESTES",
        "Estes PRO",
        10,
        10,
        any,
        None,
        "10 digits",
    ))),
    digits(named_only(format(
        DIGITS,
        "SAIA",
        "Saia PRO",
        10,
        12,
        any,
        None,
        "10 to 12 digits",
    ))),
    digits(named_only(format(
        DIGITS,
        "RL",
        "R+L PRO",
        8,
        10,
        any,
        None,
        "8 to 10 digits",
    ))),
    digits(named_only(format(
        DIGITS,
        "FEDEX_FREIGHT",
        "FedEx Freight PRO",
        9,
        10,
        any,
        None,
        "9 or 10 digits",
    ))),
];

/// For each length 0..=LENGTH_MAX, the formats that accept it, as a bit mask
/// over table indexes. Built at compile time.
pub(crate) static BY_LENGTH: [FormatSet; LENGTH_MAX + 1] = by_length();

const fn by_length() -> [FormatSet; LENGTH_MAX + 1] {
    assert!(FORMATS.len() <= FORMATS_MAX);
    let mut masks = [0; LENGTH_MAX + 1];
    let mut index = 0;
    while index < FORMATS.len() {
        let format = &FORMATS[index];
        assert!(format.len_min <= format.len_max);
        assert!(format.len_max as usize <= LENGTH_MAX);
        let mut len = format.len_min as usize;
        while len <= format.len_max as usize {
            masks[len] |= 1 << index;
            len += 1;
        }
        index += 1;
    }
    masks
}

/// For each possible first character (0–9 then A–Z), the formats whose
/// numbers can start with it, as a bit mask over table indexes.
pub(crate) static BY_FIRST: [FormatSet; 36] = by_first();

/// The index of `c` in `BY_FIRST`, if it is 0–9 or A–Z.
pub(crate) fn first_slot(c: u8) -> Option<usize> {
    match c {
        b'0'..=b'9' => Some(usize::from(c - b'0')),
        b'A'..=b'Z' => Some(usize::from(c - b'A') + 10),
        _ => None,
    }
}

const fn by_first() -> [FormatSet; 36] {
    let mut masks = [0; 36];
    let mut index = 0;
    while index < FORMATS.len() {
        let first = FORMATS[index].first;
        let mut i = 0;
        while i < first.len() {
            let c = first[i];
            let slot = if c.is_ascii_digit() {
                (c - b'0') as usize
            } else {
                (c - b'A') as usize + 10
            };
            masks[slot] |= 1 << index;
            i += 1;
        }
        index += 1;
    }
    masks
}

/// The shortest number any format accepts.
pub(crate) const LENGTH_MIN: usize = length_min();

const fn length_min() -> usize {
    let mut min = LENGTH_MAX;
    let mut index = 0;
    while index < FORMATS.len() {
        if (FORMATS[index].len_min as usize) < min {
            min = FORMATS[index].len_min as usize;
        }
        index += 1;
    }
    min
}

/// Carriers that ship under another network's numbers: naming the carrier
/// accepts any number of the listed families. Consolidators (Yanwen, 4PX,
/// Cainiao, YunExpress) hand parcels to postal operators under S10 numbers;
/// DHL eCommerce and UPS Mail Innovations deliver through USPS under IMpb;
/// DHL Paket labels parcels with SSCCs.
pub(crate) static ACCEPTS: &[(&str, Family)] = &[
    ("YANWEN", Family::S10),
    ("4PX", Family::S10),
    ("CAINIAO", Family::S10),
    ("YUNEXPRESS", Family::S10),
    ("DHL_ECOMMERCE", Family::S10),
    ("DHL_ECOMMERCE", Family::Impb),
    ("UPS", Family::Impb),
    ("DHL_PARCEL", Family::Sscc),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The table indexes of every format whose shape and length accept
    /// `number` (no check digit involved), as (carrier, service) pairs.
    fn shapes(number: &str) -> Vec<(&'static str, &'static str)> {
        let bytes = number.as_bytes();
        FORMATS
            .iter()
            .filter(|f| {
                (usize::from(f.len_min)..=usize::from(f.len_max)).contains(&bytes.len())
                    && (!f.digits_only || all_digits(bytes))
                    && (f.shape)(bytes)
            })
            .inspect(|f| {
                assert!(
                    f.first.contains(&bytes[0]),
                    "{} cannot start with {}",
                    f.service,
                    number
                )
            })
            .map(|f| (f.carrier, f.service))
            .collect()
    }

    fn check(number: &str, expected: &[(&str, &str)]) {
        assert_eq!(shapes(number), expected, "{number}");
    }

    #[test]
    fn table_invariants() {
        for format in &FORMATS {
            assert!(
                crate::knows_carrier(format.carrier) || format.carrier == "UPU",
                "{}",
                format.carrier
            );
            if let Some(check) = format.check {
                assert!(
                    usize::from(check.start) < check.at(usize::from(format.len_min)),
                    "{}",
                    format.service
                );
            }
            assert!(
                format.detect || format.tier == Tier::Generic,
                "{}",
                format.service
            );
        }
        assert_eq!(LENGTH_MIN, 8);
    }

    #[test]
    fn lettered_shapes() {
        check("1Z999AA10123456784", &[("UPS", "UPS 1Z")]);
        check(
            "1010095723370011139700578986681398",
            &[("FEDEX", "FedEx 34-digit barcode")],
        );
        check("RA123456785CN", &[("UPU", "UPU S10")]);
        check("RA123456785XX", &[]);
        check("CSQU3054383", &[("CONTAINER", "ISO 6346 container")]);
        check("TBA123456789012", &[("AMZL", "Amazon Logistics")]);
        check("C11031500001879", &[("ONTRAC", "OnTrac")]);
        check("YT2229521272164446", &[("YUNEXPRESS", "YunExpress")]);
        check("SP029692510000920746", &[("SPEEDEE", "Spee-Dee Delivery")]);
        check("GFUS01011884214464", &[("GOFO", "GOFO Express")]);
        check("SF1234567890123", &[("SF", "SF Express")]);
        check("FBA15XYZ1234U000001", &[("FBA_BOX", "FBA box ID")]);
        check("FBA15XYZ1234", &[("FBA_SHIPMENT", "FBA shipment ID")]);
        check("LTN74207623N1", &[("LANDMARK", "Landmark Global LTN")]);
        check("4PX3000866426225CN", &[("4PX", "4PX")]);
        check("GM2951173225174494", &[("DHL_ECOMMERCE", "DHL eCommerce")]);
        check("JD014600003889787390", &[("DHL", "DHL Express piece ID")]);
        check("JD0002242617644732", &[("YODEL", "Yodel")]);
        check("JJD0002257639032011", &[("YODEL", "Yodel")]);
        check("JJD0099999999", &[("DHL", "DHL Express piece ID")]);
        check("JVGL0999999990", &[("DHL", "DHL Express piece ID")]);
        check("JJD000390007797337573", &[("DHL_PARCEL", "DHL Parcel")]);
        check("LP00123456789012", &[("CAINIAO", "Cainiao")]);
        check("D576002440000001718010", &[("CANPAR", "Canpar")]);
        check("1LS717793482164", &[("LASERSHIP", "LaserShip")]);
        check("LX17635036", &[("LASERSHIP", "LaserShip")]);
        check("LA17635036", &[]);
        check("DT771613423732", &[("FEDEX", "FedEx door tag")]);
        check("3SABCD123456789", &[("POSTNL", "PostNL 3S")]);
        check("KYV009956937", &[("PUROLATOR", "Purolator")]);
        check("K1506235620", &[("UPS", "UPS waybill")]);
        check("T1506235620", &[("UPS", "UPS waybill")]);
        check(
            "0131F770C01140170998",
            &[("DEUTSCHE_POST", "Deutsche Post Frankier-ID")],
        );
        // A letter beyond F is not hex.
        check("0131F770C01140170G98", &[]);
        // A letter no public definition uses for UPS waybills.
        check("B1506235620", &[]);
    }

    #[test]
    fn overlapping_lettered_shapes_are_all_reported() {
        // S10-shaped Yanwen numbers also fit S10 when the suffix is a country.
        check("YD123456785CN", &[("UPU", "UPU S10"), ("YANWEN", "Yanwen")]);
        // JJD + 9 digits is both a Purolator-like 3 letters + 9 digits and a DHL piece ID.
        check(
            "JJD123456789",
            &[("DHL", "DHL Express piece ID"), ("PUROLATOR", "Purolator")],
        );
    }

    #[test]
    fn odfl_prefixes_include_777() {
        // Published ODFL example; 777 was missing, so the number fit nothing.
        check(
            "77767553207",
            &[
                ("AWB", "IATA air waybill"),
                ("DHL", "DHL Express"),
                ("ODFL", "ODFL PRO"),
                ("GLS", "GLS parcel number"),
                ("XPO", "XPO PRO"),
                ("SAIA", "Saia PRO"),
            ],
        );
        assert!(crate::check("77767553207").valid);
    }

    #[test]
    fn digit_shapes() {
        check(
            "986578788855",
            &[
                ("FEDEX", "FedEx Express"),
                ("DHL_PARCEL", "DHL Paket"),
                ("GLS", "GLS parcel number"),
                ("SAIA", "Saia PRO"),
            ],
        );
        // 12 digits starting 0 to 5: Purolator is the narrower shape, so it
        // comes first (constructed so that both check digits match).
        check(
            "012345670033",
            &[
                ("PUROLATOR", "Purolator"),
                ("FEDEX", "FedEx Express"),
                ("DHL_PARCEL", "DHL Paket"),
                ("GLS", "GLS parcel number"),
                ("SAIA", "Saia PRO"),
            ],
        );
        // GS1's SSCC example: any shipper's SSCC, or FedEx Ground's without its 00.
        check(
            "106141411234567897",
            &[("SSCC", "SSCC-18"), ("FEDEX", "FedEx Ground SSCC")],
        );
        check("9400111202555842332669", &[("USPS", "USPS IMpb")]);
        // Channel 92 with Priority Mail's service type (055): USPS's own.
        check(
            "9205590100130736410710",
            &[("USPS", "USPS IMpb"), ("FEDEX", "FedEx SmartPost")],
        );
        // With Parcel Select's (612) bare, a consolidator's label; with the
        // 420 + ZIP routing prefix USPS's barcode.
        check(
            "9261290100130736410712",
            &[("FEDEX", "FedEx SmartPost"), ("USPS", "USPS IMpb")],
        );
        check("420112139261290983497923666238", &[("USPS", "USPS IMpb")]);
        // 20 digits: SmartPost's 91-less shape only when they start 02.
        check(
            "02185456301070647003",
            &[
                ("USPS", "USPS 20-digit"),
                ("FEDEX", "FedEx SmartPost"),
                ("USPS", "USPS IMpb"),
                ("FEDEX", "FedEx SmartPost"),
                ("DEUTSCHE_POST", "Deutsche Post Frankier-ID"),
            ],
        );
        check("420221539101026837331000039521", &[("USPS", "USPS IMpb")]);
        check(
            "4201002334249200190132607600833457",
            &[("USPS", "USPS IMpb")],
        );
        // Named-only formats are listed here too: detection skips the
        // all-digit Frankier-ID unless Deutsche Post is named.
        check(
            "00012345600012345678",
            &[
                ("SSCC", "SSCC-18"),
                ("FEDEX", "FedEx Ground SSCC"),
                ("USPS", "USPS IMpb"),
                ("FEDEX", "FedEx SmartPost"),
                ("DEUTSCHE_POST", "Deutsche Post Frankier-ID"),
            ],
        );
    }
}
