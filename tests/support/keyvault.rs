//! Replicas of Azure Key Vault (data plane, secrets) and of the Microsoft identity platform
//! (authorization code flow with PKCE), served by the test server at their real hostnames.
//!
//! Neither service has an installable server, so these are replicas written from the
//! official REST specifications, not from the extension's client code:
//! - Key Vault secrets, REST API 2025-07-01:
//!   <https://learn.microsoft.com/rest/api/keyvault/secrets/>,
//!   errors: <https://learn.microsoft.com/azure/key-vault/general/rest-error-codes>;
//! - Microsoft identity platform v2.0, auth code + PKCE:
//!   <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow>,
//!   error codes: <https://learn.microsoft.com/entra/identity-platform/reference-error-codes>.
//!
//! Where the specs leave a detail open, the replica follows responses recorded from the
//! real services (Azure SDK test recordings): a versions listing of a name that never
//! existed is `200 {"value":[],"nextLink":null}`, not 404; error texts are the real ones
//! where known.
//!
//! Test hooks (fault queue, soft delete, consent refusal, token revocation, clock) are
//! reached through [`super::server::ReplicaServer`].
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use tokio_rustls::rustls;

use super::server::{civil, Rng};

/// Name of the replica vault.
pub const KV_VAULT: &str = "contoso-kv";
/// Host of the replica vault.
pub const KV_HOST: &str = "contoso-kv.vault.azure.net";
/// Host of the replica identity platform (public cloud).
pub const LOGIN_HOST: &str = "login.microsoftonline.com";
/// The registered public client (single-page application) the extension signs in as.
pub const KV_CLIENT_ID: &str = "5b2f7c1e-9d4a-4e86-b3c0-7a1d2e9f4c68";
/// Key Vault's resource identifier: the audience of its tokens.
pub const KV_RESOURCE: &str = "https://vault.azure.net";
/// The delegated scope the extension asks for.
pub const KV_SCOPE: &str = "https://vault.azure.net/user_impersonation";
/// Object ID of the test user the replica signs in.
pub const KV_USER_OID: &str = "0d6a3b5c-2e1f-4a7b-9c8d-e3f2a1b0c9d8";
/// Every host this module answers for (certificate names, browser host rules).
pub const HOSTS: &[&str] = &[KV_HOST, LOGIN_HOST];

/// API versions the vault accepts.
const API_VERSIONS: &[&str] = &["7.4", "7.5", "7.6", "2025-07-01"];
const LATEST_API_VERSION: &str = "2025-07-01";
const LOCATION_NAME: &str = "westeurope";
const SUBSCRIPTION: &str = "8f3e2d1c-0b9a-4786-a5b4-c3d2e1f0a9b8";
/// Authorization codes live about 10 minutes.
const CODE_LIFETIME: i64 = 600;
const ACCESS_LIFETIME: i64 = 3599;
/// Refresh tokens of single-page-application clients: 24 hours, not extended by use.
const SPA_REFRESH_LIFETIME: i64 = 86_400;
/// Largest secret value Key Vault stores (25 KiB).
const MAX_VALUE_BYTES: usize = 25 * 1024;
const MAX_TAGS: usize = 15;
const MAX_TAG_NAME_CHARS: usize = 512;
const MAX_TAG_VALUE_CHARS: usize = 256;
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &[u8] = b"0123456789abcdef";

/// Which vault operation a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvOp {
    /// `PUT /secrets/{name}` (Set Secret).
    Put,
    /// `GET /secrets/{name}[/{version}]` (Get Secret).
    Get,
    /// `GET /secrets/{name}/versions` (Get Secret Versions).
    Versions,
    /// Any of the above.
    Any,
}

/// What an injected fault does to the request it hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvFaultKind {
    /// 403 `Forbidden` / `ForbiddenByRbac`: no role assignment allows the action.
    Rbac,
    /// 403 `Forbidden` / `AccessDenied`: the vault's access policies do not allow it.
    AccessPolicy,
    /// 403 `Forbidden` / `ForbiddenByFirewall`: the client address is not allowed.
    Firewall,
    /// 429 `Throttled` with `Retry-After`.
    Throttle {
        /// Seconds sent in `Retry-After`.
        retry_after_secs: u64,
    },
    /// A 5xx with this status (503 `ServiceUnavailable`, 500 `InternalServerError`…).
    ServerError(u16),
    /// 401 with the challenge although the token is valid (revoked).
    Unauthorized,
    /// The connection is closed without a response (a network failure).
    Drop,
    /// Get only: the bundle comes back with a different value (read-back must catch it).
    Corrupt,
}

/// One queued fault: consumed by the next authenticated request it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvFault {
    /// Operation it applies to.
    pub op: KvOp,
    /// What happens.
    pub kind: KvFaultKind,
}

/// One stored secret version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvStored {
    /// Name as first created (names are case-insensitive).
    pub name: String,
    /// Version: 32 lowercase hex digits.
    pub version: String,
    /// The value.
    pub value: String,
    /// `contentType`, if sent.
    pub content_type: Option<String>,
    /// `attributes.enabled` (default true).
    pub enabled: bool,
    /// `attributes.exp` (Unix seconds).
    pub exp: Option<i64>,
    /// `attributes.nbf` (Unix seconds).
    pub nbf: Option<i64>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time (Unix seconds).
    pub created: i64,
}

/// One request the vault received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvLogged {
    /// HTTP method.
    pub method: String,
    /// Path and query as sent.
    pub path: String,
    /// Status answered; 0 when the connection was dropped.
    pub status: u16,
    /// Whether it carried a valid Key Vault access token.
    pub authorized: bool,
    /// The operation, if the path named one.
    pub op: Option<KvOp>,
    /// The injected fault it consumed, if any.
    pub fault: Option<KvFaultKind>,
}

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

/// Returned by [`handle`] to make the server close the connection without answering.
#[derive(Debug)]
pub struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

struct AuthCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scopes: Vec<String>,
    issued: i64,
    used: bool,
}

struct AccessToken {
    audience: String,
    client_id: String,
    expires: i64,
    revoked: bool,
}

struct RefreshToken {
    client_id: String,
    scopes: Vec<String>,
    issued: i64,
    expires: i64,
}

struct Inner {
    rng: Rng,
    clock_offset: i64,
    deny_next: bool,
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    auth_log: Vec<AuthLogged>,
    secrets: Vec<KvStored>,
    /// Lowercase name → name as first created.
    names: HashMap<String, String>,
    /// Lowercase names held by a deleted-but-recoverable secret.
    deleted: HashSet<String>,
    faults: VecDeque<KvFault>,
    /// Every vault connection is dropped unanswered (the network is down), token or not.
    outage: bool,
    /// Vault requests wait (answered normally once the stall ends): a save is mid-request.
    stall: bool,
    /// How many requests arrived while stalled.
    stalled: usize,
    kv_log: Vec<KvLogged>,
}

impl Inner {
    fn now(&self) -> i64 {
        unix_now() + self.clock_offset
    }

    fn token(&mut self, prefix: &str, n: usize) -> String {
        format!("{prefix}{}", self.rng.chars(B64URL, n))
    }
}

/// State of both replicas (one per server).
pub struct KvState {
    tenant: String,
    inner: Mutex<Inner>,
}

impl KvState {
    /// Empty vault, no sessions; `tenant` is the directory the test user and vault live in.
    pub fn new(tenant: String, seed: u64) -> KvState {
        KvState {
            tenant,
            inner: Mutex::new(Inner {
                rng: Rng(seed | 1),
                clock_offset: 0,
                deny_next: false,
                codes: HashMap::new(),
                access: HashMap::new(),
                refresh: HashMap::new(),
                auth_log: Vec::new(),
                secrets: Vec::new(),
                names: HashMap::new(),
                deleted: HashSet::new(),
                faults: VecDeque::new(),
                outage: false,
                stall: false,
                stalled: 0,
                kv_log: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panicking test thread must not poison the server for the others.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every stored version, in creation order.
    pub fn secrets(&self) -> Vec<KvStored> {
        self.lock().secrets.clone()
    }

    /// Queues a fault for the next matching authenticated vault request.
    pub fn fault(&self, f: KvFault) {
        self.lock().faults.push_back(f);
    }

    /// Starts or ends an outage: while on, every vault connection closes unanswered (a
    /// browser may resend a request on a fresh connection by itself; an outage drops those too).
    pub fn set_outage(&self, on: bool) {
        self.lock().outage = on;
    }

    /// Starts or ends a stall: while on, vault requests wait (60 s at most), then are answered
    /// normally. Lets a test act while a save is in the middle of a request.
    pub fn set_stall(&self, on: bool) {
        self.lock().stall = on;
    }

    /// How many vault requests arrived while stalled.
    pub fn stalled(&self) -> usize {
        self.lock().stalled
    }

    /// Drops every queued fault not consumed yet.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Marks `name` deleted but recoverable: invisible, and its name cannot be reused.
    pub fn soft_delete(&self, name: &str) {
        self.lock().deleted.insert(name.to_ascii_lowercase());
    }

    /// Stores a version directly, as if created earlier by someone else.
    pub fn seed_secret(&self, name: &str, value: &str) -> KvStored {
        let params = SetParams { value: value.to_owned(), content_type: None, enabled: true, nbf: None, exp: None, tags: BTreeMap::new() };
        store_version(&mut self.lock(), name, params)
    }

    /// Every vault request so far.
    pub fn requests(&self) -> Vec<KvLogged> {
        self.lock().kv_log.clone()
    }

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

    /// Moves both replicas' clock forward (expires codes and tokens).
    pub fn advance_clock(&self, secs: u64) {
        self.lock().clock_offset += i64::try_from(secs).unwrap_or(i64::MAX / 2);
    }
}

/// Whether `host` is served by this module.
pub fn serves(host: &str) -> bool {
    HOSTS.contains(&host) || VAULT_SUFFIXES.iter().any(|s| host.ends_with(s))
}

/// Vault DNS suffixes of the three clouds: any other vault name does not exist.
const VAULT_SUFFIXES: [&str; 3] = [".vault.azure.net", ".vault.usgovcloudapi.net", ".vault.azure.cn"];

/// Answers a request to one of [`HOSTS`]; `Err` closes the connection without a response.
pub async fn handle(req: Request<Incoming>, host: &str, st: &KvState) -> Result<Response<Full<Bytes>>, DropConnection> {
    if host == LOGIN_HOST {
        Ok(identity(req, st).await)
    } else if host == KV_HOST {
        vault(req, st).await
    } else {
        // A vault name that does not exist has no DNS record. Chromium's host rules map only
        // the known names, so it gets a DNS error; Firefox resolves every name to loopback,
        // so here the connection closes unanswered: a network failure either way.
        Err(DropConnection)
    }
}

// ---------------------------------------------------------------------------------------
// Identity platform
// ---------------------------------------------------------------------------------------

async fn identity(req: Request<Incoming>, st: &KvState) -> Response<Full<Bytes>> {
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

fn authorize(req: &Request<Incoming>, tenant: &str, st: &KvState) -> Response<Full<Bytes>> {
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

async fn token(req: Request<Incoming>, tenant: &str, st: &KvState) -> Response<Full<Bytes>> {
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

// ---------------------------------------------------------------------------------------
// Key Vault
// ---------------------------------------------------------------------------------------

enum Route {
    Set(String),
    Get(String, Option<String>),
    Versions(String),
}

impl Route {
    fn op(&self) -> KvOp {
        match self {
            Route::Set(_) => KvOp::Put,
            Route::Get(..) => KvOp::Get,
            Route::Versions(_) => KvOp::Versions,
        }
    }

    fn name(&self) -> &str {
        match self {
            Route::Set(n) | Route::Get(n, _) | Route::Versions(n) => n,
        }
    }
}

/// An authenticated vault request, parsed.
struct VaultCall {
    method: Method,
    query: String,
    route: Option<Route>,
    /// `Content-Type: application/json`.
    json_body: bool,
    body: Option<Bytes>,
}

/// A vault answer before it becomes a response.
struct KvReply {
    status: StatusCode,
    body: Value,
    challenge: bool,
    retry_after: Option<u64>,
}

impl KvReply {
    fn ok(body: Value) -> KvReply {
        KvReply { status: StatusCode::OK, body, challenge: false, retry_after: None }
    }

    fn error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> KvReply {
        let mut e = json!({"code": code, "message": message});
        if let Some(i) = inner {
            e["innererror"] = json!({"code": i});
        }
        KvReply { status, body: json!({"error": e}), challenge: status == StatusCode::UNAUTHORIZED, retry_after: None }
    }

    fn bad(message: &str) -> KvReply {
        KvReply::error(StatusCode::BAD_REQUEST, "BadParameter", message, None)
    }
}

async fn vault(req: Request<Incoming>, st: &KvState) -> Result<Response<Full<Bytes>>, DropConnection> {
    // A stalled vault: the request waits until the test ends the stall (bounded).
    let mut counted = false;
    for _ in 0..1200 {
        {
            let mut i = st.lock();
            if !i.stall {
                break;
            }
            if !counted {
                i.stalled += 1;
                counted = true;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let method = req.method().clone();
    let path_and_query = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let bearer = header(&req, "authorization").and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
    });
    let json_body = header(&req, "content-type").and_then(|c| c.split(';').next().map(|m| m.trim().eq_ignore_ascii_case("application/json"))).unwrap_or(false);
    // `None`: larger than any valid request.
    let body = Limited::new(req.into_body(), 256 * 1024).collect().await.ok().map(|b| b.to_bytes());

    // Segments, ignoring empty ones: `//secrets/x/` is `/secrets/x` (the SDKs send both forms).
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let route = match (segs.as_slice(), &method) {
        (["secrets", name], &Method::PUT) => Some(Route::Set(name.to_string())),
        (["secrets", name], &Method::GET) => Some(Route::Get(name.to_string(), None)),
        (["secrets", name, "versions"], &Method::GET) => Some(Route::Versions(name.to_string())),
        (["secrets", name, version], &Method::GET) => Some(Route::Get(name.to_string(), Some(version.to_string()))),
        _ => None,
    };

    let mut inner = st.lock();
    if inner.outage {
        inner.kv_log.push(KvLogged {
            method: method.to_string(),
            path: path_and_query.clone(),
            status: 0,
            authorized: false,
            op: None,
            fault: Some(KvFaultKind::Drop),
        });
        return Err(DropConnection);
    }
    let now = inner.now();
    let mut log = KvLogged { method: method.to_string(), path: path_and_query, status: 0, authorized: false, op: route.as_ref().map(Route::op), fault: None };

    // 1. Authentication. Key Vault does not do CORS: a preflight (no Authorization) gets this
    // 401 without CORS headers, so only callers exempt from CORS (extensions) get through.
    let caller = match bearer.as_deref() {
        None => Err("AKV10000: Request is missing a Bearer or PoP token.".to_owned()),
        Some(t) => match inner.access.get(t) {
            None => Err("[BearerReadAccessTokenFailed] Error validating token: 'S2S12005'.".to_owned()),
            Some(a) if a.revoked || now >= a.expires => Err("[TokenExpired] Error validating token: 'S2S12086'.".to_owned()),
            Some(a) if a.audience != KV_RESOURCE => Err(format!("AKV10022: Invalid audience. Expected {KV_RESOURCE}, found: {}.", a.audience)),
            Some(a) => Ok(a.client_id.clone()),
        },
    };
    let reply = match caller {
        Err(msg) => KvReply::error(StatusCode::UNAUTHORIZED, "Unauthorized", &msg, None),
        Ok(client_id) => {
            log.authorized = true;
            let call = VaultCall { method: method.clone(), query, route, json_body, body };
            match vault_authorized(call, &client_id, st, &mut inner, &mut log) {
                Some(r) => r,
                None => {
                    log.status = 0;
                    inner.kv_log.push(log);
                    return Err(DropConnection);
                }
            }
        }
    };
    log.status = reply.status.as_u16();
    let request_id = inner.rng.guid();
    inner.kv_log.push(log);
    drop(inner);

    let mut resp = json_response(reply.status, &reply.body);
    let h = resp.headers_mut();
    h.insert("x-ms-request-id", HeaderValue::from_str(&request_id).unwrap());
    h.insert("x-ms-keyvault-region", HeaderValue::from_static(LOCATION_NAME));
    h.insert("x-ms-keyvault-service-version", HeaderValue::from_static("1.9.2585.1"));
    h.insert("x-ms-keyvault-network-info", HeaderValue::from_static("conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    h.insert("expires", HeaderValue::from_static("-1"));
    h.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000;includeSubDomains"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // One request per connection: a browser silently resends a request whose *reused*
    // keep-alive connection closes without an answer, which would hide `Drop` faults.
    h.insert("connection", HeaderValue::from_static("close"));
    if reply.challenge {
        let c = format!("Bearer authorization=\"https://{LOGIN_HOST}/{}\", resource=\"{KV_RESOURCE}\"", st.tenant);
        h.insert("www-authenticate", HeaderValue::from_str(&c).unwrap());
    }
    if let Some(secs) = reply.retry_after {
        h.insert("retry-after", HeaderValue::from_str(&secs.to_string()).unwrap());
    }
    Ok(resp)
}

/// The reply to an authenticated request; `None` drops the connection.
fn vault_authorized(call: VaultCall, client_id: &str, st: &KvState, inner: &mut Inner, log: &mut KvLogged) -> Option<KvReply> {
    let VaultCall { method, query, route, json_body, body } = call;
    let q = Params::parse(&query);
    if q.malformed {
        return Some(KvReply::bad("The request URI has a malformed query string."));
    }
    match q.get("api-version") {
        None => {
            return Some(KvReply::bad(&format!(
                "The 'api-version' query parameter is missing. Consider using the latest supported version ({LATEST_API_VERSION})."
            )))
        }
        Some(v) if !API_VERSIONS.contains(&v) => {
            return Some(KvReply::bad(&format!(
                "The specified version ({v}) is not recognized. Consider using the latest supported version ({LATEST_API_VERSION})."
            )))
        }
        Some(_) => {}
    }
    let Some(route) = route else {
        return Some(match method {
            Method::GET | Method::PUT => KvReply::error(StatusCode::NOT_FOUND, "NotFound", "The requested resource was not found in this replica vault.", None),
            m => {
                KvReply::error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", &format!("The requested resource does not support http method '{m}'."), None)
            }
        });
    };
    let name = route.name().to_owned();
    if !valid_name(&name) {
        return Some(KvReply::bad(&format!("The request URI contains an invalid name: {name}")));
    }

    // 2. Injected faults (authorization, network rules, throttling, outages…).
    let op = route.op();
    let applies = |f: &KvFault| (f.op == op || f.op == KvOp::Any) && (f.kind != KvFaultKind::Corrupt || op == KvOp::Get);
    let mut corrupt = false;
    if let Some(i) = inner.faults.iter().position(applies) {
        let f = inner.faults.remove(i).unwrap();
        log.fault = Some(f.kind);
        match fault_reply(f.kind, op, &name, client_id, st) {
            FaultOutcome::Reply(r) => return Some(r),
            FaultOutcome::Drop => return None,
            FaultOutcome::Corrupt => corrupt = true,
        }
    }

    // 3. The operation.
    let key = name.to_ascii_lowercase();
    let deleted = inner.deleted.contains(&key);
    Some(match route {
        Route::Set(_) => {
            if deleted {
                let shown = inner.names.get(&key).cloned().unwrap_or(name);
                return Some(KvReply::error(
                    StatusCode::CONFLICT,
                    "Conflict",
                    &format!("Secret {shown} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."),
                    Some("ObjectIsDeletedButRecoverable"),
                ));
            }
            if !json_body {
                return Some(KvReply::bad("The request Content-Type must be application/json."));
            }
            let Some(bytes) = body else {
                return Some(KvReply::bad("The request body is too large."));
            };
            match parse_set(&bytes) {
                Err(msg) => KvReply::bad(&msg),
                Ok(params) => {
                    let v = store_version(inner, &name, params);
                    KvReply::ok(bundle(&v, Some(&v.value)))
                }
            }
        }
        Route::Get(_, version) => {
            let found = if deleted {
                None
            } else {
                inner.secrets.iter().rfind(|s| s.name.eq_ignore_ascii_case(&name) && version.as_deref().is_none_or(|v| s.version == v)).cloned()
            };
            match found {
                None => {
                    let what = match &version {
                        Some(v) => format!("{name}/{v}"),
                        None => name.clone(),
                    };
                    KvReply::error(
                        StatusCode::NOT_FOUND,
                        "SecretNotFound",
                        &format!("A secret with (name/id) {what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"),
                        None,
                    )
                }
                Some(s) if !s.enabled => {
                    KvReply::error(StatusCode::FORBIDDEN, "Forbidden", "Operation get is not allowed on a disabled secret.", Some("SecretDisabled"))
                }
                Some(s) => {
                    let value = if corrupt { corrupted(&s.value) } else { s.value.clone() };
                    KvReply::ok(bundle(&s, Some(&value)))
                }
            }
        }
        Route::Versions(_) => {
            let max = match q.get("maxresults").map(str::parse::<usize>) {
                None => 25,
                Some(Ok(n)) if (1..=25).contains(&n) => n,
                Some(_) => return Some(KvReply::bad("Invalid value for maxresults: it must be an integer from 1 to 25.")),
            };
            let skip = match q.get("$skiptoken").map(|t| t.strip_prefix('o').and_then(|n| n.parse::<usize>().ok())) {
                None => 0,
                Some(Some(n)) => n,
                Some(None) => return Some(KvReply::bad("Invalid $skiptoken.")),
            };
            // A name that never existed (or is deleted) lists as empty, not 404.
            let all: Vec<&KvStored> = if deleted { Vec::new() } else { inner.secrets.iter().filter(|s| s.name.eq_ignore_ascii_case(&name)).collect() };
            let page: Vec<Value> = all.iter().skip(skip).take(max).map(|s| bundle(s, None)).collect();
            let next = (skip + max < all.len()).then(|| {
                format!(
                    "https://{KV_HOST}:443/secrets/{name}/versions?api-version={}&$skiptoken=o{}&maxresults={max}",
                    q.get("api-version").unwrap_or(LATEST_API_VERSION),
                    skip + max
                )
            });
            KvReply::ok(json!({"value": page, "nextLink": next}))
        }
    })
}

enum FaultOutcome {
    Reply(KvReply),
    Drop,
    Corrupt,
}

fn fault_reply(kind: KvFaultKind, op: KvOp, name: &str, client_id: &str, st: &KvState) -> FaultOutcome {
    let caller = format!("appid={client_id};oid={KV_USER_OID};iss=https://sts.windows.net/{}/", st.tenant);
    let vault = format!("{KV_VAULT};location={LOCATION_NAME}");
    let forbidden = |message: String, inner: &str| FaultOutcome::Reply(KvReply::error(StatusCode::FORBIDDEN, "Forbidden", &message, Some(inner)));
    match kind {
        KvFaultKind::Rbac => {
            let action = match op {
                KvOp::Put => "setSecret/action",
                KvOp::Versions => "readMetadata/action",
                KvOp::Get | KvOp::Any => "getSecret/action",
            };
            forbidden(
                format!(
                    "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: {caller}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/{action}'\r\nResource: '/subscriptions/{SUBSCRIPTION}/resourcegroups/rg-contoso/providers/microsoft.keyvault/vaults/{KV_VAULT}/secrets/{}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: {vault}\r\n",
                    name.to_ascii_lowercase()
                ),
                "ForbiddenByRbac",
            )
        }
        KvFaultKind::AccessPolicy => {
            let permission = match op {
                KvOp::Put => "set",
                KvOp::Versions => "list",
                KvOp::Get | KvOp::Any => "get",
            };
            forbidden(
                format!("The user, group or application '{caller}' does not have secrets {permission} permission on key vault '{vault}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"),
                "AccessDenied",
            )
        }
        KvFaultKind::Firewall => forbidden(
            format!("Client address is not authorized and caller is not a trusted service.\r\nClient address: 127.0.0.1\r\nCaller: {caller}\r\nVault: {vault}"),
            "ForbiddenByFirewall",
        ),
        KvFaultKind::Throttle { retry_after_secs } => {
            let mut r = KvReply::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Throttled",
                "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
                None,
            );
            r.retry_after = Some(retry_after_secs);
            FaultOutcome::Reply(r)
        }
        KvFaultKind::ServerError(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let (code, message) = match status.as_u16() {
                503 => ("ServiceUnavailable", "The service is temporarily unavailable. Please retry later."),
                502 => ("BadGateway", "The service received an invalid response from an upstream server."),
                504 => ("GatewayTimeout", "The service did not answer in time."),
                _ => ("InternalServerError", "An unexpected error occurred. Please retry later."),
            };
            FaultOutcome::Reply(KvReply::error(status, code, message, None))
        }
        KvFaultKind::Unauthorized => {
            FaultOutcome::Reply(KvReply::error(StatusCode::UNAUTHORIZED, "Unauthorized", "[TokenExpired] Error validating token: 'S2S12086'.", None))
        }
        KvFaultKind::Drop => FaultOutcome::Drop,
        KvFaultKind::Corrupt => FaultOutcome::Corrupt,
    }
}

/// Secret names: 1-127 ASCII letters, digits and dashes.
fn valid_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Same length, different last character: the read-back comparison must notice.
fn corrupted(value: &str) -> String {
    let mut v: Vec<char> = value.chars().collect();
    match v.last_mut() {
        Some(c) => *c = if *c == 'A' { 'B' } else { 'A' },
        None => v.push('A'),
    }
    v.into_iter().collect()
}

struct SetParams {
    value: String,
    content_type: Option<String>,
    enabled: bool,
    nbf: Option<i64>,
    exp: Option<i64>,
    tags: BTreeMap<String, String>,
}

/// Validates a SecretSetParameters body.
fn parse_set(bytes: &[u8]) -> Result<SetParams, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|_| "The request body is not valid JSON.".to_owned())?;
    let obj = v.as_object().ok_or("The request body must be a JSON object.")?;
    let value = match obj.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("Property 'value' must be a string.".into()),
        None => return Err("Property 'value' is required.".into()),
    };
    if value.len() > MAX_VALUE_BYTES {
        return Err(format!("The secret value is larger than the {MAX_VALUE_BYTES}-byte limit."));
    }
    let content_type = match obj.get("contentType") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("Property 'contentType' must be a string.".into()),
    };
    let (mut enabled, mut nbf, mut exp) = (true, None, None);
    match obj.get("attributes") {
        None | Some(Value::Null) => {}
        Some(Value::Object(a)) => {
            match a.get("enabled") {
                None | Some(Value::Null) => {}
                Some(Value::Bool(b)) => enabled = *b,
                Some(_) => return Err("Property 'attributes.enabled' must be a boolean.".into()),
            }
            for (key, slot) in [("nbf", &mut nbf), ("exp", &mut exp)] {
                match a.get(key) {
                    None | Some(Value::Null) => {}
                    Some(n) => *slot = Some(n.as_i64().ok_or(format!("Property 'attributes.{key}' must be an integer (Unix time)."))?),
                }
            }
        }
        Some(_) => return Err("Property 'attributes' must be an object.".into()),
    }
    let mut tags = BTreeMap::new();
    match obj.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(t)) => {
            if t.len() > MAX_TAGS {
                return Err(format!("Too many tags: at most {MAX_TAGS} are allowed."));
            }
            for (k, v) in t {
                let Value::String(v) = v else {
                    return Err(format!("Tag '{k}' must have a string value."));
                };
                if k.chars().count() > MAX_TAG_NAME_CHARS || v.chars().count() > MAX_TAG_VALUE_CHARS {
                    return Err(format!("Tag '{k}' is too long: names have at most {MAX_TAG_NAME_CHARS} characters, values at most {MAX_TAG_VALUE_CHARS}."));
                }
                tags.insert(k.clone(), v.clone());
            }
        }
        Some(_) => return Err("Property 'tags' must be an object.".into()),
    }
    Ok(SetParams { value, content_type, enabled, nbf, exp, tags })
}

fn store_version(inner: &mut Inner, name: &str, p: SetParams) -> KvStored {
    // Names are case-insensitive; the first creation's spelling is kept.
    let canonical = inner.names.entry(name.to_ascii_lowercase()).or_insert_with(|| name.to_owned()).clone();
    let version = inner.rng.chars(HEX, 32);
    let s = KvStored {
        name: canonical,
        version,
        value: p.value,
        content_type: p.content_type,
        enabled: p.enabled,
        exp: p.exp,
        nbf: p.nbf,
        tags: p.tags,
        created: inner.now(),
    };
    inner.secrets.push(s.clone());
    s
}

/// A SecretBundle (with the value) or, without, a SecretItem as listings return it.
fn bundle(s: &KvStored, value: Option<&str>) -> Value {
    let mut m = Map::new();
    if let Some(v) = value {
        m.insert("value".into(), json!(v));
    }
    m.insert("id".into(), json!(format!("https://{KV_HOST}/secrets/{}/{}", s.name, s.version)));
    if let Some(ct) = &s.content_type {
        m.insert("contentType".into(), json!(ct));
    }
    let mut a = Map::new();
    a.insert("enabled".into(), json!(s.enabled));
    if let Some(n) = s.nbf {
        a.insert("nbf".into(), json!(n));
    }
    if let Some(e) = s.exp {
        a.insert("exp".into(), json!(e));
    }
    a.insert("created".into(), json!(s.created));
    a.insert("updated".into(), json!(s.created));
    a.insert("recoveryLevel".into(), json!("Recoverable+Purgeable"));
    a.insert("recoverableDays".into(), json!(90));
    m.insert("attributes".into(), Value::Object(a));
    if !s.tags.is_empty() {
        m.insert("tags".into(), json!(s.tags));
    }
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `2024-05-30 07:08:12Z`, the identity platform's timestamp format.
fn ests_timestamp(t: i64) -> String {
    let (y, m, d) = civil(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    resp
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

/// Percent-encodes all but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Strict percent-decoding (`+` is a space); `None` if malformed or not UTF-8.
pub(crate) fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Decoded query or form parameters, in order, duplicates kept.
#[derive(Default)]
struct Params {
    pairs: Vec<(String, String)>,
    /// Some component was not valid percent-encoded UTF-8 (it is left out).
    malformed: bool,
}

impl Params {
    fn parse(s: &str) -> Params {
        let mut p = Params::default();
        for part in s.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            match (decode(k), decode(v)) {
                (Some(k), Some(v)) => p.pairs.push((k, v)),
                _ => p.malformed = true,
            }
        }
        p
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The first parameter given twice (a second value could slip past a check).
    fn duplicate(&self) -> Option<&str> {
        self.pairs.iter().enumerate().find(|(i, (k, _))| self.pairs[..*i].iter().any(|(k2, _)| k2 == k)).map(|(_, (k, _))| k.as_str())
    }
}
