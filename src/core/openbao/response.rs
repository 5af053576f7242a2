//! Responses: the mount's engine and version, a path's current version, the version written,
//! the read-back's constant-time comparison (the value borrowed from the body, or wiped),
//! tokens, and the token's capabilities at the path.

use crate::core::i18n::tr;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use super::{map_error, BaoError, BaoOp, BaoTarget};
use crate::core::keyvault::ct_eq;

/// An HTTP response as the store received it (body still in the store's buffer).
#[derive(Clone, Copy)]
pub struct BaoResponse<'a> {
    /// Status code; 0 when the fetch failed before any response.
    pub status: u16,
    /// Body bytes.
    pub body: &'a [u8],
}

impl<'a> BaoResponse<'a> {
    /// A response with this status and body.
    pub fn new(status: u16, body: &'a [u8]) -> Self {
        BaoResponse { status, body }
    }
}

impl fmt::Debug for BaoResponse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaoResponse").field("status", &self.status).field("body", &format_args!("<{} bytes>", self.body.len())).finish()
    }
}

fn unexpected(what: String) -> BaoError {
    BaoError::Unexpected(what)
}

/// `{"data": …}`: the member most responses carry. Other members are skipped.
#[derive(Deserialize)]
struct DataEnvelope<T> {
    data: Option<T>,
}

fn parse_data<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, BaoError> {
    let env: DataEnvelope<T> = serde_json::from_slice(body).map_err(|_| unexpected(tr("baoDetailNotJson", &[])))?;
    env.data.ok_or_else(|| unexpected(tr("baoDetailNoDataObject", &[])))
}

/// The engine serving a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountInfo {
    /// KV version (always 2: a version 1 mount is [`BaoError::KvV1`]).
    pub version: u8,
}

#[derive(Deserialize)]
struct MountData {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    options: Option<MountOptions>,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
struct MountOptions {
    #[serde(default)]
    version: Option<serde_json::Value>,
}

/// Interprets `sys/internal/ui/mounts/{mount}/{path}`: `Ok` for a KV v2 engine mounted
/// exactly at the configured mount. A KV v1 (or legacy `generic`) mount is
/// [`BaoError::KvV1`]; another engine, or no mount, [`BaoError::NoMount`].
///
/// The mount the server resolves is authoritative. When it is not the configured one, the
/// requests would not reach it (`{mount}/data/…` routes by the configured mount), so that is
/// a [`BaoError::BadMount`] saying which mount to set: a parent mount (the configured one is a
/// folder inside it), or a deeper mount the path falls under.
pub fn interpret_mount(r: &BaoResponse<'_>, t: &BaoTarget) -> Result<MountInfo, BaoError> {
    if r.status != 200 {
        return Err(map_error(r, BaoOp::Mount));
    }
    let m: MountData = parse_data(r.body)?;
    let resolved = m.path.as_deref().unwrap_or_default().trim_end_matches('/');
    if resolved != t.mount {
        if resolved.is_empty() {
            return Err(unexpected(tr("baoDetailNoMountPath", &[])));
        }
        let (inside, deeper) = (format!("{resolved}/"), format!("{}/", t.mount));
        return Err(BaoError::BadMount(if t.mount.starts_with(&inside) {
            tr("baoMountIsFolder", &[&t.mount, resolved])
        } else if resolved.starts_with(&deeper) {
            tr("baoMountDeeper", &[resolved])
        } else {
            tr("baoMountResolved", &[resolved, &t.mount])
        }));
    }
    let version = m.options.and_then(|o| o.version).and_then(|v| match v {
        serde_json::Value::String(s) => s.parse::<u8>().ok(),
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        _ => None,
    });
    match (m.kind.as_deref(), version) {
        (Some("kv"), Some(2)) => Ok(MountInfo { version: 2 }),
        // A KV mount without a version option is version 1; `generic` is its old name.
        (Some("kv" | "generic"), _) => Err(BaoError::KvV1 { mount: t.mount.clone() }),
        _ => Err(BaoError::NoMount),
    }
}

#[derive(Deserialize)]
struct MetadataData {
    #[serde(default)]
    current_version: u64,
}

/// Interprets `{mount}/metadata/{path}`: the current version, `None` when the path holds
/// none (404, or `current_version` 0). A 404 for a missing namespace or route is an error.
pub fn interpret_metadata(r: &BaoResponse<'_>) -> Result<Option<u64>, BaoError> {
    match r.status {
        200 => Ok(Some(parse_data::<MetadataData>(r.body)?.current_version).filter(|v| *v > 0)),
        404 => match map_error(r, BaoOp::Metadata) {
            e @ (BaoError::WrongNamespace | BaoError::NoMount) => Err(e),
            _ => Ok(None),
        },
        _ => Err(map_error(r, BaoOp::Metadata)),
    }
}

#[derive(Deserialize)]
struct WriteData {
    #[serde(default)]
    version: u64,
}

/// Interprets the data write: the version created. A check-and-set mismatch (400) is
/// [`BaoError::CasMismatch`]; a 204 without a version is a KV v1 write, unexpected here.
pub fn interpret_write(r: &BaoResponse<'_>) -> Result<u64, BaoError> {
    match r.status {
        200 => match parse_data::<WriteData>(r.body)?.version {
            0 => Err(unexpected(tr("baoDetailNoVersion", &[]))),
            v => Ok(v),
        },
        204 => Err(unexpected(tr("baoDetailNoVersionKv1", &[]))),
        _ => Err(map_error(r, BaoOp::Write)),
    }
}

/// Interprets the metadata write: 200 or 204 (no body) is done.
pub fn interpret_metadata_write(r: &BaoResponse<'_>) -> Result<(), BaoError> {
    match r.status {
        200 | 204 => Ok(()),
        _ => Err(map_error(r, BaoOp::WriteMetadata)),
    }
}

/// A string borrowed from the body when it has no escapes (a client secret never has), so
/// no copy is made; otherwise the parser's copy, wiped on drop. (serde_json's own scratch
/// buffer for an escaped string is outside our reach.)
struct SecretStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for SecretStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = SecretStr<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(SecretStr(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(SecretStr(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

impl Drop for SecretStr<'_> {
    fn drop(&mut self) {
        if let Cow::Owned(s) = &mut self.0 {
            s.zeroize();
        }
    }
}

/// `data` of a version read: only the client secret is parsed, the other keys skipped
/// without a copy. A repeated key is refused rather than one of the two picked.
#[derive(Deserialize)]
struct ReadBackData<'a> {
    #[serde(default, borrow)]
    data: Option<SecretFields<'a>>,
    #[serde(default)]
    metadata: Option<VersionMetadata>,
}

#[derive(Deserialize)]
struct SecretFields<'a> {
    #[serde(rename = "AZURE_CLIENT_SECRET", default, borrow)]
    secret: Option<SecretStr<'a>>,
}

#[derive(Deserialize)]
struct VersionMetadata {
    #[serde(default)]
    version: u64,
}

/// Interprets the read-back: `Ok` only if `data.data.AZURE_CLIENT_SECRET` equals `expected`
/// (constant time) and `data.metadata.version` is the version written; else
/// [`BaoError::NotVerified`]. The parsed value is wiped (or was never copied).
pub fn interpret_read_back(r: &BaoResponse<'_>, version: u64, expected: &[u8]) -> Result<(), BaoError> {
    if r.status != 200 {
        return Err(map_error(r, BaoOp::ReadBack));
    }
    let d: ReadBackData = parse_data(r.body)?;
    let same_value = d.data.as_ref().and_then(|f| f.secret.as_ref()).is_some_and(|s| ct_eq(s.0.as_bytes(), expected));
    let same_version = d.metadata.as_ref().is_some_and(|m| m.version == version);
    drop(d);
    if same_value && same_version {
        Ok(())
    } else {
        Err(BaoError::NotVerified)
    }
}

/// A token from a sign-in. Its `Debug` shows no token.
pub struct BaoToken {
    /// The client token, wiped on drop.
    pub token: Zeroizing<String>,
    /// Whether `renew-self` can extend it.
    pub renewable: bool,
    /// Seconds it lives (0: no expiry).
    pub ttl_secs: u64,
}

impl fmt::Debug for BaoToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaoToken")
            .field("token", &format_args!("<{} chars redacted>", self.token.len()))
            .field("renewable", &self.renewable)
            .field("ttl_secs", &self.ttl_secs)
            .finish()
    }
}

/// `{"auth": …}` of a login or renewal.
#[derive(Deserialize)]
struct AuthEnvelope {
    #[serde(default)]
    auth: Option<AuthData>,
}

#[derive(Deserialize)]
struct AuthData {
    #[serde(default)]
    client_token: Option<Zeroizing<String>>,
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    lease_duration: u64,
    #[serde(default)]
    mfa_requirement: Option<serde::de::IgnoredAny>,
}

fn parse_auth(body: &[u8]) -> Result<AuthData, BaoError> {
    let env: AuthEnvelope = serde_json::from_slice(body).map_err(|_| unexpected(tr("baoDetailNotJson", &[])))?;
    env.auth.ok_or_else(|| unexpected(tr("baoDetailNoAuth", &[])))
}

/// Interprets a userpass login: `auth.client_token`, `auth.renewable`, `auth.lease_duration`.
/// Wrong credentials (400) are [`BaoError::BadCredentials`]; a login that needs MFA is
/// unsupported.
pub fn interpret_login(r: &BaoResponse<'_>) -> Result<BaoToken, BaoError> {
    if r.status != 200 {
        return Err(map_error(r, BaoOp::Login));
    }
    let auth = parse_auth(r.body)?;
    match auth.client_token {
        Some(token) if !token.is_empty() => Ok(BaoToken { token, renewable: auth.renewable, ttl_secs: auth.lease_duration }),
        _ if auth.mfa_requirement.is_some() => Err(unexpected(tr("baoMfa", &[]))),
        _ => Err(unexpected(tr("baoDetailNoToken", &[]))),
    }
}

/// A token's remaining life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenInfo {
    /// Whether `renew-self` can extend it.
    pub renewable: bool,
    /// Seconds left (0: no expiry, as for root tokens).
    pub ttl_secs: u64,
}

#[derive(Deserialize)]
struct LookupData {
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    ttl: u64,
}

/// Interprets `lookup-self`: `data.renewable` and `data.ttl`. A 403 means the token is
/// expired, revoked or invalid ([`BaoError::TokenExpired`]).
pub fn interpret_lookup_self(r: &BaoResponse<'_>) -> Result<TokenInfo, BaoError> {
    if r.status != 200 {
        return Err(map_error(r, BaoOp::Lookup));
    }
    let d: LookupData = parse_data(r.body)?;
    Ok(TokenInfo { renewable: d.renewable, ttl_secs: d.ttl })
}

/// Interprets `renew-self`: `auth.renewable` and `auth.lease_duration` (the echoed token is
/// parsed into a wiped buffer and dropped).
pub fn interpret_renew(r: &BaoResponse<'_>) -> Result<TokenInfo, BaoError> {
    if r.status != 200 {
        return Err(map_error(r, BaoOp::Renew));
    }
    let auth = parse_auth(r.body)?;
    Ok(TokenInfo { renewable: auth.renewable, ttl_secs: auth.lease_duration })
}

/// What the token may do at a secret path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// `create` on the data path: write the first version.
    pub can_create: bool,
    /// `update` on the data path: add a version.
    pub can_update: bool,
    /// `read` on the data path: the read-back.
    pub can_read: bool,
    /// `update` on the metadata path: custom metadata after the first write (optional).
    pub can_write_metadata: bool,
}

/// One path's capability list: `root` grants all, `deny` denies all, `sudo` alone grants
/// nothing here. Returns (create, update, read).
fn grants(list: &[String]) -> (bool, bool, bool) {
    let has = |c: &str| list.iter().any(|x| x == c);
    if has("deny") {
        return (false, false, false);
    }
    if has("root") {
        return (true, true, true);
    }
    (has("create"), has("update"), has("read"))
}

impl Capabilities {
    /// What the token lacks to save at `path` (`"create on secret/data/…"` items): `create`
    /// for a new path, `update` for an `existing` one, and `read` for the read-back. Empty
    /// when it may save. The metadata capability is optional and not listed.
    pub fn missing_for_save(&self, t: &BaoTarget, path: &str, existing: bool) -> Vec<String> {
        let data = t.data_path(path);
        let mut missing = Vec::new();
        if existing && !self.can_update {
            missing.push(format!("update on {data}"));
        }
        if !existing && !self.can_create {
            missing.push(format!("create on {data}"));
        }
        if !self.can_read {
            missing.push(format!("read on {data}"));
        }
        missing
    }
}

/// Interprets `sys/capabilities-self` for the data and metadata paths of `path` (the
/// response's `data` has a list per path). The token must be able to create or update, and
/// read, on the data path, else [`BaoError::MissingCapabilities`]; then
/// [`Capabilities::missing_for_save`] tells, once it is known whether the path exists.
pub fn interpret_capabilities(r: &BaoResponse<'_>, t: &BaoTarget, path: &str) -> Result<Capabilities, BaoError> {
    if r.status != 200 {
        return Err(map_error(r, BaoOp::Capabilities));
    }
    let lists: HashMap<String, serde_json::Value> = parse_data(r.body)?;
    let list = |p: &str| -> Result<Vec<String>, BaoError> {
        let v = lists.get(p).ok_or_else(|| unexpected(tr("baoDetailNoCapabilities", &[])))?;
        Vec::<String>::deserialize(v).map_err(|_| unexpected(tr("baoDetailCapabilitiesNotList", &[])))
    };
    let (data, meta) = (t.data_path(path), t.metadata_path(path));
    let (can_create, can_update, can_read) = grants(&list(&data)?);
    // Metadata is written after the data, when the path exists: that is an update.
    let (_, meta_update, _) = grants(&list(&meta)?);
    let caps = Capabilities { can_create, can_update, can_read, can_write_metadata: meta_update };
    let mut missing = Vec::new();
    if !can_create && !can_update {
        missing.push(format!("create on {data}"));
    }
    if !can_read {
        missing.push(format!("read on {data}"));
    }
    if missing.is_empty() {
        Ok(caps)
    } else {
        Err(BaoError::MissingCapabilities(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::openbao::test_support::*;
    use crate::core::openbao::*;

    #[test]
    fn mounts() {
        let t = target();
        assert_eq!(interpret_mount(&resp(200, MOUNT_KV2), &t), Ok(MountInfo { version: 2 }));
        let kv1 = BaoTarget::new(t.addr.clone(), None, Some("kv1")).unwrap();
        assert_eq!(interpret_mount(&resp(200, MOUNT_KV1), &kv1), Err(BaoError::KvV1 { mount: "kv1".into() }));
        let no_options = MOUNT_KV1.replace(r#""options":{"version":"1"}"#, r#""options":null"#);
        assert_eq!(interpret_mount(&resp(200, &no_options), &kv1), Err(BaoError::KvV1 { mount: "kv1".into() }));
        let number = MOUNT_KV2.replace(r#""version":"2""#, r#""version":2"#);
        assert_eq!(interpret_mount(&resp(200, &number), &t), Ok(MountInfo { version: 2 }));
        let sys = BaoTarget::new(t.addr.clone(), None, Some("sys")).unwrap();
        assert_eq!(interpret_mount(&resp(200, MOUNT_SYS), &sys), Err(BaoError::NoMount));
        assert_eq!(interpret_mount(&resp(403, MOUNT_PREFLIGHT_403), &t), Err(BaoError::NoMount));
        assert_eq!(interpret_mount(&resp(403, DENIED_BAD_TOKEN_403), &t), Err(BaoError::TokenExpired));
        assert_eq!(interpret_mount(&resp(503, SEALED_503), &t), Err(BaoError::Sealed));
        assert_eq!(interpret_mount(&resp(404, NAMESPACE_404), &t), Err(BaoError::WrongNamespace));
        // The resolved mount is authoritative.
        let folder = BaoTarget::new(t.addr.clone(), None, Some("secret/azure")).unwrap();
        match interpret_mount(&resp(200, MOUNT_KV2), &folder) {
            Err(BaoError::BadMount(m)) => assert!(m.contains("folder inside the mount secret/") && m.contains("\"secret\""), "{m}"),
            other => panic!("{other:?}"),
        }
        let deeper = MOUNT_KV2.replace(r#""path":"secret/""#, r#""path":"secret/team/""#);
        match interpret_mount(&resp(200, &deeper), &t) {
            Err(BaoError::BadMount(m)) => assert!(m.contains("another mount, secret/team/"), "{m}"),
            other => panic!("{other:?}"),
        }
        let other = MOUNT_KV2.replace(r#""path":"secret/""#, r#""path":"secrets/""#);
        assert!(matches!(interpret_mount(&resp(200, &other), &t), Err(BaoError::BadMount(_))));
        let no_path = MOUNT_KV2.replace(r#""path":"secret/","#, "");
        assert!(matches!(interpret_mount(&resp(200, &no_path), &t), Err(BaoError::Unexpected(_))));
        assert!(matches!(interpret_mount(&resp(200, "<html>"), &t), Err(BaoError::Unexpected(_))));
        assert!(matches!(interpret_mount(&resp(200, r#"{"data":null}"#), &t), Err(BaoError::Unexpected(_))));
    }

    #[test]
    fn metadata_and_write() {
        assert_eq!(interpret_metadata(&resp(200, METADATA)), Ok(Some(2)));
        assert_eq!(interpret_metadata(&resp(200, &METADATA.replace(r#""current_version":2"#, r#""current_version":0"#))), Ok(None));
        assert_eq!(interpret_metadata(&resp(404, NOT_FOUND_404)), Ok(None));
        assert_eq!(interpret_metadata(&resp(404, "")), Ok(None));
        assert_eq!(interpret_metadata(&resp(404, NAMESPACE_404)), Err(BaoError::WrongNamespace));
        assert_eq!(interpret_metadata(&resp(404, NO_ROUTE_404)), Err(BaoError::NoMount));
        assert_eq!(interpret_metadata(&resp(403, DENIED_403)), Err(BaoError::PermissionDenied { op: BaoOp::Metadata }));
        assert_eq!(interpret_write(&resp(200, WRITE_OK)), Ok(1));
        assert_eq!(interpret_write(&resp(400, CAS_400)), Err(BaoError::CasMismatch));
        assert_eq!(interpret_write(&resp(403, DENIED_403)), Err(BaoError::PermissionDenied { op: BaoOp::Write }));
        assert_eq!(interpret_write(&resp(503, SEALED_503)), Err(BaoError::Sealed));
        assert!(matches!(interpret_write(&resp(204, "")), Err(BaoError::Unexpected(_))));
        assert!(matches!(interpret_write(&resp(200, r#"{"data":{"version":0}}"#)), Err(BaoError::Unexpected(_))));
        assert_eq!(interpret_metadata_write(&resp(204, "")), Ok(()));
        assert_eq!(interpret_metadata_write(&resp(200, "{}")), Ok(()));
        assert_eq!(interpret_metadata_write(&resp(403, DENIED_403)), Err(BaoError::PermissionDenied { op: BaoOp::WriteMetadata }));
        let too_long = r#"{"errors":["1 error occurred:\n\t* custom_metadata validation failed: length of value for key \"k\" is 600 but must be 0 \u003c len(value) \u003c= 512\n\n"]}"#;
        assert_eq!(
            interpret_metadata_write(&resp(400, too_long)),
            Err(BaoError::Server(400, "custom_metadata validation failed: length of value for key \"k\" is 600 but must be 0 < len(value) <= 512".into()))
        );
    }

    #[test]
    fn read_back() {
        let ok = read_back_body(SECRET, 3);
        assert_eq!(interpret_read_back(&resp(200, &ok), 3, SECRET.as_bytes()), Ok(()));
        assert_eq!(interpret_read_back(&resp(200, &ok), 4, SECRET.as_bytes()), Err(BaoError::NotVerified), "another version");
        let other = read_back_body("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblQ", 3);
        assert_eq!(interpret_read_back(&resp(200, &other), 3, SECRET.as_bytes()), Err(BaoError::NotVerified), "another value");
        let missing = ok.replace(r#""AZURE_CLIENT_SECRET""#, r#""OTHER""#);
        assert_eq!(interpret_read_back(&resp(200, &missing), 3, SECRET.as_bytes()), Err(BaoError::NotVerified));
        assert_eq!(interpret_read_back(&resp(200, &missing), 3, b""), Err(BaoError::NotVerified), "missing is not empty");
        let deleted = r#"{"data":{"data":null,"metadata":{"deletion_time":"2026-12-01T06:14:06Z","destroyed":false,"version":3}}}"#;
        assert_eq!(interpret_read_back(&resp(200, deleted), 3, SECRET.as_bytes()), Err(BaoError::NotVerified));
        assert_eq!(interpret_read_back(&resp(404, NOT_FOUND_404), 3, SECRET.as_bytes()), Err(BaoError::NotVerified));
        assert_eq!(interpret_read_back(&resp(403, DENIED_403), 3, SECRET.as_bytes()), Err(BaoError::PermissionDenied { op: BaoOp::ReadBack }));
        // An escaped value (the parser's copy, wiped on drop) compares equal; a repeated key
        // is refused.
        let escaped = ok.replacen("zzz8Q", "\\u007azz8Q", 1);
        assert_ne!(escaped, ok);
        assert_eq!(interpret_read_back(&resp(200, &escaped), 3, SECRET.as_bytes()), Ok(()));
        let twice = ok.replacen(r#""AZURE_CLIENT_ID""#, r#""AZURE_CLIENT_SECRET":"x","AZURE_CLIENT_ID""#, 1);
        assert!(matches!(interpret_read_back(&resp(200, &twice), 3, SECRET.as_bytes()), Err(BaoError::Unexpected(_))));
        let not_string = ok.replace(&format!("\"{SECRET}\""), "42");
        assert!(matches!(interpret_read_back(&resp(200, &not_string), 3, b"42"), Err(BaoError::Unexpected(_))));
    }

    #[test]
    fn secret_is_borrowed_without_escapes() {
        let ok = read_back_body(SECRET, 3);
        let d: ReadBackData = parse_data(ok.as_bytes()).unwrap();
        assert!(matches!(d.data.as_ref().and_then(|f| f.secret.as_ref()).map(|s| &s.0), Some(Cow::Borrowed(_))));
        let escaped = ok.replacen("zzz8Q", "\\u007azz8Q", 1);
        let d: ReadBackData = parse_data(escaped.as_bytes()).unwrap();
        assert!(matches!(d.data.as_ref().and_then(|f| f.secret.as_ref()).map(|s| &s.0), Some(Cow::Owned(_))));
    }

    const LOGIN: &str = r#"{"request_id":"22a8ba49","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,"warnings":null,"auth":{"client_token":"s.a6Gbdu3dsKDgdRCjgIol396a","accessor":"0Lgy0irIf0ojJ4SCBYMkzx4u","policies":["default"],"token_policies":["default"],"metadata":{"username":"alice"},"lease_duration":2764800,"renewable":true,"entity_id":"7e14e19e","token_type":"service","orphan":true,"mfa_requirement":null,"num_uses":0}}"#;
    const LOOKUP: &str = r#"{"request_id":"77d5572e","lease_id":"","renewable":false,"lease_duration":0,"data":{"accessor":"9gqyGt6jTy6YFGB4qw0Whepd","creation_time":1796105656,"creation_ttl":2764800,"display_name":"userpass-bob","entity_id":"fd587f5c","expire_time":"2027-01-02T06:14:16.869569632Z","explicit_max_ttl":0,"id":"s.b0N724CdgCdrv6DVcQRNyCD9","issue_time":"2026-12-01T06:14:16.869574369Z","meta":{"username":"bob"},"num_uses":0,"orphan":true,"path":"auth/userpass/login/bob","policies":["createonly","default"],"renewable":true,"ttl":2764799,"type":"service"},"wrap_info":null,"warnings":null,"auth":null}"#;
    const LOOKUP_ROOT: &str = r#"{"request_id":"8057bce0","lease_id":"","renewable":false,"lease_duration":0,"data":{"accessor":"ABY6c2lNaGkeELkBDOeuVxPF","creation_time":1796105639,"creation_ttl":0,"display_name":"token","entity_id":"","expire_time":null,"explicit_max_ttl":0,"id":"root","issue_time":"2026-12-01T06:13:59.299039515Z","meta":null,"num_uses":0,"orphan":true,"path":"auth/token/create","policies":["root"],"renewable":false,"ttl":0,"type":"service"},"wrap_info":null,"warnings":null,"auth":null}"#;
    const RENEW: &str = r#"{"request_id":"3b78e118","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,"warnings":null,"auth":{"client_token":"s.b0N724CdgCdrv6DVcQRNyCD9","accessor":"9gqyGt6jTy6YFGB4qw0Whepd","policies":["createonly","default"],"token_policies":["createonly","default"],"metadata":{"username":"bob"},"lease_duration":2764800,"renewable":true,"entity_id":"fd587f5c","token_type":"service","orphan":true,"mfa_requirement":null,"num_uses":0}}"#;

    #[test]
    fn tokens() {
        let tok = interpret_login(&resp(200, LOGIN)).unwrap();
        assert_eq!((tok.token.as_str(), tok.renewable, tok.ttl_secs), ("s.a6Gbdu3dsKDgdRCjgIol396a", true, 2_764_800));
        let dbg = format!("{tok:?}");
        assert!(!dbg.contains("a6Gbdu3") && dbg.contains("redacted"), "{dbg}");
        assert_eq!(interpret_login(&resp(400, r#"{"errors":["invalid username or password"]}"#)).unwrap_err(), BaoError::BadCredentials);
        assert_eq!(interpret_login(&resp(403, DENIED_BAD_TOKEN_403)).unwrap_err(), BaoError::PermissionDenied { op: BaoOp::Login });
        assert_eq!(interpret_login(&resp(404, NAMESPACE_404)).unwrap_err(), BaoError::WrongNamespace);
        assert_eq!(interpret_login(&resp(503, SEALED_503)).unwrap_err(), BaoError::Sealed);
        let mfa = r#"{"auth":{"client_token":"","mfa_requirement":{"mfa_request_id":"x","mfa_constraints":{}}}}"#;
        assert!(matches!(interpret_login(&resp(200, mfa)), Err(BaoError::Unexpected(m)) if m.contains("multi-factor")));
        assert!(matches!(interpret_login(&resp(200, r#"{"auth":null}"#)), Err(BaoError::Unexpected(_))));

        assert_eq!(interpret_lookup_self(&resp(200, LOOKUP)), Ok(TokenInfo { renewable: true, ttl_secs: 2_764_799 }));
        assert_eq!(interpret_lookup_self(&resp(200, LOOKUP_ROOT)), Ok(TokenInfo { renewable: false, ttl_secs: 0 }));
        assert_eq!(interpret_lookup_self(&resp(403, DENIED_BAD_TOKEN_403)), Err(BaoError::TokenExpired));
        assert_eq!(interpret_renew(&resp(200, RENEW)), Ok(TokenInfo { renewable: true, ttl_secs: 2_764_800 }));
        assert_eq!(interpret_renew(&resp(403, DENIED_BAD_TOKEN_403)), Err(BaoError::TokenExpired));
        assert_eq!(interpret_renew(&resp(400, r#"{"errors":["lease is not renewable"]}"#)), Err(BaoError::Server(400, "lease is not renewable".into())));
    }

    fn caps_body(data: &str, meta: &str) -> String {
        format!(
            r#"{{"secret/data/azure/app/y":{data},"secret/metadata/azure/app/y":{meta},"request_id":"13bf9a0e","lease_id":"","renewable":false,"lease_duration":0,"data":{{"secret/data/azure/app/y":{data},"secret/metadata/azure/app/y":{meta}}},"wrap_info":null,"warnings":null,"auth":null}}"#
        )
    }

    #[test]
    fn capabilities() {
        let t = target();
        let p = "azure/app/y";
        let caps = |data: &str, meta: &str| interpret_capabilities(&resp(200, &caps_body(data, meta)), &t, p);
        let all = Capabilities { can_create: true, can_update: true, can_read: true, can_write_metadata: true };
        assert_eq!(caps(r#"["root"]"#, r#"["root"]"#), Ok(all));
        assert_eq!(caps(r#"["root","sudo"]"#, r#"["sudo"]"#), Ok(Capabilities { can_write_metadata: false, ..all }));
        // Captured: a policy with create+read on data and update on metadata.
        let create_only = caps(r#"["create","read"]"#, r#"["update"]"#).unwrap();
        assert_eq!(create_only, Capabilities { can_create: true, can_update: false, can_read: true, can_write_metadata: true });
        assert!(create_only.missing_for_save(&t, p, false).is_empty());
        assert_eq!(create_only.missing_for_save(&t, p, true), vec!["update on secret/data/azure/app/y".to_owned()]);
        let update_only = caps(r#"["read","update"]"#, r#"["deny"]"#).unwrap();
        assert_eq!(update_only, Capabilities { can_create: false, can_update: true, can_read: true, can_write_metadata: false });
        assert!(update_only.missing_for_save(&t, p, true).is_empty());
        assert_eq!(update_only.missing_for_save(&t, p, false), vec!["create on secret/data/azure/app/y".to_owned()]);
        assert_eq!(caps(r#"["create","update"]"#, "[]"), Err(BaoError::MissingCapabilities(vec!["read on secret/data/azure/app/y".into()])));
        assert_eq!(
            caps(r#"["deny"]"#, r#"["deny"]"#),
            Err(BaoError::MissingCapabilities(vec!["create on secret/data/azure/app/y".into(), "read on secret/data/azure/app/y".into()]))
        );
        assert_eq!(caps(r#"["deny","root"]"#, "[]").unwrap_err().code(), "capabilities", "deny wins");
        assert_eq!(caps(r#"["sudo"]"#, "[]").unwrap_err().code(), "capabilities", "sudo alone grants nothing");
        let mut c = all;
        c.can_read = false;
        c.can_create = false;
        assert_eq!(c.missing_for_save(&t, p, false), vec!["create on secret/data/azure/app/y".to_owned(), "read on secret/data/azure/app/y".to_owned()]);
        // The single-path form, another path, bad lists, errors.
        let single = r#"{"data":{"capabilities":["root"],"secret/data/azure/app/y":["root"]}}"#;
        assert!(matches!(interpret_capabilities(&resp(200, single), &t, p), Err(BaoError::Unexpected(_))), "the metadata path is missing");
        assert!(matches!(interpret_capabilities(&resp(200, &caps_body("[]", "[]")), &t, "other"), Err(BaoError::Unexpected(_))));
        assert!(matches!(interpret_capabilities(&resp(200, &caps_body("\"root\"", "[]")), &t, p), Err(BaoError::Unexpected(_))));
        assert_eq!(interpret_capabilities(&resp(403, DENIED_403), &t, p), Err(BaoError::PermissionDenied { op: BaoOp::Capabilities }));
    }
}
