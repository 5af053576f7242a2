#![cfg(not(target_arch = "wasm32"))]
//! End-to-end tests: the production build (`dist/chrome`, `dist/firefox`, unchanged) in real
//! headless Chromium and Firefox against the replica portal, served over HTTPS at the real
//! hostnames, under a permissive and a strict Content-Security-Policy.
//!
//! Each `#[tokio::test]` is one browser × CSP mode and runs the scenario list in both frame
//! models (blade drawn in the shell document, blade in the cross-origin reactblade iframe).

mod support;

use serde_json::json;
use support::browser::{Browser, Session};
use support::server::{Csp, ReplicaServer};

const APP: &str = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c";

fn cred_hash(app: &str) -> String {
    format!("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{app}/isMSAApp~/false")
}

fn url(host: &str, csp: Csp, iframe: bool, extra: &str, hash: &str) -> String {
    let frame = if iframe { "iframe" } else { "shell" };
    format!("https://{host}/?so_frame={frame}&so_csp={}{extra}{hash}", csp.param())
}

struct Ctx<'a> {
    s: &'a Session,
    server: &'a ReplicaServer,
    csp: Csp,
}

impl Ctx<'_> {
    fn tag(&self, iframe: bool, name: &str) -> String {
        format!(
            "e2e [{}/{}/{}] {name}",
            self.s.browser.name(),
            self.csp.param(),
            if iframe { "iframe" } else { "shell" }
        )
    }

    /// Opens a replica page and waits until the replica says it is drawn.
    async fn open(&self, url: &str, ready: &str) {
        self.s.driver.enter_default_frame().await.ok();
        self.s.driver.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
        let want = ready.to_string();
        self.s
            .wait_js("replica ready", "return document.documentElement.dataset.replicaReady || null;", 20, |v| {
                v.as_str() == Some(want.as_str())
            })
            .await;
    }

    /// Which engine the content script should report: Chromium refuses wasm in content
    /// scripts on a page whose CSP lacks wasm-unsafe-eval, so it must use the JS copy.
    fn expected_engine(&self) -> &'static str {
        match (self.s.browser, self.csp) {
            (Browser::Chrome, Csp::Strict) => "js",
            _ => "wasm",
        }
    }

    /// The content script runs (and reports its engine) in the shell and in the blade iframe.
    async fn runs_in_portal_frames(&self, iframe: bool) {
        let tag = self.tag(iframe, "content script runs in the portal frames");
        for host in ["portal.azure.com", "entra.microsoft.com"] {
            self.open(&url(host, self.csp, iframe, "", &cred_hash(APP)), "credentials").await;
            let top = self.s.wait_root_attr("data-shownonce", 15).await;
            assert_eq!(top, self.expected_engine(), "{tag}: engine in the top frame on {host}");
            if iframe {
                self.s.enter_blade(true).await;
                let inner = self.s.wait_root_attr("data-shownonce", 15).await;
                assert_eq!(inner, self.expected_engine(), "{tag}: engine in the reactblade iframe");
                self.s.driver.enter_default_frame().await.unwrap();
            }
        }
        println!("{tag} ... ok");
    }

    /// Nothing of ShownOnce runs on a site that is not the portal, in any frame.
    async fn silent_off_portal(&self, iframe: bool) {
        let tag = self.tag(iframe, "nothing runs off-portal");
        self.open(&url("www.contoso-tools.example", self.csp, iframe, "", &cred_hash(APP)), "credentials").await;
        // Give a content script every chance to show up before asserting it did not.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert!(self.s.root_attr("data-shownonce").await.is_null(), "{tag}: ran in the top frame");
        if iframe {
            self.s.driver.enter_default_frame().await.unwrap();
            let n = self.s.js("return document.querySelectorAll('iframe').length;", vec![]).await;
            assert!(n.as_u64().unwrap_or(0) >= 1, "{tag}: the off-portal page has its own frame");
            let frame = self.s.driver.find(thirtyfour::By::Css("iframe")).await.unwrap();
            frame.enter_frame().await.unwrap();
            assert!(self.s.root_attr("data-shownonce").await.is_null(), "{tag}: ran in the iframe");
            self.s.driver.enter_default_frame().await.unwrap();
        }
        println!("{tag} ... ok");
    }
}

async fn run(browser: Browser, csp: Csp) {
    let server = ReplicaServer::start();
    let s = Session::start(browser, &server).await;
    let ctx = Ctx { s: &s, server: &server, csp };
    for iframe in [false, true] {
        ctx.runs_in_portal_frames(iframe).await;
        ctx.silent_off_portal(iframe).await;
    }
    let _ = json!(null);
    s.quit().await;
}

#[tokio::test]
async fn chrome_permissive_csp() {
    run(Browser::Chrome, Csp::Permissive).await;
}

#[tokio::test]
async fn chrome_strict_csp() {
    run(Browser::Chrome, Csp::Strict).await;
}

#[tokio::test]
async fn firefox_permissive_csp() {
    run(Browser::Firefox, Csp::Permissive).await;
}

#[tokio::test]
async fn firefox_strict_csp() {
    run(Browser::Firefox, Csp::Strict).await;
}
