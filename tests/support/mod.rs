//! Shared support for the end-to-end tests and benchmarks.
pub mod browser;
pub mod checksum;
pub mod keyvault;
pub mod server;
