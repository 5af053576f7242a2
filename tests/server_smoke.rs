#![cfg(not(target_arch = "wasm32"))]
//! Smoke test of the replica portal server: TLS at the portal hostnames, CSP on every
//! response, fresh valid secrets from the replica Graph API. The Key Vault and identity
//! platform replicas have their own tests (tests/keyvault_replica.rs).

#[path = "support/checksum.rs"]
mod checksum;
#[path = "support/https_client.rs"]
mod https_client;
#[path = "support/keyvault/mod.rs"]
mod keyvault;
#[path = "support/server.rs"]
mod server;

use https_client::request;
use server::{Csp, ReplicaServer};
use shownonce::core::secret::{checksum_suffix, classify_token, marvin64, SecretKind};

/// The extension's verdict on a `8Q~`-shaped value: it is a current secret.
fn core_accepts(v: &str) -> bool {
    classify_token(v) == Some(SecretKind::Current)
}

/// Valid by the independent checksum (tests/support/checksum.rs); the extension must agree.
fn valid_current(v: &str) -> bool {
    let independent = checksum::is_valid_current(v);
    assert_eq!(core_accepts(v), independent, "{v}: the extension and the independent checksum disagree");
    independent
}

/// One-character changes of the vectors (to another alphabet character, the `8Q~` marker
/// left alone) that still pass the checksum. The check is only 3 base-66 digits of a 32-bit
/// value whose top digit is `a`..`d` (2^32 / 66^3 ≈ 14 940 possible checksums), so about 1 in
/// 15 000 such changes collides. Found by the same Python script as the vectors: these 2 of
/// the 21 645 changes of the 9 vectors.
const COLLIDING_MUTATIONS: [&str; 2] = ["rcP8Q~b8mm2-JcUs~XShNyJz3Y-g5tcxgF_MSbz9", "~~~8Q~~~~~~R~~~~~~~~~~~~~~~~~~~~~~~~~dtE"];

/// Every secret the replica draws is one the extension documents it detects: a draw outside
/// that shape fails an e2e scenario at random (1 old-format value in 200 lacked a digit).
#[test]
fn replica_secrets_have_the_documented_shapes() {
    let mut r = server::Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..5000 {
        let old = server::make_secret("old", &mut r);
        assert!(shownonce::core::secret::looks_like_old_secret(&old), "{old}");
        assert_eq!(classify_token(&old), None, "{old}");
        for k in ["current", "tilde"] {
            let v = server::make_secret(k, &mut r);
            assert_eq!(classify_token(&v), Some(SecretKind::Current), "{k} {v}");
        }
    }
}

#[test]
fn checksum_vectors_independent_of_the_extension() {
    for (seed, data, want) in checksum::MARVIN_VECTORS {
        assert_eq!(checksum::marvin(seed, data), want, "independent Marvin64 {seed:#x}");
        assert_eq!(marvin64(seed, data), want, "the extension's Marvin64 {seed:#x}");
    }
    let vectors: Vec<&str> = std::iter::once(checksum::MS_SAMPLE).chain(checksum::PYTHON_VECTORS).collect();
    let (mut tried, mut passed) = (0, Vec::new());
    for v in &vectors {
        assert!(checksum::is_valid_current(v), "independent checksum rejects {v}");
        assert!(core_accepts(v), "the extension rejects {v}");
        assert_eq!(checksum_suffix(&v.as_bytes()[..37]), v.as_bytes()[37..], "{v}");
        // Every one-character change, to every other character of the alphabet.
        for i in (0..3).chain(6..40) {
            for &c in checksum::SECRET_CHARS {
                if c == v.as_bytes()[i] {
                    continue;
                }
                let mut m = v.as_bytes().to_vec();
                m[i] = c;
                let m = String::from_utf8(m).unwrap();
                tried += 1;
                if core_accepts(&m) {
                    passed.push(m.clone());
                }
                assert_eq!(core_accepts(&m), checksum::is_valid_current(&m), "{m}");
                if i >= 37 {
                    assert!(!core_accepts(&m), "a changed checksum character passes: {m}");
                }
            }
        }
    }
    assert_eq!(tried, 21_645);
    assert_eq!(passed, COLLIDING_MUTATIONS, "one-character changes that still pass");
}

#[tokio::test]
async fn serves_portal_with_csp_and_fresh_secrets() {
    let srv = ReplicaServer::start();
    assert!(ReplicaServer::hostnames().contains(&"portal.azure.com"));
    assert!(ReplicaServer::hostnames().contains(&"sandbox-1.reactblade.portal.azure.net"));

    // Shell document, strict CSP.
    let r = request(&srv, "portal.azure.com", "GET", "/?so_csp=strict", "").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let csp = r.header("content-security-policy").expect("CSP header");
    assert_eq!(csp, Csp::Strict.policy());
    assert!(csp.contains("script-src 'self';") && !csp.contains("eval"), "{csp}");
    assert!(r.body.contains("shell.js") && !r.body.contains("<script>"));

    // Permissive is the default; the reactblade iframe also gets frame-ancestors.
    let r = request(&srv, "entra.microsoft.com", "GET", "/", "").await;
    assert_eq!(r.header("content-security-policy").unwrap(), Csp::Permissive.policy());
    let r = request(&srv, "sandbox-1.reactblade.portal.azure.net", "GET", "/credentials.html?so_csp=strict", "").await;
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.starts_with(&Csp::Strict.policy()) && csp.contains("frame-ancestors https://portal.azure.com"), "{csp}");

    // Static files: content types, no traversal, CSP on errors too.
    let r = request(&srv, "portal.azure.com", "GET", "/shell.js", "").await;
    assert!(r.header("content-type").unwrap().starts_with("text/javascript"));
    for bad in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/.hidden", "/support/server.rs"] {
        let r = request(&srv, "portal.azure.com", "GET", bad, "").await;
        assert_eq!(r.status, 404, "{bad}");
        assert!(r.header("content-security-policy").is_some());
    }

    // Replica Graph addPassword: fresh, valid, unique, recorded.
    let app = "6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b";
    let body = format!(r#"{{"displayName":"e2e","endDateTime":"2027-05-26T00:00:00Z","appId":"{app}"}}"#);
    let a = request(&srv, "portal.azure.com", "POST", "/api/addPassword", &body).await;
    let b = request(&srv, "sandbox-1.reactblade.portal.azure.net", "POST", "/api/addPassword", &body).await;
    let a: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    let b: serde_json::Value = serde_json::from_str(&b.body).unwrap();
    let (va, vb) = (a["secretText"].as_str().unwrap(), b["secretText"].as_str().unwrap());
    assert!(valid_current(va) && valid_current(vb), "{va} {vb}");
    assert_ne!(va, vb);
    assert_ne!(a["keyId"], b["keyId"]);
    assert_eq!(a["hint"].as_str().unwrap(), &va[..3]);

    // Other kinds.
    let kind = |k: &str| format!(r#"{{"displayName":"k","endDateTime":"2027-05-26T00:00:00Z","kind":"{k}"}}"#);
    let mut vals = Vec::new();
    for k in ["legacy", "old", "bad", "keyvault"] {
        let r = request(&srv, "portal.azure.com", "POST", "/api/addPassword", &kind(k)).await;
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        vals.push(v["secretText"].as_str().unwrap().to_string());
    }
    assert!(vals[0].len() == 37 && &vals[0][3..6] == "7Q~");
    assert!(vals[1].len() == 34 && !vals[1].contains("Q~"));
    assert!(vals[2].len() == 40 && &vals[2][3..6] == "8Q~" && !valid_current(&vals[2]));
    assert!(valid_current(&vals[3]));

    let issued = srv.issued();
    assert_eq!(issued.len(), 6);
    assert_eq!(issued[0].value, va);
    assert_eq!(issued[1].value, vb);
    assert_eq!(issued[0].host, "portal.azure.com");
    assert_eq!(issued[1].host, "sandbox-1.reactblade.portal.azure.net");
    assert_eq!(issued[0].end_date, "5/26/2027");
    assert_eq!(issued[0].end_ymd, Some((2027, 5, 26)));
    // `date -u -d 2027-05-26 +%s`
    assert_eq!(issued[0].end_unix, Some(1_811_289_600));
    assert_eq!(issued[0].description, "e2e");
    let kinds: Vec<&str> = issued.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds, ["current", "current", "legacy", "old", "bad", "keyvault"]);

    // The list shows the two new secrets (newest first) on top of the two older ones, masked.
    let r = request(&srv, "portal.azure.com", "GET", &format!("/api/passwordCredentials?appId={app}"), "").await;
    let list: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let list = list["value"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[0]["keyId"], b["keyId"]);
    assert!(list.iter().all(|c| c["secretText"].is_null()));
}

/// Manual helper: `SO_SERVE_SECS=600 cargo test --test server_smoke serve -- --ignored --nocapture`
/// starts the replica server, prints its port and the Chromium host rules, and keeps it up.
#[test]
#[ignore]
fn serve() {
    let srv = ReplicaServer::start();
    println!("REPLICA_PORT={}", srv.port());
    println!("REPLICA_RULES={}", srv.chromium_host_rules());
    let secs = std::env::var("SO_SERVE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(600);
    std::thread::sleep(std::time::Duration::from_secs(secs));
    for i in srv.issued() {
        println!("ISSUED {} {} {} {} {}", i.kind, i.host, i.key_id, i.end_date, i.description);
    }
}
