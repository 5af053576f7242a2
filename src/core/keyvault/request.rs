//! Requests: the versions listing, the PUT (its JSON body serialized once, at its exact
//! size, because it holds the secret) and the read-back.

use std::fmt;
use std::io;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use zeroize::Zeroize;

use super::names::{is_version, validate_secret_name};
use super::{SecretNameError, VaultUrl, API_VERSION, CONTENT_TYPE, MAX_TAG_VALUE_LEN};

/// Context stored with the secret as attributes and tags. No value here.
#[derive(Debug, Clone, Copy)]
pub struct SecretContext<'a> {
    /// App display name.
    pub app_name: &'a str,
    /// Application (client) ID.
    pub client_id: &'a str,
    /// Directory (tenant) ID.
    pub tenant_id: &'a str,
    /// The client secret's Secret ID (Graph `keyId`).
    pub secret_id: &'a str,
    /// The client secret's description.
    pub description: &'a str,
    /// When the client secret expires (Unix seconds); becomes `attributes.exp`.
    pub expires_unix: Option<i64>,
}

/// HTTP method of a [`KvRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// PUT
    Put,
}

impl Method {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
        }
    }
}

/// A request for the caller to send with `Authorization: Bearer <token>` and,
/// when there is a body, `Content-Type: application/json`.
pub struct KvRequest {
    /// Method.
    pub method: Method,
    /// Full URL including `api-version`.
    pub url: String,
    /// JSON body (holds the secret for PUT: zeroize after sending).
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for KvRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KvRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("body", &self.body.as_ref().map(|b| format!("<{} bytes redacted>", b.len())))
            .finish()
    }
}

fn checked_name(name: &str) -> Result<&str, SecretNameError> {
    validate_secret_name(name).map(|_| name)
}

/// `GET {vault}/secrets/{name}/versions?maxresults=1`: lists versions without
/// values, to ask before adding a version to an existing name.
pub fn versions_request(vault: &VaultUrl, name: &str) -> Result<KvRequest, SecretNameError> {
    let name = checked_name(name)?;
    let url = format!("{}/secrets/{name}/versions?maxresults=1&api-version={API_VERSION}", vault.base());
    Ok(KvRequest { method: Method::Get, url, body: None })
}

/// `GET {vault}/secrets/{name}/{version}`: the read-back after a PUT.
pub fn read_back_request(vault: &VaultUrl, name: &str, version: &str) -> Result<KvRequest, SecretNameError> {
    let name = checked_name(name)?;
    if !is_version(version) {
        return Err(SecretNameError::InvalidCharacter);
    }
    let url = format!("{}/secrets/{name}/{version}?api-version={API_VERSION}", vault.base());
    Ok(KvRequest { method: Method::Get, url, body: None })
}

/// Truncates to at most [`MAX_TAG_VALUE_LEN`] UTF-16 units, with controls replaced by spaces.
pub fn tag_value(s: &str) -> String {
    let mut units = 0;
    let mut out = String::new();
    for c in s.trim().chars() {
        units += c.len_utf16();
        if units > MAX_TAG_VALUE_LEN {
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// `PUT {vault}/secrets/{name}?api-version=2025-07-01` with `value`,
/// `contentType`, `attributes` (`enabled`, `exp`) and `tags`. Empty tags are omitted.
pub fn put_secret_request(vault: &VaultUrl, name: &str, value: &str, ctx: &SecretContext<'_>) -> Result<KvRequest, SecretNameError> {
    let name = checked_name(name)?;
    let url = format!("{}/secrets/{name}?api-version={API_VERSION}", vault.base());
    let tags: Vec<(&str, String)> = [
        ("appName", ctx.app_name),
        ("clientId", ctx.client_id),
        ("tenantId", ctx.tenant_id),
        ("secretId", ctx.secret_id),
        ("description", ctx.description),
        ("source", "ShownOnce"),
    ]
    .into_iter()
    .map(|(k, v)| (k, tag_value(v)))
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let put = PutBody { value, content_type: CONTENT_TYPE, attributes: Attributes { enabled: true, exp: ctx.expires_unix }, tags: Tags(&tags) };
    // Measured first, so the body is allocated once at its exact size and the value is
    // copied exactly once (no reallocation leaves a stray copy behind).
    let mut count = ByteCount(0);
    let sized = serde_json::to_writer(&mut count, &put);
    let mut body = Vec::with_capacity(count.0);
    // Serializing strings and integers into a Vec cannot fail; were it to, the caller gets an
    // error (no request), never a panic or a half-written body.
    if sized.is_err() || serde_json::to_writer(&mut body, &put).is_err() {
        body.zeroize();
        return Err(SecretNameError::InvalidCharacter);
    }
    Ok(KvRequest { method: Method::Put, url, body: Some(body) })
}

/// The PUT body: `value`, `contentType`, `attributes`, `tags`, in that order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PutBody<'a> {
    value: &'a str,
    content_type: &'a str,
    attributes: Attributes,
    tags: Tags<'a>,
}

#[derive(Serialize)]
struct Attributes {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
}

/// Tags in our order (a map type would sort them).
struct Tags<'a>(&'a [(&'a str, String)]);

impl Serialize for Tags<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Counts the bytes a serialization writes, keeping none of them.
struct ByteCount(usize);

impl io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyvault::test_support::*;
    use crate::core::keyvault::*;

    #[test]
    fn put_request() {
        let r = put_secret_request(&vault(), "contoso-api", SECRET, &ctx()).unwrap();
        assert_eq!(r.method, Method::Put);
        assert_eq!(r.url, "https://contoso-kv.vault.azure.net/secrets/contoso-api?api-version=2025-07-01");
        let body = r.body.as_ref().unwrap();
        assert_eq!(body.len(), body.capacity(), "allocated once");
        let text = std::str::from_utf8(body).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"value":"zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP","contentType":"application/x-azure-client-secret","#,
                r#""attributes":{"enabled":true,"exp":1804982400},"tags":{"appName":"Contoso \"API\"","#,
                r#""clientId":"11111111-2222-3333-4444-555555555555","tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","#,
                r#""secretId":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","description":"ci\\deploy","source":"ShownOnce"}}"#
            )
        );
        let tree: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(tree["tags"]["description"].as_str(), Some("ci\\deploy"));
        assert!(!format!("{r:?}").contains(SECRET));
        let mut c = ctx();
        c.expires_unix = None;
        c.description = "";
        let r = put_secret_request(&vault(), "n", "v\"\u{1}", &c).unwrap();
        let text = String::from_utf8(r.body.unwrap()).unwrap();
        assert!(text.starts_with(r#"{"value":"v\"\u0001","#) && text.contains(r#""attributes":{"enabled":true}"#));
        assert!(!text.contains("description"));
        assert!(put_secret_request(&vault(), "../x", SECRET, &ctx()).is_err());
    }

    #[test]
    fn tag_values_are_capped() {
        assert_eq!(tag_value(&"a".repeat(300)).len(), 256);
        assert_eq!(tag_value(&"🔑".repeat(200)).chars().count(), 128, "UTF-16 units");
        assert_eq!(tag_value(" x\ty "), "x y");
    }

    #[test]
    fn other_requests() {
        let v = VaultUrl::parse("gov1.vault.usgovcloudapi.net", Cloud::Public).unwrap();
        assert_eq!(versions_request(&v, "n1").unwrap().url, "https://gov1.vault.usgovcloudapi.net/secrets/n1/versions?maxresults=1&api-version=2025-07-01");
        assert_eq!(
            read_back_request(&v, "n1", "4387e9f3d6e14c459867679a90fd0f79").unwrap().url,
            "https://gov1.vault.usgovcloudapi.net/secrets/n1/4387e9f3d6e14c459867679a90fd0f79?api-version=2025-07-01"
        );
        assert!(read_back_request(&v, "n1", "../x").is_err());
    }
}
