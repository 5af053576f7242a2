//! Store 4: HashiCorp Vault / OpenBao, KV version 2. Request building and response
//! interpretation are the pure [`crate::core::openbao`]; this file runs the calls.
//!
//! One save: the token (pasted in the options, or a `userpass` login with the password typed
//! in the prompt) → `lookup-self` (renewed when it is about to expire) → the mount must be
//! KV v2 → does the path exist? If so, ask before adding a version → write with
//! check-and-set (`cas: 0` creates only; `cas: <current>` adds exactly one version, so a
//! write by someone else meanwhile is refused, not overwritten) → the context as custom
//! metadata → read the version back and compare in constant time → only then "saved".
//! 429, a standby node and network failures are retried a bounded number of times.

use crate::core::i18n::tr;
use gloo_timers::future::TimeoutFuture;
use js_sys::Date;
use wasm_bindgen::JsValue;
use zeroize::{Zeroize, Zeroizing};

use crate::core::keyvault::expiry_unix;
use crate::core::openbao::{
    interpret_lookup_self, interpret_metadata, interpret_metadata_write, interpret_mount, interpret_read_back, interpret_renew, interpret_write,
    lookup_self_request, map_error, metadata_request, metadata_write_request, mount_request, read_back_request, render_path, renew_self_request,
    userpass_login_request, validate_path, write_request, BaoAddr, BaoError, BaoOp, BaoRequest, BaoResponse, BaoTarget, PathContext, SecretData, SecretMeta,
};
use crate::core::settings::{bao_token_key, BaoAuth, Settings};
use crate::core::state::StoreKind;
use crate::platform;
use crate::stores::{http, Receipt, SaveRequest, Store, StoreError};

/// The HashiCorp Vault / OpenBao store.
pub struct BaoStore;

/// Attempts per request when the failure may pass (429, standby, network).
const ATTEMPTS: u32 = 3;
/// Pause before retry n: n × this.
const RETRY_PAUSE_MS: u32 = 500;
/// Renew a renewable token that has less than this left.
const RENEW_BELOW_SECS: u64 = 600;

fn view(resp: &http::HttpResponse) -> BaoResponse<'_> {
    BaoResponse { status: resp.status, body: &resp.body }
}

/// Sends `req` with the token and namespace; retries what may pass. Returns the response
/// (which the caller interprets, error statuses included) or the error that ended the tries.
/// A wait before a retry is said in `say`'s prompt (nobody's for the options page's test).
async fn send(req: &BaoRequest, token: Option<&str>, op: BaoOp, say: &crate::stores::Progress) -> Result<http::HttpResponse, BaoError> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let mut headers: Vec<(&str, &str)> = vec![("X-Vault-Request", "true")];
        if let Some(t) = token {
            headers.push(("X-Vault-Token", t));
        }
        if let Some(ns) = req.namespace.as_deref() {
            headers.push(("X-Vault-Namespace", ns));
        }
        if req.body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let error = match http::send(req.method, &req.url, &headers, req.body.as_deref().map(Vec::as_slice)).await {
            Err(_) => BaoError::Network,
            Ok(resp) if resp.status == 429 || resp.status >= 500 => map_error(&view(&resp), op),
            Ok(resp) => return Ok(resp),
        };
        if !error.retryable() || attempt >= ATTEMPTS {
            return Err(error);
        }
        // Short pauses: a background idle that long may be suspended (Firefox's event page
        // idles out after 30 s by default; the e2e profiles use 2 s) and the save with it.
        say.say(&error.retry_note(u64::from(RETRY_PAUSE_MS * attempt))).await;
        TimeoutFuture::new(RETRY_PAUSE_MS * attempt).await;
    }
}

/// The token stored for `origin`: this browser session's, else one the user asked to remember.
pub async fn stored_token(origin: &str) -> Option<Zeroizing<String>> {
    let key = bao_token_key(origin);
    let v = match platform::session_value(&key).await {
        Some(v) => Some(v),
        None => platform::local_value(&key).await,
    };
    v.and_then(|v| v.as_string()).filter(|t| !t.is_empty()).map(Zeroizing::new)
}

async fn forget_session_token(origin: &str) {
    let _ = platform::wait(platform::session_remove(&JsValue::from_str(&bao_token_key(origin)))).await;
}

/// What the store needs before any request: the server, the path, and that the browser lets
/// the extension reach the server.
struct Plan {
    target: BaoTarget,
    path: String,
}

fn failed(e: &BaoError, t: &BaoTarget, path: &str) -> StoreError {
    StoreError::Failed(e.user_message(t, path))
}

fn plan(settings: &Settings, req: &SaveRequest) -> Result<Plan, StoreError> {
    let addr_text = settings.hcvault_addr.as_deref().ok_or_else(|| StoreError::Failed(tr("baoNoAddress", &[])))?;
    let bad = |e: BaoError| StoreError::Failed(e.user_message_plain());
    let addr = BaoAddr::parse(addr_text).map_err(bad)?;
    let target = BaoTarget::new(addr, settings.hcvault_namespace.as_deref(), Some(settings.hcvault_mount.as_str())).map_err(bad)?;
    let path = match req.secret_name.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => p.to_owned(),
        None => render_path(&settings.hcvault_path, &context(req)).map_err(bad)?,
    };
    let path = validate_path(&path).map_err(bad)?;
    Ok(Plan { target, path })
}

fn context(req: &SaveRequest) -> PathContext<'_> {
    PathContext {
        app_name: &req.app_name,
        client_id: req.client_id.as_deref().unwrap_or(""),
        tenant_id: req.tenant_id.as_deref().unwrap_or(""),
        secret_id: &req.secret_id,
        description: req.description.trim(),
    }
}

/// A token that works: the stored one (renewed if it is about to expire) or a new `userpass`
/// login with the password typed in the prompt (kept for this browser session only).
async fn token(settings: &Settings, req: &SaveRequest, t: &BaoTarget) -> Result<Zeroizing<String>, StoreError> {
    let origin = t.addr.origin().to_owned();
    let login = StoreError::Failed;
    if settings.hcvault_auth == BaoAuth::Userpass {
        if let Some(pass) = req.password.as_deref().filter(|p| !p.is_empty()) {
            let user = req.username.clone().filter(|u| !u.trim().is_empty()).or_else(|| settings.hcvault_username.clone());
            let user = user.ok_or_else(|| login(tr("baoNeedUsername", &[])))?;
            let mut r = userpass_login_request(t, "userpass", user.trim(), pass).map_err(|e| failed(&e, t, ""))?;
            let sent = send(&r, None, BaoOp::Login, &req.progress).await;
            if let Some(b) = r.body.as_mut() {
                b.zeroize();
            }
            let resp = sent.map_err(|e| failed(&e, t, ""))?;
            let tok = crate::core::openbao::interpret_login(&view(&resp)).map_err(|e| failed(&e, t, ""))?;
            // For the next saves of this browser session; never in persistent storage.
            platform::session_put(&bao_token_key(&origin), JsValue::from_str(&tok.token)).await;
            return Ok(tok.token);
        }
    }
    let Some(tok) = stored_token(&origin).await else {
        return Err(login(match settings.hcvault_auth {
            BaoAuth::Userpass => tr("baoNeedPassword", &[]),
            BaoAuth::Token => tr("baoNoToken", &[]),
        }));
    };
    let resp = send(&lookup_self_request(t), Some(&tok), BaoOp::Lookup, &req.progress).await.map_err(|e| failed(&e, t, ""))?;
    match interpret_lookup_self(&view(&resp)) {
        Ok(info) => {
            if info.renewable && info.ttl_secs < RENEW_BELOW_SECS {
                // Best effort: a failed renewal leaves the token as it was, still valid for now.
                if let Ok(r) = send(&renew_self_request(t), Some(&tok), BaoOp::Renew, &req.progress).await {
                    let _ = interpret_renew(&view(&r));
                }
            }
            Ok(tok)
        }
        Err(BaoError::PermissionDenied { .. } | BaoError::TokenExpired) => {
            forget_session_token(&origin).await;
            let e = if settings.hcvault_auth == BaoAuth::Userpass {
                StoreError::Failed(tr("baoSignInExpired", &[]))
            } else {
                failed(&BaoError::TokenExpired, t, "")
            };
            Err(e)
        }
        Err(e) => Err(failed(&e, t, "")),
    }
}

fn now_unix() -> i64 {
    (Date::now() / 1000.0) as i64
}

impl Store for BaoStore {
    fn kind(&self) -> StoreKind {
        StoreKind::HashiCorpVault
    }

    async fn save(&self, req: SaveRequest) -> Result<Receipt, StoreError> {
        let settings = platform::settings().await.unwrap_or_default();
        let Plan { target: t, path } = plan(&settings, &req)?;
        let pattern = t.addr.permission_pattern();
        if !platform::has_origin(&pattern).await {
            return Err(StoreError::Failed(tr("baoNotPermitted", &[t.addr.origin()])));
        }
        let tok = token(&settings, &req, &t).await?;
        let f = |e: BaoError| failed(&e, &t, &path);

        // 1. A KV v2 mount at the configured path.
        let resp = send(&mount_request(&t, &path), Some(&tok), BaoOp::Mount, &req.progress).await.map_err(f)?;
        interpret_mount(&view(&resp), &t).map_err(f)?;

        // 2. Does the path exist? Never a silent overwrite: ask first.
        let resp = send(&metadata_request(&t, &path), Some(&tok), BaoOp::Metadata, &req.progress).await.map_err(f)?;
        let current = interpret_metadata(&view(&resp)).map_err(f)?;
        if let (Some(v), false) = (current, req.allow_new_version) {
            let at = format!("{}/{path}", t.mount);
            return Err(StoreError::NeedsConfirmation(tr("baoPathExists", &[&at, t.addr.origin(), &v.to_string()])));
        }

        // 3. Write with check-and-set: 0 creates only; the version the user agreed to extend.
        let data = SecretData { client_id: req.client_id.as_deref().unwrap_or(""), tenant_id: req.tenant_id.as_deref().unwrap_or(""), value: &req.value };
        let mut put = write_request(&t, &path, &data, current.unwrap_or(0));
        let sent = send(&put, Some(&tok), BaoOp::Write, &req.progress).await;
        if let Some(b) = put.body.as_mut() {
            b.zeroize();
        }
        let resp = sent.map_err(f)?;
        let version = match interpret_write(&view(&resp)) {
            Ok(v) => v,
            // Someone wrote meanwhile: ask again (the question names the new current version).
            Err(BaoError::CasMismatch) => return Err(StoreError::NeedsConfirmation(tr("baoCasQuestion", &[&format!("{}/{path}", t.mount)]))),
            Err(e) => return Err(f(e)),
        };
        drop(resp);

        // 4. The context as custom metadata (and, if the user opted in, deletion at expiry).
        let expires = req.expires.as_deref().unwrap_or("");
        let delete_after = if settings.hcvault_delete_at_expiry {
            req.expires
                .as_deref()
                .and_then(|e| expiry_unix(e, req.locale.as_deref().unwrap_or("")))
                .map(|x| x - now_unix())
                .filter(|s| *s > 0)
                .map(|s| s as u64)
        } else {
            None
        };
        let meta = SecretMeta {
            app_name: &req.app_name,
            client_id: req.client_id.as_deref().unwrap_or(""),
            secret_id: &req.secret_id,
            description: req.description.trim(),
            expires,
        };
        let meta_note = match send(&metadata_write_request(&t, &path, &meta, delete_after), Some(&tok), BaoOp::WriteMetadata, &req.progress).await {
            Ok(r) => match interpret_metadata_write(&view(&r)) {
                Ok(()) => None,
                Err(e) => Some(e.user_message(&t, &path)),
            },
            Err(e) => Some(e.user_message(&t, &path)),
        };

        // 5. Read it back: saved only if the server returns exactly what was written.
        let resp = send(&read_back_request(&t, &path, version), Some(&tok), BaoOp::ReadBack, &req.progress).await.map_err(f)?;
        interpret_read_back(&view(&resp), version, req.value.as_bytes()).map_err(f)?;
        drop(tok);
        let (at, version) = (format!("{}/{path}", t.mount), version.to_string());
        let message = match meta_note {
            None => tr("baoSaved", &[t.addr.origin(), &at, &version]),
            Some(why) => tr("baoSavedMetaFailed", &[t.addr.origin(), &at, &version, &why]),
        };
        Ok(Receipt { message })
    }
}

/// The options page's "Allow and test": can the stored token reach the server, is the mount
/// KV v2, and may it create (and read back) at the template's path for a sample secret?
/// Answers `(ok, sentence)`; never the token.
pub async fn test_connection() -> (bool, String) {
    let settings = platform::settings().await.unwrap_or_default();
    let sample = SaveRequest {
        app_name: "Contoso API".into(),
        client_id: Some("11111111-2222-4333-8444-555555555555".into()),
        description: "example".into(),
        ..Default::default()
    };
    let Plan { target: t, path } = match plan(&settings, &sample) {
        Ok(p) => p,
        Err(e) => return (false, e.user_message()),
    };
    if !platform::has_origin(&t.addr.permission_pattern()).await {
        return (false, tr("baoTestNotAllowed", &[t.addr.origin()]));
    }
    let tok = match token(&settings, &sample, &t).await {
        Ok(t) => t,
        Err(e) => return (false, e.user_message()),
    };
    let resp = match send(&mount_request(&t, &path), Some(&tok), BaoOp::Mount, &crate::stores::Progress::default()).await {
        Ok(r) => r,
        Err(e) => return (false, e.user_message(&t, &path)),
    };
    if let Err(e) = interpret_mount(&view(&resp), &t) {
        return (false, e.user_message(&t, &path));
    }
    let resp = match send(&crate::core::openbao::capabilities_request(&t, &path), Some(&tok), BaoOp::Capabilities, &crate::stores::Progress::default()).await {
        Ok(r) => r,
        Err(e) => return (false, e.user_message(&t, &path)),
    };
    match crate::core::openbao::interpret_capabilities(&view(&resp), &t, &path) {
        Ok(caps) => {
            let missing = caps.missing_for_save(&t, &path, false);
            if missing.is_empty() {
                (true, tr("baoTestOk", &[t.addr.origin(), &format!("{}/{path}", t.mount)]))
            } else {
                (false, tr("baoTestMissing", &[t.addr.origin(), &missing.join(", ")]))
            }
        }
        Err(e) => (false, e.user_message(&t, &path)),
    }
}
