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

    /// The `len` bytes at `ptr`: the old allocation, which wiping keeps (so it stays valid).
    fn old_bytes(ptr: *const u8, len: usize) -> Vec<u8> {
        // SAFETY: the caller's buffer still owns this allocation (same pointer, same capacity,
        // checked before the call) and every byte of it was initialised before the wipe.
        unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()
    }

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

    #[test]
    fn wipe_bytes_zeroes_the_old_allocation() {
        // Every byte of the allocation initialised, only the first 12 in use: the spare
        // capacity still holds old secret bytes, as after a `truncate` or a shorter reuse.
        let mut v = vec![b'S'; 64];
        v.truncate(12);
        v.copy_from_slice(b"abc8Q~secret");
        let (ptr, cap) = (v.as_ptr(), v.capacity());
        wipe_bytes(&mut v);
        assert!(v.is_empty());
        assert_eq!((v.as_ptr(), v.capacity()), (ptr, cap), "the allocation is kept");
        let old = old_bytes(ptr, cap);
        assert!(old.iter().all(|&b| b == 0), "old bytes survive the wipe: {old:?}");
    }

    #[test]
    fn wipe_string_zeroes_the_old_allocation() {
        let mut s = String::from_utf8(vec![b'S'; 48]).unwrap();
        s.truncate(20);
        s.replace_range(..12, "abc8Q~secret");
        let (ptr, cap) = (s.as_ptr(), s.capacity());
        wipe_string(&mut s);
        assert!(s.is_empty());
        assert_eq!((s.as_ptr(), s.capacity()), (ptr, cap), "the allocation is kept");
        let old = old_bytes(ptr, cap);
        assert!(old.iter().all(|&b| b == 0), "old bytes survive the wipe: {old:?}");
    }
}
