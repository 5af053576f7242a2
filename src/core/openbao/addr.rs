//! Server address, namespace and mount: what the user typed, normalized and checked once, so
//! every URL and header built from them is well-formed and points where the user meant.

use crate::core::i18n::tr;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{BaoError, DEFAULT_MOUNT};

/// Longest namespace or mount accepted, in characters.
const MAX_NAME_CHARS: usize = 256;

/// A server origin: `https://host[:port]`, or `http://` for a loopback host only (a token
/// must not cross the network in clear text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaoAddr {
    https: bool,
    /// Lowercase; an IPv6 address in brackets.
    host: String,
    origin: String,
}

fn bad(msg: impl Into<String>) -> BaoError {
    BaoError::BadAddress(msg.into())
}

/// Whether `host` (lowercase, IPv6 in brackets) is this computer.
fn is_loopback(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// Checks a DNS name or dotted-quad IPv4 address (already lowercase).
fn check_host(host: &str) -> Result<(), BaoError> {
    if host.is_empty() {
        return Err(bad(tr("baoAddrNoHost", &[])));
    }
    if !host.is_ascii() {
        return Err(bad(tr("baoAddrIdn", &[])));
    }
    if host.len() > 253 {
        return Err(bad(tr("baoAddrHostTooLong", &[])));
    }
    let labels_ok = host.split('.').all(|l| (1..=63).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    if !labels_ok {
        return Err(bad(tr("baoAddrBadHost", &[host])));
    }
    // Browsers read a name whose last label is a number as an IPv4 address ("127.1",
    // "0x7f.1"): accept only the plain dotted-quad form, so what we check is what they use.
    let last = host.rsplit('.').next().unwrap_or_default();
    if (last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x")) && host.parse::<Ipv4Addr>().is_err() {
        return Err(bad(tr("baoAddrBadIpv4", &[host])));
    }
    Ok(())
}

impl BaoAddr {
    /// Parses what the user typed: `https://vault.example.com:8200`, `vault.example.com`
    /// (https assumed), with a trailing slash, `/v1` or `/ui…` (a copied UI address)
    /// stripped. `http://` only for loopback hosts (127.0.0.0/8, `::1`, `localhost`).
    /// User info, another path, a query or a fragment is refused. The host is lowercased;
    /// the scheme's default port is dropped.
    pub fn parse(text: &str) -> Result<BaoAddr, BaoError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(bad(tr("baoAddrEmpty", &[])));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(tr("baoAddrSpaces", &[])));
        }
        let (https, rest) = match s.find("://") {
            Some(i) if s[..i].eq_ignore_ascii_case("https") => (true, &s[i + 3..]),
            Some(i) if s[..i].eq_ignore_ascii_case("http") => (false, &s[i + 3..]),
            Some(_) => return Err(bad(tr("baoAddrScheme", &[]))),
            None => (true, s),
        };
        let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if tail.contains(['?', '#']) {
            return Err(bad(tr("baoAddrQuery", &[])));
        }
        let path = tail.trim_end_matches('/').to_ascii_lowercase();
        let ui = path.strip_prefix("/ui").is_some_and(|p| p.is_empty() || p.starts_with('/'));
        if !(path.is_empty() || path == "/v1" || ui) {
            return Err(bad(tr("baoAddrPath", &[])));
        }
        if authority.contains('@') {
            return Err(bad(tr("baoAddrUserInfo", &[])));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (ip, after) = v6.split_once(']').ok_or_else(|| bad(tr("baoAddrIpv6Unclosed", &[])))?;
            let ip: Ipv6Addr = ip.parse().map_err(|_| bad(tr("baoAddrBadIpv6", &[ip])))?;
            (format!("[{ip}]"), after.strip_prefix(':').or(after.is_empty().then_some("")).ok_or_else(|| bad(tr("baoAddrAfterIpv6", &[])))?)
        } else {
            let (h, p) = authority.split_once(':').unwrap_or((authority, ""));
            let h = h.to_ascii_lowercase();
            check_host(&h)?;
            (h, p)
        };
        let port = match port {
            "" => None,
            p if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(bad(tr("baoAddrBadPortNumber", &[p]))),
                Ok(n) => Some(n),
            },
            p => return Err(bad(tr("baoAddrBadPort", &[p]))),
        };
        if !https && !is_loopback(&host) {
            return Err(bad(tr("baoAddrPlainHttp", &[&host])));
        }
        let scheme = if https { "https" } else { "http" };
        let origin = match port {
            Some(p) if p != if https { 443 } else { 80 } => format!("{scheme}://{host}:{p}"),
            _ => format!("{scheme}://{host}"),
        };
        Ok(BaoAddr { https, host, origin })
    }

    /// `https://vault.example.com:8200`: no trailing slash, the default port omitted.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `vault.example.com` (an IPv6 address in brackets, as in URLs).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the origin is https (else it is a loopback http one).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Match pattern for `permissions.request` / `optional_host_permissions`:
    /// `https://vault.example.com/*`. Match patterns ignore ports, so there is none.
    pub fn permission_pattern(&self) -> String {
        format!("{}://{}/*", if self.https { "https" } else { "http" }, self.host)
    }
}

impl fmt::Display for BaoAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)
    }
}

/// Checks '/'-separated names (namespace, mount): non-empty parts, no `.` or `..`, no
/// control characters or whitespace, ASCII only when `ascii` (a header value).
/// `what` names it in the message.
pub(super) fn check_name(s: &str, what: &str, ascii: bool) -> Result<(), String> {
    if s.chars().count() > MAX_NAME_CHARS {
        return Err(tr("baoNameTooLong", &[what, &MAX_NAME_CHARS.to_string()]));
    }
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(tr("baoNameSpaces", &[what]));
    }
    if ascii && !s.is_ascii() {
        return Err(tr("baoNameAscii", &[what]));
    }
    for part in s.split('/') {
        if part.is_empty() {
            return Err(tr("baoNameEmptyPart", &[what, s]));
        }
        if part == "." || part == ".." {
            return Err(tr("baoNameDots", &[what]));
        }
    }
    Ok(())
}

/// Where and how to talk to the server: its address, the namespace (`X-Vault-Namespace`,
/// OpenBao and Vault Enterprise) and the KV v2 mount.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaoTarget {
    /// The server.
    pub addr: BaoAddr,
    /// Namespace without slashes at the ends; `None` for the root namespace.
    pub namespace: Option<String>,
    /// Mount path of the KV v2 engine without slashes at the ends, e.g. `secret` or `team/kv`.
    pub mount: String,
}

impl BaoTarget {
    /// Validates the namespace and mount (slashes at the ends dropped; an empty namespace
    /// is the root one; an empty or missing mount is [`DEFAULT_MOUNT`]).
    pub fn new(addr: BaoAddr, namespace: Option<&str>, mount: Option<&str>) -> Result<BaoTarget, BaoError> {
        let namespace = match namespace.map(|n| n.trim().trim_matches('/')) {
            Some(n) if !n.is_empty() => {
                check_name(n, &tr("baoWhatNamespace", &[]), true).map_err(BaoError::BadNamespace)?;
                Some(n.to_owned())
            }
            _ => None,
        };
        let mount = match mount.map(|m| m.trim().trim_matches('/')) {
            Some(m) if !m.is_empty() => {
                check_name(m, &tr("baoWhatMount", &[]), false).map_err(BaoError::BadMount)?;
                m.to_owned()
            }
            _ => DEFAULT_MOUNT.to_owned(),
        };
        Ok(BaoTarget { addr, namespace, mount })
    }

    /// `{mount}/data/{path}`: the policy path of the secret's versions.
    pub fn data_path(&self, path: &str) -> String {
        format!("{}/data/{path}", self.mount)
    }

    /// `{mount}/metadata/{path}`: the policy path of its metadata.
    pub fn metadata_path(&self, path: &str) -> String {
        format!("{}/metadata/{path}", self.mount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let ok = [
            ("https://vault.example.com:8200", "https://vault.example.com:8200", "vault.example.com", "https://vault.example.com/*"),
            ("  HTTPS://Vault.Example.COM:8200/  ", "https://vault.example.com:8200", "vault.example.com", "https://vault.example.com/*"),
            ("vault.example.com", "https://vault.example.com", "vault.example.com", "https://vault.example.com/*"),
            ("vault.example.com:443", "https://vault.example.com", "vault.example.com", "https://vault.example.com/*"),
            ("https://vault.example.com:8200/v1", "https://vault.example.com:8200", "vault.example.com", "https://vault.example.com/*"),
            ("https://vault.example.com:8200/v1/", "https://vault.example.com:8200", "vault.example.com", "https://vault.example.com/*"),
            ("https://vault.example.com/ui/vault/secrets/secret/kv/list", "https://vault.example.com", "vault.example.com", "https://vault.example.com/*"),
            ("https://vault.example.com/ui", "https://vault.example.com", "vault.example.com", "https://vault.example.com/*"),
            ("http://127.0.0.1:8200", "http://127.0.0.1:8200", "127.0.0.1", "http://127.0.0.1/*"),
            ("http://127.3.4.5:8200", "http://127.3.4.5:8200", "127.3.4.5", "http://127.3.4.5/*"),
            ("http://localhost:8200/", "http://localhost:8200", "localhost", "http://localhost/*"),
            ("http://LOCALHOST", "http://localhost", "localhost", "http://localhost/*"),
            ("http://[::1]:8200", "http://[::1]:8200", "[::1]", "http://[::1]/*"),
            ("http://[0:0:0:0:0:0:0:1]:80", "http://[::1]", "[::1]", "http://[::1]/*"),
            ("https://[2001:DB8::1]:8200", "https://[2001:db8::1]:8200", "[2001:db8::1]", "https://[2001:db8::1]/*"),
            ("https://10.0.0.5:8200", "https://10.0.0.5:8200", "10.0.0.5", "https://10.0.0.5/*"),
            ("localhost:8200", "https://localhost:8200", "localhost", "https://localhost/*"),
            ("https://bao_1.internal:8200", "https://bao_1.internal:8200", "bao_1.internal", "https://bao_1.internal/*"),
        ];
        for (input, origin, host, pattern) in ok {
            let a = BaoAddr::parse(input).unwrap_or_else(|e| panic!("{input}: {e:?}"));
            assert_eq!((a.origin(), a.host(), a.permission_pattern().as_str()), (origin, host, pattern), "{input}");
            assert_eq!(a.to_string(), origin);
        }
        let bad = [
            ("", "enter the server address"),
            ("   ", "enter the server address"),
            ("http://vault.example.com:8200", "use https://"),
            ("http://10.0.0.5", "use https://"),
            ("http://[::ffff:127.0.0.1]", "use https://"),
            ("http://localhost.example.com", "use https://"),
            ("http://127.1", "not a valid IPv4"),
            ("https://0x7f.0.0.1", "not a valid IPv4"),
            ("https://1.2.3.4.5", "not a valid IPv4"),
            ("ftp://vault.example.com", "must start with https://"),
            ("javascript://x", "must start with https://"),
            ("https://user:pw@vault.example.com", "user name or password"),
            ("https://vault.example.com@evil.example", "user name or password"),
            ("https://vault.example.com/?x=1", "query"),
            ("https://vault.example.com#frag", "fragment"),
            ("https://vault.example.com/v1/secret/data/x", "without a path"),
            ("https://vault.example.com/vault", "without a path"),
            ("https://vault.example.com/uix", "without a path"),
            ("https://evil.example\\@vault.example.com", "without a path"),
            ("https://vault.example.com:0", "not a valid port"),
            ("https://vault.example.com:65536", "not a valid port"),
            ("https://vault.example.com:82a", "not a valid port"),
            ("https://vault.example.com:1:2", "not a valid port"),
            ("https://vault example.com", "spaces"),
            ("https://vault\u{0}.example.com", "spaces"),
            ("https://vault..example.com", "not a valid host name"),
            ("https://vault.example.com.", "not a valid host name"),
            ("https://va%6Cult.example.com", "not a valid host name"),
            ("https://:8200", "no host name"),
            ("https://", "no host name"),
            ("https://bücher.example", "xn--"),
            ("https://[::1", "closing ]"),
            ("https://[::g]", "not a valid IPv6"),
            ("https://[::1]x", "after the IPv6"),
        ];
        for (input, needle) in bad {
            match BaoAddr::parse(input) {
                Err(BaoError::BadAddress(m)) => assert!(m.contains(needle), "{input}: {m}"),
                other => panic!("{input}: {other:?}"),
            }
        }
    }

    #[test]
    fn targets() {
        let a = BaoAddr::parse("https://vault.example.com").unwrap();
        let t = BaoTarget::new(a.clone(), None, None).unwrap();
        assert_eq!((t.namespace.as_deref(), t.mount.as_str()), (None, "secret"));
        let t = BaoTarget::new(a.clone(), Some(" /team1/sub/ "), Some("/team/kv/")).unwrap();
        assert_eq!((t.namespace.as_deref(), t.mount.as_str()), (Some("team1/sub"), "team/kv"));
        assert_eq!(t.data_path("azure/x"), "team/kv/data/azure/x");
        assert_eq!(t.metadata_path("azure/x"), "team/kv/metadata/azure/x");
        let t = BaoTarget::new(a.clone(), Some(""), Some("  ")).unwrap();
        assert_eq!((t.namespace, t.mount.as_str()), (None, "secret"));
        for ns in ["a//b", "a/../b", "..", "a b", "a\u{1}", "équipe", &"n".repeat(257)] {
            assert!(matches!(BaoTarget::new(a.clone(), Some(ns), None), Err(BaoError::BadNamespace(_))), "{ns}");
        }
        for m in ["a//b", ".", "kv/..", "my kv", "k\tv", &"m".repeat(257)] {
            assert!(matches!(BaoTarget::new(a.clone(), None, Some(m)), Err(BaoError::BadMount(_))), "{m}");
        }
        assert!(BaoTarget::new(a, None, Some("clés")).is_ok(), "a mount is percent-encoded in URLs");
    }
}
