//! The Key Vault replica: the secrets data plane (set, get, list versions), its errors,
//! injected faults (RBAC, firewall, throttling, outages…) and soft delete.

use std::collections::BTreeMap;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
/// A request whose body the server already read (it records every request: the e2e leak scan).
type ReqBody = http_body_util::Full<Bytes>;
use hyper::header::{HeaderValue, CACHE_CONTROL};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use super::http::{header, json_response, Params};
use super::{DropConnection, Inner, KvState, HEX, KV_HOST, KV_RESOURCE, KV_USER_OID, KV_VAULT, LOGIN_HOST};

/// API versions the vault accepts.
const API_VERSIONS: &[&str] = &["7.4", "7.5", "7.6", "2025-07-01"];
const LATEST_API_VERSION: &str = "2025-07-01";
const LOCATION_NAME: &str = "westeurope";
const SUBSCRIPTION: &str = "8f3e2d1c-0b9a-4786-a5b4-c3d2e1f0a9b8";
/// Largest secret value Key Vault stores (25 KiB).
const MAX_VALUE_BYTES: usize = 25 * 1024;
const MAX_TAGS: usize = 15;
const MAX_TAG_NAME_CHARS: usize = 512;
const MAX_TAG_VALUE_CHARS: usize = 256;

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

impl KvState {
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
}

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

pub(super) async fn vault(req: Request<ReqBody>, st: &KvState) -> Result<Response<Full<Bytes>>, DropConnection> {
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
