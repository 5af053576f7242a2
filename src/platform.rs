//! The one place where the extension APIs are bound. Both browsers expose the `chrome.*`
//! namespace with promise-returning methods in MV3 (Firefox also has `browser.*`), so one
//! binding serves both; differences that need a run-time choice go here too.
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `chrome.runtime.sendMessage(message)`: resolves with the background's answer.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = sendMessage, catch)]
    pub fn send_message(message: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

/// Sends `{type: kind}` to the background and awaits the answer.
pub async fn ask(kind: &str) -> Result<JsValue, JsValue> {
    let msg = js_sys::Object::new();
    js_sys::Reflect::set(&msg, &"type".into(), &JsValue::from_str(kind))?;
    wasm_bindgen_futures::JsFuture::from(send_message(&msg)?).await
}

/// Reads `obj[key]` as a string.
pub fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).ok()?.as_string()
}
