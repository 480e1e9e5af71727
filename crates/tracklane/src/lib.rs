//! The `tracklane` binary's library: wiring the store, the server, the simulated
//! carriers and the clock together. `main.rs` only parses the command line.
//!
//! This is the one crate that may read the real clock and the operating
//! system's randomness; everything below it takes both as arguments.

pub mod backup;
pub mod bench;
pub mod demo;
pub mod engine_pass;
pub mod hub;
pub mod idcheck;
pub mod import;
pub mod keys;
pub mod mail;
pub mod outbound;
pub mod pull;
pub mod replay;
pub mod simulate;
pub mod stream;
pub mod webhooks;
