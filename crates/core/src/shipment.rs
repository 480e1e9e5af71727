//! The entities of the hub: warehouses, carriers, sellers, and the inbound
//! shipments sellers send, with their packages (boxes or freight units), the items
//! packed in them and the legs that carry them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    BoxId, Capability, CarrierCode, ConfirmationId, DeliveryWindow, FreightMode, InboundPlanId,
    LegMode, Marketplace, PackageTrack, SellerId, ShipmentId, ShippingMode, TrackingNumber,
    WarehouseCode, WindowSource,
};

/// A receiving site (fulfilment centre).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Warehouse {
    /// Its code, such as `TEB9`.
    pub code: WarehouseCode,
    /// A readable name, usually the town.
    pub name: String,
    /// The marketplace it serves.
    pub marketplace: Marketplace,
    /// Its street address.
    pub address: Address,
    /// IANA time zone, such as `America/New_York`.
    pub time_zone: String,
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
    /// Units it can receive a day.
    pub receiving_capacity_units_per_day: u32,
    /// Units waiting to be received (the congestion the operator reports).
    pub backlog_units: u32,
}

/// A carrier or freight forwarder connected to the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Carrier {
    /// Its code, such as `UPS` or `SZ_FASTLINK`.
    pub code: CarrierCode,
    /// Its name as sellers know it.
    pub name: String,
    /// Its website.
    pub website: String,
    /// Marketplaces it delivers to.
    pub marketplaces: Vec<Marketplace>,
    /// Freight modes it offers.
    pub modes: Vec<FreightMode>,
    /// FIST capabilities it has.
    pub capabilities: Vec<Capability>,
}

impl Carrier {
    /// Whether the carrier has `capability`.
    pub fn has(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}

/// A seller account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seller {
    /// Its id.
    pub id: SellerId,
    /// Its business name.
    pub name: String,
}

/// A postal address, as SP-API's `Address` has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Name of the person or business.
    pub name: String,
    /// First street line.
    pub address_line1: String,
    /// Second street line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// City.
    pub city: String,
    /// State or province code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_or_province_code: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166 alpha-2 country code.
    pub country_code: String,
}

crate::code_enum! {
    /// Where a tracking number came from. Inbound-defect metrics exempt numbers a
    /// carrier uploaded itself, as FIST does.
    TrackingSource {
        Carrier = 0, "CARRIER", "Uploaded by the carrier";
        Seller = 1, "SELLER", "Entered by the seller";
        Import = 2, "IMPORT", "Imported from a file";
    }
}

crate::code_enum! {
    /// How the hub learned that a carrier carries a package.
    DetectedBy {
        Selected = 0, "SELECTED", "The seller chose this carrier when creating the shipment";
        CarrierPush = 1, "CARRIER_PUSH", "Recognised when the carrier pushed tracking for the shipment";
        Seller = 2, "SELLER", "Entered by the seller with the tracking number";
    }
}

/// One carrier's part of a package's journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Leg {
    /// The carrier.
    pub carrier: CarrierCode,
    /// Its tracking number for the package (a PRO or bill of lading for freight).
    pub tracking_number: TrackingNumber,
    /// How the leg travels.
    pub mode: LegMode,
    /// Who supplied the tracking number.
    pub source: TrackingSource,
    /// How the carrier came to be attached.
    pub detected_by: DetectedBy,
    /// When the leg was added.
    pub added_at: Timestamp,
}

/// SKUs and units in a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The seller's SKU.
    pub sku: String,
    /// Units the seller packed.
    pub units_expected: u32,
    /// Units the warehouse counted.
    pub units_received: u32,
}

/// One SKU's units over a whole shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuCount {
    /// The seller's SKU.
    pub sku: String,
    /// Units the seller packed, over every box.
    pub units_expected: u32,
    /// Units the warehouse counted, over every box.
    pub units_received: u32,
}

/// A box (small parcel) or freight unit (LTL/FTL pallet) of a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// The box id printed on its label.
    pub box_id: BoxId,
    /// Weight in grams.
    pub weight_grams: u32,
    /// Length, width and height in millimetres.
    pub dimensions_mm: [u32; 3],
    /// What is packed in it.
    pub items: Vec<Item>,
    /// The carriers that carry it, in the order they were added.
    pub legs: Vec<Leg>,
    /// Its tracking state.
    pub track: PackageTrack,
}

impl Package {
    /// Whether any leg has a tracking number.
    pub fn has_tracking(&self) -> bool {
        !self.legs.is_empty()
    }
}

crate::code_enum! {
    /// Whether a shipment goes to a warehouse or to a buyer.
    ShipmentKind {
        Inbound = 0, "INBOUND", "To a fulfilment centre";
        Outbound = 1, "OUTBOUND", "An order's parcel to a buyer";
    }
}

/// What a seller sends: here an inbound shipment to a warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    /// SP-API `shipmentId`.
    pub id: ShipmentId,
    /// SP-API `inboundPlanId` of the plan it was split from.
    pub inbound_plan_id: InboundPlanId,
    /// The `shipmentConfirmationId` printed on labels.
    pub confirmation_id: ConfirmationId,
    /// The seller that owns it.
    pub seller: SellerId,
    /// The seller's name for it.
    pub name: String,
    /// Inbound or outbound.
    pub kind: ShipmentKind,
    /// Where it ships from.
    pub source_address: Address,
    /// The warehouse it goes to.
    pub warehouse: WarehouseCode,
    /// The marketplace it stocks.
    pub marketplace: Marketplace,
    /// Small parcel or LTL/FTL.
    pub shipping_mode: ShippingMode,
    /// How the international part travels.
    pub freight_mode: FreightMode,
    /// The carrier the seller chose, if any.
    pub selected_carrier: Option<CarrierCode>,
    /// The week it is expected at the warehouse, and who set it.
    pub delivery_window: Option<(DeliveryWindow, WindowSource)>,
    /// The seller lets the carrier keep the window current (DW Automation).
    pub allows_window_automation: bool,
    /// When the seller created it.
    pub created_at: Timestamp,
    /// Cancelled by the seller.
    pub is_cancelled: bool,
    /// Its packages, in box-number order.
    pub packages: Vec<Package>,
}

impl Shipment {
    /// Units the seller said it sends, over every box.
    pub fn units_expected(&self) -> u32 {
        self.packages
            .iter()
            .flat_map(|p| &p.items)
            .map(|i| i.units_expected)
            .sum()
    }

    /// Units the warehouse counted, over every box.
    pub fn units_received(&self) -> u32 {
        self.packages
            .iter()
            .flat_map(|p| &p.items)
            .map(|i| i.units_received)
            .sum()
    }

    /// Each SKU's units sent and received over every box, in the order the
    /// SKUs first appear: what a warehouse receipt is compared with.
    pub fn sku_counts(&self) -> Vec<SkuCount> {
        let mut counts: Vec<SkuCount> = Vec::new();
        for item in self.packages.iter().flat_map(|p| &p.items) {
            match counts.iter_mut().find(|c| c.sku == item.sku) {
                Some(count) => {
                    count.units_expected += item.units_expected;
                    count.units_received += item.units_received;
                }
                None => counts.push(SkuCount {
                    sku: item.sku.clone(),
                    units_expected: item.units_expected,
                    units_received: item.units_received,
                }),
            }
        }
        counts
    }

    /// Distinct SKUs over every box.
    pub fn sku_count(&self) -> usize {
        let mut skus: Vec<&str> = self
            .packages
            .iter()
            .flat_map(|p| &p.items)
            .map(|i| i.sku.as_str())
            .collect();
        skus.sort_unstable();
        skus.dedup();
        skus.len()
    }

    /// Whether some box still lacks a tracking number while the shipment is open.
    pub fn is_missing_tracking(&self) -> bool {
        !self.is_cancelled && self.packages.iter().any(|p| !p.has_tracking())
    }
}
