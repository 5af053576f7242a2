//! The extension's own pages: the options page and the toolbar popup (feature `background`:
//! extension/options.js and popup.js load the background module and call one function here).
//!
//! The markup is static in extension/options.html and popup.html; this module fills it, binds
//! it and talks to the extension APIs. Settings go to `chrome.storage.sync` through
//! [`crate::core::settings`] — settings only, never a secret value. Everything that comes from
//! the page or the background (labels…) is written with `textContent`, never as HTML.
//!
//! Popup ↔ background contract (answered by src/background.rs):
//! - `{type: "tabSecrets", tabId}` → `{secrets: [{fingerprint, label, state, detectedAt, frameId}]}`
//!   (`detectedAt` in ms since the epoch; `label` is `"<app>: <description>"`). An error, an
//!   `{error}` answer or no list all read as "no unsaved secrets".
//! - `{type: "focusPrompt", tabId, frameId, fingerprint}` → anything but `{error}` means done.
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Document, Element, HtmlElement, HtmlInputElement, HtmlOptionElement, HtmlSelectElement};

use crate::core::settings::{clear_delay_label, format_age, Settings, CLEAR_DELAYS, KEYS, KEY_AGE_RECIPIENT, KEY_DEFAULT_STORE};

#[wasm_bindgen]
extern "C" {
    /// `chrome.storage.sync.get(keys)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "sync"], js_name = get, catch)]
    fn sync_get(keys: &JsValue) -> Result<Promise, JsValue>;
    /// `chrome.storage.sync.set(items)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "sync"], js_name = set, catch)]
    fn sync_set(items: &JsValue) -> Result<Promise, JsValue>;
    /// `chrome.storage.onChanged.addListener(f)`: `f(changes, areaName)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "onChanged"], js_name = addListener, catch)]
    fn storage_on_changed(f: &Function) -> Result<(), JsValue>;
    /// `chrome.tabs.query(queryInfo)` (the tab id needs no "tabs" permission).
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = query, catch)]
    fn tabs_query(query: &JsValue) -> Result<Promise, JsValue>;
    /// `chrome.runtime.sendMessage(message)`.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = sendMessage, catch)]
    fn runtime_send(message: &JsValue) -> Result<Promise, JsValue>;
    /// `chrome.tabs.sendMessage(tabId, message, options)`: to the tab's content scripts.
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = sendMessage, catch)]
    fn tabs_send(tab: f64, message: &JsValue, options: &JsValue) -> Result<Promise, JsValue>;
    /// `chrome.runtime.openOptionsPage()`.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = openOptionsPage, catch)]
    fn open_options_page() -> Result<Promise, JsValue>;
}

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

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
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

// --- options page ---------------------------------------------------------------------------------

/// A storage value as the string [`Settings::from_pairs`] reads (the background or an older
/// version may have written a boolean or a number).
fn storage_string(v: &JsValue) -> Option<String> {
    if let Some(s) = v.as_string() {
        return Some(s);
    }
    if let Some(b) = v.as_bool() {
        return Some(b.to_string());
    }
    let n = v.as_f64()?;
    (n.is_finite() && n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n)).then(|| (n as u64).to_string())
}

/// Reads the settings from `storage.sync` (lenient: bad values read as defaults).
async fn load_settings() -> Result<Settings, JsValue> {
    let keys: Array = KEYS.iter().map(|k| JsValue::from_str(k)).collect();
    let stored = call(sync_get(&keys)).await?;
    let pairs: Vec<(&str, String)> = KEYS.iter().filter_map(|&k| storage_string(&get(&stored, k)).map(|v| (k, v))).collect();
    Ok(Settings::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))))
}

struct Options {
    doc: Document,
    settings: RefCell<Settings>,
    /// Bumped on each status message, so an old "Saved" timer does not clear a newer message.
    status_seq: Cell<u32>,
    /// Keys whose field shows a rejected value: left as typed until fixed, and "Saved" for
    /// another field must not hide that it is not saved.
    invalid: RefCell<BTreeSet<String>>,
}

impl Options {
    fn field(&self, key: &str) -> Option<Element> {
        self.doc.get_element_by_id(key)
    }

    /// Writes the settings into the form. The focused control and rejected values are left
    /// alone (the user is on them).
    fn fill(&self) {
        let s = self.settings.borrow();
        let focused = self.doc.active_element();
        for key in KEYS {
            let value = s.value(key).unwrap_or_default();
            if key == KEY_DEFAULT_STORE {
                if let Ok(radios) = self.doc.query_selector_all("input[name=default_store]") {
                    for i in 0..radios.length() {
                        if let Some(r) = radios.item(i).and_then(|n| n.dyn_into::<HtmlInputElement>().ok()) {
                            r.set_checked(r.value() == value);
                        }
                    }
                }
                continue;
            }
            let Some(el) = self.field(key) else { continue };
            if focused.as_ref() == Some(&el) || self.invalid.borrow().contains(key) {
                continue;
            }
            if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
                if input.type_() == "checkbox" {
                    input.set_checked(value == "true");
                } else {
                    input.set_value(&value);
                }
            } else if let Some(select) = el.dyn_ref::<HtmlSelectElement>() {
                select.set_value(&value);
            }
        }
    }

    fn show_error(&self, key: &str, message: &str) {
        if message.is_empty() {
            self.invalid.borrow_mut().remove(key);
        } else {
            self.invalid.borrow_mut().insert(key.to_owned());
        }
        if let Some(e) = self.doc.get_element_by_id(&format!("{key}-error")) {
            e.set_text_content(Some(message));
            set_hidden(&e, message.is_empty());
        }
        if let Some(f) = self.field(key) {
            if message.is_empty() {
                let _ = f.remove_attribute("aria-invalid");
            } else {
                let _ = f.set_attribute("aria-invalid", "true");
            }
        }
    }

    fn show_warnings(&self) {
        let Some(box_) = self.doc.get_element_by_id("warnings") else {
            return;
        };
        box_.set_text_content(None);
        let warnings = self.settings.borrow().warnings();
        for w in &warnings {
            if let Ok(p) = create(&self.doc, "p", "", Some(&w.message)) {
                let _ = box_.append_child(&p);
            }
        }
        set_hidden(&box_, warnings.is_empty());
    }

    fn status(self: &Rc<Self>, text: &str, is_error: bool, fade: bool) {
        let Some(el) = self.doc.get_element_by_id("status") else {
            return;
        };
        let seq = self.status_seq.get().wrapping_add(1);
        self.status_seq.set(seq);
        el.set_text_content(Some(text));
        el.set_class_name(if is_error { "status error" } else { "status ok" });
        if fade {
            let me = Rc::clone(self);
            spawn_local(async move {
                TimeoutFuture::new(2500).await;
                if me.status_seq.get() == seq {
                    el.set_text_content(None);
                    el.set_class_name("status");
                }
            });
        }
    }

    /// A control changed: validate, save that one key, show the outcome.
    async fn changed(self: Rc<Self>, target: Element) {
        let Some(key) = target.get_attribute("name").filter(|n| KEYS.contains(&n.as_str())) else {
            return;
        };
        let value = if let Some(i) = target.dyn_ref::<HtmlInputElement>() {
            match i.type_().as_str() {
                "checkbox" => i.checked().to_string(),
                "radio" if !i.checked() => return,
                _ => i.value(),
            }
        } else if let Some(s) = target.dyn_ref::<HtmlSelectElement>() {
            s.value()
        } else {
            return;
        };
        let mut next = self.settings.borrow().clone();
        if let Err(e) = next.set(&key, &value) {
            if e.looks_private {
                // Never keep a private key on screen (or in the form's autofill): put the
                // setting that is still in force back.
                if let Some(i) = target.dyn_ref::<HtmlInputElement>() {
                    i.set_value(&self.settings.borrow().value(&key).unwrap_or_default());
                }
            }
            self.show_error(&key, &e.message);
            self.status("Not saved: fix the highlighted field.", true, false);
            return;
        }
        self.show_error(&key, "");
        let stored = next.value(&key).unwrap_or_default();
        *self.settings.borrow_mut() = next;
        // Show the normalized form (trimmed, lowercased, vault as URL).
        if let Some(i) = target.dyn_ref::<HtmlInputElement>() {
            if i.type_() == "text" && i.value() != stored {
                i.set_value(&stored);
            }
        }
        self.show_warnings();
        match call(sync_set(&obj(&[(key.as_str(), JsValue::from_str(&stored))]))).await {
            Ok(_) if self.invalid.borrow().is_empty() => self.status("Saved", false, true),
            Ok(_) => self.status("Saved, except the highlighted field: fix it to save it.", true, false),
            Err(e) => self.status(&format!("Could not save: {}", error_text(&e)), true, false),
        }
    }

    /// Settings changed elsewhere (another window, the prompt remembering a store choice).
    async fn reload(self: Rc<Self>) {
        if let Ok(s) = load_settings().await {
            *self.settings.borrow_mut() = s;
            self.fill();
            self.show_warnings();
        }
    }
}

/// Entry point of extension/options.html: fills the form from `storage.sync` and saves each
/// valid change.
#[wasm_bindgen]
pub async fn options_main() -> Result<(), JsValue> {
    let doc = document()?;
    let select = by_id(&doc, "clipboard_clear_secs")?.dyn_into::<HtmlSelectElement>()?;
    select.set_text_content(None);
    for secs in CLEAR_DELAYS {
        let opt = HtmlOptionElement::new_with_text_and_value(&clear_delay_label(secs), &secs.to_string())?;
        select.append_child(&opt)?;
    }
    let page =
        Rc::new(Options { doc: doc.clone(), settings: RefCell::new(Settings::default()), status_seq: Cell::new(0), invalid: RefCell::new(BTreeSet::new()) });
    match load_settings().await {
        Ok(s) => *page.settings.borrow_mut() = s,
        Err(e) => page.status(&format!("Could not read the settings ({}); showing the defaults.", error_text(&e)), true, false),
    }
    page.fill();
    page.show_warnings();
    // The redirect URI to register for Key Vault sign-in (it depends on the extension's id).
    if let (Ok(uri), Ok(el)) = (crate::platform::identity_redirect_url(), by_id(&doc, "keyvault_redirect")) {
        el.set_text_content(Some(&uri));
    }

    let form = by_id(&doc, "settings")?;
    let p = Rc::clone(&page);
    keep(EventListener::new(&form, "change", move |ev| {
        if let Some(t) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) {
            spawn_local(Rc::clone(&p).changed(t));
        }
    }));
    // Enter in a text field saves through "change"; the form itself never submits.
    keep(EventListener::new_with_options(&form, "submit", EventListenerOptions::enable_prevent_default(), |ev| {
        ev.prevent_default();
    }));
    // Typing clears a stale error on that field (it is validated again on change).
    let p = Rc::clone(&page);
    keep(EventListener::new(&form, "input", move |ev| {
        if let Some(name) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.get_attribute("name")) {
            if name == KEY_AGE_RECIPIENT || name.starts_with("keyvault_") {
                p.show_error(&name, "");
            }
        }
    }));

    let p = Rc::clone(&page);
    let on_changed = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |_changes: JsValue, area: JsValue| {
        if area.as_string().as_deref() == Some("sync") {
            spawn_local(Rc::clone(&p).reload());
        }
    });
    storage_on_changed(on_changed.as_ref().unchecked_ref())?;
    // The page-lifetime listener: the browser drops it with the document.
    on_changed.forget();
    // Filled and listening: a change made from now on is validated and saved.
    form.set_attribute("aria-busy", "false")?;
    Ok(())
}

// --- popup ----------------------------------------------------------------------------------------

/// One unsaved secret as the background reports it.
#[derive(Clone, PartialEq)]
struct Entry {
    fingerprint: String,
    label: String,
    state: String,
    detected_at: u64,
    frame: f64,
}

fn entries(reply: &JsValue) -> Vec<Entry> {
    let list = get(reply, "secrets");
    if !Array::is_array(&list) {
        return Vec::new();
    }
    Array::from(&list)
        .iter()
        .filter_map(|e| {
            let state = get(&e, "state").as_string()?;
            // Only unsaved ones: the background may also report finished secrets.
            if state != "shown" && state != "copied" {
                return None;
            }
            Some(Entry {
                fingerprint: get(&e, "fingerprint").as_string()?,
                label: get(&e, "label").as_string().unwrap_or_default(),
                state,
                detected_at: get(&e, "detectedAt").as_f64().filter(|n| n.is_finite() && *n >= 0.0).unwrap_or(0.0) as u64,
                frame: get(&e, "frameId").as_f64().unwrap_or(0.0),
            })
        })
        .collect()
}

/// `"<app>: <description>"` → (description, app). A label without the separator is all description.
fn split_label(label: &str) -> (&str, Option<&str>) {
    match label.split_once(": ") {
        Some((app, desc)) if !app.trim().is_empty() && !desc.trim().is_empty() => (desc.trim(), Some(app.trim())),
        _ => (label.trim(), None),
    }
}

async fn active_tab() -> Option<f64> {
    let tabs = call(tabs_query(&obj(&[("active", true.into()), ("currentWindow", true.into())]))).await.ok()?;
    get(&Array::from(&tabs).get(0), "id").as_f64()
}

/// The tab's unsaved secrets, and whether its page keeps a prompt from showing.
async fn tab_secrets(tab: f64) -> (Vec<Entry>, bool) {
    let msg = obj(&[("type", "tabSecrets".into()), ("tabId", tab.into())]);
    match call(runtime_send(&msg)).await {
        Ok(reply) => (entries(&reply), get(&reply, "blocked").as_bool() == Some(true)),
        Err(_) => (Vec::new(), false),
    }
}

/// Whether leaving the tab's page warns first, as its top frame says (`None`: no ShownOnce
/// there, e.g. a page of another site).
async fn tab_guard(tab: f64) -> Option<bool> {
    let msg = obj(&[("type", "status".into())]);
    let reply = call(tabs_send(tab, &msg, &obj(&[("frameId", 0.into())]))).await.ok()?;
    get(&reply, "guard").as_string().map(|g| g == "armed")
}

struct Popup {
    doc: Document,
    tab: Option<f64>,
    shown: RefCell<Vec<Entry>>,
    /// Age text nodes, refreshed in place so focus and screen-reader position survive.
    ages: RefCell<Vec<(Element, u64)>>,
    buttons: RefCell<Vec<EventListener>>,
}

impl Popup {
    fn age_text(entry_state: &str, detected_at: u64) -> String {
        let state = if entry_state == "copied" { "Copied, not saved" } else { "Not copied" };
        if detected_at == 0 {
            state.to_owned()
        } else {
            format!("{state} · {}", format_age(js_sys::Date::now() as u64, detected_at))
        }
    }

    fn show_blocked(&self, blocked: bool) {
        if let Ok(el) = by_id(&self.doc, "blocked") {
            set_hidden(&el, !blocked);
        }
    }

    async fn show_guard(&self) {
        let armed = match self.tab {
            Some(t) => tab_guard(t).await,
            None => None,
        };
        if let Ok(el) = by_id(&self.doc, "guard") {
            set_hidden(&el, armed != Some(true));
        }
    }

    async fn refresh(self: &Rc<Self>) -> Result<(), JsValue> {
        self.show_guard().await;
        let (list, blocked) = match self.tab {
            Some(t) => tab_secrets(t).await,
            None => (Vec::new(), false),
        };
        self.show_blocked(blocked);
        if *self.shown.borrow() == list {
            for (el, at) in self.ages.borrow().iter() {
                let state = el.get_attribute("data-state").unwrap_or_default();
                el.set_text_content(Some(&Self::age_text(&state, *at)));
            }
            return Ok(());
        }
        self.render(list)
    }

    fn render(self: &Rc<Self>, list: Vec<Entry>) -> Result<(), JsValue> {
        let doc = &self.doc;
        let ul = by_id(doc, "secrets")?;
        let focused_fp = doc.active_element().and_then(|e| e.get_attribute("data-fingerprint"));
        ul.set_text_content(None);
        let mut ages = Vec::new();
        let mut buttons = Vec::new();
        let mut refocus = None;
        for (i, e) in list.iter().enumerate() {
            let li = create(doc, "li", "secret", None)?;
            let (desc, app) = split_label(&e.label);
            let text = create(doc, "div", "secret-text", None)?;
            let title = create(doc, "div", "secret-title", Some(if desc.is_empty() { "Client secret" } else { desc }))?;
            let label_id = format!("secret-{i}");
            title.set_id(&label_id);
            text.append_child(&title)?;
            if let Some(app) = app {
                let app = create(doc, "div", "secret-app", Some(app))?;
                text.append_child(&app)?;
            }
            let meta = create(doc, "div", "secret-meta", Some(&Self::age_text(&e.state, e.detected_at)))?;
            meta.set_attribute("data-state", &e.state)?;
            text.append_child(&meta)?;
            ages.push((meta, e.detected_at));
            li.append_child(&text)?;

            let button = create(doc, "button", "primary", Some("Show prompt"))?;
            button.set_attribute("type", "button")?;
            button.set_attribute("aria-describedby", &label_id)?;
            button.set_attribute("data-fingerprint", &e.fingerprint)?;
            li.append_child(&button)?;
            ul.append_child(&li)?;
            if focused_fp.as_deref() == Some(e.fingerprint.as_str()) {
                refocus = Some(button.clone());
            }
            let (me, entry) = (Rc::clone(self), e.clone());
            buttons.push(EventListener::new(&button, "click", move |_| {
                let (me, entry) = (Rc::clone(&me), entry.clone());
                spawn_local(async move { me.focus_prompt(entry).await });
            }));
        }
        set_hidden(&ul, list.is_empty());
        set_hidden(&by_id(doc, "empty")?, !list.is_empty());
        set_hidden(&by_id(doc, "secrets-title")?, list.is_empty());
        if let Some(b) = refocus.and_then(|b| b.dyn_into::<HtmlElement>().ok()) {
            let _ = b.focus();
        }
        *self.ages.borrow_mut() = ages;
        *self.buttons.borrow_mut() = buttons; // drops the old buttons' listeners
        *self.shown.borrow_mut() = list;
        Ok(())
    }

    async fn focus_prompt(&self, e: Entry) {
        let Some(tab) = self.tab else { return };
        let msg =
            obj(&[("type", "focusPrompt".into()), ("tabId", tab.into()), ("frameId", e.frame.into()), ("fingerprint", JsValue::from_str(&e.fingerprint))]);
        let failed = match call(runtime_send(&msg)).await {
            Ok(reply) => get(&reply, "error").as_string(),
            Err(err) => Some(error_text(&err)),
        };
        match failed {
            None => {
                if let Some(w) = web_sys::window() {
                    let _ = w.close();
                }
            }
            Some(_) => {
                if let Ok(el) = by_id(&self.doc, "popup-error") {
                    el.set_text_content(Some("Could not show the prompt. Look for the ShownOnce panel next to the secret on the page."));
                    set_hidden(&el, false);
                }
            }
        }
    }
}

/// Entry point of extension/popup.html: lists the active tab's unsaved secrets.
#[wasm_bindgen]
pub async fn popup_main() -> Result<(), JsValue> {
    let doc = document()?;
    let settings = by_id(&doc, "open-settings")?;
    keep(EventListener::new(&settings, "click", |_| {
        spawn_local(async {
            let _ = call(open_options_page()).await;
            if let Some(w) = web_sys::window() {
                let _ = w.close();
            }
        });
    }));
    let popup =
        Rc::new(Popup { doc, tab: active_tab().await, shown: RefCell::new(Vec::new()), ages: RefCell::new(Vec::new()), buttons: RefCell::new(Vec::new()) });
    let (first, blocked) = match popup.tab {
        Some(t) => tab_secrets(t).await,
        None => (Vec::new(), false),
    };
    popup.render(first)?;
    popup.show_blocked(blocked);
    popup.show_guard().await;
    // Ages and states move on while the popup is open.
    spawn_local(async move {
        loop {
            TimeoutFuture::new(5_000).await;
            // Nobody sees it (a popup page opened in a background tab): ask no frame anything.
            if popup.doc.hidden() {
                continue;
            }
            if popup.refresh().await.is_err() {
                break;
            }
        }
    });
    Ok(())
}
