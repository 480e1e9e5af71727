//! The domain core of tracklane: identifiers, marketplaces and modes, SP-API
//! milestone codes, delivery windows, shipments with their packages and legs,
//! and the pure rules that fold milestones into a shipment's projected state.
//!
//! Nothing here does I/O, reads a clock or draws a random number: callers pass
//! `now` and identifiers in. That keeps every rule testable by value and lets the
//! store, the engine and the simulator share one definition of each concept.

pub mod codes;
pub mod id;
pub mod milestone;
pub mod problem;
pub mod projection;
pub mod shipment;
pub mod vocabulary;
pub mod window;

pub use codes::{MilestoneCode, SubCode};
pub use id::{
    BoxId, CarrierCode, ConfirmationId, InboundPlanId, SellerId, ShipmentId, TrackingNumber,
    WarehouseCode,
};
pub use milestone::{Fingerprint, Location, Milestone};
pub use problem::Problem;
pub use projection::{PackageStatus, PackageTrack, ShipmentStatus};
pub use shipment::{
    Address, Carrier, DetectedBy, Item, Leg, Package, Seller, Shipment, ShipmentKind, SkuCount,
    TrackingSource, Warehouse,
};
pub use vocabulary::{Capability, FreightMode, LegMode, Marketplace, ShippingMode};
pub use window::{DeliveryWindow, WindowSource};

/// Declares a closed set of wire codes as a `Copy` enum with a stable stored
/// number, the wire spelling, a description, and string (de)serialisation.
///
/// The stored number is written out explicitly for each variant so that adding a
/// code never renumbers what is already on disk.
#[macro_export]
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $number:literal, $wire:literal, $description:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum $name { $($variant = $number),* }

        impl $name {
            /// Every code, in the order the reference model lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The wire spelling, e.g. `DELIVERED`.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),* }
            }

            /// The model's description of the code; empty where the model gives none.
            pub fn description(self) -> &'static str {
                match self { $($name::$variant => $description),* }
            }

            /// The stored form: fixed forever for a given code.
            pub fn number(self) -> u16 {
                self as u16
            }

            /// The code stored as `number`, if there is one.
            pub fn from_number(number: u16) -> Option<Self> {
                match number { $($number => Some($name::$variant),)* _ => None }
            }

            /// The code spelled `wire` exactly (codes are case-sensitive on the wire).
            pub fn parse(wire: &str) -> Option<Self> {
                match wire { $($wire => Some($name::$variant),)* _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let wire = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                $name::parse(&wire).ok_or_else(|| {
                    ::serde::de::Error::custom(format!(concat!("unknown ", stringify!($name), " `{}`"), wire))
                })
            }
        }
    };
}
