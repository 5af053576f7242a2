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
//! real services (e.g. the Azure SDK test recordings): a versions listing of a name that
//! never existed is `200 {"value":[],"nextLink":null}`, not 404.
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
use hyper::header::{HeaderName, HeaderValue, CACHE_CONTENT_TYPE_PLACEHOLDER};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use tokio_rustls::rustls;

use super::server::{civil, Rng};
