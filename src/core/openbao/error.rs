//! Errors: the status and the `{"errors":[…]}` text mapped to a [`BaoError`], each with a
//! sentence saying what to do.

use crate::core::i18n::tr;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{BaoResponse, BaoTarget};

/// Longest server message kept, in characters.
const MAX_SERVER_MESSAGE_CHARS: usize = 300;

/// Which call failed: a 403 means a different missing capability for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaoOp {
    /// `sys/internal/ui/mounts/…`: which engine serves the path.
    Mount,
    /// Reading `{mount}/metadata/{path}`.
    Metadata,
    /// Writing `{mount}/data/{path}`.
    Write,
    /// Writing `{mount}/metadata/{path}`.
    WriteMetadata,
    /// Reading back `{mount}/data/{path}?version=N`.
    ReadBack,
    /// `auth/{mount}/login/{user}`.
    Login,
    /// `auth/token/lookup-self`.
    Lookup,
    /// `auth/token/renew-self`.
    Renew,
    /// `sys/capabilities-self`.
    Capabilities,
}

/// A failed step. The secret stays unsaved; [`BaoError::user_message`] says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaoError {
    /// The server address was refused; the sentence says why.
    BadAddress(String),
    /// The secret path or template was refused; the sentence says why.
    BadPath(String),
    /// The namespace was refused; the sentence says why.
    BadNamespace(String),
    /// The mount (or auth mount) was refused, or is not where the engine is mounted.
    BadMount(String),
    /// The mount is KV version 1 (no versions, no check-and-set).
    KvV1 {
        /// The configured mount.
        mount: String,
    },
    /// No KV engine at the mount (or, for the mount check, one the token may not see).
    NoMount,
    /// 403: the token's policy lacks the capability `op` needs.
    PermissionDenied {
        /// The call that was refused.
        op: BaoOp,
    },
    /// 400 check-and-set mismatch: someone wrote to the path since we looked.
    CasMismatch,
    /// Sign-in refused: wrong username or password (or nothing entered).
    BadCredentials,
    /// The token is expired, revoked or invalid.
    TokenExpired,
    /// 503: the server is sealed.
    Sealed,
    /// A standby node that did not serve the request (503, or a 307 to the active node).
    Standby,
    /// 429: rate-limited.
    Throttled,
    /// Another status, with the server's message.
    Server(u16, String),
    /// A response we could not understand, with what was wrong.
    Unexpected(String),
    /// The fetch failed without a response: refused, DNS, TLS, CORS.
    Network,
    /// The read-back did not return what was written.
    NotVerified,
    /// The token lacks capabilities (`"create on secret/data/…"` items).
    MissingCapabilities(Vec<String>),
    /// The namespace does not exist.
    WrongNamespace,
}

/// Vault's error body. Items that are not strings are skipped.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Option<Vec<Lenient>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient {
    Str(String),
    Other(IgnoredAny),
}

/// The server's `errors`, one line each: Go's multi-error wrapping
/// (`"1 error occurred:\n\t* permission denied\n\n"`) unwrapped, controls removed, joined
/// with `; ` and capped at 300 characters. Empty when there is none.
pub fn server_message(body: &[u8]) -> String {
    let Ok(ErrorBody { errors: Some(errors) }) = serde_json::from_slice::<ErrorBody>(body) else {
        return String::new();
    };
    let mut lines: Vec<String> = Vec::new();
    for e in errors.iter().filter_map(|e| match e {
        Lenient::Str(s) => Some(s),
        Lenient::Other(_) => None,
    }) {
        for line in e.lines() {
            let line = line.trim().trim_start_matches("* ").trim();
            let is_header = line.ends_with("occurred:") && line.split(' ').next().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
            if !line.is_empty() && !is_header {
                lines.push(line.chars().map(|c| if c.is_control() { ' ' } else { c }).collect());
            }
        }
    }
    let joined = lines.join("; ");
    match joined.char_indices().nth(MAX_SERVER_MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &joined[..i]),
        None => joined,
    }
}

/// Maps a failed response (status 0: the fetch failed) to a [`BaoError`]. OpenBao and Vault
/// use few statuses, so the message text decides between some: sealed or standby on 503,
/// check-and-set and bad credentials on 400, a missing namespace or route on 404.
pub fn map_error(r: &BaoResponse<'_>, op: BaoOp) -> BaoError {
    let msg = server_message(r.body);
    let lower = msg.to_ascii_lowercase();
    let has = |s: &str| lower.contains(s);
    match r.status {
        0 => BaoError::Network,
        200..=299 => BaoError::Unexpected(tr("baoDetailNoData", &[&r.status.to_string()])),
        // A standby node redirects to the active one; the store does not follow it.
        307 | 308 => BaoError::Standby,
        400 if has("check-and-set") => BaoError::CasMismatch,
        400 if op == BaoOp::Login && (has("invalid username or password") || has("invalid credentials")) => BaoError::BadCredentials,
        401 | 403 if has("invalid token") || has("token is expired") => BaoError::TokenExpired,
        // lookup-self and renew-self are in every token's default policy: a denial is the token's.
        403 if matches!(op, BaoOp::Lookup | BaoOp::Renew) => BaoError::TokenExpired,
        // The mounts endpoint answers this both for no mount and for a mount the token's
        // policies grant nothing under (so as not to reveal mounts); a bad token gets a
        // plain "permission denied" there.
        403 if op == BaoOp::Mount && has("preflight capability check") => BaoError::NoMount,
        403 if op == BaoOp::Mount => BaoError::TokenExpired,
        403 => BaoError::PermissionDenied { op },
        404 if has("namespace not found") => BaoError::WrongNamespace,
        404 if has("no handler for route") || has("unsupported path") => BaoError::NoMount,
        404 if op == BaoOp::ReadBack => BaoError::NotVerified,
        429 => BaoError::Throttled,
        503 if has("sealed") => BaoError::Sealed,
        503 if has("standby") || has("not active") => BaoError::Standby,
        s => BaoError::Server(s, msg),
    }
}

/// `"create" on "secret/data/x" and "read" on "secret/data/x"` from `create on secret/data/x` items.
fn quote_capabilities(list: &[String]) -> String {
    list.iter()
        .map(|c| match c.split_once(" on ") {
            Some((cap, p)) => tr("baoCapabilityOn", &[cap, p]),
            None => format!("\"{c}\""),
        })
        .reduce(|first, next| tr("baoAnd", &[&first, &next]))
        .unwrap_or_default()
}

impl BaoError {
    /// A sentence for the prompt saying what to do. Never includes a token, password or
    /// value; `path` is the secret path (policy paths are built from it and the mount).
    pub fn user_message(&self, t: &BaoTarget, path: &str) -> String {
        let origin = t.addr.origin();
        let mount = &t.mount;
        let ns = t.namespace.as_deref().map(|n| format!(" {}", tr("baoInNamespace", &[n]))).unwrap_or_default();
        let server = format!("{origin}{ns}");
        let data = t.data_path(path);
        let meta = t.metadata_path(path);
        match self {
            BaoError::BadAddress(m) | BaoError::BadPath(m) | BaoError::BadNamespace(m) | BaoError::BadMount(m) => m.clone(),
            BaoError::KvV1 { mount } => tr("baoKvV1", &[mount]),
            BaoError::NoMount => tr("baoNoMount", &[mount, &server]),
            BaoError::PermissionDenied { op } => match op {
                BaoOp::Write => tr("baoDeniedWrite", &[&data, &ns]),
                BaoOp::ReadBack => tr("baoDeniedReadBack", &[&data, &ns]),
                BaoOp::WriteMetadata => tr("baoDeniedWriteMetadata", &[&meta, &ns]),
                BaoOp::Metadata => tr("baoDeniedMetadata", &[&meta, &ns]),
                BaoOp::Mount => tr("baoDeniedMount", &[mount, &ns]),
                BaoOp::Login => tr("baoDeniedLogin", &[&server]),
                BaoOp::Lookup => tr("baoDeniedLookup", &[&ns]),
                BaoOp::Renew => tr("baoDeniedRenew", &[&ns]),
                BaoOp::Capabilities => tr("baoDeniedCapabilities", &[&ns]),
            },
            BaoError::CasMismatch => tr("baoCasMismatch", &[path]),
            BaoError::BadCredentials => tr("baoBadCredentials", &[]),
            BaoError::TokenExpired => tr("baoTokenExpired", &[]),
            BaoError::Sealed => tr("baoSealed", &[origin]),
            BaoError::Standby => tr("baoStandby", &[origin]),
            BaoError::Throttled => tr("baoThrottled", &[]),
            BaoError::Server(status, m) if m.is_empty() => tr("baoServerEmpty", &[origin, &status.to_string()]),
            BaoError::Server(status, m) => tr("baoServer", &[origin, &status.to_string(), m]),
            BaoError::Unexpected(m) => tr("baoUnexpected", &[origin, m]),
            BaoError::Network => tr("baoNetwork", &[origin]),
            BaoError::NotVerified => tr("baoNotVerified", &[&data, &ns]),
            BaoError::MissingCapabilities(list) => {
                let caps = format!("{}{ns}", quote_capabilities(list));
                if list.len() > 1 {
                    tr("baoMissingCapsMany", &[&caps])
                } else {
                    tr("baoMissingCapsOne", &[&caps])
                }
            }
            BaoError::WrongNamespace => tr("baoWrongNamespace", &[t.namespace.as_deref().unwrap_or("(root)"), origin]),
        }
    }

    /// The sentence when there is no target or path yet (settings, planning): a refused
    /// address, path, namespace or mount in its own words; other errors in general terms.
    pub fn user_message_plain(&self) -> String {
        match self {
            BaoError::BadAddress(m) | BaoError::BadPath(m) | BaoError::BadNamespace(m) | BaoError::BadMount(m) => m.clone(),
            BaoError::KvV1 { mount } => tr("baoKvV1Plain", &[mount]),
            BaoError::NoMount => tr("baoNoMountPlain", &[]),
            BaoError::PermissionDenied { .. } => tr("baoDeniedPlain", &[]),
            BaoError::CasMismatch => tr("baoCasMismatchPlain", &[]),
            BaoError::BadCredentials => tr("baoBadCredentials", &[]),
            BaoError::TokenExpired => tr("baoTokenExpired", &[]),
            BaoError::Sealed => tr("baoSealedPlain", &[]),
            BaoError::Standby => tr("baoStandbyPlain", &[]),
            BaoError::Throttled => tr("baoThrottled", &[]),
            BaoError::Server(status, m) if m.is_empty() => tr("baoServerPlainEmpty", &[&status.to_string()]),
            BaoError::Server(status, m) => tr("baoServerPlain", &[&status.to_string(), m]),
            BaoError::Unexpected(m) => tr("baoUnexpectedPlain", &[m]),
            BaoError::Network => tr("baoNetworkPlain", &[]),
            BaoError::NotVerified => tr("baoNotVerifiedPlain", &[]),
            BaoError::MissingCapabilities(list) => tr("baoMissingCapsPlain", &[&quote_capabilities(list)]),
            BaoError::WrongNamespace => tr("baoWrongNamespacePlain", &[]),
        }
    }

    /// A short stable code for logs and tests. No data.
    pub fn code(&self) -> &'static str {
        match self {
            BaoError::BadAddress(_) => "address",
            BaoError::BadPath(_) => "path",
            BaoError::BadNamespace(_) => "namespace",
            BaoError::BadMount(_) => "mount",
            BaoError::KvV1 { .. } => "kvv1",
            BaoError::NoMount => "nomount",
            BaoError::PermissionDenied { .. } => "forbidden",
            BaoError::CasMismatch => "cas",
            BaoError::BadCredentials => "credentials",
            BaoError::TokenExpired => "token",
            BaoError::Sealed => "sealed",
            BaoError::Standby => "standby",
            BaoError::Throttled => "throttled",
            BaoError::Server(..) => "server",
            BaoError::Unexpected(_) => "unexpected",
            BaoError::Network => "network",
            BaoError::NotVerified => "notverified",
            BaoError::MissingCapabilities(_) => "capabilities",
            BaoError::WrongNamespace => "wrongnamespace",
        }
    }

    /// Whether sending the same request again later may help: rate limiting, a standby or
    /// unavailable node, a gateway error, a network failure, and 412 (a performance standby
    /// not yet holding our last write). The store retries these a bounded number of times.
    pub fn retryable(&self) -> bool {
        matches!(self, BaoError::Throttled | BaoError::Standby | BaoError::Network | BaoError::Server(412 | 502 | 503 | 504, _))
    }

    /// What the prompt says while ShownOnce waits `delay_ms` before trying a retryable
    /// failure again (the save is still under way; the secret stays unsaved until it ends).
    pub fn retry_note(&self, delay_ms: u64) -> String {
        let why = match self {
            BaoError::Throttled => tr("baoRetryThrottled", &[]),
            BaoError::Standby => tr("baoRetryStandby", &[]),
            BaoError::Server(code, _) => tr("baoRetryServer", &[&code.to_string()]),
            _ => tr("baoRetryUnreachable", &[]),
        };
        tr("retryIn", &[&why, &delay_ms.div_ceil(1000).max(1).to_string()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::openbao::test_support::*;
    use crate::core::openbao::*;

    /// While a retry waits, the prompt says why and for how long (whole seconds, at least 1).
    #[test]
    fn retry_notes() {
        assert_eq!(BaoError::Throttled.retry_note(500), "The Vault server asked to slow down (429): trying again in 1 s…");
        assert_eq!(BaoError::Server(503, String::new()).retry_note(1000), "The Vault server answered 503: trying again in 1 s…");
        assert_eq!(BaoError::Standby.retry_note(1500), "The Vault server is a standby node: trying again in 2 s…");
        assert_eq!(BaoError::Network.retry_note(0), "The Vault server could not be reached: trying again in 1 s…");
    }

    #[test]
    fn server_messages() {
        assert_eq!(server_message(DENIED_403.as_bytes()), "permission denied");
        assert_eq!(server_message(br#"{"errors":["2 errors occurred:\n\t* a\n\t* b\u0007c\n\n", 5, "d"]}"#), "a; b c; d");
        assert_eq!(server_message(NOT_FOUND_404.as_bytes()), "");
        assert_eq!(server_message(b"<html>502 Bad Gateway</html>"), "");
        assert_eq!(server_message(br#"{"errors":null}"#), "");
        let long = format!(r#"{{"errors":["{}"]}}"#, "é".repeat(400));
        assert_eq!(server_message(long.as_bytes()).chars().count(), 301);
    }

    #[test]
    fn error_mapping() {
        use BaoOp::*;
        let map = |status, body: &str, op| map_error(&resp(status, body), op);
        assert_eq!(map(0, "", Write), BaoError::Network);
        assert_eq!(map(400, CAS_400, Write), BaoError::CasMismatch);
        assert_eq!(map(400, r#"{"errors":["invalid username or password"]}"#, Login), BaoError::BadCredentials);
        assert_eq!(map(400, r#"{"errors":["invalid username or password"]}"#, Write), BaoError::Server(400, "invalid username or password".into()));
        assert_eq!(map(400, r#"{"errors":["lease is not renewable"]}"#, Renew), BaoError::Server(400, "lease is not renewable".into()));
        for op in [Metadata, Write, WriteMetadata, ReadBack, Capabilities, Login] {
            assert_eq!(map(403, DENIED_403, op), BaoError::PermissionDenied { op }, "{op:?}");
        }
        assert_eq!(map(403, DENIED_BAD_TOKEN_403, Lookup), BaoError::TokenExpired);
        assert_eq!(map(403, DENIED_BAD_TOKEN_403, Renew), BaoError::TokenExpired);
        assert_eq!(map(403, DENIED_BAD_TOKEN_403, Mount), BaoError::TokenExpired);
        assert_eq!(map(403, r#"{"errors":["permission denied","invalid token"]}"#, Write), BaoError::TokenExpired);
        assert_eq!(map(403, MOUNT_PREFLIGHT_403, Mount), BaoError::NoMount);
        assert_eq!(map(404, NAMESPACE_404, Login), BaoError::WrongNamespace);
        assert_eq!(map(404, NAMESPACE_404, Metadata), BaoError::WrongNamespace);
        assert_eq!(map(404, NO_ROUTE_404, Write), BaoError::NoMount);
        assert_eq!(map(404, NOT_FOUND_404, ReadBack), BaoError::NotVerified);
        assert_eq!(map(404, NOT_FOUND_404, Write), BaoError::Server(404, String::new()));
        assert_eq!(map(429, r#"{"errors":["request path \"secret/data/x\": rate limit quota exceeded"]}"#, Write), BaoError::Throttled);
        assert_eq!(map(503, SEALED_503, Mount), BaoError::Sealed);
        assert_eq!(map(503, r#"{"errors":["Vault is in standby mode"]}"#, Write), BaoError::Standby);
        assert_eq!(map(503, r#"{"errors":["node not active but active cluster node not found"]}"#, Write), BaoError::Standby);
        assert_eq!(map(503, "Service Unavailable", Write), BaoError::Server(503, String::new()));
        assert_eq!(map(307, "", Write), BaoError::Standby);
        assert_eq!(map(502, "<html>", Write), BaoError::Server(502, String::new()));
        assert_eq!(map(500, r#"{"errors":["internal error"]}"#, Write), BaoError::Server(500, "internal error".into()));
        assert_eq!(map(200, "{}", Write), BaoError::Unexpected("HTTP 200 without the expected data".into()));
    }

    #[test]
    fn retry_and_codes() {
        let retry = [BaoError::Throttled, BaoError::Standby, BaoError::Network, BaoError::Server(502, String::new()), BaoError::Server(503, String::new())];
        assert!(retry.iter().all(BaoError::retryable));
        let no = [BaoError::Sealed, BaoError::CasMismatch, BaoError::TokenExpired, BaoError::Server(500, String::new()), BaoError::NotVerified];
        assert!(!no.iter().any(BaoError::retryable));
        assert_eq!(BaoError::Network.code(), "network");
        assert_eq!(BaoError::PermissionDenied { op: BaoOp::Write }.code(), "forbidden");
        assert_eq!(BaoError::CasMismatch.code(), "cas");
        assert_eq!(BaoError::KvV1 { mount: "kv1".into() }.code(), "kvv1");
    }

    #[test]
    fn user_messages() {
        let t = target();
        let p = "azure/app/x";
        let msg = |e: BaoError| e.user_message(&t, p);
        assert_eq!(
            msg(BaoError::PermissionDenied { op: BaoOp::Write }),
            r#"the token's policy lacks "create" (and "update" to add a version) on "secret/data/azure/app/x"; add it, or use another path"#
        );
        assert!(msg(BaoError::PermissionDenied { op: BaoOp::ReadBack }).contains(r#"lacks "read" on "secret/data/azure/app/x""#));
        assert!(msg(BaoError::PermissionDenied { op: BaoOp::WriteMetadata }).contains(r#""update" (or "create") on "secret/metadata/azure/app/x""#));
        assert_eq!(msg(BaoError::CasMismatch), "someone wrote to azure/app/x meanwhile: save again to add a new version");
        assert_eq!(msg(BaoError::Sealed), "the server at https://vault.example.com:8200 is sealed: unseal it (bao operator unseal) and save again");
        assert!(msg(BaoError::Network).starts_with("could not reach https://vault.example.com:8200: the server is not running"));
        assert!(msg(BaoError::NoMount).starts_with("no secrets engine is mounted at secret/ on https://vault.example.com:8200"));
        assert!(msg(BaoError::KvV1 { mount: "kv1".into() }).starts_with("kv1/ is a KV version 1 mount"));
        assert_eq!(msg(BaoError::Throttled), "the server is rate-limiting requests (429): wait a moment and save again");
        assert!(msg(BaoError::TokenExpired).starts_with("the Vault token has expired or was revoked"));
        assert_eq!(msg(BaoError::BadCredentials), "wrong username or password");
        assert_eq!(msg(BaoError::BadPath("enter a secret path".into())), "enter a secret path");
        assert_eq!(
            msg(BaoError::MissingCapabilities(vec!["create on secret/data/azure/app/x".into(), "read on secret/data/azure/app/x".into()])),
            r#"the token's policy lacks "create" on "secret/data/azure/app/x" and "read" on "secret/data/azure/app/x"; add them, or use another path"#
        );
        let ns = BaoTarget::new(t.addr.clone(), Some("nosuch"), None).unwrap();
        assert_eq!(
            BaoError::WrongNamespace.user_message(&ns, p),
            "namespace nosuch does not exist on https://vault.example.com:8200 (check the namespace in the options)"
        );
        assert!(BaoError::PermissionDenied { op: BaoOp::Write }.user_message(&ns, p).contains(r#"on "secret/data/azure/app/x" in namespace "nosuch""#));
        assert!(msg(BaoError::Server(500, "internal error".into())).ends_with("answered HTTP 500: internal error"));
        assert_eq!(
            BaoError::BadAddress("the server address must start with https://".into()).user_message_plain(),
            "the server address must start with https://"
        );
        assert_eq!(BaoError::Sealed.user_message_plain(), "the server is sealed: unseal it (bao operator unseal) and save again");
        assert!(BaoError::MissingCapabilities(vec!["read on secret/data/x".into()]).user_message_plain().ends_with(r#"lacks "read" on "secret/data/x""#));
    }
}
