//! Shared support for the end-to-end tests and benchmarks.
pub mod age_pty;
pub mod browser;
pub mod checksum;
pub mod keyvault;
pub mod openbao;
pub mod server;
