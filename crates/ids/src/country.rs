//! ISO 3166-1 alpha-2 country codes and the postal operators behind UPU S10
//! numbers.
//!
//! An S10 number ends in the code of the country whose postal operator issued
//! it. Most operators get the generic `UPU` carrier code with the country
//! attached; the ones tracklane integrates with directly get their own code.

/// Officially assigned ISO 3166-1 alpha-2 codes, sorted.
const COUNTRY_CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", //
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR",
    "BS", //
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM",
    "CN", //
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC",
    "EE", //
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE",
    "GF", //
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK",
    "HM", //
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE",
    "JM", //
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB",
    "LC", //
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH",
    "MK", //
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ",
    "NA", //
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF",
    "PG", //
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU",
    "RW", //
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR",
    "SS", //
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN",
    "TO", //
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG",
    "VI", //
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// The static country code equal to `code`, if it is an assigned ISO 3166-1
/// alpha-2 code. Returning the table's own `&'static str` lets candidates
/// carry the country without allocating.
pub(crate) fn country(code: &[u8]) -> Option<&'static str> {
    let &[first, second] = code else { return None };
    if !(first.is_ascii_uppercase() && second.is_ascii_uppercase()) {
        return None;
    }
    let slot = COUNTRY_SLOTS[usize::from(first - b'A') * 26 + usize::from(second - b'A')];
    (slot != 0).then(|| COUNTRY_CODES[usize::from(slot - 1)])
}

/// For every pair of letters AA..ZZ, 1 + its index in [`COUNTRY_CODES`], or 0
/// when the pair is not a country. A direct lookup: S10 detection asks for
/// every 13-character number.
static COUNTRY_SLOTS: [u8; 26 * 26] = country_slots();

const fn country_slots() -> [u8; 26 * 26] {
    let mut slots = [0u8; 26 * 26];
    let mut index = 0;
    while index < COUNTRY_CODES.len() {
        let code = COUNTRY_CODES[index].as_bytes();
        slots[(code[0] - b'A') as usize * 26 + (code[1] - b'A') as usize] = (index + 1) as u8;
        index += 1;
    }
    slots
}

/// The carrier code for an S10 number from `country`, whose service
/// indicator (first letter) is `service_letter`. China Post runs EMS as a
/// separately tracked brand, so China's E-prefixed numbers get their own code.
pub(crate) fn s10_operator(country: &str, service_letter: u8) -> &'static str {
    match country.as_bytes() {
        b"CN" if service_letter == b'E' => "CHINA_EMS",
        b"CN" => "CHINA_POST",
        b"JP" => "JAPAN_POST",
        b"GB" => "ROYAL_MAIL",
        b"FR" => "LA_POSTE",
        b"DE" => "DEUTSCHE_POST",
        b"CA" => "CANADA_POST",
        b"US" => "USPS",
        b"NL" => "POSTNL",
        b"IT" => "POSTE_ITALIANE",
        b"ES" => "CORREOS",
        _ => "UPU",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(code: &str, expected: Option<&str>) {
        assert_eq!(country(code.as_bytes()), expected, "{code}");
    }

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(COUNTRY_CODES.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(
            COUNTRY_CODES
                .iter()
                .all(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    #[test]
    fn lookups() {
        check("CN", Some("CN"));
        check("GB", Some("GB"));
        check("ZW", Some("ZW"));
        check("AD", Some("AD"));
        check("XX", None);
        check("UK", None); // Royal Mail uses GB, not UK
        check("cn", None);
    }

    #[test]
    fn operators() {
        assert_eq!(s10_operator("CN", b'E'), "CHINA_EMS");
        assert_eq!(s10_operator("CN", b'R'), "CHINA_POST");
        assert_eq!(s10_operator("GB", b'R'), "ROYAL_MAIL");
        assert_eq!(s10_operator("BR", b'R'), "UPU");
    }
}
