//! Pure core: no web-sys, no JS. Everything here is tested natively with `cargo test`.

/// Text trimming and byte search helpers.
pub mod text;
/// Secret format, checksum and search.
pub mod secret;
/// Host classification and portal hash-route parsing.
pub mod route;
/// Client-secrets grid row model.
pub mod grid;
/// Detections (no values) and their deduplication.
pub mod detect;
/// One secret's lifecycle states.
pub mod state;
/// What the save prompt says about a detection.
pub mod prompt;
/// Where prompts go in a frame: never over a secret's row, reminders stacked.
pub mod layout;
/// Per-tab navigation guard state kept by the background.
pub mod guard;
/// The `.env` plaintext and file name for the encrypted-file store.
pub mod envfile;
/// Expiry dates as the portal displays them, read by the page's regional format.
pub mod date;
/// Azure Key Vault request building and response mapping.
pub mod keyvault;
/// OAuth authorization code + PKCE, with SHA-256 and base64url.
pub mod pkce;
/// Small JSON escaper and reader (no serde).
pub mod json;
/// Best-effort wiping of buffers that held a secret.
pub mod wipe;
/// User settings (options page, `storage.sync`): defaults, validation, flat key/value form.
pub mod settings;
