//! The safe stores a detected secret can be saved to: one file per store, one trait.
//!
//! The background calls [`save`] (or a store's [`Store::save`]) with a [`SaveRequest`]
//! and reports the outcome's kind ([`StoreError::codes`]) to the frame, which turns it into a
//! lifecycle event with `core::state::StoreOutcome`. HashiCorp Vault/OpenBao and KeePassXC
//! slot in as `stores/<name>.rs` + one match arm.
//!
//! - [`agefile`]: Store 2, the age-encrypted `.env` file (pure parts compile natively).
//! - [`download`] (wasm32 + `background`): saving bytes through the downloads API.
//! - [`keyvault`] (wasm32 + `background`): Store 3, Azure Key Vault, with [`signin`] (the
//!   OAuth code flow with PKCE through `identity.launchWebAuthFlow`) and [`http`] (fetch).
//! - [`openbao`] (wasm32 + `background`): Store 4, HashiCorp Vault / OpenBao (KV v2).

use crate::core::i18n::tr;
use std::fmt;

use zeroize::Zeroizing;

use crate::core::state::StoreKind;

pub mod agefile;
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub mod download;
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub mod http;
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub mod keyvault;
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub mod openbao;
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub mod signin;

#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub use agefile::save_encrypted_file;
pub use agefile::EncryptedFileStore;

/// Everything a store needs to save one secret. Debug redacts the value and the passphrase;
/// both are zeroized when the request is dropped (stores consume it).
/// Not `Clone`: a copy of the value should be a deliberate act. `Default` asks where to save.
pub struct SaveRequest {
    /// The client secret value.
    pub value: Zeroizing<String>,
    /// App display name.
    pub app_name: String,
    /// Application (client) ID, if detected (may not be a GUID).
    pub client_id: Option<String>,
    /// Directory (tenant) ID, if detected (may not be a GUID).
    pub tenant_id: Option<String>,
    /// The secret's description.
    pub description: String,
    /// The secret's ID (GUID), if shown; empty otherwise.
    pub secret_id: String,
    /// Expiry as shown.
    pub expires: Option<String>,
    /// The page's language tag (`document.documentElement.lang` or `navigator.language`),
    /// which says how to read `expires` (`3/4/2027` is 4 March in en-US, 3 April in en-GB).
    pub locale: Option<String>,
    /// Passphrase typed into the prompt (encrypted file without a recipient).
    pub passphrase: Option<Zeroizing<String>>,
    /// age X25519 recipient (`age1…`) from the options; wins over a passphrase.
    pub age_recipient: Option<String>,
    /// Ask where to save (the browser's save-as dialog); false: the browser's download folder.
    /// Headless browsers cannot show the dialog (Chromium cancels it, Firefox rejects the
    /// download with "An unexpected error occurred"), so end-to-end tests need `false`.
    pub save_as: bool,
    /// Key Vault: the vault name or URL typed in the prompt (else the options' vault).
    pub vault: Option<String>,
    /// Key Vault: the secret name shown (and maybe edited) in the prompt.
    pub secret_name: Option<String>,
    /// Key Vault / Vault: the user agreed to add a new version to an existing secret name
    /// (Vault: path).
    pub allow_new_version: bool,
    /// Vault `userpass`: the user name typed in the prompt (else the options').
    pub username: Option<String>,
    /// Vault `userpass`: the password typed in the prompt.
    pub password: Option<Zeroizing<String>>,
    /// Where to say how a long save goes (a retry's wait): the prompt that asked.
    pub progress: Progress,
}

/// The prompt of a save in progress: the tab and frame that asked, and the secret's
/// fingerprint. Empty (`tab: None`): nobody to tell.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// The tab of the frame that asked.
    pub tab: Option<u32>,
    /// That frame.
    pub frame: u64,
    /// The secret's fingerprint text (the frame finds its prompt by it).
    pub fp: String,
}

#[cfg(all(target_arch = "wasm32", feature = "background"))]
thread_local! {
    /// Saves the user stopped while they waited to retry: (tab, fingerprint).
    static CANCELLED: std::cell::RefCell<std::collections::HashSet<(u32, String)>> = Default::default();
}

/// The user stopped the save of secret `fp` in `tab` (it ends at its next retry wait).
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub fn cancel(tab: u32, fp: &str) {
    CANCELLED.with(|c| c.borrow_mut().insert((tab, fp.to_owned())));
}

/// Forgets a stop (a save starts or ended).
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub fn forget_cancel(tab: u32, fp: &str) {
    CANCELLED.with(|c| c.borrow_mut().remove(&(tab, fp.to_owned())));
}

#[cfg(all(target_arch = "wasm32", feature = "background"))]
impl Progress {
    fn cancelled(&self) -> bool {
        self.tab.is_some_and(|t| CANCELLED.with(|c| c.borrow().contains(&(t, self.fp.clone()))))
    }

    /// Says `note` (why and how long a retry waits) with the prompt's Stop button, then
    /// waits `ms`. `Err(Stopped)` as soon as the user stops it: safe, since no request is
    /// under way while a retry waits.
    pub async fn wait_to_retry(&self, note: &str, ms: u64) -> Result<(), StoreError> {
        self.send(note, true).await;
        let end = js_sys::Date::now() + ms as f64;
        loop {
            if self.cancelled() {
                return Err(StoreError::Stopped);
            }
            let left = end - js_sys::Date::now();
            if left <= 0.0 {
                return Ok(());
            }
            gloo_timers::future::TimeoutFuture::new(left.min(200.0) as u32).await;
        }
    }

    /// Shows `message` in the secret's prompt while the save goes on (best effort: a frame
    /// gone meanwhile misses it; the save's outcome reaches whoever is left).
    pub async fn say(&self, message: &str) {
        self.send(message, false).await;
    }

    async fn send(&self, message: &str, stoppable: bool) {
        use crate::platform::{obj, tabs_send_message};
        use wasm_bindgen::JsValue;
        let Some(tab) = self.tab else { return };
        let msg =
            obj(&[("type", "progress".into()), ("fp", JsValue::from_str(&self.fp)), ("message", JsValue::from_str(message)), ("stoppable", stoppable.into())]);
        if let Ok(p) = tabs_send_message(f64::from(tab), &msg, &obj(&[("frameId", (self.frame as f64).into())])) {
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        }
    }
}

impl Default for SaveRequest {
    fn default() -> Self {
        SaveRequest {
            value: Zeroizing::new(String::new()),
            app_name: String::new(),
            client_id: None,
            tenant_id: None,
            description: String::new(),
            secret_id: String::new(),
            expires: None,
            locale: None,
            passphrase: None,
            age_recipient: None,
            save_as: true,
            vault: None,
            secret_name: None,
            allow_new_version: false,
            username: None,
            password: None,
            progress: Progress::default(),
        }
    }
}

impl fmt::Debug for SaveRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaveRequest")
            .field("value", &"<redacted>")
            .field("app_name", &self.app_name)
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field("description", &self.description)
            .field("secret_id", &self.secret_id)
            .field("expires", &self.expires)
            .field("locale", &self.locale)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "<redacted>"))
            .field("age_recipient", &self.age_recipient)
            .field("save_as", &self.save_as)
            .field("vault", &self.vault)
            .field("secret_name", &self.secret_name)
            .field("allow_new_version", &self.allow_new_version)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What a store confirms after a save, for the prompt ("Saved … (encrypted to age1…)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// User-facing sentence: what was saved where. Never the value.
    pub message: String,
}

/// Why a save did not happen. Never carries the value or the passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The user cancelled (closed the save-as dialog, a sign-in window…).
    Cancelled,
    /// The user stopped a save that waited to retry (no request was under way).
    Stopped,
    /// The encrypted file needs a passphrase (no age recipient is set): ask, then retry.
    NeedsPassphrase,
    /// The store wants the user's explicit go-ahead first (Key Vault: the name already
    /// holds a secret; saving adds a new version). The message asks the question.
    NeedsConfirmation(String),
    /// The browser did not complete the download of the encrypted file.
    #[cfg(all(target_arch = "wasm32", feature = "background"))]
    Download(download::DownloadError),
    /// Anything else, as a user-facing message.
    Failed(String),
}

impl StoreError {
    /// A sentence for the prompt.
    pub fn user_message(&self) -> String {
        match self {
            StoreError::Cancelled => tr("storeCancelled", &[]),
            StoreError::Stopped => tr("storeStopped", &[]),
            StoreError::NeedsPassphrase => tr("storeNeedsPassphrase", &[]),
            StoreError::NeedsConfirmation(question) => question.clone(),
            #[cfg(all(target_arch = "wasm32", feature = "background"))]
            StoreError::Download(e) => tr("storeNotSaved", &[&e.to_string()]),
            StoreError::Failed(why) => tr("storeNotSaved", &[why]),
        }
    }

    /// The outcome's kind for the prompt (`cancelled`, `needsPassphrase`, `needsConfirmation`,
    /// `failed`) and a short code naming the cause for diagnostics; neither carries data.
    pub fn codes(&self) -> (&'static str, String) {
        match self {
            StoreError::Cancelled => ("cancelled", "cancelled".into()),
            StoreError::Stopped => ("cancelled", "stopped".into()),
            StoreError::NeedsPassphrase => ("needsPassphrase", "needsPassphrase".into()),
            StoreError::NeedsConfirmation(_) => ("needsConfirmation", "needsConfirmation".into()),
            #[cfg(all(target_arch = "wasm32", feature = "background"))]
            StoreError::Download(e) => ("failed", ["download:", &e.code()].concat()),
            StoreError::Failed(_) => ("failed", "failed".into()),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.user_message())
    }
}

impl std::error::Error for StoreError {}

/// One safe store. `save` consumes the request, so the value is wiped when it returns.
#[allow(async_fn_in_trait)] // single-threaded wasm: no Send bound wanted
pub trait Store {
    /// Which store this is.
    fn kind(&self) -> StoreKind;
    /// Saves the secret; `Ok` only once the store confirmed it (download complete…).
    async fn save(&self, req: SaveRequest) -> Result<Receipt, StoreError>;
}

/// Runs the store `kind` (the trait is not object-safe, so dispatch is one match).
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub async fn save(kind: StoreKind, req: SaveRequest) -> Result<Receipt, StoreError> {
    match kind {
        StoreKind::EncryptedFile => EncryptedFileStore.save(req).await,
        StoreKind::KeyVault => keyvault::KeyVaultStore.save(req).await,
        StoreKind::HashiCorpVault => openbao::BaoStore.save(req).await,
        other => Err(StoreError::Failed(tr("storeUnavailable", &[other.as_str()]))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_value_and_passphrase() {
        let req = SaveRequest {
            value: Zeroizing::new("abc8Q~value".into()),
            passphrase: Some(Zeroizing::new("hunter2".into())),
            password: Some(Zeroizing::new("pa55word-ci".into())),
            app_name: "app".into(),
            locale: Some("en-GB".into()),
            ..Default::default()
        };
        assert!(req.save_as, "the default asks where to save");
        assert_eq!(SaveRequest::default().locale, None);
        let s = format!("{req:?}");
        assert!(
            !s.contains("abc8Q~value") && !s.contains("hunter2") && !s.contains("pa55word-ci") && s.contains("app") && s.contains("locale: Some(\"en-GB\")"),
            "{s}"
        );
    }
}
