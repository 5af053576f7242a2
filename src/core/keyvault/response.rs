//! Responses: the PUT's new version, the read-back's constant-time comparison (the value
//! borrowed from the body or wiped), and whether a name already holds a secret.

use std::borrow::Cow;
use std::fmt;

use serde::de::IgnoredAny;
use serde::Deserialize;
use zeroize::Zeroize;

use super::names::is_version;
use super::{map_error, validate_secret_name, KvError, VaultUrl};

/// Constant-time equality of two byte strings (the length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// Identifies one stored secret version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVersion {
    /// The full secret identifier URL.
    pub id: String,
    /// The secret name.
    pub name: String,
    /// The version Key Vault assigned.
    pub version: String,
}

/// An HTTP response as the caller received it (body still in the caller's buffer).
#[derive(Clone, Copy)]
pub struct KvResponse<'a> {
    /// Status code; 0 when the fetch failed before any response.
    pub status: u16,
    /// Body bytes.
    pub body: &'a [u8],
    /// `WWW-Authenticate` header.
    pub www_authenticate: Option<&'a str>,
    /// `Retry-After` header (seconds or HTTP-date).
    pub retry_after: Option<&'a str>,
    /// `retry-after-ms` / `x-ms-retry-after-ms` header.
    pub retry_after_ms: Option<&'a str>,
}

impl fmt::Debug for KvResponse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KvResponse")
            .field("status", &self.status)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("www_authenticate", &self.www_authenticate)
            .field("retry_after", &self.retry_after)
            .field("retry_after_ms", &self.retry_after_ms)
            .finish()
    }
}

impl<'a> KvResponse<'a> {
    /// A response with only a status and body.
    pub fn new(status: u16, body: &'a [u8]) -> Self {
        KvResponse { status, body, www_authenticate: None, retry_after: None, retry_after_ms: None }
    }
}

/// Splits `https://<host>/secrets/<name>/<version>` and checks it belongs to `vault`.
pub fn parse_secret_id(id: &str, vault: &VaultUrl) -> Option<SecretVersion> {
    let rest = id.strip_prefix("https://")?;
    let mut parts = rest.split('/');
    let host = parts.next()?;
    let host = host.strip_suffix(":443").unwrap_or(host);
    if !host.eq_ignore_ascii_case(&vault.host()) || parts.next()? != "secrets" {
        return None;
    }
    let name = parts.next()?;
    let version = parts.next()?;
    if parts.next().is_some() || validate_secret_name(name).is_err() || !is_version(version) {
        return None;
    }
    Some(SecretVersion { id: id.to_owned(), name: name.to_owned(), version: version.to_owned() })
}

/// A secret bundle (PUT response, read-back): its id, and the value only when it is compared.
/// Unknown members (`attributes`, `tags`…) are skipped without being copied.
/// The value is borrowed from the body when it has no escapes (a client secret never has):
/// then no copy of it is made at all.
#[derive(Deserialize)]
struct Bundle<'a> {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, borrow)]
    value: Option<Cow<'a, str>>,
}

// The value is the secret itself: wipe any copy the parser made, whatever path drops the bundle.
impl Drop for Bundle<'_> {
    fn drop(&mut self) {
        if let Some(Cow::Owned(v)) = &mut self.value {
            v.zeroize();
        }
    }
}

/// A PUT response: only the id is read; the echoed value is skipped, never copied.
#[derive(Deserialize)]
struct PutResponse {
    #[serde(default)]
    id: Option<String>,
}

/// The versions listing: only whether `value` has items.
#[derive(Deserialize)]
struct VersionList {
    value: Vec<IgnoredAny>,
}

fn bundle_version(id: Option<&str>, vault: &VaultUrl, name: &str) -> Option<SecretVersion> {
    let v = parse_secret_id(id?, vault)?;
    v.name.eq_ignore_ascii_case(name).then_some(v)
}

/// Interprets the PUT response: the new version, or the error. The echoed
/// value in the body is skipped by the parser, never copied or returned.
pub fn interpret_put(resp: &KvResponse<'_>, vault: &VaultUrl, name: &str, now_unix: i64) -> Result<SecretVersion, KvError> {
    if resp.status != 200 {
        return Err(map_error(resp, vault, now_unix));
    }
    let put: PutResponse = serde_json::from_slice(resp.body).map_err(|_| KvError::BadResponse)?;
    bundle_version(put.id.as_deref(), vault, name).ok_or(KvError::BadResponse)
}

/// Interprets the read-back: `Ok` only if the stored value equals `expected`
/// (constant time) and the id is the version we wrote. The parsed value is wiped.
pub fn interpret_read_back(resp: &KvResponse<'_>, vault: &VaultUrl, written: &SecretVersion, expected: &[u8], now_unix: i64) -> Result<SecretVersion, KvError> {
    if resp.status != 200 {
        return Err(map_error(resp, vault, now_unix));
    }
    let bundle: Bundle = serde_json::from_slice(resp.body).map_err(|_| KvError::BadResponse)?;
    let same_value = bundle.value.as_deref().is_some_and(|v| ct_eq(v.as_bytes(), expected));
    let v = bundle_version(bundle.id.as_deref(), vault, &written.name);
    drop(bundle);
    match v {
        Some(v) if v.version == written.version && same_value => Ok(v),
        Some(_) => Err(KvError::VerifyMismatch),
        None => Err(KvError::BadResponse),
    }
}

/// Interprets the versions listing: whether the name already holds a secret.
/// A 404 `SecretNotFound` means the name is free.
pub fn interpret_versions(resp: &KvResponse<'_>, vault: &VaultUrl, now_unix: i64) -> Result<bool, KvError> {
    match resp.status {
        200 => {
            let list: VersionList = serde_json::from_slice(resp.body).map_err(|_| KvError::BadResponse)?;
            Ok(!list.value.is_empty())
        }
        _ => match map_error(resp, vault, now_unix) {
            KvError::SecretNotFound => Ok(false),
            e => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyvault::test_support::*;
    use crate::core::keyvault::*;

    fn bundle(value: &str, id: &str) -> String {
        format!(
            r#"{{"value":{},"id":"{id}","attributes":{{"enabled":true,"exp":1804982400,"created":1,"updated":1,"recoveryLevel":"Recoverable+Purgeable"}},"tags":{{}}}}"#,
            serde_json::Value::from(value)
        )
    }

    #[test]
    fn put_and_read_back() {
        let id = "https://contoso-kv.vault.azure.net/secrets/contoso-api/4387e9f3d6e14c459867679a90fd0f79";
        let body = bundle(SECRET, id);
        let v = interpret_put(&KvResponse::new(200, body.as_bytes()), &vault(), "contoso-api", 0).unwrap();
        assert_eq!(v.version, "4387e9f3d6e14c459867679a90fd0f79");
        assert_eq!(v.id, id);
        let ok = interpret_read_back(&KvResponse::new(200, body.as_bytes()), &vault(), &v, SECRET.as_bytes(), 0);
        assert_eq!(ok, Ok(v.clone()));
        let other = bundle("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblQ", id);
        assert_eq!(interpret_read_back(&KvResponse::new(200, other.as_bytes()), &vault(), &v, SECRET.as_bytes(), 0), Err(KvError::VerifyMismatch));
        let other_version = bundle(SECRET, &id.replace("4387", "9999"));
        assert_eq!(interpret_read_back(&KvResponse::new(200, other_version.as_bytes()), &vault(), &v, SECRET.as_bytes(), 0), Err(KvError::VerifyMismatch));
        // An id for another vault or name is not ours.
        for bad_id in [
            "https://evil.vault.azure.net/secrets/contoso-api/4387e9f3d6e14c459867679a90fd0f79",
            "https://contoso-kv.vault.azure.net/secrets/other/4387e9f3d6e14c459867679a90fd0f79",
            "https://contoso-kv.vault.azure.net/keys/contoso-api/4387e9f3d6e14c459867679a90fd0f79",
            "https://contoso-kv.vault.azure.net/secrets/contoso-api",
        ] {
            let b = bundle(SECRET, bad_id);
            assert_eq!(interpret_put(&KvResponse::new(200, b.as_bytes()), &vault(), "contoso-api", 0), Err(KvError::BadResponse), "{bad_id}");
        }
        assert_eq!(interpret_put(&KvResponse::new(200, b"<html>"), &vault(), "contoso-api", 0), Err(KvError::BadResponse));
        // An escaped value (the parser's own copy, wiped on drop) still compares equal; a
        // repeated member is refused rather than one of the two picked.
        let escaped = body.replacen("zzz8Q", "\\u007azz8Q", 1);
        assert_ne!(escaped, body);
        assert_eq!(interpret_read_back(&KvResponse::new(200, escaped.as_bytes()), &vault(), &v, SECRET.as_bytes(), 0), Ok(v.clone()));
        let twice = body.replacen("{", r#"{"value":"x","#, 1);
        assert_eq!(interpret_read_back(&KvResponse::new(200, twice.as_bytes()), &vault(), &v, SECRET.as_bytes(), 0), Err(KvError::BadResponse));
        assert_eq!(parse_secret_id("https://CONTOSO-KV.vault.azure.net:443/secrets/Contoso-API/abc", &vault()).map(|v| v.name), Some("Contoso-API".to_owned()));
    }

    #[test]
    fn versions_listing() {
        let empty = br#"{"value":[],"nextLink":null}"#;
        let one = br#"{"value":[{"id":"https://contoso-kv.vault.azure.net/secrets/n/abc","attributes":{"enabled":true}}],"nextLink":"https://contoso-kv.vault.azure.net/secrets/n/versions?$skiptoken=x"}"#;
        let nf = br#"{"error":{"code":"SecretNotFound","message":"A secret with (name/id) n was not found in this key vault."}}"#;
        assert_eq!(interpret_versions(&KvResponse::new(200, empty), &vault(), 0), Ok(false));
        assert_eq!(interpret_versions(&KvResponse::new(200, one), &vault(), 0), Ok(true));
        assert_eq!(interpret_versions(&KvResponse::new(404, nf), &vault(), 0), Ok(false));
        assert_eq!(interpret_versions(&KvResponse::new(404, b""), &vault(), 0), Err(KvError::VaultNotFound));
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(SECRET.as_bytes(), SECRET.as_bytes()));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}
