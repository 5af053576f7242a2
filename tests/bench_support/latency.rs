//! Detection latency, section 2 (value inserted → detected), and the prompt frame (detected → its
//! document interactive), in Chromium and Firefox.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use thirtyfour::prelude::*;

use super::config::{verbose, Builds, Cfg, APP};
use super::driver::{browser_version, click, first_lines, goto, poll, type_into, Live};
use super::report::Results;
use super::stats::{latency_stats, r2};
use crate::support::browser::{Browser, Session};
use crate::support::server::ReplicaServer;

pub fn credentials_url(csp: &str, pad: bool, run: usize) -> String {
    let pad = if pad { "&so_pad=5000" } else { "" };
    format!(
        "https://portal.azure.com/?so_frame=shell&so_csp={csp}{pad}&so_run={run}#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP}/isMSAApp~/false"
    )
}

/// Which marker says the extension's content script is running, and where its detection
/// timestamp is.
#[derive(Clone, Copy, PartialEq)]
pub enum Detector {
    ShownOnce,
    Naive,
}

pub const READ_SHOWNONCE: &str = r#"
const h = document.documentElement;
const n = document.querySelectorAll("iframe[src$='/prompt.html']").length;
return { ins: parseFloat(h.dataset.replicaValueInsertedAt || 'NaN') || null, n, det: null };"#;
/// Read inside ShownOnce's prompt frame (its own document): the content script's detection
/// time, which it hands to the frame, and the hint.
pub const READ_PROMPT_FRAME: &str = r#"
// No documentElement while Firefox replaces the frame's first about:blank (one bench run failed so).
const h = document.documentElement;
return h && h.dataset.ready === 'true' ? { det: parseFloat(h.dataset.detectedAt), ready: parseFloat(h.dataset.readyAt || 'NaN') || null, hint: h.dataset.hint } : null;"#;
pub const READ_NAIVE: &str = r#"
const h = document.documentElement;
return { ins: parseFloat(h.dataset.replicaValueInsertedAt || 'NaN') || null,
  det: parseFloat(h.getAttribute('data-naive-detected-at') || 'NaN') || null, n: 1, hint: null, role: null };"#;

/// Replaces the current tab with a new blank one. After a detection ShownOnce guards the page
/// with a leave-page (beforeunload) prompt, which these sessions leave open
/// (`unhandledPromptBehavior: ignore`, tests/support/browser.rs) and which would block the next
/// navigation; WebDriver's Close Window does not run beforeunload.
pub async fn fresh_tab(s: &Session) -> Result<(), String> {
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
pub async fn leave_page(s: &Session) -> Result<(), String> {
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
pub async fn latency_run(s: &Session, server: &ReplicaServer, det: Detector, url: &str, prompt_timeout: Duration) -> Result<(f64, Option<f64>), String> {
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
pub async fn latency_series(
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

/// Chromium (default process model): ShownOnce on the plain replica, with 5,000 nodes and
/// under a strict CSP; then the naive baseline.
pub async fn chrome(cfg: &Cfg, server: &Arc<ReplicaServer>, builds: &Builds, out: &mut Results) {
    let t = Instant::now();
    match &builds.chrome {
        Ok((dir, _)) => match Live::start(Browser::Chrome, server, Some(dir.clone()), &[], false).await {
            Ok(mut s) => {
                if let Ok(x) = s.s() {
                    out.browsers.insert("chrome".into(), json!(browser_version(x).await));
                }
                let d = latency_series(
                    &mut s,
                    server,
                    Detector::ShownOnce,
                    "chrome detection (plain)",
                    cfg.runs,
                    |i| credentials_url("permissive", false, i),
                    &mut out.notes,
                )
                .await;
                out.res.insert("prompt_frame_ms".into(), d.get("prompt_frame").cloned().unwrap_or(Value::Null));
                out.res.insert("detection_ms".into(), d);
                let d = latency_series(
                    &mut s,
                    server,
                    Detector::ShownOnce,
                    "chrome detection (5k nodes)",
                    cfg.runs,
                    |i| credentials_url("permissive", true, 1000 + i),
                    &mut out.notes,
                )
                .await;
                out.res.insert("detection_5k_ms".into(), d);
                let d = latency_series(
                    &mut s,
                    server,
                    Detector::ShownOnce,
                    "chrome detection (strict CSP, wasm2js)",
                    cfg.extra_runs,
                    |i| credentials_url("strict", false, 2000 + i),
                    &mut out.notes,
                )
                .await;
                out.res.insert("detection_strict_csp_ms".into(), d);
                s.quit().await;
            }
            Err(e) => out.notes.push(format!("latency: {e}")),
        },
        Err(e) => out.notes.push(format!("latency: {e}")),
    }
    if cfg.extra_runs > 0 {
        match Live::start(Browser::Chrome, server, Some(builds.naive.clone()), &[], false).await {
            Ok(mut s) => {
                let d = latency_series(
                    &mut s,
                    server,
                    Detector::Naive,
                    "chrome detection (naive baseline, plain)",
                    cfg.extra_runs,
                    |i| credentials_url("permissive", false, 3000 + i),
                    &mut out.notes,
                )
                .await;
                out.res.insert("detection_naive_ms".into(), d);
                s.quit().await;
            }
            Err(e) => out.notes.push(format!("naive latency: {e}")),
        }
    }
    out.timings.insert("latency".into(), json!(r2(t.elapsed().as_secs_f64())));
}

/// Firefox: ShownOnce on the plain replica and with 5,000 nodes (sizes are measured above).
pub async fn firefox(cfg: &Cfg, server: &Arc<ReplicaServer>, builds: &Builds, out: &mut Results) {
    let t = Instant::now();
    let mut ff = Map::new();
    match &builds.firefox {
        Ok((dir, _)) => match Live::start(Browser::Firefox, server, Some(dir.clone()), &[], false).await {
            Ok(mut s) => {
                if let Ok(x) = s.s() {
                    out.browsers.insert("firefox".into(), json!(browser_version(x).await));
                }
                let d = latency_series(
                    &mut s,
                    server,
                    Detector::ShownOnce,
                    "firefox detection (plain)",
                    cfg.firefox_runs,
                    |i| credentials_url("permissive", false, 4000 + i),
                    &mut out.notes,
                )
                .await;
                ff.insert("detection_ms".into(), d);
                let d = latency_series(
                    &mut s,
                    server,
                    Detector::ShownOnce,
                    "firefox detection (5k nodes)",
                    cfg.firefox_runs,
                    |i| credentials_url("permissive", true, 5000 + i),
                    &mut out.notes,
                )
                .await;
                ff.insert("detection_5k_ms".into(), d);
                s.quit().await;
            }
            Err(e) => out.notes.push(format!("firefox: {e}")),
        },
        Err(e) => out.notes.push(format!("firefox: {e}")),
    }
    out.res.insert("firefox".into(), Value::Object(ff));
    out.timings.insert("firefox".into(), json!(r2(t.elapsed().as_secs_f64())));
}
