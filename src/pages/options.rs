//! The options page (extension/options.html): fills the form from `storage.sync` and saves
//! each valid change.
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, HtmlInputElement, HtmlOptionElement, HtmlSelectElement};

use super::{by_id, call, create, document, error_text, keep, obj, set_hidden};
use crate::core::openbao::BaoAddr;
use crate::core::settings::{
    bao_token_key, clear_delay_label, Settings, CLEAR_DELAYS, KEYS, KEY_AGE_RECIPIENT, KEY_DEFAULT_STORE, KEY_HCVAULT_ADDR, KEY_KEYVAULT_VAULT,
};
use crate::platform::{identity_redirect_url, msg, storage_on_changed, sync_set};

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
            self.status(&msg("optionsStatusInvalid", &[]), true, false);
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
            Ok(_) if self.invalid.borrow().is_empty() => self.status(&msg("optionsStatusSaved", &[]), false, true),
            Ok(_) => self.status(&msg("optionsStatusSavedExcept", &[]), true, false),
            Err(e) => self.status(&msg("optionsStatusSaveFailed", &[&error_text(&e)]), true, false),
        }
    }

    /// The Vault server the settings name, if any.
    fn bao_addr(&self) -> Option<BaoAddr> {
        self.settings.borrow().hcvault_addr.as_deref().and_then(|a| BaoAddr::parse(a).ok())
    }

    fn test_result(&self, text: &str, ok: bool) {
        if let Some(el) = self.doc.get_element_by_id("hcvault_test_result") {
            el.set_text_content(Some(text));
            el.set_class_name(if ok { "status ok" } else { "status error" });
        }
    }

    /// The token field: stored for this browser session (and on this device if asked), then
    /// the field is emptied; the token is never shown again.
    async fn token_changed(self: Rc<Self>, input: HtmlInputElement) {
        let token = zeroize::Zeroizing::new(input.value().trim().to_owned());
        input.set_value("");
        let Some(addr) = self.bao_addr() else {
            self.test_result(&msg("optionsTokenNeedsServer", &[]), false);
            return;
        };
        if token.is_empty() {
            return;
        }
        let key = bao_token_key(addr.origin());
        let item = obj(&[(key.as_str(), JsValue::from_str(&token))]);
        let remember = self.doc.get_element_by_id("hcvault_remember").and_then(|e| e.dyn_into::<HtmlInputElement>().ok()).is_some_and(|c| c.checked());
        let mut r = call(crate::platform::session_set(&item)).await;
        if remember && r.is_ok() {
            r = call(crate::platform::local_set(&item)).await;
        }
        match r {
            Ok(_) if remember => self.test_result(&msg("optionsTokenRemembered", &[addr.origin()]), true),
            Ok(_) => self.test_result(&msg("optionsTokenSession", &[addr.origin()]), true),
            Err(e) => self.test_result(&msg("optionsTokenStoreFailed", &[&error_text(&e)]), false),
        }
    }

    /// "Remember on this device" ticked or unticked: copy the session's token to local
    /// storage, or remove it from there.
    async fn remember_changed(self: Rc<Self>, on: bool) {
        let Some(addr) = self.bao_addr() else { return };
        let key = bao_token_key(addr.origin());
        if !on {
            let _ = call(crate::platform::local_remove(&JsValue::from_str(&key))).await;
            self.test_result(&msg("optionsTokenForgotten", &[]), true);
            return;
        }
        if let Some(t) = crate::platform::session_value(&key).await {
            let _ = call(crate::platform::local_set(&obj(&[(key.as_str(), t)]))).await;
            self.test_result(&msg("optionsTokenKept", &[]), true);
        }
    }

    /// Asks the browser for access to the server (inside the user's gesture: call this from
    /// the event handler itself, before any await) and returns the pending answer.
    fn request_access(&self, addr: &BaoAddr) -> Option<js_sys::Promise> {
        crate::platform::permissions_request(&crate::platform::origins(&addr.permission_pattern())).ok()
    }

    /// "Allow and test": access granted? Then the background checks token, mount and policy.
    async fn test(self: Rc<Self>, asked: Option<js_sys::Promise>, addr: BaoAddr) {
        self.test_result(&msg("optionsTestRunning", &[]), true);
        let granted = match asked {
            Some(p) => wasm_bindgen_futures::JsFuture::from(p).await.ok().and_then(|v| v.as_bool()) == Some(true),
            None => false,
        };
        if !granted {
            self.test_result(&msg("optionsTestNotGranted", &[addr.origin()]), false);
            return;
        }
        match crate::platform::ask("testVault").await {
            Ok(r) => {
                let ok = super::get(&r, "ok").as_bool() == Some(true);
                let text = super::get(&r, "message").as_string().unwrap_or_default();
                self.test_result(&text, ok);
            }
            Err(e) => self.test_result(&msg("optionsTestFailed", &[&error_text(&e)]), false),
        }
    }

    /// Settings changed elsewhere (another window, the prompt remembering a store choice).
    async fn reload(self: Rc<Self>) {
        if let Ok(s) = crate::platform::settings().await {
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
    crate::platform::install_i18n();
    let doc = document()?;
    super::localize(&doc);
    let select = by_id(&doc, "clipboard_clear_secs")?.dyn_into::<HtmlSelectElement>()?;
    select.set_text_content(None);
    for secs in CLEAR_DELAYS {
        let opt = HtmlOptionElement::new_with_text_and_value(&clear_delay_label(secs), &secs.to_string())?;
        select.append_child(&opt)?;
    }
    let page =
        Rc::new(Options { doc: doc.clone(), settings: RefCell::new(Settings::default()), status_seq: Cell::new(0), invalid: RefCell::new(BTreeSet::new()) });
    match crate::platform::settings().await {
        Ok(s) => *page.settings.borrow_mut() = s,
        Err(e) => page.status(&msg("optionsStatusReadFailed", &[&error_text(&e)]), true, false),
    }
    page.fill();
    page.show_warnings();
    // The redirect URI to register for Key Vault sign-in (it depends on the extension's id).
    if let (Ok(uri), Ok(el)) = (identity_redirect_url(), by_id(&doc, "keyvault_redirect")) {
        el.set_text_content(Some(&uri));
    }

    let form = by_id(&doc, "settings")?;
    let p = Rc::clone(&page);
    keep(EventListener::new(&form, "change", move |ev| {
        let Some(t) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        match t.id().as_str() {
            "hcvault_token" => {
                if let Ok(i) = t.dyn_into::<HtmlInputElement>() {
                    spawn_local(Rc::clone(&p).token_changed(i));
                }
            }
            "hcvault_remember" => {
                let on = t.dyn_ref::<HtmlInputElement>().is_some_and(|c| c.checked());
                spawn_local(Rc::clone(&p).remember_changed(on));
            }
            _ => {
                // A new server address: ask for access to it now, while the user's gesture
                // lasts (the browser may show its question). "Allow and test" asks again.
                let value = t.dyn_ref::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
                match t.get_attribute("name").as_deref() {
                    Some(KEY_HCVAULT_ADDR) => {
                        if let Ok(addr) = BaoAddr::parse(&value) {
                            let _ = p.request_access(&addr);
                        }
                    }
                    // A vault: that vault and its cloud's sign-in, nothing broader.
                    Some(KEY_KEYVAULT_VAULT) => {
                        if let Ok(v) = crate::core::keyvault::VaultUrl::parse(&value, crate::core::keyvault::Cloud::Public) {
                            let patterns = v.permission_patterns();
                            let _ = crate::platform::permissions_request(&crate::platform::origins_of(&[&patterns[0], &patterns[1]]));
                        }
                    }
                    _ => {}
                }
                spawn_local(Rc::clone(&p).changed(t));
            }
        }
    }));
    let p = Rc::clone(&page);
    let test_button: web_sys::EventTarget = by_id(&doc, "hcvault_test")?.into();
    keep(EventListener::new(&test_button, "click", move |ev| {
        if !ev.is_trusted() {
            return;
        }
        let Some(addr) = p.bao_addr() else {
            p.test_result(&msg("optionsTestNeedsServer", &[]), false);
            return;
        };
        let asked = p.request_access(&addr);
        spawn_local(Rc::clone(&p).test(asked, addr));
    }));
    // Whether this server's token is remembered on this device.
    if let (Some(addr), Ok(el)) = (page.bao_addr(), by_id(&doc, "hcvault_remember")) {
        let on = crate::platform::local_value(&bao_token_key(addr.origin())).await.is_some();
        if let Some(c) = el.dyn_ref::<HtmlInputElement>() {
            c.set_checked(on);
        }
    }
    // Enter in a text field saves through "change"; the form itself never submits.
    keep(EventListener::new_with_options(&form, "submit", EventListenerOptions::enable_prevent_default(), |ev| {
        ev.prevent_default();
    }));
    // Typing clears a stale error on that field (it is validated again on change).
    let p = Rc::clone(&page);
    keep(EventListener::new(&form, "input", move |ev| {
        if let Some(name) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.get_attribute("name")) {
            if name == KEY_AGE_RECIPIENT || name.starts_with("keyvault_") || name.starts_with("hcvault_") {
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
