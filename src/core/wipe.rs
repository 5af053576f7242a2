//! Best-effort wiping of buffers that held a secret, without extra crates.
//!
//! The wasm layer uses `zeroize` for what it owns; the pure core only needs to
//! clear its own intermediate copies before they are freed.

use std::hint::black_box;

/// Overwrites the whole allocation of `v` (including spare capacity) with zeros and empties it.
pub fn wipe_bytes(v: &mut Vec<u8>) {
    let cap = v.capacity();
    v.clear();
    // Spare capacity may still hold old bytes; filling to capacity never reallocates.
    v.resize(cap, 0);
    v.fill(0);
    // black_box keeps the optimiser from treating the writes as dead stores.
    black_box(&mut *v);
    v.clear();
}

/// Overwrites a string's allocation with zeros and empties it.
pub fn wipe_string(s: &mut String) {
    let mut bytes = std::mem::take(s).into_bytes();
    wipe_bytes(&mut bytes);
    // Hand the (now zeroed) allocation back so the caller's String keeps its capacity.
    *s = String::from_utf8(bytes).unwrap_or_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipes_bytes_and_strings() {
        let mut v = b"abc8Q~secret".to_vec();
        wipe_bytes(&mut v);
        assert!(v.is_empty());
        let mut s = String::from("abc8Q~secret");
        let cap = s.capacity();
        wipe_string(&mut s);
        assert!(s.is_empty());
        assert_eq!(s.capacity(), cap);
    }
}
