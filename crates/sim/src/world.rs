//! The simulated world as constant data: Amazon fulfilment centres in the eight
//! marketplaces, the carriers and forwarders that carry inbound freight from
//! China, four seller brands and the places they ship from.
//!
//! Facts we are sure of (warehouse codes, towns, most street addresses, company
//! names that are public) are written as they are; the rest (receiving
//! capacities, backlogs, a few street lines and Japanese site codes, the fictional
//! forwarders' websites) is plausible data, marked "plausible" where it matters.
//! Nothing here draws a random number: the world is the same in every run.

use tracklane_core::{
    Address, Capability, Carrier, CarrierCode, FreightMode, Marketplace, Seller, SellerId,
    Warehouse, WarehouseCode,
};

/// One fulfilment centre, as written in the table below.
struct Site {
    code: &'static str,
    name: &'static str,
    marketplace: Marketplace,
    line1: &'static str,
    city: &'static str,
    region: &'static str,
    postal_code: &'static str,
    time_zone: &'static str,
    latitude: f64,
    longitude: f64,
    capacity_units_per_day: u32,
    backlog_units: u32,
}

use Marketplace::{Ca, De, Es, Fr, It, Jp, Uk, Us};

/// Receiving capacities and backlogs are plausible, not published figures. A few
/// sites (ONT8, LGB8, TEB9, DTM2) carry a backlog of several days so that the
/// reroute optimiser has congestion to route around.
#[rustfmt::skip]
const SITES: &[Site] = &[
    // ---- United States -------------------------------------------------------
    Site { code: "TEB9", name: "Logan Township", marketplace: Us, line1: "2651 Oldmans Creek Rd", city: "Logan Township", region: "NJ", postal_code: "08085", time_zone: "America/New_York", latitude: 39.7790, longitude: -75.3560, capacity_units_per_day: 95_000, backlog_units: 310_000 },
    Site { code: "ABE8", name: "Florence", marketplace: Us, line1: "309 Cedar Ln", city: "Florence", region: "NJ", postal_code: "08518", time_zone: "America/New_York", latitude: 40.1070, longitude: -74.7800, capacity_units_per_day: 70_000, backlog_units: 60_000 },
    Site { code: "ONT8", name: "Moreno Valley", marketplace: Us, line1: "24300 Nandina Ave", city: "Moreno Valley", region: "CA", postal_code: "92551", time_zone: "America/Los_Angeles", latitude: 33.8830, longitude: -117.2440, capacity_units_per_day: 120_000, backlog_units: 540_000 },
    Site { code: "LGB8", name: "Rialto", marketplace: Us, line1: "1568 N Linden Ave", city: "Rialto", region: "CA", postal_code: "92376", time_zone: "America/Los_Angeles", latitude: 34.1380, longitude: -117.3980, capacity_units_per_day: 110_000, backlog_units: 420_000 },
    // SBD1's street address is in San Bernardino (some lists say Bloomington, its neighbour).
    Site { code: "SBD1", name: "San Bernardino", marketplace: Us, line1: "1910 E Central Ave", city: "San Bernardino", region: "CA", postal_code: "92408", time_zone: "America/Los_Angeles", latitude: 34.0770, longitude: -117.2480, capacity_units_per_day: 85_000, backlog_units: 90_000 },
    Site { code: "SCK4", name: "Stockton", marketplace: Us, line1: "4532 Newcastle Rd", city: "Stockton", region: "CA", postal_code: "95215", time_zone: "America/Los_Angeles", latitude: 37.8930, longitude: -121.2390, capacity_units_per_day: 75_000, backlog_units: 40_000 },
    Site { code: "BFI4", name: "Kent", marketplace: Us, line1: "21005 64th Ave S", city: "Kent", region: "WA", postal_code: "98032", time_zone: "America/Los_Angeles", latitude: 47.4160, longitude: -122.2510, capacity_units_per_day: 60_000, backlog_units: 35_000 },
    Site { code: "PHX7", name: "Phoenix", marketplace: Us, line1: "800 N 75th Ave", city: "Phoenix", region: "AZ", postal_code: "85043", time_zone: "America/Phoenix", latitude: 33.4550, longitude: -112.2210, capacity_units_per_day: 65_000, backlog_units: 30_000 },
    Site { code: "FTW1", name: "Dallas", marketplace: Us, line1: "33333 LBJ Fwy", city: "Dallas", region: "TX", postal_code: "75241", time_zone: "America/Chicago", latitude: 32.6470, longitude: -96.7510, capacity_units_per_day: 90_000, backlog_units: 120_000 },
    Site { code: "MDW2", name: "Joliet", marketplace: Us, line1: "250 Emerald Dr", city: "Joliet", region: "IL", postal_code: "60433", time_zone: "America/Chicago", latitude: 41.4990, longitude: -88.0710, capacity_units_per_day: 100_000, backlog_units: 150_000 },
    Site { code: "IND9", name: "Greenwood", marketplace: Us, line1: "1151 S Graham Rd", city: "Greenwood", region: "IN", postal_code: "46143", time_zone: "America/Indiana/Indianapolis", latitude: 39.5970, longitude: -86.0740, capacity_units_per_day: 70_000, backlog_units: 45_000 },
    Site { code: "CLT2", name: "Charlotte", marketplace: Us, line1: "10240 Old Dowd Rd", city: "Charlotte", region: "NC", postal_code: "28214", time_zone: "America/New_York", latitude: 35.2410, longitude: -80.9670, capacity_units_per_day: 80_000, backlog_units: 70_000 },
    Site { code: "ATL6", name: "East Point", marketplace: Us, line1: "4200 N Commerce Dr", city: "East Point", region: "GA", postal_code: "30344", time_zone: "America/New_York", latitude: 33.6590, longitude: -84.4770, capacity_units_per_day: 75_000, backlog_units: 55_000 },
    // ---- United Kingdom --------------------------------------------------------
    Site { code: "LTN1", name: "Ridgmont", marketplace: Uk, line1: "Marston Gate, Ridgmont", city: "Bedford", region: "Bedfordshire", postal_code: "MK43 0ZA", time_zone: "Europe/London", latitude: 52.0270, longitude: -0.5950, capacity_units_per_day: 70_000, backlog_units: 80_000 },
    Site { code: "BHX4", name: "Coventry", marketplace: Uk, line1: "Plot 1 Lyons Park, Sayer Drive", city: "Coventry", region: "West Midlands", postal_code: "CV5 9PF", time_zone: "Europe/London", latitude: 52.4140, longitude: -1.5710, capacity_units_per_day: 65_000, backlog_units: 50_000 },
    // Plausible street line.
    Site { code: "MAN1", name: "Manchester", marketplace: Uk, line1: "Chicago Avenue, Manchester Airport", city: "Manchester", region: "Greater Manchester", postal_code: "M90 5AA", time_zone: "Europe/London", latitude: 53.3590, longitude: -2.2700, capacity_units_per_day: 45_000, backlog_units: 20_000 },
    // ---- Germany ---------------------------------------------------------------
    // Plausible street line.
    Site { code: "FRA7", name: "Frankenthal", marketplace: De, line1: "Amazonstraße 1", city: "Frankenthal (Pfalz)", region: "RP", postal_code: "67227", time_zone: "Europe/Berlin", latitude: 49.5460, longitude: 8.3580, capacity_units_per_day: 60_000, backlog_units: 40_000 },
    Site { code: "DTM2", name: "Dortmund", marketplace: De, line1: "Kaltbandstraße 4", city: "Dortmund", region: "NW", postal_code: "44145", time_zone: "Europe/Berlin", latitude: 51.5390, longitude: 7.4990, capacity_units_per_day: 75_000, backlog_units: 260_000 },
    // Plausible street line.
    Site { code: "MUC3", name: "Graben", marketplace: De, line1: "Amazonstraße 1", city: "Graben", region: "BY", postal_code: "86836", time_zone: "Europe/Berlin", latitude: 48.1960, longitude: 10.8400, capacity_units_per_day: 55_000, backlog_units: 30_000 },
    // ---- France ----------------------------------------------------------------
    Site { code: "ORY1", name: "Saran", marketplace: Fr, line1: "1401 Rue du Champ Rouge", city: "Saran", region: "Loiret", postal_code: "45770", time_zone: "Europe/Paris", latitude: 47.9450, longitude: 1.8700, capacity_units_per_day: 55_000, backlog_units: 45_000 },
    // Plausible street line.
    Site { code: "LIL1", name: "Lauwin-Planque", marketplace: Fr, line1: "1 Rue Amazon", city: "Lauwin-Planque", region: "Nord", postal_code: "59553", time_zone: "Europe/Paris", latitude: 50.3960, longitude: 3.0430, capacity_units_per_day: 60_000, backlog_units: 35_000 },
    // ---- Italy -----------------------------------------------------------------
    Site { code: "MXP5", name: "Castel San Giovanni", marketplace: It, line1: "Strada Dogana Po 2U", city: "Castel San Giovanni", region: "PC", postal_code: "29015", time_zone: "Europe/Rome", latitude: 45.0800, longitude: 9.4300, capacity_units_per_day: 60_000, backlog_units: 50_000 },
    Site { code: "FCO1", name: "Passo Corese", marketplace: It, line1: "Via della Meccanica snc", city: "Fara in Sabina", region: "RI", postal_code: "02032", time_zone: "Europe/Rome", latitude: 42.1560, longitude: 12.6390, capacity_units_per_day: 45_000, backlog_units: 25_000 },
    // ---- Spain -----------------------------------------------------------------
    Site { code: "MAD4", name: "San Fernando de Henares", marketplace: Es, line1: "Avenida de la Astronomía 24", city: "San Fernando de Henares", region: "Madrid", postal_code: "28830", time_zone: "Europe/Madrid", latitude: 40.4300, longitude: -3.5160, capacity_units_per_day: 55_000, backlog_units: 40_000 },
    Site { code: "BCN1", name: "El Prat de Llobregat", marketplace: Es, line1: "Avinguda de les Garrigues 6-8", city: "El Prat de Llobregat", region: "Barcelona", postal_code: "08820", time_zone: "Europe/Madrid", latitude: 41.3090, longitude: 2.0960, capacity_units_per_day: 50_000, backlog_units: 30_000 },
    // ---- Japan (site codes real; street lines plausible) -------------------------
    Site { code: "NRT5", name: "Kawasaki", marketplace: Jp, line1: "10-1 Ukishima-cho, Kawasaki-ku", city: "Kawasaki", region: "Kanagawa", postal_code: "210-0862", time_zone: "Asia/Tokyo", latitude: 35.5220, longitude: 139.7860, capacity_units_per_day: 50_000, backlog_units: 40_000 },
    Site { code: "HND3", name: "Kawaguchi", marketplace: Jp, line1: "5-14-35 Ryoke", city: "Kawaguchi", region: "Saitama", postal_code: "332-0004", time_zone: "Asia/Tokyo", latitude: 35.8070, longitude: 139.7450, capacity_units_per_day: 40_000, backlog_units: 30_000 },
    Site { code: "KIX4", name: "Ibaraki", marketplace: Jp, line1: "2-1 Matsushita-cho", city: "Ibaraki", region: "Osaka", postal_code: "567-0028", time_zone: "Asia/Tokyo", latitude: 34.8160, longitude: 135.5690, capacity_units_per_day: 45_000, backlog_units: 25_000 },
    // ---- Canada ----------------------------------------------------------------
    Site { code: "YYZ4", name: "Brampton", marketplace: Ca, line1: "8050 Heritage Rd", city: "Brampton", region: "ON", postal_code: "L6Y 0C9", time_zone: "America/Toronto", latitude: 43.6370, longitude: -79.7780, capacity_units_per_day: 65_000, backlog_units: 70_000 },
    Site { code: "YVR2", name: "Delta", marketplace: Ca, line1: "450 Derwent Pl", city: "Delta", region: "BC", postal_code: "V3M 5Y9", time_zone: "America/Vancouver", latitude: 49.1700, longitude: -122.9500, capacity_units_per_day: 40_000, backlog_units: 20_000 },
];

/// The business that receives at a marketplace's sites, as FBA labels name it.
fn consignee(marketplace: Marketplace) -> &'static str {
    match marketplace {
        Us => "Amazon.com Services LLC",
        Uk => "Amazon UK Services Ltd.",
        De => "Amazon Fulfillment Germany GmbH",
        Fr => "Amazon France Logistique SAS",
        It => "Amazon Italia Logistica S.r.l.",
        Es => "Amazon Spain Fulfillment S.L.",
        Jp => "Amazon Japan G.K.",
        Ca => "Amazon.com.ca ULC",
    }
}

/// The fulfilment centres of all eight marketplaces, in a fixed order.
pub fn warehouses() -> Vec<Warehouse> {
    SITES
        .iter()
        .map(|s| Warehouse {
            code: WarehouseCode::parse(s.code).expect("the site table holds valid warehouse codes"),
            name: s.name.to_owned(),
            marketplace: s.marketplace,
            address: Address {
                name: format!("{} {}", consignee(s.marketplace), s.code),
                address_line1: s.line1.to_owned(),
                address_line2: None,
                city: s.city.to_owned(),
                state_or_province_code: Some(s.region.to_owned()),
                postal_code: s.postal_code.to_owned(),
                country_code: s.marketplace.country_code().to_owned(),
            },
            time_zone: s.time_zone.to_owned(),
            latitude: s.latitude,
            longitude: s.longitude,
            receiving_capacity_units_per_day: s.capacity_units_per_day,
            backlog_units: s.backlog_units,
        })
        .collect()
}

/// The standard-time UTC offset of the IANA zones the warehouses use, in hours.
/// Daylight saving time is ignored: the simulator uses it only to put deliveries
/// in local working hours, where an hour either way does not matter. (jiff's
/// time-zone database would be I/O, which the simulator does without.)
pub(crate) fn standard_utc_offset_hours(time_zone: &str) -> Option<i64> {
    Some(match time_zone {
        "America/New_York" | "America/Toronto" | "America/Indiana/Indianapolis" => -5,
        "America/Chicago" => -6,
        "America/Phoenix" | "America/Denver" => -7,
        "America/Los_Angeles" | "America/Vancouver" => -8,
        "Europe/London" => 0,
        "Europe/Berlin" | "Europe/Paris" | "Europe/Rome" | "Europe/Madrid" => 1,
        "Asia/Shanghai" => 8,
        "Asia/Tokyo" => 9,
        _ => return None,
    })
}

/// A carrier as written in the table below.
struct Line {
    code: &'static str,
    name: &'static str,
    website: &'static str,
    marketplaces: &'static [Marketplace],
    modes: &'static [FreightMode],
    capabilities: &'static [Capability],
}

use Capability::{DwAutomation, ShipTrack, SmartReroute};
use FreightMode::{Air, Express, Ocean, Rail};

const ALL_MARKETPLACES: &[Marketplace] = &[Us, Uk, Fr, De, It, Es, Jp, Ca];
const EUROPE: &[Marketplace] = &[Uk, Fr, De, It, Es];

/// Every carrier has ShipTrack; about half have Smart Reroute or DW Automation;
/// DHL Express and China Post EMS have ShipTrack only. Rail serves Europe only,
/// so the carriers that offer it serve nowhere else. The Chinese forwarders'
/// names are those of real companies; Shenzhen Fastlink, Eurasia Landbridge and
/// Zhejiang Eurolink are fictional, with `.example` websites.
#[rustfmt::skip]
const LINES: &[Line] = &[
    Line { code: "UPS", name: "UPS", website: "https://www.ups.com", marketplaces: ALL_MARKETPLACES, modes: &[Express, Air], capabilities: &[ShipTrack, SmartReroute, DwAutomation] },
    Line { code: "FEDEX", name: "FedEx", website: "https://www.fedex.com", marketplaces: ALL_MARKETPLACES, modes: &[Express, Air], capabilities: &[ShipTrack, DwAutomation] },
    Line { code: "DHL", name: "DHL Express", website: "https://www.dhl.com", marketplaces: ALL_MARKETPLACES, modes: &[Express], capabilities: &[ShipTrack] },
    Line { code: "SF", name: "SF Express 顺丰速运", website: "https://www.sf-express.com", marketplaces: ALL_MARKETPLACES, modes: &[Express, Air], capabilities: &[ShipTrack, DwAutomation] },
    Line { code: "YUNEXPRESS", name: "YunExpress 云途物流", website: "https://www.yunexpress.com", marketplaces: &[Us, Uk, Fr, De, It, Es, Jp, Ca], modes: &[Air, Express], capabilities: &[ShipTrack, SmartReroute] },
    Line { code: "CHINA_EMS", name: "China Post EMS 中国邮政速递", website: "https://www.ems.com.cn", marketplaces: ALL_MARKETPLACES, modes: &[Express], capabilities: &[ShipTrack] },
    Line { code: "JCEX", name: "Jiacheng International Logistics 佳成国际", website: "https://www.jcex.com", marketplaces: &[Us, Uk, Fr, De, It, Es, Jp, Ca], modes: &[Air, Ocean], capabilities: &[ShipTrack, SmartReroute, DwAutomation] },
    Line { code: "SZ_FASTLINK", name: "Shenzhen Fastlink Supply Chain 深圳速联供应链", website: "https://www.szfastlink.example", marketplaces: &[Us, Uk, Fr, De, It, Es, Ca], modes: &[Ocean, Air], capabilities: &[ShipTrack, SmartReroute, DwAutomation] },
    Line { code: "FLEXPORT", name: "Flexport", website: "https://www.flexport.com", marketplaces: &[Us, Uk, De, Fr, Ca], modes: &[Ocean, Air], capabilities: &[ShipTrack, SmartReroute] },
    Line { code: "MATSON", name: "Matson Logistics", website: "https://www.matson.com", marketplaces: &[Us], modes: &[Ocean], capabilities: &[ShipTrack, DwAutomation] },
    Line { code: "EURASIA_RAIL", name: "Eurasia Landbridge Rail 欧亚大陆桥班列", website: "https://www.eurasia-landbridge.example", marketplaces: EUROPE, modes: &[Rail], capabilities: &[ShipTrack, SmartReroute] },
    Line { code: "ZJ_EUROLINK", name: "Zhejiang Eurolink Logistics 浙江欧联物流", website: "https://www.zj-eurolink.example", marketplaces: EUROPE, modes: &[Rail, Ocean], capabilities: &[ShipTrack, DwAutomation] },
    Line { code: "NIPPON_EXPRESS", name: "Nippon Express", website: "https://www.nipponexpress.com", marketplaces: &[Jp, Us], modes: &[Ocean, Air], capabilities: &[ShipTrack, SmartReroute] },
];

/// The carriers and forwarders connected to the hub, in a fixed order.
pub fn carriers() -> Vec<Carrier> {
    LINES
        .iter()
        .map(|l| Carrier {
            code: CarrierCode::parse(l.code).expect("the carrier table holds valid carrier codes"),
            name: l.name.to_owned(),
            website: l.website.to_owned(),
            marketplaces: l.marketplaces.to_vec(),
            modes: l.modes.to_vec(),
            capabilities: l.capabilities.to_vec(),
        })
        .collect()
}

/// Whether the carrier takes LTL/FTL freight: forwarders and ocean and rail
/// carriers do; parcel networks (UPS, FedEx, DHL, SF, YunExpress, EMS) carry
/// small parcels only.
pub fn carries_freight(carrier: &Carrier) -> bool {
    !matches!(
        carrier.code.as_str(),
        "UPS" | "FEDEX" | "DHL" | "SF" | "YUNEXPRESS" | "CHINA_EMS"
    )
}

/// Whether `mode` is offered into `marketplace` at all: China-Europe rail
/// reaches the UK and the EU, not America, Japan or Canada.
pub fn is_mode_offered(mode: FreightMode, marketplace: Marketplace) -> bool {
    mode != Rail || EUROPE.contains(&marketplace)
}

/// A seller brand, with what the demo needs to fill its boxes.
pub(crate) struct Brand {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    /// The start of every SKU, such as `SZ-ANKO`.
    pub(crate) sku_prefix: &'static str,
    /// Product words that follow the prefix: `SZ-ANKO-LAMP-01`.
    pub(crate) products: &'static [&'static str],
    /// The city in [`origins`] it usually ships from.
    pub(crate) home_city: &'static str,
    /// Its share of the demo's shipments, in percent.
    pub(crate) share_percent: u32,
}

/// Fictional brands of the kind that sell on Amazon from southern and eastern China.
#[rustfmt::skip]
pub(crate) const BRANDS: &[Brand] = &[
    Brand { id: "A2SZANKOHOME", name: "Shenzhen Anko Home Technology Co., Ltd. 深圳安可家居", sku_prefix: "SZ-ANKO", products: &["LAMP", "DESKLAMP", "NIGHTLIGHT", "ORGANIZER", "HUMIDIFIER", "FAN"], home_city: "Shenzhen", share_percent: 35 },
    Brand { id: "A1NBLUMAKITCHEN", name: "Ningbo Luma Kitchenware Co., Ltd. 宁波璐玛厨具", sku_prefix: "NB-LUMA", products: &["PAN", "KNIFESET", "KETTLE", "SPATULA", "MUG", "LUNCHBOX"], home_city: "Ningbo", share_percent: 25 },
    Brand { id: "A3YWSUNNYTOYS", name: "Yiwu Sunny Toys Trading Co., Ltd. 义乌阳光玩具", sku_prefix: "YW-SUNNY", products: &["BLOCKS", "PLUSH", "KITE", "PUZZLE", "BUBBLE", "CRAYON"], home_city: "Yiwu", share_percent: 20 },
    Brand { id: "A2XMTIDEOUTDOOR", name: "Xiamen Tide Outdoor Products Co., Ltd. 厦门潮汐户外", sku_prefix: "XM-TIDE", products: &["TENT", "HAMMOCK", "LANTERN", "DRYBAG", "CHAIR", "COOLER"], home_city: "Xiamen", share_percent: 20 },
];

/// The four seller accounts of the demo.
pub fn sellers() -> Vec<Seller> {
    BRANDS
        .iter()
        .map(|b| Seller {
            id: SellerId::parse(b.id).expect("the brand table holds valid seller ids"),
            name: b.name.to_owned(),
        })
        .collect()
}

/// Ship-from addresses in China's export hubs (street lines plausible).
#[rustfmt::skip]
const ORIGINS: &[(&str, &str, &str, &str, &str, &str)] = &[
    // (name, line 1, line 2, city, province, postal code)
    ("Longhua Export Warehouse", "Building 5, Huafeng Industrial Park, 18 Guanlan Avenue", "Longhua District", "Shenzhen", "GD", "518110"),
    ("Beilun Bonded Warehouse", "No. 288 Mingzhou Road", "Beilun District", "Ningbo", "ZJ", "315800"),
    ("Lingang Logistics Centre", "No. 1588 Huhang Highway", "Fengxian District", "Shanghai", "SH", "201400"),
    ("Huli Export Warehouse", "No. 68 Xiangxing Road", "Huli District", "Xiamen", "FJ", "361006"),
    ("Yiwu International Trade Warehouse", "No. 1200 Chouzhou North Road", "Futian Subdistrict", "Yiwu", "ZJ", "322000"),
    ("Huangpu Logistics Park", "No. 23 Dasha East Road", "Huangpu District", "Guangzhou", "GD", "510700"),
];

/// Where inbound freight is picked up: one address in each of Shenzhen, Ningbo,
/// Shanghai, Xiamen, Yiwu and Guangzhou.
pub fn origins() -> Vec<Address> {
    ORIGINS
        .iter()
        .map(
            |(name, line1, line2, city, province, postal_code)| Address {
                name: (*name).to_owned(),
                address_line1: (*line1).to_owned(),
                address_line2: Some((*line2).to_owned()),
                city: (*city).to_owned(),
                state_or_province_code: Some((*province).to_owned()),
                postal_code: (*postal_code).to_owned(),
                country_code: "CN".to_owned(),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_unique<T: Ord + Clone + std::fmt::Debug>(
        what: &str,
        items: impl IntoIterator<Item = T>,
    ) {
        let mut items: Vec<T> = items.into_iter().collect();
        let count = items.len();
        items.sort();
        items.dedup();
        assert_eq!(items.len(), count, "{what} are not unique: {items:?}");
    }

    #[test]
    fn warehouse_codes_are_unique_and_every_marketplace_has_one() {
        let all = warehouses();
        assert!(all.len() >= 24, "{}", all.len());
        check_unique("warehouse codes", all.iter().map(|w| w.code.clone()));
        for m in Marketplace::ALL {
            assert!(
                all.iter().any(|w| w.marketplace == *m),
                "no warehouse in {m}"
            );
        }
    }

    #[test]
    fn warehouses_are_plausible() {
        for w in warehouses() {
            assert_eq!(
                Marketplace::for_country(&w.address.country_code),
                Some(w.marketplace),
                "{}",
                w.code
            );
            assert!(
                (20_000..=120_000).contains(&w.receiving_capacity_units_per_day),
                "{}",
                w.code
            );
            assert!(
                (-90.0..=90.0).contains(&w.latitude) && (-180.0..=180.0).contains(&w.longitude),
                "{}",
                w.code
            );
            let offset = standard_utc_offset_hours(&w.time_zone);
            assert!(
                offset.is_some(),
                "{} zone {} is not in the offset table",
                w.code,
                w.time_zone
            );
            // Sites west of Greenwich are in the Americas, east of it in Europe and Asia.
            let offset = offset.unwrap_or_default();
            assert_eq!(
                offset < 0,
                w.longitude < -30.0,
                "{} zone {}",
                w.code,
                w.time_zone
            );
        }
    }

    #[test]
    fn carriers_cover_every_marketplace_and_mode() {
        let all = carriers();
        check_unique("carrier codes", all.iter().map(|c| c.code.clone()));
        for m in Marketplace::ALL {
            assert!(
                all.iter().any(|c| c.marketplaces.contains(m)),
                "no carrier serves {m}"
            );
            for mode in FreightMode::ALL {
                let served = all
                    .iter()
                    .any(|c| c.marketplaces.contains(m) && c.modes.contains(mode));
                assert_eq!(served, is_mode_offered(*mode, *m), "{mode} into {m}");
            }
        }
        for mode in FreightMode::ALL {
            assert!(
                all.iter().any(|c| c.modes.contains(mode)),
                "no carrier offers {mode}"
            );
        }
    }

    #[test]
    fn capabilities_are_a_realistic_mix() {
        let all = carriers();
        let count = |cap| all.iter().filter(|c| c.has(cap)).count();
        assert_eq!(count(ShipTrack), all.len());
        assert!(
            (4..=8).contains(&count(SmartReroute)),
            "{}",
            count(SmartReroute)
        );
        assert!(
            (4..=8).contains(&count(DwAutomation)),
            "{}",
            count(DwAutomation)
        );
        assert!(all.iter().filter(|c| c.capabilities == [ShipTrack]).count() >= 2);
        // Rail carriers serve Europe only.
        for c in all.iter().filter(|c| c.modes.contains(&Rail)) {
            let rail_only = c.modes == [Rail];
            assert!(
                !rail_only || c.marketplaces.iter().all(|m| EUROPE.contains(m)),
                "{}",
                c.code
            );
        }
    }

    #[test]
    fn sellers_and_origins() {
        check_unique("seller ids", sellers().into_iter().map(|s| s.id));
        assert_eq!(BRANDS.iter().map(|b| b.share_percent).sum::<u32>(), 100);
        let origins = origins();
        for city in [
            "Shenzhen",
            "Ningbo",
            "Shanghai",
            "Xiamen",
            "Yiwu",
            "Guangzhou",
        ] {
            assert!(
                origins.iter().any(|o| o.city == city),
                "no origin in {city}"
            );
        }
        for b in BRANDS {
            assert!(origins.iter().any(|o| o.city == b.home_city), "{}", b.id);
        }
        assert!(
            origins
                .iter()
                .all(|o| o.country_code == "CN" && o.postal_code.len() == 6)
        );
    }
}
