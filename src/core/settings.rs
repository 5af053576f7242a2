//! The user's settings: what the options page edits and `chrome.storage.sync` keeps.
//!
//! Settings only — never a secret value, passphrase or private key. Storage holds a flat
//! object of string values under the keys in [`KEYS`] (the same names as the fields):
//!
//! | key                  | value                                                   | default       |
//! |----------------------|---------------------------------------------------------|---------------|
//! | `default_store`      | `clipboard`, `file` or `keyvault` ([`StoreKind::as_str`]) | `clipboard` |
//! | `clipboard_clear_secs` | `10`, `20`, `30`, `60`, `120` or `0` (never)          | `30`          |
//! | `age_recipient`      | `age1…` X25519 public key, `""` = passphrase each time  | `""`          |
//! | `strict_guard`       | `true` (guard until saved) / `false` (until copied)     | `false`       |
//! | `file_save_as`       | `true` (ask where to save each file) / `false` (Downloads) | `true`     |
//! | `keyvault_vault`     | `https://<name>.vault.azure.net` (normalized), or `""`  | `""`          |
//! | `keyvault_client_id` | GUID (lowercase), or `""`                               | `""`          |
//! | `keyvault_tenant`    | GUID or domain (lowercase), or `""`                     | `""`          |
//! | `hcvault_addr`       | Vault/OpenBao origin (`https://host[:port]`; http on loopback only), or `""` | `""` |
//! | `hcvault_namespace`  | namespace (`team-a/dev`), or `""`                        | `""`          |
//! | `hcvault_mount`      | KV v2 mount path                                         | `secret`      |
//! | `hcvault_path`       | path template (`<app>`, `<description>`, `<client_id>`, `<secret_id>`, `<tenant_id>`) | `azure/<app>/<description>` |
//! | `hcvault_auth`       | `token` (pasted in the options) or `userpass`           | `token`       |
//! | `hcvault_username`   | userpass user name, or `""`                              | `""`          |
//! | `hcvault_delete_at_expiry` | `true`: the version is deleted when the secret expires (`delete_version_after`) | `false` |
//!
//! The Vault token is not a setting: it lives in `storage.session` (and `storage.local` only
//! when the user ticks "remember on this device"), never in synced storage.
//!
//! Reading ([`Settings::from_pairs`]) is lenient: unknown keys are ignored and a bad value
//! falls back to its default, so a stale or hand-edited storage never breaks the extension.
//! Editing ([`Settings::set`]) is strict and returns a message for the options page.
//! Nothing here panics on any input.

use crate::core::i18n::tr;
use std::fmt;

use crate::core::keyvault::{Cloud, VaultUrl};
use crate::core::secret::is_guid_exact;
use crate::core::state::StoreKind;

/// Storage key of [`Settings::default_store`].
pub const KEY_DEFAULT_STORE: &str = "default_store";
/// Storage key of [`Settings::clipboard_clear_secs`].
pub const KEY_CLIPBOARD_CLEAR_SECS: &str = "clipboard_clear_secs";
/// Storage key of [`Settings::age_recipient`].
pub const KEY_AGE_RECIPIENT: &str = "age_recipient";
/// Storage key of [`Settings::strict_guard`].
pub const KEY_STRICT_GUARD: &str = "strict_guard";
/// Storage key of [`Settings::file_save_as`].
pub const KEY_FILE_SAVE_AS: &str = "file_save_as";
/// Storage key of [`Settings::keyvault_vault`].
pub const KEY_KEYVAULT_VAULT: &str = "keyvault_vault";
/// Storage key of [`Settings::keyvault_client_id`].
pub const KEY_KEYVAULT_CLIENT_ID: &str = "keyvault_client_id";
/// Storage key of [`Settings::keyvault_tenant`].
pub const KEY_KEYVAULT_TENANT: &str = "keyvault_tenant";
/// Storage key of [`Settings::hcvault_addr`].
pub const KEY_HCVAULT_ADDR: &str = "hcvault_addr";
/// Storage key of [`Settings::hcvault_namespace`].
pub const KEY_HCVAULT_NAMESPACE: &str = "hcvault_namespace";
/// Storage key of [`Settings::hcvault_mount`].
pub const KEY_HCVAULT_MOUNT: &str = "hcvault_mount";
/// Storage key of [`Settings::hcvault_path`].
pub const KEY_HCVAULT_PATH: &str = "hcvault_path";
/// Storage key of [`Settings::hcvault_auth`].
pub const KEY_HCVAULT_AUTH: &str = "hcvault_auth";
/// Storage key of [`Settings::hcvault_username`].
pub const KEY_HCVAULT_USERNAME: &str = "hcvault_username";
/// Storage key of [`Settings::hcvault_delete_at_expiry`].
pub const KEY_HCVAULT_DELETE_AT_EXPIRY: &str = "hcvault_delete_at_expiry";

/// Every storage key, in form order.
pub const KEYS: [&str; 15] = [
    KEY_DEFAULT_STORE,
    KEY_CLIPBOARD_CLEAR_SECS,
    KEY_AGE_RECIPIENT,
    KEY_FILE_SAVE_AS,
    KEY_STRICT_GUARD,
    KEY_KEYVAULT_VAULT,
    KEY_KEYVAULT_CLIENT_ID,
    KEY_KEYVAULT_TENANT,
    KEY_HCVAULT_ADDR,
    KEY_HCVAULT_NAMESPACE,
    KEY_HCVAULT_MOUNT,
    KEY_HCVAULT_PATH,
    KEY_HCVAULT_AUTH,
    KEY_HCVAULT_USERNAME,
    KEY_HCVAULT_DELETE_AT_EXPIRY,
];

/// Allowed clipboard auto-clear delays in seconds, in menu order; `0` means never.
pub const CLEAR_DELAYS: [u32; 6] = [10, 20, 30, 60, 120, 0];

/// Stores the user can pick as the default.
pub const SELECTABLE_STORES: [StoreKind; 4] = [StoreKind::Clipboard, StoreKind::EncryptedFile, StoreKind::KeyVault, StoreKind::HashiCorpVault];

/// How ShownOnce signs in to HashiCorp Vault / OpenBao.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaoAuth {
    /// A token the user pasted in the options.
    Token,
    /// `userpass`: user name in the options, password typed in the prompt each time it is needed.
    Userpass,
}

impl BaoAuth {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            BaoAuth::Token => "token",
            BaoAuth::Userpass => "userpass",
        }
    }
}

/// Length of an X25519 age recipient: `age1` + 52 data + 6 checksum characters.
pub const AGE_RECIPIENT_LEN: usize = 62;
/// Longest value looked at; anything longer is rejected before parsing.
const MAX_VALUE_LEN: usize = 1024;
/// Longest tenant domain name.
const MAX_DOMAIN_LEN: usize = 253;

/// Everything the options page sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Store preselected in the prompt.
    pub default_store: StoreKind,
    /// Seconds before the clipboard is cleared after our copy; `0` = never. One of [`CLEAR_DELAYS`].
    pub clipboard_clear_secs: u32,
    /// age X25519 recipient (`age1…`) for the encrypted file; `None` = ask for a passphrase.
    pub age_recipient: Option<String>,
    /// `false`: guard until copied; `true`: until saved (or confirmed by the user).
    pub strict_guard: bool,
    /// `true`: the browser asks where to save each encrypted file; `false`: straight into the
    /// Downloads folder.
    pub file_save_as: bool,
    /// Key Vault, normalized to its base URL (`https://<name>.vault.azure.net`).
    pub keyvault_vault: Option<String>,
    /// Application (client) ID used to sign in to Key Vault, lowercase GUID.
    pub keyvault_client_id: Option<String>,
    /// Directory (tenant): lowercase GUID or domain.
    pub keyvault_tenant: Option<String>,
    /// HashiCorp Vault / OpenBao server, normalized to its origin.
    pub hcvault_addr: Option<String>,
    /// Vault namespace (`X-Vault-Namespace`).
    pub hcvault_namespace: Option<String>,
    /// KV v2 mount path (no slashes at the ends).
    pub hcvault_mount: String,
    /// Path template under the mount.
    pub hcvault_path: String,
    /// How to sign in.
    pub hcvault_auth: BaoAuth,
    /// userpass user name.
    pub hcvault_username: Option<String>,
    /// Let the server delete the version when the secret expires.
    pub hcvault_delete_at_expiry: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_store: StoreKind::Clipboard,
            clipboard_clear_secs: 30,
            age_recipient: None,
            strict_guard: false,
            file_save_as: true,
            keyvault_vault: None,
            keyvault_client_id: None,
            keyvault_tenant: None,
            hcvault_addr: None,
            hcvault_namespace: None,
            hcvault_mount: DEFAULT_MOUNT.to_owned(),
            hcvault_path: crate::core::openbao::DEFAULT_PATH_TEMPLATE.to_owned(),
            hcvault_auth: BaoAuth::Token,
            hcvault_username: None,
            hcvault_delete_at_expiry: false,
        }
    }
}

/// Where the Vault token for the server at `origin` is kept (`storage.session`, and
/// `storage.local` only when the user asked to remember it): one per server, so a token is
/// never sent to another server after the address changed.
pub fn bao_token_key(origin: &str) -> String {
    ["hcvault_token|", origin].concat()
}

/// The KV v2 mount `bao server -dev` (and most setups) have: the core's, one definition.
pub use crate::core::openbao::DEFAULT_MOUNT;

/// A rejected value: which key, and a message for the options page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The storage key (one of [`KEYS`]), or the key given if it is unknown.
    pub key: String,
    /// What is wrong and how to fix it, in a sentence.
    pub message: String,
    /// The input looked like a private key: the caller must clear the field it came from.
    pub looks_private: bool,
}

impl SettingError {
    fn new(key: &str, message: impl Into<String>) -> SettingError {
        SettingError { key: key.to_owned(), message: message.into(), looks_private: false }
    }
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SettingError {}

impl Settings {
    /// Every setting as `(key, value)` strings, in [`KEYS`] order. `None` becomes `""`, so
    /// writing all pairs also clears a field that was emptied.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        KEYS.iter().map(|&k| (k, self.value(k).unwrap_or_default())).collect()
    }

    /// The stored string form of one key; `None` for an unknown key.
    pub fn value(&self, key: &str) -> Option<String> {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        Some(match key {
            KEY_DEFAULT_STORE => self.default_store.as_str().to_owned(),
            KEY_CLIPBOARD_CLEAR_SECS => self.clipboard_clear_secs.to_string(),
            KEY_AGE_RECIPIENT => opt(&self.age_recipient),
            KEY_STRICT_GUARD => self.strict_guard.to_string(),
            KEY_FILE_SAVE_AS => self.file_save_as.to_string(),
            KEY_KEYVAULT_VAULT => opt(&self.keyvault_vault),
            KEY_KEYVAULT_CLIENT_ID => opt(&self.keyvault_client_id),
            KEY_KEYVAULT_TENANT => opt(&self.keyvault_tenant),
            KEY_HCVAULT_ADDR => opt(&self.hcvault_addr),
            KEY_HCVAULT_NAMESPACE => opt(&self.hcvault_namespace),
            KEY_HCVAULT_MOUNT => self.hcvault_mount.clone(),
            KEY_HCVAULT_PATH => self.hcvault_path.clone(),
            KEY_HCVAULT_AUTH => self.hcvault_auth.as_str().to_owned(),
            KEY_HCVAULT_USERNAME => opt(&self.hcvault_username),
            KEY_HCVAULT_DELETE_AT_EXPIRY => self.hcvault_delete_at_expiry.to_string(),
            _ => return None,
        })
    }

    /// Lenient read from storage: starts from the defaults, ignores unknown keys, and keeps
    /// the default for every value that does not validate. Later pairs win.
    pub fn from_pairs<'a, I>(pairs: I) -> Settings
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut s = Settings::default();
        for (k, v) in pairs {
            // Errors only mean "keep the default"; a stored private key is not echoed anywhere.
            let _ = s.set(k, v);
        }
        s
    }

    /// Strict edit of one key from a form or storage string. On error `self` is unchanged.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        if value.len() > MAX_VALUE_LEN {
            return Err(SettingError::new(key, tr("settingTooLong", &[])));
        }
        match key {
            KEY_DEFAULT_STORE => self.default_store = parse_store(value)?,
            KEY_CLIPBOARD_CLEAR_SECS => self.clipboard_clear_secs = parse_clear_delay(value)?,
            KEY_AGE_RECIPIENT => self.age_recipient = parse_age_recipient(value)?,
            KEY_STRICT_GUARD => self.strict_guard = parse_bool(key, value)?,
            KEY_FILE_SAVE_AS => self.file_save_as = parse_bool(key, value)?,
            KEY_KEYVAULT_VAULT => self.keyvault_vault = parse_vault(value)?,
            KEY_KEYVAULT_CLIENT_ID => self.keyvault_client_id = parse_client_id(value)?,
            KEY_KEYVAULT_TENANT => self.keyvault_tenant = parse_tenant(value)?,
            KEY_HCVAULT_ADDR => self.hcvault_addr = parse_bao_addr(value)?,
            KEY_HCVAULT_NAMESPACE => self.hcvault_namespace = parse_bao_namespace(value)?,
            KEY_HCVAULT_MOUNT => self.hcvault_mount = parse_bao_mount(value)?,
            KEY_HCVAULT_PATH => self.hcvault_path = parse_bao_path(value)?,
            KEY_HCVAULT_AUTH => self.hcvault_auth = parse_bao_auth(value)?,
            KEY_HCVAULT_USERNAME => self.hcvault_username = parse_bao_username(value)?,
            KEY_HCVAULT_DELETE_AT_EXPIRY => self.hcvault_delete_at_expiry = parse_bool(key, value)?,
            _ => return Err(SettingError::new(key, tr("settingUnknown", &[]))),
        }
        Ok(())
    }

    /// Combinations that are individually valid but incomplete, as warnings for the options
    /// page (the prompt can still ask for what is missing).
    pub fn warnings(&self) -> Vec<SettingError> {
        let mut out = Vec::new();
        if self.default_store == StoreKind::KeyVault {
            if self.keyvault_vault.is_none() {
                out.push(SettingError::new(KEY_KEYVAULT_VAULT, tr("settingWarnKvVault", &[])));
            }
            if self.keyvault_client_id.is_none() {
                out.push(SettingError::new(KEY_KEYVAULT_CLIENT_ID, tr("settingWarnKvClientId", &[])));
            }
        }
        if self.default_store == StoreKind::HashiCorpVault && self.hcvault_addr.is_none() {
            out.push(SettingError::new(KEY_HCVAULT_ADDR, tr("settingWarnBaoAddr", &[])));
        }
        if self.hcvault_auth == BaoAuth::Userpass && self.hcvault_username.is_none() {
            out.push(SettingError::new(KEY_HCVAULT_USERNAME, tr("settingWarnBaoUsername", &[])));
        }
        out
    }
}

/// A Vault/OpenBao address, normalized to its origin; `""` = none.
pub fn parse_bao_addr(value: &str) -> Result<Option<String>, SettingError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    crate::core::openbao::BaoAddr::parse(value).map(|a| Some(a.origin().to_owned())).map_err(|e| SettingError::new(KEY_HCVAULT_ADDR, bao_text(&e)))
}

/// The sentence of a settings-time Vault error (its own words, no server to name).
fn bao_text(e: &crate::core::openbao::BaoError) -> String {
    use crate::core::openbao::BaoError as E;
    match e {
        E::BadAddress(m) | E::BadPath(m) | E::BadNamespace(m) | E::BadMount(m) => m.clone(),
        other => format!("{other:?}"),
    }
}

/// Whitespace and slashes off both ends, in one pass: trimming them in turn is not idempotent
/// (`"/ x"` gives `" x"`, then `"x"` on the next read), and a saved value must read back as
/// itself.
fn trim_path(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || c == '/')
}

/// A namespace (`team-a/dev`); `""` = none (the root namespace).
pub fn parse_bao_namespace(value: &str) -> Result<Option<String>, SettingError> {
    let v = trim_path(value);
    if v.is_empty() {
        return Ok(None);
    }
    let ok = v
        .split('/')
        .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') && seg != "." && seg != "..");
    if ok {
        Ok(Some(v.to_owned()))
    } else {
        Err(SettingError::new(KEY_HCVAULT_NAMESPACE, tr("settingBadNamespace", &[])))
    }
}

/// A KV v2 mount path; `""` = the default `secret`.
pub fn parse_bao_mount(value: &str) -> Result<String, SettingError> {
    let v = trim_path(value);
    if v.is_empty() {
        return Ok(DEFAULT_MOUNT.to_owned());
    }
    let ok = v
        .split('/')
        .all(|seg| !seg.is_empty() && seg != "." && seg != ".." && seg.bytes().all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#' && b != b'%'));
    if ok {
        Ok(v.to_owned())
    } else {
        Err(SettingError::new(KEY_HCVAULT_MOUNT, tr("settingBadMount", &[])))
    }
}

/// A path template; `""` = the default. It must render to a valid path for a sample secret.
pub fn parse_bao_path(value: &str) -> Result<String, SettingError> {
    use crate::core::openbao::{render_path, validate_path, PathContext, DEFAULT_PATH_TEMPLATE};
    let v = trim_path(value);
    if v.is_empty() {
        return Ok(DEFAULT_PATH_TEMPLATE.to_owned());
    }
    let sample = PathContext {
        app_name: "Contoso API",
        client_id: "11111111-2222-4333-8444-555555555555",
        tenant_id: "66666666-7777-4888-9999-000000000000",
        secret_id: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        description: "ci",
    };
    render_path(v, &sample).and_then(|p| validate_path(&p)).map(|_| v.to_owned()).map_err(|e| SettingError::new(KEY_HCVAULT_PATH, bao_text(&e)))
}

/// `token` or `userpass`.
pub fn parse_bao_auth(value: &str) -> Result<BaoAuth, SettingError> {
    match value.trim() {
        "" | "token" => Ok(BaoAuth::Token),
        "userpass" => Ok(BaoAuth::Userpass),
        _ => Err(SettingError::new(KEY_HCVAULT_AUTH, tr("settingBadAuth", &[]))),
    }
}

/// A userpass user name (one path segment); `""` = none.
pub fn parse_bao_username(value: &str) -> Result<Option<String>, SettingError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b'?' && b != b'#' && b != b'%') {
        Ok(Some(v.to_owned()))
    } else {
        Err(SettingError::new(KEY_HCVAULT_USERNAME, tr("settingBadUsername", &[])))
    }
}

/// A default store name ([`StoreKind::as_str`]) among [`SELECTABLE_STORES`].
pub fn parse_store(value: &str) -> Result<StoreKind, SettingError> {
    match StoreKind::parse(value.trim()) {
        Some(k) if SELECTABLE_STORES.contains(&k) => Ok(k),
        Some(_) => Err(SettingError::new(KEY_DEFAULT_STORE, tr("settingStoreUnavailable", &[]))),
        None => Err(SettingError::new(KEY_DEFAULT_STORE, tr("settingBadStore", &[]))),
    }
}

/// A clipboard delay in seconds, one of [`CLEAR_DELAYS`].
pub fn parse_clear_delay(value: &str) -> Result<u32, SettingError> {
    match value.trim().parse::<u32>() {
        Ok(n) if CLEAR_DELAYS.contains(&n) => Ok(n),
        _ => Err(SettingError::new(KEY_CLIPBOARD_CLEAR_SECS, tr("settingBadClearDelay", &[]))),
    }
}

/// The menu text of a clipboard delay.
pub fn clear_delay_label(secs: u32) -> String {
    match secs {
        0 => tr("clearDelayNever", &[]),
        60 => tr("clearDelayOneMinute", &[]),
        120 => tr("clearDelayTwoMinutes", &[]),
        n => tr("clearDelaySeconds", &[&n.to_string()]),
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, SettingError> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SettingError::new(key, tr("settingBadBool", &[]))),
    }
}

/// An age recipient: `""` = none (passphrase), else an X25519 `age1…` key that
/// [`crate::core::recipient`] (age itself) accepts, stored lowercase and trimmed.
#[cfg(any(feature = "background", feature = "pages", not(target_arch = "wasm32")))]
pub fn parse_age_recipient(value: &str) -> Result<Option<String>, SettingError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    crate::core::recipient::normalize_recipient(value).map(Some).map_err(|e| SettingError {
        key: KEY_AGE_RECIPIENT.to_owned(),
        message: e.to_string(),
        looks_private: e.looks_private(),
    })
}

/// An age recipient, without age (the content module links none of it and never edits
/// settings): only its shape is checked, the background checks the key before using it.
#[cfg(not(any(feature = "background", feature = "pages", not(target_arch = "wasm32"))))]
pub fn parse_age_recipient(value: &str) -> Result<Option<String>, SettingError> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return Ok(None);
    }
    let plausible = v.len() == AGE_RECIPIENT_LEN && v.starts_with("age1") && v.bytes().all(|b| b.is_ascii_alphanumeric());
    if plausible {
        Ok(Some(v))
    } else {
        Err(SettingError::new(KEY_AGE_RECIPIENT, tr("settingBadRecipient", &[])))
    }
}

/// A vault name or URL, normalized to `https://<name>.<cloud suffix>`; `""` = none.
pub fn parse_vault(value: &str) -> Result<Option<String>, SettingError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    VaultUrl::parse(value, Cloud::Public).map(|v| Some(v.base())).map_err(|e| SettingError::new(KEY_KEYVAULT_VAULT, e.to_string()))
}

/// An application (client) ID: a GUID, lowercased; `""` = none.
pub fn parse_client_id(value: &str) -> Result<Option<String>, SettingError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let v = v.trim_start_matches('{').trim_end_matches('}');
    if is_guid_exact(v) {
        Ok(Some(v.to_ascii_lowercase()))
    } else {
        Err(SettingError::new(KEY_KEYVAULT_CLIENT_ID, tr("settingBadClientId", &[])))
    }
}

/// A tenant: a GUID or a domain such as `contoso.onmicrosoft.com`, lowercased; `""` = none.
pub fn parse_tenant(value: &str) -> Result<Option<String>, SettingError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let v = v.to_ascii_lowercase();
    if is_guid_exact(&v) || is_domain(&v) {
        Ok(Some(v))
    } else {
        Err(SettingError::new(KEY_KEYVAULT_TENANT, tr("settingBadTenant", &[])))
    }
}

fn is_domain(s: &str) -> bool {
    s.len() <= MAX_DOMAIN_LEN
        && s.contains('.')
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            (1..=63).contains(&b.len())
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// How long ago something happened, for the popup: "just now", "2 min ago", "3 h ago",
/// "2 d ago". A time in the future (clock skew) reads "just now".
pub fn format_age(now_ms: u64, then_ms: u64) -> String {
    let secs = now_ms.saturating_sub(then_ms) / 1000;
    match secs {
        0..=59 => tr("ageJustNow", &[]),
        60..=3599 => tr("ageMinutes", &[&(secs / 60).to_string()]),
        3600..=86_399 => tr("ageHours", &[&(secs / 3600).to_string()]),
        _ => tr("ageDays", &[&(secs / 86_400).to_string()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Generated with `age-keygen | age-keygen -y`.
    const R1: &str = "age1flra53k0kuptv8rtmyulsf3jxmuql62n27v0evwt7rxytmms7dkqqsphha";
    const R2: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    fn pairs(s: &Settings) -> Vec<(String, String)> {
        s.to_pairs().into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    fn read(p: &[(&str, &str)]) -> Settings {
        Settings::from_pairs(p.iter().copied())
    }

    /// The fuzz case of issue 27: `"/ 𐣠"` was stored as `" 𐣠"` and read back as `"𐣠"`.
    #[test]
    fn slash_and_space_ends_read_back_as_saved() {
        for raw in ["/ \u{108e0}", " / a / ", "/\u{a0}/team-a/", "\t/x/\n", "/ /"] {
            for key in [KEY_HCVAULT_PATH, KEY_HCVAULT_MOUNT, KEY_HCVAULT_NAMESPACE] {
                let mut s = Settings::default();
                if s.set(key, raw).is_ok() {
                    let stored = s.value(key).unwrap();
                    let mut again = Settings::default();
                    again.set(key, &stored).unwrap();
                    assert_eq!(again.value(key).unwrap(), stored, "{key} = {raw:?}");
                }
            }
        }
        assert_eq!(parse_bao_path("/ \u{108e0}").unwrap(), "\u{108e0}");
        assert_eq!(parse_bao_mount(" / kv / ").unwrap(), "kv");
    }

    #[test]
    fn defaults() {
        let d = Settings::default();
        assert_eq!(d.default_store, StoreKind::Clipboard);
        assert_eq!(d.clipboard_clear_secs, 30);
        assert_eq!(d.age_recipient, None);
        assert!(!d.strict_guard);
        assert_eq!((d.keyvault_vault, d.keyvault_client_id, d.keyvault_tenant), (None, None, None));
        assert_eq!(read(&[]), Settings::default());
        assert!(Settings::default().warnings().is_empty());
    }

    #[test]
    fn pairs_have_every_key_in_order() {
        let p = Settings::default().to_pairs();
        assert_eq!(p.iter().map(|(k, _)| *k).collect::<Vec<_>>(), KEYS.to_vec());
        assert_eq!(
            p.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
            ["clipboard", "30", "", "true", "false", "", "", "", "", "", "secret", "azure/<app>/<description>", "token", "", "false"]
        );
        assert_eq!(Settings::default().value("nope"), None);
    }

    #[test]
    fn vault_fields() {
        let mut s = Settings::default();
        assert_eq!((s.hcvault_mount.as_str(), s.hcvault_auth), (DEFAULT_MOUNT, BaoAuth::Token));
        s.set(KEY_HCVAULT_ADDR, " HTTPS://Vault.Example.com:8200/ui/ ").unwrap();
        assert_eq!(s.hcvault_addr.as_deref(), Some("https://vault.example.com:8200"));
        // Plain http only for a server on this machine.
        assert!(s.set(KEY_HCVAULT_ADDR, "http://vault.example.com").is_err());
        s.set(KEY_HCVAULT_ADDR, "http://127.0.0.1:8200").unwrap();
        s.set(KEY_HCVAULT_ADDR, "").unwrap();
        assert_eq!(s.hcvault_addr, None);
        s.set(KEY_HCVAULT_MOUNT, "/kv/team-a/").unwrap();
        assert_eq!(s.hcvault_mount, "kv/team-a");
        assert!(s.set(KEY_HCVAULT_MOUNT, "kv/../sys").is_err());
        s.set(KEY_HCVAULT_MOUNT, "").unwrap();
        assert_eq!(s.hcvault_mount, DEFAULT_MOUNT);
        assert!(s.set(KEY_HCVAULT_NAMESPACE, "team a").is_err());
        s.set(KEY_HCVAULT_PATH, "apps/<app>/<secret_id>").unwrap();
        assert!(s.set(KEY_HCVAULT_PATH, "apps/../<app>").is_err(), "a template must render to a valid path");
        assert!(s.set(KEY_HCVAULT_AUTH, "ldap").is_err());
        s.set(KEY_HCVAULT_AUTH, "userpass").unwrap();
        assert!(s.warnings().iter().any(|w| w.key == KEY_HCVAULT_USERNAME), "userpass without a user name warns");
        assert!(s.set(KEY_HCVAULT_USERNAME, "al/ice").is_err());
        s.set(KEY_DEFAULT_STORE, "hcvault").unwrap();
        assert!(s.warnings().iter().any(|w| w.key == KEY_HCVAULT_ADDR), "Vault as default without an address warns");
        // One token key per server: a token never goes to another server.
        assert_ne!(bao_token_key("https://a.example"), bao_token_key("https://b.example"));
    }

    #[test]
    fn round_trip() {
        let s = Settings {
            default_store: StoreKind::EncryptedFile,
            clipboard_clear_secs: 0,
            age_recipient: Some(R1.to_owned()),
            strict_guard: true,
            file_save_as: false,
            keyvault_vault: Some("https://my-vault.vault.azure.cn".to_owned()),
            keyvault_client_id: Some("0a1b2c3d-0000-4000-8000-00000000abcd".to_owned()),
            keyvault_tenant: Some("contoso.onmicrosoft.com".to_owned()),
            hcvault_addr: Some("https://vault.example.com:8200".to_owned()),
            hcvault_namespace: Some("team-a/dev".to_owned()),
            hcvault_mount: "kv/team-a".to_owned(),
            hcvault_path: "apps/<client_id>/<secret_id>".to_owned(),
            hcvault_auth: BaoAuth::Userpass,
            hcvault_username: Some("alice".to_owned()),
            hcvault_delete_at_expiry: true,
        };
        let p = pairs(&s);
        let back = Settings::from_pairs(p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(back, s);
        let d = Settings::default();
        let p = pairs(&d);
        assert_eq!(Settings::from_pairs(p.iter().map(|(k, v)| (k.as_str(), v.as_str()))), d);
    }

    #[test]
    fn every_delay_and_store_round_trips() {
        for n in CLEAR_DELAYS {
            let s = read(&[(KEY_CLIPBOARD_CLEAR_SECS, &n.to_string())]);
            assert_eq!(s.clipboard_clear_secs, n);
            assert!(!clear_delay_label(n).is_empty());
        }
        assert_eq!(clear_delay_label(0), "Never");
        assert_eq!(clear_delay_label(10), "10 seconds");
        for k in SELECTABLE_STORES {
            assert_eq!(read(&[(KEY_DEFAULT_STORE, k.as_str())]).default_store, k);
        }
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        let s = read(&[
            (KEY_DEFAULT_STORE, "floppy"),
            (KEY_CLIPBOARD_CLEAR_SECS, "45"),
            (KEY_AGE_RECIPIENT, "age1nope"),
            (KEY_STRICT_GUARD, "yes"),
            (KEY_KEYVAULT_VAULT, "https://evil.example.com"),
            (KEY_KEYVAULT_CLIENT_ID, "not-a-guid"),
            (KEY_KEYVAULT_TENANT, "bad tenant!"),
            ("unknown_key", "whatever"),
        ]);
        assert_eq!(s, Settings::default());
        // Stores that exist but cannot be chosen yet.
        assert_eq!(read(&[(KEY_DEFAULT_STORE, "keepassxc")]).default_store, StoreKind::Clipboard);
        for v in ["", "-1", "30s", "4294967296", " ", "\u{0}", "３０"] {
            assert_eq!(read(&[(KEY_CLIPBOARD_CLEAR_SECS, v)]).clipboard_clear_secs, 30, "{v:?}");
        }
        // Good values next to bad ones are kept.
        let s = read(&[(KEY_STRICT_GUARD, "true"), (KEY_CLIPBOARD_CLEAR_SECS, "nan"), ("x", "y")]);
        assert!(s.strict_guard);
        assert_eq!(s.clipboard_clear_secs, 30);
        // Later pairs win.
        assert_eq!(read(&[(KEY_CLIPBOARD_CLEAR_SECS, "10"), (KEY_CLIPBOARD_CLEAR_SECS, "60")]).clipboard_clear_secs, 60);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let long = "a".repeat(100_000);
        let odd = ["", " ", "é", "age1é", "age1\u{1F600}", "{", "}", ".", "..", "-", "AGE-", "ssh-", &long, "age1", "\u{200B}"];
        for k in KEYS.iter().copied().chain(["", "zzz"]) {
            for v in odd {
                let mut s = Settings::default();
                let _ = s.set(k, v);
                let _ = read(&[(k, v)]);
            }
        }
        assert!(Settings::default().set(KEY_AGE_RECIPIENT, &long).is_err());
    }

    #[test]
    fn set_is_strict_and_leaves_state_unchanged_on_error() {
        let mut s = Settings::default();
        s.set(KEY_CLIPBOARD_CLEAR_SECS, "120").unwrap();
        let e = s.set(KEY_CLIPBOARD_CLEAR_SECS, "7").unwrap_err();
        assert_eq!(e.key, KEY_CLIPBOARD_CLEAR_SECS);
        assert!(e.message.contains("120"));
        assert_eq!(s.clipboard_clear_secs, 120);
        assert_eq!(s.set("nope", "1").unwrap_err().key, "nope");
        s.set(KEY_STRICT_GUARD, "true").unwrap();
        assert!(s.strict_guard);
        assert!(s.set(KEY_STRICT_GUARD, "1").is_err());
        // Empty clears an optional field.
        s.set(KEY_AGE_RECIPIENT, R1).unwrap();
        s.set(KEY_AGE_RECIPIENT, "  ").unwrap();
        assert_eq!(s.age_recipient, None);
    }

    #[test]
    fn age_recipients() {
        assert_eq!(parse_age_recipient(R1).unwrap().as_deref(), Some(R1));
        assert_eq!(parse_age_recipient(&format!("  {R2}\n")).unwrap().as_deref(), Some(R2));
        assert_eq!(parse_age_recipient(&R1.to_ascii_uppercase()).unwrap().as_deref(), Some(R1));
        assert_eq!(parse_age_recipient("").unwrap(), None);
        let msg = |v: &str| parse_age_recipient(v).unwrap_err().message;
        // One changed character breaks the checksum.
        let typo = R1.replacen("flra", "flrq", 1);
        assert!(msg(&typo).contains("checksum"), "{}", msg(&typo));
        let typo = R1.replacen("flra", "fla", 1) + "q";
        assert!(msg(&typo).contains("checksum"));
        assert!(msg(&R1[..61]).contains("62 characters"));
        assert!(msg(&format!("{R1}q")).contains("62 characters"));
        assert!(msg("age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t").contains("Plugin"));
        assert!(msg(&R1.replacen("age1", "agf1", 1)).contains("starts with age1"));
        assert!(msg(&R1.replacen('k', "K", 1)).contains("Mixed"));
        assert!(msg(&R1.replacen('k', "b", 1)).contains("bech32"));
        assert!(msg(&format!("age1pq1{}", "q".repeat(80))).contains("X25519"));
        assert!(msg("ssh-ed25519 AAAAC3Nza").contains("SSH"));
        let private = parse_age_recipient("AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ").unwrap_err();
        assert!(private.looks_private);
        assert!(private.message.contains("private key"));
        assert!(!private.message.contains("QQQQ"));
        assert!(!parse_age_recipient("age1nope").unwrap_err().looks_private);
    }

    #[test]
    fn key_vault_fields() {
        assert_eq!(parse_vault("MyVault").unwrap().as_deref(), Some("https://myvault.vault.azure.net"));
        assert_eq!(parse_vault("https://kv-1.vault.usgovcloudapi.net/").unwrap().as_deref(), Some("https://kv-1.vault.usgovcloudapi.net"));
        assert_eq!(parse_vault(" ").unwrap(), None);
        assert!(parse_vault("http://myvault.vault.azure.net").unwrap_err().message.contains("https"));
        assert!(parse_vault("myvault.example.com").is_err());

        let g = "0A1B2C3D-0000-4000-8000-00000000ABCD";
        assert_eq!(parse_client_id(g).unwrap().as_deref(), Some("0a1b2c3d-0000-4000-8000-00000000abcd"));
        assert_eq!(parse_client_id(&format!("{{{g}}}")).unwrap().as_deref(), Some("0a1b2c3d-0000-4000-8000-00000000abcd"));
        assert_eq!(parse_client_id("").unwrap(), None);
        assert!(parse_client_id("0a1b2c3d00004000800000000000abcd").unwrap_err().message.contains("GUID"));

        assert_eq!(parse_tenant(g).unwrap().as_deref(), Some("0a1b2c3d-0000-4000-8000-00000000abcd"));
        assert_eq!(parse_tenant("Contoso.OnMicrosoft.com").unwrap().as_deref(), Some("contoso.onmicrosoft.com"));
        for bad in ["contoso", "-a.com", "a..com", "a_b.com", "a.com/", "é.com"] {
            assert!(parse_tenant(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_vault_default_warns_when_incomplete() {
        let mut s = read(&[(KEY_DEFAULT_STORE, "keyvault")]);
        let w = s.warnings();
        assert_eq!(w.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), [KEY_KEYVAULT_VAULT, KEY_KEYVAULT_CLIENT_ID]);
        s.set(KEY_KEYVAULT_VAULT, "myvault").unwrap();
        s.set(KEY_KEYVAULT_CLIENT_ID, "0a1b2c3d-0000-4000-8000-00000000abcd").unwrap();
        assert!(s.warnings().is_empty());
    }

    #[test]
    fn ages() {
        let t = 1_700_000_000_000;
        assert_eq!(format_age(t, t), "just now");
        assert_eq!(format_age(t, t + 5_000), "just now");
        assert_eq!(format_age(t + 59_999, t), "just now");
        assert_eq!(format_age(t + 120_000, t), "2 min ago");
        assert_eq!(format_age(t + 3_600_000 * 3, t), "3 h ago");
        assert_eq!(format_age(t + 86_400_000 * 2, t), "2 d ago");
        assert_eq!(format_age(0, u64::MAX), "just now");
    }
}
