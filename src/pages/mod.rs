//! The extension's own pages: the options page ([`options`]) and the toolbar popup ([`popup`])
//! (feature `pages`: extension/options.js and popup.js load the pages module, not the
//! background's, and call one function here). This file holds what both pages share.
//!
//! The markup is static in extension/options.html and popup.html; these modules fill it, bind
//! it and talk to the extension APIs (bound in [`crate::platform`]). Settings go to
//! `chrome.storage.sync` through [`crate::core::settings`] — settings only, never a secret
//! value. Everything that comes from the page or the background (labels…) is written with
//! `textContent`, never as HTML.
//!
//! Every page (prompt and confirmation frames too) starts with [`localize`]: the English text
//! stays in the HTML, marked `data-i18n*` with its message key (tests/locales.rs checks them).
use std::cell::RefCell;

use gloo_events::EventListener;
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, Element, HtmlElement};

mod options;
mod popup;

use crate::platform::{msg, obj};

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
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string()).unwrap_or_else(|| msg("pagesUnknownError", &[]))
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

// --- localisation ----------------------------------------------------------------------------

/// The attributes a page marks for translation, and the attribute each one fills.
const I18N_ATTRS: [(&str, &str); 3] = [("data-i18n-title", "title"), ("data-i18n-placeholder", "placeholder"), ("data-i18n-aria-label", "aria-label")];

/// The message `key`, or `None` when the browser has none (the HTML's English stays then).
fn message(key: &str, subs: &[&str]) -> Option<String> {
    Some(msg(key, subs)).filter(|m| m != key)
}

/// Puts the page's static texts into the browser's language: `data-i18n="key"` replaces the
/// element's text, `data-i18n-title` (`-placeholder`, `-aria-label`) that attribute. An
/// element with child elements keeps them (ids, code, text Rust fills in later): they stand
/// for the message's `$1`, `$2`… in order, so a translation may move them.
pub(crate) fn localize(doc: &Document) {
    if let (Some(lang), Some(root)) = (message("htmlLang", &[]), doc.document_element()) {
        let _ = root.set_attribute("lang", &lang);
    }
    let Ok(list) = doc.query_selector_all("[data-i18n], [data-i18n-title], [data-i18n-placeholder], [data-i18n-aria-label]") else { return };
    for i in 0..list.length() {
        let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
        for (marker, attr) in I18N_ATTRS {
            if let Some(text) = el.get_attribute(marker).and_then(|k| message(&k, &[])) {
                let _ = el.set_attribute(attr, &text);
            }
        }
        if let Some(key) = el.get_attribute("data-i18n") {
            let _ = localize_text(doc, &el, &key);
        }
    }
}

/// Fills `el`'s text from the message `key`, its child elements where the message puts them.
fn localize_text(doc: &Document, el: &Element, key: &str) -> Result<(), JsValue> {
    let kids = el.children();
    let kids: Vec<Element> = (0..kids.length()).filter_map(|i| kids.item(i)).collect();
    // Each child is passed as one private-use character, found again in the result.
    let marks: Vec<String> = (0..kids.len()).filter_map(|i| char::from_u32(0xE000 + i as u32)).map(String::from).collect();
    let subs: Vec<&str> = marks.iter().map(String::as_str).collect();
    let Some(text) = message(key, &subs) else { return Ok(()) };
    if kids.is_empty() {
        el.set_text_content(Some(&text));
        return Ok(());
    }
    let frag = doc.create_document_fragment();
    let mut run = String::new();
    let mut placed = vec![false; kids.len()];
    for c in text.chars() {
        let kid = (c as u32).checked_sub(0xE000).map(|i| i as usize).filter(|&i| i < kids.len());
        match kid {
            Some(i) if !placed[i] => {
                if !run.is_empty() {
                    frag.append_with_str_1(&std::mem::take(&mut run))?;
                }
                frag.append_child(&kids[i])?;
                placed[i] = true;
            }
            Some(_) => {}
            None => run.push(c),
        }
    }
    if !run.is_empty() {
        frag.append_with_str_1(&run)?;
    }
    // A translation that lost a placeholder still keeps the element (Rust may fill it).
    for (kid, _) in kids.iter().zip(&placed).filter(|(_, p)| !**p) {
        frag.append_child(kid)?;
    }
    el.set_text_content(None);
    el.append_child(&frag)?;
    Ok(())
}
