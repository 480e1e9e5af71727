//! The simulator: a seeded, pure model of the world tracklane lives in.
//!
//! - [`world`]: warehouses, carriers, sellers and ship-from places, as constant data;
//! - [`script`]: the true journey of a shipment for each freight mode, the noisy
//!   feed a carrier sends about it, and tracking numbers with valid check digits;
//! - [`simulation`]: the world of `tracklane simulate`: many shipments over a
//!   period, noisy lanes, congestion episodes, and the ground truth;
//! - [`demo`]: a whole demo world of inbound shipments in every state, with the
//!   carrier feed and tracking uploads that bring them to life.
//!
//! Nothing here reads a clock, the environment or a file, or draws from an
//! unseeded RNG: every function takes a seed or a `ChaCha8Rng` and, where time
//! matters, `now`. The same seed gives the same world, bit for bit (durations
//! go through `ln`, `exp` and `cos`, so another platform's libm could in
//! principle move a timestamp by a second).
//!
//! Size: a shipment yields about 39 feed events (boxes × milestones, plus
//! resends), each a few hundred bytes of strings. 10 000 shipments are about
//! 0.4 million events and 280 MB; 100 000 are 3.9 million events and 2.7 GB.
//! `cargo run --release -p tracklane-sim --example demo_stats -- 20000` prints
//! the counts and the time taken.

pub mod demo;
pub mod script;
pub mod simulation;
pub mod world;

pub use demo::{DemoWorld, TrackingUpload, WarehouseReceipt, demo_world};
pub use script::{
    ScriptedEvent, Step, box_tracking_numbers, carrier_feed, journey, quoted_transit,
    tracking_number,
};
pub use world::{carriers, origins, sellers, warehouses};
