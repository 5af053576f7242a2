//! The Microsoft identity platform replica: `/{tenant}/oauth2/v2.0/authorize` and `/token`
//! (authorization code flow with PKCE, refresh tokens of single-page applications).

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
/// A request whose body the server already read (it records every request: the e2e leak scan).
type ReqBody = http_body_util::Full<Bytes>;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio_rustls::rustls;

use super::super::server::civil;
use super::http::{encode, header, json_response, Params};
use super::{Inner, KvState, B64URL, HEX, KV_CLIENT_ID, KV_RESOURCE, KV_SCOPE, LOGIN_HOST};

/// Authorization codes live about 10 minutes.
const CODE_LIFETIME: i64 = 600;
const ACCESS_LIFETIME: i64 = 3599;
/// Refresh tokens of single-page-application clients: 24 hours, not extended by use.
const SPA_REFRESH_LIFETIME: i64 = 86_400;

/// One request to the identity platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthLogged {
    /// `authorize` or `token`.
    pub endpoint: &'static str,
    /// Tenant segment of the URL (`organizations`, a GUID…).
    pub tenant: String,
    /// `grant_type` (token requests).
    pub grant_type: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `Origin` header (recorded, not enforced).
    pub origin: Option<String>,
    /// Whether a code (authorize) or tokens (token) were issued.
    pub ok: bool,
    /// The OAuth error answered, if any (`invalid_grant`, `access_denied`…).
    pub error: Option<String>,
}

pub(super) struct AuthCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scopes: Vec<String>,
    issued: i64,
    used: bool,
}

pub(super) struct AccessToken {
    // Read by the vault, which accepts only its own live tokens.
    pub(super) audience: String,
    pub(super) client_id: String,
    pub(super) expires: i64,
    pub(super) revoked: bool,
}

pub(super) struct RefreshToken {
    client_id: String,
    scopes: Vec<String>,
    issued: i64,
    expires: i64,
}

impl KvState {
    /// The next authorize request answers `access_denied` (the user refused consent).
    pub fn deny_next(&self) {
        self.lock().deny_next = true;
    }

    /// Every identity platform request so far.
    pub fn auth_requests(&self) -> Vec<AuthLogged> {
        self.lock().auth_log.clone()
    }

    /// Invalidates every access token issued so far; refresh tokens keep working.
    pub fn revoke_tokens(&self) {
        for t in self.lock().access.values_mut() {
            t.revoked = true;
        }
    }
}

pub(super) async fn identity(req: Request<ReqBody>, st: &KvState) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        [tenant, "oauth2", "v2.0", "authorize"] => {
            let tenant = tenant.to_string();
            authorize(&req, &tenant, st)
        }
        [tenant, "oauth2", "v2.0", "token"] => {
            let tenant = tenant.to_string();
            token(req, &tenant, st).await
        }
        _ => html_page(StatusCode::NOT_FOUND, "Not found."),
    }
}

fn known_tenant(tenant: &str, st: &KvState) -> bool {
    matches!(tenant, "organizations" | "common") || tenant.eq_ignore_ascii_case(&st.tenant)
}

/// `https://<32 letters a-p>.chromiumapp.org/…` (Chrome) or `https://<40 hex>.extensions.allizom.org/…`
/// (Firefox): the extension redirect URIs the replica app registration lists. No query or fragment.
fn registered_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("https://") else {
        return false;
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let id_ok = if let Some(id) = host.strip_suffix(".chromiumapp.org") {
        id.len() == 32 && id.bytes().all(|b| (b'a'..=b'p').contains(&b))
    } else if let Some(id) = host.strip_suffix(".extensions.allizom.org") {
        id.len() == 40 && id.bytes().all(|b| HEX.contains(&b))
    } else {
        false
    };
    id_ok && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b))
}

/// The resource (audience) of a scope such as `https://vault.azure.net/user_impersonation`.
fn scope_resource(scope: &str) -> Option<&str> {
    let rest = scope.strip_prefix("https://")?;
    let slash = rest.find('/')?;
    Some(&scope[..8 + slash])
}

/// Scopes that ask for no resource (OpenID Connect and refresh tokens).
fn is_oidc_scope(s: &str) -> bool {
    matches!(s, "openid" | "profile" | "email" | "offline_access")
}

fn is_vault_scope(s: &str) -> bool {
    s == KV_SCOPE || s == "https://vault.azure.net/.default"
}

/// A refused authorize request: shown on the service's own page, or sent back to the
/// redirect URI once that is known to be registered (never to an unvalidated URI, which
/// would make the endpoint an open redirector).
struct Refusal {
    on_page: bool,
    error: &'static str,
    text: String,
}

fn page(error: &'static str, text: impl Into<String>) -> Refusal {
    Refusal { on_page: true, error, text: text.into() }
}

fn back(error: &'static str, text: impl Into<String>) -> Refusal {
    Refusal { on_page: false, error, text: text.into() }
}

fn authorize(req: &Request<ReqBody>, tenant: &str, st: &KvState) -> Response<Full<Bytes>> {
    let p = Params::parse(req.uri().query().unwrap_or(""));
    let param = |k: &str| p.get(k).map(str::to_owned);
    let mut log = AuthLogged {
        endpoint: "authorize",
        tenant: tenant.to_owned(),
        grant_type: None,
        client_id: param("client_id"),
        redirect_uri: param("redirect_uri"),
        scope: param("scope"),
        origin: header(req, "origin"),
        ok: false,
        error: None,
    };
    let mut inner = st.lock();
    let fragment = p.get("response_mode") == Some("fragment");
    let resp = match authorize_checks(req.method(), tenant, &p, st, &mut inner) {
        Ok(code) => {
            log.ok = true;
            let session_state = inner.rng.guid();
            let mut pairs = vec![("code", code.as_str())];
            pairs.extend(p.get("state").map(|s| ("state", s)));
            pairs.push(("session_state", &session_state));
            redirect(p.get("redirect_uri").unwrap_or(""), fragment, &pairs)
        }
        Err(r) => {
            log.error = Some(r.error.to_owned());
            if r.on_page {
                html_page(StatusCode::BAD_REQUEST, &r.text)
            } else {
                let mut pairs = vec![("error", r.error), ("error_description", &r.text)];
                pairs.extend(p.get("state").map(|s| ("state", s)));
                redirect(p.get("redirect_uri").unwrap_or(""), fragment, &pairs)
            }
        }
    };
    inner.auth_log.push(log);
    resp
}

/// Validates an authorize request; on success stores and returns a new code.
fn authorize_checks(method: &Method, tenant: &str, p: &Params, st: &KvState, inner: &mut Inner) -> Result<String, Refusal> {
    let missing = |k: &str| format!("AADSTS900144: The request body must contain the following parameter: '{k}'.");
    if method != Method::GET {
        return Err(page("invalid_request", "AADSTS900561: The replica authorize endpoint only accepts GET requests."));
    }
    if p.malformed {
        return Err(page("invalid_request", "AADSTS900144: The request is malformed (bad percent-encoding)."));
    }
    if let Some(k) = p.duplicate() {
        return Err(page("invalid_request", format!("AADSTS900144: The parameter '{k}' appears more than once.")));
    }
    if !known_tenant(tenant, st) {
        return Err(page(
            "invalid_request",
            format!("AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        ));
    }
    let client_id = p.get("client_id").ok_or_else(|| page("invalid_request", missing("client_id")))?;
    if !client_id.eq_ignore_ascii_case(KV_CLIENT_ID) {
        return Err(page("unauthorized_client", format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")));
    }
    let redirect_uri = p.get("redirect_uri").ok_or_else(|| page("invalid_request", "AADSTS900971: No reply address provided."))?;
    if !registered_redirect(redirect_uri) {
        return Err(page("invalid_request", format!("AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{KV_CLIENT_ID}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.")));
    }

    // From here on, errors go back to the (registered) redirect URI.
    if let Some(m) = p.get("response_mode").filter(|m| !matches!(*m, "query" | "fragment")) {
        return Err(back("invalid_request", format!("AADSTS900144: response_mode '{m}' is not supported by the replica (query or fragment).")));
    }
    match p.get("response_type") {
        None => return Err(back("invalid_request", missing("response_type"))),
        Some("code") => {}
        Some(rt) => return Err(back("unsupported_response_type", format!("AADSTS700051: response_type '{rt}' is not enabled for the application."))),
    }
    let scope = p.get("scope").ok_or_else(|| back("invalid_request", missing("scope")))?;
    let scopes: Vec<String> = scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if !scopes.iter().any(|s| is_vault_scope(s)) {
        return Err(back("invalid_scope", format!("AADSTS70011: The provided value for the input parameter 'scope' is not valid. The replica app registration only has the delegated permission {KV_SCOPE}.")));
    }
    let challenge = p
        .get("code_challenge")
        .ok_or_else(|| back("invalid_request", "AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption."))?;
    if p.get("code_challenge_method") != Some("S256") {
        return Err(back("invalid_request", "AADSTS501492: The replica only accepts code_challenge_method=S256."));
    }
    if challenge.len() != 43 || !challenge.bytes().all(|b| B64URL.contains(&b)) {
        return Err(back("invalid_request", "AADSTS501491: Invalid size of Code_Challenge parameter."));
    }
    if let Some(prompt) = p.get("prompt").filter(|v| !matches!(*v, "login" | "none" | "consent" | "select_account" | "create")) {
        return Err(back("invalid_request", format!("AADSTS90023: Invalid prompt value '{prompt}'.")));
    }
    if std::mem::take(&mut inner.deny_next) {
        return Err(back("access_denied", "AADSTS65004: User declined to consent to access the app."));
    }

    // The real service would now show its sign-in and consent pages; the replica has no
    // login UI and signs the test user in at once.
    let code = inner.token("0.AXoA", 160);
    let issued = inner.now();
    inner.codes.insert(
        code.clone(),
        AuthCode { client_id: client_id.to_owned(), redirect_uri: redirect_uri.to_owned(), challenge: challenge.to_owned(), scopes, issued, used: false },
    );
    Ok(code)
}

fn redirect(redirect_uri: &str, fragment: bool, pairs: &[(&str, &str)]) -> Response<Full<Bytes>> {
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let sep = if fragment { '#' } else { '?' };
    let location = format!("{redirect_uri}{sep}{}", query.join("&"));
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::FOUND;
    let h = resp.headers_mut();
    h.insert(LOCATION, HeaderValue::from_str(&location).unwrap());
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store, no-cache"));
    resp
}

async fn token(req: Request<ReqBody>, tenant: &str, st: &KvState) -> Response<Full<Bytes>> {
    let origin = header(&req, "origin");
    if req.method() == Method::OPTIONS {
        // CORS preflight: the token endpoint serves single-page applications cross-origin.
        let mut resp = Response::new(Full::new(Bytes::new()));
        *resp.status_mut() = StatusCode::OK;
        let requested = header(&req, "access-control-request-headers");
        let h = resp.headers_mut();
        cors(h, origin.as_deref());
        h.insert("access-control-allow-methods", HeaderValue::from_static("POST, OPTIONS"));
        let allow = requested.unwrap_or_else(|| "content-type".into());
        if let Ok(v) = HeaderValue::from_str(&allow) {
            h.insert("access-control-allow-headers", v);
        }
        h.insert("access-control-max-age", HeaderValue::from_static("86400"));
        return resp;
    }
    let method = req.method().clone();
    let ctype = header(&req, "content-type").unwrap_or_default();
    let body = Limited::new(req.into_body(), 64 * 1024).collect().await.map(|b| b.to_bytes());
    let is_form = ctype.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    // A body that is not a form reads as one without parameters, as on the real service.
    let form = match &body {
        Ok(b) if is_form => Params::parse(&String::from_utf8_lossy(b)),
        _ => Params::default(),
    };
    let param = |k: &str| form.get(k).map(str::to_owned);
    let mut log = AuthLogged {
        endpoint: "token",
        tenant: tenant.to_owned(),
        grant_type: param("grant_type"),
        client_id: param("client_id"),
        redirect_uri: param("redirect_uri"),
        scope: param("scope"),
        origin: origin.clone(),
        ok: false,
        error: None,
    };
    let mut inner = st.lock();
    let (status, value) = match token_inner(&method, tenant, &form, st, &mut inner) {
        Ok(v) => {
            log.ok = true;
            (StatusCode::OK, v)
        }
        Err(e) => {
            log.error = Some(e.error.to_owned());
            (e.status, e.to_json(&mut inner))
        }
    };
    inner.auth_log.push(log);
    drop(inner);
    let mut resp = json_response(status, &value);
    let h = resp.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store, no-cache"));
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    cors(h, origin.as_deref());
    resp
}

/// `Access-Control-Allow-Origin` echoing the caller's origin, as the real endpoint does for
/// cross-origin redemption by SPA clients.
fn cors(h: &mut hyper::HeaderMap, origin: Option<&str>) {
    if let Some(v) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        h.insert("access-control-allow-origin", v);
        h.insert("vary", HeaderValue::from_static("Origin"));
    }
}

struct OAuthError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    text: String,
}

impl OAuthError {
    fn new(error: &'static str, code: u32, text: impl Into<String>) -> OAuthError {
        OAuthError { status: StatusCode::BAD_REQUEST, error, code, text: text.into() }
    }

    fn grant(code: u32, text: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_grant", code, text)
    }

    fn missing(param: &str) -> OAuthError {
        OAuthError::new("invalid_request", 900144, format!("The request body must contain the following parameter: '{param}'."))
    }

    /// The identity platform's JSON error: AADSTS code, trace and correlation IDs, timestamp.
    fn to_json(&self, inner: &mut Inner) -> Value {
        let trace = inner.rng.guid();
        let correlation = inner.rng.guid();
        let ts = ests_timestamp(inner.now());
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {ts}",
                self.code, self.text
            ),
            "error_codes": [self.code],
            "timestamp": ts,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://{LOGIN_HOST}/error?code={}", self.code),
        })
    }
}

fn token_inner(method: &Method, tenant: &str, p: &Params, st: &KvState, inner: &mut Inner) -> Result<Value, OAuthError> {
    if method != Method::POST {
        return Err(OAuthError::new("invalid_request", 900561, format!("The endpoint only accepts POST, OPTIONS requests. Received a {method} request.")));
    }
    if !known_tenant(tenant, st) {
        return Err(OAuthError::new(
            "invalid_request",
            90002,
            format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        ));
    }
    if p.malformed {
        return Err(OAuthError::new("invalid_request", 900144, "The request body is malformed (bad percent-encoding)."));
    }
    if let Some(k) = p.duplicate() {
        return Err(OAuthError::new("invalid_request", 900144, format!("The parameter '{k}' appears more than once.")));
    }
    let grant_type = p.get("grant_type").ok_or_else(|| OAuthError::missing("grant_type"))?;
    let client_id = p.get("client_id").ok_or_else(|| OAuthError::missing("client_id"))?;
    if !client_id.eq_ignore_ascii_case(KV_CLIENT_ID) {
        return Err(OAuthError::new("unauthorized_client", 700016, format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")));
    }
    if p.get("client_secret").is_some() || p.get("client_assertion").is_some() {
        return Err(OAuthError::new("invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."));
    }
    let now = inner.now();
    // (scopes, audience, refresh token to issue: (issued, expires, scopes))
    type Refresh = Option<(i64, i64, Vec<String>)>;
    let (scopes, audience, refresh): (Vec<String>, String, Refresh) = match grant_type {
        "authorization_code" => {
            let code = p.get("code").ok_or_else(|| OAuthError::missing("code"))?;
            let redirect_uri = p.get("redirect_uri").ok_or_else(|| OAuthError::missing("redirect_uri"))?;
            let Some(c) = inner.codes.get_mut(code) else {
                return Err(OAuthError::grant(9002313, "Invalid request. Request is malformed or invalid."));
            };
            if c.used {
                return Err(OAuthError::grant(
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                ));
            }
            if now - c.issued > CODE_LIFETIME {
                return Err(OAuthError::grant(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."));
            }
            if !c.client_id.eq_ignore_ascii_case(client_id) {
                return Err(OAuthError::grant(70000, "Provided grant is invalid or malformed."));
            }
            if c.redirect_uri != redirect_uri {
                return Err(OAuthError::grant(70000, "The provided value for the 'redirect_uri' is not valid. The value must exactly match the redirect URI used to obtain the authorization code."));
            }
            let verifier = p.get("code_verifier").ok_or_else(|| OAuthError::missing("code_verifier"))?;
            if base64url(&sha256(verifier.as_bytes())) != c.challenge {
                return Err(OAuthError::grant(501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."));
            }
            // Only a successful redemption uses the code up.
            c.used = true;
            let scopes = c.scopes.clone();
            // A refresh token only when offline_access was asked for.
            let refresh = scopes.iter().any(|s| s == "offline_access").then(|| (now, now + SPA_REFRESH_LIFETIME, scopes.clone()));
            (scopes, KV_RESOURCE.to_owned(), refresh)
        }
        "refresh_token" => {
            let rt = p.get("refresh_token").ok_or_else(|| OAuthError::missing("refresh_token"))?;
            let Some(r) = inner.refresh.get(rt) else {
                return Err(OAuthError::grant(9002313, "Invalid request. Request is malformed or invalid."));
            };
            if !r.client_id.eq_ignore_ascii_case(client_id) {
                return Err(OAuthError::grant(70000, "Provided grant is invalid or malformed."));
            }
            if now >= r.expires {
                return Err(OAuthError::grant(700084, format!("The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on {}.", ests_timestamp(r.issued))));
            }
            // Refresh tokens are multi-resource: a scope for another resource yields a token
            // with that audience (which Key Vault must refuse).
            let scopes: Vec<String> = match p.get("scope") {
                Some(s) => s.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                None => r.scopes.clone(),
            };
            let resource = scopes.iter().filter(|s| !is_oidc_scope(s)).find_map(|s| scope_resource(s));
            let audience = match resource {
                Some(res @ (KV_RESOURCE | "https://graph.microsoft.com" | "https://management.azure.com")) => res.to_owned(),
                Some(res) => {
                    return Err(OAuthError::new(
                        "invalid_resource",
                        500011,
                        format!("The resource principal named {res} was not found in the tenant named {}.", st.tenant),
                    ))
                }
                None => return Err(OAuthError::new("invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid.")),
            };
            // Rotated: a new refresh token with the original's expiry (SPA refresh tokens are
            // not extended by use); the old one stays valid too.
            let refresh = Some((r.issued, r.expires, r.scopes.clone()));
            (scopes, audience, refresh)
        }
        other => {
            return Err(OAuthError::new("unsupported_grant_type", 70003, format!("The app requested an unsupported grant type '{other}'.")));
        }
    };

    let access_token = inner.token("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.", 220);
    inner.access.insert(access_token.clone(), AccessToken { audience, client_id: client_id.to_owned(), expires: now + ACCESS_LIFETIME, revoked: false });
    // Granted scopes: the resource ones (offline_access only shows as a refresh token).
    let granted: Vec<&str> = scopes.iter().filter(|s| !is_oidc_scope(s)).map(|s| if is_vault_scope(s) { KV_SCOPE } else { s.as_str() }).collect();
    let mut out = json!({
        "token_type": "Bearer",
        "scope": granted.join(" "),
        "expires_in": ACCESS_LIFETIME,
        "ext_expires_in": ACCESS_LIFETIME,
        "access_token": access_token,
    });
    if let Some((issued, expires, scopes)) = refresh {
        let rt = inner.token("1.AXoA", 300);
        inner.refresh.insert(rt.clone(), RefreshToken { client_id: client_id.to_owned(), scopes, issued, expires });
        out["refresh_token"] = json!(rt);
        out["refresh_token_expires_in"] = json!(expires - now);
    }
    Ok(out)
}

/// `2024-05-30 07:08:12Z`, the identity platform's timestamp format.
fn ests_timestamp(t: i64) -> String {
    let (y, m, d) = civil(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

fn html_page(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sign in to your account</title></head>\
         <body><h1>Sorry, but we're having trouble signing you in.</h1><p id=\"error\">{escaped}</p></body></html>"
    );
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store, no-cache"));
    resp
}

/// SHA-256 from ring (through rustls), independent of the extension's own implementation.
fn sha256(data: &[u8]) -> Vec<u8> {
    let rustls::SupportedCipherSuite::Tls13(suite) = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256 else { unreachable!("a TLS 1.3 suite") };
    suite.common.hash_provider.hash(data).as_ref().to_vec()
}

/// base64url without padding (RFC 4648 §5).
fn base64url(data: &[u8]) -> String {
    let mut out = String::new();
    let mut bits = 0u32;
    let mut n = 0;
    for &b in data {
        bits = (bits << 8) | u32::from(b);
        n += 8;
        while n >= 6 {
            n -= 6;
            out.push(B64URL[((bits >> n) & 63) as usize] as char);
        }
    }
    if n > 0 {
        out.push(B64URL[((bits << (6 - n)) & 63) as usize] as char);
    }
    out
}
