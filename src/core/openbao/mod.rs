//! HashiCorp Vault / OpenBao, KV secrets engine version 2: request building and response
//! and error interpretation. No I/O: the store performs the fetches, adds the
//! `X-Vault-Token` header (never part of a [`BaoRequest`]) and `X-Vault-Namespace` from
//! [`BaoRequest::namespace`].
//!
//! Flow the store runs: [`lookup_self_request`] (or [`userpass_login_request`]) →
//! [`mount_request`] (a KV v2 mount?) → [`capabilities_request`] (may the token write
//! there?) → [`metadata_request`] (does the path hold versions? ask before adding one) →
//! [`write_request`] with check-and-set, so a concurrent writer is never overwritten →
//! [`metadata_write_request`] → [`read_back_request`] → [`interpret_read_back`]
//! (constant-time compare) → only then "saved". Any failure maps to a [`BaoError`] with a
//! user message.
//!
//! Secret values, passwords and tokens only pass through here as `&str`/`&[u8]` or in
//! [`Zeroizing`](zeroize::Zeroizing) buffers; request bodies are allocated once at their
//! final size and parsed values are wiped.
//!
//! One file per responsibility (`addr`: server address, namespace and mount; `path`: path
//! template and validation; `request`; `response`; `error`: status and messages to
//! [`BaoError`]); this module re-exports their public API, so callers write `openbao::…`.

mod addr;
mod error;
mod path;
mod request;
mod response;

pub use addr::{BaoAddr, BaoTarget};
pub use error::{map_error, server_message, BaoError, BaoOp};
pub use path::{render_path, slug, validate_path, PathContext, DEFAULT_PATH_TEMPLATE};
pub use request::{
    capabilities_request, custom_metadata_value, lookup_self_request, metadata_request, metadata_write_request, mount_request, read_back_request,
    renew_self_request, userpass_login_request, write_request, BaoRequest, SecretData, SecretMeta,
};
pub use response::{
    interpret_capabilities, interpret_login, interpret_lookup_self, interpret_metadata, interpret_metadata_write, interpret_mount, interpret_read_back,
    interpret_renew, interpret_write, BaoResponse, BaoToken, Capabilities, MountInfo, TokenInfo,
};

/// Data key of the client ID (the Azure SDKs' environment variable names, so the secret
/// can be exported as-is).
pub const KEY_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// Data key of the tenant ID.
pub const KEY_TENANT_ID: &str = "AZURE_TENANT_ID";
/// Data key of the client secret value.
pub const KEY_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// Mount used when none is configured (the dev server's and most installs' KV v2 mount).
pub const DEFAULT_MOUNT: &str = "secret";
/// Longest secret path accepted, in characters.
pub const MAX_PATH_CHARS: usize = 512;
/// Longest custom metadata value KV v2 accepts, in bytes.
pub const MAX_METADATA_VALUE_BYTES: usize = 512;

/// Fixtures shared by the files' unit tests, and real response bodies captured from
/// OpenBao 2.7.2 (ids shortened).
#[cfg(test)]
mod test_support {
    use super::*;

    pub const SECRET: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";
    pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
    pub const TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    pub fn target() -> BaoTarget {
        BaoTarget::new(BaoAddr::parse("https://vault.example.com:8200").unwrap(), None, None).unwrap()
    }

    pub fn resp(status: u16, body: &str) -> BaoResponse<'_> {
        BaoResponse::new(status, body.as_bytes())
    }

    /// `GET /v1/sys/internal/ui/mounts/secret/azure/x` (root token, dev server).
    pub const MOUNT_KV2: &str = r#"{"request_id":"4772ea9e","lease_id":"","renewable":false,"lease_duration":0,"data":{"accessor":"kv_ca1e795b","config":{"default_lease_ttl":0,"force_no_cache":false,"max_lease_ttl":0},"deprecation_status":"supported","description":"key/value secret storage","external_entropy_access":false,"local":false,"options":{"version":"2"},"path":"secret/","plugin_version":"","running_plugin_version":"v2.7.2+builtin.bao","running_sha256":"","seal_wrap":false,"type":"kv","uuid":"919484cb"},"wrap_info":null,"warnings":null,"auth":null}"#;
    /// The same under `bao secrets enable -path=kv1 -version=1 kv`.
    pub const MOUNT_KV1: &str = r#"{"request_id":"78696ccc","lease_id":"","renewable":false,"lease_duration":0,"data":{"accessor":"kv_d7d313f6","config":{"default_lease_ttl":0,"force_no_cache":false,"max_lease_ttl":0},"deprecation_status":"supported","description":"","external_entropy_access":false,"local":false,"options":{"version":"1"},"path":"kv1/","plugin_version":"","running_plugin_version":"v2.7.2+builtin.bao","running_sha256":"","seal_wrap":false,"type":"kv","uuid":"2cc2b156"},"wrap_info":null,"warnings":null,"auth":null}"#;
    /// `GET /v1/sys/internal/ui/mounts/sys/x`: a mount that is not KV.
    pub const MOUNT_SYS: &str = r#"{"request_id":"32de9984","lease_id":"","renewable":false,"lease_duration":0,"data":{"accessor":"system_153c9ef9","config":{"default_lease_ttl":0,"force_no_cache":false,"max_lease_ttl":0,"passthrough_request_headers":["Accept"]},"description":"system endpoints used for control, policy and debugging","external_entropy_access":false,"local":false,"options":null,"path":"sys/","plugin_version":"","running_plugin_version":"v2.7.2+builtin.bao","running_sha256":"","seal_wrap":true,"type":"system","uuid":"90566791"},"wrap_info":null,"warnings":null,"auth":null}"#;
    /// 403 for a path under no mount (even with the root token), or under a mount the
    /// token's policies grant nothing in: the server does not say which.
    pub const MOUNT_PREFLIGHT_403: &str =
        r#"{"errors":["preflight capability check returned 403, please ensure client's policies grant access to path \"nosuch/azure/x/\""]}"#;
    /// 404 of a missing metadata path or version.
    pub const NOT_FOUND_404: &str = r#"{"errors":[]}"#;
    /// `GET /v1/secret/metadata/azure/app/x` after two writes and a metadata write.
    pub const METADATA: &str = r#"{"request_id":"e2e91256","lease_id":"","renewable":false,"lease_duration":0,"data":{"cas_required":false,"created_time":"2026-12-01T06:14:06.196166336Z","current_metadata_version":1,"current_version":2,"custom_metadata":{"app":"A","source":"ShownOnce"},"delete_version_after":"1h0m0s","max_versions":0,"metadata_cas_required":false,"oldest_version":0,"updated_time":"2026-12-01T06:14:06.22485302Z","versions":{"1":{"created_time":"2026-12-01T06:14:06.196166336Z","deletion_time":"","destroyed":false},"2":{"created_time":"2026-12-01T06:14:06.210966564Z","deletion_time":"","destroyed":false}}},"wrap_info":null,"warnings":null,"auth":null}"#;
    /// `POST /v1/secret/data/azure/app/x` with `cas: 0` on a new path.
    pub const WRITE_OK: &str = r#"{"request_id":"4a72ddfc","lease_id":"","renewable":false,"lease_duration":0,"data":{"created_time":"2026-12-01T06:14:06.196166336Z","custom_metadata":null,"deletion_time":"","destroyed":false,"version":1},"wrap_info":null,"warnings":null,"auth":null}"#;
    /// The same write again with `cas: 0`.
    pub const CAS_400: &str = r#"{"errors":["check-and-set parameter did not match the current version"]}"#;
    /// 403 of a valid token whose policy lacks the capability.
    pub const DENIED_403: &str = r#"{"errors":["1 error occurred:\n\t* permission denied\n\n"]}"#;
    /// 403 of a bad token (or none).
    pub const DENIED_BAD_TOKEN_403: &str = r#"{"errors":["permission denied"]}"#;
    /// 503 of a sealed server (any path).
    pub const SEALED_503: &str = r#"{"errors":["Vault is sealed"]}"#;
    /// 404 for `X-Vault-Namespace: nosuch` (any path).
    pub const NAMESPACE_404: &str = r#"{"errors":["namespace not found"]}"#;
    /// 404 of a data or metadata path under no mount (here in an existing namespace).
    pub const NO_ROUTE_404: &str = r#"{"errors":["no handler for route \"secret/metadata/azure/x\". route entry not found."]}"#;

    /// `GET /v1/secret/data/azure/app/x?version=1` of the value `SECRET`.
    pub fn read_back_body(value: &str, version: u64) -> String {
        format!(
            r#"{{"request_id":"9c797a8a","lease_id":"","renewable":false,"lease_duration":0,"data":{{"data":{{"AZURE_CLIENT_ID":"{CLIENT_ID}","AZURE_CLIENT_SECRET":{},"AZURE_TENANT_ID":"{TENANT_ID}"}},"metadata":{{"created_time":"2026-12-01T06:14:06.196166336Z","custom_metadata":{{"app":"A","source":"ShownOnce"}},"deletion_time":"","destroyed":false,"version":{version}}}}},"wrap_info":null,"warnings":null,"auth":null}}"#,
            serde_json::Value::from(value)
        )
    }
}
