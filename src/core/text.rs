//! Small text helpers shared by the core modules.

/// True for characters the portal may pad cell text with: Unicode white space
/// (incl. NBSP) and invisible format marks (bidi marks that `Intl` inserts into
/// dates, zero-width spaces, BOM).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}')
}

/// Line/paragraph separators, bidi controls and zero-width characters (Trojan Source style
/// tricks): never written into a file or shown as a name.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Trims [`is_space`] characters from both ends.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// True when the text holds nothing but [`is_space`] characters.
pub fn is_blank(s: &str) -> bool {
    trim(s).is_empty()
}

/// ASCII case-insensitive `starts_with`.
pub fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Byte offset of the first occurrence of `needle` in `hay`.
pub fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_nbsp_and_marks() {
        for (input, want) in [("  a b ", "a b"), ("\u{a0}x\u{a0}", "x"), ("\u{200e}5/26/2027\u{200f}", "5/26/2027"), ("\u{feff}\u{3000}値\t\n", "値"), ("", "")]
        {
            assert_eq!(trim(input), want, "{input:?}");
        }
        assert!(is_blank(" \u{a0}\u{200b}"));
        assert!(!is_blank(" a"));
    }

    #[test]
    fn helpers() {
        assert!(starts_with_ci("Secret ID", "secret id"));
        assert!(!starts_with_ci("Sec", "secret"));
        assert_eq!(find_bytes(b"abQ~c", b"Q~"), Some(2));
        assert_eq!(find_bytes(b"abc", b"Q~"), None);
        assert_eq!(find_bytes(b"", b"Q~"), None);
    }
}
