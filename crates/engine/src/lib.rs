//! tracklane's engine: the rules that turn tracking facts into predictions,
//! decisions and warnings. It is pure: no async, no I/O, no clock, no RNG. Every
//! function takes a snapshot (built from `tracklane-core` types) and `now`, and
//! returns values or actions for the caller to apply in one store transaction.
//!
//! - [`snapshot`]: [`ShipmentSnapshot`], the engine's view of a shipment;
//! - [`assess`]: one shipment's ETA, window decision and exceptions in a pass;
//! - [`eta`]: [`EtaModel`], learned from completed journeys per carrier, lane,
//!   mode and stage, giving an [`Eta`] with p10 / p50 / p90;
//! - [`window`]: DW Automation with hysteresis ([`decide_window`]) and the gate
//!   for a carrier's own window update ([`may_carrier_set_window`]);
//! - [`exceptions`]: the open exceptions of a shipment ([`detect`]);
//! - [`reroute`]: Smart Reroute, an optimal capacitated assignment
//!   ([`reroute::solve`], [`reroute::plan`]);
//! - [`kpi`]: the measures that judge all of the above.
//!
//! # How to call the engine
//!
//! ```text
//! // Once, and again whenever shipments finish (cheap, incremental):
//! model.learn(&finished_snapshot);   // for every shipment that arrived
//! model.refresh();                   // before the next pass
//!
//! // An engine pass over open shipments at `now` (the hub's clock):
//! let snapshot = ShipmentSnapshot::from_shipment(&detail.shipment, scans, carrier, ship_date);
//! let verdict = assess(&snapshot, &model, now, &WindowPolicy::default());
//! // verdict.eta: for the API and trackingEstimates
//! if let WindowDecision::Move(m) = verdict.decision {
//!     store.set_delivery_window(key, WindowChangeRequest {
//!         window: m.to, source: m.source, actor: m.actor, reason: m.reason, now });
//! }
//! // verdict.exceptions are open (absent = resolved); verdict.handled is a
//! // window at risk the move dealt with: raised and resolved at once.
//!
//! // Smart Reroute, per pass, over the delayed shipments of smart_reroute carriers:
//! let plan = reroute::plan(&candidates, &warehouse_loads, &RerouteCostModel::default());
//! ```
//!
//! `scans` are [`Scan::of`] each stored milestone of every package with its
//! `received_at`; `carrier` is the carrier record (for its capabilities).

pub mod assess;
pub mod eta;
pub mod exceptions;
pub mod kpi;
pub mod places;
pub mod reroute;
pub mod snapshot;
pub mod window;

pub use assess::{Verdict, assess};
pub use eta::{Eta, EtaBasis, EtaModel, Level, Stage, nominal_transit_days};
pub use exceptions::{Exception, ExceptionKind, NextStep, Severity, detect};
pub use reroute::{RerouteCandidate, RerouteCostModel, RerouteOffer, ReroutePlan, WarehouseLoad};
pub use snapshot::{Lane, Scan, ShipmentSnapshot, day_of};
pub use window::{WindowDecision, WindowMove, WindowPolicy, decide_window, may_carrier_set_window};

/// Declares a closed set of kinds as a `Copy` enum with a snake_case wire name.
#[macro_export]
#[doc(hidden)]
macro_rules! kind_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        impl $name {
            /// Every kind.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The wire name, such as `stale_tracking`.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),* }
            }

            /// The kind named `wire`.
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
    };
}
