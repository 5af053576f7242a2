//! The save prompt, as the page holds it: an `<iframe>` showing the extension's own
//! `prompt.html` (src/prompt_page.rs draws it). The page can move or remove the frame but
//! cannot read it, hear the keys typed into it, or script it: it is another origin. The
//! frame element carries no state (a neutral title, and `allow="clipboard-write"`).
//!
//! The frame and this content script talk over a `MessageChannel`: one port goes to the
//! frame in a `postMessage` addressed to the extension's origin (a frame the page navigated
//! elsewhere never receives it), with a one-time token the frame checks with the background
//! (a copy of `prompt.html` the page embedded itself never gets a valid one). The value
//! crosses that channel only when the user asks the frame to copy it.
//!
//! The leave confirmation ([`Confirm`], extension/confirm.html) is such a frame too.
use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, MessageChannel, MessageEvent, MessagePort};
use zeroize::Zeroizing;

use crate::core::detect::Detection;
use crate::core::layout::{Place, Size, Span};
use crate::core::prompt::prompt_texts;
use crate::platform::{get_f64, get_str, obj};

/// What the user asked for in the prompt frame.
pub enum Action {
    /// Copy with our button: the frame needs the value (see [`Prompt::send_value`]).
    Copy,
    /// The frame wrote the value to the clipboard (`true`) or the browser refused (`false`).
    Copied(bool),
    /// Save into an encrypted file, with the passphrase typed in the frame (if any).
    SaveFile(Option<Zeroizing<String>>),
    /// Save into Azure Key Vault: vault, secret name, and whether a new version of an
    /// existing name was confirmed.
    SaveKeyVault {
        /// Vault name or URL, as typed.
        vault: String,
        /// Secret name in the vault.
        name: String,
        /// The user confirmed adding a new version to an existing name.
        new_version: bool,
    },
    /// Save into HashiCorp Vault / OpenBao: the path, whether a new version was confirmed,
    /// and the `userpass` user name and password typed in the frame (if any).
    SaveVault {
        /// Path under the KV v2 mount.
        path: String,
        /// The user confirmed adding a new version to an existing path.
        new_version: bool,
        /// userpass user name typed in the prompt.
        username: String,
        /// userpass password typed in the prompt (wiped once sent).
        password: Option<Zeroizing<String>>,
    },
    /// "I saved it elsewhere": an explicit, deliberate confirmation.
    SavedElsewhere,
    /// The user closed a prompt whose secret is saved (or confirmed saved elsewhere).
    Close,
    /// The user stopped a save that waits to retry.
    CancelSave,
}

/// Asks the frame to lay its prompts out again (they grew, shrank, collapsed or expanded);
/// `true` when the user just expanded this prompt, so the frame collapses the others. The
/// frame runs it later, never inside the caller (which may hold the frame's state).
pub type Relayout = Rc<dyn Fn(bool)>;

const HOST_STYLE: &str = "all: initial !important; position: fixed !important; \
z-index: 2147483647 !important; border: 0 !important; margin: 0 !important; padding: 0 !important; \
display: block !important; visibility: visible !important; opacity: 1 !important; \
color-scheme: normal !important; background: transparent !important;";

/// Room around the card inside the frame for its shadow (prompt.css `body` padding).
const FRAME_PAD: f64 = 8.0;
/// Rebuilds of one prompt's frame at most (a page that keeps removing it gets no endless loop;
/// the guard stays armed and the popup still lists the secret).
const MAX_REVIVES: u32 = 20;
/// A frame that has not said "ready" by then is rebuilt (blocked, crashed, navigated away,
/// or the background restarted before it could check the token).
const READY_WAIT_MS: u32 = 6000;

/// What the frame reported, shared with the port's listener.
#[derive(Default)]
struct Shared {
    ready: bool,
    /// Card and reminder sizes (content only, without the frame's padding).
    card: Size,
    pill: Size,
    collapsed: bool,
    busy: bool,
    /// Take focus once ready (unless the user is typing by then).
    want_focus: bool,
    /// The frame did not say "ready" within [`READY_WAIT_MS`].
    timed_out: bool,
    /// What had the focus in the page before the prompt took it: it gets it back when the
    /// prompt closes (keyboard and screen-reader users stay where they were).
    return_to: Option<web_sys::HtmlElement>,
}

/// A shown prompt. Dropping it removes its frame from the page.
#[must_use = "the prompt is removed when dropped"]
pub struct Prompt {
    doc: Document,
    init: JsValue,
    iframe: Element,
    port: MessagePort,
    shared: Rc<RefCell<Shared>>,
    /// The secret's row: no prompt of the frame may cover it (see `core::layout`).
    anchor: Option<Element>,
    on_action: Rc<dyn Fn(Action)>,
    relayout: Relayout,
    revives: u32,
    /// The page put something over the frame at the last layout (see [`Prompt::hit`]).
    covered: bool,
    /// Our page's URL: a frame whose `src` differs was pointed elsewhere by the page.
    src: String,
    _listeners: Vec<EventListener>,
    _ready_timer: Option<Timeout>,
    /// The frame element's attributes: a page that restyles it (hides, moves, shrinks it) or
    /// points it elsewhere gets it placed again, or rebuilt.
    _watch: Option<crate::dom::observer::Observer>,
}

/// 128 random bits, hex: the frame's one-time token.
fn token() -> Result<String, JsValue> {
    let crypto = web_sys::window().ok_or("no window")?.crypto()?;
    let mut bytes = [0u8; 16];
    crypto.get_random_values_with_u8_array(&mut bytes)?;
    let mut s = String::with_capacity(32);
    for b in bytes {
        for n in [b >> 4, b & 15] {
            s.push(char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 }));
        }
    }
    Ok(s)
}

/// `scheme://host` of an extension URL.
fn origin_of(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    url[after..].find('/').map_or(url, |i| &url[..after + i])
}

/// One of our extension frames in the page, and the content script's end of its channel.
struct ExtFrame {
    iframe: Element,
    port: MessagePort,
    listeners: Vec<EventListener>,
    /// The extension page's URL, as put in `src`.
    url: String,
}

/// Opens the extension page `page` in an `<iframe>` on `doc` (appended to `<html>`, styled by
/// `style`): registers a one-time token with the background, posts `init` plus the token and
/// one `MessageChannel` port to the frame once it loaded (addressed to the extension's
/// origin), and hands every message the frame sends on that port to `on_message`.
fn open_frame(
    doc: &Document,
    page: &str,
    init: &JsValue,
    style: &str,
    on_message: impl Fn(&JsValue, &Element, &MessagePort) + 'static,
) -> Result<ExtFrame, JsValue> {
    let url = crate::platform::get_url(page)?;
    let origin = origin_of(&url).to_owned();
    let token = token()?;
    let init = js_sys::Object::assign(&js_sys::Object::new(), init.unchecked_ref());
    js_sys::Reflect::set(&init, &"token".into(), &js_str(&token))?;
    let iframe = doc.create_element("iframe")?;
    iframe.set_attribute("title", "ShownOnce")?;
    // Chromium lets a cross-origin frame write the clipboard only when its embedder allows.
    iframe.set_attribute("allow", "clipboard-write")?;
    iframe.set_attribute("style", style)?;
    let channel = MessageChannel::new()?;
    let port = channel.port1();
    let theirs = channel.port2();
    let mut listeners = Vec::new();
    // The frame checks the token with the background: register it first.
    let register = obj(&[("type", "promptToken".into()), ("token", js_str(&token))]);
    wasm_bindgen_futures::spawn_local(async move {
        let _ = crate::platform::send(&register).await;
    });
    let sent = std::cell::Cell::new(false);
    let frame = iframe.clone();
    listeners.push(EventListener::new(&iframe, "load", move |e| {
        if !e.is_trusted() || sent.get() {
            return;
        }
        let Some(win) = frame.unchecked_ref::<web_sys::HtmlIFrameElement>().content_window() else { return };
        let transfer = js_sys::Array::of1(&theirs);
        // Addressed to the extension's origin: dropped if the page navigated the frame.
        if win.post_message_with_transfer(&init, &origin, &transfer).is_ok() {
            sent.set(true);
        }
    }));
    let (frame, port2) = (iframe.clone(), port.clone());
    listeners.push(EventListener::new(&port, "message", move |e| {
        on_message(&e.unchecked_ref::<MessageEvent>().data(), &frame, &port2);
    }));
    port.start();
    iframe.set_attribute("src", &url)?;
    doc.document_element().ok_or("no <html>")?.append_child(&iframe)?;
    Ok(ExtFrame { iframe, port, listeners, url })
}

fn typing(doc: &Document) -> bool {
    doc.active_element().is_some_and(|a| {
        let t = a.tag_name();
        // Also in another of our prompt frames: the user is busy with that secret.
        t == "INPUT" || t == "TEXTAREA" || t == "SELECT" || t == "IFRAME" || a.has_attribute("contenteditable")
    })
}

fn js_str(s: &str) -> JsValue {
    JsValue::from_str(s)
}

impl Prompt {
    /// Shows the prompt for `d` in `doc`. `on_action` receives the user's choices.
    /// `relayout` is how it asks the frame to place the frame's prompts again.
    pub fn show(doc: &Document, d: &Detection, anchor: Option<&Element>, on_action: Rc<dyn Fn(Action)>, relayout: Relayout) -> Result<Prompt, JsValue> {
        let texts = prompt_texts(d, &crate::dom::frame::page_locale(doc));
        let at = doc.default_view().and_then(|w| w.performance()).map_or(0.0, |p| p.time_origin() + p.now());
        let opt = |v: &Option<String>| v.as_deref().map(js_str).unwrap_or(JsValue::NULL);
        let init = obj(&[
            ("so", js_str("init")),
            ("name", js_str(&texts.name)),
            ("desc", js_str(&texts.desc)),
            ("meta", js_str(&texts.meta)),
            ("client", js_str(&texts.client)),
            ("hint", js_str(&d.hint)),
            ("kind", js_str(d.kind.as_str())),
            ("secretId", opt(&d.secret_id)),
            ("app", d.app_name.as_deref().or(d.app_id.as_deref()).map(js_str).unwrap_or(JsValue::NULL)),
            ("description", opt(&d.description)),
            ("clientId", opt(&d.app_id)),
            ("tenantId", opt(&d.tenant_id)),
            ("dark", page_is_dark(doc).into()),
            ("at", at.into()),
        ]);
        let shared = Rc::new(RefCell::new(Shared { want_focus: !typing(doc), ..Shared::default() }));
        let mut p = Prompt {
            doc: doc.clone(),
            init,
            iframe: doc.create_element("iframe")?,
            port: MessageChannel::new()?.port1(),
            shared,
            anchor: anchor.cloned(),
            on_action,
            relayout,
            revives: 0,
            covered: false,
            src: String::new(),
            _listeners: Vec::new(),
            _ready_timer: None,
            _watch: None,
        };
        p.build()?;
        Ok(p)
    }

    /// (Re)creates the frame and its channel; the old ones, if any, go.
    fn build(&mut self) -> Result<(), JsValue> {
        self.iframe.remove();
        self.port.close();
        self._listeners.clear();
        {
            let mut s = self.shared.borrow_mut();
            s.ready = false;
            s.timed_out = false;
        }
        let style = [HOST_STYLE, " bottom: 16px !important; right: 16px !important; width: 396px !important; height: 0 !important;"].concat();
        let (shared, on_action, relayout, doc) = (self.shared.clone(), self.on_action.clone(), self.relayout.clone(), self.doc.clone());
        let frame = open_frame(&self.doc, "prompt.html", &self.init, &style, move |data, iframe, port| {
            on_frame_message(data, &shared, &on_action, &relayout, iframe, &doc, port);
        })?;
        self.iframe = frame.iframe;
        self.port = frame.port;
        self._listeners = frame.listeners;
        self.src = frame.url;
        let relayout = self.relayout.clone();
        self._watch = crate::dom::observer::Observer::attributes(&self.iframe, move || relayout(false)).ok();
        self.arm_ready_timer();
        Ok(())
    }

    fn arm_ready_timer(&mut self) {
        let relayout = self.relayout.clone();
        let shared = self.shared.clone();
        self._ready_timer = Some(Timeout::new(READY_WAIT_MS, move || {
            let late = !shared.borrow().ready;
            if late {
                // The frame did not come up: the next layout builds it again (`revive`).
                shared.borrow_mut().timed_out = true;
                relayout(false);
            }
        }));
    }

    /// A prompt whose frame is gone (the page removed it), never came up, or is `covered` (the
    /// page put something over it: a new frame, the last child of `<html>`, goes on top): build
    /// it again. The secret stays unsaved and guarded meanwhile. `true` when it was rebuilt.
    pub fn revive(&mut self, covered: bool) -> bool {
        self.covered = covered;
        if !(covered || self.down()) || self.revives >= MAX_REVIVES {
            return false;
        }
        self.revives += 1;
        self.build().is_ok()
    }

    /// The page removed (or kept from loading, or covered) the frame more than
    /// [`MAX_REVIVES`] times.
    pub fn blocked(&self) -> bool {
        self.revives >= MAX_REVIVES && (self.covered || self.down())
    }

    /// The user asked for the prompt (popup's Show prompt): a blocked one is built again,
    /// with a fresh allowance of revives.
    pub fn retry(&mut self) {
        if self.covered || self.down() {
            self.revives = 0;
            self.covered = false;
            let _ = self.build();
        }
    }

    /// The frame element in the page.
    pub fn element(&self) -> &Element {
        &self.iframe
    }

    /// What the page shows at the middle of this prompt once it is up (`None` before, or off
    /// screen). Anything but our own frames there means the page covers the prompt.
    pub fn hit(&self) -> Option<Element> {
        if !self.shared.borrow().ready || !self.iframe.is_connected() {
            return None;
        }
        let r = self.iframe.get_bounding_client_rect();
        if r.width() < 1.0 || r.height() < 1.0 {
            return None;
        }
        self.doc.element_from_point(((r.left() + r.right()) / 2.0) as f32, ((r.top() + r.bottom()) / 2.0) as f32)
    }

    fn down(&self) -> bool {
        let s = self.shared.borrow();
        // A frame the page pointed elsewhere no longer shows our page (its port is dead).
        !self.iframe.is_connected() || (!s.ready && s.timed_out) || self.iframe.get_attribute("src").as_deref() != Some(self.src.as_str())
    }

    fn post(&self, msg: &JsValue) {
        let _ = self.port.post_message(msg);
    }

    /// The detection learnt the app's name (from the tab's top frame): the prompt says it,
    /// now and when it is built again.
    pub fn set_context(&self, d: &Detection, locale: &str) {
        let texts = prompt_texts(d, locale);
        let app = d.app_name.as_deref().or(d.app_id.as_deref()).unwrap_or_default();
        let fields = [("name", texts.name), ("desc", texts.desc), ("meta", texts.meta), ("client", texts.client), ("app", app.to_owned())];
        let msg = obj(&[("t", "ctx".into())]);
        for (k, v) in fields {
            let v = js_str(&v);
            let _ = js_sys::Reflect::set(&self.init, &k.into(), &v);
            let _ = js_sys::Reflect::set(&msg, &k.into(), &v);
        }
        self.post(&msg);
    }

    /// Says how a save under way goes (the prompt shows it only while busy); `stoppable`:
    /// it waits to retry, and the prompt offers to stop it.
    pub fn progress(&self, message: &str, stoppable: bool) {
        self.post(&obj(&[("t", "progress".into()), ("message", js_str(message)), ("stoppable", stoppable.into())]));
    }

    /// Shows the secret's state and a message in the prompt.
    pub fn set_state(&self, state: &str, message: &str, ok: bool) {
        self.post(&obj(&[("t", "state".into()), ("state", js_str(state)), ("message", js_str(message)), ("ok", ok.into())]));
    }

    /// Asks the frame to place its prompts again (this one grew or shrank).
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
        self.shared.borrow().collapsed
    }

    /// Collapses or expands without moving focus (the frame doing it to the other prompts).
    pub fn set_collapsed(&self, yes: bool) {
        self.shared.borrow_mut().collapsed = yes;
        self.post(&obj(&[("t", "collapse".into()), ("v", yes.into())]));
    }

    /// Whether the user is in this prompt (focus in its frame) or a store is running from it.
    pub fn in_use(&self) -> bool {
        let focused = self.doc.active_element().is_some_and(|a| a == self.iframe);
        focused || self.shared.borrow().busy
    }

    /// Places the prompt (fixed to the frame's viewport); a squeezed card scrolls inside.
    pub fn place(&self, at: Place) {
        let s = self.shared.borrow();
        let size = if s.collapsed { s.pill } else { s.card };
        let (w, mut h) = (size.width + 2.0 * FRAME_PAD, size.height + 2.0 * FRAME_PAD);
        if let Some(m) = at.max_height {
            h = h.min(m + 2.0 * FRAME_PAD);
        }
        if !s.ready {
            h = 0.0; // nothing to show yet
        }
        let px = |v: f64| {
            let mut s = (v.max(0.0) as u32).to_string();
            s.push_str("px !important;");
            s
        };
        // The frame's padding is room for the card's shadow: the card itself sits where
        // the layout put it.
        let style = [HOST_STYLE, " top: ", &px(at.top - FRAME_PAD), " right: ", &px(at.right - FRAME_PAD), " width: ", &px(w), " height: ", &px(h)].concat();
        // Unchanged: not written again (the attribute watch would wake the layout for nothing).
        if self.iframe.get_attribute("style").as_deref() != Some(style.as_str()) {
            let _ = self.iframe.set_attribute("style", &style);
        }
    }

    /// The prompt's full size (a squeezed card's whole content), card or reminder.
    pub fn size(&self) -> Size {
        let s = self.shared.borrow();
        if s.collapsed {
            s.pill
        } else {
            s.card
        }
    }

    /// Records that a store run ended (`saved`, `failed`, `cancelled`, `needsConfirmation`,
    /// `needsPassphrase`): the frame shows it to the tests and the user.
    pub fn finished(&self, outcome: &str) {
        self.post(&obj(&[("t", "finished".into()), ("outcome", js_str(outcome))]));
    }

    /// Asks whether to add a new version to an existing secret name.
    pub fn ask_new_version(&self) {
        self.post(&obj(&[("t", "ask".into()), ("what", "version".into())]));
    }

    /// Shows the passphrase field and focuses it (the file store needs one).
    pub fn ask_passphrase(&self) {
        self.post(&obj(&[("t", "ask".into()), ("what", "passphrase".into())]));
    }

    /// Disables or enables the prompt's controls while a store runs.
    pub fn busy(&self, yes: bool) {
        self.shared.borrow_mut().busy = yes;
        self.post(&obj(&[("t", "busy".into()), ("v", yes.into())]));
    }

    /// Hands the value to the frame for the clipboard (the user pressed Copy there); `None`
    /// when this frame no longer holds it.
    pub fn send_value(&self, value: Option<&str>) {
        let v = value.map(js_str).unwrap_or(JsValue::NULL);
        self.post(&obj(&[("t", "value".into()), ("v", v)]));
    }

    /// Expands the prompt (if collapsed) and moves focus to it: the popup's "Show prompt".
    pub fn focus(&self) {
        self.set_collapsed(false);
        let ready = self.shared.borrow().ready;
        if ready {
            take_focus(&self.iframe, &self.port, &self.shared);
        } else {
            self.shared.borrow_mut().want_focus = true;
        }
    }
}

fn take_focus(iframe: &Element, port: &MessagePort, shared: &Rc<RefCell<Shared>>) {
    let before = iframe.owner_document().and_then(|d| d.active_element());
    // Not our own frame, not the body (nothing to return to), not another prompt frame.
    if let Some(el) = before.filter(|a| a != iframe && a.tag_name() != "BODY" && a.tag_name() != "IFRAME") {
        shared.borrow_mut().return_to = el.dyn_into().ok();
    }
    focus_frame(iframe, port);
}

fn focus_frame(iframe: &Element, port: &MessagePort) {
    let _ = iframe.unchecked_ref::<web_sys::HtmlElement>().focus();
    let _ = port.post_message(&obj(&[("t", "focus".into())]));
}

/// A message from our prompt frame (only the frame holds the other port).
fn on_frame_message(
    data: &JsValue,
    shared: &Rc<RefCell<Shared>>,
    on_action: &Rc<dyn Fn(Action)>,
    relayout: &Relayout,
    iframe: &Element,
    doc: &Document,
    port: &MessagePort,
) {
    let size = |k: &str| {
        let a = js_sys::Reflect::get(data, &k.into()).unwrap_or(JsValue::UNDEFINED);
        Size { width: get_f64(&a, "w").unwrap_or(0.0), height: get_f64(&a, "h").unwrap_or(0.0) }
    };
    match get_str(data, "t").as_deref() {
        Some("ready") => {
            let focus = {
                let mut s = shared.borrow_mut();
                s.ready = true;
                s.card = size("card");
                s.pill = size("pill");
                std::mem::take(&mut s.want_focus)
            };
            relayout(false);
            // Never steal keystrokes: only if the user is not typing somewhere by now.
            if focus && !typing(doc) {
                take_focus(iframe, port, shared);
            }
        }
        Some("size") => {
            let (card, pill) = (size("card"), size("pill"));
            let changed = {
                let mut s = shared.borrow_mut();
                let changed = s.card != card || s.pill != pill;
                s.card = card;
                s.pill = pill;
                changed
            };
            if changed {
                relayout(false);
            }
        }
        // The user collapsed (Hide, Esc) or expanded (the reminder) this prompt.
        Some("toggle") => {
            let collapsed = js_sys::Reflect::get(data, &"v".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
            shared.borrow_mut().collapsed = collapsed;
            relayout(!collapsed);
        }
        Some("copy") => on_action(Action::Copy),
        Some("copied") => {
            let ok = js_sys::Reflect::get(data, &"ok".into()).ok().and_then(|v| v.as_bool()) == Some(true);
            on_action(Action::Copied(ok));
        }
        Some("save") => match get_str(data, "store").as_deref() {
            Some("file") => on_action(Action::SaveFile(get_str(data, "pass").filter(|p| !p.is_empty()).map(Zeroizing::new))),
            Some("keyvault") => on_action(Action::SaveKeyVault {
                vault: get_str(data, "vault").unwrap_or_default().trim().to_owned(),
                name: get_str(data, "name").unwrap_or_default().trim().to_owned(),
                new_version: js_sys::Reflect::get(data, &"newVersion".into()).ok().and_then(|v| v.as_bool()) == Some(true),
            }),
            Some("hcvault") => on_action(Action::SaveVault {
                path: get_str(data, "path").unwrap_or_default().trim().to_owned(),
                new_version: js_sys::Reflect::get(data, &"newVersion".into()).ok().and_then(|v| v.as_bool()) == Some(true),
                username: get_str(data, "user").unwrap_or_default().trim().to_owned(),
                password: get_str(data, "password").filter(|p| !p.is_empty()).map(Zeroizing::new),
            }),
            _ => {}
        },
        Some("elsewhere") => on_action(Action::SavedElsewhere),
        Some("close") => on_action(Action::Close),
        Some("cancel") => on_action(Action::CancelSave),
        _ => {}
    }
}

impl Drop for Prompt {
    fn drop(&mut self) {
        let had_focus = self.doc.active_element().is_some_and(|a| a == self.iframe);
        self.iframe.remove();
        if had_focus {
            if let Some(el) = self.shared.borrow_mut().return_to.take().filter(|e| e.is_connected()) {
                let _ = el.focus();
            }
        }
        self.port.close();
    }
}

/// Whether the page looks dark (portal dark theme): the body's background luminance.
fn page_is_dark(doc: &Document) -> bool {
    let Some(body) = doc.body() else { return false };
    let Some(win) = doc.default_view() else { return false };
    let Ok(Some(style)) = win.get_computed_style(&body) else { return false };
    let bg = style.get_property_value("background-color").unwrap_or_default();
    // "rgb(r, g, b)" or "rgba(r, g, b, a)"; integers only (float parsing costs ~20 KB of wasm).
    let mut nums = bg.trim_start_matches(|c: char| !c.is_ascii_digit()).split([',', ')']).map(|s| s.trim().parse::<u32>().ok());
    let (Some(Some(r)), Some(Some(g)), Some(Some(b))) = (nums.next(), nums.next(), nums.next()) else { return false };
    // A transparent body ("rgba(0, 0, 0, 0)") is not dark: its alpha is not an integer 1.
    let transparent = bg.starts_with("rgba") && !bg.trim_end_matches(')').ends_with(" 1");
    !transparent && 2126 * r + 7152 * g + 722 * b < 1_000_000
}

/// What the user chose in the leave confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaveChoice {
    /// Stay on the blade and save the secret.
    Stay,
    /// Leave anyway: the secret is lost.
    Leave,
}

/// The confirmation shown when the user tries to leave the blade (a same-document navigation)
/// while a secret is unsaved: extension/confirm.html in a frame over the whole page, the same
/// isolation as [`Prompt`]. It takes focus once it is up; Esc means "Stay and save".
#[must_use = "the confirmation is removed when dropped"]
pub struct Confirm {
    frame: ExtFrame,
}

const CONFIRM_STYLE: &str = "all: initial !important; position: fixed !important; inset: 0 !important; \
z-index: 2147483647 !important; border: 0 !important; margin: 0 !important; padding: 0 !important; \
width: 100% !important; height: 100% !important; display: block !important; visibility: visible !important; \
opacity: 1 !important; color-scheme: normal !important; background: transparent !important;";

impl Confirm {
    /// The frame element in the page.
    pub fn element(&self) -> &Element {
        &self.frame.iframe
    }

    /// Shows the confirmation; `on_choice` gets the user's answer.
    pub fn show(doc: &Document, unsaved: u32, on_choice: Rc<dyn Fn(LeaveChoice)>) -> Result<Confirm, JsValue> {
        let init = obj(&[("so", js_str("init")), ("unsaved", f64::from(unsaved).into()), ("dark", page_is_dark(doc).into())]);
        let frame = open_frame(doc, "confirm.html", &init, CONFIRM_STYLE, move |data, iframe, port| match get_str(data, "t").as_deref() {
            Some("ready") => focus_frame(iframe, port),
            Some("choice") => on_choice(if get_str(data, "v").as_deref() == Some("leave") { LeaveChoice::Leave } else { LeaveChoice::Stay }),
            _ => {}
        })?;
        Ok(Confirm { frame })
    }
}

impl Drop for Confirm {
    fn drop(&mut self) {
        // The answer usually comes from a key press inside the frame (Esc, Enter): hide the
        // frame at once but let its document live until that key press is over. A frame
        // destroyed between keydown and keyup leaves the browser's input routing (and
        // WebDriver's key actions) waiting for a document that is gone.
        let _ = self.frame.iframe.set_attribute("style", "display: none !important;");
        self.frame.port.close();
        let iframe = self.frame.iframe.clone();
        Timeout::new(500, move || iframe.remove()).forget();
    }
}
