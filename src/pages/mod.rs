//! The extension's own pages: the options page ([`options`]) and the toolbar popup ([`popup`])
//! (feature `pages`: extension/options.js and popup.js load the pages module, not the
//! background's, and call one function here). This file holds what both pages share.
//!
//! The markup is static in extension/options.html and popup.html; these modules fill it, bind
//! it and talk to the extension APIs (bound in [`crate::platform`]). Settings go to
//! `chrome.storage.sync` through [`crate::core::settings`] — settings only, never a secret
//! value. Everything that comes from the page or the background (labels…) is written with
//! `textContent`, never as HTML.
use std::cell::RefCell;

use gloo_events::EventListener;
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, Element, HtmlElement};

mod options;
mod popup;

use crate::platform::obj;

thread_local! {
    /// Page-lifetime listeners (each page is one document: they live until it unloads).
    static KEEP: RefCell<Vec<EventListener>> = const { RefCell::new(Vec::new()) };
}

fn keep(l: EventListener) {
    KEEP.with(|k| k.borrow_mut().push(l));
}

// --- small helpers ------------------------------------------------------------------------------

fn document() -> Result<Document, JsValue> {
    web_sys::window().and_then(|w| w.document()).ok_or_else(|| JsValue::from_str("no document"))
}

fn by_id(doc: &Document, id: &str) -> Result<Element, JsValue> {
    doc.get_element_by_id(id).ok_or_else(|| JsValue::from_str(&format!("ShownOnce: #{id} missing")))
}

fn get(o: &JsValue, key: &str) -> JsValue {
    if !o.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn error_text(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string()).unwrap_or_else(|| "unknown error".to_owned())
}

async fn call(p: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(p?).await
}

fn set_hidden(el: &Element, hidden: bool) {
    if let Some(h) = el.dyn_ref::<HtmlElement>() {
        h.set_hidden(hidden);
    }
}

fn create(doc: &Document, tag: &str, class: &str, text: Option<&str>) -> Result<Element, JsValue> {
    let el = doc.create_element(tag)?;
    if !class.is_empty() {
        el.set_class_name(class);
    }
    if let Some(t) = text {
        el.set_text_content(Some(t));
    }
    Ok(el)
}
