//! `fetch` for the stores that talk to a server (Key Vault and its sign-in). Runs in the
//! background (Chrome's service worker, Firefox's event page): `fetch` is global in both.
//!
//! Requests carry no cookies (`credentials: omit`), are not cached and do not follow
//! redirects: a store's endpoints answer directly, and a redirect would send the bearer
//! token or the secret somewhere the user did not choose. Bodies that may hold a secret or
//! a token are copied into [`Zeroizing`] buffers and the JS-side copies overwritten.

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCache, RequestCredentials, RequestInit, RequestRedirect, Response};
use zeroize::Zeroizing;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
}

/// A received response: status, the headers the stores read, the body (wiped on drop).
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Zeroizing<Vec<u8>>,
    /// `WWW-Authenticate`.
    pub www_authenticate: Option<String>,
    /// `Retry-After`.
    pub retry_after: Option<String>,
    /// `retry-after-ms` or `x-ms-retry-after-ms`.
    pub retry_after_ms: Option<String>,
}

/// Whether the browser believes it is online (`navigator.onLine`; true when unknown).
pub fn online() -> bool {
    Reflect::get(&js_sys::global(), &"navigator".into()).and_then(|n| Reflect::get(&n, &"onLine".into())).ok().and_then(|v| v.as_bool()).unwrap_or(true)
}

/// Sends one request. `Err` is a network failure (no response at all): DNS, TLS,
/// connection refused, offline, a redirect refused.
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Result<HttpResponse, String> {
    let h = Headers::new().map_err(|_| "no Headers".to_string())?;
    for (k, v) in headers {
        h.append(k, v).map_err(|_| format!("bad header {k}"))?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&h);
    init.set_credentials(RequestCredentials::Omit);
    init.set_cache(RequestCache::NoStore);
    init.set_redirect(RequestRedirect::Error);
    let view = body.map(Uint8Array::from);
    if let Some(v) = &view {
        init.set_body(v);
    }
    let request = Request::new_with_str_and_init(url, &init);
    // The Request took its own copy of the body: overwrite ours.
    if let Some(v) = &view {
        v.fill(0, 0, v.length());
    }
    let request = request.map_err(|e| format!("bad request: {}", js_message(&e)))?;
    let resp: Response = JsFuture::from(global_fetch(&request)).await.map_err(|e| js_message(&e))?.unchecked_into();
    let header = |name: &str| resp.headers().get(name).ok().flatten();
    let buf = JsFuture::from(resp.array_buffer().map_err(|e| js_message(&e))?).await.map_err(|e| js_message(&e))?;
    let bytes = Uint8Array::new(&buf);
    let body = Zeroizing::new(bytes.to_vec());
    bytes.fill(0, 0, bytes.length());
    Ok(HttpResponse {
        status: resp.status(),
        body,
        www_authenticate: header("www-authenticate"),
        retry_after: header("retry-after"),
        retry_after_ms: header("retry-after-ms").or_else(|| header("x-ms-retry-after-ms")),
    })
}

/// The message of a JS error (or its string form).
pub fn js_message(e: &JsValue) -> String {
    Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()).or_else(|| e.as_string()).unwrap_or_else(|| "unknown error".into())
}
