//! Loopback HTTPS replica of the Azure Portal for the end-to-end tests.
//!
//! One server answers for every hostname in [`ReplicaServer::hostnames`] (the browsers map
//! them to 127.0.0.1) with a self-signed certificate made at start. It serves:
//! - the replica pages in `tests/replica/` (by Host: portal shell, reactblade iframes,
//!   an off-portal copy), every response with a Content-Security-Policy chosen by the
//!   document's `so_csp=strict|permissive` query parameter;
//! - a replica "Graph" API: `POST /api/addPassword` hands out a FRESH secret on each call
//!   (recorded in [`ReplicaServer::issued`]), `GET /api/passwordCredentials?appId=` lists
//!   an app's secrets masked (hint only, as Graph does), `GET /api/app?appId=` gives ids;
//! - replicas of Azure Key Vault (`contoso-kv.vault.azure.net`) and of the Microsoft identity
//!   platform (`login.microsoftonline.com`), see [`super::keyvault`].
#![allow(dead_code)]

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
/// A request whose body the server already read (it records every request: the e2e leak scan).
type ReqBody = http_body_util::Full<Bytes>;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use shownonce::core::route::listed_hosts;
use tokio_rustls::rustls;

use super::keyvault::{self, AuthLogged, DropConnection, KvFault, KvLogged, KvState, KvStored};

/// A site that is not the portal but shows an identical blade (the extension must not run).
pub const OFF_PORTAL_HOST: &str = "www.contoso-tools.example";

/// Portal and Entra shell hosts (the extension runs here): every exact host of
/// extension/hosts.txt, read by the extension's own parser.
pub fn portal_hosts() -> &'static [&'static str] {
    static HOSTS: OnceLock<Vec<&'static str>> = OnceLock::new();
    HOSTS.get_or_init(|| listed_hosts().filter(|&(_, pool)| !pool).map(|(h, _)| h).collect())
}

/// The cross-origin iframe pool (blades drawn with Fluent UI): frames 1 and 2 of every
/// reactblade pool of extension/hosts.txt (the replica shell frames from the public one).
pub fn reactblade_hosts() -> &'static [&'static str] {
    static HOSTS: OnceLock<Vec<&'static str>> = OnceLock::new();
    HOSTS.get_or_init(|| {
        listed_hosts().filter(|&(_, pool)| pool).flat_map(|(d, _)| (1..=2).map(move |n| &*Box::leak(format!("sandbox-{n}.{d}").into_boxed_str()))).collect()
    })
}

/// Every hostname the server answers for.
fn all_hosts() -> &'static [&'static str] {
    static HOSTS: OnceLock<Vec<&'static str>> = OnceLock::new();
    HOSTS.get_or_init(|| {
        let mut all = [portal_hosts(), reactblade_hosts()].concat();
        all.extend([OFF_PORTAL_HOST, keyvault::KV_HOST, keyvault::LOGIN_HOST]);
        all
    })
}

/// Characters of an Entra client secret.
const SECRET_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~";

/// Content-Security-Policy mode of a document (query parameter `so_csp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Csp {
    /// `script-src 'self' 'unsafe-eval'` (wasm compiles in content scripts).
    Permissive,
    /// `script-src 'self'`: no eval of any kind, no `wasm-unsafe-eval`.
    Strict,
}

impl Csp {
    /// Value of the `so_csp` query parameter selecting this mode.
    pub fn param(self) -> &'static str {
        match self {
            Csp::Permissive => "permissive",
            Csp::Strict => "strict",
        }
    }

    /// The policy sent with portal shell documents in this mode.
    pub fn policy(self) -> String {
        self.policy_with("frame-src https://*.reactblade.portal.azure.net")
    }

    fn policy_with(self, frame_src: &str) -> String {
        let script = match self {
            Csp::Permissive => "script-src 'self' 'unsafe-eval'",
            Csp::Strict => "script-src 'self'",
        };
        format!("default-src 'self'; {script}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; {frame_src}; connect-src 'self'")
    }

    fn from_query(query: &str) -> Csp {
        match query_param(query, "so_csp").as_deref() {
            Some("strict") => Csp::Strict,
            _ => Csp::Permissive,
        }
    }
}

/// One secret handed out by the replica Graph API.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The full secret text.
    pub value: String,
    /// Secret ID (GUID), shown in the blade's Secret ID column.
    pub key_id: String,
    /// First 3 characters of the value.
    pub hint: String,
    /// Description the user typed.
    pub description: String,
    /// Expiry as the page displays it (in the page language), e.g. `5/26/2027`.
    pub end_date: String,
    /// The expiry date the replica issued (year, month, day), from the ISO `endDateTime` it
    /// was asked for; `None` if that was not a `YYYY-MM-DD…` date.
    pub end_ymd: Option<(i32, u32, u32)>,
    /// 00:00 UTC of `end_ymd` in Unix seconds, counted by the replica itself (day by day,
    /// not with the extension's date code): what Key Vault's `exp` must be.
    pub end_unix: Option<i64>,
    /// Host the request came to (portal host, or the reactblade host in the iframe model).
    pub host: String,
    /// `current` | `legacy` | `old` | `bad` | `keyvault`.
    pub kind: String,
    /// Application (client) ID of the blade that asked (empty for Key Vault).
    pub app_id: String,
}

struct Cred {
    key_id: String,
    hint: String,
    display_name: String,
    start: String,
    end: String,
}

struct App {
    object_id: String,
    creds: Vec<Cred>, // newest first
}

struct State {
    root: PathBuf,
    tenant_id: String,
    issued: Mutex<Vec<Issued>>,
    apps: Mutex<HashMap<String, App>>,
    rng: Mutex<u64>,
    kv: KvState,
    /// Every request received (all hosts): what the browser sent, for the leak scan.
    received: Mutex<Vec<Received>>,
}

/// One request as received: host, method, target (path and query), headers and body.
#[derive(Clone, Debug)]
pub struct Received {
    /// `Host` without the port.
    pub host: String,
    /// Method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Every header, `name: value` per line.
    pub headers: String,
    /// The body (lossy UTF-8).
    pub body: String,
}

impl State {
    fn record(&self, parts: &hyper::http::request::Parts, body: &[u8]) {
        let host = parts.headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("").split(':').next().unwrap_or("").to_ascii_lowercase();
        let headers = parts.headers.iter().map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes()))).collect::<Vec<_>>().join("\n");
        let r = Received {
            host,
            method: parts.method.to_string(),
            target: parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            headers,
            body: String::from_utf8_lossy(body).into_owned(),
        };
        self.received.lock().unwrap().push(r);
    }
}

/// The running replica server; stops when dropped.
pub struct ReplicaServer {
    port: u16,
    state: Arc<State>,
    cert_pem: String,
    cert_der: Vec<u8>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReplicaServer {
    /// Starts on 127.0.0.1 on a free port, in its own thread and tokio runtime.
    pub fn start() -> ReplicaServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().unwrap().port();

        let names: Vec<String> = all_hosts().iter().map(|h| h.to_string()).collect();
        let ck = rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
        let cert_pem = ck.cert.pem();
        let cert_der = ck.cert.der().clone();
        let cert_der_bytes = cert_der.to_vec();
        let key_der = rustls::pki_types::PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert_der], key_der.into())
            .expect("TLS certificate");
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));

        let mut rng = Rng(seed());
        let tenant_id = rng.guid();
        let state = Arc::new(State {
            root: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("replica"),
            kv: KvState::new(tenant_id.clone(), rng.next()),
            tenant_id,
            issued: Mutex::new(Vec::new()),
            apps: Mutex::new(HashMap::new()),
            rng: Mutex::new(rng.0),
            received: Mutex::new(Vec::new()),
        });

        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("replica-server-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("replica runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    tokio::select! {
                        _ = rx => {}
                        _ = accept_loop(listener, acceptor, st) => {}
                    }
                });
                rt.shutdown_background();
            })
            .expect("spawn replica server thread");

        ReplicaServer { port, state, cert_pem, cert_der: cert_der_bytes, shutdown: Some(tx), thread: Some(thread) }
    }

    /// The loopback port (map every hostname to `127.0.0.1:<port>`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Hostnames the certificate covers and the browsers must map to 127.0.0.1.
    pub fn hostnames() -> &'static [&'static str] {
        all_hosts()
    }

    /// Chromium `--host-resolver-rules` value mapping every hostname to this server.
    pub fn chromium_host_rules(&self) -> String {
        let mut rules: Vec<String> = all_hosts().iter().map(|h| format!("MAP {h} 127.0.0.1:{}", self.port)).collect();
        // The OpenBao server (tests/support/openbao.rs): its own port, named in its URL.
        // (openbao::BAO_HOST; this file is also compiled without that module.)
        rules.push("MAP vault.contoso.test 127.0.0.1".to_owned());
        rules.join(", ")
    }

    /// The self-signed certificate (PEM), for clients that want to trust it.
    pub fn cert_pem(&self) -> String {
        self.cert_pem.clone()
    }

    /// The self-signed certificate (DER).
    pub fn cert_der(&self) -> Vec<u8> {
        self.cert_der.clone()
    }

    /// Directory (tenant) ID every replica app belongs to (shown on the Overview blade).
    pub fn tenant_id(&self) -> String {
        self.state.tenant_id.clone()
    }

    /// Every request the server received so far, from any host (the leak scan's network
    /// channel: the browsers reach no other server).
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Every secret the replica "Graph" API handed out so far (in order).
    pub fn issued(&self) -> Vec<Issued> {
        self.state.issued.lock().unwrap().clone()
    }

    /// Host of the replica Key Vault (`contoso-kv.vault.azure.net`).
    pub fn kv_host(&self) -> &'static str {
        keyvault::KV_HOST
    }

    /// Vault URL to enter in the options (`https://contoso-kv.vault.azure.net`).
    pub fn kv_vault_url(&self) -> String {
        format!("https://{}", keyvault::KV_HOST)
    }

    /// Application (client) ID of the registered public client the extension signs in as.
    pub fn kv_client_id(&self) -> &'static str {
        keyvault::KV_CLIENT_ID
    }

    /// Every secret version stored in the replica vault, in creation order.
    pub fn kv_secrets(&self) -> Vec<KvStored> {
        self.state.kv.secrets()
    }

    /// Stores a version directly (a name that already holds a secret), bypassing the API.
    pub fn kv_seed_secret(&self, name: &str, value: &str) -> KvStored {
        self.state.kv.seed_secret(name, value)
    }

    /// Queues a fault, consumed by the next authenticated vault request it matches.
    pub fn kv_fault(&self, fault: KvFault) {
        self.state.kv.fault(fault)
    }

    /// Starts or ends a vault outage: every vault connection closes unanswered, token or not.
    pub fn kv_outage(&self, on: bool) {
        self.state.kv.set_outage(on)
    }

    /// Starts or ends a vault stall: requests wait until it ends (a save is mid-request).
    pub fn kv_stall(&self, on: bool) {
        self.state.kv.set_stall(on);
    }

    /// How many vault requests arrived while stalled (see [`ReplicaServer::kv_stall`]).
    pub fn kv_stalled(&self) -> usize {
        self.state.kv.stalled()
    }

    /// Drops every queued vault fault not consumed yet.
    pub fn kv_clear_faults(&self) {
        self.state.kv.clear_faults()
    }

    /// Marks `name` deleted but recoverable: a PUT to it answers 409 `ObjectIsDeletedButRecoverable`.
    pub fn kv_soft_delete(&self, name: &str) {
        self.state.kv.soft_delete(name)
    }

    /// Every request the replica vault received (method, path, status, token validity).
    pub fn kv_requests(&self) -> Vec<KvLogged> {
        self.state.kv.requests()
    }

    /// Invalidates all access tokens issued so far (next vault call: 401); refresh tokens still work.
    pub fn kv_revoke_tokens(&self) {
        self.state.kv.revoke_tokens()
    }

    /// Moves the identity and vault clock forward (expires authorization codes and tokens).
    pub fn kv_advance_clock(&self, secs: u64) {
        self.state.kv.advance_clock(secs)
    }

    /// The next authorize request answers `access_denied` (user cancelled or refused consent).
    pub fn auth_deny_next(&self) {
        self.state.kv.deny_next()
    }

    /// Every request to the replica identity platform (authorize and token), in order.
    pub fn auth_requests(&self) -> Vec<AuthLogged> {
        self.state.kv.auth_requests()
    }
}

impl Drop for ReplicaServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, acceptor: tokio_rustls::TlsAcceptor, st: Arc<State>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let st = st.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let st = st.clone();
                async move {
                    // Read the body first and record the request as the browser sent it.
                    let (parts, body) = req.into_parts();
                    let bytes = Limited::new(body, 4 << 20).collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                    st.record(&parts, &bytes);
                    handle(Request::from_parts(parts, Full::new(bytes)), st).await
                }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), svc).await;
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Portal,
    Reactblade,
    Other,
}

fn role_of(host: &str) -> Role {
    if portal_hosts().contains(&host) {
        Role::Portal
    } else if reactblade_hosts().contains(&host) {
        Role::Reactblade
    } else {
        Role::Other
    }
}

fn csp_header(csp: Csp, role: Role) -> String {
    match role {
        Role::Portal => csp.policy(),
        Role::Reactblade => {
            let ancestors: Vec<String> = portal_hosts().iter().map(|h| format!("https://{h}")).collect();
            format!("{}; frame-ancestors {}", csp.policy(), ancestors.join(" "))
        }
        // Off-portal pages frame their blade from their own origin.
        Role::Other => format!("{}; frame-ancestors 'self'", csp.policy_with("frame-src 'self'")),
    }
}

/// `Err` closes the connection without a response (an injected network failure).
async fn handle(req: Request<ReqBody>, st: Arc<State>) -> Result<Response<Full<Bytes>>, DropConnection> {
    let host =
        req.headers().get(HOST).and_then(|h| h.to_str().ok()).or_else(|| req.uri().host()).unwrap_or("").split(':').next().unwrap_or("").to_ascii_lowercase();
    // Key Vault and sign-in are APIs of their own: no portal pages, no portal CSP.
    if keyvault::serves(&host) {
        return keyvault::handle(req, &host, &st.kv).await;
    }
    let role = role_of(&host);
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let csp = csp_header(Csp::from_query(&query), role);

    let (status, ctype, body): (StatusCode, &str, Vec<u8>) = if path.starts_with("/api/") {
        let (s, v) = api(req, &path, &query, &host, &st).await;
        (s, "application/json; charset=utf-8", v.to_string().into_bytes())
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        (StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", b"method not allowed".to_vec())
    } else {
        let file = match (path.as_str(), role) {
            ("/", Role::Reactblade) => "/blank.html",
            ("/", _) | ("/index.html", _) => "/index.html",
            (p, _) => p,
        };
        match static_file(&st.root, file) {
            Some((ctype, bytes)) => (StatusCode::OK, ctype, bytes),
            None => (StatusCode::NOT_FOUND, "text/plain; charset=utf-8", b"not found".to_vec()),
        }
    };

    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).unwrap());
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    Ok(resp)
}

fn static_file(root: &Path, path: &str) -> Option<(&'static str, Vec<u8>)> {
    let rel = path.strip_prefix('/')?;
    let safe = !rel.is_empty()
        && rel.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
        && rel.split('/').all(|seg| !seg.is_empty() && !seg.starts_with('.'));
    if !safe {
        return None;
    }
    let ctype = match rel.rsplit('.').next()? {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    };
    let full = root.join(rel);
    if !full.is_file() {
        return None;
    }
    std::fs::read(full).ok().map(|b| (ctype, b))
}

async fn api(req: Request<ReqBody>, path: &str, query: &str, host: &str, st: &State) -> (StatusCode, Value) {
    match (req.method().clone(), path) {
        (Method::POST, "/api/addPassword") => {
            let Ok(body) = Limited::new(req.into_body(), 64 * 1024).collect().await else {
                return (StatusCode::BAD_REQUEST, json!({"error": "body"}));
            };
            let Ok(input) = serde_json::from_slice::<Value>(&body.to_bytes()) else {
                return (StatusCode::BAD_REQUEST, json!({"error": "json"}));
            };
            add_password(&input, host, st)
        }
        (Method::GET, "/api/passwordCredentials") => {
            let app_id = query_param(query, "appId").unwrap_or_default();
            let existing = query_param(query, "existing").as_deref() != Some("0");
            let mut apps = st.apps.lock().unwrap();
            let app = app_entry(&mut apps, &app_id, existing, st);
            let value: Vec<Value> = app
                .creds
                .iter()
                .map(|c| {
                    json!({"keyId": c.key_id, "hint": c.hint, "displayName": c.display_name,
                           "startDateTime": c.start, "endDateTime": c.end, "secretText": null})
                })
                .collect();
            (StatusCode::OK, json!({ "value": value }))
        }
        (Method::GET, "/api/app") => {
            let app_id = query_param(query, "appId").unwrap_or_default();
            let existing = query_param(query, "existing").as_deref() != Some("0");
            let mut apps = st.apps.lock().unwrap();
            let app = app_entry(&mut apps, &app_id, existing, st);
            (
                StatusCode::OK,
                json!({"appId": app_id, "id": app.object_id, "tenantId": st.tenant_id,
                       "secretCount": app.creds.len()}),
            )
        }
        (Method::GET, "/api/ping") => (StatusCode::OK, json!({"ok": true})),
        // The replica page's leak sentinel (common.js): recorded in `received`, read by the
        // e2e leak scan.
        (Method::POST, "/api/leak") => (StatusCode::OK, json!({"ok": true})),
        _ => (StatusCode::NOT_FOUND, json!({"error": "no such api"})),
    }
}

/// The app's record, created on first sight with two older (masked) secrets unless `existing` is false.
fn app_entry<'a>(apps: &'a mut HashMap<String, App>, app_id: &str, existing: bool, st: &State) -> &'a mut App {
    apps.entry(app_id.to_string()).or_insert_with(|| {
        let mut rng = st.rng.lock().unwrap();
        let mut r = Rng(*rng);
        let today = days_since_epoch();
        let mut creds = Vec::new();
        if existing {
            for (desc, start_ago, ends_in) in [("ci-deploy", 40i64, 142i64), ("Graph sync (2024)", 330, 371)] {
                creds.push(Cred {
                    key_id: r.guid(),
                    hint: r.chars(SECRET_ALPHABET, 3),
                    display_name: desc.to_string(),
                    start: iso_date(today - start_ago),
                    end: iso_date(today + ends_in),
                });
            }
        }
        let object_id = r.guid();
        *rng = r.0;
        App { object_id, creds }
    })
}

fn add_password(input: &Value, host: &str, st: &State) -> (StatusCode, Value) {
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let app_id = s("appId");
    let kind = match s("kind").as_str() {
        "" => "current".to_string(),
        k @ ("current" | "legacy" | "old" | "bad" | "keyvault" | "tilde") => k.to_string(),
        // The app's first secret has a bad checksum, the next ones are good: a negative that
        // a later positive proves was read (detection batches run in order).
        "bad_then_current" => {
            let first = !st.issued.lock().unwrap().iter().any(|i| i.app_id == app_id);
            if first { "bad" } else { "current" }.to_string()
        }
        _ => return (StatusCode::BAD_REQUEST, json!({"error": "unknown kind"})),
    };
    let description = s("displayName");
    let today = days_since_epoch();
    let end = match s("endDateTime") {
        e if e.len() >= 10 => e,
        _ => iso_date(today + 180),
    };
    let end_date = match s("displayedEndDate") {
        d if !d.is_empty() => d,
        _ => en_date(&end),
    };

    let (value, key_id) = {
        let mut rng = st.rng.lock().unwrap();
        let mut r = Rng(*rng ^ seed());
        let v = make_secret(&kind, &mut r);
        let k = r.guid();
        *rng = r.0;
        (v, k)
    };
    let hint: String = value.chars().take(3).collect();
    if kind != "keyvault" && !app_id.is_empty() {
        let mut apps = st.apps.lock().unwrap();
        let app = app_entry(&mut apps, &app_id, true, st);
        app.creds.insert(0, Cred { key_id: key_id.clone(), hint: hint.clone(), display_name: description.clone(), start: iso_date(today), end: end.clone() });
    }
    let end_ymd = iso_ymd(&end);
    st.issued.lock().unwrap().push(Issued {
        value: value.clone(),
        key_id: key_id.clone(),
        hint: hint.clone(),
        description: description.clone(),
        end_date,
        end_ymd,
        end_unix: end_ymd.map(|(y, m, d)| midnight_unix(y, m, d)),
        host: host.to_string(),
        kind,
        app_id,
    });
    (
        StatusCode::OK,
        json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential",
            "customKeyIdentifier": null, "displayName": description, "endDateTime": end,
            "hint": hint, "keyId": key_id, "secretText": value, "startDateTime": iso_date(today),
        }),
    )
}

pub(crate) fn make_secret(kind: &str, r: &mut Rng) -> String {
    let current = |r: &mut Rng| {
        let mut prefix = [0u8; 3];
        let mut body = [0u8; 31];
        r.fill(SECRET_ALPHABET, &mut prefix);
        r.fill(SECRET_ALPHABET, &mut body);
        // The independent checksum (tests/support/checksum.rs), not the extension's own.
        super::checksum::make_current(&prefix, &body)
    };
    match kind {
        "legacy" => format!("{}7Q~{}", r.chars(SECRET_ALPHABET, 3), r.chars(SECRET_ALPHABET, 31)),
        // 2020-era shape: 34 characters, letters/digits with `.-_~` mixed in, no `Q~` marker,
        // and lower case, upper case and a digit: the shape the extension documents it takes
        // (a fresh row's letters-only token is as likely a description). Drawn without the
        // digit rule, 1 value in 200 lacked one and a CI run failed on it.
        "old" => loop {
            let v = r.chars(SECRET_ALPHABET, 34);
            let punct = v.bytes().filter(|b| b".-_~".contains(b)).count();
            let has = |f: fn(&u8) -> bool| v.as_bytes().iter().any(f);
            let mixed = has(u8::is_ascii_lowercase) && has(u8::is_ascii_uppercase) && has(u8::is_ascii_digit);
            if !v.contains("Q~") && (3..=8).contains(&punct) && mixed {
                break v;
            }
        },
        "bad" => {
            let good = current(r);
            let right = &good[37..];
            loop {
                let wrong = r.chars(SECRET_ALPHABET, 3);
                if wrong != right {
                    break format!("{}{}", &good[..37], wrong);
                }
            }
        }
        // A current secret whose first character is `~` (Azure's alphabet allows it).
        "tilde" => {
            let mut prefix = [0u8; 3];
            let mut body = [0u8; 31];
            r.fill(SECRET_ALPHABET, &mut prefix);
            r.fill(SECRET_ALPHABET, &mut body);
            prefix[0] = b'~';
            super::checksum::make_current(&prefix, &body)
        }
        _ => current(r),
    }
}

/// xorshift64* seeded from the process's random hasher keys, the clock and a counter.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn fill(&mut self, alphabet: &[u8], out: &mut [u8]) {
        for b in out {
            *b = alphabet[(self.next() >> 33) as usize % alphabet.len()];
        }
    }
    pub(crate) fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        let mut v = vec![0u8; n];
        self.fill(alphabet, &mut v);
        String::from_utf8(v).unwrap()
    }
    pub(crate) fn guid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        let hex = format!("{a:016x}{b:016x}");
        let mut h: Vec<u8> = hex.into_bytes();
        h[12] = b'4'; // version 4
        h[16] = b"89ab"[(a & 3) as usize]; // RFC 4122 variant
        let h = String::from_utf8(h).unwrap();
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
}

fn seed() -> u64 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.finish() | 1
}

fn days_since_epoch() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64 / 86_400).unwrap_or(0)
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
pub(crate) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn iso_date(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}T00:00:00Z")
}

/// (year, month, day) of an ISO `YYYY-MM-DD…` date, if it is one that exists.
pub(crate) fn iso_ymd(iso: &str) -> Option<(i32, u32, u32)> {
    let b = iso.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = iso.get(r)?;
        t.bytes().all(|c| c.is_ascii_digit()).then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)? as i32, num(5..7)?, num(8..10)?);
    ((1..=12).contains(&m) && d >= 1 && d <= month_len(y, m)).then_some((y, m, d))
}

fn month_len(y: i32, m: u32) -> u32 {
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m as usize - 1]
}

/// Unix seconds at 00:00 UTC of a date from 1970 on, by counting whole years and months
/// (deliberately not the extension's closed formula, so the two check each other).
pub(crate) fn midnight_unix(y: i32, m: u32, d: u32) -> i64 {
    let year_days: i64 = (1970..y).map(|yy| if month_len(yy, 2) == 29 { 366 } else { 365 }).sum();
    let month_days: i64 = (1..m).map(|mm| i64::from(month_len(y, mm))).sum();
    (year_days + month_days + i64::from(d) - 1) * 86_400
}

/// `2027-05-26...` → `5/26/2027` (the English display format).
fn en_date(iso: &str) -> String {
    let p: Vec<&str> = iso.get(..10).unwrap_or("").split('-').collect();
    match p.as_slice() {
        [y, m, d] => format!("{}/{}/{}", m.trim_start_matches('0'), d.trim_start_matches('0'), y),
        _ => iso.to_string(),
    }
}

/// First value of `name` in a query string, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| percent_decode(v))
    })
}

/// Percent-decoding of the replica's own query strings (well-formed; anything else as is).
fn percent_decode(s: &str) -> String {
    super::keyvault::decode(s).unwrap_or_else(|| s.to_owned())
}
