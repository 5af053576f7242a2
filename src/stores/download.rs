//! Saving bytes to a file in a folder the user picks: `downloads.download` with a save-as
//! dialog, then waiting for that download to complete. Needs the `downloads` permission.
//!
//! - URL: Chrome's MV3 service worker has no `URL.createObjectURL`, so it gets a
//!   `data:application/octet-stream;base64,…` URL; Firefox's background page has it and
//!   gets a blob URL, revoked when we are done.
//! - Completion: `downloads.onChanged` for our id reaching `complete` or `interrupted`
//!   (the listener is removed on drop), with `downloads.search({id})` polled as a fallback
//!   (a missed event, a listener registered late). The polling also counts as extension
//!   API activity, which keeps Chrome's service worker alive while the dialog is open.
//! - Cancel: Firefox rejects `download()` when the save-as dialog is cancelled ("Download
//!   canceled by the user"); Chrome interrupts the item with `USER_CANCELED`.
//!
//! Only ciphertext passes through here; nothing is logged.

use crate::core::i18n::tr;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use js_sys::{Array, Date, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// How often `downloads.search` is polled while waiting.
const POLL_MS: u32 = 2_000;
/// Give up waiting after this long (a save-as dialog left open, a stalled download).
const TIMEOUT_MS: f64 = 15.0 * 60.0 * 1000.0;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "downloads"], js_name = download, catch)]
    fn downloads_download(options: &Object) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "downloads"], js_name = search, catch)]
    fn downloads_search(query: &Object) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "downloads", "onChanged"], js_name = addListener, catch)]
    fn on_changed_add_listener(listener: &Function) -> Result<(), JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "downloads", "onChanged"], js_name = removeListener, catch)]
    fn on_changed_remove_listener(listener: &Function) -> Result<(), JsValue>;
}

/// Why the file was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadError {
    /// The user cancelled the save-as dialog or the download.
    Cancelled,
    /// No downloads API here (the `downloads` permission is missing).
    Unavailable,
    /// The browser refused to start the download; its message.
    Rejected(String),
    /// The download started but was interrupted; the browser's error code (`FILE_NO_SPACE`…).
    Interrupted(String),
    /// The download disappeared from the browser's list before it finished.
    Vanished,
    /// Still not finished after 15 minutes.
    TimedOut,
}

impl DownloadError {
    /// A sentence fragment for the prompt ("Not saved: …").
    pub fn user_message(&self) -> String {
        match self {
            DownloadError::Cancelled => tr("downloadCancelled", &[]),
            DownloadError::Unavailable => tr("downloadUnavailable", &[]),
            DownloadError::Rejected(why) => tr("downloadRejected", &[why]),
            DownloadError::Interrupted(code) => match code.as_str() {
                "FILE_ACCESS_DENIED" => tr("downloadAccessDenied", &[]),
                "FILE_NO_SPACE" => tr("downloadNoSpace", &[]),
                "FILE_NAME_TOO_LONG" => tr("downloadNameTooLong", &[]),
                "FILE_TRANSIENT_ERROR" => tr("downloadTransient", &[]),
                "FILE_BLOCKED" | "FILE_VIRUS_INFECTED" | "FILE_SECURITY_CHECK_FAILED" => tr("downloadBlocked", &[]),
                "USER_SHUTDOWN" => tr("downloadShutdown", &[]),
                "" => tr("downloadInterrupted", &[]),
                other => tr("downloadInterruptedCode", &[other]),
            },
            DownloadError::Vanished => tr("downloadVanished", &[]),
            DownloadError::TimedOut => tr("downloadTimedOut", &[]),
        }
    }
}

impl DownloadError {
    /// A short machine code for diagnostics and tests (`interrupted:FILE_FAILED`…); no data.
    pub fn code(&self) -> String {
        match self {
            DownloadError::Cancelled => "cancelled".into(),
            DownloadError::Unavailable => "unavailable".into(),
            DownloadError::Rejected(_) => "rejected".into(),
            DownloadError::Interrupted(code) => {
                // Browser error codes are upper-case identifiers; anything else is not echoed.
                let safe = !code.is_empty() && code.len() <= 40 && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
                if safe {
                    ["interrupted:", code].concat()
                } else {
                    "interrupted".into()
                }
            }
            DownloadError::Vanished => "vanished".into(),
            DownloadError::TimedOut => "timedOut".into(),
        }
    }
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.user_message())
    }
}

/// How a download ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    Complete,
    /// The error code (may be empty).
    Interrupted(String),
}

impl End {
    fn from_state(state: &str, error: Option<String>) -> Option<End> {
        match state {
            "complete" => Some(End::Complete),
            "interrupted" => Some(End::Interrupted(error.unwrap_or_default())),
            _ => None,
        }
    }
}

/// Shared between the `onChanged` listener and the waiting future.
#[derive(Default)]
struct Watch {
    /// Our download's id, once `download()` resolved.
    target: Option<f64>,
    /// Terminal events seen before the id was known (a download can finish that fast).
    early: Vec<(f64, End)>,
    /// Our download's end.
    done: Option<End>,
    /// Resolves the promise the waiting future races against the poll timer.
    wake: Option<Function>,
}

impl Watch {
    fn record(&mut self, id: f64, end: End) {
        match self.target {
            Some(t) if t == id => self.finish(end),
            Some(_) => {}
            // Bounded: only other downloads finishing in the same instant land here.
            None if self.early.len() < 64 => self.early.push((id, end)),
            None => {}
        }
    }

    fn set_target(&mut self, id: f64) {
        self.target = Some(id);
        if let Some(pos) = self.early.iter().position(|(i, _)| *i == id) {
            let (_, end) = self.early.swap_remove(pos);
            self.finish(end);
        }
        self.early.clear();
    }

    fn finish(&mut self, end: End) {
        if self.done.is_none() {
            self.done = Some(end);
            if let Some(wake) = self.wake.take() {
                let _ = wake.call0(&JsValue::UNDEFINED);
            }
        }
    }
}

/// An `onChanged` listener, removed when dropped.
struct Listener {
    closure: Closure<dyn FnMut(JsValue)>,
}

impl Listener {
    fn add(watch: Rc<RefCell<Watch>>) -> Result<Listener, DownloadError> {
        let closure = Closure::<dyn FnMut(JsValue)>::new(move |delta: JsValue| {
            let Some(id) = get(&delta, "id").as_f64() else {
                return;
            };
            let Some(state) = delta_current(&delta, "state") else {
                return;
            };
            if let Some(end) = End::from_state(&state, delta_current(&delta, "error")) {
                // try_borrow: never panic if an event arrives re-entrantly.
                if let Ok(mut w) = watch.try_borrow_mut() {
                    w.record(id, end);
                }
            }
        });
        on_changed_add_listener(closure.as_ref().unchecked_ref()).map_err(|_| DownloadError::Unavailable)?;
        Ok(Listener { closure })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = on_changed_remove_listener(self.closure.as_ref().unchecked_ref());
    }
}

/// A blob URL, revoked when dropped.
struct ObjectUrl(String);

impl Drop for ObjectUrl {
    fn drop(&mut self) {
        let _ = web_sys::Url::revoke_object_url(&self.0);
    }
}

/// Saves `bytes` as `file_name` in a folder the user picks (save-as dialog if `save_as`, else
/// straight into the browser's download folder; name uniquified on conflict). Resolves once
/// the browser reports the download `complete`, with the final path when the browser tells
/// it (else the file name).
pub async fn save_download_with(bytes: Vec<u8>, file_name: &str, save_as: bool) -> Result<String, DownloadError> {
    let (url, _blob_url) = download_url(&bytes);
    drop(bytes);

    let watch = Rc::new(RefCell::new(Watch::default()));
    let mut wake = None;
    let finished = Promise::new(&mut |resolve, _reject| wake = Some(resolve));
    watch.borrow_mut().wake = wake;
    // Registered before the download starts, so even an instant completion is seen.
    let _listener = Listener::add(watch.clone())?;

    let options = Object::new();
    set(&options, "url", &JsValue::from_str(&url));
    set(&options, "filename", &JsValue::from_str(file_name));
    set(&options, "saveAs", &JsValue::from_bool(save_as));
    set(&options, "conflictAction", &JsValue::from_str("uniquify"));
    drop(url);
    let started = downloads_download(&options).map_err(|_| DownloadError::Unavailable)?;
    let id = match JsFuture::from(started).await {
        Ok(id) => id.as_f64().ok_or_else(|| DownloadError::Rejected(tr("downloadNoId", &[])))?,
        Err(e) => return Err(rejection(&e)),
    };
    watch.borrow_mut().set_target(id);

    let deadline = Date::now() + TIMEOUT_MS;
    let end = loop {
        if let Some(end) = watch.borrow_mut().done.take() {
            break end;
        }
        if Date::now() > deadline {
            return Err(DownloadError::TimedOut);
        }
        let race = Promise::race(&Array::of2(&finished, &sleep(POLL_MS)));
        let _ = JsFuture::from(race).await;
        if watch.borrow().done.is_some() {
            continue;
        }
        match search(id).await {
            Ok(Some(item)) => {
                let state = get(&item, "state").as_string().unwrap_or_default();
                if let Some(end) = End::from_state(&state, get(&item, "error").as_string()) {
                    watch.borrow_mut().finish(end);
                }
            }
            Ok(None) => return Err(DownloadError::Vanished),
            Err(()) => {} // keep waiting for the event
        }
    };

    match end {
        End::Complete => {
            let path = match search(id).await {
                Ok(Some(item)) => get(&item, "filename").as_string().filter(|f| !f.is_empty()),
                _ => None,
            };
            Ok(path.unwrap_or_else(|| file_name.to_owned()))
        }
        End::Interrupted(code) if code == "USER_CANCELED" => Err(DownloadError::Cancelled),
        End::Interrupted(code) => Err(DownloadError::Interrupted(code)),
    }
}

/// A blob URL where `URL.createObjectURL` exists (Firefox's background page), else a
/// base64 data URL (Chrome's service worker).
fn download_url(bytes: &[u8]) -> (String, Option<ObjectUrl>) {
    if let Some(url) = blob_url(bytes) {
        return (url.0.clone(), Some(url));
    }
    let mut url = String::from("data:application/octet-stream;base64,");
    base64_into(bytes, &mut url);
    (url, None)
}

fn blob_url(bytes: &[u8]) -> Option<ObjectUrl> {
    let url_ctor = get(&js_sys::global(), "URL");
    if !get(&url_ctor, "createObjectURL").is_function() {
        return None;
    }
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("application/octet-stream");
    let parts = Array::of1(&Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &bag).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok().map(ObjectUrl)
}

/// Maps a rejected `download()` to an error; Firefox rejects a cancelled save-as dialog.
fn rejection(e: &JsValue) -> DownloadError {
    let msg = get(e, "message").as_string().or_else(|| e.as_string()).unwrap_or_default();
    if msg.to_ascii_lowercase().contains("cancel") {
        return DownloadError::Cancelled;
    }
    if msg.contains("undefined") || msg.contains("not a function") {
        return DownloadError::Unavailable;
    }
    // The message may quote the (long) URL: keep it short.
    let short: String = msg.chars().take(160).collect();
    DownloadError::Rejected(if short.is_empty() { tr("downloadNoReason", &[]) } else { short })
}

/// `downloads.search({id})`: the item, `None` if it is gone, `Err` if the call failed.
async fn search(id: f64) -> Result<Option<JsValue>, ()> {
    let query = Object::new();
    set(&query, "id", &JsValue::from_f64(id));
    let found = JsFuture::from(downloads_search(&query).map_err(|_| ())?).await.map_err(|_| ())?;
    let items: Array = found.dyn_into().map_err(|_| ())?;
    Ok(if items.length() == 0 { None } else { Some(items.get(0)) })
}

// A Promise (not a Future) so it can race the onChanged promise; gloo's Timeout calls the
// global setTimeout, which exists in both a window and a service worker.
fn sleep(ms: u32) -> Promise {
    Promise::new(&mut |resolve, _reject| {
        gloo_timers::callback::Timeout::new(ms, move || {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        })
        .forget();
    })
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() || obj.is_function() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// `delta[key].current` as a string (a `StringDelta` of `downloads.onChanged`).
fn delta_current(delta: &JsValue, key: &str) -> Option<String> {
    get(&get(delta, key), "current").as_string()
}

/// Standard base64 with padding (RFC 4648 §4), appended to `out`.
pub fn base64_into(bytes: &[u8], out: &mut String) {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
}
