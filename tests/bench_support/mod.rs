//! The benchmark's parts (tests/bench.rs runs them in order): configuration and builds,
//! browser helpers, one module per measured scenario, statistics, and the report writer.

pub mod config;
pub mod driver;
pub mod idle;
pub mod latency;
pub mod report;
pub mod sizes;
pub mod stats;
pub mod storm;
