//! Background entry point (feature `background`): Chrome module service worker / Firefox
//! event page. extension/background.js registers the listeners synchronously (MV3 wake-up
//! rule) and forwards each event here.
//!
//! The background never sees a secret value for the guard: per tab it keeps which frames hold
//! unsaved secrets (fingerprints: hint + secret id), in memory and in `storage.session`, so a
//! stopped and restarted worker rebuilds the same state ([`crate::core::guard`]). It arms the
//! tab's top frame (which may not be the frame that shows the secret) and sets the badge.
use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::guard::{GuardEvent, GuardKey, GuardTable, Outcome};
use crate::core::i18n::tr;
use crate::core::state::SecretState;
use crate::platform::{self, get_f64, get_str, obj};

const STORAGE_KEY: &str = "guard";
/// `storage.session` key of [`BLOCKED`].
const BLOCKED_KEY: &str = "blocked";

thread_local! {
    static TABLE: RefCell<GuardTable> = RefCell::new(GuardTable::new(false));
    static STORE_LOG: RefCell<Vec<(String, String, String)>> = const { RefCell::new(Vec::new()) };
    /// One-time tokens of prompt frames a content script is opening: (token, tab).
    static PROMPT_TOKENS: RefCell<Vec<(String, u32)>> = const { RefCell::new(Vec::new()) };
    /// Tabs where the page keeps a prompt from showing (removed or covered it past the content
    /// script's revives): their badge says "!" next to the count. Kept in `storage.session`
    /// too (tab ids only), so a restarted worker still says so.
    static BLOCKED: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// Prompt tokens kept at most (a page cannot make a content script open more than a few).
const MAX_PROMPT_TOKENS: usize = 64;

/// One-time start-up after the wasm module is instantiated: rebuild the per-tab state a
/// previous instance of the worker left in `storage.session`.
#[wasm_bindgen]
pub async fn background_main() {
    // Before any event: the shim (extension/background.js) runs every listener after this.
    platform::install_i18n();
    let stored = platform::session_value(STORAGE_KEY).await.and_then(|v| v.as_string());
    let strict = strict_setting().await;
    let (table, _skipped) = GuardTable::restore(stored.as_deref(), strict);
    TABLE.with(|t| *t.borrow_mut() = table);
    if let Some(v) = platform::session_value(BLOCKED_KEY).await {
        let tabs: Vec<u32> = js_sys::Array::from(&v).iter().filter_map(|t| t.as_f64()).map(|t| t as u32).collect();
        BLOCKED.with(|b| *b.borrow_mut() = tabs);
    }
    // How many times this worker/event page started in this browser session: lets the tests
    // prove a restart happened (a number, nothing else).
    let n = platform::session_value("starts").await.and_then(|v| v.as_f64()).unwrap_or(0.0);
    platform::session_put("starts", (n + 1.0).into()).await;
}

async fn strict_setting() -> bool {
    platform::settings().await.unwrap_or_default().strict_guard
}

async fn persist() {
    let text = TABLE.with(|t| t.borrow().to_storage());
    platform::session_put(STORAGE_KEY, JsValue::from_str(&text)).await;
}

/// Badge and top-frame arming after a change.
async fn publish(out: Outcome) {
    if !out.changed {
        return;
    }
    persist().await;
    badge(out.tab, out.badge).await;
    let tab = out.tab as f64;
    let msg = obj(&[("type", "guard".into()), ("armed", out.armed.into()), ("count", (out.badge as f64).into())]);
    if let Ok(p) = platform::tabs_send_message(tab, &msg, &obj(&[("frameId", 0.0.into())])) {
        // The top frame may have no content script (yet): nothing to arm there then.
        let _ = JsFuture::from(p).await;
    }
}

/// The toolbar badge of `tab`: the number of unsaved secrets, "!" added while the page keeps
/// a prompt from showing (the title says what to do).
async fn badge(tab: u32, count: u32) {
    if count == 0 {
        set_blocked(tab, false).await;
    }
    let blocked = tab_blocked(tab);
    let mut text = if count == 0 { String::new() } else { count.to_string() };
    let title = if blocked {
        text.push('!');
        platform::msg("badgeTitleBlocked", &[])
    } else {
        String::from("ShownOnce")
    };
    let tab = f64::from(tab);
    for p in [
        platform::set_badge_text(&obj(&[("tabId", tab.into()), ("text", JsValue::from_str(&text))])),
        platform::set_badge_color(&obj(&[("tabId", tab.into()), ("color", JsValue::from_str("#a4262c"))])),
        platform::set_title(&obj(&[("tabId", tab.into()), ("title", JsValue::from_str(&title))])),
    ]
    .into_iter()
    .flatten()
    {
        let _ = JsFuture::from(p).await;
    }
}

async fn set_blocked(tab: u32, blocked: bool) {
    let changed = BLOCKED.with(|b| {
        let mut b = b.borrow_mut();
        let was = b.contains(&tab);
        b.retain(|t| *t != tab);
        if blocked {
            b.push(tab);
        }
        (was != blocked).then(|| b.iter().map(|t| JsValue::from(*t)).collect::<js_sys::Array>())
    });
    if let Some(list) = changed {
        platform::session_put(BLOCKED_KEY, list.into()).await;
    }
}

fn tab_blocked(tab: u32) -> bool {
    BLOCKED.with(|b| b.borrow().contains(&tab))
}

async fn apply(event: GuardEvent) -> Outcome {
    let out = TABLE.with(|t| t.borrow_mut().apply(event));
    publish(out).await;
    out
}

/// A rejection the JS shim can report: an `Error` whose `message` is `m` (a plain string
/// would reach the sender as "undefined").
fn err(m: &str) -> JsValue {
    js_sys::Error::new(m).into()
}

/// Who sent a message, from what the browser says about the sender (`runtime.MessageSender`):
/// our content script in a portal frame, one of our own pages, or `None` (refused).
fn sender_of(sender: &JsValue) -> Option<crate::core::message::Sender> {
    use crate::core::route::{classify_host, HostKind};
    let global = js_sys::global();
    let origin = js_sys::Reflect::get(&global, &"location".into()).ok().and_then(|l| get_str(&l, "origin"))?;
    let runtime = js_sys::Reflect::get(&global, &"chrome".into()).and_then(|c| js_sys::Reflect::get(&c, &"runtime".into())).ok()?;
    let own_id = get_str(&runtime, "id")?;
    let tab = js_sys::Reflect::get(sender, &"tab".into()).ok().filter(JsValue::is_object).and_then(|t| get_f64(&t, "id")).map(|t| t as u32);
    // Firefox's frame ids exceed 32 bits (they are exact in an f64).
    let frame = get_f64(sender, "frameId").unwrap_or(0.0).max(0.0) as u64;
    let (id, url) = (get_str(sender, "id"), get_str(sender, "url"));
    crate::core::message::classify(&own_id, &origin, id.as_deref(), url.as_deref(), tab, frame, |h| classify_host(h) != HostKind::Other)
}

fn guard_reply(tab: u32) -> JsValue {
    let (armed, count) = TABLE.with(|t| {
        let t = t.borrow();
        (t.armed(tab), t.badge_count(tab))
    });
    obj(&[("armed", armed.into()), ("count", (count as f64).into())])
}

async fn save(m: crate::core::message::SaveFields, tab: u32, frame: u64) -> JsValue {
    use crate::stores::{save, Progress, SaveRequest};
    let fp = m.fp.unwrap_or_default();
    let progress = Progress { tab: Some(tab), frame, fp: fp.clone() };
    let fail = |m: &str| obj(&[("ok", false.into()), ("outcome", "failed".into()), ("message", JsValue::from_str(m))]);
    let kind = match m.store.as_str() {
        "file" => crate::core::state::StoreKind::EncryptedFile,
        "keyvault" => crate::core::state::StoreKind::KeyVault,
        "hcvault" => crate::core::state::StoreKind::HashiCorpVault,
        _ => return fail(&tr("bgUnknownStore", &[])),
    };
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let settings = platform::settings().await.unwrap_or_default();
    let client_id = nonempty(m.client_id);
    let req = SaveRequest {
        value: m.value,
        app_name: nonempty(m.app_name).or_else(|| client_id.clone()).unwrap_or_else(|| "app".into()),
        client_id,
        tenant_id: nonempty(m.tenant_id),
        description: m.description.unwrap_or_default(),
        secret_id: m.secret_id.unwrap_or_default(),
        expires: nonempty(m.expires),
        passphrase: m.passphrase.filter(|p| !p.is_empty()),
        age_recipient: settings.age_recipient,
        // The save-as dialog unless the user chose the Downloads folder in the options.
        save_as: settings.file_save_as,
        vault: nonempty(m.vault),
        secret_name: nonempty(m.secret_name),
        allow_new_version: m.allow_new_version == Some(true),
        locale: nonempty(m.locale),
        username: nonempty(m.username),
        password: m.password.filter(|p| !p.is_empty()),
        progress,
    };
    // A stop the user pressed for an earlier run of this secret does not stop this one.
    crate::stores::forget_cancel(tab, &fp);
    let result = save(kind, req).await;
    crate::stores::forget_cancel(tab, &fp);
    let (outcome, code) = match &result {
        Ok(_) => ("saved", "saved".to_owned()),
        Err(e) => e.codes(),
    };
    log_store_run(kind.as_str(), outcome, code);
    match result {
        Ok(r) => obj(&[("ok", true.into()), ("message", JsValue::from_str(&r.message))]),
        Err(e) => obj(&[
            ("ok", false.into()),
            ("outcome", outcome.into()),
            ("code", JsValue::from_str(&e.codes().1)),
            ("message", JsValue::from_str(&e.user_message())),
        ]),
    }
}

/// The last store runs of this background instance: store, outcome kind and a cause code,
/// never a message or any data. The extension's own pages read it (`storeLog`) so that a
/// failure names its cause, in the tests' logs too.
fn log_store_run(store: &str, outcome: &str, code: String) {
    STORE_LOG.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() >= 20 {
            l.remove(0);
        }
        l.push((store.to_owned(), outcome.to_owned(), code));
    });
}

fn store_log() -> JsValue {
    let list = js_sys::Array::new();
    STORE_LOG.with(|l| {
        for (store, outcome, code) in l.borrow().iter() {
            list.push(&obj(&[("store", JsValue::from_str(store)), ("outcome", JsValue::from_str(outcome)), ("code", JsValue::from_str(code))]));
        }
    });
    obj(&[("runs", list.into())])
}

/// The clipboard auto-clear delay the user chose (options; 0 = never).
async fn clear_delay_secs() -> f64 {
    f64::from(platform::settings().await.unwrap_or_default().clipboard_clear_secs)
}

/// The prompt copied a value: the extension, not the frame, owns the clear timer, so the
/// clipboard is cleared after the delay even when the user left the page meanwhile. It
/// clears unconditionally (reading the clipboard would need `clipboardRead`). Answers the
/// delay in seconds (0: the user chose never).
async fn clipboard_copied() -> Result<JsValue, JsValue> {
    let secs = clear_delay_secs().await.clamp(0.0, 3600.0);
    if secs > 0.0 {
        platform::schedule_clipboard_clear(secs * 1000.0).await.map_err(|_| err(&tr("bgClipboardClearFailed", &[])))?;
    }
    Ok(obj(&[("clearSecs", secs.into())]))
}

/// An alarm fired (Firefox: the clipboard clear, see [`platform::schedule_clipboard_clear`]).
#[wasm_bindgen]
pub async fn on_alarm(name: String) {
    if name == platform::CLEAR_CLIPBOARD_ALARM {
        let _ = platform::clear_clipboard_here().await;
    }
}

/// A setting changed. Strict mode applies at once to every tab's guard and badge (not only
/// after the next start of the background).
#[wasm_bindgen]
pub async fn on_storage_changed(changes: JsValue, area: String) {
    let touched = js_sys::Reflect::get(&changes, &"strict_guard".into()).is_ok_and(|c| !c.is_undefined());
    if area != "sync" || !touched {
        return;
    }
    let strict = strict_setting().await;
    let outcomes = TABLE.with(|t| t.borrow_mut().set_strict(strict));
    if outcomes.is_empty() {
        return;
    }
    for out in outcomes {
        publish(out).await;
    }
}

/// A tab was closed: forget it.
#[wasm_bindgen]
pub async fn on_tab_removed(tab: f64) {
    set_blocked(tab as u32, false).await;
    apply(GuardEvent::TabClosed { tab: tab as u32 }).await;
}

/// Answers a message from a content script or an extension page. Every message is checked
/// first ([`crate::core::message::check`]): its type and shape, and that its sender may send
/// it; tab and frame come from the browser's `sender`, never from the message. A refused
/// message changes nothing and its sender gets the reason.
#[wasm_bindgen]
pub async fn on_message(message: JsValue, sender: JsValue) -> Result<JsValue, JsValue> {
    use crate::core::message::{check, Request, Sender};
    let kind = get_str(&message, "type");
    let (req, from) = check(kind.as_deref(), || serde_wasm_bindgen::from_value::<Request>(message), sender_of(&sender)).map_err(|r| err(r.message()))?;
    let key = |fp: &str| GuardKey::new(fp).ok_or_else(|| err("ShownOnce: bad fingerprint"));
    // Content-script messages act on the sender's own tab and frame.
    let (tab, frame) = match from {
        Sender::ContentScript { tab, frame } => (tab, frame),
        Sender::ExtensionPage { tab } => (tab.unwrap_or(u32::MAX), 0),
    };
    match req {
        // A blade iframe cannot see the portal's route (cross-origin): it asks for the tab's URL.
        Request::TabUrl {} => {
            let tab = js_sys::Reflect::get(&sender, &"tab".into())?;
            let url = if tab.is_object() { get_str(&tab, "url") } else { None };
            Ok(obj(&[("url", url.map(JsValue::from).unwrap_or(JsValue::NULL))]))
        }
        // A blade iframe asks for the app's display name: its tab's top frame reads it from
        // the blade title (strings only pass; the iframe checks the client ID matches).
        Request::AppName {} => {
            let ask = obj(&[("type", "appName".into())]);
            let p = platform::tabs_send_message(f64::from(tab), &ask, &obj(&[("frameId", 0.0.into())]))?;
            let r = JsFuture::from(p).await.unwrap_or(JsValue::NULL);
            let s = |k: &str| if r.is_object() { get_str(&r, k) } else { None }.map(JsValue::from).unwrap_or(JsValue::NULL);
            Ok(obj(&[("name", s("name")), ("appId", s("appId"))]))
        }
        Request::Detected { fp, label, at } => {
            let at_ms = at.max(0.0) as u64;
            let out = apply(GuardEvent::Detected { tab, frame, fingerprint: key(&fp)?, label, at_ms }).await;
            Ok(obj(&[("armed", out.armed.into())]))
        }
        Request::State { fp, state } => {
            let state = SecretState::parse(&state).ok_or_else(|| err("ShownOnce: bad state"))?;
            apply(GuardEvent::StateChanged { tab, fingerprint: key(&fp)?, state }).await;
            Ok(guard_reply(tab))
        }
        // A new top document: whatever the old one showed is gone (the user left for real).
        Request::TopLoaded {} => {
            set_blocked(tab, false).await;
            apply(GuardEvent::TabNavigatedAway { tab }).await;
            Ok(guard_reply(tab))
        }
        Request::Leave {} => {
            apply(GuardEvent::UserConfirmedLeave { tab }).await;
            Ok(guard_reply(tab))
        }
        Request::GuardState {} => Ok(guard_reply(tab)),
        // The page keeps a prompt frame of this tab from showing (or it shows again).
        Request::PromptBlocked { blocked, .. } => {
            set_blocked(tab, blocked).await;
            badge(tab, TABLE.with(|t| t.borrow().badge_count(tab))).await;
            Ok(obj(&[("ok", true.into())]))
        }
        // A content script is opening a prompt frame (extension/prompt.html) in this tab: the
        // frame will present this token. Memory only: a restarted background forgets it, and
        // the content script then opens the frame again with a new one.
        Request::PromptToken { token } => {
            if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(err("ShownOnce: bad token"));
            }
            PROMPT_TOKENS.with(|t| {
                let mut t = t.borrow_mut();
                if t.len() >= MAX_PROMPT_TOKENS {
                    t.remove(0);
                }
                t.push((token, tab));
            });
            Ok(obj(&[("ok", true.into())]))
        }
        // The prompt frame proves a content script of its tab opened it (one use): a copy of
        // prompt.html a page embedded itself has no such token and shows nothing.
        Request::ClaimPrompt { token } => {
            let ok = PROMPT_TOKENS.with(|t| {
                let mut t = t.borrow_mut();
                let at = t.iter().position(|(k, owner)| *k == token && *owner == tab);
                at.map(|i| t.remove(i)).is_some()
            });
            Ok(obj(&[("ok", ok.into())]))
        }
        Request::ClipboardCopied {} => clipboard_copied().await,
        Request::StoreLog {} => Ok(store_log()),
        Request::TestVault {} => {
            let (ok, message) = crate::stores::openbao::test_connection().await;
            Ok(obj(&[("ok", ok.into()), ("message", JsValue::from_str(&message))]))
        }
        // Chrome: the offscreen document cleared the clipboard; it is not needed any more.
        Request::ClipboardCleared { .. } => {
            platform::close_offscreen().await;
            Ok(JsValue::UNDEFINED)
        }
        // The user chose a store in the prompt: the value comes from the frame that shows it
        // and goes only into that store; nothing of it is kept here.
        // The user stopped a save that waits to retry (the store ends it at once).
        Request::CancelSave { fp } => {
            crate::stores::cancel(tab, &fp);
            Ok(obj(&[("ok", true.into())]))
        }
        Request::Save(fields) => {
            let fp = fields.fp.clone();
            let reply = save(*fields, tab, frame).await;
            // The store confirmed: record it here too, so the guard and badge are right even
            // if the frame that asked is gone by now (blade closed or re-rendered mid-save).
            let saved = js_sys::Reflect::get(&reply, &"ok".into()).ok().and_then(|v| v.as_bool()) == Some(true);
            if let (true, Some(fp)) = (saved, fp.as_deref().and_then(GuardKey::new)) {
                apply(GuardEvent::StateChanged { tab, fingerprint: fp, state: SecretState::Saved }).await;
            }
            Ok(reply)
        }
        // The popup's questions: only the extension's own pages may ask about or act on a tab
        // (`check` refuses them from content scripts: one tab must not reach another).
        Request::TabSecrets { tab_id } => {
            let tab = tab_id.map(|t| t as u32).or(match from {
                Sender::ExtensionPage { tab } => tab,
                Sender::ContentScript { .. } => None,
            });
            let tab = tab.ok_or_else(|| err("ShownOnce: no tab"))?;
            let list = js_sys::Array::new();
            TABLE.with(|t| {
                for e in t.borrow().unsaved(tab) {
                    list.push(&obj(&[
                        ("fingerprint", JsValue::from_str(e.fingerprint.as_str())),
                        ("label", JsValue::from_str(&e.label)),
                        ("state", JsValue::from_str(e.state.as_str())),
                        ("detectedAt", (e.detected_at_ms as f64).into()),
                        ("frameId", (e.frame as f64).into()),
                    ]));
                }
            });
            Ok(obj(&[("secrets", list.into()), ("blocked", tab_blocked(tab).into())]))
        }
        Request::FocusPrompt { tab_id, frame_id, fingerprint } => {
            let msg = obj(&[("type", "focus".into()), ("fp", JsValue::from_str(&fingerprint))]);
            // The tab may be gone or its frame navigated away: say so to the popup.
            let p = platform::tabs_send_message(tab_id, &msg, &obj(&[("frameId", frame_id.unwrap_or(0.0).into())]))?;
            let gone = || err(&tr("bgPageGone", &[]));
            let answer = JsFuture::from(p).await.map_err(|_| gone())?;
            // The frame answers whether it still shows that secret's prompt.
            let shown = js_sys::Reflect::get(&answer, &"ok".into()).ok().and_then(|v| v.as_bool()) == Some(true);
            if !shown {
                return Err(gone());
            }
            Ok(obj(&[("ok", true.into())]))
        }
    }
}
