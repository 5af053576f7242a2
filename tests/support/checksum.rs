//! An independent implementation of the `8Q~` client-secret checksum, written from the public
//! description (docs/portal-evidence.md: Marvin32 with seed `0x4161645077643030`, folded to
//! 32 bits, base 66), NOT from `src/core/secret.rs`. The replica issues its secrets with it
//! and the tests check the extension's checksum against it, so a bug shared by the code under
//! test and its own test data cannot hide.
#![allow(dead_code)]

/// The seed the `8Q~` checksum hashes with.
pub const SECRET_SEED: u64 = 0x4161_6450_7764_3030;

/// Base-66 digits, most significant first; note the digits run `1` … `9`, `0`.
pub const BASE66: &[u8; 66] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~";

/// Characters a secret is made of (the value alphabet, digits in the usual order).
pub const SECRET_CHARS: &[u8; 66] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~";

/// Microsoft's sample secret (from its secret-scanning documentation): a valid checksum.
pub const MS_SAMPLE: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";

/// Published Marvin64 vectors: (seed, input, hash).
pub const MARVIN_VECTORS: [(u64, &[u8], u64); 2] =
    [(0xd53c_d9ce_cd08_93b7, b"abc", 0x22c7_4339_4927_69bf), (0x0ddd_deee_efff_f000, b"abcdefghijklmnopqrstuvwxyz", 0xa128_eb7e_7260_aca2)];

/// Valid `8Q~` secrets computed once, outside this repository, by a ~30-line Python script
/// (Marvin32 and base 66 written from the same public description, checked against the
/// Marvin vectors and the sample above; prefixes and bodies from `random.Random(20270403)`
/// plus three hand-picked bodies). They are fixtures: revoked nothing, never issued.
pub const PYTHON_VECTORS: [&str; 8] = [
    "rcP8Q~b8mm21JcUs~XShNyJz3Y-g5tcxgF_MSbz9",
    "JGB8Q~-8tCDvjP.rAg0PPpEXN3GT-l6e~82KocnY",
    ".Ja8Q~2bIIkzBkCq1zR_cPiK3IVrqh10ab_m0cB5",
    "TXX8Q~aMqTMTmSv3Gg2ZfmrhAXLdgVUqTpkhrbrC",
    "yqI8Q~2183FdBRn4~mHIvB.myIfpZITgZU9bPabQ",
    "aaa8Q~aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab-e",
    "~~~8Q~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~dtE",
    "Abc8Q~0123456789.-_~ABCDEFGHIJKLMNOPQbPz",
];

/// Marvin's block function on the state (p0, p1).
fn mix(s: &mut [u32; 2]) {
    s[1] ^= s[0];
    s[0] = s[0].rotate_left(20);
    s[0] = s[0].wrapping_add(s[1]);
    s[1] = s[1].rotate_left(9);
    s[1] ^= s[0];
    s[0] = s[0].rotate_left(27);
    s[0] = s[0].wrapping_add(s[1]);
    s[1] = s[1].rotate_left(19);
}

/// Marvin64 of `data`: p0/p1 start as the seed's low/high halves, every little-endian
/// 32-bit word is added to p0 and mixed, the 0–3 tail bytes are padded with `0x80`, then one
/// more (empty) block; the hash is p1:p0.
pub fn marvin(seed: u64, data: &[u8]) -> u64 {
    let mut s = [seed as u32, (seed >> 32) as u32];
    let words = data.chunks_exact(4);
    let tail = words.remainder();
    for w in words {
        s[0] = s[0].wrapping_add(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        mix(&mut s);
    }
    let mut last = [0u8; 4];
    last[..tail.len()].copy_from_slice(tail);
    last[tail.len()] = 0x80;
    s[0] = s[0].wrapping_add(u32::from_le_bytes(last));
    mix(&mut s);
    mix(&mut s);
    (u64::from(s[1]) << 32) | u64::from(s[0])
}

/// The 3 checksum characters for the first 37 characters of a secret.
pub fn checksum3(first37: &[u8]) -> [u8; 3] {
    let h = marvin(SECRET_SEED, first37);
    let mut n = ((h >> 32) as u32 ^ h as u32) as u64;
    let mut digits = [b'a'; 6];
    for d in digits.iter_mut().rev() {
        *d = BASE66[(n % 66) as usize];
        n /= 66;
    }
    [digits[0], digits[1], digits[2]]
}

/// A valid `8Q~` secret from 3 prefix and 31 body characters.
pub fn make_current(prefix: &[u8; 3], body: &[u8; 31]) -> String {
    let mut v = Vec::with_capacity(40);
    v.extend_from_slice(prefix);
    v.extend_from_slice(b"8Q~");
    v.extend_from_slice(body);
    let sum = checksum3(&v);
    v.extend_from_slice(&sum);
    String::from_utf8(v).expect("secret characters are ASCII")
}

/// Whether `v` is a 40-character `8Q~` secret whose checksum holds.
pub fn is_valid_current(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 40 && &b[3..6] == b"8Q~" && b.iter().all(|c| SECRET_CHARS.contains(c)) && checksum3(&b[..37]) == b[37..]
}

/// Like [`make_current`] but every checksum character is wrong.
pub fn make_bad_checksum(prefix: &[u8; 3], body: &[u8; 31]) -> String {
    let good = make_current(prefix, body);
    let mut v = good.into_bytes();
    for c in &mut v[37..] {
        let i = BASE66.iter().position(|d| d == c).unwrap_or(0);
        *c = BASE66[(i + 1) % BASE66.len()];
    }
    String::from_utf8(v).expect("secret characters are ASCII")
}

/// A pseudo-random valid `8Q~` secret, deterministic per seed.
pub fn sample_current(seed: u64) -> String {
    let mut x = (seed ^ 0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        SECRET_CHARS[(x % 66) as usize]
    };
    let prefix = [next(), next(), next()];
    let mut body = [0u8; 31];
    body.iter_mut().for_each(|b| *b = next());
    make_current(&prefix, &body)
}
