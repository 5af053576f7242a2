#![cfg(not(target_arch = "wasm32"))]
//! The extension's pure OpenBao code (`shownonce::core::openbao`) against a real
//! `bao server -dev -dev-tls`: every request it builds is sent as built (by curl, trusting the
//! dev server's CA) and every answer is read by its own interpreters. The browser flows are in
//! tests/e2e.rs (`vault` group); this pins the protocol natively, in seconds.

#[path = "support/openbao.rs"]
mod openbao;

use openbao::{BaoServer, BAO_PASSWORD, BAO_USER};
use shownonce::core::openbao::{
    capabilities_request, interpret_capabilities, interpret_login, interpret_lookup_self, interpret_metadata, interpret_metadata_write, interpret_mount,
    interpret_read_back, interpret_write, lookup_self_request, map_error, metadata_request, metadata_write_request, mount_request, read_back_request,
    userpass_login_request, write_request, BaoAddr, BaoError, BaoOp, BaoRequest, BaoResponse, BaoTarget, SecretData, SecretMeta,
};

const SECRET: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";

/// Sends `req` to the server on 127.0.0.1 (the URL's host is resolved there, as the browsers
/// do) and returns status and body.
fn call(bao: &BaoServer, req: &BaoRequest, token: Option<&str>) -> (u16, Vec<u8>) {
    // One directory per call: the tests run in parallel threads of one process.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("so-bao-call-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body_in = dir.join("in");
    let body_out = dir.join("out");
    let _ = std::fs::remove_file(&body_out);
    let mut c = std::process::Command::new("curl");
    c.args(["-sS", "-k", "-X", req.method, "-o"]).arg(&body_out).args(["-w", "%{http_code}"]);
    c.args(["--resolve", &format!("{}:{}:127.0.0.1", openbao::BAO_HOST, bao.port)]);
    if let Some(t) = token {
        c.args(["-H", &format!("X-Vault-Token: {t}")]);
    }
    if let Some(ns) = &req.namespace {
        c.args(["-H", &format!("X-Vault-Namespace: {ns}")]);
    }
    if let Some(b) = &req.body {
        std::fs::write(&body_in, b.as_slice()).unwrap();
        c.args(["-H", "Content-Type: application/json", "--data-binary"]).arg(format!("@{}", body_in.display()));
    }
    c.arg(&req.url);
    let out = c.output().expect("curl");
    let status: u16 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    let body = std::fs::read(&body_out).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    (status, body)
}

fn target(bao: &BaoServer) -> BaoTarget {
    BaoTarget::new(BaoAddr::parse(&bao.addr()).unwrap(), None, None).unwrap()
}

#[test]
fn kv2_create_only_then_new_version_read_back_and_metadata() {
    let bao = BaoServer::start();
    let t = target(&bao);
    let tok = bao.token.as_str();
    let path = "azure/contoso-api/ci";

    // The token works; the mount is KV v2; the path is free.
    let resp = call(&bao, &lookup_self_request(&t), Some(tok));
    interpret_lookup_self(&BaoResponse { status: resp.0, body: &resp.1 }).expect("lookup-self");
    let resp = call(&bao, &mount_request(&t, path), Some(tok));
    let m = interpret_mount(&BaoResponse { status: resp.0, body: &resp.1 }, &t).expect("KV v2 mount");
    assert_eq!(m.version, 2);
    let resp = call(&bao, &metadata_request(&t, path), Some(tok));
    assert_eq!(interpret_metadata(&BaoResponse { status: resp.0, body: &resp.1 }).unwrap(), None);
    let caps = call(&bao, &capabilities_request(&t, path), Some(tok));
    let caps = interpret_capabilities(&BaoResponse { status: caps.0, body: &caps.1 }, &t, path).unwrap();
    assert!(caps.missing_for_save(&t, path, false).is_empty(), "the shownonce policy may save");

    // Create only (cas 0), then the same again is refused: never an overwrite.
    let data = SecretData { client_id: "11111111-2222-4333-8444-555555555555", tenant_id: "66666666-7777-4888-9999-000000000000", value: SECRET };
    let resp = call(&bao, &write_request(&t, path, &data, 0), Some(tok));
    let v1 = interpret_write(&BaoResponse { status: resp.0, body: &resp.1 }).expect("write v1");
    assert_eq!(v1, 1);
    let resp = call(&bao, &write_request(&t, path, &data, 0), Some(tok));
    assert_eq!(interpret_write(&BaoResponse { status: resp.0, body: &resp.1 }), Err(BaoError::CasMismatch));
    let resp = call(&bao, &metadata_request(&t, path), Some(tok));
    assert_eq!(interpret_metadata(&BaoResponse { status: resp.0, body: &resp.1 }).unwrap(), Some(1));
    // With cas = the current version: exactly one new version.
    let resp = call(&bao, &write_request(&t, path, &data, 1), Some(tok));
    assert_eq!(interpret_write(&BaoResponse { status: resp.0, body: &resp.1 }).unwrap(), 2);

    // Metadata, then the read-back compares value and version.
    let meta = SecretMeta {
        app_name: "Contoso API",
        client_id: data.client_id,
        secret_id: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        description: "ci",
        expires: "5/26/2027",
    };
    let resp = call(&bao, &metadata_write_request(&t, path, &meta, Some(86_400)), Some(tok));
    interpret_metadata_write(&BaoResponse { status: resp.0, body: &resp.1 }).expect("metadata write");
    let resp = call(&bao, &read_back_request(&t, path, 2), Some(tok));
    interpret_read_back(&BaoResponse { status: resp.0, body: &resp.1 }, 2, SECRET.as_bytes()).expect("read-back");
    assert_eq!(interpret_read_back(&BaoResponse { status: resp.0, body: &resp.1 }, 2, b"other"), Err(BaoError::NotVerified));

    // The CLI sees what the core wrote.
    let got = bao.kv_get(path).unwrap();
    assert_eq!(got["data"]["data"]["AZURE_CLIENT_SECRET"], SECRET);
    assert_eq!(got["data"]["data"]["AZURE_TENANT_ID"], data.tenant_id);
    let md = bao.kv_metadata(path).unwrap();
    assert_eq!(md["data"]["custom_metadata"]["source"], "ShownOnce");
    assert_eq!(md["data"]["custom_metadata"]["description"], "ci");
    assert_eq!(md["data"]["delete_version_after"], "24h0m0s");
}

#[test]
fn refusals_are_named() {
    let mut bao = BaoServer::start();
    let t = target(&bao);
    let path = "azure/contoso-api/denied";
    let data = SecretData { client_id: "c", tenant_id: "t", value: SECRET };

    // A policy without create: 403 on the write, and the capability check names it.
    let resp = call(&bao, &write_request(&t, path, &data, 0), Some(&bao.readonly_token));
    let e = interpret_write(&BaoResponse { status: resp.0, body: &resp.1 }).unwrap_err();
    assert!(matches!(e, BaoError::PermissionDenied { op: BaoOp::Write }), "{e:?}");
    assert!(e.user_message(&t, path).contains("create"), "{}", e.user_message(&t, path));
    let caps = call(&bao, &capabilities_request(&t, path), Some(&bao.readonly_token));
    match interpret_capabilities(&BaoResponse { status: caps.0, body: &caps.1 }, &t, path) {
        Err(BaoError::MissingCapabilities(missing)) => assert!(missing.iter().any(|m| m.contains("create")), "{missing:?}"),
        other => panic!("a read-only token must lack create: {other:?}"),
    }

    // A short-lived renewable token: lookup says so, renew-self extends it.
    let short = bao.new_token("shownonce", "5m");
    let resp = call(&bao, &lookup_self_request(&t), Some(&short));
    let info = interpret_lookup_self(&BaoResponse { status: resp.0, body: &resp.1 }).unwrap();
    assert!(info.renewable && info.ttl_secs <= 300, "{info:?}");
    let resp = call(&bao, &shownonce::core::openbao::renew_self_request(&t), Some(&short));
    shownonce::core::openbao::interpret_renew(&BaoResponse { status: resp.0, body: &resp.1 }).expect("renew-self");

    // A revoked token.
    let gone = bao.new_token("shownonce", "1h");
    bao.revoke(&gone);
    let resp = call(&bao, &lookup_self_request(&t), Some(&gone));
    let e = interpret_lookup_self(&BaoResponse { status: resp.0, body: &resp.1 }).unwrap_err();
    assert!(matches!(e, BaoError::TokenExpired | BaoError::PermissionDenied { .. }), "{e:?}");

    // userpass: a wrong password, then the right one.
    let req = userpass_login_request(&t, "userpass", BAO_USER, "wrong").unwrap();
    let resp = call(&bao, &req, None);
    assert_eq!(interpret_login(&BaoResponse { status: resp.0, body: &resp.1 }).unwrap_err(), BaoError::BadCredentials);
    let req = userpass_login_request(&t, "userpass", BAO_USER, BAO_PASSWORD).unwrap();
    let resp = call(&bao, &req, None);
    let tok = interpret_login(&BaoResponse { status: resp.0, body: &resp.1 }).expect("userpass login");
    let resp = call(&bao, &write_request(&t, path, &data, 0), Some(&tok.token));
    assert_eq!(interpret_write(&BaoResponse { status: resp.0, body: &resp.1 }).unwrap(), 1);

    // A KV v1 mount and no mount at all.
    bao.cli(&["secrets", "enable", "-path=kv1", "-version=1", "kv"]);
    let v1 = BaoTarget::new(BaoAddr::parse(&bao.addr()).unwrap(), None, Some("kv1")).unwrap();
    let resp = call(&bao, &mount_request(&v1, "x"), Some(&bao.root_token));
    assert!(matches!(interpret_mount(&BaoResponse { status: resp.0, body: &resp.1 }, &v1), Err(BaoError::KvV1 { .. })));
    let none = BaoTarget::new(BaoAddr::parse(&bao.addr()).unwrap(), None, Some("nosuch")).unwrap();
    let resp = call(&bao, &mount_request(&none, "x"), Some(&bao.root_token));
    assert!(interpret_mount(&BaoResponse { status: resp.0, body: &resp.1 }, &none).is_err());

    // Sealed: 503, named; stopped: no answer at all.
    bao.seal();
    let resp = call(&bao, &lookup_self_request(&t), Some(&bao.token));
    assert_eq!(map_error(&BaoResponse { status: resp.0, body: &resp.1 }, BaoOp::Lookup), BaoError::Sealed);
    bao.unseal();
    bao.stop();
    let resp = call(&bao, &lookup_self_request(&t), Some(&bao.token));
    assert_eq!(resp.0, 0, "a stopped server answers nothing");
}
