//! OAuth 2.0 authorization code flow with PKCE (RFC 7636) against the
//! Microsoft identity platform, as pure functions: the background supplies
//! random bytes, runs `identity.launchWebAuthFlow` and the token fetch.
//!
//! MSAL.js does not run in an MV3 service worker, hence this small, own
//! implementation (SHA-256, base64url and percent-encoding come from the `sha2`, `base64`
//! and `percent-encoding` crates).

use crate::core::i18n::tr;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::IgnoredAny;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::core::keyvault::{ct_eq, Cloud};

/// Public cloud scopes: delegated Key Vault access plus a refresh token.
pub const DEFAULT_SCOPE: &str = "https://vault.azure.net/user_impersonation offline_access";

// ---------- SHA-256, base64url and percent-encoding (thin wrappers over the crates) ----------

/// SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// base64url without padding (RFC 4648 §5).
pub fn base64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded, so the
/// output is safe both in a query string and in an `application/x-www-form-urlencoded` body.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Decodes a query/form component (`+` is a space); `None` if malformed or not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    // The crate keeps a malformed `%` escape as is; a form value with one is refused here.
    let b = s.as_bytes();
    let well_formed = b.iter().enumerate().all(|(i, &c)| c != b'%' || b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if !well_formed {
        return None;
    }
    let plus_as_space = Zeroizing::new(s.replace('+', " "));
    percent_decode_str(&plus_as_space).decode_utf8().ok().map(|c| c.into_owned())
}

// ---------- PKCE ----------

/// Why PKCE material could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkceError {
    /// A verifier needs 32 to 96 random bytes (43 to 128 characters).
    BadRandomLength,
    /// A `state` needs at least 16 random bytes.
    StateTooShort,
}

/// A PKCE code verifier: 43-128 characters of the unreserved set. Debug redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(String);

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier(<redacted>)")
    }
}

impl CodeVerifier {
    /// base64url of 32-96 caller-supplied random bytes (`crypto.getRandomValues`).
    pub fn from_random(bytes: &[u8]) -> Result<CodeVerifier, PkceError> {
        if !(32..=96).contains(&bytes.len()) {
            return Err(PkceError::BadRandomLength);
        }
        Ok(CodeVerifier(base64url(bytes)))
    }

    /// Wraps an existing verifier (e.g. kept in `storage.session` during sign-in), checking RFC 7636's rules.
    pub fn parse(s: &str) -> Option<CodeVerifier> {
        let ok = (43..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        ok.then(|| CodeVerifier(s.to_owned()))
    }

    /// The verifier text, for the token request.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The S256 challenge: `base64url(sha256(verifier))`.
    pub fn challenge(&self) -> String {
        s256_challenge(&self.0)
    }
}

/// The S256 code challenge of a verifier.
pub fn s256_challenge(verifier: &str) -> String {
    base64url(&sha256(verifier.as_bytes()))
}

/// An unguessable `state` from at least 16 caller-supplied random bytes.
pub fn state_from_random(bytes: &[u8]) -> Result<String, PkceError> {
    if bytes.len() < 16 {
        return Err(PkceError::StateTooShort);
    }
    Ok(base64url(bytes))
}

// ---------- authorize and token requests ----------

/// Where and as whom to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// `https://login.microsoftonline.com` (or a sovereign cloud's authority), no trailing slash.
    pub authority: String,
    /// Tenant: a GUID, a domain, or `organizations`.
    pub tenant: String,
    /// The public client's application ID.
    pub client_id: String,
    /// `https://<id>.chromiumapp.org/` or Firefox's `identity.getRedirectURL()`.
    pub redirect_uri: String,
    /// Space-separated scopes.
    pub scope: String,
}

impl AuthConfig {
    /// Configuration for Key Vault in `cloud`.
    pub fn for_cloud(cloud: Cloud, tenant: &str, client_id: &str, redirect_uri: &str) -> AuthConfig {
        AuthConfig {
            authority: format!("https://{}", cloud.authority_host()),
            tenant: tenant.to_owned(),
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scope: cloud.scopes().to_owned(),
        }
    }

    fn endpoint(&self, which: &str) -> String {
        format!("{}/{}/oauth2/v2.0/{which}", self.authority.trim_end_matches('/'), percent_encode(&self.tenant))
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> String {
        self.endpoint("token")
    }

    /// The authorize URL to open with `identity.launchWebAuthFlow`.
    pub fn authorize_url(&self, state: &str, code_challenge: &str, login_hint: Option<&str>) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", &self.client_id),
            ("response_type", "code"),
            ("redirect_uri", &self.redirect_uri),
            ("response_mode", "query"),
            ("scope", &self.scope),
            ("state", state),
            ("code_challenge", code_challenge),
            ("code_challenge_method", "S256"),
        ];
        if let Some(h) = login_hint.filter(|h| !h.is_empty()) {
            params.push(("login_hint", h));
        }
        format!("{}?{}", self.endpoint("authorize"), form(&params))
    }

    /// Form body for redeeming the authorization code.
    pub fn code_token_body(&self, code: &AuthCode, verifier: &CodeVerifier) -> String {
        form(&[
            ("client_id", &self.client_id),
            ("grant_type", "authorization_code"),
            ("code", &code.0),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", verifier.as_str()),
            ("scope", &self.scope),
        ])
    }

    /// Form body for a refresh-token grant.
    pub fn refresh_token_body(&self, refresh_token: &str) -> String {
        form(&[("client_id", &self.client_id), ("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("scope", &self.scope)])
    }
}

/// `k=v&k=v` with both sides percent-encoded.
pub fn form(params: &[(&str, &str)]) -> String {
    params.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

// ---------- redirect ----------

/// The authorization code from the redirect. Debug redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthCode(String);

impl AuthCode {
    /// The code text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthCode(<redacted>)")
    }
}

/// Why the redirect does not carry a usable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectError {
    /// Not our redirect URI.
    WrongRedirectUri,
    /// `state` missing or not ours (possible CSRF): ignore the response.
    StateMismatch,
    /// A parameter appears twice or is malformed.
    Malformed,
    /// The identity platform returned an error (`error`, `error_description`).
    Denied {
        /// The OAuth error code, e.g. `access_denied`.
        error: String,
        /// Its description (AADSTS code and text), cleaned.
        description: String,
    },
    /// Neither a code nor an error.
    NoCode,
}

impl RedirectError {
    /// A short user-facing message.
    pub fn user_message(&self) -> String {
        match self {
            RedirectError::Denied { error, description } if error == "access_denied" => tr("signInCancelled", &[description]),
            RedirectError::Denied { error, description } => tr("signInFailed", &[error, description]),
            _ => tr("signInNoCode", &[]),
        }
    }
}

fn clean(s: &str, max: usize) -> String {
    s.chars().take(max).map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// Parses the URL `launchWebAuthFlow` returned: checks it is our redirect URI
/// and that `state` matches (constant time), then returns the code or the error.
pub fn parse_redirect(url: &str, redirect_uri: &str, expected_state: &str) -> Result<AuthCode, RedirectError> {
    let without_fragment = url.split('#').next().unwrap_or("");
    let (base, query) = without_fragment.split_once('?').unwrap_or((without_fragment, ""));
    if base.trim_end_matches('/') != redirect_uri.trim_end_matches('/') {
        return Err(RedirectError::WrongRedirectUri);
    }
    let (mut code, mut state, mut error, mut desc) = (None, None, None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match k {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut desc,
            _ => continue,
        };
        // A repeated parameter could smuggle a second value past the check.
        if slot.is_some() {
            return Err(RedirectError::Malformed);
        }
        *slot = Some(percent_decode(v).ok_or(RedirectError::Malformed)?);
    }
    let state_ok = state.as_deref().is_some_and(|s| ct_eq(s.as_bytes(), expected_state.as_bytes()));
    if let Some(error) = error {
        // Errors may legitimately come without state; a wrong one is still refused.
        if state.is_some() && !state_ok {
            return Err(RedirectError::StateMismatch);
        }
        return Err(RedirectError::Denied { error: clean(&error, 64), description: clean(desc.as_deref().unwrap_or(""), 500) });
    }
    if !state_ok {
        return Err(RedirectError::StateMismatch);
    }
    match code {
        Some(c) if !c.is_empty() => Ok(AuthCode(c)),
        _ => Err(RedirectError::NoCode),
    }
}

// ---------- token response ----------

/// Tokens from the token endpoint. Debug redacts them.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// Bearer token for Key Vault.
    pub access_token: String,
    /// Refresh token (24 h for single-page-application clients), if issued.
    pub refresh_token: Option<String>,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
    /// Granted scopes.
    pub scope: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

/// A failed token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The refresh token or code is no longer valid, or the user must interact:
    /// run the interactive sign-in (only on the user's Save click).
    NeedsInteractiveSignIn(String),
    /// Another OAuth error (`invalid_client`, `unauthorized_client`…): a setup problem.
    Rejected {
        /// OAuth error code.
        error: String,
        /// Its description, cleaned.
        description: String,
    },
    /// The response is not a token response.
    BadResponse,
}

// The tokens are wiped when the response is dropped (a Drop impl: the fields stay plain
// `String`s for the callers).
impl Drop for TokenResponse {
    fn drop(&mut self) {
        self.access_token.zeroize();
        self.refresh_token.zeroize();
    }
}

/// The token endpoint's JSON, success and error members alike. Members of an unexpected type
/// are ignored (as if absent) rather than failing the whole body.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawToken {
    error: Option<Field>,
    error_description: Option<Field>,
    token_type: Option<Field>,
    access_token: Option<Field>,
    refresh_token: Option<Field>,
    expires_in: Option<Field>,
    scope: Option<Field>,
}

/// A string, a number (`expires_in` comes as either), or anything else (ignored).
#[derive(Deserialize)]
#[serde(untagged)]
enum Field {
    Str(String),
    Num(u64),
    Other(IgnoredAny),
}

impl Field {
    fn as_str(&self) -> Option<&str> {
        match self {
            Field::Str(s) => Some(s),
            _ => None,
        }
    }
}

// Tokens pass through here: wipe every string the parse produced.
impl Drop for Field {
    fn drop(&mut self) {
        if let Field::Str(s) = self {
            s.zeroize();
        }
    }
}

/// Parses the token endpoint's response (status and JSON body). Wipes its copies of the tokens.
pub fn parse_token_response(status: u16, body: &[u8]) -> Result<TokenResponse, TokenError> {
    let raw: RawToken = serde_json::from_slice(body).map_err(|_| TokenError::BadResponse)?;
    token_from_raw(status, &raw)
}

fn token_from_raw(status: u16, raw: &RawToken) -> Result<TokenResponse, TokenError> {
    fn s(f: &Option<Field>) -> Option<&str> {
        f.as_ref().and_then(Field::as_str)
    }
    if let Some(error) = s(&raw.error) {
        let description = clean(s(&raw.error_description).unwrap_or(""), 500);
        return Err(match error {
            "invalid_grant" | "interaction_required" | "login_required" | "consent_required" => TokenError::NeedsInteractiveSignIn(description),
            _ => TokenError::Rejected { error: clean(error, 64), description },
        });
    }
    if status != 200 || !s(&raw.token_type).is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
        return Err(TokenError::BadResponse);
    }
    let access_token = s(&raw.access_token).filter(|t| !t.is_empty()).ok_or(TokenError::BadResponse)?;
    let expires_in = match &raw.expires_in {
        Some(Field::Num(n)) => Some(*n),
        Some(Field::Str(n)) => n.parse().ok(),
        _ => None,
    }
    .ok_or(TokenError::BadResponse)?;
    Ok(TokenResponse {
        access_token: access_token.to_owned(),
        refresh_token: s(&raw.refresh_token).filter(|t| !t.is_empty()).map(str::to_owned),
        expires_in,
        scope: s(&raw.scope).unwrap_or("").to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_vectors() {
        // RFC 4648 §10, base64url alphabet, no padding.
        let cases = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")];
        for (i, o) in cases {
            assert_eq!(base64url(i.as_bytes()), o);
        }
        assert_eq!(base64url(&[0xfb, 0xff, 0xfe]), "-__-");
    }

    #[test]
    fn rfc7636_appendix_b() {
        let random =
            [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121];
        let v = CodeVerifier::from_random(&random).unwrap();
        assert_eq!(v.as_str(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(v.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(format!("{v:?}"), "CodeVerifier(<redacted>)");
    }

    #[test]
    fn verifier_lengths() {
        assert_eq!(CodeVerifier::from_random(&[0; 31]), Err(PkceError::BadRandomLength));
        assert_eq!(CodeVerifier::from_random(&[0; 97]), Err(PkceError::BadRandomLength));
        assert_eq!(CodeVerifier::from_random(&[0; 32]).unwrap().as_str().len(), 43);
        assert_eq!(CodeVerifier::from_random(&[255; 96]).unwrap().as_str().len(), 128);
        assert!(CodeVerifier::parse(&"a".repeat(42)).is_none());
        assert!(CodeVerifier::parse(&"a~.-_".repeat(10)).is_some());
        assert!(CodeVerifier::parse(&"a+".repeat(30)).is_none());
        assert_eq!(state_from_random(&[1; 15]), Err(PkceError::StateTooShort));
        assert_eq!(state_from_random(&[0; 16]).unwrap(), "AAAAAAAAAAAAAAAAAAAAAA");
    }

    #[test]
    fn percent_coding() {
        assert_eq!(percent_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(percent_decode("a%20b+c%2f%C3%A9").as_deref(), Some("a b c/é"));
        for bad in ["%", "%2", "%zz", "%C3"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
        for s in ["", "plain", "x y+z&%=?#/\u{0}🔑"] {
            assert_eq!(percent_decode(&percent_encode(s)).as_deref(), Some(s));
        }
    }

    fn cfg() -> AuthConfig {
        AuthConfig::for_cloud(Cloud::Public, "organizations", "11111111-2222-3333-4444-555555555555", "https://abcdefgh.chromiumapp.org/")
    }

    #[test]
    fn authorize_url() {
        let url = cfg().authorize_url("st&ate", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Some("me@contoso.com"));
        assert_eq!(
            url,
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=11111111-2222-3333-4444-555555555555\
             &response_type=code&redirect_uri=https%3A%2F%2Fabcdefgh.chromiumapp.org%2F&response_mode=query\
             &scope=https%3A%2F%2Fvault.azure.net%2Fuser_impersonation%20offline_access&state=st%26ate\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&login_hint=me%40contoso.com"
        );
        let gov = AuthConfig::for_cloud(Cloud::UsGovernment, "a/b", "c", "r");
        let url = gov.authorize_url("s", "c", None);
        assert!(url.starts_with("https://login.microsoftonline.us/a%2Fb/oauth2/v2.0/authorize?"));
        assert!(url.contains("scope=https%3A%2F%2Fvault.usgovcloudapi.net%2Fuser_impersonation%20offline_access"));
        assert!(!url.contains("login_hint"));
        assert_eq!(AuthConfig::for_cloud(Cloud::China, "t", "c", "r").token_url(), "https://login.chinacloudapi.cn/t/oauth2/v2.0/token");
        assert_eq!(DEFAULT_SCOPE, Cloud::Public.scopes());
    }

    #[test]
    fn token_bodies() {
        let v = CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let code = AuthCode("0.AX+code/with=chars".into());
        assert_eq!(
            cfg().code_token_body(&code, &v),
            "client_id=11111111-2222-3333-4444-555555555555&grant_type=authorization_code&code=0.AX%2Bcode%2Fwith%3Dchars\
             &redirect_uri=https%3A%2F%2Fabcdefgh.chromiumapp.org%2F&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\
             &scope=https%3A%2F%2Fvault.azure.net%2Fuser_impersonation%20offline_access"
        );
        assert_eq!(
            cfg().refresh_token_body("rt&x"),
            "client_id=11111111-2222-3333-4444-555555555555&grant_type=refresh_token&refresh_token=rt%26x\
             &scope=https%3A%2F%2Fvault.azure.net%2Fuser_impersonation%20offline_access"
        );
    }

    #[test]
    fn redirects() {
        let r = "https://abcdefgh.chromiumapp.org/";
        let ok = parse_redirect("https://abcdefgh.chromiumapp.org/?code=0.AX%2Bc&state=s1&session_state=x#frag", r, "s1");
        assert_eq!(ok.map(|c| c.as_str().to_owned()), Ok("0.AX+c".into()));
        assert!(parse_redirect("https://abcdefgh.chromiumapp.org?state=s1&code=c", r, "s1").is_ok());
        assert_eq!(parse_redirect("https://abcdefgh.chromiumapp.org/?code=c&state=s2", r, "s1"), Err(RedirectError::StateMismatch));
        assert_eq!(parse_redirect("https://abcdefgh.chromiumapp.org/?code=c", r, "s1"), Err(RedirectError::StateMismatch));
        assert_eq!(parse_redirect("https://evil.example/?code=c&state=s1", r, "s1"), Err(RedirectError::WrongRedirectUri));
        assert_eq!(parse_redirect("https://abcdefgh.chromiumapp.org.evil/?code=c&state=s1", r, "s1"), Err(RedirectError::WrongRedirectUri));
        assert_eq!(parse_redirect("https://abcdefgh.chromiumapp.org/?code=c&code=d&state=s1", r, "s1"), Err(RedirectError::Malformed));
        assert_eq!(parse_redirect("https://abcdefgh.chromiumapp.org/?code=%zz&state=s1", r, "s1"), Err(RedirectError::Malformed));
        assert_eq!(parse_redirect("https://abcdefgh.chromiumapp.org/?state=s1", r, "s1"), Err(RedirectError::NoCode));
        let denied = parse_redirect(
            "https://abcdefgh.chromiumapp.org/?error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent.%0D%0A&state=s1",
            r,
            "s1",
        );
        let e = denied.unwrap_err();
        assert_eq!(e, RedirectError::Denied { error: "access_denied".into(), description: "AADSTS65004: User declined to consent.".into() });
        assert!(e.user_message().contains("cancelled"));
        assert!(matches!(parse_redirect("https://abcdefgh.chromiumapp.org/?error=server_error", r, "s1"), Err(RedirectError::Denied { .. })));
        assert_eq!(parse_redirect("https://abcdefgh.chromiumapp.org/?error=x&state=bad", r, "s1"), Err(RedirectError::StateMismatch));
    }

    #[test]
    fn token_responses() {
        let ok = br#"{"token_type":"Bearer","scope":"https://vault.azure.net/user_impersonation","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAi.x.y","refresh_token":"0.AXrt","refresh_token_expires_in":86399}"#;
        let t = parse_token_response(200, ok).unwrap();
        assert_eq!((t.access_token.as_str(), t.refresh_token.as_deref(), t.expires_in), ("eyJ0eXAi.x.y", Some("0.AXrt"), 3599));
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("eyJ") && !dbg.contains("0.AXrt"));
        let no_rt = br#"{"token_type":"bearer","expires_in":"3600","access_token":"a"}"#;
        assert_eq!(parse_token_response(200, no_rt).unwrap().refresh_token, None);
        let expired = br#"{"error":"invalid_grant","error_description":"AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00.","error_codes":[700084]}"#;
        assert!(matches!(parse_token_response(400, expired), Err(TokenError::NeedsInteractiveSignIn(d)) if d.starts_with("AADSTS700084")));
        let spa = br#"{"error":"invalid_request","error_description":"AADSTS9002327: Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests."}"#;
        assert!(matches!(parse_token_response(400, spa), Err(TokenError::Rejected { error, .. }) if error == "invalid_request"));
        assert_eq!(parse_token_response(200, br#"{"token_type":"Bearer","expires_in":1}"#), Err(TokenError::BadResponse));
        assert_eq!(parse_token_response(200, br#"{"token_type":"pop","expires_in":1,"access_token":"a"}"#), Err(TokenError::BadResponse));
        assert_eq!(parse_token_response(502, b"<html>"), Err(TokenError::BadResponse));
        // A member of an unexpected type is ignored, not fatal: the rest still decides.
        let odd = br#"{"token_type":"Bearer","expires_in":60,"access_token":"a","scope":5,"refresh_token":null}"#;
        let t = parse_token_response(200, odd).unwrap();
        assert_eq!((t.scope.as_str(), t.refresh_token.as_deref()), ("", None));
        assert_eq!(parse_token_response(200, br#"{"token_type":"Bearer","expires_in":-1,"access_token":"a"}"#), Err(TokenError::BadResponse));
    }
}
