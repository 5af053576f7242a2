//! Azure Key Vault (REST API 2025-07-01): request building and response and
//! error interpretation. No I/O: the background performs the fetches.
//!
//! Flow the caller runs: [`versions_request`] (does the name exist? ask the
//! user before adding a version) → [`put_secret_request`] → [`interpret_put`]
//! → [`read_back_request`] → [`interpret_read_back`] (constant-time compare)
//! → only then "saved". Any failure maps to a [`KvError`] with a user message.
//!
//! Secret values only pass through here as `&str`/`&[u8]`; request bodies are
//! allocated once at their final size and parsed responses are wiped, so the
//! caller can zeroize its own buffers and be done.
//!
//! One file per responsibility (`url`: vaults and clouds, `names`, `dates`, `request`,
//! `response`, `error`: status and codes to [`KvError`], `retry`); this module re-exports
//! their public API, so callers still write `keyvault::…`.

mod dates;
mod error;
mod names;
mod request;
mod response;
mod retry;
mod url;

pub use dates::{expiry_unix, parse_http_date, unix_time};
pub use error::{map_error, parse_challenge, Challenge, KvError};
pub use names::{derive_secret_name, validate_secret_name, SecretNameError};
pub use request::{put_secret_request, read_back_request, tag_value, versions_request, KvRequest, Method, SecretContext};
pub use response::{ct_eq, interpret_put, interpret_read_back, interpret_versions, parse_secret_id, KvResponse, SecretVersion};
pub use retry::{retry_after, RetryPolicy};
pub use url::{Cloud, VaultUrl, VaultUrlError};

/// The REST API version used for every request.
pub const API_VERSION: &str = "2025-07-01";
/// `contentType` stored with the secret.
pub const CONTENT_TYPE: &str = "application/x-azure-client-secret";
/// Longest secret name Key Vault accepts.
pub const MAX_SECRET_NAME_LEN: usize = 127;
/// Longest tag value Key Vault accepts, in UTF-16 code units.
pub const MAX_TAG_VALUE_LEN: usize = 256;

/// Fixtures shared by the files' unit tests.
#[cfg(test)]
mod test_support {
    use super::*;

    pub const SECRET: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";

    pub fn vault() -> VaultUrl {
        VaultUrl::parse("contoso-kv", Cloud::Public).unwrap()
    }

    pub fn ctx() -> SecretContext<'static> {
        SecretContext {
            app_name: "Contoso \"API\"",
            client_id: "11111111-2222-3333-4444-555555555555",
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47",
            secret_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            description: "ci\\deploy\n",
            expires_unix: unix_time(2027, 3, 14, 0, 0, 0),
        }
    }
}
