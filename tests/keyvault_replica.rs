#![cfg(not(target_arch = "wasm32"))]
//! Smoke test of the Key Vault and identity platform replicas, driven by the extension's own
//! pure client code (shownonce::core::keyvault and ::pkce): what it builds must be accepted,
//! what the replicas answer must be understood. (Split off tests/server_smoke.rs, which
//! checks the portal replica.)

// The server (tests/support/server.rs) checks the secrets it draws with the independent checksum.
#[path = "support/checksum.rs"]
mod checksum;
#[path = "support/https_client.rs"]
mod https_client;
#[path = "support/keyvault/mod.rs"]
mod keyvault;
#[path = "support/server.rs"]
mod server;

use https_client::{send, Reply};
use keyvault::{KvFault, KvFaultKind, KvOp, KV_CLIENT_ID, KV_HOST, KV_SCOPE, KV_VAULT};
use serde_json::Value;
use server::ReplicaServer;
use shownonce::core::keyvault::{self as kv, Challenge, Cloud, KvError, KvResponse, VaultUrl};
use shownonce::core::pkce::{self, AuthConfig, CodeVerifier, RedirectError, TokenError, TokenResponse};

/// Chrome's `identity.getRedirectURL()` shape (32 letters a-p).
const CHROME_REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/";
/// Firefox's (40 hex digits).
const FIREFOX_REDIRECT: &str = "https://0123456789abcdef0123456789abcdef01234567.extensions.allizom.org/";
const EXT_ORIGIN: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
const SECRET: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// `https://host/path?query` → (host, path?query).
fn split_url(url: &str) -> (&str, &str) {
    let rest = url.strip_prefix("https://").expect("https URL");
    let i = rest.find('/').unwrap_or(rest.len());
    (&rest[..i], if i == rest.len() { "/" } else { &rest[i..] })
}

async fn fetch(srv: &ReplicaServer, method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let (host, path) = split_url(url);
    send(srv, host, method, path, headers, body).await
}

fn json(r: &Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("JSON body ({e}): {}", r.body))
}

/// The replica's answer as the extension's client code sees it.
fn kv_resp(r: &Reply) -> KvResponse<'_> {
    KvResponse {
        status: r.status,
        body: r.body.as_bytes(),
        www_authenticate: r.header("www-authenticate"),
        retry_after: r.header("retry-after"),
        retry_after_ms: r.header("retry-after-ms"),
    }
}

fn vault() -> VaultUrl {
    VaultUrl::parse(KV_VAULT, Cloud::Public).unwrap()
}

struct Flow {
    cfg: AuthConfig,
    verifier: CodeVerifier,
    state: String,
}

fn flow(tenant: &str, redirect_uri: &str, seed: u8) -> Flow {
    Flow {
        cfg: AuthConfig::for_cloud(Cloud::Public, tenant, KV_CLIENT_ID, redirect_uri),
        verifier: CodeVerifier::from_random(&[seed; 32]).unwrap(),
        state: pkce::state_from_random(&[seed ^ 0x55; 16]).unwrap(),
    }
}

impl Flow {
    fn url(&self) -> String {
        self.cfg.authorize_url(&self.state, &self.verifier.challenge(), None)
    }

    async fn authorize(&self, srv: &ReplicaServer) -> Reply {
        fetch(srv, "GET", &self.url(), &[], b"").await
    }

    /// Authorize, then the code out of the redirect (checked by the client's parser).
    async fn code(&self, srv: &ReplicaServer) -> pkce::AuthCode {
        let r = self.authorize(srv).await;
        assert_eq!(r.status, 302, "{}", r.body);
        let location = r.header("location").expect("Location");
        pkce::parse_redirect(location, &self.cfg.redirect_uri, &self.state).expect("code")
    }

    async fn redeem(&self, srv: &ReplicaServer, body: &str) -> Reply {
        let headers = [FORM, ("Origin", EXT_ORIGIN)];
        fetch(srv, "POST", &self.cfg.token_url(), &headers, body.as_bytes()).await
    }
}

/// The whole sign-in: authorize, redeem with the verifier, parse the tokens.
async fn sign_in(srv: &ReplicaServer) -> (Flow, TokenResponse) {
    let f = flow("organizations", CHROME_REDIRECT, 3);
    let code = f.code(srv).await;
    let r = f.redeem(srv, &f.cfg.code_token_body(&code, &f.verifier)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t = pkce::parse_token_response(r.status, r.body.as_bytes()).expect("tokens");
    (f, t)
}

/// Sends a request the client built, with the token if any (and its JSON content type).
async fn kv_send(srv: &ReplicaServer, req: &kv::KvRequest, token: Option<&str>) -> Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = Vec::new();
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    if req.body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let body = req.body.as_deref().unwrap_or(b"");
    fetch(srv, req.method.as_str(), &req.url, &headers, body).await
}

/// A raw vault request (paths the client would never build).
async fn kv_raw(srv: &ReplicaServer, method: &str, path: &str, token: &str, body: Option<&str>) -> Reply {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let body = body.unwrap_or("").as_bytes();
    send(srv, KV_HOST, method, path, &headers, body).await
}

fn ctx(tenant: &str) -> kv::SecretContext<'_> {
    kv::SecretContext {
        app_name: "Contoso API",
        client_id: "6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b",
        tenant_id: tenant,
        secret_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        description: "ci-deploy",
        expires_unix: kv::unix_time(2027, 3, 14, 0, 0, 0),
    }
}

fn assert_error(r: &Reply, status: u16, code: &str, inner: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.body);
    let v = json(r);
    assert_eq!(v["error"]["code"], code, "{}", r.body);
    assert_eq!(v["error"]["innererror"]["code"].as_str(), inner, "{}", r.body);
}

fn assert_oauth_error(r: &Reply, error: &str, code: u64) {
    assert_eq!(r.status, 400, "{}", r.body);
    let v = json(r);
    assert_eq!(v["error"], error, "{}", r.body);
    assert_eq!(v["error_codes"], serde_json::json!([code]), "{}", r.body);
    let d = v["error_description"].as_str().unwrap();
    assert!(d.starts_with(&format!("AADSTS{code}: ")), "{d}");
    assert!(d.contains("\r\nTrace ID: ") && d.contains("\r\nCorrelation ID: "));
    assert!(v["trace_id"].is_string() && v["correlation_id"].is_string());
    assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn identity_authorize() {
    let srv = ReplicaServer::start();
    assert!(ReplicaServer::hostnames().contains(&KV_HOST));
    assert!(ReplicaServer::hostnames().contains(&"login.microsoftonline.com"));
    assert!(srv.chromium_host_rules().contains("MAP contoso-kv.vault.azure.net 127.0.0.1:"));
    assert_eq!((srv.kv_host(), srv.kv_client_id()), (KV_HOST, KV_CLIENT_ID));

    // Success: 302 to the redirect URI with the code and the state; no portal CSP.
    let f = flow("organizations", CHROME_REDIRECT, 1);
    let r = f.authorize(&srv).await;
    assert_eq!(r.status, 302);
    assert!(r.header("content-security-policy").is_none());
    let location = r.header("location").unwrap();
    assert!(location.starts_with(&format!("{CHROME_REDIRECT}?code=")), "{location}");
    assert!(location.contains(&format!("&state={}", f.state)), "{location}");
    assert!(pkce::parse_redirect(location, CHROME_REDIRECT, &f.state).is_ok());

    // The tenant GUID, `common`, Firefox's redirect URI and one without a trailing slash.
    for (tenant, redirect) in [
        (srv.tenant_id(), CHROME_REDIRECT.to_string()),
        ("common".into(), FIREFOX_REDIRECT.to_string()),
        ("organizations".into(), CHROME_REDIRECT.trim_end_matches('/').to_string()),
    ] {
        let f = flow(&tenant, &redirect, 2);
        f.code(&srv).await;
    }

    // Errors before the redirect URI is validated: the service's own 400 page, never a redirect.
    let page = |r: &Reply, aadsts: &str| {
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.header("location").is_none());
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert!(r.body.contains(aadsts), "{}", r.body);
    };
    for bad in [
        "https://evil.example/",
        "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org.evil.example/",
        "http://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/",
        "https://abcdefgh.chromiumapp.org/",
        "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/?next=https://evil.example/",
    ] {
        page(&flow("organizations", bad, 1).authorize(&srv).await, "AADSTS50011");
    }
    let mut other_client = flow("organizations", CHROME_REDIRECT, 1);
    other_client.cfg.client_id = "00000000-1111-2222-3333-444444444444".into();
    page(&other_client.authorize(&srv).await, "AADSTS700016");
    page(&flow("not-a-tenant", CHROME_REDIRECT, 1).authorize(&srv).await, "AADSTS90002");
    let dup = format!("{}&redirect_uri=https%3A%2F%2Fevil.example%2F", f.url());
    page(&fetch(&srv, "GET", &dup, &[], b"").await, "redirect_uri");

    // Errors after it: back to the redirect URI with error, error_description and state.
    let denied = |r: &Reply, f: &Flow| -> (String, String) {
        assert_eq!(r.status, 302, "{}", r.body);
        match pkce::parse_redirect(r.header("location").unwrap(), CHROME_REDIRECT, &f.state) {
            Err(RedirectError::Denied { error, description }) => (error, description),
            other => panic!("{other:?}"),
        }
    };
    let url = f.url();
    let no_pkce = url.replace(&format!("&code_challenge={}", f.verifier.challenge()), "");
    let r = fetch(&srv, "GET", &no_pkce, &[], b"").await;
    let (e, d) = denied(&r, &f);
    assert_eq!(e, "invalid_request");
    assert!(d.starts_with("AADSTS9002325"), "{d}");
    let plain = url.replace("code_challenge_method=S256", "code_challenge_method=plain");
    assert_eq!(denied(&fetch(&srv, "GET", &plain, &[], b"").await, &f).0, "invalid_request");
    let short = url.replace(&f.verifier.challenge(), "abc");
    assert_eq!(denied(&fetch(&srv, "GET", &short, &[], b"").await, &f).0, "invalid_request");
    let token = url.replace("response_type=code", "response_type=token");
    let r = fetch(&srv, "GET", &token, &[], b"").await;
    assert_eq!(denied(&r, &f).0, "unsupported_response_type");
    let mut graph = flow("organizations", CHROME_REDIRECT, 1);
    graph.cfg.scope = "https://graph.microsoft.com/User.Read offline_access".into();
    assert_eq!(denied(&graph.authorize(&srv).await, &graph).0, "invalid_scope");

    // Consent refused (one-shot hook), then a normal sign-in again.
    srv.auth_deny_next();
    let (e, d) = denied(&f.authorize(&srv).await, &f);
    assert_eq!((e.as_str(), d.as_str()), ("access_denied", "AADSTS65004: User declined to consent to access the app."));
    let err = RedirectError::Denied { error: e, description: d };
    assert!(err.user_message().contains("cancelled"));
    f.code(&srv).await;

    // response_mode=fragment puts the answer after '#'.
    let frag = url.replace("response_mode=query", "response_mode=fragment");
    let r = fetch(&srv, "GET", &frag, &[], b"").await;
    assert!(r.header("location").unwrap().starts_with(&format!("{CHROME_REDIRECT}#code=")));

    let log = srv.auth_requests();
    assert!(log.iter().all(|l| l.endpoint == "authorize"));
    assert_eq!(log[0].client_id.as_deref(), Some(KV_CLIENT_ID));
    assert_eq!(log[0].redirect_uri.as_deref(), Some(CHROME_REDIRECT));
    assert!(log[0].ok && log[0].scope.as_deref().unwrap().contains(KV_SCOPE));
    let refused: Vec<_> = log.iter().filter(|l| l.error.as_deref() == Some("access_denied")).collect();
    assert_eq!(refused.len(), 1);
    assert!(!refused[0].ok);
}

#[tokio::test]
async fn identity_token() {
    let srv = ReplicaServer::start();
    let f = flow("organizations", CHROME_REDIRECT, 7);
    let code = f.code(&srv).await;

    // Wrong verifier: invalid_grant AADSTS501481, with CORS for the extension's origin.
    let wrong = CodeVerifier::from_random(&[8; 32]).unwrap();
    let r = f.redeem(&srv, &f.cfg.code_token_body(&code, &wrong)).await;
    assert_oauth_error(&r, "invalid_grant", 501481);
    assert_eq!(r.header("access-control-allow-origin"), Some(EXT_ORIGIN));
    assert!(matches!(
        pkce::parse_token_response(r.status, r.body.as_bytes()),
        Err(TokenError::NeedsInteractiveSignIn(d)) if d.starts_with("AADSTS501481: The Code_Verifier does not match")
    ));
    // Another redirect URI than the authorize request's.
    let other = flow("organizations", FIREFOX_REDIRECT, 7);
    let r = f.redeem(&srv, &other.cfg.code_token_body(&code, &f.verifier)).await;
    assert_oauth_error(&r, "invalid_grant", 70000);

    // The right verifier (a failed attempt did not use the code up).
    let r = f.redeem(&srv, &f.cfg.code_token_body(&code, &f.verifier)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some(EXT_ORIGIN));
    assert!(r.header("cache-control").unwrap().contains("no-store"));
    let raw = json(&r);
    assert_eq!(raw["token_type"], "Bearer");
    assert_eq!(raw["ext_expires_in"], 3599);
    let t = pkce::parse_token_response(r.status, r.body.as_bytes()).unwrap();
    assert_eq!((t.expires_in, t.scope.as_str()), (3599, KV_SCOPE));
    let rt = t.refresh_token.clone().expect("offline_access gives a refresh token");

    // Codes are one-time; unknown codes are refused.
    let r = f.redeem(&srv, &f.cfg.code_token_body(&code, &f.verifier)).await;
    assert_oauth_error(&r, "invalid_grant", 54005);
    let r = f.redeem(&srv, "client_id=5b2f7c1e-9d4a-4e86-b3c0-7a1d2e9f4c68&grant_type=authorization_code&code=nope&redirect_uri=x&code_verifier=y").await;
    assert_oauth_error(&r, "invalid_grant", 9002313);

    // Request errors a client must not retry silently.
    let code2 = f.code(&srv).await;
    let body = f.cfg.code_token_body(&code2, &f.verifier);
    let no_verifier = body.split('&').filter(|p| !p.starts_with("code_verifier=")).collect::<Vec<_>>().join("&");
    let r = f.redeem(&srv, &no_verifier).await;
    assert_oauth_error(&r, "invalid_request", 900144);
    assert!(matches!(
        pkce::parse_token_response(r.status, r.body.as_bytes()),
        Err(TokenError::Rejected { error, .. }) if error == "invalid_request"
    ));
    let r = f.redeem(&srv, &body.replace(KV_CLIENT_ID, "00000000-1111-2222-3333-444444444444")).await;
    assert_oauth_error(&r, "unauthorized_client", 700016);
    let r = f.redeem(&srv, &format!("{body}&client_secret=x")).await;
    assert_oauth_error(&r, "invalid_client", 700025);
    let r = f.redeem(&srv, &body.replace("grant_type=authorization_code", "grant_type=password")).await;
    assert_oauth_error(&r, "unsupported_grant_type", 70003);
    let r = fetch(&srv, "GET", &f.cfg.token_url(), &[], b"").await;
    assert_oauth_error(&r, "invalid_request", 900561);
    // A JSON body is not a form: no grant_type.
    let r = fetch(&srv, "POST", &f.cfg.token_url(), &[("Content-Type", "application/json")], b"{}").await;
    assert_oauth_error(&r, "invalid_request", 900144);
    // The code was not used up by those: redeem it now, without an Origin header (recorded).
    let r = fetch(&srv, "POST", &f.cfg.token_url(), &[FORM], body.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("access-control-allow-origin").is_none());

    // CORS preflight.
    let r = fetch(
        &srv,
        "OPTIONS",
        &f.cfg.token_url(),
        &[("Origin", EXT_ORIGIN), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type")],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(EXT_ORIGIN));
    assert!(r.header("access-control-allow-methods").unwrap().contains("POST"));

    // Refresh: new access and refresh tokens; the 24 h SPA lifetime is not extended.
    let r = f.redeem(&srv, &f.cfg.refresh_token_body(&rt)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t2 = pkce::parse_token_response(r.status, r.body.as_bytes()).unwrap();
    assert_ne!(t2.access_token, t.access_token);
    let rt2 = t2.refresh_token.clone().unwrap();
    assert_ne!(rt2, rt);

    // Codes expire after 10 minutes, SPA refresh tokens after 24 hours.
    let code3 = f.code(&srv).await;
    srv.kv_advance_clock(601);
    let r = f.redeem(&srv, &f.cfg.code_token_body(&code3, &f.verifier)).await;
    assert_oauth_error(&r, "invalid_grant", 70008);
    let r = f.redeem(&srv, &f.cfg.refresh_token_body(&rt2)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let left = json(&r)["refresh_token_expires_in"].as_i64().unwrap();
    assert!((86_400 - 700..86_400 - 590).contains(&left), "{left}");
    srv.kv_advance_clock(86_400);
    let r = f.redeem(&srv, &f.cfg.refresh_token_body(&rt)).await;
    assert_oauth_error(&r, "invalid_grant", 700084);
    assert!(matches!(pkce::parse_token_response(r.status, r.body.as_bytes()), Err(TokenError::NeedsInteractiveSignIn(_))));

    let tokens: Vec<_> = srv.auth_requests().into_iter().filter(|l| l.endpoint == "token").collect();
    assert_eq!(tokens[0].grant_type.as_deref(), Some("authorization_code"));
    assert_eq!(tokens[0].origin.as_deref(), Some(EXT_ORIGIN));
    assert_eq!(tokens[0].error.as_deref(), Some("invalid_grant"));
    assert!(tokens.iter().any(|l| l.ok && l.origin.is_none()));
    assert!(tokens.iter().any(|l| l.ok && l.grant_type.as_deref() == Some("refresh_token")));
}

#[tokio::test]
async fn vault_secrets() {
    let srv = ReplicaServer::start();
    let tenant = srv.tenant_id();
    let v = vault();
    let (f, t) = sign_in(&srv).await;
    let token = t.access_token.as_str();

    // No token: 401 with the challenge naming the tenant; the client follows it.
    let list = kv::versions_request(&v, "contoso-api").unwrap();
    let r = kv_send(&srv, &list, None).await;
    assert_error(&r, 401, "Unauthorized", None);
    assert_eq!(json(&r)["error"]["message"], "AKV10000: Request is missing a Bearer or PoP token.");
    let challenge = r.header("www-authenticate").unwrap();
    assert_eq!(challenge, format!("Bearer authorization=\"https://login.microsoftonline.com/{tenant}\", resource=\"https://vault.azure.net\""));
    let expected = Challenge { cloud: Cloud::Public, tenant: tenant.clone() };
    assert_eq!(kv::parse_challenge(challenge, &v), Some(expected.clone()));
    let e = kv::map_error(&kv_resp(&r), &v, 0);
    assert_eq!(e, KvError::Unauthorized(Some(expected)));
    assert!(r.header("x-ms-request-id").is_some());
    assert!(r.header("content-security-policy").is_none());
    assert!(r.header("access-control-allow-origin").is_none(), "Key Vault does not do CORS");
    let r = kv_raw(&srv, "GET", "/secrets/x?api-version=2025-07-01", "not-a-token", None).await;
    assert_error(&r, 401, "Unauthorized", None);

    // A name that never existed lists empty (200, not 404): the name is free.
    let r = kv_send(&srv, &list, Some(token)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(json(&r), serde_json::json!({"value": [], "nextLink": null}));
    assert_eq!(kv::interpret_versions(&kv_resp(&r), &v, 0), Ok(false));

    // Set, then read back the exact version.
    let put = kv::put_secret_request(&v, "contoso-api", SECRET, &ctx(&tenant)).unwrap();
    let r = kv_send(&srv, &put, Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let bundle = json(&r);
    let written = kv::interpret_put(&kv_resp(&r), &v, "contoso-api", 0).unwrap();
    assert_eq!(written.version.len(), 32);
    assert!(written.version.bytes().all(|b| b"0123456789abcdef".contains(&b)));
    assert_eq!(written.id, format!("https://{KV_HOST}/secrets/contoso-api/{}", written.version));
    assert_eq!(bundle["value"], SECRET);
    assert_eq!(bundle["contentType"], kv::CONTENT_TYPE);
    assert_eq!(bundle["attributes"]["enabled"], true);
    assert_eq!(bundle["attributes"]["exp"], 1_804_982_400);
    assert_eq!(bundle["attributes"]["recoveryLevel"], "Recoverable+Purgeable");
    assert_eq!(bundle["attributes"]["recoverableDays"], 90);
    assert!(bundle["attributes"]["created"].is_i64());
    assert_eq!(bundle["tags"]["source"], "ShownOnce");
    let stored = srv.kv_secrets();
    assert_eq!(stored.len(), 1);
    let s = &stored[0];
    assert_eq!((s.name.as_str(), s.version.as_str(), s.value.as_str()), ("contoso-api", written.version.as_str(), SECRET));
    assert_eq!(s.content_type.as_deref(), Some(kv::CONTENT_TYPE));
    assert_eq!((s.enabled, s.exp, s.nbf), (true, Some(1_804_982_400), None));
    assert_eq!(s.tags.get("tenantId"), Some(&tenant));
    assert_eq!(s.tags.get("appName").map(String::as_str), Some("Contoso API"));

    let back = kv::read_back_request(&v, "contoso-api", &written.version).unwrap();
    let r = kv_send(&srv, &back, Some(token)).await;
    assert_eq!(kv::interpret_read_back(&kv_resp(&r), &v, &written, SECRET.as_bytes(), 0), Ok(written.clone()));
    let r = kv_send(&srv, &list, Some(token)).await;
    assert_eq!(kv::interpret_versions(&kv_resp(&r), &v, 0), Ok(true));

    // Names are case-insensitive and keep their first spelling; `/secrets/x/` is the latest.
    let r = kv_raw(&srv, "GET", "//secrets/CONTOSO-API/?api-version=7.4", token, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["id"], written.id.as_str());

    // A second version; listings page with nextLink and never carry values.
    let put2 = kv::put_secret_request(&v, "Contoso-API", "second", &ctx(&tenant)).unwrap();
    let r = kv_send(&srv, &put2, Some(token)).await;
    let second = kv::interpret_put(&kv_resp(&r), &v, "contoso-api", 0).unwrap();
    assert_ne!(second.version, written.version);
    assert_eq!(second.name, "contoso-api");
    let r = kv_send(&srv, &list, Some(token)).await;
    let page = json(&r);
    assert_eq!(page["value"].as_array().unwrap().len(), 1);
    assert!(page["value"][0].get("value").is_none());
    assert_eq!(page["value"][0]["contentType"], kv::CONTENT_TYPE);
    let next = page["nextLink"].as_str().expect("nextLink");
    assert!(next.starts_with(&format!("https://{KV_HOST}:443/secrets/contoso-api/versions?")));
    let (_, next_path) = split_url(next);
    let r = kv_raw(&srv, "GET", &next_path.replace(":443", ""), token, None).await;
    let page2 = json(&r);
    assert_eq!(page2["value"].as_array().unwrap().len(), 1, "{}", r.body);
    assert!(page2["nextLink"].is_null());
    let r = kv_raw(&srv, "GET", "/secrets/contoso-api?api-version=2025-07-01", token, None).await;
    assert_eq!(json(&r)["value"], "second");

    // Not found: the client tells a missing secret from a missing vault.
    let missing = kv::read_back_request(&v, "contoso-api", &"0".repeat(32)).unwrap();
    let r = kv_send(&srv, &missing, Some(token)).await;
    assert_error(&r, 404, "SecretNotFound", None);
    assert!(json(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with(&format!("A secret with (name/id) contoso-api/{} was not found in this key vault.", "0".repeat(32))));
    assert_eq!(kv::map_error(&kv_resp(&r), &v, 0), KvError::SecretNotFound);

    // Request validation: name, api-version, body.
    let r = kv_raw(&srv, "GET", "/secrets/bad_name?api-version=2025-07-01", token, None).await;
    assert_error(&r, 400, "BadParameter", None);
    assert!(matches!(kv::map_error(&kv_resp(&r), &v, 0), KvError::BadRequest(m) if m.starts_with("BadParameter: ")));
    let long = format!("/secrets/{}?api-version=2025-07-01", "a".repeat(128));
    assert_error(&kv_raw(&srv, "GET", &long, token, None).await, 400, "BadParameter", None);
    let r = kv_raw(&srv, "GET", "/secrets/contoso-api", token, None).await;
    assert_error(&r, 400, "BadParameter", None);
    let r = kv_raw(&srv, "GET", "/secrets/contoso-api?api-version=9.9", token, None).await;
    assert_error(&r, 400, "BadParameter", None);
    assert!(json(&r)["error"]["message"].as_str().unwrap().starts_with("The specified version (9.9) is not recognized."));
    let put_path = "/secrets/n1?api-version=2025-07-01";
    for (body, why) in [
        ("{", "not JSON"),
        ("[]", "not an object"),
        (r#"{"contentType":"x"}"#, "no value"),
        (r#"{"value":1}"#, "value not a string"),
        (r#"{"value":"v","attributes":{"exp":"soon"}}"#, "exp not a number"),
        (r#"{"value":"v","attributes":{"enabled":"yes"}}"#, "enabled not a bool"),
        (r#"{"value":"v","tags":{"a":1}}"#, "tag not a string"),
    ] {
        let r = kv_raw(&srv, "PUT", put_path, token, Some(body)).await;
        assert_eq!(r.status, 400, "{why}: {}", r.body);
    }
    let sixteen: Vec<String> = (0..16).map(|i| format!("\"t{i}\":\"v\"")).collect();
    let r = kv_raw(&srv, "PUT", put_path, token, Some(&format!(r#"{{"value":"v","tags":{{{}}}}}"#, sixteen.join(",")))).await;
    assert_error(&r, 400, "BadParameter", None);
    let r = kv_raw(&srv, "PUT", put_path, token, Some(&format!(r#"{{"value":"v","tags":{{"t":"{}"}}}}"#, "x".repeat(257)))).await;
    assert_error(&r, 400, "BadParameter", None);
    let r = kv_raw(&srv, "PUT", put_path, token, Some(&format!(r#"{{"value":"{}"}}"#, "x".repeat(25 * 1024 + 1)))).await;
    assert_error(&r, 400, "BadParameter", None);
    let auth = format!("Bearer {token}");
    let r = send(&srv, KV_HOST, "PUT", put_path, &[("Authorization", &auth)], br#"{"value":"v"}"#).await;
    assert_error(&r, 400, "BadParameter", None);
    // Key Vault's own rule allows a leading digit (the client is stricter).
    let r = kv_raw(&srv, "PUT", "/secrets/2024-key?api-version=2025-07-01", token, Some(r#"{"value":"v"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(json(&r).get("contentType").is_none() && json(&r).get("tags").is_none());
    let r = kv_raw(&srv, "POST", "/secrets/n1?api-version=2025-07-01", token, Some("{}")).await;
    assert_eq!(r.status, 405);

    // A disabled secret cannot be read.
    let r = kv_raw(&srv, "PUT", "/secrets/off?api-version=2025-07-01", token, Some(r#"{"value":"v","attributes":{"enabled":false,"nbf":1700000000}}"#)).await;
    assert_eq!(json(&r)["attributes"]["enabled"], false);
    assert_eq!(json(&r)["attributes"]["nbf"], 1_700_000_000);
    let r = kv_raw(&srv, "GET", "/secrets/off?api-version=2025-07-01", token, None).await;
    assert_error(&r, 403, "Forbidden", Some("SecretDisabled"));
    assert!(matches!(kv::map_error(&kv_resp(&r), &v, 0), KvError::Forbidden(_)));

    // A name held by a deleted-but-recoverable secret cannot be reused.
    srv.kv_soft_delete("old-app");
    let put = kv::put_secret_request(&v, "old-app", SECRET, &ctx(&tenant)).unwrap();
    let r = kv_send(&srv, &put, Some(token)).await;
    assert_error(&r, 409, "Conflict", Some("ObjectIsDeletedButRecoverable"));
    assert!(json(&r)["error"]["message"].as_str().unwrap().starts_with("Secret old-app is currently in a deleted but recoverable state"));
    assert_eq!(kv::interpret_put(&kv_resp(&r), &v, "old-app", 0), Err(KvError::DeletedButRecoverable));
    srv.kv_soft_delete("CONTOSO-api");
    let r = kv_send(&srv, &back, Some(token)).await;
    assert_error(&r, 404, "SecretNotFound", None);
    let r = kv_send(&srv, &list, Some(token)).await;
    assert_eq!(kv::interpret_versions(&kv_resp(&r), &v, 0), Ok(false));

    // A name that already holds a secret (seeded) is reported as taken.
    srv.kv_seed_secret("existing-app", "old value");
    let r = kv_send(&srv, &kv::versions_request(&v, "existing-app").unwrap(), Some(token)).await;
    assert_eq!(kv::interpret_versions(&kv_resp(&r), &v, 0), Ok(true));

    // A token for another resource (from the multi-resource refresh token) is refused.
    let mut graph = f.cfg.clone();
    graph.scope = "https://graph.microsoft.com/User.Read offline_access".into();
    let r = f.redeem(&srv, &graph.refresh_token_body(t.refresh_token.as_deref().unwrap())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let graph_token = pkce::parse_token_response(r.status, r.body.as_bytes()).unwrap();
    assert_eq!(graph_token.scope, "https://graph.microsoft.com/User.Read");
    let r = kv_send(&srv, &list, Some(&graph_token.access_token)).await;
    assert_error(&r, 401, "Unauthorized", None);
    assert_eq!(json(&r)["error"]["message"], "AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://graph.microsoft.com.");

    let log = srv.kv_requests();
    assert_eq!((log[0].status, log[0].authorized, log[0].op), (401, false, Some(KvOp::Versions)));
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/secrets/contoso-api/versions?maxresults=1&api-version=2025-07-01");
    assert!(log.iter().any(|l| l.authorized && l.status == 200 && l.op == Some(KvOp::Put)));
    assert!(log.iter().all(|l| l.fault.is_none()));
}

#[tokio::test]
async fn vault_faults_and_token_lifecycle() {
    let srv = ReplicaServer::start();
    let tenant = srv.tenant_id();
    let v = vault();
    let (f, t) = sign_in(&srv).await;
    let token = t.access_token.clone();
    let put = kv::put_secret_request(&v, "contoso-api", SECRET, &ctx(&tenant)).unwrap();

    // Each fault hits the next PUT once, with the documented status, body and headers,
    // and the client maps it to the right error. Nothing is stored by a failed PUT.
    let cases: Vec<(KvFaultKind, u16, Option<&str>, KvError)> = vec![
        (KvFaultKind::Rbac, 403, Some("ForbiddenByRbac"), KvError::ForbiddenByRbac),
        (KvFaultKind::AccessPolicy, 403, Some("AccessDenied"), KvError::ForbiddenByAccessPolicy),
        (KvFaultKind::Firewall, 403, Some("ForbiddenByFirewall"), KvError::ForbiddenByFirewall),
        (KvFaultKind::Throttle { retry_after_secs: 7 }, 429, None, KvError::Throttled(Some(7000))),
        (KvFaultKind::ServerError(503), 503, None, KvError::ServerError(503, None)),
        (KvFaultKind::ServerError(500), 500, None, KvError::ServerError(500, None)),
        (KvFaultKind::Unauthorized, 401, None, KvError::Unauthorized(Some(Challenge { cloud: Cloud::Public, tenant: tenant.clone() }))),
        (KvFaultKind::Drop, 0, None, KvError::Unreachable),
    ];
    for (kind, status, inner, expected) in cases {
        srv.kv_fault(KvFault { op: KvOp::Put, kind });
        let r = kv_send(&srv, &put, Some(&token)).await;
        assert_eq!(r.status, status, "{kind:?}: {}", r.body);
        if status != 0 {
            let body = json(&r);
            assert_eq!(body["error"]["innererror"]["code"].as_str(), inner, "{kind:?}");
        }
        let message = if status == 0 { String::new() } else { json(&r)["error"]["message"].as_str().unwrap().to_owned() };
        match kind {
            KvFaultKind::Rbac => {
                assert!(message.contains("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'"));
                assert!(message.contains(&format!("Caller: appid={KV_CLIENT_ID};oid=")));
                assert!(message.contains("Vault: contoso-kv;location=westeurope"));
            }
            KvFaultKind::AccessPolicy => {
                assert!(message.contains("does not have secrets set permission on key vault 'contoso-kv;location=westeurope'"))
            }
            KvFaultKind::Firewall => assert!(message.contains("\r\nClient address: 127.0.0.1\r\n")),
            KvFaultKind::Throttle { .. } => {
                assert_eq!(r.header("retry-after"), Some("7"));
                assert_eq!(json(&r)["error"]["code"], "Throttled");
            }
            KvFaultKind::ServerError(503) => {
                assert_eq!(json(&r)["error"]["code"], "ServiceUnavailable")
            }
            KvFaultKind::Unauthorized => {
                assert!(r.header("www-authenticate").unwrap().contains(&tenant))
            }
            _ => {}
        }
        assert_eq!(kv::interpret_put(&kv_resp(&r), &v, "contoso-api", 0), Err(expected), "{kind:?}");
        assert!(srv.kv_secrets().is_empty(), "{kind:?}");
    }
    let log = srv.kv_requests();
    assert_eq!(log.len(), 8);
    assert_eq!((log[7].status, log[7].fault), (0, Some(KvFaultKind::Drop)));
    assert!(log.iter().all(|l| l.authorized));

    // Faults wait for a request of their operation, and for an authenticated one.
    srv.kv_fault(KvFault { op: KvOp::Get, kind: KvFaultKind::Rbac });
    srv.kv_fault(KvFault { op: KvOp::Versions, kind: KvFaultKind::Rbac });
    let r = kv_send(&srv, &put, Some(&token)).await;
    let written = kv::interpret_put(&kv_resp(&r), &v, "contoso-api", 0).unwrap();
    let list = kv::versions_request(&v, "contoso-api").unwrap();
    assert_eq!(kv_send(&srv, &list, None).await.status, 401);
    let r = kv_send(&srv, &list, Some(&token)).await;
    assert!(json(&r)["error"]["message"].as_str().unwrap().contains("secrets/readMetadata/action"));
    assert_eq!(kv::interpret_versions(&kv_resp(&r), &v, 0), Err(KvError::ForbiddenByRbac));
    let back = kv::read_back_request(&v, "contoso-api", &written.version).unwrap();
    let r = kv_send(&srv, &back, Some(&token)).await;
    assert!(json(&r)["error"]["message"].as_str().unwrap().contains("secrets/getSecret/action"));
    let r = kv_send(&srv, &back, Some(&token)).await;
    assert_eq!(r.status, 200);

    // Corrupt applies to reads only: the PUT goes through, the read-back does not match.
    srv.kv_fault(KvFault { op: KvOp::Any, kind: KvFaultKind::Corrupt });
    let r = kv_send(&srv, &put, Some(&token)).await;
    let third = kv::interpret_put(&kv_resp(&r), &v, "contoso-api", 0).unwrap();
    let back = kv::read_back_request(&v, "contoso-api", &third.version).unwrap();
    let r = kv_send(&srv, &back, Some(&token)).await;
    assert_eq!(r.status, 200);
    assert_eq!(json(&r)["value"].as_str().unwrap().len(), SECRET.len());
    assert_eq!(kv::interpret_read_back(&kv_resp(&r), &v, &third, SECRET.as_bytes(), 0), Err(KvError::VerifyMismatch));
    let r = kv_send(&srv, &back, Some(&token)).await;
    assert_eq!(kv::interpret_read_back(&kv_resp(&r), &v, &third, SECRET.as_bytes(), 0), Ok(third.clone()));
    // A Drop on Any is taken by a GET too (the client sees a network failure); queued
    // faults can be cleared.
    for _ in 0..3 {
        srv.kv_fault(KvFault { op: KvOp::Any, kind: KvFaultKind::Drop });
    }
    assert_eq!(kv_send(&srv, &back, Some(&token)).await.status, 0);
    srv.kv_clear_faults();
    assert_eq!(kv_send(&srv, &back, Some(&token)).await.status, 200);

    // Revoked tokens: 401 with the challenge; the refresh token still works.
    srv.kv_revoke_tokens();
    let r = kv_send(&srv, &back, Some(&token)).await;
    assert_error(&r, 401, "Unauthorized", None);
    assert!(kv::map_error(&kv_resp(&r), &v, 0).needs_sign_in());
    let rt = t.refresh_token.clone().unwrap();
    let r = f.redeem(&srv, &f.cfg.refresh_token_body(&rt)).await;
    let t2 = pkce::parse_token_response(r.status, r.body.as_bytes()).unwrap();
    assert_eq!(kv_send(&srv, &back, Some(&t2.access_token)).await.status, 200);

    // Access tokens expire after expires_in.
    srv.kv_advance_clock(3600);
    let r = kv_send(&srv, &back, Some(&t2.access_token)).await;
    assert_eq!(json(&r)["error"]["message"], "[TokenExpired] Error validating token: 'S2S12086'.");
    let r = f.redeem(&srv, &f.cfg.refresh_token_body(&rt)).await;
    let t3 = pkce::parse_token_response(r.status, r.body.as_bytes()).unwrap();
    assert_eq!(kv_send(&srv, &back, Some(&t3.access_token)).await.status, 200);
}
