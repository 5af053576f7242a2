//! Real browsers for the end-to-end tests: headless Chromium (chromedriver) and Firefox ESR
//! (geckodriver), each loading the production build from `dist/` unchanged, with the portal
//! hostnames mapped to the loopback replica server.
#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use thirtyfour::prelude::*;

use super::server::ReplicaServer;

/// Which browser a session drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Debian's Chromium with chromedriver.
    Chrome,
    /// Firefox ESR with geckodriver.
    Firefox,
}

impl Browser {
    /// Short name for test output.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Firefox => "firefox",
        }
    }
}

/// geckodriver's `POST /session/{id}/moz/context`: run scripts in the browser's chrome
/// (privileged) context or back in content.
#[derive(Debug)]
struct MozContext(&'static str);

impl thirtyfour::common::command::FormatRequestData for MozContext {
    fn format_request(&self, session_id: &thirtyfour::SessionId) -> thirtyfour::RequestData {
        thirtyfour::RequestData::new(http::Method::POST, format!("/session/{session_id}/moz/context")).add_body(json!({ "context": self.0 }))
    }
}

/// What a witnessed navigation did (see [`Session::navigate_witnessed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Witness {
    /// The browser raised its leave-page (beforeunload) prompt.
    Prompted,
    /// The navigation completed and no prompt was raised.
    Loaded,
    /// Neither happened in time.
    Nothing,
}

/// A running browser with the extension installed.
pub struct Session {
    /// The WebDriver client.
    pub driver: WebDriver,
    /// Which browser this is.
    pub browser: Browser,
    driver_process: Child,
    profile: PathBuf,
    /// BiDi context of the background tab that asks the extension (see [`Session::frame_status`]).
    probe: std::sync::Mutex<Option<String>>,
    /// The unpacked extension this browser runs (Chromium's extension id follows its path).
    ext: Option<PathBuf>,
    /// Every console message of every browsing context (pages, their frames, the prompt
    /// frames, extension pages in tabs), through BiDi `log.entryAdded`: the leak scan's
    /// console channel.
    pub console: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// WebDriver BiDi on, and leave-page prompts left open for the test to witness: classic
/// WebDriver would silently accept them (see `Session::leave_prompt`).
fn bidi_caps(caps: &mut impl thirtyfour::CapabilitiesHelper) {
    caps.set("webSocketUrl", true).unwrap();
    caps.set("unhandledPromptBehavior", json!({"beforeUnload": "ignore", "default": "dismiss and notify"})).unwrap();
}

/// The add-on id in the Firefox manifest (extension/manifest.json).
pub const FIREFOX_ADDON_ID: &str = "shownonce@shownonce.dev";
const FIREFOX_UUID: &str = "5a0e1c3b-7d2f-4e68-9b1a-0c4d2e6f8a10";

/// Chromium's id for an unpacked extension: SHA-256 of its absolute path, first 16 bytes,
/// each hex digit written as a letter a–p.
fn chrome_unpacked_id(path: &std::path::Path) -> String {
    let digest = shownonce::core::pkce::sha256(path.to_string_lossy().as_bytes());
    digest[..16].iter().flat_map(|b| [b >> 4, b & 15]).map(|d| (b'a' + d) as char).collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `dist/<browser>` — the unpacked production build. Panics with a clear message when missing.
pub fn dist(browser: Browser) -> PathBuf {
    let dir = root().join("dist").join(browser.name());
    assert!(dir.join("manifest.json").exists(), "{} is missing: run ./build.sh first", dir.display());
    dir
}

fn which(cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(format!("command -v {cmd}")).output().unwrap();
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!path.is_empty(), "{cmd} not found: ./build.sh test installs it");
    path
}

async fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "webdriver did not start on port {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A failed scenario: whether the driver is still alive, and the end of its and the
        // browser's output (crashes, refused connections), before the profile goes. The
        // secret values in it, if any, are the replica's throw-away ones.
        if std::thread::panicking() {
            let alive = self.driver_process.try_wait().map(|s| match s {
                None => "running".to_string(),
                Some(status) => format!("exited: {status}"),
            });
            // Chromium repeats the replica's sandbox warning for every blade: left out.
            let log = self.browser_log();
            let tail: Vec<&str> = log.lines().filter(|l| !l.contains("can escape its sandboxing")).rev().take(40).collect();
            eprintln!("--- {} driver {alive:?}; the last {} lines of its output:", self.browser.name(), tail.len());
            for l in tail.iter().rev() {
                eprintln!("  {}", l.chars().take(300).collect::<String>());
            }
        }
        let group = format!("-{}", self.driver_process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.driver_process.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Session {
    /// Starts `browser` headless with `dist/<browser>` installed and the replica hosts mapped.
    pub async fn start(browser: Browser, server: &ReplicaServer) -> Session {
        Self::start_opts(browser, server, None).await
    }

    /// Like [`Session::start`]; `background_idle_ms` shortens Firefox's idle timeout for the
    /// extension's event page, so the test can have it suspended and woken again (Firefox has
    /// no "stop worker" command like Chromium's CDP `ServiceWorker.stopAllWorkers`).
    pub async fn start_opts(browser: Browser, server: &ReplicaServer, background_idle_ms: Option<u32>) -> Session {
        Session::launch(browser, server, Some(&dist(browser)), &[], background_idle_ms, true, None).await
    }

    /// Like [`Session::start`], with a browser window (needs a display: `$DISPLAY` or
    /// `$WAYLAND_DISPLAY`), for a person to use (`./build.sh demo`). Everything else is as in
    /// the headless sessions: fresh profile, hostnames mapped, the self-signed certificate accepted.
    pub async fn start_headed(browser: Browser, server: &ReplicaServer) -> Session {
        Session::launch(browser, server, Some(&dist(browser)), &[], None, false, None).await
    }

    /// Like [`Session::start`], with the unpacked extension in `ext` (e.g. a baseline
    /// extension for the benchmarks), or with no extension at all when `ext` is `None`.
    pub async fn start_with(browser: Browser, server: &ReplicaServer, ext: Option<&Path>) -> Session {
        Session::start_with_args(browser, server, ext, &[]).await
    }

    /// Like [`Session::start_with`], plus extra Chromium command-line switches (ignored for
    /// Firefox).
    pub async fn start_with_args(browser: Browser, server: &ReplicaServer, ext: Option<&Path>, extra_args: &[&str]) -> Session {
        Session::launch(browser, server, ext, extra_args, None, true, None).await
    }

    /// Firefox with `dist/firefox`, its UI (and so the extension's `chrome.i18n`) in `lang`,
    /// from Debian's language pack (`firefox-esr-l10n-<lang>`, which `./build.sh test`
    /// installs). Chromium cannot do this here: Debian's build ships `en-US.pak` only.
    pub async fn start_firefox_in_language(server: &ReplicaServer, lang: &str) -> Session {
        Session::launch(Browser::Firefox, server, Some(&dist(Browser::Firefox)), &[], None, true, Some(lang)).await
    }

    async fn launch(
        browser: Browser,
        server: &ReplicaServer,
        ext: Option<&Path>,
        extra_args: &[&str],
        background_idle_ms: Option<u32>,
        headless: bool,
        ui_lang: Option<&str>,
    ) -> Session {
        let port = free_port();
        let profile = std::env::temp_dir().join(format!("shownonce-e2e-{}-{}", browser.name(), port));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(profile.join("downloads")).unwrap();
        let (bin, args) = match browser {
            // Chromium's own output (below: every console message of every context, the
            // service worker's included) goes to this driver's output: the leak scanner reads it.
            Browser::Chrome => (which("chromedriver"), vec![format!("--port={port}"), "--enable-chrome-logs".to_string()]),
            Browser::Firefox => (
                which("geckodriver"),
                // Its own BiDi port: the default 9222 may be taken by another Firefox.
                vec![
                    format!("--port={port}"),
                    format!("--websocket-port={}", free_port()),
                    // Lets the tests open the extension's own moz-extension:// pages.
                    "--allow-system-access".to_string(),
                    "--log=error".to_string(),
                ],
            ),
        };
        // Its own process group: the browser it starts is killed with it, even after a panic.
        // The driver's output, with the browser's (see `browser_log`).
        let log = std::fs::File::create(profile.join("browser.log")).unwrap();
        let driver_process = Command::new(bin).process_group(0).args(args).stdout(log.try_clone().unwrap()).stderr(log).spawn().expect("start webdriver");
        wait_for_port(port).await;
        let url = format!("http://127.0.0.1:{port}");
        let driver = match browser {
            Browser::Chrome => {
                let mut caps = DesiredCapabilities::chrome();
                let bin = std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| "/usr/lib/chromium/chromium".into());
                caps.set_binary(&bin).unwrap();
                let mut args: Vec<String> = extra_args.iter().map(|a| a.to_string()).collect();
                if let Some(ext) = ext {
                    args.push(format!("--load-extension={}", ext.display()));
                    args.push(format!("--disable-extensions-except={}", ext.display()));
                }
                for arg in [
                    // With a window (the demo): X11 or Wayland, whichever the display is.
                    if headless { "--headless=new" } else { "--ozone-platform-hint=auto" }.to_string(),
                    "--no-sandbox".into(),
                    "--disable-gpu".into(),
                    "--disable-dev-shm-usage".into(),
                    "--disable-background-networking".into(),
                    "--disable-component-update".into(),
                    "--disable-sync".into(),
                    "--disable-quic".into(),
                    "--no-first-run".into(),
                    "--window-size=1400,900".into(),
                    format!("--user-data-dir={}", profile.display()),
                    format!("--host-resolver-rules={}", server.chromium_host_rules()),
                    "--ignore-certificate-errors".into(),
                    // Console messages of pages, frames, extension pages and the service
                    // worker, written to stderr (the leak scanner's console channel).
                    "--enable-logging=stderr".into(),
                    "--log-level=0".into(),
                ]
                .into_iter()
                .chain(args)
                {
                    caps.add_arg(&arg).unwrap();
                }
                caps.add_experimental_option("excludeSwitches", json!(["disable-extensions"])).unwrap();
                caps.add_experimental_option("prefs", json!({"download.default_directory": profile.join("downloads"), "download.prompt_for_download": false}))
                    .unwrap();
                bidi_caps(&mut caps);
                WebDriver::new(&url, caps).await.expect("start chromium")
            }
            Browser::Firefox => {
                let mut caps = DesiredCapabilities::firefox();
                caps.set_firefox_binary(&which("firefox-esr")).unwrap();
                if headless {
                    caps.add_arg("-headless").unwrap();
                }
                caps.accept_insecure_certs(true).unwrap();
                let mut prefs = thirtyfour::common::capabilities::firefox::FirefoxPreferences::new();
                // Every hostname resolves to loopback and :443 goes to the replica's port.
                prefs.set("network.dns.forceResolve", "127.0.0.1").unwrap();
                prefs.set("network.socket.forcePort", format!("443={}", server.port())).unwrap();
                prefs.set("network.proxy.type", 0).unwrap();
                if let Some(ms) = background_idle_ms {
                    prefs.set("extensions.background.idle.timeout", ms).unwrap();
                }
                if let Some(lang) = ui_lang {
                    prefs.set("intl.locale.requested", lang).unwrap();
                }
                prefs.set("browser.download.dir", profile.join("downloads").display().to_string()).unwrap();
                prefs.set("browser.download.folderList", 2).unwrap();
                prefs.set("browser.download.useDownloadDir", true).unwrap();
                prefs.set("browser.download.always_ask_before_handling_new_types", false).unwrap();
                // A fixed moz-extension:// UUID so tests can open the extension's own pages.
                prefs.set("extensions.webextensions.uuids", format!("{{\"{FIREFOX_ADDON_ID}\":\"{FIREFOX_UUID}\"}}")).unwrap();
                prefs.set("browser.shell.checkDefaultBrowser", false).unwrap();
                // permissions.request (an optional host permission, asked from the options
                // page or the prompt inside a click) is granted as if the user accepted the
                // question: WebDriver cannot answer the browser's own dialog.
                prefs.set("extensions.webextOptionalPermissionPrompts", false).unwrap();
                prefs.set("datareporting.policy.dataSubmissionEnabled", false).unwrap();
                // Every console message, of pages and of the extension's own contexts (its
                // background page, pages and frames, which WebDriver BiDi does not report),
                // written to stdout: the leak scanner's console channel.
                prefs.set("devtools.console.stdout.content", true).unwrap();
                prefs.set("devtools.console.stdout.chrome", true).unwrap();
                caps.set_preferences(prefs).unwrap();
                bidi_caps(&mut caps);
                let driver = WebDriver::new(&url, caps).await.expect("start firefox");
                if let Some(ext) = ext {
                    let tools = thirtyfour::extensions::addons::firefox::FirefoxTools::new(driver.handle().clone());
                    tools
                        .install_addon(&ext.display().to_string(), Some(true))
                        .await
                        .unwrap_or_else(|e| panic!("install {} as a temporary add-on: {e}", ext.display()));
                }
                driver
            }
        };
        // Connect WebDriver BiDi now (retrying while the remote agent comes up), so every
        // later `bidi()` call reuses one live connection.
        let mut tries = 0;
        while let Err(e) = driver.bidi().await {
            tries += 1;
            assert!(tries < 50, "WebDriver BiDi did not connect: {e}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let console = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let bidi = driver.bidi().await.expect("BiDi connection");
        bidi.session().subscribe("log.entryAdded").await.expect("subscribe to log.entryAdded");
        let mut events = bidi.subscribe_raw();
        let sink = console.clone();
        tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some(ev) = events.next().await {
                if ev.method == "log.entryAdded" {
                    // The text and every argument as the browser serialised it.
                    sink.lock().unwrap().push(ev.params.to_string());
                }
            }
        });
        Session { driver, browser, driver_process, profile, probe: std::sync::Mutex::new(None), ext: ext.map(Path::to_path_buf), console }
    }

    /// Ends the browser and its driver.
    pub async fn quit(self) {
        let _ = self.driver.clone().quit().await;
        // Drop kills what is left.
    }

    /// Runs `script` in the current frame (page world) and returns its result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.driver.execute(script, args).await.expect("execute script").json().clone()
    }

    /// Polls `script` (which returns a JSON value) until `done` accepts it, or fails after `secs`.
    pub async fn wait_js(&self, what: &str, script: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            // A script can fail while a frame navigates (no document yet): poll again.
            let v = match self.driver.execute(script, vec![]).await {
                Ok(r) => r.json().clone(),
                Err(e) => Value::String(format!("<script error: {e}>")),
            };
            if done(&v) {
                return v;
            }
            if Instant::now() > deadline {
                panic!("timed out after {secs}s waiting for {what}; last value: {v}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Switches into the blade iframe (when the blade is an iframe), or stays at the top.
    pub async fn enter_blade(&self, iframe: bool) {
        self.driver.enter_default_frame().await.unwrap();
        if iframe {
            let frame = self
                .driver
                .query(By::Css("iframe[data-testid=blade-frame]:not([hidden])"))
                .wait(Duration::from_secs(15), Duration::from_millis(50))
                .first()
                .await
                .expect("blade iframe");
            frame.enter_frame().await.unwrap();
        }
    }

    /// Clicks an element by `data-testid` in the current frame with a real (trusted) click.
    /// Retries while the element is transiently not interactable (a blade frame being swapped
    /// in, a re-render replacing the element).
    pub async fn click_testid(&self, id: &str) {
        let mut last = String::new();
        for _ in 0..60 {
            let found = self
                .driver
                .query(By::Css(format!("[data-testid={id}]")))
                .and_clickable()
                .wait(Duration::from_secs(15), Duration::from_millis(50))
                .first()
                .await;
            match found {
                Ok(el) => {
                    el.scroll_into_view().await.ok();
                    match el.click().await {
                        Ok(()) => return,
                        Err(e) => last = e.to_string(),
                    }
                }
                Err(e) => last = e.to_string(),
            }
            if std::env::var("SO_E2E_DEBUG").is_ok() {
                let info = self.js(&format!("const e = document.querySelector('[data-testid={id}]'); if (!e) return 'none'; const r = e.getBoundingClientRect(); return JSON.stringify({{r, vis: document.visibilityState, w: innerWidth, h: innerHeight, top: document.elementFromPoint(r.x + r.width/2, r.y + r.height/2)?.outerHTML?.slice(0, 200)}});"), vec![]).await;
                println!("debug click {id}: {info}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let info = self.js(&format!("const e = document.querySelector('[data-testid={id}]'); if (!e) return 'none'; const r = e.getBoundingClientRect(); return JSON.stringify({{r, url: location.href, vis: document.visibilityState, w: innerWidth, h: innerHeight}});"), vec![]).await;
        panic!("click [data-testid={id}]: {last}\nelement: {info}");
    }

    /// Types into an element by `data-testid`.
    pub async fn type_testid(&self, id: &str, text: &str) {
        let el = self.driver.find(By::Css(format!("[data-testid={id}]"))).await.unwrap();
        el.clear().await.ok();
        el.send_keys(text).await.unwrap();
    }

    /// Runs a BiDi navigation command on the top-level context (`browsingContext.reload` or
    /// `browsingContext.navigate`) and reports what happened: the browser raised its leave-page
    /// (beforeunload) prompt, witnessed through the BiDi `browsingContext.userPromptOpened`
    /// event (classic WebDriver would silently accept it), and the prompt was answered with
    /// `accept` (true: leave, false: stay); or the navigation completed without a prompt; or
    /// neither within `secs` (a broken harness, never read as "no prompt").
    pub async fn navigate_witnessed(&self, method: &str, mut params: Value, accept: bool, secs: u64) -> Witness {
        use futures_util::StreamExt;
        let bidi = self.driver.bidi().await.expect("BiDi connection");
        // Without the subscription no prompt could ever be witnessed: fail, never guess.
        bidi.session().subscribe("browsingContext.userPromptOpened").await.expect("subscribe to browsingContext.userPromptOpened");
        let mut events = bidi.subscribe_raw();
        let context = self.driver.window().await.unwrap().to_string();
        params["context"] = json!(context);
        params["wait"] = json!("complete");
        let sender = bidi.clone();
        let method = method.to_string();
        // The command only answers once the page loaded or the prompt was handled.
        let mut command = tokio::spawn(async move { sender.send_raw(&method, params).await });
        let deadline = tokio::time::sleep(Duration::from_secs(secs));
        tokio::pin!(deadline);
        let opened = loop {
            tokio::select! {
                _ = &mut deadline => break Witness::Nothing,
                done = &mut command => {
                    return match done {
                        Ok(Ok(_)) => Witness::Loaded,
                        Ok(Err(e)) => {
                            println!("note: the navigation failed without a leave-page prompt: {e}");
                            Witness::Nothing
                        }
                        Err(e) => panic!("navigation task: {e}"),
                    };
                }
                ev = events.next() => match ev {
                    Some(ev) if ev.method == "browsingContext.userPromptOpened" => {
                        assert_eq!(ev.params["type"], "beforeunload", "unexpected prompt: {}", ev.params);
                        let ctx = ev.params["context"].clone();
                        bidi.send_raw("browsingContext.handleUserPrompt", json!({"context": ctx, "accept": accept}))
                            .await
                            .expect("answer the prompt");
                        break Witness::Prompted;
                    }
                    Some(_) => continue,
                    None => break Witness::Nothing,
                },
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(15), command).await;
        opened
    }

    /// What `method` does to the page; a leave-page prompt is answered "stay on the page".
    pub async fn leave_prompt(&self, method: &str, params: Value, secs: u64) -> Witness {
        self.navigate_witnessed(method, params, false, secs).await
    }

    /// Navigates to `url` like a user who confirms any leave-page prompt.
    pub async fn goto_leaving(&self, url: &str) {
        self.driver.enter_default_frame().await.ok();
        self.navigate_witnessed("browsingContext.navigate", json!({ "url": url }), true, 30).await;
    }

    /// Stops the extension's background right now, as the browser does to an idle one:
    /// Chromium stops the service worker (CDP), Firefox terminates the event page (what
    /// about:debugging's "Terminate background script" does, from the browser's chrome
    /// context, which geckodriver's `--allow-system-access` allows). The next event or
    /// message starts it again.
    pub async fn stop_background(&self) {
        match self.browser {
            Browser::Chrome => {
                let cdp = self.driver.cdp();
                let _ = cdp.send_raw("ServiceWorker.enable", json!({})).await;
                cdp.send_raw("ServiceWorker.stopAllWorkers", json!({})).await.expect("stop the service worker");
            }
            Browser::Firefox => {
                let r = self
                    .firefox_chrome_js(
                        "const done = arguments[arguments.length - 1];\
                         const { ExtensionParent } = ChromeUtils.importESModule('resource://gre/modules/ExtensionParent.sys.mjs');\
                         const ext = ExtensionParent.GlobalManager.getExtension(arguments[0]);\
                         if (!ext) { done('no such add-on'); return; }\
                         ext.terminateBackground({ disableResetIdleForTest: true }).then(() => done('ok'), (e) => done(String(e)));",
                        vec![json!(FIREFOX_ADDON_ID)],
                    )
                    .await;
                assert_eq!(r, Ok(json!("ok")), "terminate the background");
            }
        }
    }

    /// Firefox: runs the async script `body` (it calls `arguments[arguments.length - 1]` with
    /// its answer) in the browser's chrome (privileged) context, then returns to content.
    pub async fn firefox_chrome_js(&self, body: &str, args: Vec<serde_json::Value>) -> Result<serde_json::Value, String> {
        assert_eq!(self.browser, Browser::Firefox, "the chrome context is Firefox's");
        self.driver.handle().cmd(MozContext("chrome")).await.map_err(|e| format!("chrome context: {e}"))?;
        let r = self.driver.execute_async(body, args).await;
        self.driver.handle().cmd(MozContext("content")).await.expect("content context");
        r.map(|r| r.json().clone()).map_err(|e| e.to_string())
    }

    /// Moves the browser's focus into the current tab's page, as a user's click into it does.
    ///
    /// Firefox: a tab opened through WebDriver starts as about:blank, for which the browser
    /// focuses its address bar; the WebDriver navigation that follows does not move the focus
    /// into the page, while the page's own `document.hasFocus()` stays false (and a text field
    /// fires no `change`). Two CI runs (11 and 17) and a local run failed on it; the browser's
    /// focus manager named the focused element: `input#urlbar-input`. A click synthesized by
    /// WebDriver inside the page does not move it either (it never reaches the browser's
    /// chrome); the page's `<browser>` element is focused from the chrome context instead, what
    /// a real click does. Chromium: nothing to do (headless, its pages fire `change` without it).
    pub async fn focus_page(&self) {
        if self.browser != Browser::Firefox {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.driver.execute("return document.hasFocus();", vec![]).await.map(|r| r.json().clone()).ok() != Some(json!(true)) {
            if Instant::now() >= deadline {
                panic!("the page never got the focus (focus manager: {})", self.firefox_focus_report().await);
            }
            let r = self.firefox_chrome_js("const done = arguments[arguments.length - 1]; gBrowser.selectedBrowser.focus(); done('ok');", vec![]).await;
            assert_eq!(r, Ok(json!("ok")), "focusing the page's browser element");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Firefox: where the browser's focus is, as its focus manager says (for a focus bug's
    /// report): each browser window (active or not, its selected tab) and the focused content.
    pub async fn firefox_focus_report(&self) -> String {
        let r = self
            .firefox_chrome_js(
                "const done = arguments[arguments.length - 1]; const out = [];\
                 try {\
                   for (const w of Services.wm.getEnumerator(null)) {\
                     out.push({type: w.document.documentElement.getAttribute('windowtype'), active: Services.focus.activeWindow === w,\
                       tabs: w.gBrowser ? w.gBrowser.tabs.length : null, selected: w.gBrowser ? w.gBrowser.selectedBrowser.currentURI.spec : null});\
                   }\
                   const bc = Services.focus.focusedContentBrowsingContext;\
                   out.push({focusedContent: bc ? (bc.currentURI ? bc.currentURI.spec : String(bc.id)) : null,\
                     activeContent: Services.focus.activeContentBrowsingContext ? String(Services.focus.activeContentBrowsingContext.currentURI && Services.focus.activeContentBrowsingContext.currentURI.spec) : null,\
                     focusedElement: Services.focus.focusedElement ? (Services.focus.focusedElement.localName + '#' + Services.focus.focusedElement.id) : null,\
                     focusedWindow: Services.focus.focusedWindow ? String(Services.focus.focusedWindow.location) : null});\
                 } catch (e) { out.push({error: String(e)}); }\
                 done(JSON.stringify(out));",
                vec![],
            )
            .await;
        match r {
            Ok(v) => v.as_str().unwrap_or_default().to_string(),
            Err(e) => e,
        }
    }

    /// The browser's own output so far (with its driver's): every console message of every
    /// context, the extension's background and pages included.
    pub fn browser_log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.profile.join("browser.log")).unwrap_or_default()).into_owned()
    }

    /// Where the browser saves downloads.
    pub fn downloads(&self) -> PathBuf {
        self.profile.join("downloads")
    }

    /// URL of one of the extension's own pages (e.g. `options.html`).
    pub async fn extension_url(&self, page: &str) -> String {
        match self.browser {
            Browser::Chrome => format!("chrome-extension://{}/{page}", chrome_unpacked_id(self.ext.as_deref().unwrap_or(&dist(Browser::Chrome)))),
            Browser::Firefox => format!("moz-extension://{FIREFOX_UUID}/{page}"),
        }
    }

    /// Grants the optional host permission `pattern` as the user would before it is asked.
    /// Chrome: what the extension's details page does for "Site access → add a site"
    /// (`developerPrivate.addHostPermission`, run in chrome://extensions, in a tab of its own),
    /// since WebDriver cannot answer the question `permissions.request` shows. Firefox: the
    /// profile answers that question itself (`extensions.webextOptionalPermissionPrompts`).
    pub async fn grant_host(&self, pattern: &str) {
        if self.browser != Browser::Chrome {
            return;
        }
        let id = chrome_unpacked_id(self.ext.as_deref().unwrap_or(&dist(Browser::Chrome)));
        let back = self.driver.window().await.unwrap();
        let tab = self.driver.new_tab().await.unwrap();
        self.driver.switch_to_window(tab).await.unwrap();
        self.driver.goto("chrome://extensions").await.unwrap();
        let r = self
            .driver
            .execute_async(
                "const cb = arguments[arguments.length - 1]; chrome.developerPrivate.addHostPermission(arguments[0], arguments[1]).then(() => cb('ok'), (e) => cb(String(e)));",
                vec![json!(id), json!(pattern)],
            )
            .await
            .expect("developerPrivate.addHostPermission");
        assert_eq!(r.json(), &json!("ok"), "granting {pattern} in chrome://extensions");
        self.driver.close_window().await.unwrap();
        self.driver.switch_to_window(back).await.unwrap();
    }

    /// Saves a PNG screenshot of the browsing context `context` (e.g. a background tab,
    /// through BiDi) under target/e2e/.
    pub async fn screenshot_context(&self, context: &str, name: &str) -> PathBuf {
        use base64::Engine;
        let dir = root().join("target").join("e2e");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{name}.png", self.browser.name()));
        let bidi = self.driver.bidi().await.expect("BiDi connection");
        let r = bidi.send_raw("browsingContext.captureScreenshot", json!({"context": context})).await.expect("browsingContext.captureScreenshot");
        let data = r["data"].as_str().or_else(|| r["result"]["data"].as_str()).unwrap_or_else(|| panic!("no screenshot data in {r}"));
        std::fs::write(&path, base64::engine::general_purpose::STANDARD.decode(data).expect("base64 PNG")).unwrap();
        path
    }

    /// Saves a PNG screenshot under target/e2e/.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = root().join("target").join("e2e");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{name}.png", self.browser.name()));
        self.driver.enter_default_frame().await.ok();
        self.driver.screenshot(&path).await.expect("screenshot");
        path
    }
}

/// Helpers for the `ux` e2e group: extension pages in background tabs (BiDi), and closing
/// the tab with its leave-page prompt witnessed.
impl Session {
    /// Opens `url` in a new *background* tab (the current tab stays the active one, as it is
    /// while the user looks at the toolbar popup) and returns its BiDi context id once the
    /// page loaded.
    pub async fn open_background_tab(&self, url: &str) -> String {
        let bidi = self.driver.bidi().await.expect("BiDi connection");
        let r = bidi.send_raw("browsingContext.create", json!({"type": "tab", "background": true})).await.expect("browsingContext.create (background tab)");
        let context = r["context"].as_str().or_else(|| r["result"]["context"].as_str()).unwrap_or_else(|| panic!("no context in {r}")).to_string();
        bidi.send_raw("browsingContext.navigate", json!({"context": context, "url": url, "wait": "complete"}))
            .await
            .expect("load the page in the background tab");
        context
    }

    /// Evaluates `expression` (awaited if it is a promise) in the top document of BiDi
    /// `context` and returns its string result (`None` for any other type or an exception).
    pub async fn eval_in_context(&self, context: &str, expression: &str) -> Option<String> {
        self.evaluate(json!({"context": context}), expression).await
    }

    /// BiDi `script.evaluate` of `expression` (awaited) in `target`: its string result.
    async fn evaluate(&self, target: Value, expression: &str) -> Option<String> {
        let bidi = self.driver.bidi().await.expect("BiDi connection");
        let r = bidi
            .send_raw("script.evaluate", json!({"expression": expression, "target": target, "awaitPromise": true, "resultOwnership": "none"}))
            .await
            .ok()?;
        let res = if r.get("result").is_some_and(|x| x.get("type").is_some()) { &r["result"] } else { &r["result"]["result"] };
        (res["type"] == "string").then(|| res["value"].as_str().unwrap_or_default().to_string())
    }

    /// The JavaScript worlds WebDriver BiDi reports for the top document of `context`
    /// (`script.getRealms`): its page world and any isolated world, such as an extension's
    /// content script world (Chromium reports that one with a `sandbox` name).
    pub async fn realms(&self, context: &str) -> Vec<Value> {
        let bidi = self.driver.bidi().await.expect("BiDi connection");
        let r = bidi.send_raw("script.getRealms", json!({"context": context})).await.expect("script.getRealms");
        let realms = if r["realms"].is_array() { &r["realms"] } else { &r["result"]["realms"] };
        realms.as_array().cloned().unwrap_or_default()
    }

    /// Evaluates `expression` (awaited if it is a promise) in the BiDi realm `realm` and
    /// returns its string result (`None` for any other type or an exception).
    pub async fn eval_in_realm(&self, realm: &str, expression: &str) -> Option<String> {
        self.evaluate(json!({"realm": realm}), expression).await
    }

    /// Polls [`Session::eval_in_context`] until `done` accepts its result, or fails after `secs`.
    pub async fn wait_in_context(&self, context: &str, what: &str, expression: &str, secs: u64, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.eval_in_context(context, expression).await;
            if let Some(v) = v.as_deref().filter(|v| done(v)) {
                return v.to_string();
            }
            if Instant::now() > deadline {
                panic!("timed out after {secs}s waiting for {what}; last value: {v:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What ShownOnce's content script says of itself in the current tab, asked through the
    /// extension: a background tab with the extension's popup page sends the `status` message
    /// (a page can neither send nor read it) to the top frame of the tab whose URL is the
    /// current one, or, with `host`, to that tab's frame of this host. `None`: no frame of
    /// ours answered (no ShownOnce there). Answer: `{engine, scan, guard, unsaved, url, top}`.
    /// Runs `body` (the body of an async JS function that sees `tab`, the id of the tab whose
    /// URL is the current one, found by asking the top frames) in an extension page and
    /// returns its JSON result; `None` when no such tab answers.
    pub async fn in_extension_for_tab(&self, body: &str) -> Option<Value> {
        let want = self.driver.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        let expression = format!(
            r#"(async () => {{
  const want = {want:?};
  const doc = (u) => String(u).split('#')[0];
  for (const t of await chrome.tabs.query({{}})) {{
    const top = await chrome.tabs.sendMessage(t.id, {{type: 'status'}}, {{frameId: 0}}).catch(() => undefined);
    if (!top || doc(top.url) !== doc(want)) continue;
    const tab = t.id;
    return JSON.stringify(await (async () => {{ {body} }})() ?? null);
  }}
  return 'null';
}})()"#
        );
        let context = self.probe_context().await;
        let v = self.eval_in_context(&context, &expression).await?;
        serde_json::from_str::<Value>(&v).ok().filter(|v| !v.is_null())
    }

    pub async fn frame_status(&self, host: Option<&str>) -> Option<Value> {
        let want = self.driver.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        let expression = format!(
            r#"(async () => {{
  const want = {want:?}, host = {host};
  const doc = (u) => String(u).split('#')[0];
  const ask = (tab, message, options) => chrome.tabs.sendMessage(tab, message, options).catch(() => undefined);
  const tabs = await chrome.tabs.query({{}});
  for (const t of tabs) {{
    const top = await ask(t.id, {{type: 'status'}}, {{frameId: 0}});
    if (!top || doc(top.url) !== doc(want)) continue;
    if (!host) return JSON.stringify(top);
    return JSON.stringify((await ask(t.id, {{type: 'status', host}}, {{}})) ?? null);
  }}
  // No top frame of ours there (a page of another site): any frame of that host, in any tab.
  if (host) for (const t of tabs) {{
    const r = await ask(t.id, {{type: 'status', host}}, {{}});
    if (r) return JSON.stringify(r);
  }}
  return 'null';
}})()"#,
            host = host.map(|h| format!("{h:?}")).unwrap_or_else(|| "null".into()),
        );
        for _ in 0..2 {
            let context = self.probe_context().await;
            match self.eval_in_context(&context, &expression).await {
                Some(v) => return serde_json::from_str::<Value>(&v).ok().filter(|v| !v.is_null()),
                // The probe tab is gone (a test closed every other tab): open another.
                None => *self.probe.lock().unwrap() = None,
            }
        }
        panic!("the extension page that asks the content scripts does not answer");
    }

    async fn probe_context(&self) -> String {
        if let Some(c) = self.probe.lock().unwrap().clone() {
            return c;
        }
        let url = self.extension_url("popup.html").await;
        let c = self.open_background_tab(&url).await;
        *self.probe.lock().unwrap() = Some(c.clone());
        c
    }

    /// Waits until the current tab's top frame says its leave guard is `want` ("armed"/"off").
    pub async fn wait_guard(&self, want: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let st = self.frame_status(None).await;
            if st.as_ref().is_some_and(|s| s["guard"] == want) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out after {secs}s waiting for the leave guard to be {want}; the top frame says {st:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until a frame of ours answers (the top frame, or the frame of `host`) and
    /// returns the engine it reports ("wasm" or "js").
    pub async fn wait_engine(&self, host: Option<&str>, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(e) = self.frame_status(host).await.and_then(|s| s["engine"].as_str().map(str::to_string)) {
                return e;
            }
            assert!(Instant::now() < deadline, "timed out after {secs}s: no ShownOnce frame answers ({host:?})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Closes BiDi `context` if it is still open (errors ignored: it may have closed itself).
    pub async fn close_context(&self, context: &str) {
        if let Ok(bidi) = self.driver.bidi().await {
            let _ = tokio::time::timeout(Duration::from_secs(15), bidi.send_raw("browsingContext.close", json!({"context": context}))).await;
        }
    }

    /// Closes the current top-level tab like a user (`browsingContext.close` with
    /// `promptUnload: true`) and reports what happened: the browser raised its leave-page
    /// prompt (answered with `accept`: true closes the tab, false keeps it), or the tab
    /// closed without one ([`Witness::Loaded`]), or neither within `secs`.
    pub async fn close_witnessed(&self, accept: bool, secs: u64) -> Witness {
        use futures_util::StreamExt;
        self.driver.enter_default_frame().await.ok();
        let bidi = self.driver.bidi().await.expect("BiDi connection");
        bidi.session().subscribe("browsingContext.userPromptOpened").await.expect("subscribe to browsingContext.userPromptOpened");
        bidi.session().subscribe("browsingContext.contextDestroyed").await.expect("subscribe to browsingContext.contextDestroyed");
        let mut events = bidi.subscribe_raw();
        let context = self.driver.window().await.unwrap().to_string();
        let sender = bidi.clone();
        let ctx = context.clone();
        let mut command = tokio::spawn(async move { sender.send_raw("browsingContext.close", json!({"context": ctx, "promptUnload": true})).await });
        let deadline = tokio::time::sleep(Duration::from_secs(secs));
        tokio::pin!(deadline);
        let mut command_done = false;
        let seen = loop {
            tokio::select! {
                biased;
                ev = events.next() => match ev {
                    Some(ev) if ev.method == "browsingContext.userPromptOpened" && ev.params["context"] == context.as_str() => {
                        assert_eq!(ev.params["type"], "beforeunload", "unexpected prompt: {}", ev.params);
                        bidi.send_raw("browsingContext.handleUserPrompt", json!({"context": context, "accept": accept}))
                            .await
                            .expect("answer the prompt");
                        break Witness::Prompted;
                    }
                    Some(ev) if ev.method == "browsingContext.contextDestroyed" && ev.params["context"] == context.as_str() => break Witness::Loaded,
                    Some(_) => continue,
                    None => break Witness::Nothing,
                },
                done = &mut command, if !command_done => {
                    command_done = true;
                    match done {
                        // Closed, and no prompt came first.
                        Ok(Ok(_)) => break Witness::Loaded,
                        Ok(Err(e)) => println!("note: browsingContext.close failed: {e}"),
                        Err(e) => panic!("close task: {e}"),
                    }
                }
                _ = &mut deadline => break Witness::Nothing,
            }
        };
        if !command_done {
            let _ = tokio::time::timeout(Duration::from_secs(10), command).await;
        }
        seen
    }
}
