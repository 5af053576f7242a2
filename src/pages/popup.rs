//! The toolbar popup (extension/popup.html): lists the active tab's unsaved secrets.
//!
//! Popup ↔ background contract (answered by src/background.rs):
//! - `{type: "tabSecrets", tabId}` → `{secrets: [{fingerprint, label, state, detectedAt, frameId}]}`
//!   (`detectedAt` in ms since the epoch; `label` is `"<app>: <description>"`). An error, an
//!   `{error}` answer or no list all read as "no unsaved secrets".
//! - `{type: "focusPrompt", tabId, frameId, fingerprint}` → anything but `{error}` means done.
use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::future::TimeoutFuture;
use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, HtmlElement};

use super::{by_id, call, create, document, error_text, get, keep, obj, set_hidden};
use crate::core::settings::format_age;
use crate::platform::{msg, open_options_page, send_message, tabs_query, tabs_send_message};

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
    match call(send_message(&msg)).await {
        Ok(reply) => (entries(&reply), get(&reply, "blocked").as_bool() == Some(true)),
        Err(_) => (Vec::new(), false),
    }
}

/// Whether leaving the tab's page warns first, as its top frame says (`None`: no ShownOnce
/// there, e.g. a page of another site).
async fn tab_guard(tab: f64) -> Option<bool> {
    let msg = obj(&[("type", "status".into())]);
    let reply = call(tabs_send_message(tab, &msg, &obj(&[("frameId", 0.into())]))).await.ok()?;
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
        let state = if entry_state == "copied" { msg("popupCopiedNotSaved", &[]) } else { msg("popupNotCopied", &[]) };
        if detected_at == 0 {
            state
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
            let fallback = msg("popupClientSecret", &[]);
            let title = create(doc, "div", "secret-title", Some(if desc.is_empty() { &fallback } else { desc }))?;
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

            let button = create(doc, "button", "primary", Some(&msg("popupShowPrompt", &[])))?;
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
        let request =
            obj(&[("type", "focusPrompt".into()), ("tabId", tab.into()), ("frameId", e.frame.into()), ("fingerprint", JsValue::from_str(&e.fingerprint))]);
        let failed = match call(send_message(&request)).await {
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
                    el.set_text_content(Some(&msg("popupShowFailed", &[])));
                    set_hidden(&el, false);
                }
            }
        }
    }
}

/// Entry point of extension/popup.html: lists the active tab's unsaved secrets.
#[wasm_bindgen]
pub async fn popup_main() -> Result<(), JsValue> {
    crate::platform::install_i18n();
    let doc = document()?;
    super::localize(&doc);
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
