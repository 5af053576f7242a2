//! Requests: URLs with each path part percent-encoded, and JSON bodies serialized once, at
//! their exact size, into wiped-on-drop buffers (the write and login bodies hold a secret).

use crate::core::i18n::tr;
use std::fmt;
use std::io;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use zeroize::Zeroizing;

use super::{BaoError, BaoTarget, MAX_METADATA_VALUE_BYTES};

/// Everything but RFC 3986 unreserved characters is encoded in a path part: the server
/// decodes them all, and `/`, `?`, `#`, `%` or `..` tricks cannot change what is addressed.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// One request to send. The store adds `X-Vault-Token` itself, `X-Vault-Namespace` from
/// `namespace`, and `Content-Type: application/json` when there is a body.
pub struct BaoRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Full URL.
    pub url: String,
    /// Namespace for the `X-Vault-Namespace` header.
    pub namespace: Option<String>,
    /// JSON body; holds the secret value or a password for some requests, wiped on drop.
    pub body: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for BaoRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaoRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("namespace", &self.namespace)
            .field("body", &self.body.as_ref().map(|b| format!("<{} bytes redacted>", b.len())))
            .finish()
    }
}

/// Appends `path`'s parts, each percent-encoded, with `/` between them.
fn push_path(url: &mut String, path: &str) {
    for (i, part) in path.split('/').enumerate() {
        if i > 0 {
            url.push('/');
        }
        url.extend(utf8_percent_encode(part, SEGMENT));
    }
}

/// `{origin}/v1/{parts…}`; each part may hold several '/'-separated path parts.
fn api_url(t: &BaoTarget, parts: &[&str]) -> String {
    let mut url = format!("{}/v1", t.addr.origin());
    for p in parts {
        url.push('/');
        push_path(&mut url, p);
    }
    url
}

fn request(t: &BaoTarget, method: &'static str, url: String, body: Option<Zeroizing<Vec<u8>>>) -> BaoRequest {
    BaoRequest { method, url, namespace: t.namespace.clone(), body }
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

/// Serializes into a buffer allocated once at its exact size (no reallocation leaves a stray
/// copy of a secret behind). Strings, integers and maps of them cannot fail to serialize;
/// were it to happen, the body is empty and the server refuses the request.
fn json_body<T: Serialize>(value: &T) -> Zeroizing<Vec<u8>> {
    let mut count = ByteCount(0);
    let sized = serde_json::to_writer(&mut count, value);
    let mut body = Zeroizing::new(Vec::with_capacity(count.0));
    if sized.is_err() || serde_json::to_writer(&mut *body, value).is_err() {
        body.clear();
    }
    body
}

/// `GET {origin}/v1/sys/internal/ui/mounts/{mount}/{path}`: which engine (type, KV version)
/// serves the path. `path` is one [`validate_path`](super::validate_path) accepted.
pub fn mount_request(t: &BaoTarget, path: &str) -> BaoRequest {
    request(t, "GET", api_url(t, &["sys/internal/ui/mounts", &t.mount, path]), None)
}

/// `GET {origin}/v1/{mount}/metadata/{path}`: whether the path holds versions.
pub fn metadata_request(t: &BaoTarget, path: &str) -> BaoRequest {
    request(t, "GET", api_url(t, &[&t.mount, "metadata", path]), None)
}

/// The secret's data. The key names are the Azure SDKs' environment variables.
#[derive(Clone, Copy)]
pub struct SecretData<'a> {
    /// Application (client) ID.
    pub client_id: &'a str,
    /// Directory (tenant) ID.
    pub tenant_id: &'a str,
    /// The client secret value.
    pub value: &'a str,
}

impl fmt::Debug for SecretData<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretData").field("client_id", &self.client_id).field("tenant_id", &self.tenant_id).field("value", &"<redacted>").finish()
    }
}

#[derive(Serialize)]
struct WriteBody<'a> {
    options: CasOption,
    data: DataBody<'a>,
}

#[derive(Serialize)]
struct CasOption {
    cas: u64,
}

/// The data; the renames are [`KEY_CLIENT_ID`](super::KEY_CLIENT_ID) and its siblings (a test checks them).
#[derive(Serialize)]
struct DataBody<'a> {
    #[serde(rename = "AZURE_CLIENT_ID")]
    client_id: &'a str,
    #[serde(rename = "AZURE_TENANT_ID")]
    tenant_id: &'a str,
    #[serde(rename = "AZURE_CLIENT_SECRET")]
    value: &'a str,
}

/// `POST {origin}/v1/{mount}/data/{path}` with `{"options":{"cas":cas},"data":{…}}`:
/// `cas` 0 writes only if the path holds no version; N only if N is the current one, so a
/// concurrent write is never overwritten (400 → [`BaoError::CasMismatch`]).
pub fn write_request(t: &BaoTarget, path: &str, data: &SecretData<'_>, cas: u64) -> BaoRequest {
    let body = WriteBody { options: CasOption { cas }, data: DataBody { client_id: data.client_id, tenant_id: data.tenant_id, value: data.value } };
    request(t, "POST", api_url(t, &[&t.mount, "data", path]), Some(json_body(&body)))
}

/// Context stored as the path's custom metadata. No value here.
#[derive(Debug, Clone, Copy)]
pub struct SecretMeta<'a> {
    /// App display name.
    pub app_name: &'a str,
    /// Application (client) ID.
    pub client_id: &'a str,
    /// The client secret's Secret ID.
    pub secret_id: &'a str,
    /// The client secret's description.
    pub description: &'a str,
    /// When the client secret expires, as the caller formats it.
    pub expires: &'a str,
}

/// A custom metadata value as KV v2 accepts it: controls replaced by spaces, trimmed, cut
/// (on a character boundary) to [`MAX_METADATA_VALUE_BYTES`].
pub fn custom_metadata_value(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if out.len() + c.len_utf8() > MAX_METADATA_VALUE_BYTES {
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out.trim_end().to_owned()
}

/// Pairs in our order (a map type would sort them).
struct Pairs<'a>(&'a [(&'static str, String)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct MetadataBody<'a> {
    custom_metadata: Pairs<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_version_after: Option<String>,
}

/// `POST {origin}/v1/{mount}/metadata/{path}` with `custom_metadata` (`app`, `clientId`,
/// `secretId`, `description`, `expires`, empty ones omitted, and `source: ShownOnce`) and,
/// for `Some(N)` with N > 0, `delete_version_after: "Ns"`. The metadata is the path's, not
/// a version's: it describes the latest save. It replaces any earlier custom metadata;
/// settings not sent (max versions, CAS required) are kept.
pub fn metadata_write_request(t: &BaoTarget, path: &str, meta: &SecretMeta<'_>, delete_after_secs: Option<u64>) -> BaoRequest {
    let pairs: Vec<(&'static str, String)> = [
        ("app", meta.app_name),
        ("clientId", meta.client_id),
        ("secretId", meta.secret_id),
        ("description", meta.description),
        ("expires", meta.expires),
        ("source", "ShownOnce"),
    ]
    .into_iter()
    .map(|(k, v)| (k, custom_metadata_value(v)))
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let body = MetadataBody { custom_metadata: Pairs(&pairs), delete_version_after: delete_after_secs.filter(|n| *n > 0).map(|n| format!("{n}s")) };
    request(t, "POST", api_url(t, &[&t.mount, "metadata", path]), Some(json_body(&body)))
}

/// `GET {origin}/v1/{mount}/data/{path}?version=N`: the read-back of the version written.
pub fn read_back_request(t: &BaoTarget, path: &str, version: u64) -> BaoRequest {
    let mut url = api_url(t, &[&t.mount, "data", path]);
    url.push_str(&format!("?version={version}"));
    request(t, "GET", url, None)
}

#[derive(Serialize)]
struct LoginBody<'a> {
    password: &'a str,
}

/// `POST {origin}/v1/auth/{auth_mount}/login/{username}` with `{"password":…}` (an empty
/// `auth_mount` is `userpass`). The username is one encoded path part. Sent without a token.
pub fn userpass_login_request(t: &BaoTarget, auth_mount: &str, username: &str, password: &str) -> Result<BaoRequest, BaoError> {
    let auth_mount = match auth_mount.trim().trim_matches('/') {
        "" => "userpass",
        m => m,
    };
    super::addr::check_name(auth_mount, &tr("baoWhatAuthMount", &[]), false).map_err(BaoError::BadMount)?;
    let username = username.trim();
    // No request for what cannot be a login: the server would only say "invalid username
    // or password" (a '/' would be decoded into another route).
    if username.is_empty() || password.is_empty() || username.contains('/') || username.chars().any(char::is_control) {
        return Err(BaoError::BadCredentials);
    }
    let url = api_url(t, &["auth", auth_mount, "login", username]);
    Ok(request(t, "POST", url, Some(json_body(&LoginBody { password }))))
}

/// `GET {origin}/v1/auth/token/lookup-self`: the token's TTL and whether it is renewable.
pub fn lookup_self_request(t: &BaoTarget) -> BaoRequest {
    request(t, "GET", api_url(t, &["auth/token/lookup-self"]), None)
}

/// `POST {origin}/v1/auth/token/renew-self` with `{}`: extends the token by its default increment.
pub fn renew_self_request(t: &BaoTarget) -> BaoRequest {
    request(t, "POST", api_url(t, &["auth/token/renew-self"]), Some(Zeroizing::new(b"{}".to_vec())))
}

#[derive(Serialize)]
struct CapabilitiesBody<'a> {
    paths: [&'a str; 2],
}

/// `POST {origin}/v1/sys/capabilities-self` with the data and metadata policy paths (not
/// encoded: policies match the decoded path).
pub fn capabilities_request(t: &BaoTarget, path: &str) -> BaoRequest {
    let (data, meta) = (t.data_path(path), t.metadata_path(path));
    request(t, "POST", api_url(t, &["sys/capabilities-self"]), Some(json_body(&CapabilitiesBody { paths: [&data, &meta] })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::openbao::test_support::*;
    use crate::core::openbao::*;
    use serde_json::{json, Value};

    fn body_json(r: &BaoRequest) -> Value {
        serde_json::from_slice(r.body.as_ref().expect("a body")).unwrap()
    }

    #[test]
    fn urls() {
        let t = target();
        let r = mount_request(&t, "azure/app/x");
        assert_eq!((r.method, r.url.as_str(), r.body.is_none()), ("GET", "https://vault.example.com:8200/v1/sys/internal/ui/mounts/secret/azure/app/x", true));
        assert_eq!(metadata_request(&t, "azure/app/x").url, "https://vault.example.com:8200/v1/secret/metadata/azure/app/x");
        assert_eq!(read_back_request(&t, "azure/app/x", 7).url, "https://vault.example.com:8200/v1/secret/data/azure/app/x?version=7");
        let r = lookup_self_request(&t);
        assert_eq!((r.method, r.url.as_str()), ("GET", "https://vault.example.com:8200/v1/auth/token/lookup-self"));
        let r = renew_self_request(&t);
        assert_eq!((r.method, r.url.as_str(), body_json(&r)), ("POST", "https://vault.example.com:8200/v1/auth/token/renew-self", json!({})));
        // Each part encoded: space, '?', '#', '%', non-ASCII; '/' only between parts.
        let t = BaoTarget::new(BaoAddr::parse("http://127.0.0.1:8200").unwrap(), Some("team1/sub"), Some("team/clés")).unwrap();
        let r = metadata_request(&t, "a b/c?d#e/100%/é~_.-x");
        assert_eq!(r.url, "http://127.0.0.1:8200/v1/team/cl%C3%A9s/metadata/a%20b/c%3Fd%23e/100%25/%C3%A9~_.-x");
        assert_eq!(r.namespace.as_deref(), Some("team1/sub"));
        assert_eq!(target().namespace, None);
        assert_eq!(mount_request(&target(), "x").namespace, None);
    }

    #[test]
    fn write_body() {
        let t = target();
        let data = SecretData { client_id: CLIENT_ID, tenant_id: TENANT_ID, value: SECRET };
        let r = write_request(&t, "azure/app/x", &data, 0);
        assert_eq!((r.method, r.url.as_str()), ("POST", "https://vault.example.com:8200/v1/secret/data/azure/app/x"));
        let body = r.body.as_ref().unwrap();
        assert_eq!(body.len(), body.capacity(), "allocated once");
        assert_eq!(
            std::str::from_utf8(body).unwrap(),
            format!(r#"{{"options":{{"cas":0}},"data":{{"AZURE_CLIENT_ID":"{CLIENT_ID}","AZURE_TENANT_ID":"{TENANT_ID}","AZURE_CLIENT_SECRET":"{SECRET}"}}}}"#)
        );
        let v = body_json(&write_request(&t, "p", &SecretData { client_id: "", tenant_id: "t", value: "v\"\u{1}" }, 41));
        assert_eq!(v, json!({"options": {"cas": 41}, "data": {KEY_CLIENT_ID: "", KEY_TENANT_ID: "t", KEY_CLIENT_SECRET: "v\"\u{1}"}}));
        let dbg = format!("{r:?} {data:?}");
        assert!(!dbg.contains(SECRET) && dbg.contains("bytes redacted") && dbg.contains(CLIENT_ID), "{dbg}");
    }

    #[test]
    fn metadata_body() {
        let t = target();
        let meta = SecretMeta { app_name: "Contoso \"API\"", client_id: CLIENT_ID, secret_id: "0f1e2d3c", description: "ci\\deploy\n", expires: "2027-03-14" };
        let r = metadata_write_request(&t, "azure/app/x", &meta, Some(7_776_000));
        assert_eq!((r.method, r.url.as_str()), ("POST", "https://vault.example.com:8200/v1/secret/metadata/azure/app/x"));
        let text = std::str::from_utf8(r.body.as_ref().unwrap()).unwrap();
        assert!(text.starts_with(r#"{"custom_metadata":{"app":"Contoso \"API\"","clientId":"#), "ordered: {text}");
        assert_eq!(
            body_json(&r),
            json!({"custom_metadata": {"app": "Contoso \"API\"", "clientId": CLIENT_ID, "secretId": "0f1e2d3c", "description": "ci\\deploy", "expires": "2027-03-14", "source": "ShownOnce"}, "delete_version_after": "7776000s"})
        );
        let empty = SecretMeta { app_name: " ", client_id: "", secret_id: "", description: "\n", expires: "" };
        for after in [None, Some(0)] {
            assert_eq!(body_json(&metadata_write_request(&t, "p", &empty, after)), json!({"custom_metadata": {"source": "ShownOnce"}}));
        }
        assert_eq!(custom_metadata_value(" a\tb "), "a b");
        assert_eq!(custom_metadata_value(&"x".repeat(600)).len(), 512);
        assert_eq!(custom_metadata_value(&"é".repeat(300)).len(), 512);
        assert_eq!(custom_metadata_value(&format!("x{}", "é".repeat(300))).len(), 511, "cut on a character boundary");
    }

    #[test]
    fn login_body() {
        let t = BaoTarget::new(BaoAddr::parse("https://vault.example.com").unwrap(), Some("team1"), None).unwrap();
        let r = userpass_login_request(&t, "userpass", "alice", "pw\"1").unwrap();
        assert_eq!((r.method, r.url.as_str(), r.namespace.as_deref()), ("POST", "https://vault.example.com/v1/auth/userpass/login/alice", Some("team1")));
        assert_eq!(body_json(&r), json!({"password": "pw\"1"}));
        assert!(!format!("{r:?}").contains("pw\"1"));
        let r = userpass_login_request(&t, " /corp/ldap/ ", " jane doe@corp ", "x").unwrap();
        assert_eq!(r.url, "https://vault.example.com/v1/auth/corp/ldap/login/jane%20doe%40corp");
        assert_eq!(userpass_login_request(&t, "", "a%b", "x").unwrap().url, "https://vault.example.com/v1/auth/userpass/login/a%25b");
        for (user, pw) in [("", "x"), ("  ", "x"), ("a", ""), ("a/b", "x"), ("a\nb", "x")] {
            assert_eq!(userpass_login_request(&t, "userpass", user, pw).unwrap_err(), BaoError::BadCredentials, "{user:?}");
        }
        assert!(matches!(userpass_login_request(&t, "a//b", "u", "p"), Err(BaoError::BadMount(_))));
    }

    #[test]
    fn every_request_carries_the_namespace() {
        let t = BaoTarget::new(BaoAddr::parse("https://vault.example.com").unwrap(), Some("team1"), Some("kv")).unwrap();
        let data = SecretData { client_id: CLIENT_ID, tenant_id: TENANT_ID, value: SECRET };
        let meta = SecretMeta { app_name: "a", client_id: "", secret_id: "", description: "", expires: "" };
        let all = [
            mount_request(&t, "p"),
            metadata_request(&t, "p"),
            write_request(&t, "p", &data, 0),
            metadata_write_request(&t, "p", &meta, None),
            read_back_request(&t, "p", 1),
            userpass_login_request(&t, "userpass", "u", "pw").unwrap(),
            lookup_self_request(&t),
            renew_self_request(&t),
            capabilities_request(&t, "p"),
        ];
        for r in &all {
            assert_eq!(r.namespace.as_deref(), Some("team1"), "{r:?}");
            assert!(r.url.starts_with("https://vault.example.com/v1/"), "{r:?}");
            assert_eq!(r.method == "POST", r.body.is_some(), "{r:?}");
            assert!(!format!("{r:?}").contains(SECRET) && !format!("{r:?}").contains("\"pw\""));
        }
        assert!(!format!("{:?}", BaoResponse::new(200, SECRET.as_bytes())).contains(SECRET));
    }

    #[test]
    fn capabilities_body() {
        let t = target();
        let r = capabilities_request(&t, "azure/a b/x");
        assert_eq!((r.method, r.url.as_str()), ("POST", "https://vault.example.com:8200/v1/sys/capabilities-self"));
        assert_eq!(body_json(&r), json!({"paths": ["secret/data/azure/a b/x", "secret/metadata/azure/a b/x"]}));
    }
}
