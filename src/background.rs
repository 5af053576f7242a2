//! Background entry point (feature `background`): Chrome module service worker / Firefox
//! event page. extension/background.js registers the listeners synchronously (MV3 wake-up
//! rule) and forwards each message here.
use wasm_bindgen::prelude::*;

/// One-time start-up after the wasm module is instantiated.
#[wasm_bindgen]
pub async fn background_main() {}

/// Answers a message from a content script or an extension page.
#[wasm_bindgen]
pub async fn on_message(message: JsValue, _sender: JsValue) -> Result<JsValue, JsValue> {
    let kind = js_sys::Reflect::get(&message, &JsValue::from_str("type"))?;
    match kind.as_string().as_deref() {
        Some("hello") => {
            let reply = js_sys::Object::new();
            js_sys::Reflect::set(&reply, &"ok".into(), &JsValue::TRUE)?;
            Ok(reply.into())
        }
        _ => Err(JsValue::from_str("unknown message")),
    }
}
