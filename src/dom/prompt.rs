//! The save prompt: a `<shownonce-prompt>` host on `<html>` with a closed shadow root, so the
//! page's scripts cannot reach into it and its CSS cannot restyle it (host styles are inline
//! `!important`, which beats any author rule). It never contains the secret value: only the
//! 3-character hint. Every handler ignores untrusted (script-made) events.
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, KeyboardEvent, ShadowRoot, ShadowRootInit, ShadowRootMode};

use crate::core::detect::Detection;
use crate::core::layout::{Place, Size, Span};

/// What the user asked for in the prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Copy the value to the clipboard (our own button).
    Copy,
    /// Save into an encrypted file (the passphrase, if any, is read with [`Prompt::take_passphrase`]).
    SaveFile,
    /// Save into Azure Key Vault (vault and name from [`Prompt::key_vault_fields`]).
    SaveKeyVault,
    /// "I saved it elsewhere": an explicit, deliberate confirmation.
    SavedElsewhere,
}

const HOST_STYLE: &str = "all: initial !important; position: fixed !important; \
z-index: 2147483647 !important; \
display: block !important; visibility: visible !important; opacity: 1 !important;";


/// Asks the frame to lay its prompts out again (they grew, shrank, collapsed or expanded);
/// `true` when the user just expanded this prompt, so the frame collapses the others. The
/// frame runs it later, never inside the caller (which may hold the frame's state).
pub type Relayout = Rc<dyn Fn(bool)>;

const CSS: &str = r#"
:host { all: initial; }
.card { box-sizing: border-box; width: 380px; max-width: calc(100vw - 32px);
  font: 14px/20px "Segoe UI", "Segoe UI Web (West European)", -apple-system, system-ui, Roboto, sans-serif;
  color: #323130; background: #fff; border: 1px solid #edebe9; border-left: 4px solid #0078d4;
  border-radius: 4px; box-shadow: 0 6.4px 14.4px rgba(0,0,0,.13), 0 1.2px 3.6px rgba(0,0,0,.11);
  padding: 14px 16px 12px; max-height: var(--so-max-height, calc(100vh - 32px)); overflow: auto; }
.dark .card { color: #f3f2f1; background: #252423; border-color: #3b3a39; border-left-color: #2899f5; }
h2 { margin: 0 0 6px; font-size: 15px; font-weight: 600; display: flex; gap: 8px; align-items: center; }
.meta { margin: 0 0 8px; color: #605e5c; overflow-wrap: anywhere; }
.dark .meta { color: #c8c6c4; }
.hint { font-family: Consolas, "Courier New", monospace; background: #f3f2f1; padding: 0 4px; border-radius: 2px; }
.dark .hint { background: #3b3a39; }
.row { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; }
button { font: inherit; font-weight: 600; min-height: 32px; padding: 0 14px; border-radius: 2px; cursor: pointer;
  border: 1px solid #8a8886; background: #fff; color: #323130; }
.dark button { background: #252423; color: #f3f2f1; border-color: #8a8886; }
button.primary { background: #0078d4; border-color: #0078d4; color: #fff; }
button.primary:hover { background: #106ebe; } button:hover { background: #f3f2f1; }
.dark button:hover { background: #3b3a39; } .dark button.primary:hover { background: #1890f1; }
button:focus-visible { outline: 2px solid #605e5c; outline-offset: 1px; }
button.link { border: none; background: none; color: #0078d4; padding: 0 4px; font-weight: 400; }
.dark button.link { color: #2899f5; background: none; }
.status { margin-top: 8px; }
.status:empty { display: none; }
.pick { align-items: center; margin-top: 6px; }
.pick label, .pass label, .kv label { font-weight: 600; }
select, input { font: inherit; min-height: 30px; border: 1px solid #8a8886; border-radius: 2px; background: #fff; color: #323130; padding: 0 6px; }
.dark select, .dark input { background: #1b1a19; color: #f3f2f1; }
.pass, .kv { flex-direction: column; gap: 4px; }
input[aria-invalid="true"] { border-color: #a4262c; }
[hidden] { display: none !important; }
.status.ok { color: #107c10; } .status.err { color: #a4262c; }
.dark .status.ok { color: #92c353; } .dark .status.err { color: #f1707b; }
.pill { display: none; }
.collapsed .card { display: none; }
.collapsed .pill { display: inline-flex; gap: 6px; align-items: center; font: 600 13px "Segoe UI", system-ui, sans-serif;
  background: #0078d4; color: #fff; border: none; border-radius: 16px; padding: 6px 14px; min-height: 0;
  box-shadow: 0 1.6px 3.6px rgba(0,0,0,.2); }
.logo { width: 16px; height: 16px; border-radius: 4px; background: #0078d4; display: inline-block; position: relative; }
.logo::after { content: ""; position: absolute; inset: 4px; border-radius: 50%; background: #fff; }
"#;

/// A shown prompt. Dropping it removes it from the page.
#[must_use = "the prompt is removed when dropped"]
pub struct Prompt {
    host: Element,
    root: ShadowRoot,
    /// The card and the reminder ("pill"); `collapsed` on it shows the reminder only.
    wrap: Element,
    /// The secret's row: no prompt of the frame may cover it (see `core::layout`).
    anchor: Option<Element>,
    relayout: Relayout,
    _listeners: Vec<EventListener>,
}

fn el(doc: &Document, tag: &str, class: &str, text: &str) -> Result<Element, JsValue> {
    let e = doc.create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    Ok(e)
}

/// Whether the page looks dark (portal dark theme): the body's background luminance.
fn page_is_dark(doc: &Document) -> bool {
    let Some(body) = doc.body() else { return false };
    let Some(win) = doc.default_view() else { return false };
    let Ok(Some(style)) = win.get_computed_style(&body) else { return false };
    let bg = style.get_property_value("background-color").unwrap_or_default();
    // "rgb(r, g, b)" or "rgba(r, g, b, a)"; integers only (float parsing costs ~20 KB of wasm).
    let mut nums = bg
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .split([',', ')'])
        .map(|s| s.trim().parse::<u32>().ok());
    let (Some(Some(r)), Some(Some(g)), Some(Some(b))) = (nums.next(), nums.next(), nums.next()) else { return false };
    // A transparent body ("rgba(0, 0, 0, 0)") is not dark: its alpha is not an integer 1.
    let transparent = bg.starts_with("rgba") && !bg.trim_end_matches(')').ends_with(" 1");
    !transparent && 2126 * r + 7152 * g + 722 * b < 1_000_000
}

/// The expiry written out ("3 April 2027") when its text alone reads two ways, as understood
/// by the page's regional format; `None` when it is unambiguous or not a date.
fn understood_date(doc: &Document, shown: &str) -> Option<String> {
    let e = crate::core::date::parse_expiry(shown, &crate::dom::frame::page_locale(doc))?;
    e.ambiguous.then(|| e.date.written_out())
}

/// The prompt's accessible name and description, from what the page showed.
fn texts(doc: &Document, d: &Detection) -> (String, String) {
    let mut name = String::from("ShownOnce: save the new client secret");
    if let Some(app) = d.app_name.as_deref().or(d.app_id.as_deref()) {
        name.push_str(" of ");
        name.push_str(app);
    }
    let mut desc = String::new();
    if let Some(x) = &d.description {
        desc.push_str("Description: ");
        desc.push_str(x);
        desc.push_str(". ");
    }
    if let Some(x) = &d.expires {
        desc.push_str("Expires: ");
        desc.push_str(x);
        if let Some(written) = understood_date(doc, x) {
            desc.push_str(" (");
            desc.push_str(&written);
            desc.push(')');
        }
        desc.push_str(". ");
    }
    desc.push_str("Value starting ");
    desc.push_str(&d.hint);
    desc.push_str(" is shown only once and never again after you leave this page.");
    (name, desc)
}

fn on_trusted(target: &web_sys::EventTarget, kind: &'static str, f: impl Fn(&Event) + 'static) -> EventListener {
    EventListener::new(target, kind, move |e| {
        if e.is_trusted() {
            f(e)
        }
    })
}

impl Prompt {
    /// Shows the prompt for `d` in `doc`. `on_action` receives the user's (trusted) choices.
    /// `relayout` is how it asks the frame to place the frame's prompts again.
    pub fn show(doc: &Document, d: &Detection, anchor: Option<&Element>, on_action: Rc<dyn Fn(Action)>, relayout: Relayout) -> Result<Prompt, JsValue> {
        let host = doc.create_element("shownonce-prompt")?;
        let (name, desc) = texts(doc, d);
        host.set_attribute("role", "alertdialog")?;
        host.set_attribute("aria-label", &name)?;
        host.set_attribute("aria-description", &desc)?;
        host.set_attribute("style", &[HOST_STYLE, " bottom: 16px !important; right: 16px !important;"].concat())?;
        // Fingerprint parts only (the page shows them itself): lets tests and the popup match.
        host.set_attribute("data-hint", &d.hint)?;
        host.set_attribute("data-kind", d.kind.as_str())?;
        if let Some(id) = &d.secret_id {
            host.set_attribute("data-secret-id", id)?;
        }
        host.set_attribute("data-state", "shown")?;
        let init = ShadowRootInit::new(ShadowRootMode::Closed);
        let root = host.attach_shadow(&init)?;

        let style = el(doc, "style", "", CSS)?;
        let wrap = el(doc, "div", if page_is_dark(doc) { "dark" } else { "" }, "")?;
        let card = el(doc, "div", "card", "")?;
        let h2 = el(doc, "h2", "", "")?;
        let logo = el(doc, "span", "logo", "")?;
        h2.append_child(&logo)?;
        let title = el(doc, "span", "", "Save this client secret now")?;
        h2.append_child(&title)?;
        card.append_child(&h2)?;

        let mut meta = String::new();
        for part in [d.app_name.as_deref().or(d.app_id.as_deref()), d.description.as_deref()].into_iter().flatten() {
            if !meta.is_empty() {
                meta.push_str(" · ");
            }
            meta.push_str(part);
        }
        if let Some(x) = &d.expires {
            meta.push_str(if meta.is_empty() { "Expires " } else { " · expires " });
            meta.push_str(x);
            // `3/4/2027` reads two ways: say which date goes into a store.
            if let Some(written) = understood_date(doc, x) {
                meta.push_str(" (");
                meta.push_str(&written);
                meta.push(')');
            }
        }
        if !meta.is_empty() {
            let m = el(doc, "p", "meta", &meta)?;
            card.append_child(&m)?;
        }
        let p = el(doc, "p", "meta", "")?;
        p.append_child(&doc.create_text_node("The value "))?;
        let mut hint = d.hint.clone();
        hint.push('…');
        let h = el(doc, "span", "hint", &hint)?;
        p.append_child(&h)?;
        p.append_child(&doc.create_text_node(" is shown only once. Save it before you leave this page."))?;
        card.append_child(&p)?;

        // Where to save: the user's last choice is preselected once the settings arrive.
        let pick = el(doc, "div", "row pick", "")?;
        let label = el(doc, "label", "", "Save to")?;
        label.set_attribute("for", "so-store")?;
        let select = el(doc, "select", "", "")?;
        select.set_id("so-store");
        for (v, t) in [("clipboard", "Clipboard (cleared after a delay)"), ("file", "Encrypted file (age)…"), ("keyvault", "Azure Key Vault…")] {
            let o = el(doc, "option", "", t)?;
            o.set_attribute("value", v)?;
            select.append_child(&o)?;
        }
        pick.append_child(&label)?;
        pick.append_child(&select)?;
        card.append_child(&pick)?;
        let pass_row = el(doc, "div", "row pass", "")?;
        let pass_label = el(doc, "label", "", "Passphrase for the file")?;
        pass_label.set_attribute("for", "so-pass")?;
        let pass = el(doc, "input", "", "")?;
        pass.set_id("so-pass");
        pass.set_attribute("type", "password")?;
        pass.set_attribute("autocomplete", "new-password")?;
        pass_row.append_child(&pass_label)?;
        pass_row.append_child(&pass)?;
        pass_row.set_attribute("hidden", "")?;
        card.append_child(&pass_row)?;
        // Key Vault: the vault (the options' one by default) and the secret's name, derived
        // from the app and description and editable (Key Vault's rules are checked as typed).
        let mut kv_inputs = Vec::new();
        for (id, text, value) in [
            ("so-vault", "Vault name or URL", String::new()),
            ("so-kvname", "Secret name in the vault", crate::core::keyvault::derive_secret_name(d.app_name.as_deref().or(d.app_id.as_deref()).unwrap_or(""), d.description.as_deref().unwrap_or(""))),
        ] {
            let row = el(doc, "div", "row kv", "")?;
            let l = el(doc, "label", "", text)?;
            l.set_attribute("for", id)?;
            let i = el(doc, "input", "", "")?;
            i.set_id(id);
            i.set_attribute("type", "text")?;
            i.set_attribute("spellcheck", "false")?;
            i.set_attribute("autocomplete", "off")?;
            i.unchecked_ref::<web_sys::HtmlInputElement>().set_value(&value);
            row.append_child(&l)?;
            row.append_child(&i)?;
            row.set_attribute("hidden", "")?;
            card.append_child(&row)?;
            kv_inputs.push(i);
        }

        let row = el(doc, "div", "row", "")?;
        let copy = el(doc, "button", "primary", "Copy secret")?;
        copy.set_attribute("type", "button")?;
        let elsewhere = el(doc, "button", "", "I saved it elsewhere")?;
        elsewhere.set_attribute("type", "button")?;
        let later = el(doc, "button", "link", "Hide")?;
        later.set_attribute("type", "button")?;
        later.set_attribute("aria-label", "Collapse to a reminder (the warning stays on)")?;
        row.append_child(&copy)?;
        row.append_child(&elsewhere)?;
        row.append_child(&later)?;
        card.append_child(&row)?;
        let status = el(doc, "div", "status", "")?;
        status.set_attribute("role", "status")?;
        status.set_attribute("aria-live", "polite")?;
        card.append_child(&status)?;

        let pill = el(doc, "button", "pill", "")?;
        pill.set_attribute("type", "button")?;
        let mut pill_text = String::from("Unsaved secret ");
        pill_text.push_str(&hint);
        pill.set_text_content(Some(&pill_text));

        wrap.append_child(&card)?;
        wrap.append_child(&pill)?;
        root.append_child(&style)?;
        root.append_child(&wrap)?;

        let mut listeners = Vec::new();
        let act = on_action.clone();
        let sel = select.clone();
        listeners.push(on_trusted(&copy, "click", move |_| act(action_for(&sel.unchecked_ref::<web_sys::HtmlSelectElement>().value()))));
        for i in &kv_inputs {
            let act = on_action.clone();
            listeners.push(on_trusted(i, "keydown", move |e| {
                if e.unchecked_ref::<KeyboardEvent>().key() == "Enter" {
                    e.prevent_default();
                    act(Action::SaveKeyVault);
                }
            }));
            // Any edit cancels a pending "add a new version?" question.
            let (h, b) = (host.clone(), copy.clone());
            listeners.push(on_trusted(i, "input", move |e| {
                if h.has_attribute("data-confirm") {
                    let _ = h.remove_attribute("data-confirm");
                    b.set_text_content(Some("Save to Key Vault"));
                }
                if let Some(t) = e.target() {
                    let i = t.unchecked_into::<web_sys::HtmlInputElement>();
                    if i.id() == "so-kvname" {
                        let bad = crate::core::keyvault::validate_secret_name(i.value().trim()).is_err();
                        let _ = i.set_attribute("aria-invalid", if bad { "true" } else { "false" });
                    }
                }
            }));
        }
        let act2 = on_action.clone();
        listeners.push(on_trusted(&pass, "keydown", move |e| {
            if e.unchecked_ref::<KeyboardEvent>().key() == "Enter" {
                e.prevent_default();
                act2(Action::SaveFile);
            }
        }));
        let (h, r, b, re) = (host.clone(), root.clone(), copy.clone(), relayout.clone());
        listeners.push(on_trusted(&select, "change", move |e| {
            let v = e.target().map(|t| t.unchecked_into::<web_sys::HtmlSelectElement>().value()).unwrap_or_default();
            show_store(&h, &r, &b, &v, false);
            re(false);
        }));
        let act = on_action;
        listeners.push(on_trusted(&elsewhere, "click", move |_| act(Action::SavedElsewhere)));
        let (w, pl, re) = (wrap.clone(), pill.clone(), relayout.clone());
        listeners.push(on_trusted(&later, "click", move |_| {
            collapse(&w, true, &pl);
            re(false);
        }));
        let (w, c, re) = (wrap.clone(), copy.clone(), relayout.clone());
        listeners.push(on_trusted(&pill, "click", move |_| {
            collapse(&w, false, &c);
            re(true);
        }));
        let (w, pl, re) = (wrap.clone(), pill.clone(), relayout.clone());
        listeners.push(on_trusted(&root, "keydown", move |e| {
            if e.unchecked_ref::<KeyboardEvent>().key() == "Escape" {
                e.prevent_default();
                collapse(&w, true, &pl);
                re(false);
            }
        }));

        doc.document_element().ok_or("no <html>")?.append_child(&host)?;
        // Epoch milliseconds, comparable across frames (the benchmarks read it).
        if let Some(perf) = doc.default_view().and_then(|w| w.performance()) {
            let now = perf.time_origin() + perf.now();
            host.set_attribute("data-detected-at", &epoch_ms(now))?;
        }
        // Take focus only when the user is not typing somewhere (never steal keystrokes).
        let typing = doc.active_element().is_some_and(|a| {
            let t = a.tag_name();
            // Also in another of our prompts: the user is busy with that secret.
            t == "INPUT" || t == "TEXTAREA" || t == "SELECT" || t == "SHOWNONCE-PROMPT" || a.has_attribute("contenteditable")
        });
        if !typing {
            let _ = copy.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
        Ok(Prompt { host, root, wrap, anchor: anchor.cloned(), relayout, _listeners: listeners })
    }

    /// Shows the secret's state on the prompt (and on the host, for tests and the popup).
    pub fn set_state(&self, state: &str, message: &str, ok: bool) {
        let _ = self.host.set_attribute("data-state", state);
        if let Ok(Some(s)) = self.root.query_selector(".status") {
            s.set_class_name(if ok { "status ok" } else { "status err" });
            s.set_text_content(Some(message));
        }
        self.reposition();
    }

    /// Asks the frame to place its prompts again for this one's current height (it grew or
    /// shrank), so that all of it, the message included, stays inside the frame's viewport.
    pub fn reposition(&self) {
        (self.relayout)(false);
    }

    /// The secret's row as it is now on the page (`None` once the portal re-rendered it away).
    pub fn row_span(&self) -> Option<Span> {
        let r = self.anchor.as_ref().filter(|r| r.is_connected())?.get_bounding_client_rect();
        Some(Span { top: r.top(), bottom: r.bottom() })
    }

    /// Whether the secret's row is still on the page.
    pub fn has_row(&self) -> bool {
        self.anchor.as_ref().is_some_and(|r| r.is_connected())
    }

    /// The secret's row again, after the portal re-rendered the old one away.
    pub fn set_row(&mut self, row: Element) {
        self.anchor = Some(row);
    }

    /// Whether only the reminder shows.
    pub fn collapsed(&self) -> bool {
        self.wrap.class_list().contains("collapsed")
    }

    /// Collapses or expands without moving focus (the frame doing it to the other prompts).
    pub fn set_collapsed(&self, yes: bool) {
        let _ = self.wrap.class_list().toggle_with_force("collapsed", yes);
    }

    /// Whether the user is in this prompt (focus inside it) or a store is running from it:
    /// the frame then leaves it as it is.
    pub fn in_use(&self) -> bool {
        let focused = self.host.owner_document().and_then(|d| d.active_element()).is_some_and(|a| a == self.host);
        focused || self.host.get_attribute("aria-busy").as_deref() == Some("true")
    }

    /// Places the prompt (fixed to the frame's viewport). A squeezed card scrolls inside: its
    /// height limit goes in through a custom property, which the page's `all: initial` cannot
    /// reset and an inline `!important` keeps from the page's own rules.
    pub fn place(&self, at: Place) {
        let px = |v: f64| {
            let mut s = (v.max(0.0) as u32).to_string();
            s.push_str("px !important;");
            s
        };
        let mut style = [HOST_STYLE, " top: ", &px(at.top), " right: ", &px(at.right)].concat();
        if let Some(m) = at.max_height {
            style.push_str(" --so-max-height: ");
            style.push_str(&px(m));
        }
        let _ = self.host.set_attribute("style", &style);
    }

    /// The prompt's full size (a squeezed card's whole content), card or reminder.
    pub fn size(&self) -> Size {
        let r = self.host.get_bounding_client_rect();
        let mut height = r.height();
        if !self.collapsed() {
            if let Ok(Some(card)) = self.root.query_selector(".card") {
                // The content's height plus the card's 1 px top and bottom borders.
                height = height.max(f64::from(card.scroll_height()) + 2.0);
            }
        }
        Size { height, width: r.width() }
    }
}

/// `1700000000000.123` without float formatting (~15 KB of wasm) and without an f64→u64
/// cast (its `i64.trunc_sat` breaks the wasm2js copy): digits by f64 arithmetic.
fn epoch_ms(ms: f64) -> String {
    let whole = ms.floor();
    let mut digits = Vec::new();
    let mut x = whole;
    while x >= 1.0 && digits.len() < 20 {
        digits.push(b'0' + (x % 10.0) as u8);
        x = (x / 10.0).floor();
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    let frac = ((ms - whole) * 1000.0) as u32 % 1000;
    digits.push(b'.');
    digits.extend_from_slice(&[b'0' + (frac / 100) as u8, b'0' + (frac / 10 % 10) as u8, b'0' + (frac % 10) as u8]);
    String::from_utf8(digits).unwrap_or_default()
}

fn action_for(store: &str) -> Action {
    match store {
        "file" => Action::SaveFile,
        "keyvault" => Action::SaveKeyVault,
        _ => Action::Copy,
    }
}

fn collapse(wrap: &Element, yes: bool, focus_after: &Element) {
    let _ = wrap.class_list().toggle_with_force("collapsed", yes);
    let _ = focus_after.unchecked_ref::<web_sys::HtmlElement>().focus();
}

/// Shows the chosen store in the prompt: button text, passphrase field (file store without a
/// recipient in the options), and `data-store` on the host.
fn show_store(host: &Element, root: &ShadowRoot, button: &Element, store: &str, has_recipient: bool) {
    let store = match store {
        "file" | "keyvault" => store,
        _ => "clipboard",
    };
    let _ = host.set_attribute("data-store", store);
    let _ = host.remove_attribute("data-confirm");
    button.set_text_content(Some(match store {
        "file" => "Save encrypted file",
        "keyvault" => "Save to Key Vault",
        _ => "Copy secret",
    }));
    let need_pass = store == "file" && !has_recipient && host.get_attribute("data-recipient").is_none();
    if let Ok(Some(row)) = root.query_selector(".pass") {
        let _ = if need_pass { row.remove_attribute("hidden") } else { row.set_attribute("hidden", "") };
    }
    if let Ok(rows) = root.query_selector_all(".kv") {
        for i in 0..rows.length() {
            if let Some(r) = rows.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                let _ = if store == "keyvault" { r.remove_attribute("hidden") } else { r.set_attribute("hidden", "") };
            }
        }
    }
}

impl Prompt {
    /// Applies the settings: preselects `store` ("clipboard" | "file" | "keyvault");
    /// `has_recipient` says the file is encrypted to the age key from the options (no
    /// passphrase asked); `vault` is the options' default vault.
    pub fn set_store(&self, store: &str, has_recipient: bool, vault: Option<&str>) {
        let Ok(Some(select)) = self.root.query_selector("select") else { return };
        let Ok(Some(button)) = self.root.query_selector("button.primary") else { return };
        if let (Some(v), Ok(Some(i))) = (vault, self.root.query_selector("#so-vault")) {
            let i = i.unchecked_into::<web_sys::HtmlInputElement>();
            if i.value().is_empty() {
                i.set_value(v);
            }
        }
        select.unchecked_ref::<web_sys::HtmlSelectElement>().set_value(store);
        if has_recipient {
            let _ = self.host.set_attribute("data-recipient", "");
        }
        show_store(&self.host, &self.root, &button, store, has_recipient);
        self.reposition();
        // If the prompt has focus, put it where the user's next keystroke belongs.
        let ours = self.host.owner_document().and_then(|d| d.active_element()).is_some_and(|a| a == self.host);
        if ours {
            let target = if store == "file" && !has_recipient { self.root.query_selector("#so-pass").ok().flatten() } else { Some(button) };
            if let Some(t) = target {
                let _ = t.unchecked_ref::<web_sys::HtmlElement>().focus();
            }
        }
    }

    /// Records that a store run ended: `data-outcome` (`saved`, `failed`, `cancelled`,
    /// `needsConfirmation`, `needsPassphrase`) and `data-runs` (a counter) on the host; the
    /// outcome's kind only, never its message.
    pub fn finished(&self, outcome: &str) {
        let runs = self.host.get_attribute("data-runs").and_then(|r| r.parse::<u32>().ok()).unwrap_or(0);
        let _ = self.host.set_attribute("data-outcome", outcome);
        let _ = self.host.set_attribute("data-runs", &(runs + 1).to_string());
    }

    /// The Key Vault fields: (vault, secret name), trimmed.
    pub fn key_vault_fields(&self) -> (String, String) {
        let read = |id: &str| {
            self.root.query_selector(id).ok().flatten().map(|i| i.unchecked_into::<web_sys::HtmlInputElement>().value().trim().to_owned()).unwrap_or_default()
        };
        (read("#so-vault"), read("#so-kvname"))
    }

    /// Whether the user is answering "add a new version?" (the button says so).
    pub fn confirming_new_version(&self) -> bool {
        self.host.get_attribute("data-confirm").as_deref() == Some("version")
    }

    /// Asks whether to add a new version to an existing secret name: the primary button
    /// becomes "Add as new version"; editing the vault or the name takes the question back.
    pub fn ask_new_version(&self) {
        let _ = self.host.set_attribute("data-confirm", "version");
        if let Ok(Some(b)) = self.root.query_selector("button.primary") {
            b.set_text_content(Some("Add as new version"));
            let _ = b.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
        self.reposition();
    }

    /// Reads and clears the passphrase field (the caller zeroizes its copy).
    pub fn take_passphrase(&self) -> Option<zeroize::Zeroizing<String>> {
        let input = self.root.query_selector("#so-pass").ok().flatten()?;
        let input = input.unchecked_into::<web_sys::HtmlInputElement>();
        let v = zeroize::Zeroizing::new(input.value());
        input.set_value("");
        Some(v).filter(|v| !v.is_empty())
    }

    /// Shows the passphrase field and focuses it (the file store needs one).
    pub fn ask_passphrase(&self) {
        if let Ok(Some(row)) = self.root.query_selector(".pass") {
            let _ = row.remove_attribute("hidden");
        }
        if let Ok(Some(i)) = self.root.query_selector("#so-pass") {
            let _ = i.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
        self.reposition();
    }

    /// Disables or enables the prompt's buttons while a store runs.
    pub fn busy(&self, yes: bool) {
        if let Ok(list) = self.root.query_selector_all("button, select, input") {
            for i in 0..list.length() {
                if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = if yes { e.set_attribute("disabled", "") } else { e.remove_attribute("disabled") };
                }
            }
        }
        let _ = self.host.set_attribute("aria-busy", if yes { "true" } else { "false" });
        // Disabling the focused button dropped focus (Chromium: to the body; Firefox keeps
        // it on the host with nothing focused inside): give it back for the retry.
        let doc = self.host.owner_document();
        let lost = doc.as_ref().and_then(|d| d.active_element()).is_none_or(|a| a.tag_name() == "BODY" || a == self.host);
        if !yes && lost {
            if let Ok(Some(b)) = self.root.query_selector("button.primary") {
                let _ = b.unchecked_ref::<web_sys::HtmlElement>().focus();
            }
        }
    }
}

impl Drop for Prompt {
    fn drop(&mut self) {
        self.host.remove();
    }
}

/// What the user chose in the leave confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaveChoice {
    /// Stay on the blade and save the secret.
    Stay,
    /// Leave anyway: the secret is lost.
    Leave,
}

/// The in-page confirmation shown when the user tries to leave the blade (same-document
/// navigation) while a secret is unsaved. Same isolation as [`Prompt`].
#[must_use = "the confirmation is removed when dropped"]
pub struct Confirm {
    host: Element,
    _listeners: Vec<EventListener>,
}

const CONFIRM_STYLE: &str = "all: initial !important; position: fixed !important; inset: 0 !important; \
z-index: 2147483647 !important; display: flex !important; align-items: center !important; \
justify-content: center !important; background: rgba(0,0,0,.4) !important;";

impl Confirm {
    /// Shows the confirmation; `on_choice` gets the user's (trusted) answer once.
    pub fn show(doc: &Document, unsaved: u32, on_choice: Rc<dyn Fn(LeaveChoice)>) -> Result<Confirm, JsValue> {
        let host = doc.create_element("shownonce-confirm")?;
        host.set_attribute("role", "alertdialog")?;
        host.set_attribute("aria-modal", "true")?;
        host.set_attribute("aria-label", "This secret is not saved")?;
        let body = if unsaved > 1 {
            "Client secrets on this page are not saved yet. They are never shown again once you leave."
        } else {
            "The new client secret is not saved yet. It is never shown again once you leave."
        };
        host.set_attribute("aria-description", body)?;
        host.set_attribute("style", CONFIRM_STYLE)?;
        let root = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Closed))?;
        let wrap = el(doc, "div", if page_is_dark(doc) { "dark" } else { "" }, "")?;
        let card = el(doc, "div", "card", "")?;
        let h2 = el(doc, "h2", "", "This secret is not saved")?;
        let p = el(doc, "p", "meta", body)?;
        let row = el(doc, "div", "row", "")?;
        let stay = el(doc, "button", "primary", "Stay and save")?;
        stay.set_attribute("type", "button")?;
        let leave = el(doc, "button", "", "Leave anyway")?;
        leave.set_attribute("type", "button")?;
        row.append_child(&stay)?;
        row.append_child(&leave)?;
        card.append_child(&h2)?;
        card.append_child(&p)?;
        card.append_child(&row)?;
        wrap.append_child(&card)?;
        let style = el(doc, "style", "", CSS)?;
        root.append_child(&style)?;
        root.append_child(&wrap)?;
        let mut listeners = Vec::new();
        let c = on_choice.clone();
        listeners.push(on_trusted(&stay, "click", move |_| c(LeaveChoice::Stay)));
        let c = on_choice.clone();
        listeners.push(on_trusted(&leave, "click", move |_| c(LeaveChoice::Leave)));
        let c = on_choice;
        listeners.push(on_trusted(&root, "keydown", move |e| {
            if e.unchecked_ref::<KeyboardEvent>().key() == "Escape" {
                e.prevent_default();
                c(LeaveChoice::Stay);
            }
        }));
        doc.document_element().ok_or("no <html>")?.append_child(&host)?;
        let _ = stay.unchecked_ref::<web_sys::HtmlElement>().focus();
        Ok(Confirm { host, _listeners: listeners })
    }
}

impl Drop for Confirm {
    fn drop(&mut self) {
        self.host.remove();
    }
}

impl Prompt {
    /// Expands the prompt (if collapsed) and moves focus to it: the popup's "Show prompt".
    pub fn focus(&self) {
        self.set_collapsed(false);
        if let Ok(Some(b)) = self.root.query_selector("button.primary") {
            let _ = b.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
    }
}
