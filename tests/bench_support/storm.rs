//! Mutation storm (section 3): page cost of a log grid re-rendering all the time, without extension,
//! with ShownOnce and with the naive baseline, interleaved.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::config::Cfg;
use super::driver::{first_lines, goto, js, metric, metrics, poll, Live};
use super::report::Results;
use super::stats::{median, num, paired, r2, ratio};
use crate::support::browser::Session;

/// Rows per storm tick and ms between ticks (the replica's defaults): 880 nodes / 50 ms.
pub const STORM_ROWS: u32 = 80;
pub const STORM_INTERVAL_MS: u32 = 50;

pub struct StormSample {
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

pub async fn storm_run(s: &Session, seconds: u32, run: usize) -> Result<StormSample, String> {
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

/// Warm-up round, then `cfg.storm_runs` interleaved rounds over `sessions`.
pub async fn measure(cfg: &Cfg, sessions: &mut [(&'static str, Live)], out: &mut Results) {
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
            out.notes.push(format!("storm warm-up {name}: {}", first_lines(&e)));
            live.recover(&e, &format!("storm {name}"), &mut out.notes).await;
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
                    out.notes.push(format!("storm {name} run {i}: {}", first_lines(&e)));
                    live.recover(&e, &format!("storm {name}"), &mut out.notes).await;
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
    out.res.insert(
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
    out.res.insert("storm_script_ms".into(), Value::Object(script));
    out.res.insert("storm_task_ms".into(), Value::Object(task));
    out.timings.insert("storm".into(), json!(r2(t.elapsed().as_secs_f64())));
}
