//! ShownOnce: catch the client secret the Azure Portal shows exactly once.
//!
//! Architecture (see README "Architecture"):
//! - [`core`]: pure Rust, no web-sys — secret format and checksum, routes, blade model,
//!   detection, state machines, store request building. Tested natively with `cargo test`.
//! - `dom` (wasm32 only): the thin DOM layer — observer, scanning, prompt UI.
//! - `content` / `background` / `pages` (wasm32 only, one cargo feature each): the three
//!   entry points. build.sh compiles the crate once per feature so a portal frame loads only
//!   the content module, and the extension pages (options, popup, prompt frame) only the pages
//!   module, without the stores.
#![deny(missing_docs)]

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod dom;

#[cfg(target_arch = "wasm32")]
pub mod platform;

/// Safe stores (encrypted file, Azure Key Vault). Only the background module links them;
/// native builds (tests) always have them, so the age CLI tests need no feature flag.
#[cfg(any(feature = "background", not(target_arch = "wasm32")))]
pub mod stores;

#[cfg(all(target_arch = "wasm32", feature = "content"))]
mod content;

#[cfg(all(target_arch = "wasm32", feature = "background"))]
mod background;

/// The save prompt page, shown in an iframe by the content script.
#[cfg(all(target_arch = "wasm32", feature = "pages"))]
mod prompt_page;

/// Options page and toolbar popup (extension pages that load the pages module).
#[cfg(all(target_arch = "wasm32", feature = "pages"))]
mod pages;
