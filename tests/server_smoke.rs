#![cfg(not(target_arch = "wasm32"))]
//! Smoke test of the replica portal server: TLS at the portal hostnames, CSP on every
//! response, fresh valid secrets from the replica Graph API.

#[path = "support/server.rs"]
mod server;

use std::sync::Arc;

use server::{Csp, ReplicaServer};
use shownonce::core::secret::checksum_suffix;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over TLS (SNI = `host`), trusting only the server's own certificate.
async fn request(srv: &ReplicaServer, host: &str, method: &str, path: &str, body: &str) -> Reply {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(srv.cert_der()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", srv.port()))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).unwrap();
    let mut tls = connector
        .connect(name, tcp)
        .await
        .expect("TLS handshake with the portal name");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw).await; // a close without close_notify is fine here
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("HTTP response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

fn valid_current(v: &str) -> bool {
    v.len() == 40 && &v[3..6] == "8Q~" && checksum_suffix(&v.as_bytes()[..37]) == v.as_bytes()[37..]
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
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("eval"),
        "{csp}"
    );
    assert!(r.body.contains("shell.js") && !r.body.contains("<script>"));

    // Permissive is the default; the reactblade iframe also gets frame-ancestors.
    let r = request(&srv, "entra.microsoft.com", "GET", "/", "").await;
    assert_eq!(
        r.header("content-security-policy").unwrap(),
        Csp::Permissive.policy()
    );
    let r = request(
        &srv,
        "sandbox-1.reactblade.portal.azure.net",
        "GET",
        "/credentials.html?so_csp=strict",
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with(&Csp::Strict.policy())
            && csp.contains("frame-ancestors https://portal.azure.com"),
        "{csp}"
    );

    // Static files: content types, no traversal, CSP on errors too.
    let r = request(&srv, "portal.azure.com", "GET", "/shell.js", "").await;
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    for bad in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/.hidden",
        "/support/server.rs",
    ] {
        let r = request(&srv, "portal.azure.com", "GET", bad, "").await;
        assert_eq!(r.status, 404, "{bad}");
        assert!(r.header("content-security-policy").is_some());
    }

    // Replica Graph addPassword: fresh, valid, unique, recorded.
    let app = "6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b";
    let body =
        format!(r#"{{"displayName":"e2e","endDateTime":"2027-05-26T00:00:00Z","appId":"{app}"}}"#);
    let a = request(&srv, "portal.azure.com", "POST", "/api/addPassword", &body).await;
    let b = request(
        &srv,
        "sandbox-1.reactblade.portal.azure.net",
        "POST",
        "/api/addPassword",
        &body,
    )
    .await;
    let a: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    let b: serde_json::Value = serde_json::from_str(&b.body).unwrap();
    let (va, vb) = (
        a["secretText"].as_str().unwrap(),
        b["secretText"].as_str().unwrap(),
    );
    assert!(valid_current(va) && valid_current(vb), "{va} {vb}");
    assert_ne!(va, vb);
    assert_ne!(a["keyId"], b["keyId"]);
    assert_eq!(a["hint"].as_str().unwrap(), &va[..3]);

    // Other kinds.
    let kind = |k: &str| {
        format!(r#"{{"displayName":"k","endDateTime":"2027-05-26T00:00:00Z","kind":"{k}"}}"#)
    };
    let mut vals = Vec::new();
    for k in ["legacy", "old", "bad", "keyvault"] {
        let r = request(
            &srv,
            "portal.azure.com",
            "POST",
            "/api/addPassword",
            &kind(k),
        )
        .await;
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
    assert_eq!(issued[0].description, "e2e");
    let kinds: Vec<&str> = issued.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["current", "current", "legacy", "old", "bad", "keyvault"]
    );

    // The list shows the two new secrets (newest first) on top of the two older ones, masked.
    let r = request(
        &srv,
        "portal.azure.com",
        "GET",
        &format!("/api/passwordCredentials?appId={app}"),
        "",
    )
    .await;
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
    let secs = std::env::var("SO_SERVE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    std::thread::sleep(std::time::Duration::from_secs(secs));
    for i in srv.issued() {
        println!(
            "ISSUED {} {} {} {} {}",
            i.kind, i.host, i.key_id, i.end_date, i.description
        );
    }
}
