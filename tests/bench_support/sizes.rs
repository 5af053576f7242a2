//! Sizes (section 1): what every portal frame loads, the wasm2js fallback, the whole package.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Map, Value};

use super::config::{gzip_len, Builds};
use super::report::Results;
use super::stats::r2;

pub fn file_entry(dir: &Path, rel: &str) -> Option<(String, u64, u64)> {
    let p = dir.join(rel);
    let raw = std::fs::metadata(&p).ok()?.len();
    Some((rel.to_string(), raw, gzip_len(&p)))
}

pub fn all_files(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
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

pub fn sizes_of(browser: &str, dir: &Path, zip: Option<&Path>) -> Value {
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

/// Sizes of both builds; the Chrome build's content-script figures are the headline ones.
pub fn measure(builds: &Builds, out: &mut Results) {
    let t = Instant::now();
    let mut pkg_gz = Map::new();
    let mut detail = Map::new();
    for (name, snap) in [("chrome", &builds.chrome), ("firefox", &builds.firefox)] {
        match snap {
            Ok((dir, zip)) => {
                let v = sizes_of(name, dir, zip.as_deref());
                pkg_gz.insert(name.into(), v["package_bytes_gz"].clone());
                detail.insert(name.into(), v);
            }
            Err(e) => {
                out.notes.push(format!("sizes {name}: {e}"));
                pkg_gz.insert(name.into(), Value::Null);
            }
        }
    }
    let c = detail.get("chrome").or_else(|| detail.get("firefox")).cloned().unwrap_or(Value::Null);
    out.res.insert("content_script_bytes_gz".into(), c["content_script_bytes_gz"].clone());
    out.res.insert("content_script_bytes".into(), c["content_script_bytes"].clone());
    out.res.insert("content_fallback_bytes_gz".into(), c["content_fallback_bytes_gz"].clone());
    out.res.insert("content_fallback_bytes".into(), c["content_fallback_bytes"].clone());
    out.res.insert("package_bytes_gz".into(), Value::Object(pkg_gz));
    out.res.insert("sizes".into(), Value::Object(detail));
    out.timings.insert("sizes".into(), json!(r2(t.elapsed().as_secs_f64())));
}
