//! The thin DOM layer (wasm32 only): frame bootstrap, observer, scanning, prompt UI.

pub mod frame;
pub mod observer;
pub mod prompt;
pub mod scan;
