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

use std::borrow::Cow;
use std::fmt;
use std::io;

use serde::de::IgnoredAny;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use zeroize::Zeroize;

use crate::core::date::{parse_expiry, Ymd};
use crate::core::secret::is_guid_exact;

/// The REST API version used for every request.
pub const API_VERSION: &str = "2025-07-01";
/// `contentType` stored with the secret.
pub const CONTENT_TYPE: &str = "application/x-azure-client-secret";
/// Longest secret name Key Vault accepts.
pub const MAX_SECRET_NAME_LEN: usize = 127;
/// Longest tag value Key Vault accepts, in UTF-16 code units.
pub const MAX_TAG_VALUE_LEN: usize = 256;
/// Longest server message shown to the user, in characters.
const MAX_SERVER_MESSAGE_CHARS: usize = 300;

/// An Azure cloud: its vault DNS suffix and its sign-in authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// Azure public cloud.
    Public,
    /// Azure US Government.
    UsGovernment,
    /// Azure operated by 21Vianet (China).
    China,
}

impl Cloud {
    /// Every supported cloud.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::UsGovernment, Cloud::China];

    /// DNS suffix of its vaults.
    pub fn vault_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "vault.azure.net",
            Cloud::UsGovernment => "vault.usgovcloudapi.net",
            Cloud::China => "vault.azure.cn",
        }
    }

    /// Host of the Microsoft identity platform for this cloud.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "login.microsoftonline.com",
            Cloud::UsGovernment => "login.microsoftonline.us",
            Cloud::China => "login.chinacloudapi.cn",
        }
    }

    /// Key Vault's resource identifier (audience) in this cloud.
    pub fn resource(self) -> &'static str {
        match self {
            Cloud::Public => "https://vault.azure.net",
            Cloud::UsGovernment => "https://vault.usgovcloudapi.net",
            Cloud::China => "https://vault.azure.cn",
        }
    }

    /// OAuth scopes to request: delegated vault access plus a refresh token.
    pub fn scopes(self) -> &'static str {
        match self {
            Cloud::Public => "https://vault.azure.net/user_impersonation offline_access",
            Cloud::UsGovernment => "https://vault.usgovcloudapi.net/user_impersonation offline_access",
            Cloud::China => "https://vault.azure.cn/user_impersonation offline_access",
        }
    }

    /// The cloud whose sign-in authority is `host` (`login.windows.net` is the
    /// public cloud's legacy alias, still sent in Key Vault challenges).
    pub fn from_authority_host(host: &str) -> Option<Cloud> {
        let host = host.to_ascii_lowercase();
        if host == "login.windows.net" {
            return Some(Cloud::Public);
        }
        Cloud::ALL.into_iter().find(|c| c.authority_host() == host)
    }
}

/// A validated vault: its name and cloud. Only the three known vault domains are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VaultUrl {
    name: String,
    cloud: Cloud,
}

/// Why a vault name or URL was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultUrlError {
    /// Nothing was entered.
    Empty,
    /// A scheme other than `https://`.
    NotHttps,
    /// A host outside the Key Vault domains (or a Managed HSM, port, user info…).
    UnknownHost,
    /// A path, query or fragment after the host.
    HasPath,
    /// Vault names are 3-24 letters, digits and single dashes, starting with a letter.
    BadName,
}

impl fmt::Display for VaultUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VaultUrlError::Empty => "Enter a vault name or URL.",
            VaultUrlError::NotHttps => "The vault URL must start with https://.",
            VaultUrlError::UnknownHost => "That is not a Key Vault address: expected <name>.vault.azure.net, .vault.usgovcloudapi.net or .vault.azure.cn.",
            VaultUrlError::HasPath => "Enter only the vault URL, without a path.",
            VaultUrlError::BadName => "Vault names have 3-24 letters, digits and dashes, start with a letter and end with a letter or digit.",
        })
    }
}

fn is_vault_name(n: &str) -> bool {
    let b = n.as_bytes();
    (3..=24).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !n.contains("--")
}

impl VaultUrl {
    /// Accepts `myvault` (in `default_cloud`), `myvault.vault.azure.cn`, or
    /// `https://myvault.vault.usgovcloudapi.net/`. Case-insensitive.
    pub fn parse(input: &str, default_cloud: Cloud) -> Result<VaultUrl, VaultUrlError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(VaultUrlError::Empty);
        }
        let rest = match s.find("://") {
            Some(i) if s[..i].eq_ignore_ascii_case("https") => &s[i + 3..],
            Some(_) => return Err(VaultUrlError::NotHttps),
            None => s,
        };
        let (host, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if !(path.is_empty() || path == "/") {
            return Err(VaultUrlError::HasPath);
        }
        if host.contains(['@', ':', '\\', '%']) || host.chars().any(|c| c.is_whitespace()) {
            return Err(VaultUrlError::UnknownHost);
        }
        let host = host.to_ascii_lowercase();
        let (name, cloud) = if !host.contains('.') {
            (host, default_cloud)
        } else {
            let found = Cloud::ALL.into_iter().find_map(|c| {
                let name = host.strip_suffix(c.vault_suffix())?.strip_suffix('.')?;
                Some((name.to_owned(), c))
            });
            match found {
                Some((name, c)) if !name.contains('.') => (name, c),
                _ => return Err(VaultUrlError::UnknownHost),
            }
        };
        if !is_vault_name(&name) {
            return Err(VaultUrlError::BadName);
        }
        Ok(VaultUrl { name, cloud })
    }

    /// The vault's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The vault's cloud.
    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    /// `<name>.<suffix>`.
    pub fn host(&self) -> String {
        format!("{}.{}", self.name, self.cloud.vault_suffix())
    }

    /// `https://<name>.<suffix>` without a trailing slash.
    pub fn base(&self) -> String {
        format!("https://{}", self.host())
    }
}

impl fmt::Display for VaultUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "https://{}.{}", self.name, self.cloud.vault_suffix())
    }
}

/// Why a secret name is not acceptable to Key Vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretNameError {
    /// Empty.
    Empty,
    /// Longer than [`MAX_SECRET_NAME_LEN`].
    TooLong,
    /// Does not start with a letter.
    MustStartWithLetter,
    /// Has a character other than ASCII letters, digits and `-`.
    InvalidCharacter,
}

impl fmt::Display for SecretNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretNameError::Empty => "Enter a secret name.",
            SecretNameError::TooLong => "Secret names have at most 127 characters.",
            SecretNameError::MustStartWithLetter => "Secret names start with a letter.",
            SecretNameError::InvalidCharacter => "Secret names use only letters (a-z, A-Z), digits and dashes.",
        })
    }
}

/// Checks Key Vault's secret name rules: 1-127 ASCII letters, digits and dashes, starting with a letter.
pub fn validate_secret_name(name: &str) -> Result<(), SecretNameError> {
    let b = name.as_bytes();
    if b.is_empty() {
        return Err(SecretNameError::Empty);
    }
    if !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return Err(SecretNameError::InvalidCharacter);
    }
    if b.len() > MAX_SECRET_NAME_LEN {
        return Err(SecretNameError::TooLong);
    }
    if !b[0].is_ascii_alphabetic() {
        return Err(SecretNameError::MustStartWithLetter);
    }
    Ok(())
}

/// Suggests a valid secret name from the app name and the secret's description
/// (`contoso-api-ci-deploy`); the prompt shows it for editing.
pub fn derive_secret_name(app_name: &str, description: &str) -> String {
    // Only the client ID is known (a blade iframe cannot see the app's display name): the
    // description first, then the ID's first group, instead of a 36-character prefix.
    let app = app_name.trim();
    let (first, second) = if is_guid_exact(app) { (description, &app[..8]) } else { (app_name, description) };
    let mut out = String::new();
    for c in first.chars().chain(std::iter::once(' ')).chain(second.chars()) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        return "client-secret".to_owned();
    }
    if !out.as_bytes()[0].is_ascii_alphabetic() {
        out.insert_str(0, "secret-");
    }
    out.truncate(MAX_SECRET_NAME_LEN);
    out.trim_end_matches('-').to_owned()
}

/// The expiry date as the portal displays it (`5/26/2027`, `26.05.2027`, `2027/05/26`,
/// `2027-05-26`, `2027年5月26日`, `May 26, 2027`), read by the page's language tag `locale`
/// (see [`parse_expiry`]), as Unix seconds at 00:00 UTC of that day: the start of the day, so
/// Key Vault never shows a later expiry than the portal. `None` when it is not such a date.
pub fn expiry_unix(display: &str, locale: &str) -> Option<i64> {
    parse_expiry(display, locale)?.date.unix_midnight_utc()
}

/// Unix time (seconds, UTC) of a civil date and time; `None` if out of range.
pub fn unix_time(year: i32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> Option<i64> {
    if hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let midnight = Ymd { year, month, day }.unix_midnight_utc()?;
    Some(midnight + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec))
}

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

fn is_version(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric())
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

/// A parsed `WWW-Authenticate: Bearer authorization="…", resource="…"` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Cloud of the authority (must match the vault's).
    pub cloud: Cloud,
    /// Tenant to sign in to (GUID or domain).
    pub tenant: String,
}

fn is_tenant(t: &str) -> bool {
    (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Parses a Key Vault challenge and checks that its authority and resource
/// belong to the vault's cloud (a challenge must not redirect sign-in elsewhere).
pub fn parse_challenge(header: &str, vault: &VaultUrl) -> Option<Challenge> {
    let h = header.trim();
    let rest = h.get(..7).filter(|s| s.eq_ignore_ascii_case("bearer "))?;
    let mut params = &h[rest.len()..];
    let (mut authority, mut resource, mut scope) = (None, None, None);
    loop {
        params = params.trim_start_matches([' ', ',']);
        if params.is_empty() {
            break;
        }
        let eq = params.find('=')?;
        let key = params[..eq].trim();
        if key.contains(' ') {
            break; // Another auth scheme starts here.
        }
        let after = &params[eq + 1..];
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        match key.to_ascii_lowercase().as_str() {
            "authorization" | "authorization_uri" => authority = Some(value),
            "resource" => resource = Some(value),
            "scope" => scope = Some(value),
            _ => {}
        }
        params = next;
    }
    let auth = authority?.strip_prefix("https://")?;
    let (host, path) = auth.split_once('/')?;
    let cloud = Cloud::from_authority_host(host)?;
    let tenant = path.split('/').next()?;
    if cloud != vault.cloud() || !is_tenant(tenant) {
        return None;
    }
    let res = vault.cloud().resource();
    if let Some(r) = resource {
        if r.trim_end_matches('/') != res {
            return None;
        }
    }
    if let Some(s) = scope {
        if s != res && !s.strip_prefix(res).is_some_and(|rest| rest.starts_with('/')) {
            return None;
        }
    }
    Some(Challenge { cloud, tenant: tenant.to_owned() })
}

/// A failed Key Vault operation, each with a clear message. The secret stays unsaved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    /// 401: token missing, expired or for another tenant. Sign in again (to the challenge's tenant).
    Unauthorized(Option<Challenge>),
    /// 403 `ForbiddenByRbac`: missing the "Key Vault Secrets Officer" role.
    ForbiddenByRbac,
    /// 403 access-policy denial (`AccessDenied`).
    ForbiddenByAccessPolicy,
    /// 403 `ForbiddenByFirewall` / `ForbiddenByConnection`: network rules.
    ForbiddenByFirewall,
    /// Another 403, with Key Vault's message.
    Forbidden(String),
    /// 404 other than `SecretNotFound`: the vault does not exist (any more).
    VaultNotFound,
    /// 404 `SecretNotFound`.
    SecretNotFound,
    /// 409 `ObjectIsDeletedButRecoverable`: the name is held by a soft-deleted secret.
    DeletedButRecoverable,
    /// Another 409, with Key Vault's message.
    Conflict(String),
    /// 400 and other 4xx, with Key Vault's code and message.
    BadRequest(String),
    /// 429: throttled; retry after the delay if known (ms).
    Throttled(Option<u64>),
    /// 5xx: retry after the delay if known (ms).
    ServerError(u16, Option<u64>),
    /// No network (the browser reports offline).
    Offline,
    /// Network failure while online: DNS, TLS, connection refused, private endpoint.
    Unreachable,
    /// A response we could not understand.
    BadResponse,
    /// The read-back did not return what we wrote.
    VerifyMismatch,
}

impl KvError {
    /// For a fetch that failed without a response.
    pub fn network(online: bool) -> KvError {
        if online {
            KvError::Unreachable
        } else {
            KvError::Offline
        }
    }

    /// Whether retrying the same request can help (see [`RetryPolicy`]).
    pub fn is_retryable(&self) -> bool {
        matches!(self, KvError::Throttled(_) | KvError::ServerError(..) | KvError::Unreachable)
    }

    /// The server-requested delay, if any (ms).
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            KvError::Throttled(d) | KvError::ServerError(_, d) => *d,
            _ => None,
        }
    }

    /// Whether the user must sign in (again) before retrying.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, KvError::Unauthorized(_))
    }

    /// A clear, actionable message. Every one ends with the secret still unsaved.
    pub fn user_message(&self, vault: &VaultUrl, secret_name: &str) -> String {
        let v = vault.name();
        match self {
            KvError::Unauthorized(Some(c)) => format!(
                "Key Vault did not accept your sign-in (expired, or for another directory). Sign in again to directory {} and retry.",
                c.tenant
            ),
            KvError::Unauthorized(None) => "Key Vault did not accept your sign-in. Sign in again and retry.".to_owned(),
            KvError::ForbiddenByRbac => format!(
                "You are signed in but not allowed to write secrets in vault \"{v}\". Ask an owner to assign you the \"Key Vault Secrets Officer\" role on the vault (role changes can take a few minutes), then retry."
            ),
            KvError::ForbiddenByAccessPolicy => format!(
                "Vault \"{v}\" uses access policies and yours does not allow this. Ask an owner to grant you the secret permissions Get, List and Set, then retry."
            ),
            KvError::ForbiddenByFirewall => format!(
                "Vault \"{v}\"'s firewall blocked this request: your network address is not allowed (or the vault only accepts private endpoints). Ask an owner to allow your address, or connect through an allowed network, then retry."
            ),
            KvError::Forbidden(m) => format!("Vault \"{v}\" refused the request: {m}"),
            KvError::VaultNotFound => format!("Vault \"{v}\" was not found. Check the vault name in the options."),
            KvError::SecretNotFound => format!("Secret \"{secret_name}\" was not found in vault \"{v}\"."),
            KvError::DeletedButRecoverable => format!(
                "A deleted secret named \"{secret_name}\" is still recoverable in vault \"{v}\", so the name cannot be reused. Recover it or purge it in the portal (Secrets > Manage deleted secrets), or choose another name."
            ),
            KvError::Conflict(m) => format!("Vault \"{v}\" reported a conflict: {m}"),
            KvError::BadRequest(m) => format!("Vault \"{v}\" rejected the request: {m}"),
            KvError::Throttled(_) => {
                format!("Vault \"{v}\" is throttling requests. Wait a moment and retry.")
            }
            KvError::ServerError(s, _) => format!("Key Vault had a server error ({s}). Retry in a moment."),
            KvError::Offline => "You are offline. Reconnect and retry.".to_owned(),
            KvError::Unreachable => format!(
                "Could not reach {vault}. Check the vault name, your network or proxy, and whether the vault only accepts private endpoints."
            ),
            KvError::BadResponse => format!("Vault \"{v}\" sent a response ShownOnce does not understand."),
            KvError::VerifyMismatch => format!(
                "The secret read back from vault \"{v}\" does not match what was written. It is not marked as saved; retry or save it elsewhere."
            ),
        }
    }
}

fn clean_message(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(MAX_SERVER_MESSAGE_CHARS) {
        out.push(if c.is_control() { ' ' } else { c });
    }
    out.trim().to_owned()
}

/// Key Vault's error body: `{"error":{"code","message","innererror":{"code",…}}}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<ErrorNode>,
}

#[derive(Deserialize)]
struct ErrorNode {
    #[serde(default)]
    code: Option<Lenient>,
    #[serde(default)]
    message: Option<Lenient>,
    #[serde(default)]
    innererror: Option<Box<ErrorNode>>,
}

/// A member that should be a string; anything else is ignored rather than failing the
/// whole error body (its status still says what happened).
#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient {
    Str(String),
    Other(IgnoredAny),
}

impl Lenient {
    fn as_str(&self) -> Option<&str> {
        match self {
            Lenient::Str(s) => Some(s),
            Lenient::Other(_) => None,
        }
    }
}

// All error codes, outermost first: error.code, error.innererror.code, …
fn error_codes(body: &[u8]) -> (Vec<String>, String) {
    let mut codes = Vec::new();
    let mut message = String::new();
    let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) else {
        return (codes, message);
    };
    let mut cur = error.as_ref();
    while let Some(e) = cur {
        if let Some(c) = e.code.as_ref().and_then(Lenient::as_str) {
            codes.push(c.to_owned());
        }
        if message.is_empty() {
            if let Some(m) = e.message.as_ref().and_then(Lenient::as_str) {
                message = clean_message(m);
            }
        }
        cur = e.innererror.as_deref();
        if codes.len() > 8 {
            break;
        }
    }
    (codes, message)
}

/// Maps a non-success response to a [`KvError`] from the status, `error.code`
/// and `innererror.code`, and the challenge and retry headers.
pub fn map_error(resp: &KvResponse<'_>, vault: &VaultUrl, now_unix: i64) -> KvError {
    let (codes, message) = error_codes(resp.body);
    let has = |c: &str| codes.iter().any(|x| x.eq_ignore_ascii_case(c));
    let with_code = || match codes.first() {
        Some(c) if !message.is_empty() => format!("{c}: {message}"),
        Some(c) => c.clone(),
        None if !message.is_empty() => message.clone(),
        None => format!("HTTP {}", resp.status),
    };
    let delay = retry_after(resp, now_unix);
    match resp.status {
        0 => KvError::Unreachable,
        401 => KvError::Unauthorized(resp.www_authenticate.and_then(|h| parse_challenge(h, vault))),
        403 if has("ForbiddenByRbac") => KvError::ForbiddenByRbac,
        403 if has("ForbiddenByFirewall") || has("ForbiddenByConnection") => KvError::ForbiddenByFirewall,
        403 if has("AccessDenied") || message.contains("access policy") || message.contains(" permission on key vault") => KvError::ForbiddenByAccessPolicy,
        403 => KvError::Forbidden(with_code()),
        404 if has("SecretNotFound") => KvError::SecretNotFound,
        404 => KvError::VaultNotFound,
        409 if has("ObjectIsDeletedButRecoverable") => KvError::DeletedButRecoverable,
        409 => KvError::Conflict(with_code()),
        429 => KvError::Throttled(delay),
        408 => KvError::ServerError(408, delay),
        500..=599 => KvError::ServerError(resp.status, delay),
        200..=299 => KvError::BadResponse,
        _ => KvError::BadRequest(with_code()),
    }
}

/// The server-requested delay in ms, from `retry-after-ms`/`x-ms-retry-after-ms`
/// or `Retry-After` (delta-seconds or an HTTP-date relative to `now_unix`).
pub fn retry_after(resp: &KvResponse<'_>, now_unix: i64) -> Option<u64> {
    if let Some(ms) = resp.retry_after_ms.and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(ms);
    }
    let v = resp.retry_after?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    let at = parse_http_date(v)?;
    Some(u64::try_from(at - now_unix).unwrap_or(0).saturating_mul(1000))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to Unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let (_, rest) = s.split_once(", ")?;
    let f: Vec<&str> = rest.split(' ').collect();
    if f.len() != 5 || f[4] != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let day = f[0].parse().ok()?;
    let month = MONTHS.iter().position(|m| *m == f[1])? as u32 + 1;
    let year = f[2].parse().ok()?;
    let t: Vec<u32> = f[3].split(':').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    if t.len() != 3 {
        return None;
    }
    unix_time(year, month, day, t[0], t[1], t[2])
}

/// Bounded retries with exponential backoff and full jitter, honouring the server's delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub max_attempts: u32,
    /// Delay before the second attempt, before jitter (ms).
    pub base_delay_ms: u64,
    /// Longest wait; a server asking for more makes us stop and tell the user (ms).
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 4, base_delay_ms: 800, max_delay_ms: 30_000 }
    }
}

impl RetryPolicy {
    /// Delay before the next attempt after `attempts_made` failed ones, or
    /// `None` to stop. `random` is any caller-supplied random number (jitter).
    pub fn next_delay(&self, attempts_made: u32, error: &KvError, random: u32) -> Option<u64> {
        if !error.is_retryable() || attempts_made == 0 || attempts_made >= self.max_attempts {
            return None;
        }
        if let Some(d) = error.retry_after_ms() {
            return (d <= self.max_delay_ms).then_some(d);
        }
        let exp = self.base_delay_ms.saturating_mul(1u64 << (attempts_made - 1).min(20));
        let cap = exp.min(self.max_delay_ms);
        // Half fixed, half random: spreads clients out without ever retrying immediately.
        let half = cap / 2;
        Some(half + u64::from(random) % (cap - half + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";

    fn vault() -> VaultUrl {
        VaultUrl::parse("contoso-kv", Cloud::Public).unwrap()
    }

    fn ctx() -> SecretContext<'static> {
        SecretContext {
            app_name: "Contoso \"API\"",
            client_id: "11111111-2222-3333-4444-555555555555",
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47",
            secret_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            description: "ci\\deploy\n",
            expires_unix: unix_time(2027, 3, 14, 0, 0, 0),
        }
    }

    #[test]
    fn vault_urls() {
        let ok = [
            ("contoso-kv", Cloud::Public, "https://contoso-kv.vault.azure.net"),
            ("  Contoso-KV  ", Cloud::Public, "https://contoso-kv.vault.azure.net"),
            ("contoso-kv.vault.azure.net", Cloud::Public, "https://contoso-kv.vault.azure.net"),
            ("https://contoso-kv.vault.azure.net/", Cloud::Public, "https://contoso-kv.vault.azure.net"),
            ("HTTPS://GOV1.VAULT.USGOVCLOUDAPI.NET", Cloud::UsGovernment, "https://gov1.vault.usgovcloudapi.net"),
            ("cn-vault.vault.azure.cn", Cloud::China, "https://cn-vault.vault.azure.cn"),
        ];
        for (input, cloud, base) in ok {
            let v = VaultUrl::parse(input, Cloud::Public).unwrap();
            assert_eq!((v.cloud(), v.base().as_str()), (cloud, base), "{input}");
        }
        assert_eq!(VaultUrl::parse("kv1", Cloud::China).unwrap().base(), "https://kv1.vault.azure.cn");
        assert_eq!(Cloud::UsGovernment.authority_host(), "login.microsoftonline.us");
        assert_eq!(Cloud::China.authority_host(), "login.chinacloudapi.cn");
        let bad = [
            ("", VaultUrlError::Empty),
            ("http://contoso-kv.vault.azure.net", VaultUrlError::NotHttps),
            ("javascript://x", VaultUrlError::NotHttps),
            ("https://contoso-kv.vault.azure.net.evil.com", VaultUrlError::UnknownHost),
            ("https://evil.com/contoso-kv.vault.azure.net", VaultUrlError::HasPath),
            ("https://a.b.vault.azure.net", VaultUrlError::UnknownHost),
            ("https://x@contoso-kv.vault.azure.net", VaultUrlError::UnknownHost),
            ("https://contoso-kv.vault.azure.net:8443", VaultUrlError::UnknownHost),
            ("https://contoso-kv.managedhsm.azure.net", VaultUrlError::UnknownHost),
            ("https://vault.azure.net", VaultUrlError::UnknownHost),
            ("https://contoso-kv.vault.azure.net/secrets/x", VaultUrlError::HasPath),
            ("https://contoso-kv.vault.azure.net?x=1", VaultUrlError::HasPath),
            ("ab", VaultUrlError::BadName),
            ("1vault", VaultUrlError::BadName),
            ("vault-", VaultUrlError::BadName),
            ("va--ult", VaultUrlError::BadName),
            ("a234567890123456789012345", VaultUrlError::BadName),
            ("vault_1", VaultUrlError::BadName),
        ];
        for (input, err) in bad {
            assert_eq!(VaultUrl::parse(input, Cloud::Public), Err(err), "{input}");
        }
    }

    #[test]
    fn secret_names() {
        assert_eq!(derive_secret_name("Contoso API", "CI deploy (prod)"), "contoso-api-ci-deploy-prod");
        assert_eq!(derive_secret_name("123 app", ""), "secret-123-app");
        assert_eq!(derive_secret_name("0f67174a-9c66-412f-a0ee-f08c579487a2", "CI deploy"), "ci-deploy-0f67174a", "only the client ID known");
        assert_eq!(derive_secret_name("0f67174a-9c66-412f-a0ee-f08c579487a2", ""), "secret-0f67174a");
        assert_eq!(derive_secret_name("日本語", "--"), "client-secret");
        assert_eq!(derive_secret_name("Café", "é"), "caf");
        let long = derive_secret_name(&"a".repeat(100), &"b-".repeat(100));
        assert!(long.len() <= 127 && !long.ends_with('-'));
        for name in [long.as_str(), "a", "A-1", &"x".repeat(127)] {
            assert_eq!(validate_secret_name(name), Ok(()), "{name}");
        }
        assert_eq!(validate_secret_name(""), Err(SecretNameError::Empty));
        assert_eq!(validate_secret_name(&"x".repeat(128)), Err(SecretNameError::TooLong));
        assert_eq!(validate_secret_name("1abc"), Err(SecretNameError::MustStartWithLetter));
        assert_eq!(validate_secret_name("-abc"), Err(SecretNameError::MustStartWithLetter));
        for bad in ["a_b", "a b", "a/b", "a.b", "é", "a?x=1"] {
            assert_eq!(validate_secret_name(bad), Err(SecretNameError::InvalidCharacter), "{bad}");
        }
    }

    #[test]
    fn expiry_dates() {
        // 2027-05-26T00:00:00Z (`date -u -d 2027-05-26 +%s`).
        let want = Some(1_811_289_600);
        for (s, locale) in [
            ("5/26/2027", ""),
            ("5/26/2027", "en-US"),
            ("26.05.2027", "de-DE"),
            ("2027/05/26", "ja-JP"),
            ("2027-05-26", ""),
            ("2027年5月26日", "zh-CN"),
            ("26/05/2027", "en-GB"),
            ("26/05/2027", ""),
            (" 5/26/2027 ", "en-US"),
            ("May 26, 2027", "en-US"),
        ] {
            assert_eq!(expiry_unix(s, locale), want, "{s} in {locale}");
        }
        // The same text, two regions: 4 March in the US, 3 April in Britain.
        assert_eq!(expiry_unix("3/4/2027", "en-US"), Some(1_804_118_400), "month first (en-US)");
        assert_eq!(expiry_unix("3/4/2027", "en-GB"), Some(1_806_710_400), "day first (en-GB)");
        assert_eq!(expiry_unix("3.4.2027", "en-US"), Some(1_806_710_400), "day first with dots");
        for s in ["", "soon", "13/13/2027", "2/30/2027", "5/26/27", "12345/1/1", "1/2/3/2027"] {
            assert_eq!(expiry_unix(s, "en-US"), None, "{s}");
        }
    }

    #[test]
    fn unix_times() {
        assert_eq!(unix_time(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(unix_time(2000, 2, 29, 0, 0, 0), Some(951_782_400));
        assert_eq!(unix_time(2027, 3, 14, 0, 0, 0), Some(1_804_982_400));
        assert_eq!(unix_time(2100, 2, 29, 0, 0, 0), None);
        assert_eq!(unix_time(2026, 13, 1, 0, 0, 0), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
    }

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

    fn err_body(code: &str, inner: Option<&str>, msg: &str) -> String {
        match inner {
            Some(i) => format!(r#"{{"error":{{"code":"{code}","message":{},"innererror":{{"code":"{i}"}}}}}}"#, serde_json::Value::from(msg)),
            None => format!(r#"{{"error":{{"code":"{code}","message":{}}}}}"#, serde_json::Value::from(msg)),
        }
    }

    #[test]
    fn error_mapping() {
        let v = vault();
        let map = |status, body: &str| map_error(&KvResponse::new(status, body.as_bytes()), &v, 0);
        assert_eq!(map(403, &err_body("Forbidden", Some("ForbiddenByRbac"), "Caller is not authorized")), KvError::ForbiddenByRbac);
        assert_eq!(
            map(
                403,
                &err_body(
                    "Forbidden",
                    Some("AccessDenied"),
                    "The user, group or application 'oid=x' does not have secrets set permission on key vault 'contoso-kv;location=westeurope'."
                )
            ),
            KvError::ForbiddenByAccessPolicy
        );
        assert_eq!(map(403, &err_body("Forbidden", Some("ForbiddenByFirewall"), "Client address is not authorized")), KvError::ForbiddenByFirewall);
        assert_eq!(map(403, &err_body("Forbidden", Some("ForbiddenByConnection"), "Public network access is disabled")), KvError::ForbiddenByFirewall);
        assert_eq!(
            map(403, &err_body("Forbidden", Some("SecretDisabled"), "Operation get is not allowed on a disabled secret.")),
            KvError::Forbidden("Forbidden: Operation get is not allowed on a disabled secret.".into())
        );
        assert_eq!(map(404, &err_body("SecretNotFound", None, "not found")), KvError::SecretNotFound);
        assert_eq!(map(404, "<html>Not Found</html>"), KvError::VaultNotFound);
        assert_eq!(
            map(409, &err_body("Conflict", Some("ObjectIsDeletedButRecoverable"), "Secret x is currently in a deleted but recoverable state")),
            KvError::DeletedButRecoverable
        );
        assert_eq!(map(409, &err_body("Conflict", Some("ObjectIsBeingDeleted"), "x")), KvError::Conflict("Conflict: x".into()));
        assert_eq!(map(400, &err_body("BadParameter", None, "bad\r\nthing")), KvError::BadRequest("BadParameter: bad  thing".into()));
        assert_eq!(map(400, r#"{"error":null}"#), KvError::BadRequest("HTTP 400".into()));
        assert_eq!(map(429, &err_body("Throttled", None, "too many")), KvError::Throttled(None));
        assert_eq!(map(503, ""), KvError::ServerError(503, None));
        assert_eq!(map(0, ""), KvError::Unreachable);
        assert_eq!(KvError::network(false), KvError::Offline);

        let mut r = KvResponse::new(401, br#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#);
        r.www_authenticate =
            Some(r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#);
        let e = map_error(&r, &v, 0);
        assert_eq!(e, KvError::Unauthorized(Some(Challenge { cloud: Cloud::Public, tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into() })));
        assert!(e.needs_sign_in() && !e.is_retryable());

        let mut r = KvResponse::new(429, b"");
        r.retry_after = Some("7");
        assert_eq!(map_error(&r, &v, 0), KvError::Throttled(Some(7000)));
        r.retry_after = Some("Sun, 06 Nov 1994 08:49:47 GMT");
        assert_eq!(map_error(&r, &v, 784_111_777), KvError::Throttled(Some(10_000)));
        r.retry_after_ms = Some("250");
        assert_eq!(map_error(&r, &v, 0), KvError::Throttled(Some(250)));
    }

    #[test]
    fn user_messages() {
        let v = vault();
        assert!(KvError::ForbiddenByRbac.user_message(&v, "n").contains("Key Vault Secrets Officer"));
        let m = KvError::DeletedButRecoverable.user_message(&v, "n");
        assert!(m.contains("Recover") && m.contains("purge") && m.contains("another name"));
        assert!(KvError::Unreachable.user_message(&v, "n").contains("https://contoso-kv.vault.azure.net"));
        assert!(KvError::ForbiddenByFirewall.user_message(&v, "n").contains("firewall"));
    }

    #[test]
    fn challenges() {
        let v = vault();
        let ok = [
            r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#,
            r#"Bearer authorization="https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net/""#,
            r#"bearer authorization_uri="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/authorize",scope="https://vault.azure.net/.default""#,
            r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net", PoP nonce="x""#,
        ];
        for h in ok {
            assert_eq!(parse_challenge(h, &v).map(|c| c.tenant), Some("72f988bf-86f1-41af-91ab-2d7cd011db47".into()), "{h}");
        }
        let gov = VaultUrl::parse("gov1.vault.usgovcloudapi.net", Cloud::Public).unwrap();
        let h = r#"Bearer authorization="https://login.microsoftonline.us/contoso.onmicrosoft.us", resource="https://vault.usgovcloudapi.net""#;
        assert_eq!(parse_challenge(h, &gov).map(|c| (c.cloud, c.tenant)), Some((Cloud::UsGovernment, "contoso.onmicrosoft.us".into())));
        let bad = [
            "",
            "Basic realm=\"x\"",
            r#"Bearer authorization="https://evil.example/72f988bf", resource="https://vault.azure.net""#,
            r#"Bearer authorization="http://login.microsoftonline.com/t", resource="https://vault.azure.net""#,
            r#"Bearer authorization="https://login.microsoftonline.us/t", resource="https://vault.azure.net""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://evil.example""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t?x", resource="https://vault.azure.net""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://evil/.default""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://vault.azure.net.evil/.default""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t"#,
        ];
        for h in bad {
            assert_eq!(parse_challenge(h, &v), None, "{h}");
        }
    }

    #[test]
    fn retries() {
        let p = RetryPolicy::default();
        let e = KvError::ServerError(503, None);
        let d1 = p.next_delay(1, &e, 0).unwrap();
        let d2 = p.next_delay(2, &e, u32::MAX).unwrap();
        assert_eq!(d1, 400);
        assert!((800..=1600).contains(&d2));
        assert!(p.next_delay(3, &e, 12345).is_some());
        assert_eq!(p.next_delay(4, &e, 0), None, "bounded");
        for a in 1..4 {
            for r in [0, 1, 999, u32::MAX] {
                assert!(p.next_delay(a, &e, r).unwrap() <= p.max_delay_ms);
            }
        }
        assert_eq!(p.next_delay(1, &KvError::Throttled(Some(5000)), 0), Some(5000));
        assert_eq!(p.next_delay(1, &KvError::Throttled(Some(120_000)), 0), None, "too long: tell the user");
        assert_eq!(p.next_delay(1, &KvError::ForbiddenByRbac, 0), None);
        assert_eq!(p.next_delay(1, &KvError::Offline, 0), None);
        let huge = RetryPolicy { max_attempts: 100, base_delay_ms: u64::MAX / 2, max_delay_ms: 60_000 };
        assert!(huge.next_delay(99, &e, 7).unwrap() <= 60_000);
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(SECRET.as_bytes(), SECRET.as_bytes()));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}
