//! Per-frame bootstrap: mark the frame, decide whether it can show a credentials blade.
use wasm_bindgen::prelude::*;

/// Starts ShownOnce in this frame.
pub fn start(engine: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Some(root) = doc.document_element() {
        // Visible to tests (and harmless to the page): which engine runs here.
        let _ = root.set_attribute("data-shownonce", engine);
    }
}

#[allow(dead_code)]
fn unused(_: JsValue) {}
