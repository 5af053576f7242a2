//! Store 3: Azure Key Vault (REST API 2025-07-01). Request building and response
//! interpretation are the pure [`crate::core::keyvault`]; this file runs the calls.
//!
//! One save: list the name's versions (also how a first call without a token learns the
//! vault's tenant from its `WWW-Authenticate` challenge) → if the name exists, ask the user
//! before adding a version → PUT with the expiry and context → read the version back and
//! compare in constant time → only then "saved". 401 signs in again (at most twice); 429,
//! 5xx and network failures are retried with backoff, honouring `Retry-After`.

use crate::core::i18n::tr;
use js_sys::Date;
use zeroize::{Zeroize, Zeroizing};

use crate::core::keyvault::{
    derive_secret_name, expiry_unix, interpret_put, interpret_read_back, interpret_versions, map_error, put_secret_request, read_back_request,
    validate_secret_name, versions_request, Cloud, KvError, KvRequest, KvResponse, RetryPolicy, SecretContext, VaultUrl,
};
use crate::core::state::StoreKind;
use crate::platform;
use crate::stores::signin::{self, Account};
use crate::stores::{http, Receipt, SaveRequest, Store, StoreError};

/// The Azure Key Vault store.
pub struct KeyVaultStore;

fn now_unix() -> i64 {
    (Date::now() / 1000.0) as i64
}

fn failed(e: &KvError, vault: &VaultUrl, name: &str) -> StoreError {
    StoreError::Failed(e.user_message(vault, name))
}

/// One save's connection to a vault: the account to sign in with and the retry policy.
struct Session {
    vault: VaultUrl,
    name: String,
    account: Account,
    policy: RetryPolicy,
    progress: crate::stores::Progress,
}

impl Session {
    /// Sends `req`, signing in and retrying as needed. Returns the final response, which
    /// may still be an error status for the caller to interpret (403, 404, 409…).
    async fn send(&mut self, req: &KvRequest) -> Result<http::HttpResponse, StoreError> {
        let mut attempts = 0u32;
        let mut rejected = 0u32;
        let mut sign_ins = 0u32;
        loop {
            let mut token = signin::cached_access_token(&self.account).await;
            // A request carrying the secret never goes out without a token.
            if token.is_none() && req.body.is_some() {
                token = Some(signin::access_token(&self.account, true).await?);
            }
            let auth = token.as_ref().map(|t| Zeroizing::new(format!("Bearer {}", t.as_str())));
            let mut headers: Vec<(&str, &str)> = Vec::new();
            if let Some(a) = &auth {
                headers.push(("Authorization", a.as_str()));
            }
            if req.body.is_some() {
                headers.push(("Content-Type", "application/json"));
            }
            attempts += 1;
            let error = match http::send(req.method.as_str(), &req.url, &headers, req.body.as_deref()).await {
                Err(_) => KvError::network(http::online()),
                Ok(resp) => {
                    if resp.status != 401 && resp.status != 429 && resp.status < 500 {
                        return Ok(resp);
                    }
                    map_error(&view(&resp), &self.vault, now_unix())
                }
            };
            if let KvError::Unauthorized(challenge) = &error {
                // The vault names its tenant; sign in there (first call, or another directory).
                if let Some(c) = challenge {
                    if c.tenant != self.account.tenant {
                        self.account.tenant = c.tenant.clone();
                        remember_tenant(&self.vault, &c.tenant).await;
                        continue;
                    }
                }
                if token.is_some() {
                    // A token the vault refused (expired, revoked): renew it silently first;
                    // refused again, sign in from scratch.
                    rejected += 1;
                    signin::invalidate(&self.account, rejected > 1).await;
                }
                if sign_ins < 3 && rejected < 3 {
                    sign_ins += 1;
                    signin::access_token(&self.account, true).await?;
                    continue;
                }
                return Err(failed(&error, &self.vault, &self.name));
            }
            match self.policy.next_delay(attempts, &error, random_u32()) {
                // The prompt says why it waits and for how long; the user may stop it.
                Some(ms) => self.progress.wait_to_retry(&error.retry_note(ms), ms).await?,
                None => return Err(failed(&error, &self.vault, &self.name)),
            }
        }
    }
}

/// The tenant a vault's challenge named, kept for the browser session (`storage.session`),
/// so later saves sign in to the right directory without a probe first.
async fn remember_tenant(vault: &VaultUrl, tenant: &str) {
    platform::session_put(&format!("kvtenant|{}", vault.host()), wasm_bindgen::JsValue::from_str(tenant)).await;
}

async fn known_tenant(vault: &VaultUrl) -> Option<String> {
    platform::session_value(&format!("kvtenant|{}", vault.host())).await?.as_string()
}

/// What the pure core reads of a response: status, body and the retry and challenge headers.
fn view(resp: &http::HttpResponse) -> KvResponse<'_> {
    KvResponse {
        status: resp.status,
        body: &resp.body,
        www_authenticate: resp.www_authenticate.as_deref(),
        retry_after: resp.retry_after.as_deref(),
        retry_after_ms: resp.retry_after_ms.as_deref(),
    }
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    let _ = getrandom::getrandom(&mut b);
    u32::from_le_bytes(b)
}

impl Store for KeyVaultStore {
    fn kind(&self) -> StoreKind {
        StoreKind::KeyVault
    }

    async fn save(&self, req: SaveRequest) -> Result<Receipt, StoreError> {
        let settings = platform::settings().await.unwrap_or_default();
        let vault_text = match req.vault.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => v.to_owned(),
            None => settings.keyvault_vault.ok_or_else(|| StoreError::Failed(tr("kvNoVault", &[])))?,
        };
        let vault = VaultUrl::parse(&vault_text, Cloud::Public).map_err(|e| StoreError::Failed(e.to_string()))?;
        // Optional host permissions: asked by the prompt's Save click (or the options) for
        // this vault and its sign-in authority only; without them nothing is sent.
        let [vault_host, login_host] = vault.permission_patterns();
        if !platform::has_origins(&[&vault_host, &login_host]).await {
            return Err(StoreError::Failed(tr("kvNotPermitted", &[&vault.host()])));
        }
        let client_id = settings.keyvault_client_id.ok_or_else(|| StoreError::Failed(tr("kvNoClientId", &[])))?;
        let description = req.description.trim();
        let name = req.secret_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| derive_secret_name(&req.app_name, description));
        let name = name.trim().to_owned();
        validate_secret_name(&name).map_err(|e| StoreError::Failed(e.to_string()))?;
        let tenant = match settings.keyvault_tenant {
            Some(t) => t,
            None => known_tenant(&vault).await.unwrap_or_else(|| "organizations".into()),
        };
        let mut s = Session {
            vault: vault.clone(),
            name: name.clone(),
            account: Account { cloud: vault.cloud(), tenant, client_id },
            policy: RetryPolicy::default(),
            progress: req.progress.clone(),
        };
        let bad_name = |e: crate::core::keyvault::SecretNameError| StoreError::Failed(e.to_string());

        // 1. Does the name exist? (Without a token yet, the vault's 401 names its tenant.)
        let list = versions_request(&vault, &name).map_err(bad_name)?;
        let resp = s.send(&list).await?;
        let exists = interpret_versions(&view(&resp), &vault, now_unix()).map_err(|e| failed(&e, &vault, &name))?;
        if exists && !req.allow_new_version {
            return Err(StoreError::NeedsConfirmation(tr("kvNameExists", &[vault.name(), &name])));
        }

        // 2. Write it, with its expiry and context.
        let ctx = SecretContext {
            app_name: &req.app_name,
            client_id: req.client_id.as_deref().unwrap_or(""),
            tenant_id: req.tenant_id.as_deref().unwrap_or(""),
            secret_id: &req.secret_id,
            description,
            expires_unix: req.expires.as_deref().and_then(|e| expiry_unix(e, req.locale.as_deref().unwrap_or(""))),
        };
        let mut put = put_secret_request(&vault, &name, &req.value, &ctx).map_err(bad_name)?;
        let sent = s.send(&put).await;
        if let Some(b) = put.body.as_mut() {
            b.zeroize();
        }
        let resp = sent?;
        let written = interpret_put(&view(&resp), &vault, &name, now_unix()).map_err(|e| failed(&e, &vault, &name))?;
        drop(resp);

        // 3. Read it back: saved only if the vault returns exactly what we wrote.
        let get = read_back_request(&vault, &written.name, &written.version).map_err(bad_name)?;
        let resp = s.send(&get).await?;
        let v = interpret_read_back(&view(&resp), &vault, &written, req.value.as_bytes(), now_unix()).map_err(|e| failed(&e, &vault, &name))?;
        let short: String = v.version.chars().take(8).collect();
        let args: [&str; 3] = [vault.name(), &v.name, &short];
        let message = if ctx.expires_unix.is_some() { tr("kvSavedWithExpiry", &args) } else { tr("kvSaved", &args) };
        Ok(Receipt { message })
    }
}
