//! The simulator: a seeded, pure model of the world tracklane lives in.
//!
//! - [`world`]: warehouses, carriers, sellers and ship-from places, as constant data;
//! - [`script`]: the true journey of a shipment for each freight mode, the noisy
//!   feed a carrier sends about it, and tracking numbers with valid check digits;
//! - [`demo`]: a whole demo world of inbound shipments in every state, with the
//!   carrier feed and tracking uploads that bring them to life.
//!
//! Nothing here reads a clock, the environment or a file, or draws from an
//! unseeded RNG: every function takes a seed or a `ChaCha8Rng` and, where time
//! matters, `now`. The same seed gives the same world, bit for bit.

pub mod demo;
pub mod script;
pub mod world;

pub use demo::{DemoWorld, TrackingUpload, demo_world};
pub use script::{
    ScriptedEvent, Step, box_tracking_numbers, carrier_feed, journey, quoted_transit,
    tracking_number,
};
pub use world::{carriers, origins, sellers, warehouses};
