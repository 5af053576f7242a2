//! The one place where the extension APIs are bound. Both browsers expose the `chrome.*`
//! namespace with promise-returning methods in MV3 (Firefox also has `browser.*`), so one
//! binding serves both; differences that need a run-time choice go here too.
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `chrome.runtime.sendMessage(message)`: resolves with the background's answer.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = sendMessage, catch)]
    pub fn send_message(message: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `chrome.runtime.getURL(path)`: the extension's own URL for `path` (throws once the
    /// extension was reloaded under the page).
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL, catch)]
    pub fn get_url(path: &str) -> Result<String, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `chrome.i18n.getMessage(name, substitutions)`: `""` when the message is missing.
    #[wasm_bindgen(js_namespace = ["chrome", "i18n"], js_name = getMessage, catch)]
    fn get_message(name: &str, substitutions: &js_sys::Array) -> Result<JsValue, JsValue>;
}

/// The message `key` of extension/_locales in the browser's language, `subs` filling its
/// placeholders (`$1`…`$9`). The key itself when the message or the API is missing (a plain
/// test page): never panics. Keys are literals, so tests/locales.rs can check them.
pub fn msg(key: &str, subs: &[&str]) -> String {
    let subs: js_sys::Array = subs.iter().map(|s| JsValue::from_str(s)).collect();
    get_message(key, &subs).ok().and_then(|v| v.as_string()).filter(|s| !s.is_empty()).unwrap_or_else(|| key.to_owned())
}

#[wasm_bindgen]
extern "C" {
    /// `chrome.i18n.getUILanguage()`: the browser's UI language (`en-US`, `de`, `pt-BR`…).
    #[wasm_bindgen(js_namespace = ["chrome", "i18n"], js_name = getUILanguage, catch)]
    fn get_ui_language() -> Result<String, JsValue>;
}

/// Makes the texts the core and the stores build ([`crate::core::i18n`]) speak the browser's
/// language: messages through [`msg`], written-out dates through `Intl`. Every wasm entry
/// point calls it first; later calls change nothing.
pub fn install_i18n() {
    crate::core::i18n::set_translator(msg);
    crate::core::i18n::set_date_writer(written_date);
}

/// `d` written out in the UI language ("3. April 2027", "2027年4月3日"); `None` (the core's
/// English "3 April 2027") for an English UI, or when the language or `Intl` is unavailable.
fn written_date(d: &crate::core::date::Ymd) -> Option<String> {
    let lang = get_ui_language().ok()?;
    // A well-formed tag only: `Intl.DateTimeFormat` throws on a malformed one.
    let valid = (2..=35).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let primary = lang.split('-').next().unwrap_or_default();
    if !valid || primary.is_empty() || primary.eq_ignore_ascii_case("en") {
        return None;
    }
    let ms = d.unix_midnight_utc()? as f64 * 1000.0;
    let options = js_sys::Object::new();
    for (k, v) in [("day", "numeric"), ("month", "long"), ("year", "numeric"), ("timeZone", "UTC")] {
        js_sys::Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v)).ok()?;
    }
    let locales = js_sys::Array::of1(&JsValue::from_str(&lang));
    let format = js_sys::Intl::DateTimeFormat::new(&locales, &options).format();
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    format.call1(&JsValue::UNDEFINED, &date).ok()?.as_string().filter(|s| !s.is_empty())
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

#[wasm_bindgen]
extern "C" {
    /// `chrome.storage.session.get(keys)` (memory only, cleared when the browser quits).
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = get, catch)]
    pub fn session_get(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.session.set(items)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = set, catch)]
    pub fn session_set(items: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.session.remove(keys)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = remove, catch)]
    pub fn session_remove(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.local.get(keys)` (a Vault token the user asked to remember, only).
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get, catch)]
    pub fn local_get(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.local.set(items)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set, catch)]
    pub fn local_set(items: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.local.remove(keys)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = remove, catch)]
    pub fn local_remove(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.permissions.contains({origins})`: whether an optional host permission is granted.
    #[wasm_bindgen(js_namespace = ["chrome", "permissions"], js_name = contains, catch)]
    pub fn permissions_contains(p: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.permissions.request({origins})`: must run inside a user gesture's handler
    /// (before any await), or Firefox refuses it.
    #[wasm_bindgen(js_namespace = ["chrome", "permissions"], js_name = request, catch)]
    pub fn permissions_request(p: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.sync.get(keys)` (settings).
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "sync"], js_name = get, catch)]
    pub fn sync_get(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.sync.set(items)` (settings).
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "sync"], js_name = set, catch)]
    pub fn sync_set(items: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.action.setBadgeText(details)`.
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeText, catch)]
    pub fn set_badge_text(details: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.action.setTitle(details)`.
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setTitle, catch)]
    pub fn set_title(details: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.action.setBadgeBackgroundColor(details)`.
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor, catch)]
    pub fn set_badge_color(details: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.onChanged.addListener(f)`: `f(changes, areaName)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "onChanged"], js_name = addListener, catch)]
    pub fn storage_on_changed(f: &js_sys::Function) -> Result<(), JsValue>;
    /// `chrome.tabs.sendMessage(tabId, message, options)`: to the tab's content scripts.
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = sendMessage, catch)]
    pub fn tabs_send_message(tab: f64, message: &JsValue, options: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.tabs.query(queryInfo)` (the tab id needs no "tabs" permission).
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = query, catch)]
    pub fn tabs_query(query: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.runtime.openOptionsPage()`.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = openOptionsPage, catch)]
    pub fn open_options_page() -> Result<js_sys::Promise, JsValue>;
    /// `chrome.identity.getRedirectURL()`: `https://<id>.chromiumapp.org/` in Chrome,
    /// `https://<hash>.extensions.allizom.org/` in Firefox.
    #[wasm_bindgen(js_namespace = ["chrome", "identity"], js_name = getRedirectURL, catch)]
    pub fn identity_redirect_url() -> Result<String, JsValue>;
    /// `chrome.identity.launchWebAuthFlow(details)`: resolves with the URL the flow
    /// redirected to (the browser stops there; the page is never loaded).
    #[wasm_bindgen(js_namespace = ["chrome", "identity"], js_name = launchWebAuthFlow, catch)]
    pub fn launch_web_auth_flow(details: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.runtime.onMessage.addListener(f)`.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime", "onMessage"], js_name = addListener, catch)]
    fn on_message_add(f: &js_sys::Function) -> Result<(), JsValue>;
    /// `chrome.runtime.onMessage.removeListener(f)`.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime", "onMessage"], js_name = removeListener, catch)]
    fn on_message_remove(f: &js_sys::Function) -> Result<(), JsValue>;
}

/// `key`'s entry from a `storage.<area>.get` call: `None` when unset or when the storage API
/// is unavailable.
async fn stored_value(get: fn(&JsValue) -> Result<js_sys::Promise, JsValue>, key: &str) -> Option<JsValue> {
    let p = get(&JsValue::from_str(key)).ok()?;
    let all = wasm_bindgen_futures::JsFuture::from(p).await.ok()?;
    js_sys::Reflect::get(&all, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

/// The user's settings from `storage.sync`: the one place every module reads them, through
/// the one model ([`Settings::from_pairs`]: lenient, a bad value reads as its default). Read
/// at each use, so a change in the options page applies at once (no cache to invalidate).
/// `Err` only when the storage API failed (callers that cannot show it use the defaults).
///
/// [`Settings::from_pairs`]: crate::core::settings::Settings::from_pairs
pub async fn settings() -> Result<crate::core::settings::Settings, JsValue> {
    use crate::core::settings::{Settings, KEYS};
    let keys: js_sys::Array = KEYS.iter().map(|k| JsValue::from_str(k)).collect();
    let stored = wasm_bindgen_futures::JsFuture::from(sync_get(&keys)?).await?;
    let value = |k: &str| js_sys::Reflect::get(&stored, &JsValue::from_str(k)).ok().and_then(|v| storage_string(&v));
    let pairs: Vec<(&str, String)> = KEYS.iter().filter_map(|&k| value(k).map(|v| (k, v))).collect();
    Ok(Settings::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))))
}

/// A storage value as the string [`crate::core::settings::Settings::from_pairs`] reads (the
/// tests, or an older version, may have written a boolean or a number).
pub fn storage_string(v: &JsValue) -> Option<String> {
    if let Some(s) = v.as_string() {
        return Some(s);
    }
    if let Some(b) = v.as_bool() {
        return Some(b.to_string());
    }
    let n = v.as_f64()?;
    (n.is_finite() && n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n)).then(|| (n as u64).to_string())
}

/// One entry of `storage.session` (background state: guard fingerprints, sign-in tokens, a
/// vault's tenant; never a secret value).
pub async fn session_value(key: &str) -> Option<JsValue> {
    stored_value(session_get, key).await
}

/// Writes one `storage.session` entry and waits for it; a failure only loses the cache.
pub async fn session_put(key: &str, value: JsValue) {
    if let Ok(p) = session_set(&obj(&[(key, value)])) {
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }
}

/// One entry of `storage.local`.
pub async fn local_value(key: &str) -> Option<JsValue> {
    stored_value(local_get, key).await
}

/// Awaits a storage write or removal; `Err` with the browser's message.
pub async fn wait(p: Result<js_sys::Promise, JsValue>) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(p?).await
}

/// `{origins: [pattern]}` for the permissions API.
pub fn origins(pattern: &str) -> JsValue {
    origins_of(&[pattern])
}

/// `{origins: [patterns…]}` for the permissions API (one question for all of them).
pub fn origins_of(patterns: &[&str]) -> JsValue {
    let list: js_sys::Array = patterns.iter().map(|p| JsValue::from_str(p)).collect();
    obj(&[("origins", list.into())])
}

/// Whether the host permission `pattern` (an optional one) is granted now.
pub async fn has_origin(pattern: &str) -> bool {
    has_origins(&[pattern]).await
}

/// Whether every one of `patterns` is granted now.
pub async fn has_origins(patterns: &[&str]) -> bool {
    match permissions_contains(&origins_of(patterns)) {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.ok().and_then(|v| v.as_bool()) == Some(true),
        Err(_) => false,
    }
}

/// Builds a plain object from `(key, value)` pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// Reads `obj[key]` as a number.
pub fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).ok()?.as_f64()
}

/// Sends `message` (a built object) to the background; errors (e.g. extension reloaded) are
/// returned, never thrown.
pub async fn send(message: &JsValue) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(send_message(message)?).await
}

/// A `runtime.onMessage` listener that is removed when dropped.
#[must_use = "the listener is removed when dropped"]
pub struct MessageListener {
    closure: Closure<dyn FnMut(JsValue, JsValue, JsValue) -> JsValue>,
}

impl MessageListener {
    /// Listens for messages sent to this context: `f(message, sender)` returns the answer,
    /// sent back at once (without an answer Chrome rejects the sender's promise, so a request
    /// that was carried out would read as a failure). `None` leaves the answer to another
    /// frame that listens too.
    /// Fails when the extension APIs are gone (extension reloaded or updated under the page).
    pub fn new(mut f: impl FnMut(JsValue, JsValue) -> Option<JsValue> + 'static) -> Result<MessageListener, JsValue> {
        let closure = Closure::<dyn FnMut(JsValue, JsValue, JsValue) -> JsValue>::new(move |m, s, respond: JsValue| {
            let Some(answer) = f(m, s) else { return JsValue::UNDEFINED };
            if let Some(respond) = respond.dyn_ref::<js_sys::Function>() {
                let _ = respond.call1(&JsValue::UNDEFINED, &answer);
            }
            JsValue::UNDEFINED
        });
        on_message_add(closure.as_ref().unchecked_ref())?;
        Ok(MessageListener { closure })
    }
}

impl Drop for MessageListener {
    fn drop(&mut self) {
        let _ = on_message_remove(self.closure.as_ref().unchecked_ref());
    }
}

#[wasm_bindgen]
extern "C" {
    /// `chrome.alarms.create(name, info)` (Firefox: the `alarms` permission).
    #[wasm_bindgen(js_namespace = ["chrome", "alarms"], js_name = create, catch)]
    fn alarms_create(name: &str, info: &JsValue) -> Result<JsValue, JsValue>;
}

/// The alarm that clears the clipboard where there is no offscreen document (Firefox).
pub const CLEAR_CLIPBOARD_ALARM: &str = "shownonce-clear-clipboard";

/// `chrome.<name>` where this browser has it (an API of one browser only), else `None`.
/// Looked up at run time rather than bound: the Firefox build then names no Chrome-only API,
/// which addons-linter would flag.
fn api(name: &str) -> Option<JsValue> {
    let chrome = js_sys::Reflect::get(&js_sys::global(), &"chrome".into()).ok().filter(JsValue::is_object)?;
    js_sys::Reflect::get(&chrome, &JsValue::from_str(name)).ok().filter(JsValue::is_object)
}

/// Calls `chrome.<api>.<method>(args…)` and awaits the promise it returns.
async fn call_api(api_obj: &JsValue, method: &str, args: &js_sys::Array) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = js_sys::Reflect::get(api_obj, &JsValue::from_str(method))?.dyn_into()?;
    let p: js_sys::Promise = f.apply(api_obj, args)?.dyn_into()?;
    wasm_bindgen_futures::JsFuture::from(p).await
}

/// Arranges for the clipboard to be cleared in `ms`, owned by the extension rather than the
/// page's frame, so it happens even if the tab, the frame or the background is gone by then.
/// - Chrome: the service worker has no DOM and may be stopped at any time, so an offscreen
///   document (reason `CLIPBOARD`) holds the timer and writes the empty string.
/// - Firefox: no offscreen API; an alarm wakes the (possibly suspended) event page, which
///   clears the clipboard itself ([`clear_clipboard_here`]).
pub async fn schedule_clipboard_clear(ms: f64) -> Result<(), JsValue> {
    if let Some(offscreen) = api("offscreen") {
        let params = obj(&[
            ("url", "offscreen.html".into()),
            ("reasons", js_sys::Array::of1(&"CLIPBOARD".into()).into()),
            ("justification", "Clear the clipboard after the delay the user chose".into()),
        ]);
        if let Err(e) = call_api(&offscreen, "createDocument", &js_sys::Array::of1(&params)).await {
            // One offscreen document per extension: a previous copy's one is still open.
            let msg = get_str(&e, "message").unwrap_or_default();
            if !msg.contains("single offscreen") {
                return Err(e);
            }
        }
        let msg = obj(&[("target", "offscreen".into()), ("type", "clearClipboardAfter".into()), ("delayMs", ms.into())]);
        wasm_bindgen_futures::JsFuture::from(send_message(&msg)?).await?;
        Ok(())
    } else {
        let when = js_sys::Date::now() + ms;
        let r = alarms_create(CLEAR_CLIPBOARD_ALARM, &obj(&[("when", when.into())]))?;
        if let Ok(p) = r.dyn_into::<js_sys::Promise>() {
            wasm_bindgen_futures::JsFuture::from(p).await?;
        }
        Ok(())
    }
}

/// Chrome: closes the offscreen document once it cleared the clipboard.
pub async fn close_offscreen() {
    if let Some(offscreen) = api("offscreen") {
        let _ = call_api(&offscreen, "closeDocument", &js_sys::Array::new()).await;
    }
}

/// Firefox's background page: writes the empty string to the clipboard (allowed without a
/// click with the `clipboardWrite` permission). False where it was refused.
pub async fn clear_clipboard_here() -> bool {
    let Some(win) = web_sys::window() else { return false };
    wasm_bindgen_futures::JsFuture::from(win.navigator().clipboard().write_text("")).await.is_ok()
}
