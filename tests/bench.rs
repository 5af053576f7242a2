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
//!
//! Layout: this file runs the sections in order; each lives in tests/bench_support/ (sizes,
//! latency with the prompt frame, storm, idle, and report for results.json / PERFORMANCE.md).

mod bench_support;
mod support;

use std::sync::Arc;

use bench_support::config::{Builds, Cfg};
use bench_support::report::Results;
use bench_support::{driver, idle, latency, sizes, storm};
use serde_json::{json, Value};
use support::server::ReplicaServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: ./build.sh bench"]
async fn bench() {
    let cfg = Cfg::from_env();
    let mut out = Results::start(&cfg);
    let builds = Builds::snapshot();

    // ---- 1. sizes
    if cfg.on("sizes") {
        sizes::measure(&builds, &mut out);
    }

    let server = Arc::new(ReplicaServer::start());

    // ---- 2. detection latency (Chromium, default process model)
    if cfg.on("latency") {
        latency::chrome(&cfg, &server, &builds, &mut out).await;
    }
    out.default_keys(&["detection_ms", "detection_5k_ms"], Value::Null);

    // ---- 3 + 4. storm and idle (Chromium, three sessions side by side, shared renderer)
    if cfg.on("storm") || cfg.on("idle") {
        let mut sessions = driver::metric_sessions(&cfg, &server, &builds, &mut out).await;
        if cfg.on("storm") {
            storm::measure(&cfg, &mut sessions, &mut out).await;
        }
        if cfg.on("idle") {
            idle::measure(&cfg, &mut sessions, &mut out).await;
        }
        for (_, s) in sessions {
            s.quit().await;
        }
    }
    out.default_keys(&["storm_script_ms", "idle_frame_script_ms"], json!({}));

    // ---- 5. Firefox: detection latency (sizes above)
    if cfg.on("firefox") {
        latency::firefox(&cfg, &server, &builds, &mut out).await;
    }

    drop(server);
    out.write();
}
