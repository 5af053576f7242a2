#![cfg(target_arch = "wasm32")]
//! Browser tests of the DOM layer (wasm-bindgen-test, headless Chromium and Firefox).
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

#[wasm_bindgen_test]
fn start_marks_the_frame_with_its_engine() {
    shownonce::dom::frame::start("wasm");
    let root = document().document_element().unwrap();
    assert_eq!(root.get_attribute("data-shownonce").as_deref(), Some("wasm"));
}
