//! Check-digit algorithms used by tracking numbers and freight identifiers.
//!
//! Every algorithm except ISO 7064 MOD 37,36 and CRC-4 is *additive*: each
//! payload character contributes a term that depends only on its position and
//! value, the terms are summed modulo a small number, and the check character
//! is a function of that sum. Keeping them in that shape lets the typo search
//! in `detect` test a transposition in constant time (subtract two terms, add
//! two terms) instead of recomputing the whole sum. MOD 37,36 is iterative,
//! so the typo search recomputes it from scratch; only DPD's long barcode uses
//! it. CRC-4 sums bits without carry (XOR) rather than modulo a number, so it
//! is recomputed too; only Deutsche Post's Frankier-IDs use it.

/// A check-digit algorithm. The payload is the run of characters the check
/// digit covers; it never includes the check digit itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// GS1 modulo 10 (SSCC, USPS IMpb, FedEx Ground, Canada Post): starting
    /// with the payload digit next to the check digit and moving left, digits
    /// are weighted 3, 1, 3, 1, … The check digit tops the sum up to a multiple
    /// of ten. `bias` is the weighted sum of implied leading digits that some
    /// carriers leave off the printed number (FedEx SmartPost drops "92").
    Gs1 { bias: u8 },
    /// UPS 1Z (and OnTrac): letters count as `(ASCII code - 3) mod 10`, digits
    /// at odd 0-based offsets from the payload start are doubled, and the check
    /// digit tops the sum up to a multiple of ten.
    Ups,
    /// FedEx Express: weights 1, 3, 7 repeating from the rightmost payload
    /// digit leftwards; check digit = (sum mod 11) mod 10.
    FedEx,
    /// UPU S10: the eight serial digits are weighted 8, 6, 4, 2, 3, 5, 9, 7;
    /// check = 11 - (sum mod 11), where 10 becomes 0 and 11 becomes 5.
    S10,
    /// The payload read as a decimal number, modulo 7 (DHL Express waybills,
    /// IATA air waybill serials). The check digit is therefore 0–6.
    Mod7,
    /// ISO 6346 freight containers: letters take the values 10–38 skipping
    /// multiples of 11, position `i` is weighted `2^i`, and the check digit is
    /// (sum mod 11) mod 10.
    Iso6346,
    /// Luhn: from the rightmost payload digit leftwards every other digit is
    /// doubled (subtracting 9 when the double exceeds 9); the check digit tops
    /// the sum up to a multiple of ten.
    Luhn,
    /// Deutsche Post Identcode (DHL Paket): weights 4, 9, 4, 9, … from the
    /// left; the check digit tops the sum up to a multiple of ten.
    Identcode,
    /// ISO 7064 MOD 37,36 hybrid system over 0–9 and A–Z (DPD barcodes); the
    /// check character may be a letter.
    Mod37_36,
    /// CRC-4 over the ASCII codes of a hex payload (Deutsche Post
    /// Frankier-IDs): polynomial x^4 + x + 1, register starting at 0, most
    /// significant bit first, no final XOR. The check character is the 4-bit
    /// remainder as one hex digit 0–9/A–F. Changing one character is always
    /// caught except an 8 for an A or the reverse: their ASCII codes differ
    /// by a multiple of the polynomial.
    Crc4,
}

/// Powers of ten modulo 7; the cycle has length 6.
const POW10_MOD7: [u32; 6] = [1, 3, 2, 6, 4, 5];

/// UPU S10 weights for the eight serial digits.
const S10_WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];

/// FedEx weights, indexed by distance from the rightmost payload digit.
const FEDEX_WEIGHTS: [u32; 3] = [1, 3, 7];

/// ISO 6346 letter values A..Z: counting up from 10 but skipping 11, 22 and 33.
const ISO6346_LETTER_VALUES: [u32; 26] = iso6346_letter_values();

const fn iso6346_letter_values() -> [u32; 26] {
    let mut values = [0u32; 26];
    let mut value = 10u32;
    let mut letter = 0;
    while letter < 26 {
        if value.is_multiple_of(11) {
            value += 1;
        }
        values[letter] = value;
        value += 1;
        letter += 1;
    }
    values
}

/// CRC-4 remainders for one byte: entry `(crc << 4) ^ byte` is the register
/// after feeding `byte` to a register holding `crc`.
const CRC4_TABLE: [u8; 256] = crc4_table();

const fn crc4_table() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut index = 0;
    while index < 256 {
        // Polynomial division of index · x^4 by x^4 + x + 1 (0x13), one bit at a time.
        let mut remainder = (index as u16) << 4;
        let mut bit = 11;
        while bit >= 4 {
            if remainder & (1 << bit) != 0 {
                remainder ^= 0x13 << (bit - 4);
            }
            bit -= 1;
        }
        table[index] = remainder as u8;
        index += 1;
    }
    table
}

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// The value of `c` as an upper-case hex digit.
fn hex(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'F' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

/// The value of `c` in 0–9/A–Z as a base-36 digit.
fn base36(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

fn digit(c: u8) -> Option<u32> {
    c.is_ascii_digit().then(|| u32::from(c - b'0'))
}

impl Scheme {
    /// Whether the scheme is a sum of per-position terms (see the module docs).
    pub(crate) fn is_additive(self) -> bool {
        !matches!(self, Scheme::Mod37_36 | Scheme::Crc4)
    }

    /// Whether the typo search tries a letter and a digit trading places.
    /// Only for hex Frankier-IDs, where letters and digits follow each other
    /// anywhere: leaving those swaps out there would let another swap pass
    /// as the only fix. The other schemes try like-for-like swaps only.
    pub(crate) fn swaps_letters_with_digits(self) -> bool {
        matches!(self, Scheme::Crc4)
    }

    /// The modulus the terms are summed under.
    pub(crate) fn modulus(self) -> u32 {
        match self {
            Scheme::Gs1 { .. } | Scheme::Ups | Scheme::Luhn | Scheme::Identcode => 10,
            Scheme::FedEx | Scheme::S10 | Scheme::Iso6346 => 11,
            Scheme::Mod7 => 7,
            Scheme::Mod37_36 => 36,
            Scheme::Crc4 => 16,
        }
    }

    /// The sum the terms start from.
    pub(crate) fn bias(self) -> u32 {
        match self {
            Scheme::Gs1 { bias } => u32::from(bias),
            _ => 0,
        }
    }

    /// The contribution of character `c` at `index` in a payload of
    /// `payload_len` characters, not yet reduced modulo [`Scheme::modulus`]
    /// (terms stay small, so a payload's sum fits easily in a `u32`).
    /// `None` when the character is not allowed at that position.
    #[inline(always)]
    pub(crate) fn term(self, index: usize, payload_len: usize, c: u8) -> Option<u32> {
        debug_assert!(index < payload_len);
        let distance = payload_len - 1 - index; // 0 for the digit next to the check digit
        match self {
            Scheme::Gs1 { .. } => {
                digit(c).map(|d| if distance.is_multiple_of(2) { d * 3 } else { d })
            }
            Scheme::Ups => {
                let value = match c {
                    b'0'..=b'9' => u32::from(c - b'0'),
                    b'A'..=b'Z' => u32::from(c - 3) % 10,
                    _ => return None,
                };
                Some(if index % 2 == 1 { value * 2 } else { value })
            }
            Scheme::FedEx => digit(c).map(|d| d * FEDEX_WEIGHTS[distance % 3]),
            Scheme::S10 => {
                let weight = S10_WEIGHTS.get(index)?;
                digit(c).map(|d| d * weight)
            }
            Scheme::Mod7 => digit(c).map(|d| d * POW10_MOD7[distance % 6]),
            Scheme::Iso6346 => {
                let value = match c {
                    b'0'..=b'9' => u32::from(c - b'0'),
                    b'A'..=b'Z' => ISO6346_LETTER_VALUES[usize::from(c - b'A')],
                    _ => return None,
                };
                // 2^i mod 11 has period 10, so the shift stays below 10.
                Some(value << (index % 10))
            }
            Scheme::Luhn => digit(c).map(|d| {
                if distance.is_multiple_of(2) {
                    let doubled = d * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                } else {
                    d
                }
            }),
            Scheme::Identcode => digit(c).map(|d| {
                if index.is_multiple_of(2) {
                    d * 4
                } else {
                    d * 9
                }
            }),
            Scheme::Mod37_36 => base36(c),
            Scheme::Crc4 => hex(c),
        }
    }

    /// The check character for a payload whose terms (plus bias) sum to
    /// `sum`. Only meaningful for additive schemes.
    #[inline(always)]
    pub(crate) fn finish(self, sum: u32) -> u8 {
        let sum = sum % self.modulus();
        let value = match self {
            Scheme::Gs1 { .. } | Scheme::Ups | Scheme::Luhn | Scheme::Identcode => (10 - sum) % 10,
            Scheme::FedEx | Scheme::Iso6346 => sum % 10,
            Scheme::S10 => match 11 - sum {
                10 => 0,
                11 => 5,
                other => other,
            },
            Scheme::Mod7 => sum,
            Scheme::Mod37_36 | Scheme::Crc4 => unreachable!("not an additive scheme"),
        };
        // All the additive schemes produce a single decimal digit.
        debug_assert!(value < 10);
        b'0' + value as u8
    }

    /// The check character the payload calls for, or `None` when the payload
    /// holds a character the scheme does not accept.
    pub(crate) fn expected(self, payload: &[u8]) -> Option<u8> {
        // One arm per scheme with the scheme spelled out, so that after
        // inlining each loop is specialised instead of re-matching the
        // scheme for every character (this is the hot loop of detection).
        match self {
            Scheme::Gs1 { bias } => additive(Scheme::Gs1 { bias }, payload),
            Scheme::Ups => additive(Scheme::Ups, payload),
            Scheme::FedEx => additive(Scheme::FedEx, payload),
            Scheme::S10 => additive(Scheme::S10, payload),
            Scheme::Mod7 => additive(Scheme::Mod7, payload),
            Scheme::Iso6346 => additive(Scheme::Iso6346, payload),
            Scheme::Luhn => additive(Scheme::Luhn, payload),
            Scheme::Identcode => additive(Scheme::Identcode, payload),
            Scheme::Mod37_36 => mod37_36(payload),
            Scheme::Crc4 => crc4(payload),
        }
    }

    /// `"; <name> check digit matches"`, for candidate explanations. Spelled
    /// out rather than assembled so that building one costs a single copy.
    pub(crate) fn matches_text(self) -> &'static str {
        match self {
            Scheme::Gs1 { .. } => "; GS1 mod-10 check digit matches",
            Scheme::Ups => "; UPS mod-10 check digit matches",
            Scheme::FedEx => "; FedEx mod-11 check digit matches",
            Scheme::S10 => "; UPU S10 mod-11 check digit matches",
            Scheme::Mod7 => "; mod-7 check digit matches",
            Scheme::Iso6346 => "; ISO 6346 check digit matches",
            Scheme::Luhn => "; Luhn check digit matches",
            Scheme::Identcode => "; Identcode 4/9 check digit matches",
            Scheme::Mod37_36 => "; ISO 7064 MOD 37,36 check digit matches",
            Scheme::Crc4 => "; CRC-4 check digit matches",
        }
    }

    /// `"; <name> check digit should be "`, to be followed by the expected digit.
    pub(crate) fn fails_text(self) -> &'static str {
        match self {
            Scheme::Gs1 { .. } => "; GS1 mod-10 check digit should be ",
            Scheme::Ups => "; UPS mod-10 check digit should be ",
            Scheme::FedEx => "; FedEx mod-11 check digit should be ",
            Scheme::S10 => "; UPU S10 mod-11 check digit should be ",
            Scheme::Mod7 => "; mod-7 check digit should be ",
            Scheme::Iso6346 => "; ISO 6346 check digit should be ",
            Scheme::Luhn => "; Luhn check digit should be ",
            Scheme::Identcode => "; Identcode 4/9 check digit should be ",
            Scheme::Mod37_36 => "; ISO 7064 MOD 37,36 check digit should be ",
            Scheme::Crc4 => "; CRC-4 check digit should be ",
        }
    }

    /// A short English name for messages ("GS1 mod-10").
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scheme::Gs1 { .. } => "GS1 mod-10",
            Scheme::Ups => "UPS mod-10",
            Scheme::FedEx => "FedEx mod-11",
            Scheme::S10 => "UPU S10 mod-11",
            Scheme::Mod7 => "mod-7",
            Scheme::Iso6346 => "ISO 6346",
            Scheme::Luhn => "Luhn",
            Scheme::Identcode => "Identcode 4/9",
            Scheme::Mod37_36 => "ISO 7064 MOD 37,36",
            Scheme::Crc4 => "CRC-4",
        }
    }
}

#[inline(always)]
fn additive(scheme: Scheme, payload: &[u8]) -> Option<u8> {
    let mut sum = scheme.bias();
    for (index, &c) in payload.iter().enumerate() {
        sum += scheme.term(index, payload.len(), c)?;
    }
    Some(scheme.finish(sum))
}

/// ISO 7064 MOD 37,36: the hybrid system with M = 36 over the alphabet
/// 0–9A–Z. The running value `p` starts at M; each character is added, the sum
/// is reduced into 1..=M, doubled and reduced modulo M + 1. The check
/// character makes `(p + check) mod M == 1`.
fn mod37_36(payload: &[u8]) -> Option<u8> {
    const M: u32 = 36;
    let mut p = M;
    for &c in payload {
        let mut s = (p + base36(c)?) % M;
        if s == 0 {
            s = M;
        }
        p = s * 2 % (M + 1);
    }
    let check = (M + 1 - p) % M;
    // `check` is below 36, so it is one base-36 digit.
    Some(if check < 10 {
        b'0' + check as u8
    } else {
        b'A' + (check - 10) as u8
    })
}

/// CRC-4 (see [`Scheme::Crc4`]) of a payload of upper-case hex digits.
fn crc4(payload: &[u8]) -> Option<u8> {
    let mut crc = 0u8;
    for &c in payload {
        hex(c)?;
        // `crc` is below 16, so the shift stays within the byte.
        crc = CRC4_TABLE[usize::from((crc << 4) ^ c)];
    }
    Some(HEX_DIGITS[usize::from(crc)])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `number` into payload and check character at `check_at` and
    /// asserts that the scheme accepts it exactly when `valid` says so.
    fn check(
        scheme: Scheme,
        number: &str,
        payload: std::ops::Range<usize>,
        check_at: usize,
        valid: bool,
    ) {
        let bytes = number.as_bytes();
        let expected = scheme.expected(&bytes[payload]);
        assert_eq!(
            expected == Some(bytes[check_at]),
            valid,
            "{number}: expected check {:?}",
            expected.map(char::from)
        );
    }

    #[test]
    fn iso6346_letter_values_skip_multiples_of_eleven() {
        assert_eq!(ISO6346_LETTER_VALUES[0], 10); // A
        assert_eq!(ISO6346_LETTER_VALUES[1], 12); // B
        assert_eq!(ISO6346_LETTER_VALUES[10], 21); // K
        assert_eq!(ISO6346_LETTER_VALUES[11], 23); // L
        assert_eq!(ISO6346_LETTER_VALUES[20], 32); // U
        assert_eq!(ISO6346_LETTER_VALUES[21], 34); // V
        assert_eq!(ISO6346_LETTER_VALUES[25], 38); // Z
    }

    #[test]
    fn ups() {
        // The UPS developer-guide sample and numbers seen on real labels.
        check(Scheme::Ups, "1Z999AA10123456784", 2..17, 17, true);
        check(Scheme::Ups, "1Z5R89390357567127", 2..17, 17, true);
        check(Scheme::Ups, "1Z879E930346834440", 2..17, 17, true);
        check(Scheme::Ups, "1Z999AA10123456785", 2..17, 17, false);
        check(Scheme::Ups, "1Z1111111111111111", 2..17, 17, false);
    }

    #[test]
    fn ups_waybills_use_the_1z_rule_on_their_serial() {
        // The examples of jkeen/tracking_number_data's "UPS Waybill" definition.
        check(Scheme::Ups, "K1506235620", 1..10, 10, true);
        check(Scheme::Ups, "K2479825491", 1..10, 10, true);
        check(Scheme::Ups, "J4603636537", 1..10, 10, true);
        check(Scheme::Ups, "V0490119172", 1..10, 10, true);
        check(Scheme::Ups, "V0431105627", 1..10, 10, true);
        check(Scheme::Ups, "K1506235621", 1..10, 10, false);
    }

    #[test]
    fn ontrac_uses_the_ups_scheme_with_its_letter() {
        check(Scheme::Ups, "C11031500001879", 0..14, 14, true);
        check(Scheme::Ups, "D10011354453707", 0..14, 14, true);
        check(Scheme::Ups, "C11031500001889", 0..14, 14, false);
    }

    #[test]
    fn fedex() {
        check(Scheme::FedEx, "986578788855", 0..11, 11, true);
        check(Scheme::FedEx, "477179081230", 0..11, 11, true);
        check(Scheme::FedEx, "996578788855", 0..11, 11, false);
        // 34-digit Express barcode: the 13 digits before the check digit.
        check(
            Scheme::FedEx,
            "1001921334250001000300779017972697",
            20..33,
            33,
            true,
        );
        check(
            Scheme::FedEx,
            "1001901781990001000300617767839438",
            20..33,
            33,
            false,
        );
    }

    #[test]
    fn gs1() {
        // The SSCC used as an example in GS1 material (verified by computing).
        check(
            Scheme::Gs1 { bias: 0 },
            "106141411234567897",
            0..17,
            17,
            true,
        );
        check(
            Scheme::Gs1 { bias: 0 },
            "106141411234567898",
            0..17,
            17,
            false,
        );
        check(Scheme::Gs1 { bias: 0 }, "041441760228964", 0..14, 14, true);
        check(
            Scheme::Gs1 { bias: 0 },
            "9611020987654312345672",
            7..21,
            21,
            true,
        );
        check(
            Scheme::Gs1 { bias: 0 },
            "9400111202555842332669",
            0..21,
            21,
            true,
        );
        check(
            Scheme::Gs1 { bias: 0 },
            "03071790000523483741",
            0..19,
            19,
            true,
        );
        check(
            Scheme::Gs1 { bias: 0 },
            "03071790000523483742",
            0..19,
            19,
            false,
        );
        check(Scheme::Gs1 { bias: 0 }, "0073938000549297", 0..15, 15, true);
    }

    #[test]
    fn gs1_bias_stands_for_dropped_leading_digits() {
        // "92" + the 20 printed digits is a valid 22-digit IMpb.
        check(
            Scheme::Gs1 { bias: 0 },
            "9261299998820821171811",
            0..21,
            21,
            true,
        );
        check(
            Scheme::Gs1 { bias: 29 },
            "61299998820821171811",
            0..19,
            19,
            true,
        );
        check(
            Scheme::Gs1 { bias: 0 },
            "61299998820821171811",
            0..19,
            19,
            false,
        );
    }

    #[test]
    fn s10() {
        check(Scheme::S10, "RA123456785CN", 2..10, 10, true);
        check(Scheme::S10, "RB123456785GB", 2..10, 10, true);
        check(Scheme::S10, "RB123456786US", 2..10, 10, false);
        // Remainder 0 gives check digit 5, remainder 1 gives 0.
        assert_eq!(Scheme::S10.finish(0), b'5');
        assert_eq!(Scheme::S10.finish(1), b'0');
    }

    #[test]
    fn mod7() {
        check(Scheme::Mod7, "3318810025", 0..9, 9, true);
        check(Scheme::Mod7, "73891051146", 0..10, 10, true);
        check(Scheme::Mod7, "3318810010", 0..9, 9, false);
        // IATA air waybill: the 7-digit serial after the airline prefix.
        check(Scheme::Mod7, "02012345675", 3..10, 10, true);
        check(Scheme::Mod7, "02012345676", 3..10, 10, false);
    }

    #[test]
    fn iso6346() {
        // CSQU3054383 is the example in ISO 6346; MSKU9070323 a real box (both verified by computing).
        check(Scheme::Iso6346, "CSQU3054383", 0..10, 10, true);
        check(Scheme::Iso6346, "CSQU3054384", 0..10, 10, false);
        check(Scheme::Iso6346, "MSKU9070323", 0..10, 10, true);
    }

    #[test]
    fn luhn() {
        check(Scheme::Luhn, "79927398713", 0..10, 10, true);
        check(Scheme::Luhn, "79927398710", 0..10, 10, false);
        check(Scheme::Luhn, "07209562763", 0..10, 10, true);
        check(Scheme::Luhn, "320595463938", 0..11, 11, true);
        check(Scheme::Luhn, "320595463939", 0..11, 11, false);
    }

    #[test]
    fn identcode() {
        // 56.310 243.031 3, an Identcode as printed on a label (verified by computing).
        check(Scheme::Identcode, "563102430313", 0..11, 11, true);
        check(Scheme::Identcode, "563102430314", 0..11, 11, false);
    }

    #[test]
    fn mod37_36() {
        check(
            Scheme::Mod37_36,
            "008182709980000020033350276C",
            0..27,
            27,
            true,
        );
        check(
            Scheme::Mod37_36,
            "008182709980000020045327276N",
            0..27,
            27,
            true,
        );
        check(
            Scheme::Mod37_36,
            "008182709980000020033350276A",
            0..27,
            27,
            false,
        );
    }

    #[test]
    fn crc4() {
        // Two real Frankier-IDs (01 31F7 70C0 11 4017 0998, 42 305D A0F2 70 F07F 2E3C).
        check(Scheme::Crc4, "0131F770C01140170998", 0..19, 19, true);
        check(Scheme::Crc4, "42305DA0F270F07F2E3C", 0..19, 19, true);
        // One character changed: in the payload, or the check character itself.
        check(Scheme::Crc4, "0131F770C01140171998", 0..19, 19, false);
        check(Scheme::Crc4, "0131F770C01140170999", 0..19, 19, false);
        check(Scheme::Crc4, "42305DA0F270F07F2E3D", 0..19, 19, false);
        check(Scheme::Crc4, "42305DB0F270F07F2E3C", 0..19, 19, false);
        assert_eq!(Scheme::Crc4.expected(b"42305DB0F270F07F2E3"), Some(b'5'));
        // jkeen/tracking_number_data's Deutsche Post example ends in E, not 4.
        assert_eq!(Scheme::Crc4.expected(b"01030E092806011E001"), Some(b'4'));
        assert_eq!(Scheme::Crc4.expected(b""), Some(b'0'));
        // Only upper-case hex digits (normalisation upper-cases first).
        assert_eq!(Scheme::Crc4.expected(b"0131f770c0114017099"), None);
        assert_eq!(Scheme::Crc4.expected(b"0131G770C0114017099"), None);
    }

    /// CRC-4 one bit at a time from a register holding `crc`, straight from
    /// the definition.
    fn crc4_bitwise(mut crc: u8, payload: &[u8]) -> u8 {
        for &byte in payload {
            for bit in (0..8).rev() {
                let feedback = (crc >> 3) ^ ((byte >> bit) & 1);
                crc = (crc << 1) & 0xF;
                if feedback != 0 {
                    crc ^= 0x3;
                }
            }
        }
        crc
    }

    #[test]
    fn crc4_table_follows_the_definition() {
        for crc in 0..16u8 {
            for byte in 0..=255u8 {
                assert_eq!(
                    CRC4_TABLE[usize::from((crc << 4) ^ byte)],
                    crc4_bitwise(crc, &[byte]),
                    "register {crc}, byte {byte}"
                );
            }
        }
        assert_eq!(crc4_bitwise(0, b"42305DA0F270F07F2E3"), 0xC);
    }

    #[test]
    fn crc4_misses_only_8_for_a() {
        // CRC-4 is linear, so a one-character change is missed exactly when
        // the two characters alone have the same remainder, at any position.
        for &a in HEX_DIGITS {
            for &b in HEX_DIGITS {
                let missed = a != b && Scheme::Crc4.expected(&[a]) == Scheme::Crc4.expected(&[b]);
                assert_eq!(missed, matches!((a, b), (b'8', b'A') | (b'A', b'8')));
            }
        }
    }

    #[test]
    fn explanation_texts_use_the_scheme_name() {
        let schemes = [
            Scheme::Gs1 { bias: 0 },
            Scheme::Ups,
            Scheme::FedEx,
            Scheme::S10,
            Scheme::Mod7,
            Scheme::Iso6346,
            Scheme::Luhn,
            Scheme::Identcode,
            Scheme::Mod37_36,
            Scheme::Crc4,
        ];
        for scheme in schemes {
            assert_eq!(
                scheme.matches_text(),
                format!("; {} check digit matches", scheme.name())
            );
            assert_eq!(
                scheme.fails_text(),
                format!("; {} check digit should be ", scheme.name())
            );
        }
    }

    #[test]
    fn letters_are_refused_where_only_digits_belong() {
        assert_eq!(Scheme::FedEx.expected(b"98657878885A"), None);
        assert_eq!(Scheme::S10.expected(b"1234567A"), None);
    }
}
