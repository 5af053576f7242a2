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
//!
//! Layout: this module holds the shared state, the test hooks common to both replicas and the
//! dispatch by host; [`identity`] is the sign-in replica, [`vault`] the Key Vault replica,
//! `http` the request/response helpers both use.
#![allow(dead_code)]

mod http;
mod identity;
mod vault;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::Bytes;
/// A request whose body the server already read (it records every request: the e2e leak scan).
type ReqBody = http_body_util::Full<Bytes>;
use hyper::{Request, Response};

use super::server::Rng;

pub(crate) use http::decode;
// The public API the tests had before the split; each test binary uses only part of it.
#[allow(unused_imports)]
pub use identity::AuthLogged;
#[allow(unused_imports)]
pub use vault::{KvFault, KvFaultKind, KvLogged, KvOp, KvStored};

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

const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &[u8] = b"0123456789abcdef";

/// Returned by [`handle`] to make the server close the connection without answering.
#[derive(Debug)]
pub struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

/// Both replicas' state under one lock: the vault checks the tokens the sign-in replica
/// issued, and both share one random source and one clock.
struct Inner {
    rng: Rng,
    clock_offset: i64,
    deny_next: bool,
    codes: HashMap<String, identity::AuthCode>,
    access: HashMap<String, identity::AccessToken>,
    refresh: HashMap<String, identity::RefreshToken>,
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
pub async fn handle(req: Request<ReqBody>, host: &str, st: &KvState) -> Result<Response<Full<Bytes>>, DropConnection> {
    if host == LOGIN_HOST {
        Ok(identity::identity(req, st).await)
    } else if host == KV_HOST {
        vault::vault(req, st).await
    } else {
        // A vault name that does not exist has no DNS record. Chromium's host rules map only
        // the known names, so it gets a DNS error; Firefox resolves every name to loopback,
        // so here the connection closes unanswered: a network failure either way.
        Err(DropConnection)
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
