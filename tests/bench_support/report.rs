//! The results being built (JSON object, notes, timings, browser versions) and the report
//! written from them: target/bench/results.json, the Markdown table and PERFORMANCE.md.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::config::{out_dir, sh, Cfg};
use super::stats::r2;
use super::storm::{STORM_INTERVAL_MS, STORM_ROWS};

/// Everything measured so far. Keys are inserted in the order the report has always had
/// (serde_json keeps insertion order here): machine and parameters first, then each section.
pub struct Results {
    pub res: Map<String, Value>,
    /// Why a figure is missing or a run failed (`notes` in the JSON).
    pub notes: Vec<String>,
    /// Seconds per section (`timings_s`).
    pub timings: Map<String, Value>,
    /// Browser versions (`browser`).
    pub browsers: Map<String, Value>,
    started: Instant,
}

impl Results {
    /// Date, machine and parameters; creates target/bench/.
    pub fn start(cfg: &Cfg) -> Results {
        let started = Instant::now();
        std::fs::create_dir_all(out_dir()).unwrap();
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
        Results { res, notes: Vec::new(), timings: Map::new(), browsers: Map::new(), started }
    }

    /// Keys that must be in the JSON even when their section did not run.
    pub fn default_keys(&mut self, keys: &[&str], value: Value) {
        for k in keys {
            self.res.entry(*k).or_insert(value.clone());
        }
    }

    /// Writes target/bench/results.json and PERFORMANCE.md, prints the table.
    pub fn write(self) {
        let Results { mut res, notes, mut timings, browsers, started } = self;
        res.insert("browser".into(), Value::Object(browsers));
        timings.insert("total".into(), json!(r2(started.elapsed().as_secs_f64())));
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
}

pub fn fmt_ms(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.abs() >= 100.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.1}"),
        None => "n/a".into(),
    }
}

pub fn fmt_kb(v: &Value) -> String {
    v.as_f64().map(|b| format!("{:.1} KB", b / 1024.0)).unwrap_or_else(|| "n/a".into())
}

pub fn lat_row(label: &str, v: &Value) -> String {
    if v.is_null() {
        return format!("| {label} | n/a | n/a | n/a | 0 |\n");
    }
    format!("| {label} | {} | {} | {} | {} |\n", fmt_ms(&v["p50"]), fmt_ms(&v["p95"]), fmt_ms(&v["max"]), v["runs"])
}

/// The figures as Markdown tables (also printed on stdout).
pub fn table(r: &Value) -> String {
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

pub fn performance_md(r: &Value, table: &str) -> String {
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
