//! Errors: Key Vault's status, error codes and `WWW-Authenticate` challenge mapped to a
//! [`KvError`] with a clear message.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{retry_after, Cloud, KvResponse, VaultUrl};
use crate::core::i18n::tr;

/// Longest server message shown to the user, in characters.
const MAX_SERVER_MESSAGE_CHARS: usize = 300;

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

    /// What the prompt says while ShownOnce waits `delay_ms` before trying a retryable
    /// failure again (the save is still under way; the secret stays unsaved until it ends).
    pub fn retry_note(&self, delay_ms: u64) -> String {
        let why = match self {
            KvError::Throttled(_) => tr("kvRetryThrottled", &[]),
            KvError::ServerError(code, _) => tr("kvRetryServer", &[&code.to_string()]),
            KvError::Offline => tr("kvRetryOffline", &[]),
            _ => tr("kvRetryUnreachable", &[]),
        };
        tr("retryIn", &[&why, &delay_ms.div_ceil(1000).max(1).to_string()])
    }

    /// Whether the user must sign in (again) before retrying.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, KvError::Unauthorized(_))
    }

    /// A clear, actionable message. Every one ends with the secret still unsaved.
    pub fn user_message(&self, vault: &VaultUrl, secret_name: &str) -> String {
        let v = vault.name();
        match self {
            KvError::Unauthorized(Some(c)) => tr("kvUnauthorizedTenant", &[&c.tenant]),
            KvError::Unauthorized(None) => tr("kvUnauthorized", &[]),
            KvError::ForbiddenByRbac => tr("kvForbiddenByRbac", &[v]),
            KvError::ForbiddenByAccessPolicy => tr("kvForbiddenByAccessPolicy", &[v]),
            KvError::ForbiddenByFirewall => tr("kvForbiddenByFirewall", &[v]),
            KvError::Forbidden(m) => tr("kvForbidden", &[v, m]),
            KvError::VaultNotFound => tr("kvVaultNotFound", &[v]),
            KvError::SecretNotFound => tr("kvSecretNotFound", &[secret_name, v]),
            KvError::DeletedButRecoverable => tr("kvDeletedButRecoverable", &[secret_name, v]),
            KvError::Conflict(m) => tr("kvConflict", &[v, m]),
            KvError::BadRequest(m) => tr("kvBadRequest", &[v, m]),
            KvError::Throttled(_) => tr("kvThrottled", &[v]),
            KvError::ServerError(s, _) => tr("kvServerError", &[&s.to_string()]),
            KvError::Offline => tr("kvOffline", &[]),
            KvError::Unreachable => tr("kvUnreachable", &[&vault.to_string()]),
            KvError::BadResponse => tr("kvBadResponse", &[v]),
            KvError::VerifyMismatch => tr("kvVerifyMismatch", &[v]),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyvault::test_support::*;
    use crate::core::keyvault::*;

    /// While a retry waits, the prompt says why and for how long (whole seconds, at least 1).
    #[test]
    fn retry_notes() {
        assert_eq!(KvError::Throttled(Some(1000)).retry_note(1000), "Key Vault asked to slow down (429): trying again in 1 s…");
        assert_eq!(KvError::ServerError(503, None).retry_note(3200), "Key Vault answered 503: trying again in 4 s…");
        assert_eq!(KvError::Unreachable.retry_note(10), "Key Vault could not be reached: trying again in 1 s…");
        assert_eq!(KvError::Offline.retry_note(0), "You are offline: trying again in 1 s…");
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
}
