//! Pure core: no web-sys, no JS. Everything here is tested natively with `cargo test`.

/// Expiry dates as the portal displays them, read by the page's regional format.
pub mod date;
/// Detections (no values) and their deduplication.
pub mod detect;
/// The `.env` plaintext and file name for the encrypted-file store.
pub mod envfile;
/// Client-secrets grid row model.
pub mod grid;
/// Per-tab navigation guard state kept by the background.
pub mod guard;
/// The user's language: messages of extension/_locales, dates written out.
pub mod i18n;
/// Azure Key Vault request building and response mapping (JSON bodies through serde_json).
pub mod keyvault;
/// Where prompts go in a frame: never over a secret's row, reminders stacked.
pub mod layout;
/// Messages to the background: typed, checked, and who may send each.
pub mod message;
/// HashiCorp Vault / OpenBao (KV v2) request building and response mapping.
pub mod openbao;
/// OAuth authorization code + PKCE (SHA-256, base64url and percent-encoding from crates).
pub mod pkce;
/// What the save prompt says about a detection.
pub mod prompt;
/// The age recipient validator (age's own parser, clear messages). Not in the content module:
/// only code that links age (background, extension pages, native tests) has it.
#[cfg(any(feature = "background", feature = "pages", not(target_arch = "wasm32")))]
pub mod recipient;
/// Host classification and portal hash-route parsing.
pub mod route;
/// Secret format, checksum and search.
pub mod secret;
/// User settings (options page, `storage.sync`): defaults, validation, flat key/value form.
pub mod settings;
/// One secret's lifecycle states.
pub mod state;
/// Text trimming and byte search helpers.
pub mod text;
/// Best-effort wiping of buffers that held a secret.
pub mod wipe;
