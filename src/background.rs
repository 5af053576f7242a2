//! Background entry point (feature `background`): Chrome module service worker / Firefox
//! event page. extension/background.js registers the listeners synchronously (MV3 wake-up
//! rule) and forwards each message here.
use wasm_bindgen::prelude::*;

/// One-time start-up after the wasm module is instantiated.
#[wasm_bindgen]
pub async fn background_main() {}

/// Answers a message from a content script or an extension page.
#[wasm_bindgen]
pub async fn on_message(message: JsValue, sender: JsValue) -> Result<JsValue, JsValue> {
    let reply = js_sys::Object::new();
    match crate::platform::get_str(&message, "type").as_deref() {
        // A blade iframe cannot see the portal's route (cross-origin): it asks for the tab's URL.
        Some("tabUrl") => {
            let tab = js_sys::Reflect::get(&sender, &"tab".into())?;
            let url = if tab.is_object() { crate::platform::get_str(&tab, "url") } else { None };
            js_sys::Reflect::set(&reply, &"url".into(), &url.map(JsValue::from).unwrap_or(JsValue::NULL))?;
            Ok(reply.into())
        }
        _ => Err(JsValue::from_str("ShownOnce: unknown message")),
    }
}
