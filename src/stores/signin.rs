//! Signing in to the Microsoft identity platform for Key Vault: the OAuth 2.0 authorization
//! code flow with PKCE, run from the background through `identity.launchWebAuthFlow`
//! (MSAL.js does not run in an MV3 service worker). Request building and parsing are the
//! pure [`crate::core::pkce`]; this file does the I/O.
//!
//! Tokens live in memory and in `storage.session` (memory-only, cleared when the browser
//! quits, not readable by content scripts), so a restarted service worker does not make the
//! user sign in again; the refresh token (24 h for SPA clients) renews the access token
//! silently. Interactive sign-in happens only inside a save the user started with a click.

use crate::core::i18n::tr;
use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::Date;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use crate::core::keyvault::Cloud;
use crate::core::pkce::{parse_redirect, parse_token_response, state_from_random, AuthConfig, CodeVerifier, TokenError};
use crate::platform::{self, get_f64, get_str, obj};
use crate::stores::http;
use crate::stores::StoreError;

/// Renew access tokens this long before they expire (clock skew, slow requests).
const EARLY_RENEW_MS: f64 = 120_000.0;

struct Tokens {
    access: Option<Zeroizing<String>>,
    refresh: Option<Zeroizing<String>>,
    expires_at_ms: f64,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Tokens>> = RefCell::new(HashMap::new());
}

/// Who signs in where: one token cache entry per cloud, tenant and client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The vault's cloud (its sign-in authority and Key Vault audience).
    pub cloud: Cloud,
    /// Tenant GUID or domain, or `organizations` until a vault's challenge names one.
    pub tenant: String,
    /// The public client (SPA) registration's Application (client) ID.
    pub client_id: String,
}

impl Account {
    fn key(&self) -> String {
        format!("kvtok|{}|{}|{}", self.cloud.authority_host(), self.tenant, self.client_id)
    }

    fn config(&self, redirect_uri: &str) -> AuthConfig {
        AuthConfig::for_cloud(self.cloud, &self.tenant, &self.client_id, redirect_uri)
    }
}

async fn load(key: &str) -> Option<Tokens> {
    let entry = platform::session_value(key).await?;
    if !entry.is_object() {
        return None;
    }
    Some(Tokens {
        access: get_str(&entry, "a").map(Zeroizing::new),
        refresh: get_str(&entry, "r").map(Zeroizing::new),
        expires_at_ms: get_f64(&entry, "e").unwrap_or(0.0),
    })
}

async fn store(key: &str, t: Tokens) {
    let entry = obj(&[
        ("a", t.access.as_deref().map(|s| JsValue::from_str(s)).unwrap_or(JsValue::NULL)),
        ("r", t.refresh.as_deref().map(|s| JsValue::from_str(s)).unwrap_or(JsValue::NULL)),
        ("e", t.expires_at_ms.into()),
    ]);
    platform::session_put(key, entry).await;
    CACHE.with(|c| c.borrow_mut().insert(key.to_owned(), t));
}

async fn cached(key: &str) -> Option<Tokens> {
    let mem = CACHE.with(|c| c.borrow().get(key).map(|t| Tokens { access: t.access.clone(), refresh: t.refresh.clone(), expires_at_ms: t.expires_at_ms }));
    match mem {
        Some(t) => Some(t),
        None => load(key).await,
    }
}

/// A still-valid access token for `account`, without any network request.
pub async fn cached_access_token(account: &Account) -> Option<Zeroizing<String>> {
    let t = cached(&account.key()).await?;
    (t.expires_at_ms - EARLY_RENEW_MS > Date::now()).then_some(t.access).flatten()
}

/// Forgets the access token (Key Vault rejected it); with `all`, the refresh token too.
pub async fn invalidate(account: &Account, all: bool) {
    let key = account.key();
    let Some(mut t) = cached(&key).await else { return };
    t.access = None;
    t.expires_at_ms = 0.0;
    if all {
        t.refresh = None;
    }
    store(&key, t).await;
}

fn random(n: usize) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let mut b = Zeroizing::new(vec![0u8; n]);
    getrandom::getrandom(&mut b).map_err(|_| StoreError::Failed(tr("signInNoRandom", &[])))?;
    Ok(b)
}

fn token_error(e: TokenError) -> StoreError {
    StoreError::Failed(match e {
        TokenError::NeedsInteractiveSignIn(d) => tr("signInExpired", &[&d]),
        TokenError::Rejected { error, description } => tr("signInRejected", &[&error, &description]),
        TokenError::BadResponse => tr("signInBadResponse", &[]),
    })
}

async fn redeem(account: &Account, cfg: &AuthConfig, body: Zeroizing<String>) -> Result<Zeroizing<String>, TokenError> {
    let sent = Date::now();
    let resp = http::send("POST", &cfg.token_url(), &[("Content-Type", "application/x-www-form-urlencoded")], Some(body.as_bytes()))
        .await
        .map_err(|_| TokenError::Rejected { error: "network".into(), description: tr("signInUnreachable", &[account.cloud.authority_host()]) })?;
    let t = parse_token_response(resp.status, &resp.body)?;
    let access = Zeroizing::new(t.access_token.clone());
    let expires_at_ms = sent + (t.expires_in as f64) * 1000.0;
    let mut refresh = t.refresh_token.clone().map(Zeroizing::new);
    if refresh.is_none() {
        // Keep the old refresh token if the service did not rotate it.
        refresh = cached(&account.key()).await.and_then(|old| old.refresh);
    }
    store(&account.key(), Tokens { access: Some(access.clone()), refresh, expires_at_ms }).await;
    drop(t);
    Ok(access)
}

/// An access token for Key Vault: the cached one, else a silent refresh, else (only when
/// `interactive`) the sign-in window.
pub async fn access_token(account: &Account, interactive: bool) -> Result<Zeroizing<String>, StoreError> {
    if let Some(a) = cached_access_token(account).await {
        return Ok(a);
    }
    let redirect_uri = platform::identity_redirect_url().map_err(|_| StoreError::Failed(tr("signInNoIdentity", &[])))?;
    let cfg = account.config(&redirect_uri);
    if let Some(refresh) = cached(&account.key()).await.and_then(|t| t.refresh) {
        match redeem(account, &cfg, Zeroizing::new(cfg.refresh_token_body(&refresh))).await {
            Ok(a) => return Ok(a),
            Err(TokenError::NeedsInteractiveSignIn(_)) => invalidate(account, true).await,
            Err(e @ TokenError::Rejected { .. }) if !interactive => return Err(token_error(e)),
            Err(_) => invalidate(account, true).await,
        }
    }
    if !interactive {
        return Err(StoreError::Failed(tr("signInNeeded", &[])));
    }
    let verifier = CodeVerifier::from_random(&random(32)?).map_err(|_| StoreError::Failed(tr("signInSetupFailed", &[])))?;
    let state = state_from_random(&random(16)?).map_err(|_| StoreError::Failed(tr("signInSetupFailed", &[])))?;
    let url = cfg.authorize_url(&state, &verifier.challenge(), None);
    let flow = platform::launch_web_auth_flow(&obj(&[("url", JsValue::from_str(&url)), ("interactive", true.into())]))
        .map_err(|e| StoreError::Failed(tr("signInWindowFailed", &[&http::js_message(&e)])))?;
    let redirected = match JsFuture::from(flow).await {
        Ok(v) => Zeroizing::new(v.as_string().unwrap_or_default()),
        Err(e) => {
            let m = http::js_message(&e);
            let lower = m.to_ascii_lowercase();
            // Chrome: "The user did not approve access."; Firefox: "User cancelled or denied access."
            if lower.contains("did not approve") || lower.contains("cancel") {
                return Err(StoreError::Cancelled);
            }
            return Err(StoreError::Failed(tr("signInIncomplete", &[&m])));
        }
    };
    let code = parse_redirect(&redirected, &redirect_uri, &state).map_err(|e| StoreError::Failed(e.user_message()))?;
    redeem(account, &cfg, Zeroizing::new(cfg.code_token_body(&code, &verifier))).await.map_err(token_error)
}
