//! Browser helpers that report errors instead of panicking, and the browser sessions that
//! restart when the browser goes away mid-series.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use thirtyfour::prelude::*;

use super::config::{Builds, Cfg};
use super::report::Results;
use crate::support::browser::{Browser, Session};
use crate::support::server::ReplicaServer;

/// Chromium switches of the storm/idle sessions: blade iframes in the page's renderer.
pub const SHARED_PROCESS: &[&str] = &["--disable-site-isolation-trials", "--disable-features=IsolateOrigins,site-per-process"];
/// Long-task counter, injected into every document of the storm sessions (page world).
pub const LONGTASK_PROBE: &str = r#"(() => {
  if (window !== window.top || window.__soLong) return;
  const s = { n: 0, total: 0, max: 0 };
  Object.defineProperty(window, '__soLong', { value: s });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) { s.n += 1; s.total += e.duration; if (e.duration > s.max) s.max = e.duration; }
    }).observe({ type: 'longtask', buffered: true });
  } catch (_) { s.n = -1; }
})();"#;

pub async fn js(s: &Session, script: &str) -> Result<Value, String> {
    s.driver.execute(script, vec![]).await.map(|r| r.json().clone()).map_err(|e| e.to_string())
}

/// Polls `script` every `every` until `done` accepts its value; Err after `timeout`.
pub async fn poll(s: &Session, script: &str, timeout: Duration, every: Duration, done: impl Fn(&Value) -> bool) -> Result<Value, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let v = js(s, script).await?;
        if done(&v) {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out after {:?} (last value {v})", timeout));
        }
        tokio::time::sleep(every).await;
    }
}

/// The element with `data-testid=<testid>`, waiting up to 10 s for it.
async fn by_testid(s: &Session, testid: &str) -> Result<thirtyfour::WebElement, String> {
    s.driver
        .query(By::Css(format!("[data-testid={testid}]")))
        .wait(Duration::from_secs(10), Duration::from_millis(25))
        .first()
        .await
        .map_err(|e| format!("no [data-testid={testid}]: {e}"))
}

pub async fn click(s: &Session, testid: &str) -> Result<(), String> {
    by_testid(s, testid).await?.click().await.map_err(|e| format!("click {testid}: {e}"))
}

pub async fn type_into(s: &Session, testid: &str, text: &str) -> Result<(), String> {
    by_testid(s, testid).await?.send_keys(text).await.map_err(|e| format!("type into {testid}: {e}"))
}

pub async fn goto(s: &Session, url: &str) -> Result<(), String> {
    s.driver.enter_default_frame().await.map_err(|e| e.to_string())?;
    tokio::time::timeout(Duration::from_secs(30), s.driver.goto(url))
        .await
        .map_err(|_| format!("goto {url}: timed out"))?
        .map_err(|e| format!("goto {url}: {e}"))
}

pub async fn start_session(browser: Browser, server: &Arc<ReplicaServer>, ext: Option<PathBuf>, args: &'static [&'static str]) -> Result<Session, String> {
    let srv = server.clone();
    // In a task so that a browser that does not start is a note in the results, not a panic.
    tokio::spawn(async move { Session::start_with_args(browser, &srv, ext.as_deref(), args).await })
        .await
        .map_err(|e| format!("{} did not start: {e}", browser.name()))
}

pub fn first_lines(e: &str) -> String {
    // WebDriver errors carry a stack trace: keep the message.
    e.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && *l != "Stacktrace:").take(4).collect::<Vec<_>>().join(" ")
}

/// A browser session that is started again when the browser goes away in the middle of a
/// series (seen once on the shared 2-core VM: "invalid session id" after ~20 runs).
pub struct Live {
    browser: Browser,
    ext: Option<PathBuf>,
    args: &'static [&'static str],
    /// Enable CDP Performance and inject the long-task probe after every start.
    perf: bool,
    server: Arc<ReplicaServer>,
    s: Option<Session>,
    restarts: usize,
}

impl Live {
    pub async fn start(browser: Browser, server: &Arc<ReplicaServer>, ext: Option<PathBuf>, args: &'static [&'static str], perf: bool) -> Result<Live, String> {
        let mut live = Live { browser, ext, args, perf, server: server.clone(), s: None, restarts: 0 };
        live.launch().await?;
        Ok(live)
    }

    async fn launch(&mut self) -> Result<(), String> {
        let s = start_session(self.browser, &self.server, self.ext.clone(), self.args).await?;
        if self.perf {
            s.driver.cdp().performance().enable().await.map_err(|e| format!("Performance.enable: {e}"))?;
            s.driver
                .cdp()
                .send_raw("Page.addScriptToEvaluateOnNewDocument", json!({ "source": LONGTASK_PROBE }))
                .await
                .map_err(|e| format!("Page.addScriptToEvaluateOnNewDocument: {e}"))?;
        }
        self.s = Some(s);
        Ok(())
    }

    pub fn s(&self) -> Result<&Session, String> {
        self.s.as_ref().ok_or_else(|| "no browser (restart failed)".to_string())
    }

    /// After a failed run: if the error says the browser is gone, start it again (at most 3
    /// times per session).
    pub async fn recover(&mut self, err: &str, label: &str, notes: &mut Vec<String>) {
        const GONE: &[&str] = &[
            "invalid session id",
            "session deleted",
            "not reachable",
            "disconnected",
            "tab crashed",
            "no such window",
            "error sending request",
            "timed out after 60 s",
        ];
        if self.restarts >= 3 || !GONE.iter().any(|g| err.contains(g)) {
            return;
        }
        self.restarts += 1;
        notes.push(format!("{label}: browser restarted after: {}", first_lines(err)));
        if let Some(s) = self.s.take() {
            s.quit().await;
        }
        if let Err(e) = self.launch().await {
            notes.push(format!("{label}: restart failed: {e}"));
        }
    }

    pub async fn quit(mut self) {
        if let Some(s) = self.s.take() {
            s.quit().await;
        }
    }
}

pub async fn metrics(s: &Session) -> Result<Map<String, Value>, String> {
    let list = s.driver.cdp().performance().get_metrics().await.map_err(|e| e.to_string())?;
    Ok(list.into_iter().map(|m| (m.name, json!(m.value))).collect())
}

pub fn metric(m: &Map<String, Value>, name: &str) -> f64 {
    m.get(name).and_then(Value::as_f64).unwrap_or(0.0)
}

pub async fn browser_version(s: &Session) -> String {
    match s.browser {
        Browser::Chrome => {
            s.driver.cdp().send_raw("Browser.getVersion", json!({})).await.ok().and_then(|v| v["product"].as_str().map(str::to_string)).unwrap_or_default()
        }
        Browser::Firefox => js(s, "return navigator.userAgent;")
            .await
            .ok()
            .and_then(|v| v.as_str().and_then(|ua| ua.split(' ').find(|p| p.starts_with("Firefox/")).map(str::to_string)))
            .unwrap_or_default(),
    }
}

/// The storm and idle sessions (Chromium with CDP metrics, shared renderer), side by side:
/// no extension, ShownOnce, and (storm only) the naive baseline.
pub async fn metric_sessions(cfg: &Cfg, server: &Arc<ReplicaServer>, builds: &Builds, out: &mut Results) -> Vec<(&'static str, Live)> {
    let mut sessions: Vec<(&'static str, Live)> = Vec::new();
    let variants: [(&'static str, Option<PathBuf>); 3] =
        [("none", None), ("shownonce", builds.chrome.as_ref().ok().map(|(d, _)| d.clone())), ("naive", Some(builds.naive.clone()))];
    for (name, ext) in variants {
        if name != "none" && ext.is_none() {
            out.notes.push(format!("storm/idle: no build for {name}"));
            continue;
        }
        if name == "naive" && !cfg.on("storm") {
            continue;
        }
        match Live::start(Browser::Chrome, server, ext, SHARED_PROCESS, true).await {
            Ok(s) => {
                if !out.browsers.contains_key("chrome") {
                    if let Ok(x) = s.s() {
                        out.browsers.insert("chrome".into(), json!(browser_version(x).await));
                    }
                }
                sessions.push((name, s));
            }
            Err(e) => out.notes.push(format!("storm/idle {name}: {e}")),
        }
    }
    sessions
}
