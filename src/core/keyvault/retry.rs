//! Retries: the server's requested delay and bounded exponential backoff with jitter.

use super::{parse_http_date, KvError, KvResponse};

/// The server-requested delay in ms, from `retry-after-ms`/`x-ms-retry-after-ms`
/// or `Retry-After` (delta-seconds or an HTTP-date relative to `now_unix`).
pub fn retry_after(resp: &KvResponse<'_>, now_unix: i64) -> Option<u64> {
    if let Some(ms) = resp.retry_after_ms.and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(ms);
    }
    let v = resp.retry_after?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    let at = parse_http_date(v)?;
    Some(u64::try_from(at - now_unix).unwrap_or(0).saturating_mul(1000))
}

/// Bounded retries with exponential backoff and full jitter, honouring the server's delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub max_attempts: u32,
    /// Delay before the second attempt, before jitter (ms).
    pub base_delay_ms: u64,
    /// Longest wait; a server asking for more makes us stop and tell the user (ms).
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 4, base_delay_ms: 800, max_delay_ms: 30_000 }
    }
}

impl RetryPolicy {
    /// Delay before the next attempt after `attempts_made` failed ones, or
    /// `None` to stop. `random` is any caller-supplied random number (jitter).
    pub fn next_delay(&self, attempts_made: u32, error: &KvError, random: u32) -> Option<u64> {
        if !error.is_retryable() || attempts_made == 0 || attempts_made >= self.max_attempts {
            return None;
        }
        if let Some(d) = error.retry_after_ms() {
            return (d <= self.max_delay_ms).then_some(d);
        }
        let exp = self.base_delay_ms.saturating_mul(1u64 << (attempts_made - 1).min(20));
        let cap = exp.min(self.max_delay_ms);
        // Half fixed, half random: spreads clients out without ever retrying immediately.
        let half = cap / 2;
        Some(half + u64::from(random) % (cap - half + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyvault::*;

    #[test]
    fn retries() {
        let p = RetryPolicy::default();
        let e = KvError::ServerError(503, None);
        let d1 = p.next_delay(1, &e, 0).unwrap();
        let d2 = p.next_delay(2, &e, u32::MAX).unwrap();
        assert_eq!(d1, 400);
        assert!((800..=1600).contains(&d2));
        assert!(p.next_delay(3, &e, 12345).is_some());
        assert_eq!(p.next_delay(4, &e, 0), None, "bounded");
        for a in 1..4 {
            for r in [0, 1, 999, u32::MAX] {
                assert!(p.next_delay(a, &e, r).unwrap() <= p.max_delay_ms);
            }
        }
        assert_eq!(p.next_delay(1, &KvError::Throttled(Some(5000)), 0), Some(5000));
        assert_eq!(p.next_delay(1, &KvError::Throttled(Some(120_000)), 0), None, "too long: tell the user");
        assert_eq!(p.next_delay(1, &KvError::ForbiddenByRbac, 0), None);
        assert_eq!(p.next_delay(1, &KvError::Offline, 0), None);
        let huge = RetryPolicy { max_attempts: 100, base_delay_ms: u64::MAX / 2, max_delay_ms: 60_000 };
        assert!(huge.next_delay(99, &e, 7).unwrap() <= 60_000);
    }
}
