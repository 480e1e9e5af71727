//! End-to-end tests of the hub over real HTTP on loopback, one module per
//! concern. Each test starts its own hub on a fresh SQLite file with a fixed
//! clock, so tests run in parallel without sharing state.

mod support;

mod altgen;
mod arrival_sort;
mod attention;
mod auth_scope;
mod backup;
mod batches;
mod cancel;
mod engine_passes;
mod engine_results;
mod export;
mod idempotence;
mod limits;
mod mail;
mod order_independence;
mod pages;
mod postgres;
mod pull;
mod receipts;
mod reconciliation;
mod shipments;
mod simulate;
mod sp_api;
mod stale_looks;
mod webhooks;
