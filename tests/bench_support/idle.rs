//! Idle cost (section 4): script time of a portal frame that is not a credentials blade, shell and
//! iframe frame models, with vs without ShownOnce (the idle frame figure).

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use thirtyfour::prelude::*;

use super::config::{Cfg, APP};
use super::driver::{first_lines, goto, js, metric, metrics, poll, Live};
use super::report::Results;
use super::stats::{median, num, paired, r2};
use crate::support::browser::Session;

pub fn overview_url(iframe: bool, run: usize) -> String {
    let frame = if iframe { "iframe" } else { "shell" };
    format!(
        "https://portal.azure.com/?so_frame={frame}&so_run={run}#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/{APP}/isMSAApp~/false"
    )
}

pub struct IdleSample {
    round: usize,
    script_ms: f64,
    task_ms: f64,
    frames: f64,
}

/// Engine ShownOnce reports (asked through the extension) in the top frame and, in the
/// iframe model, in the blade iframe: proof that the idle figures include the content script
/// in every frame.
pub async fn engines(s: &Session, iframe: bool) -> Value {
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

pub async fn idle_run(s: &Session, iframe: bool, run: usize) -> Result<IdleSample, String> {
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

/// Warm-up, then `cfg.idle_runs` interleaved rounds per frame model over `sessions` (the
/// naive baseline's session is skipped).
pub async fn measure(cfg: &Cfg, sessions: &mut [(&'static str, Live)], out: &mut Results) {
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
                    out.notes.push(format!("idle warm-up {model} {name}: {}", first_lines(&e)));
                    live.recover(&e, &format!("idle {name}"), &mut out.notes).await;
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
                        out.notes.push(format!("idle {model} {name} run {i}: {}", first_lines(&e)));
                        live.recover(&e, &format!("idle {name}"), &mut out.notes).await;
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
            idle_sessions.iter().position(|x| x.0 == name).map(|k| samples[k].iter().map(|x| (x.round, x.script_ms / x.frames)).collect()).unwrap_or_default()
        };
        // Median of the per-round differences (interleaved runs, paired).
        m.insert("added_frame_script_ms".into(), num(paired(&per_frame("shownonce"), &per_frame("none"))));
        m.insert("shownonce_engine".into(), engine);
        models.insert(model.into(), Value::Object(m));
    }
    let pick = |model: &str, n: &str| models.get(model).and_then(|m| m.get(n)).map(|v| v["frame_script_ms"].clone()).unwrap_or(Value::Null);
    out.res.insert("idle_frame_script_ms".into(), json!({ "none": pick("shell", "none"), "shownonce": pick("shell", "shownonce") }));
    out.res.insert("idle_frame_script_ms_iframe_model".into(), json!({ "none": pick("iframe", "none"), "shownonce": pick("iframe", "shownonce") }));
    // Added script time per idle (non-credential) portal frame, both frame models.
    let added = |model: &str| models.get(model).map(|m| m["added_frame_script_ms"].clone()).unwrap_or(Value::Null);
    out.res.insert("idle_frame_added_ms".into(), json!({ "shell": added("shell"), "iframe": added("iframe") }));
    out.res.insert("idle".into(), Value::Object(models));
    out.timings.insert("idle".into(), json!(r2(t.elapsed().as_secs_f64())));
}
