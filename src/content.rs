//! Content-script entry point (feature `content`), loaded by extension/content.js in every
//! portal frame. Architecture: cheap check of the frame first; only a credentials blade (or a
//! portal iframe that may draw one) gets the observer; detection itself is in `crate::core`.
use wasm_bindgen::prelude::*;

/// Called once per frame by the loader. `engine` is "wasm" or "js" (the wasm2js fallback used
/// when the page's CSP forbids compiling wasm in Chromium content scripts).
#[wasm_bindgen]
pub fn content_main(engine: &str) {
    crate::platform::install_i18n();
    crate::dom::frame::start(engine);
}
