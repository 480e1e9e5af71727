//! Where freight gateways are: the seaports, cargo airports, rail terminals and
//! customs hubs through which inbound freight reaches the marketplaces, so that
//! Smart Reroute can measure a detour from where the freight is rather than
//! from the warehouse it was going to.
//!
//! Carrier scans name a place by city and country only (the SP-API
//! `TrackingMilestoneAddress`), so a scan is placed by looking its city up
//! here. Coordinates are the city's, to a few kilometres: enough for road
//! distances of hundreds of kilometres. A city not listed is simply unknown.

/// One gateway: ISO 3166 alpha-2 country, its names (folded, see [`fold`]),
/// latitude and longitude in degrees.
struct Gateway {
    country: &'static str,
    names: &'static [&'static str],
    latitude: f64,
    longitude: f64,
}

const fn at(
    country: &'static str,
    names: &'static [&'static str],
    latitude: f64,
    longitude: f64,
) -> Gateway {
    Gateway {
        country,
        names,
        latitude,
        longitude,
    }
}

/// The gateways of every marketplace tracklane serves, and the European ports
/// and rail terminals that clear freight into the EU for them.
const GATEWAYS: &[Gateway] = &[
    // United States
    at("US", &["losangeles"], 34.05, -118.24),
    at("US", &["longbeach"], 33.77, -118.19),
    at("US", &["oakland"], 37.80, -122.27),
    at("US", &["sanfrancisco"], 37.77, -122.42),
    at("US", &["seattle"], 47.61, -122.33),
    at("US", &["tacoma"], 47.25, -122.44),
    at("US", &["portland"], 45.52, -122.68),
    at("US", &["houston"], 29.76, -95.37),
    at("US", &["dallas"], 32.78, -96.80),
    at("US", &["fortworth"], 32.76, -97.33),
    at("US", &["savannah"], 32.08, -81.09),
    at("US", &["charleston"], 32.78, -79.93),
    at("US", &["norfolk"], 36.85, -76.29),
    at("US", &["baltimore"], 39.29, -76.61),
    at("US", &["newark"], 40.74, -74.17),
    at("US", &["elizabeth"], 40.66, -74.21),
    at("US", &["newyork", "newyorkcity", "jamaica"], 40.71, -74.01),
    at("US", &["philadelphia"], 39.95, -75.17),
    at("US", &["boston"], 42.36, -71.06),
    at("US", &["miami"], 25.76, -80.19),
    at("US", &["jacksonville"], 30.33, -81.66),
    at("US", &["atlanta"], 33.75, -84.39),
    at("US", &["chicago"], 41.88, -87.63),
    at("US", &["memphis"], 35.15, -90.05),
    at("US", &["louisville"], 38.25, -85.76),
    at("US", &["cincinnati", "hebron"], 39.10, -84.51),
    at("US", &["indianapolis"], 39.77, -86.16),
    at("US", &["ontario"], 34.06, -117.65),
    at("US", &["anchorage"], 61.22, -149.90),
    at("US", &["kansascity"], 39.10, -94.58),
    at("US", &["denver"], 39.74, -104.99),
    at("US", &["phoenix"], 33.45, -112.07),
    at("US", &["saltlakecity"], 40.76, -111.89),
    at("US", &["detroit"], 42.33, -83.05),
    at("US", &["neworleans"], 29.95, -90.07),
    at("US", &["mobile"], 30.69, -88.04),
    at("US", &["laredo"], 27.51, -99.51),
    at("US", &["elpaso"], 31.76, -106.49),
    // Canada
    at("CA", &["vancouver"], 49.28, -123.12),
    at("CA", &["richmond"], 49.17, -123.14),
    at("CA", &["delta"], 49.09, -123.03),
    at("CA", &["princerupert"], 54.32, -130.32),
    at("CA", &["toronto"], 43.65, -79.38),
    at("CA", &["mississauga"], 43.59, -79.64),
    at("CA", &["brampton"], 43.73, -79.76),
    at("CA", &["hamilton"], 43.26, -79.87),
    at("CA", &["montreal"], 45.50, -73.57),
    at("CA", &["halifax"], 44.65, -63.58),
    at("CA", &["calgary"], 51.05, -114.07),
    at("CA", &["edmonton"], 53.55, -113.49),
    at("CA", &["winnipeg"], 49.90, -97.14),
    // Germany
    at("DE", &["hamburg"], 53.55, 9.99),
    at("DE", &["bremerhaven"], 53.54, 8.58),
    at("DE", &["bremen"], 53.08, 8.80),
    at("DE", &["duisburg"], 51.43, 6.76),
    at("DE", &["dusseldorf", "duesseldorf"], 51.23, 6.77),
    at("DE", &["dortmund"], 51.51, 7.47),
    at("DE", &["koln", "koeln", "cologne"], 50.94, 6.96),
    at("DE", &["frankfurtammain", "frankfurt"], 50.11, 8.68),
    at("DE", &["leipzig"], 51.34, 12.37),
    at("DE", &["berlin"], 52.52, 13.40),
    at("DE", &["hannover", "hanover"], 52.37, 9.73),
    at("DE", &["munchen", "muenchen", "munich"], 48.14, 11.58),
    at("DE", &["nurnberg", "nuernberg", "nuremberg"], 49.45, 11.08),
    at("DE", &["stuttgart"], 48.78, 9.18),
    // Netherlands, Belgium and Poland: EU entry points for German, French,
    // Italian and Spanish freight
    at("NL", &["rotterdam"], 51.92, 4.48),
    at("NL", &["amsterdam"], 52.37, 4.90),
    at("NL", &["venlo"], 51.37, 6.17),
    at("BE", &["antwerpen", "antwerp", "anvers"], 51.22, 4.40),
    at("BE", &["zeebrugge"], 51.33, 3.20),
    at("BE", &["liege", "luik"], 50.63, 5.57),
    at("BE", &["brussels", "bruxelles", "brussel"], 50.85, 4.35),
    at("PL", &["malaszewicze"], 52.03, 23.53),
    at("PL", &["lodz"], 51.76, 19.46),
    // United Kingdom
    at("GB", &["felixstowe"], 51.96, 1.35),
    at("GB", &["southampton"], 50.90, -1.40),
    at("GB", &["london"], 51.51, -0.13),
    at("GB", &["tilbury"], 51.46, 0.36),
    at("GB", &["londongateway", "stanfordlehope"], 51.51, 0.47),
    at("GB", &["heathrow"], 51.47, -0.45),
    at("GB", &["dover"], 51.13, 1.31),
    at("GB", &["manchester"], 53.48, -2.24),
    at("GB", &["liverpool"], 53.41, -2.99),
    at("GB", &["birmingham"], 52.49, -1.89),
    at("GB", &["coventry"], 52.41, -1.51),
    at("GB", &["castledonington"], 52.83, -1.33),
    at("GB", &["immingham"], 53.61, -0.22),
    at("GB", &["bristol"], 51.45, -2.59),
    // France
    at("FR", &["lehavre"], 49.49, 0.11),
    at("FR", &["paris"], 48.86, 2.35),
    at("FR", &["roissyenfrance", "roissy"], 49.00, 2.52),
    at("FR", &["marseille"], 43.30, 5.37),
    at("FR", &["fossurmer"], 43.44, 4.94),
    at("FR", &["lyon"], 45.76, 4.84),
    at("FR", &["dunkerque", "dunkirk"], 51.03, 2.38),
    at("FR", &["lille"], 50.63, 3.06),
    // Italy
    at("IT", &["genova", "genoa"], 44.41, 8.93),
    at("IT", &["laspezia"], 44.10, 9.82),
    at("IT", &["livorno"], 43.55, 10.31),
    at("IT", &["milano", "milan"], 45.46, 9.19),
    at("IT", &["roma", "rome"], 41.90, 12.50),
    at("IT", &["napoli", "naples"], 40.85, 14.27),
    at("IT", &["trieste"], 45.65, 13.78),
    at("IT", &["venezia", "venice"], 45.44, 12.32),
    at("IT", &["bologna"], 44.49, 11.34),
    at("IT", &["gioiatauro"], 38.42, 15.90),
    // Spain
    at("ES", &["valencia"], 39.47, -0.38),
    at("ES", &["barcelona"], 41.39, 2.17),
    at("ES", &["elpratdellobregat", "elprat"], 41.33, 2.10),
    at("ES", &["madrid"], 40.42, -3.70),
    at("ES", &["algeciras"], 36.13, -5.45),
    at("ES", &["bilbao"], 43.26, -2.93),
    at("ES", &["zaragoza"], 41.65, -0.89),
    at("ES", &["sevilla", "seville"], 37.39, -5.98),
    // Japan
    at("JP", &["tokyo"], 35.68, 139.77),
    at("JP", &["narita"], 35.78, 140.32),
    at("JP", &["chiba"], 35.61, 140.12),
    at("JP", &["yokohama"], 35.44, 139.64),
    at("JP", &["kawasaki"], 35.53, 139.70),
    at("JP", &["osaka"], 34.69, 135.50),
    at("JP", &["kobe"], 34.69, 135.20),
    at("JP", &["izumisano"], 34.41, 135.32),
    at("JP", &["nagoya"], 35.18, 136.91),
    at("JP", &["fukuoka"], 33.59, 130.40),
];

/// The countries of the European Union's customs union: freight for a German,
/// French, Italian or Spanish warehouse may clear import customs in any of them.
const EU_CUSTOMS_UNION: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Whether freight cleared in `country` has entered the customs territory of
/// `destination`: the same country, or both in the EU's customs union.
pub fn is_same_customs_territory(country: &str, destination: &str) -> bool {
    country.eq_ignore_ascii_case(destination)
        || (EU_CUSTOMS_UNION.contains(&country.to_ascii_uppercase().as_str())
            && EU_CUSTOMS_UNION.contains(&destination))
}

/// A city name as the table spells it: lower case, Latin letters without
/// accents, digits, nothing else ("Frankfurt am Main" → "frankfurtammain",
/// "Małaszewicze" → "malaszewicze").
fn fold(city: &str) -> String {
    let mut out = String::with_capacity(city.len());
    for c in city.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'č' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ł' => out.push('l'),
            'ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
            'ś' | 'š' => out.push('s'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'ß' => out.push_str("ss"),
            _ => {}
        }
    }
    out
}

/// The latitude and longitude of `city` in `country` (ISO 3166 alpha-2), if it
/// is a known gateway.
pub fn locate(city: &str, country: &str) -> Option<(f64, f64)> {
    let name = fold(city);
    GATEWAYS
        .iter()
        .find(|g| g.country.eq_ignore_ascii_case(country) && g.names.contains(&name.as_str()))
        .map(|g| (g.latitude, g.longitude))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_is_found_however_it_is_spelled() {
        assert_eq!(locate("Long Beach", "US"), Some((33.77, -118.19)));
        assert_eq!(locate("LONG BEACH", "us"), locate("Long Beach", "US"));
        assert_eq!(locate("Frankfurt am Main", "DE"), locate("Frankfurt", "DE"));
        assert_eq!(locate("Małaszewicze", "PL"), locate("Malaszewicze", "PL"));
        assert_eq!(locate("Liège", "BE"), locate("Liege", "BE"));
    }

    #[test]
    fn a_city_is_placed_only_in_its_own_country() {
        // Ontario, California is a cargo airport; Ontario is also a province.
        assert!(locate("Ontario", "US").is_some());
        assert_eq!(locate("Ontario", "CA"), None);
        assert_eq!(locate("Richmond", "US"), None);
        assert_eq!(locate("Atlantis", "US"), None);
    }

    #[test]
    fn every_name_is_folded_and_every_place_on_earth() {
        for g in GATEWAYS {
            for name in g.names {
                assert_eq!(fold(name), *name, "{name} is not folded");
            }
            assert!((-90.0..=90.0).contains(&g.latitude));
            assert!((-180.0..=180.0).contains(&g.longitude));
        }
    }

    #[test]
    fn the_eu_is_one_customs_territory_and_the_uk_is_not() {
        assert!(is_same_customs_territory("NL", "DE"));
        assert!(is_same_customs_territory("pl", "FR"));
        assert!(is_same_customs_territory("CA", "CA"));
        assert!(!is_same_customs_territory("NL", "GB"));
        assert!(!is_same_customs_territory("US", "CA"));
    }
}
