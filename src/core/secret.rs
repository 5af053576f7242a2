//! Client secret format: Marvin32 checksum, classification, search inside text.
//!
//! Byte-level on purpose: this runs in every portal frame, so no regex, no `format!`.

use super::text::{find_bytes, is_space, trim};

/// Marvin32 (the .NET string hash) 64-bit result.
pub fn marvin64(seed: u64, data: &[u8]) -> u64 {
    let mut p0 = seed as u32;
    let mut p1 = (seed >> 32) as u32;
    let mut chunks = data.chunks_exact(4);
    for w in &mut chunks {
        p0 = p0.wrapping_add(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        block(&mut p0, &mut p1);
    }
    // Tail bytes little-endian, then the 0x80 terminator byte.
    let tail = chunks.remainder();
    let mut last = 0x80u32 << (8 * tail.len());
    for (i, b) in tail.iter().enumerate() {
        last |= (*b as u32) << (8 * i);
    }
    p0 = p0.wrapping_add(last);
    block(&mut p0, &mut p1);
    block(&mut p0, &mut p1);
    ((p1 as u64) << 32) | p0 as u64
}

#[inline]
fn block(p0: &mut u32, p1: &mut u32) {
    *p1 ^= *p0;
    *p0 = p0.rotate_left(20);
    *p0 = p0.wrapping_add(*p1);
    *p1 = p1.rotate_left(9);
    *p1 ^= *p0;
    *p0 = p0.rotate_left(27);
    *p0 = p0.wrapping_add(*p1);
    *p1 = p1.rotate_left(19);
}

/// Checksum seed used by Azure AD for `8Q~` secrets ("AadPwd00").
const CHECKSUM_SEED: u64 = 0x4161_6450_7764_3030;
/// Base66 alphabet of the checksum digits.
const B66: &[u8; 66] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~";

/// The 3 checksum characters an `8Q~` secret must end with, given its first 37 bytes.
pub fn checksum_suffix(first37: &[u8]) -> [u8; 3] {
    let h = marvin64(CHECKSUM_SEED, first37);
    let mut v = ((h >> 32) as u32 ^ h as u32) as u64;
    // 6 base66 digits, most significant first; keep the top 3.
    let mut digits = [b'a'; 6];
    for d in digits.iter_mut().rev() {
        *d = B66[(v % 66) as usize];
        v /= 66;
    }
    [digits[0], digits[1], digits[2]]
}

/// Which generation of client secret a value belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// 40 chars, `8Q~` at index 3, valid checksum (2021 onwards).
    Current,
    /// 37 chars, `7Q~` at index 3, no checksum.
    Legacy,
    /// Pre-2021 free-form value; only trusted in a freshly added row's Value cell.
    Old,
}

impl SecretKind {
    /// Stable lower-case name, for messages without `Debug`/`format!`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Current => "current",
            SecretKind::Legacy => "legacy",
            SecretKind::Old => "old",
        }
    }
}

/// Length of a current (`8Q~`) secret.
pub const CURRENT_LEN: usize = 40;
/// Length of a legacy (`7Q~`) secret.
pub const LEGACY_LEN: usize = 37;

/// True for bytes of the current/legacy secret alphabet `[a-zA-Z0-9.\-_~]`.
#[inline]
pub fn is_secret_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~')
}

fn classify_bytes(t: &[u8]) -> Option<SecretKind> {
    let kind = match (t.len(), t.get(3..6)) {
        (CURRENT_LEN, Some(b"8Q~")) => SecretKind::Current,
        (LEGACY_LEN, Some(b"7Q~")) => SecretKind::Legacy,
        _ => return None,
    };
    if !t.iter().all(|&b| is_secret_byte(b)) {
        return None;
    }
    if kind == SecretKind::Current && checksum_suffix(&t[..37]) != t[37..] {
        return None;
    }
    Some(kind)
}

/// Classifies an exact token (no trimming) as a Current or Legacy secret.
/// Never returns [`SecretKind::Old`]: see [`looks_like_old_secret`].
pub fn classify_token(s: &str) -> Option<SecretKind> {
    classify_bytes(s.as_bytes())
}

/// Finds the first Current or Legacy secret inside arbitrary text; returns its
/// byte range and kind. Token boundaries are bytes outside the secret alphabet,
/// so quotes, brackets, NBSP or CJK around it do not matter, while glued
/// alphabet characters make the token too long. A token touching `*` is part
/// of a masked value and is skipped.
pub fn find_secret(text: &str) -> Option<(usize, usize, SecretKind)> {
    let b = text.as_bytes();
    let mut i = 0;
    // Quick reject and candidate search in one: every secret has `Q~` at index 4.
    while let Some(off) = find_bytes(&b[i..], b"Q~") {
        let q = i + off;
        let mut s = q;
        while s > 0 && is_secret_byte(b[s - 1]) {
            s -= 1;
        }
        let mut e = q + 2;
        while e < b.len() && is_secret_byte(b[e]) {
            e += 1;
        }
        let starred = (s > 0 && b[s - 1] == b'*') || b.get(e) == Some(&b'*');
        if !starred {
            if let Some(kind) = classify_bytes(&b[s..e]) {
                return Some((s, e, kind));
            }
        }
        i = e;
    }
    None
}

/// Heuristic for a pre-2021 secret (token already isolated; surrounding white
/// space is ignored): 32..=44 chars of base64-like characters or the
/// punctuation old Azure secrets used, with lower case, upper case and digits,
/// no `*`, not a GUID, not a URL.
pub fn looks_like_old_secret(s: &str) -> bool {
    let t = trim(s).as_bytes();
    if !(32..=44).contains(&t.len()) || find_bytes(t, b"://").is_some() {
        return false;
    }
    // The `7Q~`/`8Q~` marker means a current or legacy secret: one that failed those
    // checks (a bad checksum) is not a secret of any format.
    if t.len() >= 6 && &t[4..6] == b"Q~" {
        return false;
    }
    let (mut lower, mut upper, mut digit) = (false, false, false);
    for &b in t {
        match b {
            b'a'..=b'z' => lower = true,
            b'A'..=b'Z' => upper = true,
            b'0'..=b'9' => digit = true,
            b'.' | b'-' | b'_' | b'~' | b'[' | b']' | b':' | b'@' | b'/' | b'=' | b'+' | b'?' => {}
            _ => return false, // includes `*`, spaces and non-ASCII
        }
    }
    lower && upper && digit && !is_guid(s)
}

/// True for a masked value: 3 visible characters then at least 6 `*`
/// (optionally followed by white space and other text, e.g. a button label).
pub fn is_masked(s: &str) -> bool {
    let t = trim(s);
    let mut chars = t.char_indices();
    for _ in 0..3 {
        match chars.next() {
            Some((_, c)) if c != '*' && !is_space(c) => {}
            _ => return false,
        }
    }
    let rest = match chars.next() {
        Some((i, _)) => &t[i..],
        None => return false,
    };
    let stars = rest.bytes().take_while(|&b| b == b'*').count();
    stars >= 6 && rest[stars..].chars().next().is_none_or(is_space)
}

fn is_guid_bytes(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// True when the trimmed text is exactly a GUID (`8-4-4-4-12` hex digits).
pub fn is_guid(s: &str) -> bool {
    is_guid_exact(trim(s))
}

/// True when `s` itself, untrimmed, is a GUID (`8-4-4-4-12` hex digits): for values written
/// as they are (the `.env` file, settings, Key Vault tags), where surrounding space is an error.
/// The one GUID check of the crate; every other module calls this or [`is_guid`].
pub fn is_guid_exact(s: &str) -> bool {
    is_guid_bytes(s.as_bytes())
}

/// Finds the first GUID token in text (not glued to letters, digits or `-`).
pub fn find_guid(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let edge = |c: u8| !(c.is_ascii_alphanumeric() || c == b'-');
    let mut i = 0;
    while i + 36 <= b.len() {
        if b[i + 8] == b'-' && (i == 0 || edge(b[i - 1])) && is_guid_bytes(&b[i..i + 36]) && b.get(i + 36).is_none_or(|&c| edge(c)) {
            return Some((i, i + 36));
        }
        i += 1;
    }
    None
}

/// The first 3 characters of the trimmed value (Microsoft Graph's `hint`).
pub fn hint(s: &str) -> &str {
    let t = trim(s);
    match t.char_indices().nth(3) {
        Some((i, _)) => &t[..i],
        None => t,
    }
}

// Test support for the unit tests here and in core::grid (the integration tests have their own,
// independent generator in tests/support/checksum.rs).

#[cfg(test)]
fn assemble(prefix3: &[u8; 3], marker: &[u8; 3], body31: &[u8; 31]) -> Vec<u8> {
    let mut v = Vec::with_capacity(CURRENT_LEN);
    v.extend_from_slice(prefix3);
    v.extend_from_slice(marker);
    v.extend_from_slice(body31);
    assert!(v.iter().all(|&b| is_secret_byte(b)), "byte outside the secret alphabet");
    v
}

#[cfg(test)]
fn into_string(v: Vec<u8>) -> String {
    String::from_utf8(v).expect("ascii")
}

/// Test support: a valid `8Q~` secret from its 3-char prefix and 31-char body
/// (bytes must be in the secret alphabet).
#[cfg(test)]
pub fn make_current(prefix3: &[u8; 3], body31: &[u8; 31]) -> String {
    let mut v = assemble(prefix3, b"8Q~", body31);
    let c = checksum_suffix(&v);
    v.extend_from_slice(&c);
    into_string(v)
}

/// Test support: like [`make_current`] but every checksum character is wrong.
#[cfg(test)]
pub fn make_bad_checksum(prefix3: &[u8; 3], body31: &[u8; 31]) -> String {
    let mut v = assemble(prefix3, b"8Q~", body31);
    for c in checksum_suffix(&v) {
        let i = B66.iter().position(|&d| d == c).unwrap_or(0);
        v.push(B66[(i + 1) % B66.len()]);
    }
    into_string(v)
}

/// Test support: a legacy `7Q~` secret (37 chars).
#[cfg(test)]
pub fn make_legacy(prefix3: &[u8; 3], body31: &[u8; 31]) -> String {
    into_string(assemble(prefix3, b"7Q~", body31))
}

/// Test support: a pseudo-random valid `8Q~` secret, deterministic per seed.
#[cfg(test)]
pub fn sample_current(seed: u64) -> String {
    let mut x = (seed ^ 0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        B66[(x % 66) as usize]
    };
    let p = [next(), next(), next()];
    let mut body = [0u8; 31];
    body.iter_mut().for_each(|b| *b = next());
    make_current(&p, &body)
}
#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";
    const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~";

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick(&mut self, set: &[u8]) -> u8 {
            set[(self.next() % set.len() as u64) as usize]
        }
        fn fill<const N: usize>(&mut self, set: &[u8]) -> [u8; N] {
            let mut a = [0u8; N];
            a.iter_mut().for_each(|b| *b = self.pick(set));
            a
        }
    }

    // Independent reference, written the way .NET's Marvin.ComputeHash reads the tail.
    fn ref_marvin(seed: u64, data: &[u8]) -> u64 {
        fn mix(a: &mut u32, b: &mut u32) {
            *b ^= *a;
            *a = a.rotate_left(20).wrapping_add(*b);
            *b = b.rotate_left(9) ^ *a;
            *a = a.rotate_left(27).wrapping_add(*b);
            *b = b.rotate_left(19);
        }
        let (mut a, mut b) = (seed as u32, (seed >> 32) as u32);
        let mut d = data;
        let rd = |d: &[u8]| u32::from_le_bytes(d[..4].try_into().unwrap());
        while d.len() >= 4 {
            a = a.wrapping_add(rd(d));
            mix(&mut a, &mut b);
            d = &d[4..];
        }
        a = a.wrapping_add(match d.len() {
            0 => 0x80,
            1 => 0x8000 | d[0] as u32,
            2 => 0x80_0000 | d[0] as u32 | (d[1] as u32) << 8,
            _ => 0x8000_0000 | d[0] as u32 | (d[1] as u32) << 8 | (d[2] as u32) << 16,
        });
        mix(&mut a, &mut b);
        mix(&mut a, &mut b);
        (b as u64) << 32 | a as u64
    }

    // Independent slow checksum: digits collected least significant first, reversed, padded.
    fn ref_valid(s: &str) -> bool {
        let b = s.as_bytes();
        if b.len() != 40 || &b[3..6] != b"8Q~" || !b.iter().all(|c| ALPHA.contains(c)) {
            return false;
        }
        let h = ref_marvin(0x4161645077643030, &b[..37]);
        let mut v = (h >> 32) ^ (h & 0xffff_ffff);
        let alpha: Vec<char> = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~".chars().collect();
        let mut digits = Vec::new();
        while v > 0 {
            digits.push(alpha[(v % 66) as usize]);
            v /= 66;
        }
        while digits.len() < 6 {
            digits.push('a');
        }
        digits.reverse();
        let want: String = digits[..3].iter().collect();
        s[37..] == want
    }

    #[test]
    fn marvin_vectors() {
        assert_eq!(marvin64(0xd53cd9cecd0893b7, b"abc"), 0x22c74339492769bf);
        assert_eq!(marvin64(0xddddeeeeffff000, b"abcdefghijklmnopqrstuvwxyz"), 0xa128eb7e7260aca2);
        let mut r = Rng(7);
        for len in 0..80 {
            let data: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
            let seed = r.next();
            assert_eq!(marvin64(seed, &data), ref_marvin(seed, &data), "len {len}");
        }
    }

    #[test]
    fn microsoft_sample_and_generated() {
        let s = SAMPLE.as_bytes();
        assert_eq!(&checksum_suffix(&s[..37]), &s[37..]);
        assert!(ref_valid(SAMPLE));
        assert_eq!(classify_token(SAMPLE), Some(SecretKind::Current));
        let mut r = Rng(99);
        for _ in 0..200 {
            let s = make_current(&r.fill(ALPHA), &r.fill(ALPHA));
            assert!(ref_valid(&s), "{s}");
            assert_eq!(classify_token(&s), Some(SecretKind::Current), "{s}");
            let bad = make_bad_checksum(&r.fill(ALPHA), &r.fill(ALPHA));
            assert_eq!(classify_token(&bad), None, "{bad}");
        }
        for seed in 0..50 {
            assert_eq!(classify_token(&sample_current(seed)), Some(SecretKind::Current));
        }
    }

    #[test]
    fn every_wrong_checksum_char_fails() {
        let mut r = Rng(3);
        let mut cases = vec![SAMPLE.to_string()];
        cases.extend((0..5).map(|_| make_current(&r.fill(ALPHA), &r.fill(ALPHA))));
        for good in cases {
            for pos in 37..40 {
                for &c in ALPHA {
                    let mut b = good.clone().into_bytes();
                    if b[pos] == c {
                        continue;
                    }
                    b[pos] = c;
                    let s = String::from_utf8(b).unwrap();
                    assert_eq!(classify_token(&s), None, "{s}");
                    assert_eq!(find_secret(&s), None, "{s}");
                }
            }
        }
    }

    #[test]
    fn classify_table() {
        let legacy = make_legacy(b"Ab1", b"abcdefghijklmnopqrstuvwxyz01234");
        let cur = make_current(b"x.Y", b"_-~ABCDEFGHIJKLMNOPQRSTUVWXYZ01");
        let cases: &[(&str, Option<SecretKind>)] = &[
            (SAMPLE, Some(SecretKind::Current)),
            (&cur, Some(SecretKind::Current)),
            (&legacy, Some(SecretKind::Legacy)),
            ("zzz7Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", Some(SecretKind::Legacy)),
            ("zzz7Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", None),      // 36
            ("zzz7Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", None),    // 38
            ("zzz7Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzz z", None),     // space
            ("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", None),     // 8Q~ at legacy length
            ("zzz7Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP", None),  // 7Q~ at current length
            ("zz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP", None),  // marker shifted
            (" zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP", None), // classify_token is exact
            ("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblp", None),
            ("abc******************", None),
            ("6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5a", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(classify_token(s), *want, "{s:?}");
        }
        assert_eq!(SecretKind::Legacy.as_str(), "legacy");
    }

    #[test]
    fn find_in_context() {
        let cur = make_current(b"Q~a", b"Q~Q~Q~Q~Q~Q~Q~Q~Q~Q~Q~Q~Q~Q~Q~Q");
        let legacy = make_legacy(b"7o4", b"abcdefghijklmnopqrstuvwxyz01234");
        let nbsp = "\u{a0}";
        for s in [SAMPLE, cur.as_str(), legacy.as_str()] {
            let kind = classify_token(s).unwrap();
            for (pre, post) in [
                ("", ""),
                ("  ", "\n"),
                ("\"", "\""),
                ("«", "»"),
                ("[", "]"),
                (nbsp, nbsp),
                ("値: ", "コピー"),
                ("秘密", "已复制"),
                ("Value ", " Copy to clipboard"),
                ("(", ")."),
                ("=", ";"),
            ] {
                let text = [pre, s, post].concat();
                let got = find_secret(&text);
                assert_eq!(got, Some((pre.len(), pre.len() + s.len(), kind)), "{text:?}");
            }
            for (pre, post) in [("x", ""), ("", "x"), ("0", ""), ("", "~"), ("-", ""), ("*", ""), ("", "*"), ("abc***", "")] {
                let text = [pre, s, post].concat();
                assert_eq!(find_secret(&text), None, "{text:?}");
            }
        }
        // Second token in the text is found after a failing first one.
        let text = ["zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblQ ", SAMPLE].concat();
        assert_eq!(find_secret(&text), Some((41, 81, SecretKind::Current)));
        for text in ["", "Q~", "abc******************", "6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5a", "no secrets here", "Q~Q~Q~Q~"] {
            assert_eq!(find_secret(text), None, "{text:?}");
        }
    }

    #[test]
    fn random_non_secrets() {
        let mut r = Rng(0x5eed);
        let no_q: Vec<u8> = ALPHA.iter().copied().filter(|&c| c != b'Q').collect();
        let (mut accepted, mut total) = (0, 0);
        for _ in 0..10_000 {
            // Without the marker: never a secret.
            let s = String::from_utf8(r.fill::<40>(&no_q).to_vec()).unwrap();
            assert_eq!(find_secret(&s), None);
            assert_eq!(classify_token(&s), None);
            // With the marker and a random checksum: accepted exactly when the reference says so.
            let mut b = r.fill::<40>(ALPHA);
            b[3..6].copy_from_slice(b"8Q~");
            let s = String::from_utf8(b.to_vec()).unwrap();
            let ok = classify_token(&s) == Some(SecretKind::Current);
            assert_eq!(ok, ref_valid(&s), "{s}");
            assert_eq!(find_secret(&s).is_some(), ok, "{s}");
            accepted += ok as u32;
            total += 1;
        }
        // Expected 10_000 / 66^3 ≈ 0.03 chance hits.
        assert!(accepted <= 2, "{accepted} of {total}");
    }

    #[test]
    fn masked_guid_hint() {
        for (s, want) in [
            ("7o4******************", true),
            ("  7o4******************\u{a0}", true),
            ("7o4****** Copy", true),
            ("7o4*****", false),
            ("7o******************", false),
            ("7o4******************x", false),
            ("***********", false),
            ("値ab******", true),
            ("", false),
        ] {
            assert_eq!(is_masked(s), want, "{s:?}");
        }
        for (s, want) in [
            ("6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5a", true),
            (" 6B2D1F7E-3C4A-4E5B-9A8D-0F1E2D3C4B5A\u{a0}", true),
            ("6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5", false),
            ("6b2d1f7e3c4a-4e5b-9a8d-0f1e2d3c4b5a0", false),
            ("6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5g", false),
            ("", false),
        ] {
            assert_eq!(is_guid(s), want, "{s:?}");
        }
        let g = "6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5a";
        assert_eq!(find_guid(&["ID: ", g, " copy"].concat()), Some((4, 40)));
        assert_eq!(find_guid(&["{", g, "}"].concat()), Some((1, 37)));
        assert_eq!(find_guid(&["a", g].concat()), None);
        assert_eq!(find_guid(&[g, "0"].concat()), None);
        assert_eq!(find_guid("short"), None);
        assert_eq!(hint(SAMPLE), "zzz");
        assert_eq!(hint(" 7o4***"), "7o4");
        assert_eq!(hint("ab"), "ab");
        assert_eq!(hint("値ab*"), "値ab");
    }

    #[test]
    fn old_secrets() {
        for (s, want) in [
            ("aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE", true),            // 32
            ("k9R+vQ2/xYz8LmN4pQrStUvWxYz0123456789AbCdE=", true), // 44, base64
            ("Zx.7]k:N@q?-yW[4_Lm=Tg~1aBcDeFgHiJ", true),
            ("aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1d", false),               // 31
            ("aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dEaB3dE5gH7jK9m", false), // 45
            ("abcdefghijklmnopqrstuvwxyzabcdef", false),              // one class
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh", false),            // no digit
            ("aB3******************************", false),
            ("aB3dE5gH7jK9mN1p Q3sT5vW7yZ9bC1dE", false),
            ("6B2D1F7E-3C4A-4E5B-9A8D-0F1E2D3C4B5a", false),
            ("https://Example.com/Path/To/Page1234", false),
            (" aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE\u{a0}", true),
            // Current/legacy-shaped but invalid (bad checksum): no format at all.
            ("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblQ", false),
            ("Ab18Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzAbC", false),
        ] {
            assert_eq!(looks_like_old_secret(s), want, "{s:?}");
            assert_eq!(classify_token(s), None);
        }
    }
}
