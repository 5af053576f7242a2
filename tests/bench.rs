#![cfg(not(target_arch = "wasm32"))]
//! Benchmarks (issue #7): size, detection latency, page overhead and idle cost of the
//! production build, measured against a no-extension and a naive-extension baseline in the
//! same run. Run with `./build.sh bench` (which builds `dist/` when stale and installs the
//! browsers), or directly:
//!
//! ```text
//! cargo test --release --test bench -- --ignored --test-threads=1 --nocapture
//! ```
//!
//! Prints a table and writes `target/bench/results.json` and `target/bench/PERFORMANCE.md`
//! (the README "Performance" section). Benchmarks never fail on timing: a figure that could
//! not be measured is `null` in the JSON, with the reason under `notes`.
//!
//! What is measured, and how:
//! - **Sizes**: every file the content script loads (the manifest's `content_scripts` plus its
//!   `web_accessible_resources`), raw and `gzip -9`; the payload every portal frame loads
//!   (content.js + wasm-bindgen glue + .wasm); the wasm2js fallback separately (what Chromium
//!   loads instead of the .wasm under a strict page CSP); the whole package per browser (sum of
//!   files, and the store zip built by build.sh).
//! - **Detection latency**: replica credentials blade (shell model), one fresh page load per
//!   run; the replica stamps `data-replica-value-inserted-at` when the new secret's value
//!   enters the DOM and ShownOnce's content script detects it (the time it hands its prompt frame); both
//!   are `performance.timeOrigin + performance.now()` in the same document. Plain replica and
//!   `so_pad=5000`; also the strict-CSP page (Chromium runs the wasm2js fallback there) and the
//!   naive baseline, with fewer runs.
//! - **Mutation storm**: `storm.html` (a log grid re-rendering 80 rows = 880 nodes every
//!   50 ms) without extension / with ShownOnce / with the naive baseline, interleaved
//!   a b c a b c …; CDP `Performance.getMetrics` at the end of each run. Chromium restarts
//!   these counters with every new document (each run goes through about:blank), so the
//!   values read are that page load's totals: ScriptDuration (all worlds, content scripts
//!   included; WebDriver's own script calls are not counted), TaskDuration, Layout +
//!   RecalcStyle, JSHeapUsedSize, plus long tasks (>= 50 ms) from a `longtask`
//!   PerformanceObserver injected with `Page.addScriptToEvaluateOnNewDocument`.
//! - **Idle cost**: the replica Overview blade (not the credentials blade) in the shell model
//!   (1 frame) and the iframe model (shell + reactblade blade iframe + the pool's spare
//!   iframe), with vs without ShownOnce. These Chromium sessions run without site isolation
//!   (`--disable-site-isolation-trials`) so the blade iframes share the page's renderer and
//!   their script time is in the page target's metrics.
//! - **Firefox**: sizes and detection latency (no CDP metrics).
//!
//! Knobs (environment): `SHOWNONCE_BENCH=sizes,latency,storm,idle,firefox` (sections, default
//! all), `SHOWNONCE_BENCH_RUNS` (latency runs per replica, default 30),
//! `SHOWNONCE_BENCH_EXTRA_RUNS` (strict-CSP / naive latency runs, default 10),
//! `SHOWNONCE_BENCH_FIREFOX_RUNS` (default 10), `SHOWNONCE_BENCH_STORM_RUNS` (per variant,
//! default 10), `SHOWNONCE_BENCH_STORM_SECONDS` (default 5), `SHOWNONCE_BENCH_IDLE_RUNS`
//! (per variant and frame model, default 6), `SHOWNONCE_BENCH_VERBOSE=1` (print every latency run).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use support::browser::{Browser, Session};
use support::server::ReplicaServer;
use thirtyfour::prelude::*;

const APP: &str = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c";
/// Chromium switches of the storm/idle sessions: blade iframes in the page's renderer.
const SHARED_PROCESS: &[&str] = &["--disable-site-isolation-trials", "--disable-features=IsolateOrigins,site-per-process"];
/// Rows per storm tick and ms between ticks (the replica's defaults): 880 nodes / 50 ms.
const STORM_ROWS: u32 = 80;
const STORM_INTERVAL_MS: u32 = 50;
/// Long-task counter, injected into every document of the storm sessions (page world).
const LONGTASK_PROBE: &str = r#"(() => {
  if (window !== window.top || window.__soLong) return;
  const s = { n: 0, total: 0, max: 0 };
  Object.defineProperty(window, '__soLong', { value: s });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) { s.n += 1; s.total += e.duration; if (e.duration > s.max) s.max = e.duration; }
    }).observe({ type: 'longtask', buffered: true });
  } catch (_) { s.n = -1; }
})();"#;

// ------------------------------------------------------------------------------------------
// configuration, paths, small helpers

struct Cfg {
    sections: Vec<String>,
    runs: usize,
    extra_runs: usize,
    firefox_runs: usize,
    storm_runs: usize,
    storm_seconds: u32,
    idle_runs: usize,
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

impl Cfg {
    fn from_env() -> Cfg {
        let sections = std::env::var("SHOWNONCE_BENCH")
            .unwrap_or_else(|_| "sizes,latency,storm,idle,firefox".into())
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Cfg {
            sections,
            runs: env_num("SHOWNONCE_BENCH_RUNS", 30),
            extra_runs: env_num("SHOWNONCE_BENCH_EXTRA_RUNS", 10),
            firefox_runs: env_num("SHOWNONCE_BENCH_FIREFOX_RUNS", 10),
            storm_runs: env_num("SHOWNONCE_BENCH_STORM_RUNS", 10),
            storm_seconds: env_num("SHOWNONCE_BENCH_STORM_SECONDS", 5) as u32,
            idle_runs: env_num("SHOWNONCE_BENCH_IDLE_RUNS", 6),
        }
    }
    fn on(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s == section)
    }
}

fn verbose() -> bool {
    std::env::var("SHOWNONCE_BENCH_VERBOSE").is_ok_and(|v| v == "1")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn out_dir() -> PathBuf {
    root().join("target").join("bench")
}

fn sh(cmd: &str) -> String {
    Command::new("sh").arg("-c").arg(cmd).output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
}

fn gzip_len(path: &Path) -> u64 {
    let out = Command::new("sh").arg("-c").arg("gzip -9c \"$1\" | wc -c").arg("sh").arg(path).output().expect("gzip");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), to)?;
        }
    }
    Ok(())
}

/// Copies `dist/<browser>` (and its store zip) to target/bench/ext/ so a concurrent
/// `./build.sh` cannot pull the files from under a running browser. Retries while dist/ is
/// being rebuilt.
fn snapshot_dist(browser: &str) -> Result<(PathBuf, Option<PathBuf>), String> {
    let src = root().join("dist").join(browser);
    let dst = out_dir().join("ext").join(browser);
    for _ in 0..60 {
        let _ = std::fs::remove_dir_all(&dst);
        if src.join("manifest.json").exists() && copy_dir(&src, &dst).is_ok() && dst.join("manifest.json").exists() {
            let zip = std::fs::read_dir(root().join("dist")).ok().and_then(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
                    let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    n.starts_with(&format!("shownonce-{browser}-")) && n.ends_with(".zip")
                })
            });
            let zip = zip.and_then(|z| {
                let to = out_dir().join("ext").join(format!("{browser}.zip"));
                std::fs::copy(&z, &to).ok().map(|_| to)
            });
            return Ok((dst, zip));
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    Err(format!("{} is missing: run ./build.sh first", src.display()))
}

fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    // Nearest rank.
    let n = v.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    v[rank - 1]
}

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = s.len();
    Some(if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 })
}

/// Median over rounds of (a − b), pairing the samples of the same interleaved round: robust
/// to the machine getting slower or faster during the run.
fn paired(a: &[(usize, f64)], b: &[(usize, f64)]) -> Option<f64> {
    let d: Vec<f64> = a.iter().filter_map(|(r, x)| b.iter().find(|(rb, _)| rb == r).map(|(_, y)| x - y)).collect();
    median(&d)
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn num(x: Option<f64>) -> Value {
    x.map(|v| json!(r2(v))).unwrap_or(Value::Null)
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Value {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => json!((a / b * 1000.0).round() / 1000.0),
        _ => Value::Null,
    }
}

/// `{p50, p95, max, min, mean, runs, failed}` of latency samples, or null without samples.
fn latency_stats(samples: &[f64], failed: usize) -> Value {
    if samples.is_empty() {
        return Value::Null;
    }
    let mut s = samples.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mean = s.iter().sum::<f64>() / s.len() as f64;
    json!({
        "p50": r2(quantile_sorted(&s, 0.5)), "p95": r2(quantile_sorted(&s, 0.95)), "max": r2(*s.last().unwrap()),
        "min": r2(s[0]), "mean": r2(mean), "runs": s.len(), "failed": failed,
        "samples": samples.iter().map(|x| r2(*x)).collect::<Vec<_>>(),
    })
}

fn fmt_ms(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.abs() >= 100.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.1}"),
        None => "n/a".into(),
    }
}

fn fmt_kb(v: &Value) -> String {
    v.as_f64().map(|b| format!("{:.1} KB", b / 1024.0)).unwrap_or_else(|| "n/a".into())
}

// ------------------------------------------------------------------------------------------
// browser helpers that report errors instead of panicking

async fn js(s: &Session, script: &str) -> Result<Value, String> {
    s.driver.execute(script, vec![]).await.map(|r| r.json().clone()).map_err(|e| e.to_string())
}

/// Polls `script` every `every` until `done` accepts its value; Err after `timeout`.
async fn poll(s: &Session, script: &str, timeout: Duration, every: Duration, done: impl Fn(&Value) -> bool) -> Result<Value, String> {
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

async fn click(s: &Session, testid: &str) -> Result<(), String> {
    let el = s
        .driver
        .query(By::Css(format!("[data-testid={testid}]")))
        .wait(Duration::from_secs(10), Duration::from_millis(25))
        .first()
        .await
        .map_err(|e| format!("no [data-testid={testid}]: {e}"))?;
    el.click().await.map_err(|e| format!("click {testid}: {e}"))
}

async fn type_into(s: &Session, testid: &str, text: &str) -> Result<(), String> {
    let el = s
        .driver
        .query(By::Css(format!("[data-testid={testid}]")))
        .wait(Duration::from_secs(10), Duration::from_millis(25))
        .first()
        .await
        .map_err(|e| format!("no [data-testid={testid}]: {e}"))?;
    el.send_keys(text).await.map_err(|e| format!("type into {testid}: {e}"))
}

async fn goto(s: &Session, url: &str) -> Result<(), String> {
    s.driver.enter_default_frame().await.map_err(|e| e.to_string())?;
    tokio::time::timeout(Duration::from_secs(30), s.driver.goto(url))
        .await
        .map_err(|_| format!("goto {url}: timed out"))?
        .map_err(|e| format!("goto {url}: {e}"))
}

async fn start_session(browser: Browser, server: &Arc<ReplicaServer>, ext: Option<PathBuf>, args: &'static [&'static str]) -> Result<Session, String> {
    let srv = server.clone();
    // In a task so that a browser that does not start is a note in the results, not a panic.
    tokio::spawn(async move { Session::start_with_args(browser, &srv, ext.as_deref(), args).await })
        .await
        .map_err(|e| format!("{} did not start: {e}", browser.name()))
}

fn first_lines(e: &str) -> String {
    // WebDriver errors carry a stack trace: keep the message.
    e.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && *l != "Stacktrace:").take(4).collect::<Vec<_>>().join(" ")
}

/// A browser session that is started again when the browser goes away in the middle of a
/// series (seen once on the shared 2-core VM: "invalid session id" after ~20 runs).
struct Live {
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
    async fn start(browser: Browser, server: &Arc<ReplicaServer>, ext: Option<PathBuf>, args: &'static [&'static str], perf: bool) -> Result<Live, String> {
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

    fn s(&self) -> Result<&Session, String> {
        self.s.as_ref().ok_or_else(|| "no browser (restart failed)".to_string())
    }

    /// After a failed run: if the error says the browser is gone, start it again (at most 3
    /// times per session).
    async fn recover(&mut self, err: &str, label: &str, notes: &mut Vec<String>) {
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

    async fn quit(mut self) {
        if let Some(s) = self.s.take() {
            s.quit().await;
        }
    }
}

async fn metrics(s: &Session) -> Result<Map<String, Value>, String> {
    let list = s.driver.cdp().performance().get_metrics().await.map_err(|e| e.to_string())?;
    Ok(list.into_iter().map(|m| (m.name, json!(m.value))).collect())
}

fn metric(m: &Map<String, Value>, name: &str) -> f64 {
    m.get(name).and_then(Value::as_f64).unwrap_or(0.0)
}

async fn browser_version(s: &Session) -> String {
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

// ------------------------------------------------------------------------------------------
// 1. sizes

fn file_entry(dir: &Path, rel: &str) -> Option<(String, u64, u64)> {
    let p = dir.join(rel);
    let raw = std::fs::metadata(&p).ok()?.len();
    Some((rel.to_string(), raw, gzip_len(&p)))
}

fn all_files(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                all_files(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
}

fn sizes_of(browser: &str, dir: &Path, zip: Option<&Path>) -> Value {
    let manifest: Value = std::fs::read_to_string(dir.join("manifest.json")).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
    // Files the content script loads: its own scripts/styles, then what it may fetch.
    let mut loaded: Vec<String> = Vec::new();
    for cs in manifest["content_scripts"].as_array().into_iter().flatten() {
        for key in ["js", "css"] {
            for f in cs[key].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !loaded.iter().any(|x| x == f) {
                    loaded.push(f.to_string());
                }
            }
        }
    }
    let mut listed = Vec::new();
    all_files(dir, dir, &mut listed);
    for war in manifest["web_accessible_resources"].as_array().into_iter().flatten() {
        for pat in war["resources"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            // Literal names, or a simple `dir/*` / `*.ext` glob.
            for f in &listed {
                let f = f.to_string_lossy().to_string();
                let hit = if let Some(pre) = pat.strip_suffix('*') {
                    f.starts_with(pre)
                } else if let Some(suf) = pat.strip_prefix('*') {
                    f.ends_with(suf)
                } else {
                    f == pat
                };
                if hit && !loaded.contains(&f) {
                    loaded.push(f);
                }
            }
        }
    }
    let files: Vec<(String, u64, u64)> = loaded.iter().filter_map(|f| file_entry(dir, f)).collect();
    let is_fallback = |f: &str| f.ends_with(".wasm.js");
    let payload = files.iter().filter(|(f, ..)| !is_fallback(f));
    let (p_raw, p_gz) = payload.fold((0, 0), |(r, g), (_, a, b)| (r + a, g + b));
    let fallback: Vec<&(String, u64, u64)> = files.iter().filter(|(f, ..)| is_fallback(f)).collect();
    let (f_raw, f_gz) = fallback.iter().fold((0, 0), |(r, g), (_, a, b)| (r + a, g + b));
    // Strict page CSP in Chromium: the loader imports the JS copy instead of the .wasm.
    let strict = files.iter().filter(|(f, ..)| !f.ends_with(".wasm"));
    let (s_raw, s_gz) = strict.fold((0, 0), |(r, g), (_, a, b)| (r + a, g + b));
    let pkg_raw: u64 = listed.iter().filter_map(|f| std::fs::metadata(dir.join(f)).ok()).map(|m| m.len()).sum();
    let pkg_gz_files: u64 = listed.iter().map(|f| gzip_len(&dir.join(f))).sum();
    let zip_len = zip.and_then(|z| std::fs::metadata(z).ok()).map(|m| m.len());
    json!({
        "browser": browser,
        "content_files": files.iter().map(|(f, raw, gz)| json!({"file": f, "bytes": raw, "bytes_gz": gz})).collect::<Vec<_>>(),
        "content_script_bytes": p_raw, "content_script_bytes_gz": p_gz,
        "content_fallback_bytes": f_raw, "content_fallback_bytes_gz": f_gz,
        "content_strict_csp_bytes": s_raw, "content_strict_csp_bytes_gz": s_gz,
        "package_files": listed.len(), "package_bytes": pkg_raw, "package_bytes_gz_per_file": pkg_gz_files,
        "package_zip_bytes": zip_len,
        // The store zip (deflate -9, what users download) when build.sh made it; else the sum
        // of the files gzipped one by one.
        "package_bytes_gz": zip_len.unwrap_or(pkg_gz_files),
    })
}

// ------------------------------------------------------------------------------------------
// 2. detection latency

fn credentials_url(csp: &str, pad: bool, run: usize) -> String {
    let pad = if pad { "&so_pad=5000" } else { "" };
    format!(
        "https://portal.azure.com/?so_frame=shell&so_csp={csp}{pad}&so_run={run}#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP}/isMSAApp~/false"
    )
}

/// Which marker says the extension's content script is running, and where its detection
/// timestamp is.
#[derive(Clone, Copy, PartialEq)]
enum Detector {
    ShownOnce,
    Naive,
}

const READ_SHOWNONCE: &str = r#"
const h = document.documentElement;
const n = document.querySelectorAll("iframe[src$='/prompt.html']").length;
return { ins: parseFloat(h.dataset.replicaValueInsertedAt || 'NaN') || null, n, det: null };"#;
/// Read inside ShownOnce's prompt frame (its own document): the content script's detection
/// time, which it hands to the frame, and the hint.
const READ_PROMPT_FRAME: &str = r#"
const h = document.documentElement;
return h.dataset.ready === 'true' ? { det: parseFloat(h.dataset.detectedAt), ready: parseFloat(h.dataset.readyAt || 'NaN') || null, hint: h.dataset.hint } : null;"#;
const READ_NAIVE: &str = r#"
const h = document.documentElement;
return { ins: parseFloat(h.dataset.replicaValueInsertedAt || 'NaN') || null,
  det: parseFloat(h.getAttribute('data-naive-detected-at') || 'NaN') || null, n: 1, hint: null, role: null };"#;

/// Replaces the current tab with a new blank one. After a detection ShownOnce guards the page
/// with a leave-page (beforeunload) prompt, which these sessions leave open
/// (`unhandledPromptBehavior: ignore`, tests/support/browser.rs) and which would block the next
/// navigation; WebDriver's Close Window does not run beforeunload.
async fn fresh_tab(s: &Session) -> Result<(), String> {
    let d = &s.driver;
    let e = |e: WebDriverError| first_lines(&e.to_string());
    let old = d.window().await.map_err(e)?;
    let new = d.new_tab().await.map_err(e)?;
    d.switch_to_window(old).await.map_err(e)?;
    if d.close_window().await.is_err() {
        // A prompt left open by an earlier failure: answer it, then close.
        let _ = d.accept_alert().await;
        let _ = d.close_window().await;
    }
    d.switch_to_window(new).await.map_err(e)
}

/// Firefox: closing a tab, or a classic navigation, with ShownOnce's leave-page prompt armed
/// blocks geckodriver (`beforeUnload: ignore`), so leave through WebDriver BiDi: navigate to
/// about:blank and accept the prompt when `browsingContext.userPromptOpened` says it is open.
async fn leave_page(s: &Session) -> Result<(), String> {
    use futures_util::StreamExt;
    let bidi = s.driver.bidi().await.map_err(|e| format!("BiDi: {}", first_lines(&e.to_string())))?;
    let _ = bidi.session().subscribe("browsingContext.userPromptOpened").await;
    let mut events = bidi.subscribe_raw();
    let context = s.driver.window().await.map_err(|e| first_lines(&e.to_string()))?.to_string();
    let sender = bidi.clone();
    let params = json!({ "context": context, "url": "about:blank", "wait": "complete" });
    let mut nav = tokio::spawn(async move { sender.send_raw("browsingContext.navigate", params).await });
    let deadline = tokio::time::sleep(Duration::from_secs(15));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => { nav.abort(); return Err("could not leave the page (leave-page prompt)".into()); }
            r = &mut nav => {
                return match r {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(format!("browsingContext.navigate: {e}")),
                    Err(e) => Err(e.to_string()),
                };
            }
            ev = events.next() => match ev {
                Some(ev) if ev.method == "browsingContext.userPromptOpened" => {
                    if verbose() {
                        println!("    leave: {} prompt, accepting", ev.params["type"]);
                    }
                    let ctx = ev.params["context"].clone();
                    let _ = bidi.send_raw("browsingContext.handleUserPrompt", json!({ "context": ctx, "accept": true })).await;
                }
                Some(_) => {}
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
}

/// One latency run on a fresh page load (Chromium: in a fresh tab): Ok((detection ms, prompt
/// frame ms: detected → the prompt frame interactive)), or Err(reason).
async fn latency_run(s: &Session, server: &ReplicaServer, det: Detector, url: &str, prompt_timeout: Duration) -> Result<(f64, Option<f64>), String> {
    match s.browser {
        Browser::Chrome => fresh_tab(s).await?,
        Browser::Firefox => leave_page(s).await?,
    }
    goto(s, url).await?;
    poll(s, "return document.documentElement.dataset.replicaReady || null;", Duration::from_secs(20), Duration::from_millis(25), |v| {
        v.as_str() == Some("credentials")
    })
    .await
    .map_err(|e| format!("replica not ready: {e}"))?;
    match det {
        // ShownOnce puts nothing on the page: its top frame answers the extension instead.
        Detector::ShownOnce => {
            let deadline = Instant::now() + Duration::from_secs(10);
            while s.frame_status(None).await.is_none() {
                if Instant::now() > deadline {
                    return Err("content script did not start: its top frame does not answer the extension".into());
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        Detector::Naive => {
            poll(s, "return document.documentElement.getAttribute('data-naive');", Duration::from_secs(10), Duration::from_millis(25), |v| !v.is_null())
                .await
                .map_err(|e| format!("content script did not start: {e}"))?;
        }
    }
    click(s, "new-secret").await?;
    type_into(s, "desc-input", "bench").await?;
    click(s, "add-button").await?;
    if det == Detector::Naive {
        let v = poll(s, READ_NAIVE, prompt_timeout, Duration::from_millis(20), |v| v["ins"].is_number() && v["det"].is_number())
            .await
            .map_err(|e| format!("no detection: {e}"))?;
        return Ok((v["det"].as_f64().unwrap() - v["ins"].as_f64().unwrap(), None));
    }
    // ShownOnce: its prompt frame appears in the page; the detection time is read inside it.
    let v = poll(s, READ_SHOWNONCE, prompt_timeout, Duration::from_millis(20), |v| v["ins"].is_number() && v["n"].as_u64().unwrap_or(0) >= 1)
        .await
        .map_err(|e| format!("no detection: {e}"))?;
    let frame =
        s.driver.find(thirtyfour::By::Css("iframe[src$='/prompt.html']")).await.map_err(|e| format!("prompt frame: {}", first_lines(&e.to_string())))?;
    frame.enter_frame().await.map_err(|e| format!("prompt frame: {}", first_lines(&e.to_string())))?;
    let inner = poll(s, READ_PROMPT_FRAME, prompt_timeout, Duration::from_millis(20), |v| v["det"].is_number()).await;
    s.driver.enter_parent_frame().await.map_err(|e| format!("back from the prompt frame: {}", first_lines(&e.to_string())))?;
    let inner = inner.map_err(|e| format!("prompt frame not ready: {e}"))?;
    if let (Some(hint), Some(issued)) = (inner["hint"].as_str(), server.issued().last()) {
        if hint != issued.hint {
            return Err(format!("prompt hint {hint:?} is not the new secret's {:?}", issued.hint));
        }
    }
    let det_at = inner["det"].as_f64().unwrap();
    Ok((det_at - v["ins"].as_f64().unwrap(), inner["ready"].as_f64().map(|r| r - det_at)))
}

/// `runs` latency runs (plus one discarded warm-up). Gives up early when the first runs all
/// fail the same way (e.g. detection not implemented yet): the figure is then null.
async fn latency_series(
    live: &mut Live,
    server: &ReplicaServer,
    det: Detector,
    label: &str,
    runs: usize,
    url_of: impl Fn(usize) -> String,
    notes: &mut Vec<String>,
) -> Value {
    let mut samples = Vec::new();
    let mut frame_samples = Vec::new();
    let mut failed = 0;
    let mut first_err = String::new();
    let timeout = Duration::from_secs(5);
    for i in 0..=runs {
        let run = match live.s() {
            // A bounded run: a WebDriver call that never answers is a failed run, not a hang.
            Ok(s) => tokio::time::timeout(Duration::from_secs(60), latency_run(s, server, det, &url_of(i), timeout))
                .await
                .unwrap_or_else(|_| Err("run timed out after 60 s (browser not answering)".into())),
            Err(e) => Err(e),
        };
        if verbose() {
            println!("  {label} run {i}: {run:?}");
        }
        match run {
            Ok((ms, frame)) if i > 0 => {
                samples.push(ms);
                frame_samples.extend(frame);
            }
            Ok(_) => {}
            Err(e) => {
                failed += 1;
                if first_err.is_empty() {
                    first_err = format!("run {i}: {}", first_lines(&e));
                }
                live.recover(&e, label, notes).await;
                // Nothing measured and the first runs all failed (e.g. detection not in this
                // build, or the browser is gone): stop, the figure is null.
                if failed >= 3 && (samples.is_empty() || failed > runs / 2) {
                    break;
                }
            }
        }
    }
    let mut stats = latency_stats(&samples, failed);
    // Detected → the prompt frame interactive (its document says "ready"): `prompt_frame_ms`.
    if let (Some(o), false) = (stats.as_object_mut(), frame_samples.is_empty()) {
        o.insert("prompt_frame".into(), latency_stats(&frame_samples, 0));
    }
    if failed > 0 {
        notes.push(format!("{label}: {failed} run(s) without a figure; first error: {first_err}"));
    }
    println!("bench {label}: {}", if stats.is_null() { "n/a".to_string() } else { stats.to_string() });
    stats
}

// ------------------------------------------------------------------------------------------
// 3. mutation storm

struct StormSample {
    /// Interleaved round (a b c of the same round are paired).
    round: usize,
    script_ms: f64,
    task_ms: f64,
    layout_ms: f64,
    heap_mb: f64,
    long_n: f64,
    long_ms: f64,
    ticks: f64,
}

async fn storm_run(s: &Session, seconds: u32, run: usize) -> Result<StormSample, String> {
    goto(s, "about:blank").await?;
    let url = format!("https://portal.azure.com/storm.html?so_seconds={seconds}&so_rows={STORM_ROWS}&so_interval={STORM_INTERVAL_MS}&so_run={run}");
    goto(s, &url).await?;
    tokio::time::sleep(Duration::from_millis(seconds as u64 * 1000)).await;
    poll(s, "return document.documentElement.dataset.stormState || null;", Duration::from_secs(seconds as u64 + 20), Duration::from_millis(100), |v| {
        v.as_str() == Some("done")
    })
    .await
    .map_err(|e| format!("storm did not end: {e}"))?;
    // Let batched work queued by the last ticks finish.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = metrics(s).await?;
    let page = js(s, "return { long: window.__soLong || null, ticks: +document.documentElement.dataset.stormTicks };").await?;
    Ok(StormSample {
        round: 0,
        script_ms: metric(&m, "ScriptDuration") * 1000.0,
        task_ms: metric(&m, "TaskDuration") * 1000.0,
        layout_ms: (metric(&m, "LayoutDuration") + metric(&m, "RecalcStyleDuration")) * 1000.0,
        heap_mb: metric(&m, "JSHeapUsedSize") / 1_048_576.0,
        long_n: page["long"]["n"].as_f64().unwrap_or(f64::NAN),
        long_ms: page["long"]["total"].as_f64().unwrap_or(f64::NAN),
        ticks: page["ticks"].as_f64().unwrap_or(0.0),
    })
}

// ------------------------------------------------------------------------------------------
// 4. idle cost

fn overview_url(iframe: bool, run: usize) -> String {
    let frame = if iframe { "iframe" } else { "shell" };
    format!(
        "https://portal.azure.com/?so_frame={frame}&so_run={run}#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/{APP}/isMSAApp~/false"
    )
}

struct IdleSample {
    round: usize,
    script_ms: f64,
    task_ms: f64,
    frames: f64,
}

/// Engine ShownOnce reports (asked through the extension) in the top frame and, in the
/// iframe model, in the blade iframe: proof that the idle figures include the content script
/// in every frame.
async fn engines(s: &Session, iframe: bool) -> Value {
    let engine = |st: Option<Value>| st.map(|v| v["engine"].clone()).unwrap_or(Value::Null);
    let top = engine(s.frame_status(None).await);
    let mut blade = Value::Null;
    if iframe {
        if let Ok(f) = s.driver.find(By::Css("iframe[data-testid=blade-frame]")).await {
            if f.enter_frame().await.is_ok() {
                let host = js(s, "return location.hostname;").await.unwrap_or(Value::Null);
                if let Some(h) = host.as_str() {
                    blade = engine(s.frame_status(Some(h)).await);
                }
            }
        }
        let _ = s.driver.enter_default_frame().await;
    }
    json!({ "top": top, "blade_iframe": blade })
}

async fn idle_run(s: &Session, iframe: bool, run: usize) -> Result<IdleSample, String> {
    goto(s, "about:blank").await?;
    goto(s, &overview_url(iframe, run)).await?;
    poll(s, "return document.documentElement.dataset.replicaReady || null;", Duration::from_secs(20), Duration::from_millis(50), |v| {
        v.as_str() == Some("overview")
    })
    .await
    .map_err(|e| format!("overview not ready: {e}"))?;
    // Same settle time with and without the extension: the content script loads at
    // document_idle, fetches and compiles its module and decides this frame is not a
    // credentials blade; the iframe model also loads the pool's spare frame.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let m = metrics(s).await?;
    let frames = js(s, "return 1 + document.querySelectorAll('iframe').length;").await?.as_f64().unwrap_or(1.0);
    Ok(IdleSample { round: 0, script_ms: metric(&m, "ScriptDuration") * 1000.0, task_ms: metric(&m, "TaskDuration") * 1000.0, frames })
}

// ------------------------------------------------------------------------------------------
// the benchmark

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: ./build.sh bench"]
async fn bench() {
    let t_all = Instant::now();
    let cfg = Cfg::from_env();
    std::fs::create_dir_all(out_dir()).unwrap();
    let mut notes: Vec<String> = Vec::new();
    let mut timings = Map::new();
    let mut res = Map::new();
    res.insert("date".into(), json!(sh("date -u +%Y-%m-%dT%H:%M:%SZ")));
    res.insert(
        "machine".into(),
        json!({
            "cpu": sh("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1"),
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "memory_gb": sh("awk '/MemTotal/ {printf \"%.1f\", $2/1048576}' /proc/meminfo").parse::<f64>().ok(),
            "os": sh(". /etc/os-release 2>/dev/null && echo \"$PRETTY_NAME\""),
            "kernel": sh("uname -r"),
        }),
    );
    res.insert(
        "parameters".into(),
        json!({
            "latency_runs": cfg.runs, "latency_extra_runs": cfg.extra_runs, "firefox_runs": cfg.firefox_runs,
            "storm_runs_per_variant": cfg.storm_runs, "storm_seconds": cfg.storm_seconds,
            "storm_rows_per_tick": STORM_ROWS, "storm_interval_ms": STORM_INTERVAL_MS,
            "idle_runs_per_variant": cfg.idle_runs, "sections": cfg.sections,
        }),
    );
    let mut browsers = Map::new();

    let chrome_ext = snapshot_dist("chrome");
    let firefox_ext = snapshot_dist("firefox");
    let naive_ext = out_dir().join("ext").join("naive");
    let _ = std::fs::remove_dir_all(&naive_ext);
    copy_dir(&root().join("tests/bench/naive-extension"), &naive_ext).expect("copy the naive baseline extension");

    // ---- 1. sizes
    if cfg.on("sizes") {
        let t = Instant::now();
        let mut pkg_gz = Map::new();
        let mut detail = Map::new();
        for (name, snap) in [("chrome", &chrome_ext), ("firefox", &firefox_ext)] {
            match snap {
                Ok((dir, zip)) => {
                    let v = sizes_of(name, dir, zip.as_deref());
                    pkg_gz.insert(name.into(), v["package_bytes_gz"].clone());
                    detail.insert(name.into(), v);
                }
                Err(e) => {
                    notes.push(format!("sizes {name}: {e}"));
                    pkg_gz.insert(name.into(), Value::Null);
                }
            }
        }
        let c = detail.get("chrome").or_else(|| detail.get("firefox")).cloned().unwrap_or(Value::Null);
        res.insert("content_script_bytes_gz".into(), c["content_script_bytes_gz"].clone());
        res.insert("content_script_bytes".into(), c["content_script_bytes"].clone());
        res.insert("content_fallback_bytes_gz".into(), c["content_fallback_bytes_gz"].clone());
        res.insert("content_fallback_bytes".into(), c["content_fallback_bytes"].clone());
        res.insert("package_bytes_gz".into(), Value::Object(pkg_gz));
        res.insert("sizes".into(), Value::Object(detail));
        timings.insert("sizes".into(), json!(r2(t.elapsed().as_secs_f64())));
    }

    let server = Arc::new(ReplicaServer::start());

    // ---- 2. detection latency (Chromium, default process model)
    if cfg.on("latency") {
        let t = Instant::now();
        match &chrome_ext {
            Ok((dir, _)) => match Live::start(Browser::Chrome, &server, Some(dir.clone()), &[], false).await {
                Ok(mut s) => {
                    if let Ok(x) = s.s() {
                        browsers.insert("chrome".into(), json!(browser_version(x).await));
                    }
                    let d = latency_series(
                        &mut s,
                        &server,
                        Detector::ShownOnce,
                        "chrome detection (plain)",
                        cfg.runs,
                        |i| credentials_url("permissive", false, i),
                        &mut notes,
                    )
                    .await;
                    res.insert("prompt_frame_ms".into(), d.get("prompt_frame").cloned().unwrap_or(Value::Null));
                    res.insert("detection_ms".into(), d);
                    let d = latency_series(
                        &mut s,
                        &server,
                        Detector::ShownOnce,
                        "chrome detection (5k nodes)",
                        cfg.runs,
                        |i| credentials_url("permissive", true, 1000 + i),
                        &mut notes,
                    )
                    .await;
                    res.insert("detection_5k_ms".into(), d);
                    let d = latency_series(
                        &mut s,
                        &server,
                        Detector::ShownOnce,
                        "chrome detection (strict CSP, wasm2js)",
                        cfg.extra_runs,
                        |i| credentials_url("strict", false, 2000 + i),
                        &mut notes,
                    )
                    .await;
                    res.insert("detection_strict_csp_ms".into(), d);
                    s.quit().await;
                }
                Err(e) => notes.push(format!("latency: {e}")),
            },
            Err(e) => notes.push(format!("latency: {e}")),
        }
        if cfg.extra_runs > 0 {
            match Live::start(Browser::Chrome, &server, Some(naive_ext.clone()), &[], false).await {
                Ok(mut s) => {
                    let d = latency_series(
                        &mut s,
                        &server,
                        Detector::Naive,
                        "chrome detection (naive baseline, plain)",
                        cfg.extra_runs,
                        |i| credentials_url("permissive", false, 3000 + i),
                        &mut notes,
                    )
                    .await;
                    res.insert("detection_naive_ms".into(), d);
                    s.quit().await;
                }
                Err(e) => notes.push(format!("naive latency: {e}")),
            }
        }
        timings.insert("latency".into(), json!(r2(t.elapsed().as_secs_f64())));
    }
    for k in ["detection_ms", "detection_5k_ms"] {
        res.entry(k).or_insert(Value::Null);
    }

    // ---- 3 + 4. storm and idle (Chromium, three sessions side by side, shared renderer)
    if cfg.on("storm") || cfg.on("idle") {
        let mut sessions: Vec<(&str, Live)> = Vec::new();
        let variants: [(&str, Option<PathBuf>); 3] =
            [("none", None), ("shownonce", chrome_ext.as_ref().ok().map(|(d, _)| d.clone())), ("naive", Some(naive_ext.clone()))];
        for (name, ext) in variants {
            if name != "none" && ext.is_none() {
                notes.push(format!("storm/idle: no build for {name}"));
                continue;
            }
            if name == "naive" && !cfg.on("storm") {
                continue;
            }
            match Live::start(Browser::Chrome, &server, ext, SHARED_PROCESS, true).await {
                Ok(s) => {
                    if !browsers.contains_key("chrome") {
                        if let Ok(x) = s.s() {
                            browsers.insert("chrome".into(), json!(browser_version(x).await));
                        }
                    }
                    sessions.push((name, s));
                }
                Err(e) => notes.push(format!("storm/idle {name}: {e}")),
            }
        }

        if cfg.on("storm") {
            let t = Instant::now();
            let mut samples: Vec<Vec<StormSample>> = sessions.iter().map(|_| Vec::new()).collect();
            let mut failed = vec![0usize; sessions.len()];
            // Warm-up round (1 s storms, discarded), then a b c a b c …
            for (k, (name, live)) in sessions.iter_mut().enumerate() {
                let r = match live.s() {
                    Ok(s) => storm_run(s, 1, 9000 + k).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = r {
                    notes.push(format!("storm warm-up {name}: {}", first_lines(&e)));
                    live.recover(&e, &format!("storm {name}"), &mut notes).await;
                }
            }
            for i in 0..cfg.storm_runs {
                for (k, (name, live)) in sessions.iter_mut().enumerate() {
                    let r = match live.s() {
                        Ok(s) => storm_run(s, cfg.storm_seconds, i * 10 + k).await,
                        Err(e) => Err(e),
                    };
                    match r {
                        Ok(mut x) => {
                            x.round = i;
                            samples[k].push(x)
                        }
                        Err(e) => {
                            failed[k] += 1;
                            notes.push(format!("storm {name} run {i}: {}", first_lines(&e)));
                            live.recover(&e, &format!("storm {name}"), &mut notes).await;
                        }
                    }
                }
            }
            let mut per = Map::new();
            let mut script = Map::new();
            let mut task = Map::new();
            let med = |v: &Vec<StormSample>, f: fn(&StormSample) -> f64| median(&v.iter().map(f).filter(|x| x.is_finite()).collect::<Vec<_>>());
            for (k, (name, _)) in sessions.iter().enumerate() {
                let v = &samples[k];
                let expected_ticks = (cfg.storm_seconds * 1000 / STORM_INTERVAL_MS + 1) as f64;
                per.insert(
                    name.to_string(),
                    json!({
                        "runs": v.len(), "failed": failed[k],
                        "script_ms": num(med(v, |x| x.script_ms)), "task_ms": num(med(v, |x| x.task_ms)),
                        "layout_style_ms": num(med(v, |x| x.layout_ms)), "heap_mb": num(med(v, |x| x.heap_mb)),
                        "long_tasks": num(med(v, |x| x.long_n)), "long_task_ms": num(med(v, |x| x.long_ms)),
                        "ticks": num(med(v, |x| x.ticks)), "ticks_expected": expected_ticks,
                        "script_ms_runs": v.iter().map(|x| r2(x.script_ms)).collect::<Vec<_>>(),
                    }),
                );
                script.insert(name.to_string(), num(med(v, |x| x.script_ms)));
                task.insert(name.to_string(), num(med(v, |x| x.task_ms)));
            }
            let get = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_f64);
            let series = |name: &str, f: fn(&StormSample) -> f64| -> Vec<(usize, f64)> {
                sessions.iter().position(|(n, _)| *n == name).map(|k| samples[k].iter().map(|x| (x.round, f(x))).collect()).unwrap_or_default()
            };
            let pair = |name: &str, f: fn(&StormSample) -> f64| paired(&series(name, f), &series("none", f));
            let (ps_s, ps_n) = (pair("shownonce", |x| x.script_ms), pair("naive", |x| x.script_ms));
            let added = |m: &Map<String, Value>, k: &str| match (get(m, k), get(m, "none")) {
                (Some(a), Some(b)) => json!(r2(a - b)),
                _ => Value::Null,
            };
            let ratios = json!({
                "script_shownonce_vs_naive": ratio(get(&script, "shownonce"), get(&script, "naive")),
                "script_shownonce_vs_none": ratio(get(&script, "shownonce"), get(&script, "none")),
                "task_shownonce_vs_naive": ratio(get(&task, "shownonce"), get(&task, "naive")),
                "task_shownonce_vs_none": ratio(get(&task, "shownonce"), get(&task, "none")),
                // Paired added script time (below), ShownOnce over the naive baseline.
                "added_script_shownonce_vs_naive": match (ps_s, ps_n) {
                    (Some(a), Some(b)) if b > 0.0 => json!((a / b * 1000.0).round() / 1000.0),
                    _ => Value::Null,
                },
            });
            res.insert(
                "storm".into(),
                json!({
                    "variants": per, "ratios": ratios,
                    // Difference of the medians, and the median of the per-round differences.
                    "added_script_ms": { "shownonce": added(&script, "shownonce"), "naive": added(&script, "naive") },
                    "added_task_ms": { "shownonce": added(&task, "shownonce"), "naive": added(&task, "naive") },
                    "added_script_ms_paired": { "shownonce": num(ps_s), "naive": num(ps_n) },
                    "added_task_ms_paired": { "shownonce": num(pair("shownonce", |x| x.task_ms)), "naive": num(pair("naive", |x| x.task_ms)) },
                }),
            );
            res.insert("storm_script_ms".into(), Value::Object(script));
            res.insert("storm_task_ms".into(), Value::Object(task));
            timings.insert("storm".into(), json!(r2(t.elapsed().as_secs_f64())));
        }

        if cfg.on("idle") {
            let t = Instant::now();
            let mut models = Map::new();
            for iframe in [false, true] {
                let model = if iframe { "iframe" } else { "shell" };
                let mut idle_sessions: Vec<&mut (&str, Live)> = sessions.iter_mut().filter(|(n, _)| *n != "naive").collect();
                let mut samples: Vec<Vec<IdleSample>> = idle_sessions.iter().map(|_| Vec::new()).collect();
                let mut engine = Value::Null;
                for (k, (name, live)) in idle_sessions.iter_mut().map(|x| &mut **x).enumerate() {
                    let r = match live.s() {
                        Ok(s) => idle_run(s, iframe, 8000 + k).await,
                        Err(e) => Err(e),
                    };
                    match r {
                        Err(e) => {
                            notes.push(format!("idle warm-up {model} {name}: {}", first_lines(&e)));
                            live.recover(&e, &format!("idle {name}"), &mut notes).await;
                        }
                        Ok(_) if *name == "shownonce" => {
                            if let Ok(s) = live.s() {
                                engine = engines(s, iframe).await;
                            }
                        }
                        Ok(_) => {}
                    }
                }
                for i in 0..cfg.idle_runs {
                    for (k, (name, live)) in idle_sessions.iter_mut().map(|x| &mut **x).enumerate() {
                        let r = match live.s() {
                            Ok(s) => idle_run(s, iframe, i * 10 + k).await,
                            Err(e) => Err(e),
                        };
                        match r {
                            Ok(mut x) => {
                                x.round = i;
                                samples[k].push(x)
                            }
                            Err(e) => {
                                notes.push(format!("idle {model} {name} run {i}: {}", first_lines(&e)));
                                live.recover(&e, &format!("idle {name}"), &mut notes).await;
                            }
                        }
                    }
                }
                let mut m = Map::new();
                for (k, (name, _)) in idle_sessions.iter().enumerate() {
                    let v = &samples[k];
                    let page = median(&v.iter().map(|x| x.script_ms).collect::<Vec<_>>());
                    let per_frame = median(&v.iter().map(|x| x.script_ms / x.frames).collect::<Vec<_>>());
                    m.insert(
                        name.to_string(),
                        json!({
                            "runs": v.len(), "frames": num(median(&v.iter().map(|x| x.frames).collect::<Vec<_>>())),
                            "page_script_ms": num(page), "frame_script_ms": num(per_frame),
                            "page_task_ms": num(median(&v.iter().map(|x| x.task_ms).collect::<Vec<_>>())),
                        }),
                    );
                }
                let per_frame = |name: &str| -> Vec<(usize, f64)> {
                    idle_sessions
                        .iter()
                        .position(|x| x.0 == name)
                        .map(|k| samples[k].iter().map(|x| (x.round, x.script_ms / x.frames)).collect())
                        .unwrap_or_default()
                };
                // Median of the per-round differences (interleaved runs, paired).
                m.insert("added_frame_script_ms".into(), num(paired(&per_frame("shownonce"), &per_frame("none"))));
                m.insert("shownonce_engine".into(), engine);
                models.insert(model.into(), Value::Object(m));
            }
            let pick = |model: &str, n: &str| models.get(model).and_then(|m| m.get(n)).map(|v| v["frame_script_ms"].clone()).unwrap_or(Value::Null);
            res.insert("idle_frame_script_ms".into(), json!({ "none": pick("shell", "none"), "shownonce": pick("shell", "shownonce") }));
            res.insert("idle_frame_script_ms_iframe_model".into(), json!({ "none": pick("iframe", "none"), "shownonce": pick("iframe", "shownonce") }));
            // Added script time per idle (non-credential) portal frame, both frame models.
            let added = |model: &str| models.get(model).map(|m| m["added_frame_script_ms"].clone()).unwrap_or(Value::Null);
            res.insert("idle_frame_added_ms".into(), json!({ "shell": added("shell"), "iframe": added("iframe") }));
            res.insert("idle".into(), Value::Object(models));
            timings.insert("idle".into(), json!(r2(t.elapsed().as_secs_f64())));
        }
        for (_, s) in sessions {
            s.quit().await;
        }
    }
    for k in ["storm_script_ms", "idle_frame_script_ms"] {
        res.entry(k).or_insert(json!({}));
    }

    // ---- 5. Firefox: detection latency (sizes above)
    if cfg.on("firefox") {
        let t = Instant::now();
        let mut ff = Map::new();
        match &firefox_ext {
            Ok((dir, _)) => match Live::start(Browser::Firefox, &server, Some(dir.clone()), &[], false).await {
                Ok(mut s) => {
                    if let Ok(x) = s.s() {
                        browsers.insert("firefox".into(), json!(browser_version(x).await));
                    }
                    let d = latency_series(
                        &mut s,
                        &server,
                        Detector::ShownOnce,
                        "firefox detection (plain)",
                        cfg.firefox_runs,
                        |i| credentials_url("permissive", false, 4000 + i),
                        &mut notes,
                    )
                    .await;
                    ff.insert("detection_ms".into(), d);
                    let d = latency_series(
                        &mut s,
                        &server,
                        Detector::ShownOnce,
                        "firefox detection (5k nodes)",
                        cfg.firefox_runs,
                        |i| credentials_url("permissive", true, 5000 + i),
                        &mut notes,
                    )
                    .await;
                    ff.insert("detection_5k_ms".into(), d);
                    s.quit().await;
                }
                Err(e) => notes.push(format!("firefox: {e}")),
            },
            Err(e) => notes.push(format!("firefox: {e}")),
        }
        res.insert("firefox".into(), Value::Object(ff));
        timings.insert("firefox".into(), json!(r2(t.elapsed().as_secs_f64())));
    }

    drop(server);
    res.insert("browser".into(), Value::Object(browsers));
    timings.insert("total".into(), json!(r2(t_all.elapsed().as_secs_f64())));
    res.insert("timings_s".into(), Value::Object(timings));
    res.insert("notes".into(), json!(notes));
    let res = Value::Object(res);
    let path = out_dir().join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&res).unwrap()).unwrap();
    let table = table(&res);
    println!("\n{table}");
    std::fs::write(out_dir().join("PERFORMANCE.md"), performance_md(&res, &table)).unwrap();
    println!("wrote {} and target/bench/PERFORMANCE.md", path.display());
}

// ------------------------------------------------------------------------------------------
// report

fn lat_row(label: &str, v: &Value) -> String {
    if v.is_null() {
        return format!("| {label} | n/a | n/a | n/a | 0 |\n");
    }
    format!("| {label} | {} | {} | {} | {} |\n", fmt_ms(&v["p50"]), fmt_ms(&v["p95"]), fmt_ms(&v["max"]), v["runs"])
}

/// The figures as Markdown tables (also printed on stdout).
fn table(r: &Value) -> String {
    let mut t = String::new();
    if r["sizes"].is_object() {
        t.push_str("**Size** (bytes raw / gzip -9)\n\n| what | Chrome | Firefox |\n|---|---|---|\n");
        let sz = |b: &str, k: &str| r["sizes"][b][k].clone();
        for (label, k) in [
            ("Content-script payload (content.js + glue + .wasm), every portal frame", "content_script_bytes"),
            ("wasm2js fallback (strict-CSP pages in Chromium, instead of the .wasm)", "content_fallback_bytes"),
            ("Payload on a strict-CSP page (content.js + glue + JS copy)", "content_strict_csp_bytes"),
            ("Whole package (all files)", "package_bytes"),
        ] {
            let gz = format!("{k}_gz");
            t.push_str(&format!(
                "| {label} | {} / {} | {} / {} |\n",
                fmt_kb(&sz("chrome", k)),
                fmt_kb(&sz("chrome", &gz)),
                fmt_kb(&sz("firefox", k)),
                fmt_kb(&sz("firefox", &gz))
            ));
        }
        t.push_str(&format!(
            "| Store zip | {} | {} |\n\nFiles the content script loads (Chrome build):\n\n| file | raw | gzip |\n|---|---|---|\n",
            fmt_kb(&r["package_bytes_gz"]["chrome"]),
            fmt_kb(&r["package_bytes_gz"]["firefox"])
        ));
        for f in r["sizes"]["chrome"]["content_files"].as_array().into_iter().flatten() {
            t.push_str(&format!("| {} | {} B | {} B |\n", f["file"].as_str().unwrap_or(""), f["bytes"], f["bytes_gz"]));
        }
    }
    let lat = ["detection_ms", "detection_5k_ms", "detection_strict_csp_ms", "detection_naive_ms"];
    if lat.iter().any(|k| r[*k].is_object()) || r["firefox"].is_object() {
        t.push_str("\n**Detection latency** (value inserted → detected and the prompt frame opened, ms)\n\n| replica | p50 | p95 | max | runs |\n|---|---|---|---|---|\n");
        t.push_str(&lat_row("Chromium, credentials blade", &r["detection_ms"]));
        t.push_str(&lat_row("Chromium, blade + 5,000 nodes", &r["detection_5k_ms"]));
        t.push_str(&lat_row("Chromium, strict CSP (wasm2js fallback)", &r["detection_strict_csp_ms"]));
        t.push_str(&lat_row("Firefox, credentials blade", &r["firefox"]["detection_ms"]));
        t.push_str(&lat_row("Firefox, blade + 5,000 nodes", &r["firefox"]["detection_5k_ms"]));
        t.push_str(&lat_row("Chromium, naive baseline (for comparison)", &r["detection_naive_ms"]));
        t.push_str(&lat_row("Chromium, prompt frame: detected → interactive (`prompt_frame_ms`)", &r["prompt_frame_ms"]));
    }
    let st = &r["storm"];
    if st.is_object() {
        let p = &r["parameters"];
        t.push_str(&format!(
            "\n**Mutation storm** ({} s, {} rows = {} nodes replaced every {} ms; medians of {} interleaved runs per variant; whole page load)\n\n| | no extension | ShownOnce | naive baseline |\n|---|---|---|---|\n",
            p["storm_seconds"], STORM_ROWS, STORM_ROWS * 11, STORM_INTERVAL_MS, p["storm_runs_per_variant"]
        ));
        let v = &st["variants"];
        for (label, k) in [
            ("ScriptDuration (ms)", "script_ms"),
            ("TaskDuration (ms)", "task_ms"),
            ("Layout + style (ms)", "layout_style_ms"),
            ("Long tasks ≥ 50 ms (count)", "long_tasks"),
            ("Long tasks (total ms)", "long_task_ms"),
            ("JSHeapUsedSize at the end (MB)", "heap_mb"),
            ("Grid updates done", "ticks"),
        ] {
            t.push_str(&format!("| {label} | {} | {} | {} |\n", fmt_ms(&v["none"][k]), fmt_ms(&v["shownonce"][k]), fmt_ms(&v["naive"][k])));
        }
        t.push_str(&format!(
            "| Added ScriptDuration vs no extension (ms, median of per-round differences) | – | {} | {} |\n",
            fmt_ms(&st["added_script_ms_paired"]["shownonce"]),
            fmt_ms(&st["added_script_ms_paired"]["naive"])
        ));
        t.push_str(&format!(
            "| Added TaskDuration vs no extension (ms, same) | – | {} | {} |\n",
            fmt_ms(&st["added_task_ms_paired"]["shownonce"]),
            fmt_ms(&st["added_task_ms_paired"]["naive"])
        ));
        let rt = &st["ratios"];
        t.push_str(&format!(
            "\nRatios (ScriptDuration): ShownOnce / naive = {}, ShownOnce / no extension = {}; added script time ShownOnce / naive = {}. TaskDuration: ShownOnce / naive = {}, ShownOnce / no extension = {}.\n",
            rt["script_shownonce_vs_naive"], rt["script_shownonce_vs_none"], rt["added_script_shownonce_vs_naive"],
            rt["task_shownonce_vs_naive"], rt["task_shownonce_vs_none"]
        ));
    }
    let idle = &r["idle"];
    if idle.is_object() {
        t.push_str("\n**Idle cost** (Overview blade, not the credentials blade; ScriptDuration per page load, medians)\n\n| frame model | frames | no extension | ShownOnce | added per frame |\n|---|---|---|---|---|\n");
        for model in ["shell", "iframe"] {
            let m = &idle[model];
            t.push_str(&format!(
                "| {model} | {} | {} ms | {} ms | {} ms |\n",
                m["shownonce"]["frames"],
                fmt_ms(&m["none"]["page_script_ms"]),
                fmt_ms(&m["shownonce"]["page_script_ms"]),
                fmt_ms(&m["added_frame_script_ms"])
            ));
        }
    }
    t.push_str(&format!(
        "\nBrowsers: {}. Machine: {}, {} cores, {} GB. Date: {}. Bench time: {} s.\n",
        [r["browser"]["chrome"].as_str(), r["browser"]["firefox"].as_str()].iter().flatten().cloned().collect::<Vec<_>>().join(", "),
        r["machine"]["cpu"].as_str().unwrap_or("?"),
        r["machine"]["cores"],
        r["machine"]["memory_gb"],
        r["date"].as_str().unwrap_or("?"),
        r["timings_s"]["total"]
    ));
    if let Some(n) = r["notes"].as_array().filter(|n| !n.is_empty()) {
        t.push_str("\nNotes:\n");
        for x in n {
            t.push_str(&format!("- {}\n", x.as_str().unwrap_or("")));
        }
    }
    t
}

fn performance_md(r: &Value, table: &str) -> String {
    let p = &r["parameters"];
    format!(
        "## Performance\n\n\
ShownOnce runs in every portal frame all day, so its cost is measured on every change with \
`./build.sh bench`, against a page without any extension and against a naive baseline extension \
shipped with the bench (`tests/bench/naive-extension/`: a plain-JS content script that re-reads \
`document.body.innerText` and runs the secret regex on every mutation). Benchmarks print figures; \
they never fail on timing.\n\n\
Latest figures ({date}, {chrome}{ff}; {cpu}, {cores} cores, {mem} GB RAM, {os}):\n\n{table}\n\
### How it is measured\n\n\
- **Size**: the production build in `dist/`, every file the content script loads (manifest \
`content_scripts` + `web_accessible_resources`), raw and `gzip -9`; package = all files, and the \
store zip.\n\
- **Detection latency**: the replica credentials blade served over HTTPS at the real portal \
hostname, one fresh page load per run ({runs} runs + 1 warm-up; {extra} for strict CSP and the \
baseline; {ffruns} in Firefox). The replica stamps the time the new secret's value enters the DOM, \
ShownOnce's content script stamps its detection time (read in its prompt frame); both are \
`performance.timeOrigin + performance.now()`, the same clock in both documents. `so_pad=5000` adds a 5,000-node table to the blade.\n\
- **Mutation storm**: a log-grid replica page that replaces {nodes} nodes every {iv} ms for {secs} s, \
loaded without extension, with ShownOnce and with the naive baseline, interleaved (a b c a b c …, \
{sruns} runs each, one discarded warm-up round). Chromium's `Performance.getMetrics` (CDP) at the \
end of each run: its counters restart with each new document, so these are whole page-load \
totals, content scripts included. \"Added\" figures are medians of the per-round differences to the \
run without extension (paired, so a machine that slows down mid-run does not skew them). Long tasks come from a `longtask` PerformanceObserver injected \
with `Page.addScriptToEvaluateOnNewDocument`.\n\
- **Idle cost**: the replica Overview blade, in the shell frame model and in the iframe model \
(shell + reactblade blade iframe + the pool's spare iframe), with vs without ShownOnce, {iruns} \
interleaved runs each; ScriptDuration of the page load including 1 s after the blade is drawn, \
divided by the number of frames; added = median of the per-round differences. \
These Chromium sessions run with `--disable-site-isolation-trials` so that the blade iframes share \
the page's renderer and show up in its metrics.\n\n\
### Reproduce\n\n\
```sh\n./build.sh bench     # builds dist/ if stale, installs Chromium/Firefox/drivers if missing\n```\n\n\
Results: a table on stdout, `target/bench/results.json` (all figures and per-run samples) and this \
section as `target/bench/PERFORMANCE.md`. Environment knobs (runs, storm length, sections) are \
listed at the top of `tests/bench.rs`. Absolute figures follow the load of the machine (on a \
shared 2-core VM they moved by up to 1.7x between runs): compare the variants within one run, \
where they are interleaved, not across runs.\n",
        date = r["date"].as_str().unwrap_or("?"),
        chrome = r["browser"]["chrome"].as_str().unwrap_or("Chromium"),
        ff = r["browser"]["firefox"].as_str().map(|f| format!(", {f}")).unwrap_or_default(),
        cpu = r["machine"]["cpu"].as_str().unwrap_or("?"),
        cores = r["machine"]["cores"],
        mem = r["machine"]["memory_gb"],
        os = r["machine"]["os"].as_str().unwrap_or("?"),
        table = table,
        runs = p["latency_runs"],
        extra = p["latency_extra_runs"],
        ffruns = p["firefox_runs"],
        nodes = STORM_ROWS * 11,
        iv = STORM_INTERVAL_MS,
        secs = p["storm_seconds"],
        sruns = p["storm_runs_per_variant"],
        iruns = p["idle_runs_per_variant"],
    )
}
