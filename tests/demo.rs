#![cfg(not(target_arch = "wasm32"))]
//! `./build.sh demo`: ShownOnce for someone without an Azure tenant. The replica portal of the
//! end-to-end tests (tests/support/server.rs: HTTPS at the real portal hostnames, mapped to
//! loopback in the demo browser only) and a real browser with `dist/` unchanged in a fresh
//! profile, on the *Certificates & secrets* blade of a demo app.
//!
//! With a display (`$DISPLAY` or `$WAYLAND_DISPLAY`) the browser has a window and the person
//! clicks through. Without one it runs headless, adds a secret itself and writes screenshots
//! of ShownOnce's prompt to `target/demo/`. Either way it runs until Ctrl+C (or, with a window,
//! until the browser is closed), then stops the browser, its driver and the server.
//!
//! Ignored: only `./build.sh demo` runs it (`cargo test --profile harness --test demo --
//! --ignored --nocapture`). Its environment, set by build.sh from the command line:
//! `SO_DEMO_BROWSER=chrome|firefox` (`--firefox`), `SO_DEMO_HEADLESS=1` (`--headless`: no window
//! even with a display), `SO_DEMO_SCREENSHOTS_ONLY=1` (`--screenshots-only`: headless, exits
//! after the screenshots).

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::browser::{Browser, Session};
use support::server::ReplicaServer;
use thirtyfour::By;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// The replica's own demo app (its App registrations list and home tile link to this id; the
/// replica calls every app "Contoso Billing API").
const APP_ID: &str = "3b9f1a2c-5d4e-4f60-8a71-92b3c4d5e6f7";
const APP_NAME: &str = "Contoso Billing API";

/// The Certificates & secrets blade, drawn in a cross-origin reactblade iframe as the portal
/// draws it.
fn landing_url() -> String {
    format!("https://portal.azure.com/?so_frame=iframe#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP_ID}/isMSAApp~/false")
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

/// Ctrl+C, and the signals a closing terminal or `kill` send: listened to from the start, so
/// one that comes while the browser starts is acted on once it runs.
struct Stop {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl Stop {
    fn listen() -> Stop {
        let on = |k: SignalKind| signal(k).expect("listen for signals");
        Stop { int: on(SignalKind::interrupt()), term: on(SignalKind::terminate()), hup: on(SignalKind::hangup()) }
    }

    async fn wait(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "Ctrl+C",
            _ = self.term.recv() => "SIGTERM",
            _ = self.hup.recv() => "SIGHUP",
        }
    }
}

/// Returns once the person closed the browser (its window handles are gone twice in a row).
async fn browser_closed(s: &Session) {
    let mut gone = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        match s.driver.windows().await {
            Ok(w) if !w.is_empty() => gone = 0,
            // A leave-page dialog open in the window is not a closed browser.
            Err(e) if e.to_string().to_ascii_lowercase().contains("alert") => gone = 0,
            _ => gone += 1,
        }
        if gone >= 2 {
            return;
        }
    }
}

/// Opens the blade and waits until the replica drew it.
async fn open_blade(s: &Session) {
    s.driver.goto(landing_url()).await.expect("open the replica portal");
    s.wait_js("the replica blade", "return document.documentElement.dataset.replicaReady || null;", 30, |v| v.as_str() == Some("credentials")).await;
}

/// The accessible name of ShownOnce's prompt in the current frame, once the prompt frame is filled.
async fn prompt_name(s: &Session) -> Option<String> {
    let frame = s.driver.find(By::Css("iframe[src$='/prompt.html']")).await.ok()?;
    frame.enter_frame().await.ok()?;
    let name = s
        .driver
        .execute(
            "const d = document.getElementById('dialog'); return document.documentElement.dataset.ready === 'true' && d ? d.getAttribute('aria-label') : null;",
            vec![],
        )
        .await
        .ok()
        .and_then(|r| r.json().as_str().map(str::to_string));
    s.driver.enter_parent_frame().await.expect("back from the prompt frame");
    name
}

/// Saves the current page as target/demo/<browser>-<name>.png.
async fn screenshot(s: &Session, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("demo");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}.png", s.browser.name()));
    s.driver.enter_default_frame().await.ok();
    s.driver.screenshot(&path).await.expect("screenshot");
    path
}

/// Headless: what a person would do on the blade, with screenshots instead of a window.
async fn one_round(s: &Session, server: &ReplicaServer) {
    let blade = screenshot(s, "1-blade").await;
    println!("  {}  the blade, before the secret", blade.display());
    // A click in the portal page first, as a person's (Firefox gives the page the user
    // activation its leave-page dialog needs only for a click in the top document).
    s.click_testid("blade-title").await;
    s.enter_blade(true).await;
    s.click_testid("new-secret").await;
    s.type_testid("desc-input", "ShownOnce demo").await;
    s.click_testid("add-button").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.issued().is_empty() {
        assert!(Instant::now() < deadline, "the replica did not add a secret");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The prompt comes with the value; in the blade iframe it names the app a moment later
    // (the name comes from the portal's top frame).
    let deadline = Instant::now() + Duration::from_secs(20);
    let name = loop {
        match prompt_name(s).await {
            Some(n) if n.contains(APP_NAME) => break n,
            other => assert!(Instant::now() < deadline, "no ShownOnce prompt naming {APP_NAME} within 20 s (last: {other:?})"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let the prompt finish placing itself before the picture.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let prompt = screenshot(s, "2-prompt").await;
    let hint = &server.issued()[0].hint;
    println!("  {}  ShownOnce's prompt: \"{name}\" (the new secret {hint}…)", prompt.display());
}

#[tokio::test]
#[ignore = "a tour for people, not a check: ./build.sh demo"]
async fn demo() {
    let mut stop = Stop::listen();
    let browser = match std::env::var("SO_DEMO_BROWSER").unwrap_or_default().as_str() {
        "" | "chrome" | "chromium" => Browser::Chrome,
        "firefox" => Browser::Firefox,
        other => panic!("SO_DEMO_BROWSER={other:?}: chrome or firefox"),
    };
    let screenshots_only = flag("SO_DEMO_SCREENSHOTS_ONLY");
    let headed = has_display() && !flag("SO_DEMO_HEADLESS") && !screenshots_only;
    let (label, dist) = match browser {
        Browser::Chrome => ("Chromium", "dist/chrome"),
        Browser::Firefox => ("Firefox", "dist/firefox"),
    };

    let server = ReplicaServer::start();
    println!("\nShownOnce demo: {label} with {dist}, {}, against the replica portal", if headed { "in a window" } else { "headless" });
    println!("  (this machine, 127.0.0.1:{}, at the real hostnames for that browser only; its", server.port());
    println!("  self-signed certificate is accepted by that browser session, nothing is installed)");
    let s = if headed { Session::start_headed(browser, &server).await } else { Session::start(browser, &server).await };

    let why = tokio::select! {
        biased;
        why = stop.wait() => why,
        why = async {
            // Firefox opens at its own default size (headless: 1366x768); Chromium's sessions
            // start at 1400x900 (`--window-size`), where the blade's table fits.
            if browser == Browser::Firefox {
                s.driver.set_window_rect(0, 0, 1400, 900).await.expect("window size");
            }
            open_blade(&s).await;
            if headed {
                println!("\n  {}", landing_url());
                println!("  1. Click \"+ New client secret\", then \"Add\".");
                println!("  2. ShownOnce's prompt appears next to the new value: copy it, save it to an");
                println!("     encrypted file, or first try to leave the page without saving it.");
                println!("  Ctrl+C here, or closing the browser, stops the browser, its driver and the server.");
                browser_closed(&s).await;
                "the browser was closed"
            } else {
                let why = if has_display() { "Headless as asked" } else { "No display ($DISPLAY and $WAYLAND_DISPLAY unset), so headless" };
                println!("\n{why}: one round, driven here.");
                one_round(&s, &server).await;
                if screenshots_only {
                    "--screenshots-only"
                } else {
                    println!("\nThe browser keeps running headless (nothing to connect to); Ctrl+C stops it and the server.");
                    std::future::pending::<&'static str>().await
                }
            }
        } => why,
    };

    println!("\n{why}: stopping the browser, its driver and the replica server");
    // Quit the WebDriver session (the browser closes); dropping the session then kills the
    // driver's process group, whatever is left of it, and removes the profile.
    let _ = tokio::time::timeout(Duration::from_secs(10), s.quit()).await;
    drop(server);
    println!("stopped");
}
