//! Statistics of the samples and their rounding in the results.

use serde_json::{json, Value};

pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    // Nearest rank.
    let n = v.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    v[rank - 1]
}

pub fn median(v: &[f64]) -> Option<f64> {
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
pub fn paired(a: &[(usize, f64)], b: &[(usize, f64)]) -> Option<f64> {
    let d: Vec<f64> = a.iter().filter_map(|(r, x)| b.iter().find(|(rb, _)| rb == r).map(|(_, y)| x - y)).collect();
    median(&d)
}

pub fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn num(x: Option<f64>) -> Value {
    x.map(|v| json!(r2(v))).unwrap_or(Value::Null)
}

pub fn ratio(a: Option<f64>, b: Option<f64>) -> Value {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => json!((a / b * 1000.0).round() / 1000.0),
        _ => Value::Null,
    }
}

/// `{p50, p95, max, min, mean, runs, failed}` of latency samples, or null without samples.
pub fn latency_stats(samples: &[f64], failed: usize) -> Value {
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
