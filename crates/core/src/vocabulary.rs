//! The closed vocabularies of the domain: marketplaces, how freight moves, and
//! what a carrier can do. Each has a stable stored number and a wire spelling.

crate::code_enum! {
    /// An Amazon marketplace that inbound freight can be sent to.
    Marketplace {
        Us = 0, "US", "United States";
        Uk = 1, "UK", "United Kingdom";
        Fr = 2, "FR", "France";
        De = 3, "DE", "Germany";
        It = 4, "IT", "Italy";
        Es = 5, "ES", "Spain";
        Jp = 6, "JP", "Japan";
        Ca = 7, "CA", "Canada";
    }
}

impl Marketplace {
    /// The ISO 3166 country code of the marketplace (the UK's is `GB`).
    pub fn country_code(self) -> &'static str {
        match self {
            Marketplace::Uk => "GB",
            other => other.as_str(),
        }
    }

    /// The marketplace served from warehouses in `country` (ISO 3166 alpha-2).
    pub fn for_country(country: &str) -> Option<Self> {
        match country {
            "GB" => Some(Marketplace::Uk),
            other => Marketplace::parse(other).filter(|m| *m != Marketplace::Uk),
        }
    }
}

crate::code_enum! {
    /// How an inbound shipment is packed for delivery to the warehouse.
    ShippingMode {
        SmallParcel = 0, "SMALL_PARCEL", "Individual boxes, each with its own tracking number";
        Ltl = 1, "LTL", "Less than truckload: pallets with a PRO or bill of lading number";
        Ftl = 2, "FTL", "Full truckload: pallets with a PRO or bill of lading number";
    }
}

impl ShippingMode {
    /// Whether packages are freight units tracked by PRO / bill of lading.
    pub fn is_freight(self) -> bool {
        !matches!(self, ShippingMode::SmallParcel)
    }
}

crate::code_enum! {
    /// How the main, international part of the journey travels.
    FreightMode {
        Express = 0, "EXPRESS", "International express courier";
        Air = 1, "AIR", "Air freight";
        Ocean = 2, "OCEAN", "Ocean freight";
        Rail = 3, "RAIL", "China-Europe rail freight";
    }
}

crate::code_enum! {
    /// How one leg of a package's journey travels.
    LegMode {
        SmallParcel = 0, "SMALL_PARCEL", "Parcel network";
        Ltl = 1, "LTL", "Less than truckload";
        Ftl = 2, "FTL", "Full truckload";
        Ocean = 3, "OCEAN", "Ocean";
        Air = 4, "AIR", "Air";
        Rail = 5, "RAIL", "Rail";
        Postal = 6, "POSTAL", "Postal network";
    }
}

crate::code_enum! {
    /// A FIST capability a carrier has signed up for.
    Capability {
        ShipTrack = 0, "ship_track", "Pushes tracking IDs and milestones";
        SmartReroute = 1, "smart_reroute", "Moves delayed freight to uncongested warehouses";
        DwAutomation = 2, "dw_automation", "Keeps the delivery window current";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spellings_round_trip() {
        for m in Marketplace::ALL {
            assert_eq!(Marketplace::parse(m.as_str()), Some(*m));
            assert_eq!(Marketplace::from_number(m.number()), Some(*m));
        }
        assert_eq!(Marketplace::for_country("GB"), Some(Marketplace::Uk));
        assert_eq!(Marketplace::for_country("UK"), None);
        assert_eq!(
            Capability::parse("dw_automation"),
            Some(Capability::DwAutomation)
        );
    }
}
