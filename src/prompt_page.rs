//! The save prompt page (extension/prompt.html, feature `pages`): the content script
//! shows it in an `<iframe>` next to the secret's row (src/dom/prompt.rs). Being the
//! extension's own origin, the portal page can neither read it nor hear the keys typed into
//! it (passphrase, vault, secret name).
//!
//! Start-up: the content script posts `{so: "init", token, …texts}` with one `MessagePort`.
//! The token is checked with the background (`claimPrompt`, one use): a copy of this page the
//! portal embedded itself gets no valid token and shows nothing. Then everything goes over
//! the port (see [`on_port`] and `dom::prompt::on_frame_message` for the two directions).
//! The value arrives only after the user pressed Copy, goes to the clipboard, and is dropped.
//!
//! State for the tests sits on this document's `<html>` (data-state, data-store, data-hint,
//! data-kind, data-secret-id, data-busy, data-confirm, data-outcome, data-runs,
//! data-collapsed, data-detected-at, data-ready): the page cannot see it.
use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::future::TimeoutFuture;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Document, Element, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent, MessageEvent, MessagePort};
use zeroize::Zeroizing;

use crate::core::keyvault::{derive_secret_name, validate_secret_name};
use crate::core::state::StoreKind;
use crate::platform::{msg, send_message};

/// How often and how long the frame asks the background to confirm its token (the content
/// script registers it in parallel; a background waking up may answer late).
const CLAIM_TRIES: u32 = 30;
const CLAIM_PAUSE_MS: u32 = 100;

struct Page {
    doc: Document,
    root: Element,
    port: MessagePort,
    /// Last sizes sent (card w, h, pill w, h): only changes are sent.
    sent: RefCell<[f64; 4]>,
    _keep: RefCell<Vec<EventListener>>,
    _observer: RefCell<Option<web_sys::ResizeObserver>>,
    /// What the secret's names in the stores are made of (the app's name may come later).
    names: RefCell<Names>,
}

/// The parts of the Key Vault secret name and the Vault path the prompt proposes.
#[derive(Default)]
struct Names {
    app: String,
    description: String,
    client_id: String,
    tenant_id: String,
    secret_id: String,
    /// The options' Vault path template.
    template: String,
}

impl Names {
    /// The proposed Key Vault secret name and Vault path (`None`: the template does not fit).
    fn proposed(&self) -> (String, Option<String>) {
        let ctx = crate::core::openbao::PathContext {
            app_name: &self.app,
            client_id: &self.client_id,
            tenant_id: &self.tenant_id,
            secret_id: &self.secret_id,
            description: &self.description,
        };
        (derive_secret_name(&self.app, &self.description), crate::core::openbao::render_path(&self.template, &ctx).ok())
    }
}

/// Writes the dialog's texts from `{name, desc, meta, client}` (the init message, or a later
/// `ctx` one once the app's name is known).
fn set_texts(doc: &Document, data: &JsValue) {
    if let Some(d) = doc.get_element_by_id("dialog") {
        let _ = d.set_attribute("aria-label", &get_s(data, "name").unwrap_or_default());
        let _ = d.set_attribute("aria-description", &get_s(data, "desc").unwrap_or_default());
    }
    for id in ["meta", "client"] {
        if let Some(m) = by_id::<HtmlElement>(doc, id) {
            let text = get_s(data, id).unwrap_or_default();
            m.set_text_content(Some(&text));
            m.set_hidden(text.is_empty());
        }
    }
}

/// The app's name became known after the prompt opened: the texts say it, and the proposed
/// Key Vault name and Vault path follow it unless the user already edited them.
fn on_context(page: &Page, data: &JsValue) {
    set_texts(&page.doc, data);
    let Some(app) = get_s(data, "app").filter(|a| !a.is_empty()) else { return };
    let (old_name, old_path) = page.names.borrow().proposed();
    page.names.borrow_mut().app = app;
    let (new_name, new_path) = page.names.borrow().proposed();
    if let Some(i) = by_id::<HtmlInputElement>(&page.doc, "kvname").filter(|i| i.value() == old_name) {
        i.set_value(&new_name);
    }
    if let (Some(old), Some(new)) = (old_path, new_path) {
        if let Some(i) = by_id::<HtmlInputElement>(&page.doc, "hcpath").filter(|i| i.value() == old) {
            i.set_value(&new);
        }
    }
}

thread_local! {
    static PAGE: RefCell<Option<Rc<Page>>> = const { RefCell::new(None) };
    static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_s(o: &JsValue, key: &str) -> Option<String> {
    get(o, key).as_string()
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    crate::platform::obj(pairs)
}

fn by_id<T: JsCast>(doc: &Document, id: &str) -> Option<T> {
    doc.get_element_by_id(id)?.dyn_into::<T>().ok()
}

fn trusted(target: &web_sys::EventTarget, kind: &'static str, f: impl Fn(&web_sys::Event) + 'static) -> EventListener {
    // Not passive (gloo's default): Tab and Esc handlers must be able to prevent the default.
    EventListener::new_with_options(target, kind, gloo_events::EventListenerOptions::enable_prevent_default(), move |e| {
        if e.is_trusted() {
            f(e)
        }
    })
}

/// Entry point (extension/prompt.js): `early` holds the message events that arrived while
/// the module loaded; later ones come to the listener. The content script's `init` starts it.
#[wasm_bindgen]
pub fn prompt_main(early: js_sys::Array) -> Result<(), JsValue> {
    crate::platform::install_i18n();
    let win = web_sys::window().ok_or("no window")?;
    if let Some(doc) = win.document() {
        crate::pages::localize(&doc);
    }
    for e in early.iter() {
        if let Ok(e) = e.dyn_into::<MessageEvent>() {
            on_window_message(&e);
        }
    }
    let listener = EventListener::new(&win, "message", |e| on_window_message(e.unchecked_ref::<MessageEvent>()));
    listener.forget(); // the page lives as long as this listener is needed
    Ok(())
}

/// The first `init` from the parent window (the content script there) with its port.
fn on_window_message(e: &MessageEvent) {
    let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
    let from_parent = match (e.source(), parent) {
        (Some(s), Some(p)) => JsValue::from(s) == JsValue::from(p),
        _ => false,
    };
    let data = e.data();
    if !from_parent || get_s(&data, "so").as_deref() != Some("init") {
        return;
    }
    let Ok(port) = e.ports().get(0).dyn_into::<MessagePort>() else { return };
    if STARTED.with(|s| s.replace(true)) {
        return;
    }
    spawn_local(async move {
        if let Err(e) = start(data, port).await {
            web_sys::console::error_1(&e);
        }
    });
}

async fn send(msg: &JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(send_message(msg)?).await
}

async fn start(init: JsValue, port: MessagePort) -> Result<(), JsValue> {
    // Only a frame the content script created knows a token the background registered.
    let token = get_s(&init, "token").unwrap_or_default();
    let mut ok = false;
    for _ in 0..CLAIM_TRIES {
        let r = send(&obj(&[("type", "claimPrompt".into()), ("token", JsValue::from_str(&token))])).await;
        if r.as_ref().ok().map(|r| get(r, "ok")).and_then(|v| v.as_bool()) == Some(true) {
            ok = true;
            break;
        }
        TimeoutFuture::new(CLAIM_PAUSE_MS).await;
    }
    if !ok {
        port.close();
        return Err(JsValue::from_str("ShownOnce: this prompt was not opened by ShownOnce"));
    }
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let root = doc.document_element().ok_or("no <html>")?;
    if get(&init, "dark").as_bool() == Some(true) {
        root.class_list().add_1("dark")?;
    }
    if doc.get_element_by_id("confirm").is_some() {
        return start_confirm(&doc, &root, &init, port);
    }
    let hint = get_s(&init, "hint").unwrap_or_default();
    root.set_attribute("data-hint", &hint)?;
    root.set_attribute("data-kind", &get_s(&init, "kind").unwrap_or_default())?;
    if let Some(id) = get_s(&init, "secretId") {
        root.set_attribute("data-secret-id", &id)?;
    }
    if let Some(at) = get(&init, "at").as_f64() {
        root.set_attribute("data-detected-at", &format!("{at:.3}"))?;
    }
    root.set_attribute("data-state", "shown")?;
    root.set_attribute("data-collapsed", "false")?;
    by_id::<Element>(&doc, "dialog").ok_or("no #dialog")?;
    set_texts(&doc, &init);
    let mut short = hint.clone();
    short.push('…');
    if let Some(h) = doc.get_element_by_id("hint") {
        h.set_text_content(Some(&short));
    }
    if let Some(p) = doc.get_element_by_id("pill") {
        p.set_text_content(Some(&msg("promptPill", &[&short])));
    }
    let page = Rc::new(Page {
        doc: doc.clone(),
        root,
        port: port.clone(),
        sent: RefCell::new([-1.0; 4]),
        _keep: RefCell::new(Vec::new()),
        _observer: RefCell::new(None),
        names: RefCell::new(Names {
            app: get_s(&init, "app").unwrap_or_default(),
            description: get_s(&init, "description").unwrap_or_default(),
            client_id: get_s(&init, "clientId").unwrap_or_default(),
            tenant_id: get_s(&init, "tenantId").unwrap_or_default(),
            secret_id: get_s(&init, "secretId").unwrap_or_default(),
            template: String::new(),
        }),
    });
    PAGE.with(|p| *p.borrow_mut() = Some(page.clone()));
    bind(&page)?;
    // The user's last store, and whether files go to an age key (settings only).
    let settings = crate::platform::settings().await.unwrap_or_default();
    let store = match settings.default_store {
        StoreKind::EncryptedFile | StoreKind::KeyVault | StoreKind::HashiCorpVault => settings.default_store.as_str(),
        _ => "clipboard",
    };
    // The proposed Key Vault name, and where it goes in Vault / OpenBao (the path from the
    // options' template); both editable.
    page.names.borrow_mut().template = settings.hcvault_path.clone();
    let (kvname, hcpath) = page.names.borrow().proposed();
    if let Some(i) = by_id::<HtmlInputElement>(&doc, "kvname") {
        i.set_value(&kvname);
    }
    if let (Some(path), Some(i)) = (hcpath, by_id::<HtmlInputElement>(&doc, "hcpath")) {
        i.set_value(&path);
    }
    if let Some(m) = doc.get_element_by_id("hcmount") {
        m.set_text_content(Some(&settings.hcvault_mount));
    }
    if let Some(addr) = settings.hcvault_addr.as_deref().and_then(|a| crate::core::openbao::BaoAddr::parse(a).ok()) {
        if let Some(a) = doc.get_element_by_id("hcaddr") {
            a.set_text_content(Some(addr.origin()));
        }
        page.root.set_attribute("data-hc-origin", &addr.permission_pattern())?;
    }
    if settings.hcvault_auth == crate::core::settings::BaoAuth::Userpass {
        page.root.set_attribute("data-hc-userpass", "")?;
        if let (Some(u), Some(i)) = (settings.hcvault_username.as_deref(), by_id::<HtmlInputElement>(&doc, "hcuser")) {
            i.set_value(u);
        }
    }
    if settings.age_recipient.is_some() {
        page.root.set_attribute("data-recipient", "")?;
    }
    if let (Some(v), Some(i)) = (settings.keyvault_vault.as_deref(), by_id::<HtmlInputElement>(&doc, "vault")) {
        i.set_value(v);
    }
    if let Some(s) = by_id::<HtmlSelectElement>(&doc, "store") {
        s.set_value(store);
    }
    show_store(&page, store);
    if let Some(w) = by_id::<HtmlElement>(&doc, "wrap") {
        w.set_hidden(false);
    }
    let (card, pill) = sizes(&page);
    *page.sent.borrow_mut() = [card.0, card.1, pill.0, pill.1];
    let _ = port.post_message(&obj(&[("t", "ready".into()), ("card", size_obj(card)), ("pill", size_obj(pill))]));
    page.root.set_attribute("data-ready", "true")?;
    // When it became interactive, on the clock the content script's `at` uses (the bench's
    // prompt_frame_ms); this document only, the page cannot read it.
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        page.root.set_attribute("data-ready-at", &format!("{:.3}", perf.time_origin() + perf.now()))?;
    }
    Ok(())
}

fn size_obj((w, h): (f64, f64)) -> JsValue {
    obj(&[("w", w.into()), ("h", h.into())])
}

/// Card (full content, also when squeezed or hidden) and reminder sizes.
fn sizes(page: &Page) -> ((f64, f64), (f64, f64)) {
    let measure = |id: &str, full: bool| {
        by_id::<HtmlElement>(&page.doc, id).map_or((0.0, 0.0), |e| {
            let h = if full { f64::from(e.scroll_height()) + 2.0 } else { f64::from(e.offset_height()) };
            (f64::from(e.offset_width()), h)
        })
    };
    (measure("dialog", true), measure("pill", false))
}

/// Sends the sizes when they changed.
fn report_size(page: &Page) {
    let (card, pill) = sizes(page);
    let now = [card.0, card.1, pill.0, pill.1];
    if *page.sent.borrow() == now {
        return;
    }
    *page.sent.borrow_mut() = now;
    let _ = page.port.post_message(&obj(&[("t", "size".into()), ("card", size_obj(card)), ("pill", size_obj(pill))]));
}

fn post(page: &Page, msg: &JsValue) {
    let _ = page.port.post_message(msg);
}

fn store_of(page: &Page) -> String {
    by_id::<HtmlSelectElement>(&page.doc, "store").map(|s| s.value()).unwrap_or_default()
}

fn focus(el: Option<HtmlElement>) {
    if let Some(e) = el {
        let _ = e.focus();
    }
}

/// Asks the browser for the optional host permissions `patterns` (call it inside the user's
/// click or key press: the browser refuses the question otherwise), then sends `msg` to the
/// content script. Granted earlier, the browser answers at once without a dialog; refused,
/// the background says what is missing and nothing is sent to the server.
fn ask_then_post(page: &Page, patterns: Vec<String>, msg: JsValue) {
    let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
    match (!refs.is_empty()).then(|| crate::platform::permissions_request(&crate::platform::origins_of(&refs))) {
        Some(Ok(promise)) => {
            let port = page.port.clone();
            spawn_local(async move {
                let _ = JsFuture::from(promise).await;
                let _ = port.post_message(&msg);
            });
        }
        _ => post(page, &msg),
    }
}

/// Runs the primary button's action for the chosen store.
fn primary(page: &Page) {
    match store_of(page).as_str() {
        "file" => {
            // The passphrase leaves the field at once (the content script wipes its copy).
            let pass = by_id::<HtmlInputElement>(&page.doc, "pass").map(|i| {
                let v = Zeroizing::new(i.value());
                i.set_value("");
                v
            });
            let pass = pass.as_deref().map(String::as_str).unwrap_or("");
            post(page, &obj(&[("t", "save".into()), ("store", "file".into()), ("pass", JsValue::from_str(pass))]));
        }
        "hcvault" => {
            let read = |id: &str| by_id::<HtmlInputElement>(&page.doc, id).map(|i| i.value().trim().to_owned()).unwrap_or_default();
            // The password leaves the field at once, like the file passphrase.
            let password = by_id::<HtmlInputElement>(&page.doc, "hcpass").map(|i| {
                let v = Zeroizing::new(i.value());
                i.set_value("");
                v
            });
            let new_version = page.root.get_attribute("data-confirm").as_deref() == Some("version");
            let msg = obj(&[
                ("t", "save".into()),
                ("store", "hcvault".into()),
                ("path", JsValue::from_str(&read("hcpath"))),
                ("user", JsValue::from_str(&read("hcuser"))),
                ("password", JsValue::from_str(password.as_deref().map(String::as_str).unwrap_or(""))),
                ("newVersion", new_version.into()),
            ]);
            // The server's origin is an optional host permission: asked here, inside the
            // click (a user gesture), if the options did not get it yet.
            ask_then_post(page, page.root.get_attribute("data-hc-origin").into_iter().collect(), msg);
        }
        "keyvault" => {
            let read = |id: &str| by_id::<HtmlInputElement>(&page.doc, id).map(|i| i.value().trim().to_owned()).unwrap_or_default();
            let new_version = page.root.get_attribute("data-confirm").as_deref() == Some("version");
            let msg = obj(&[
                ("t", "save".into()),
                ("store", "keyvault".into()),
                ("vault", JsValue::from_str(&read("vault"))),
                ("name", JsValue::from_str(&read("kvname"))),
                ("newVersion", new_version.into()),
            ]);
            // The vault and its sign-in authority are optional host permissions: asked here,
            // inside the user's click, for this vault only (answered at once when granted).
            let vault = crate::core::keyvault::VaultUrl::parse(&read("vault"), crate::core::keyvault::Cloud::Public).ok();
            ask_then_post(page, vault.map(|v| v.permission_patterns().to_vec()).unwrap_or_default(), msg);
        }
        _ => post(page, &obj(&[("t", "copy".into())])),
    }
}

/// Collapses to the reminder or expands the card; tells the content script (it lays out
/// the frames again and, on expand, collapses the others).
fn collapse(page: &Page, yes: bool, tell: bool) {
    let Some(wrap) = page.doc.get_element_by_id("wrap") else { return };
    let _ = wrap.class_list().toggle_with_force("collapsed", yes);
    let _ = page.root.set_attribute("data-collapsed", if yes { "true" } else { "false" });
    if tell {
        post(page, &obj(&[("t", "toggle".into()), ("v", yes.into())]));
        focus(by_id(&page.doc, if yes { "pill" } else { "primary" }));
    }
}

/// Shows the chosen store: button text, passphrase field (file store without an age key in
/// the options), Key Vault fields.
fn show_store(page: &Page, store: &str) {
    let store = match store {
        "file" | "keyvault" | "hcvault" => store,
        _ => "clipboard",
    };
    let _ = page.root.set_attribute("data-store", store);
    let _ = page.root.remove_attribute("data-confirm");
    if let Some(b) = page.doc.get_element_by_id("primary") {
        b.set_text_content(Some(&match store {
            "file" => msg("promptSaveFile", &[]),
            "keyvault" => msg("promptSaveKeyVault", &[]),
            "hcvault" => msg("promptSaveVault", &[]),
            _ => msg("promptCopy", &[]),
        }));
    }
    let userpass = page.root.has_attribute("data-hc-userpass");
    if let Ok(rows) = page.doc.query_selector_all(".hcv") {
        for i in 0..rows.length() {
            if let Some(r) = rows.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
                let up_only = r.class_list().contains("hcv-up");
                r.set_hidden(store != "hcvault" || (up_only && !userpass));
            }
        }
    }
    let need_pass = store == "file" && !page.root.has_attribute("data-recipient");
    if let Some(r) = by_id::<HtmlElement>(&page.doc, "pass-row") {
        r.set_hidden(!need_pass);
    }
    if let Ok(rows) = page.doc.query_selector_all(".kv") {
        for i in 0..rows.length() {
            if let Some(r) = rows.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
                r.set_hidden(store != "keyvault");
            }
        }
    }
}

fn busy(page: &Page, yes: bool) {
    // "Stop retrying" shows only while a retry waits (see `progress`), never past the run.
    // Hiding it while it has the focus drops the focus (Firefox only at its next focus
    // fix-up, so `activeElement` below would still name it): remember that here.
    let mut dropped = false;
    if let Some(stop) = by_id::<HtmlElement>(&page.doc, "stop") {
        dropped = page.doc.active_element().is_some_and(|a| a == *stop.as_ref());
        stop.set_hidden(true);
    }
    if let Ok(list) = page.doc.query_selector_all("button, select, input") {
        for i in 0..list.length() {
            if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                let _ = if yes { e.set_attribute("disabled", "") } else { e.remove_attribute("disabled") };
            }
        }
    }
    let _ = page.root.set_attribute("data-busy", if yes { "true" } else { "false" });
    // Disabling the focused button dropped focus: give it back for the retry.
    if !yes && ((dropped && page.doc.has_focus().unwrap_or(false)) || focus_dropped(page)) {
        focus(by_id(&page.doc, "primary"));
    }
}

/// The prompt has the focus but no control holds it (a button it was on was disabled or
/// hidden): the next control to take it is ours to choose.
fn focus_dropped(page: &Page) -> bool {
    page.doc.active_element().is_none_or(|a| a.tag_name() == "BODY") && page.doc.has_focus().unwrap_or(false)
}

/// A message from the content script.
fn on_port(page: &Page, data: &JsValue) {
    match get_s(data, "t").as_deref() {
        Some("state") => {
            let ok = get(data, "ok").as_bool() != Some(false);
            if let Some(state) = get_s(data, "state") {
                let _ = page.root.set_attribute("data-state", &state);
                // Saved, or saved elsewhere: nothing left to do here but close.
                let done = state == "saved" || state == "confirmed";
                if let Some(c) = by_id::<HtmlElement>(&page.doc, "close") {
                    c.set_hidden(!done);
                    if done && page.doc.has_focus().unwrap_or(false) {
                        let _ = c.focus();
                    }
                }
            }
            if let Some(s) = page.doc.get_element_by_id("status") {
                s.set_class_name(if ok { "status ok" } else { "status err" });
                s.set_text_content(get_s(data, "message").as_deref());
            }
        }
        Some("busy") => busy(page, get(data, "v").as_bool() == Some(true)),
        Some("ctx") => on_context(page, data),
        // A save under way says why it waits (a late one, after the run ended, is dropped).
        Some("progress") if page.root.get_attribute("data-busy").as_deref() == Some("true") => {
            if let Some(s) = page.doc.get_element_by_id("status") {
                s.set_class_name("status");
                s.set_text_content(get_s(data, "message").as_deref());
            }
            // A retry waits: the user may stop it (the focus goes there if the disabled
            // button it was on dropped it, so Enter stops it).
            if get(data, "stoppable").as_bool() == Some(true) {
                if let Some(stop) = by_id::<HtmlElement>(&page.doc, "stop") {
                    let _ = stop.remove_attribute("disabled");
                    stop.set_hidden(false);
                    if focus_dropped(page) {
                        let _ = stop.focus();
                    }
                }
            }
        }
        Some("finished") => {
            let runs = page.root.get_attribute("data-runs").and_then(|r| r.parse::<u32>().ok()).unwrap_or(0);
            let _ = page.root.set_attribute("data-outcome", &get_s(data, "outcome").unwrap_or_default());
            let _ = page.root.set_attribute("data-runs", &(runs + 1).to_string());
        }
        Some("ask") => match get_s(data, "what").as_deref() {
            Some("version") => {
                let _ = page.root.set_attribute("data-confirm", "version");
                if let Some(b) = by_id::<HtmlElement>(&page.doc, "primary") {
                    b.set_text_content(Some(&msg("promptAddVersion", &[])));
                    let _ = b.focus();
                }
            }
            Some("passphrase") => {
                if let Some(r) = by_id::<HtmlElement>(&page.doc, "pass-row") {
                    r.set_hidden(false);
                }
                focus(by_id(&page.doc, "pass"));
            }
            _ => {}
        },
        Some("collapse") => collapse(page, get(data, "v").as_bool() == Some(true), false),
        Some("focus") => {
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
            }
            let collapsed = page.root.get_attribute("data-collapsed").as_deref() == Some("true");
            let need_pass = store_of(page) == "file" && !page.root.has_attribute("data-recipient");
            focus(by_id(
                &page.doc,
                if collapsed {
                    "pill"
                } else if need_pass {
                    "pass"
                } else {
                    "primary"
                },
            ));
        }
        // The value, for the clipboard only (the user pressed Copy); dropped right after.
        Some("value") => {
            let value = get(data, "v").as_string().map(Zeroizing::new);
            let Some(value) = value else {
                on_port(page, &obj(&[("t", "state".into()), ("state", "shown".into()), ("ok", false.into()), ("message", msg("promptValueGone", &[]).into())]));
                return;
            };
            let Some(win) = web_sys::window() else { return };
            let promise = win.navigator().clipboard().write_text(&value);
            drop(value);
            let port = page.port.clone();
            spawn_local(async move {
                let ok = JsFuture::from(promise).await.is_ok();
                let _ = port.post_message(&obj(&[("t", "copied".into()), ("ok", ok.into())]));
            });
        }
        _ => {}
    }
}

fn bind(page: &Rc<Page>) -> Result<(), JsValue> {
    let doc = &page.doc;
    let mut keep = Vec::new();
    let el = |id: &str| -> Result<Element, JsValue> { doc.get_element_by_id(id).ok_or_else(|| JsValue::from_str(id)) };
    let p = page.clone();
    keep.push(trusted(el("primary")?.as_ref(), "click", move |_| primary(&p)));
    let p = page.clone();
    keep.push(trusted(el("elsewhere")?.as_ref(), "click", move |_| post(&p, &obj(&[("t", "elsewhere".into())]))));
    let p = page.clone();
    keep.push(trusted(el("hide")?.as_ref(), "click", move |_| collapse(&p, true, true)));
    let p = page.clone();
    keep.push(trusted(el("pill")?.as_ref(), "click", move |_| collapse(&p, false, true)));
    let p = page.clone();
    keep.push(trusted(el("close")?.as_ref(), "click", move |_| post(&p, &obj(&[("t", "close".into())]))));
    let p = page.clone();
    keep.push(trusted(el("stop")?.as_ref(), "click", move |_| {
        if let Some(stop) = by_id::<HtmlElement>(&p.doc, "stop") {
            let _ = stop.set_attribute("disabled", "");
        }
        post(&p, &obj(&[("t", "cancel".into())]));
    }));
    let p = page.clone();
    keep.push(trusted(el("store")?.as_ref(), "change", move |_| {
        let s = store_of(&p);
        show_store(&p, &s);
    }));
    for id in ["pass", "vault", "kvname", "hcpath", "hcuser", "hcpass"] {
        let p = page.clone();
        keep.push(trusted(el(id)?.as_ref(), "keydown", move |e| {
            if e.unchecked_ref::<KeyboardEvent>().key() == "Enter" {
                e.prevent_default();
                primary(&p);
            }
        }));
    }
    for id in ["vault", "kvname", "hcpath"] {
        let p = page.clone();
        // Any edit takes back a pending "add a new version?" question.
        keep.push(trusted(el(id)?.as_ref(), "input", move |e| {
            if p.root.has_attribute("data-confirm") {
                let _ = p.root.remove_attribute("data-confirm");
                if let Some(b) = p.doc.get_element_by_id("primary") {
                    b.set_text_content(Some(&if store_of(&p) == "hcvault" { msg("promptSaveVault", &[]) } else { msg("promptSaveKeyVault", &[]) }));
                }
            }
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                if i.id() == "kvname" {
                    let bad = validate_secret_name(i.value().trim()).is_err();
                    let _ = i.set_attribute("aria-invalid", if bad { "true" } else { "false" });
                }
            }
        }));
    }
    let p = page.clone();
    keep.push(trusted(doc, "keydown", move |e| {
        let k = e.unchecked_ref::<KeyboardEvent>();
        if k.key() == "Escape" {
            e.prevent_default();
            collapse(&p, true, true);
        } else if k.key() == "Tab" && p.root.get_attribute("data-collapsed").is_none_or(|c| c != "true") {
            // The card is an alertdialog: Tab cycles through its controls (Esc leaves it).
            cycle_focus(&p.doc, "#dialog", e);
        }
    }));
    let p = page.clone();
    keep.push(EventListener::new(&page.port, "message", move |e| on_port(&p, &e.unchecked_ref::<MessageEvent>().data())));
    page.port.start();
    // Any change of the card's or the reminder's size: the content script resizes the frame.
    let p = page.clone();
    let cb = Closure::<dyn FnMut()>::new(move || report_size(&p));
    let observer = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref())?;
    cb.forget();
    for id in ["dialog", "pill"] {
        observer.observe(&el(id)?);
    }
    *page._observer.borrow_mut() = Some(observer);
    page._keep.borrow_mut().extend(keep);
    Ok(())
}

/// Tab on the last control of `scope` goes to the first, Shift+Tab on the first to the last.
fn cycle_focus(doc: &Document, scope: &str, e: &web_sys::Event) {
    let sel = [scope, " button:not([hidden]):not([disabled]), ", scope, " input:not([disabled]), ", scope, " select:not([disabled])"].concat();
    let Ok(list) = doc.query_selector_all(&sel) else { return };
    // Only what is rendered (a hidden row's field is in the list too).
    let items: Vec<HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()))
        .filter(|el| el.offset_width() > 0 || el.offset_height() > 0)
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
    let active = doc.active_element();
    let back = e.unchecked_ref::<KeyboardEvent>().shift_key();
    let edge = if back { first } else { last };
    let inside = active.as_ref().is_some_and(|a| items.iter().any(|i| i.unchecked_ref::<Element>() == a));
    if !inside || active.as_ref().is_some_and(|a| a == edge.unchecked_ref::<Element>()) {
        e.prevent_default();
        let _ = if back { last.focus() } else { first.focus() };
    }
}

/// confirm.html: "This secret is not saved" with Stay and save / Leave anyway (Esc stays).
/// The content script focuses the frame once it says "ready"; the answer goes back on the port.
fn start_confirm(doc: &Document, root: &Element, init: &JsValue, port: MessagePort) -> Result<(), JsValue> {
    let many = get(init, "unsaved").as_f64().unwrap_or(1.0) > 1.0;
    let body = if many { msg("confirmBodyMany", &[]) } else { msg("confirmBodyOne", &[]) };
    if let Some(b) = doc.get_element_by_id("confirm-body") {
        b.set_text_content(Some(&body));
    }
    let answer = |v: &'static str, port: &MessagePort| {
        let port = port.clone();
        move |_: &web_sys::Event| {
            let _ = port.post_message(&obj(&[("t", "choice".into()), ("v", v.into())]));
        }
    };
    let el = |id: &str| -> Result<Element, JsValue> { doc.get_element_by_id(id).ok_or_else(|| JsValue::from_str(id)) };
    let mut keep = vec![trusted(el("stay")?.as_ref(), "click", answer("stay", &port)), trusted(el("leave")?.as_ref(), "click", answer("leave", &port))];
    let stay = answer("stay", &port);
    let d = doc.clone();
    keep.push(trusted(doc, "keydown", move |e| {
        match e.unchecked_ref::<KeyboardEvent>().key().as_str() {
            "Escape" => {
                e.prevent_default();
                stay(e);
            }
            // A modal question: Tab stays on its two buttons.
            "Tab" => cycle_focus(&d, "#wrap", e),
            _ => {}
        }
    }));
    let d = doc.clone();
    keep.push(EventListener::new(&port, "message", move |e| {
        if get_s(&e.unchecked_ref::<MessageEvent>().data(), "t").as_deref() == Some("focus") {
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
            }
            focus(by_id(&d, "stay"));
        }
    }));
    port.start();
    for l in keep {
        l.forget(); // this document shows one confirmation and goes with it
    }
    if let Some(w) = by_id::<HtmlElement>(doc, "wrap") {
        w.set_hidden(false);
    }
    root.set_attribute("data-ready", "true")?;
    let _ = port.post_message(&obj(&[("t", "ready".into())]));
    Ok(())
}
