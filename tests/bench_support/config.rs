//! Configuration (environment knobs), paths, and the extension builds under test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The replica app whose blades the bench opens.
pub const APP: &str = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c";

pub struct Cfg {
    pub sections: Vec<String>,
    pub runs: usize,
    pub extra_runs: usize,
    pub firefox_runs: usize,
    pub storm_runs: usize,
    pub storm_seconds: u32,
    pub idle_runs: usize,
}

pub fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

impl Cfg {
    pub fn from_env() -> Cfg {
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
    pub fn on(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s == section)
    }
}

pub fn verbose() -> bool {
    std::env::var("SHOWNONCE_BENCH_VERBOSE").is_ok_and(|v| v == "1")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn out_dir() -> PathBuf {
    root().join("target").join("bench")
}

pub fn sh(cmd: &str) -> String {
    Command::new("sh").arg("-c").arg(cmd).output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
}

pub fn gzip_len(path: &Path) -> u64 {
    let out = Command::new("sh").arg("-c").arg("gzip -9c \"$1\" | wc -c").arg("sh").arg(path).output().expect("gzip");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

pub fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
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
pub fn snapshot_dist(browser: &str) -> Result<(PathBuf, Option<PathBuf>), String> {
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

/// The builds under test, copied out of `dist/` (and the naive baseline from tests/bench/).
pub struct Builds {
    /// `dist/chrome` and its store zip, or why it is missing.
    pub chrome: Result<(PathBuf, Option<PathBuf>), String>,
    pub firefox: Result<(PathBuf, Option<PathBuf>), String>,
    pub naive: PathBuf,
}

impl Builds {
    pub fn snapshot() -> Builds {
        let chrome = snapshot_dist("chrome");
        let firefox = snapshot_dist("firefox");
        let naive = out_dir().join("ext").join("naive");
        let _ = std::fs::remove_dir_all(&naive);
        copy_dir(&root().join("tests/bench/naive-extension"), &naive).expect("copy the naive baseline extension");
        Builds { chrome, firefox, naive }
    }
}
