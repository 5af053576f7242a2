//! Dates: the portal's displayed expiry as Unix time, and HTTP dates (`Retry-After`).

use crate::core::date::{parse_expiry, Ymd};

/// The expiry date as the portal displays it (`5/26/2027`, `26.05.2027`, `2027/05/26`,
/// `2027-05-26`, `2027年5月26日`, `May 26, 2027`), read by the page's language tag `locale`
/// (see [`parse_expiry`]), as Unix seconds at 00:00 UTC of that day: the start of the day, so
/// Key Vault never shows a later expiry than the portal. `None` when it is not such a date.
pub fn expiry_unix(display: &str, locale: &str) -> Option<i64> {
    parse_expiry(display, locale)?.date.unix_midnight_utc()
}

/// Unix time (seconds, UTC) of a civil date and time; `None` if out of range.
pub fn unix_time(year: i32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> Option<i64> {
    if hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let midnight = Ymd { year, month, day }.unix_midnight_utc()?;
    Some(midnight + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to Unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let (_, rest) = s.split_once(", ")?;
    let f: Vec<&str> = rest.split(' ').collect();
    if f.len() != 5 || f[4] != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let day = f[0].parse().ok()?;
    let month = MONTHS.iter().position(|m| *m == f[1])? as u32 + 1;
    let year = f[2].parse().ok()?;
    let t: Vec<u32> = f[3].split(':').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    if t.len() != 3 {
        return None;
    }
    unix_time(year, month, day, t[0], t[1], t[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_dates() {
        // 2027-05-26T00:00:00Z (`date -u -d 2027-05-26 +%s`).
        let want = Some(1_811_289_600);
        for (s, locale) in [
            ("5/26/2027", ""),
            ("5/26/2027", "en-US"),
            ("26.05.2027", "de-DE"),
            ("2027/05/26", "ja-JP"),
            ("2027-05-26", ""),
            ("2027年5月26日", "zh-CN"),
            ("26/05/2027", "en-GB"),
            ("26/05/2027", ""),
            (" 5/26/2027 ", "en-US"),
            ("May 26, 2027", "en-US"),
        ] {
            assert_eq!(expiry_unix(s, locale), want, "{s} in {locale}");
        }
        // The same text, two regions: 4 March in the US, 3 April in Britain.
        assert_eq!(expiry_unix("3/4/2027", "en-US"), Some(1_804_118_400), "month first (en-US)");
        assert_eq!(expiry_unix("3/4/2027", "en-GB"), Some(1_806_710_400), "day first (en-GB)");
        assert_eq!(expiry_unix("3.4.2027", "en-US"), Some(1_806_710_400), "day first with dots");
        for s in ["", "soon", "13/13/2027", "2/30/2027", "5/26/27", "12345/1/1", "1/2/3/2027"] {
            assert_eq!(expiry_unix(s, "en-US"), None, "{s}");
        }
    }

    #[test]
    fn unix_times() {
        assert_eq!(unix_time(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(unix_time(2000, 2, 29, 0, 0, 0), Some(951_782_400));
        assert_eq!(unix_time(2027, 3, 14, 0, 0, 0), Some(1_804_982_400));
        assert_eq!(unix_time(2100, 2, 29, 0, 0, 0), None);
        assert_eq!(unix_time(2026, 13, 1, 0, 0, 0), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
    }
}
