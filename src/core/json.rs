//! A small JSON string escaper and reader, enough for Key Vault and token
//! endpoint bodies, without serde (see architecture.md: serde costs size).
//!
//! The reader builds a small tree; numbers stay as their source text so no
//! float code is pulled in. Strings that may hold a secret can be wiped with
//! [`Value::wipe`].

use std::fmt;

/// Maximum nesting accepted by [`parse`]; Key Vault responses nest 3 deep.
pub const MAX_DEPTH: usize = 32;

/// Number of bytes [`push_escaped`] writes for `s`, quotes included.
pub fn escaped_len(s: &str) -> usize {
    2 + s.chars().map(escaped_char_len).sum::<usize>()
}

fn escaped_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if needs_unicode_escape(c) => 6,
        c => c.len_utf8(),
    }
}

// U+2028/2029 are escaped too so the output is also safe inside JS source.
fn needs_unicode_escape(c: char) -> bool {
    (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}'
}

/// Appends `s` as a quoted JSON string literal.
pub fn push_escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            c if needs_unicode_escape(c) => {
                let n = c as u32;
                out.extend_from_slice(b"\\u");
                for shift in [12u32, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xf) as usize]);
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Returns `s` as a quoted JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = Vec::with_capacity(escaped_len(s));
    push_escaped(&mut out, s);
    // push_escaped only writes whole UTF-8 sequences.
    String::from_utf8(out).unwrap_or_default()
}

/// A parsed JSON value.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, kept as its source text.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, in source order (duplicate keys are rejected).
    Object(Vec<(String, Value)>),
}

// Strings may be secrets (a Key Vault `value`, a token): never print them.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(n),
            Value::String(s) => write!(f, "<string, {} bytes>", s.len()),
            Value::Array(a) => f.debug_list().entries(a).finish(),
            Value::Object(o) => {
                let mut m = f.debug_map();
                for (k, v) in o {
                    m.entry(k, v);
                }
                m.finish()
            }
        }
    }
}

impl Value {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number as an integer, if it is one written without fraction or exponent.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Zeroes every string (keys included) before the tree is dropped.
    pub fn wipe(&mut self) {
        match self {
            Value::String(s) | Value::Number(s) => crate::core::wipe::wipe_string(s),
            Value::Array(a) => a.iter_mut().for_each(Value::wipe),
            Value::Object(o) => {
                for (k, v) in o.iter_mut() {
                    crate::core::wipe::wipe_string(k);
                    v.wipe();
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }
}

/// Why a body is not the JSON we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset where parsing stopped.
    pub offset: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}", self.offset)
    }
}

/// Parses a complete JSON document (RFC 8259), with a UTF-8 BOM tolerated.
pub fn parse(input: &[u8]) -> Result<Value, JsonError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if let Err(e) = std::str::from_utf8(input) {
        return Err(JsonError { offset: e.valid_up_to() });
    }
    let mut p = Parser { b: input, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err());
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self) -> JsonError {
        JsonError { offset: self.i }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &[u8], v: Value) -> Result<Value, JsonError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err());
        }
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.lit(b"true", Value::Bool(true)),
            Some(b'f') => self.lit(b"false", Value::Bool(false)),
            Some(b'n') => self.lit(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err()),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.i += 1;
        let mut members: Vec<(String, Value)> = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err(self.err());
            }
            let at = self.i;
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                // Duplicate keys make "which one counts" ambiguous: refuse.
                return Err(JsonError { offset: at });
            }
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return Err(self.err());
            }
            self.i += 1;
            let v = self.value(depth + 1)?;
            members.push((key, v));
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.err()),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err()),
            }
        }
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while let Some(b'0'..=b'9') = p.b.get(p.i) {
                p.i += 1;
            }
            p.i - s
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(self.err());
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.err());
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.err());
            }
        }
        // The input was checked to be UTF-8 and this span is ASCII.
        let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err())?;
        Ok(Value::Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self.b.get(self.i..self.i + 4).ok_or_else(|| self.err())?;
        let mut n = 0u32;
        for &c in h {
            let d = (c as char).to_digit(16).ok_or_else(|| self.err())?;
            n = n * 16 + d;
        }
        self.i += 4;
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        // Size the buffer first: the unescaped text is never longer than the raw span,
        // so a secret is written once and never left behind by a reallocation.
        let mut j = self.i;
        loop {
            match self.b.get(j) {
                None => return Err(JsonError { offset: j }),
                Some(b'"') => break,
                Some(b'\\') => j += 2,
                Some(_) => j += 1,
            }
        }
        let mut out = String::with_capacity(j - self.i);
        loop {
            let c = *self.b.get(self.i).ok_or_else(|| self.err())?;
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let e = *self.b.get(self.i).ok_or_else(|| self.err())?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(self.err());
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err());
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(cp).ok_or_else(|| self.err())?
                        }
                        _ => return Err(self.err()),
                    };
                    out.push(ch);
                }
                0x00..=0x1F => return Err(self.err()),
                _ => {
                    // Copy one whole UTF-8 sequence (input already validated).
                    let len = match c {
                        0x00..=0x7F => 1,
                        0xC0..=0xDF => 2,
                        0xE0..=0xEF => 3,
                        _ => 4,
                    };
                    let s = std::str::from_utf8(&self.b[self.i..self.i + len]).map_err(|_| self.err())?;
                    out.push_str(s);
                    self.i += len;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_controls_and_unicode() {
        let cases: &[(&str, &str)] = &[
            ("plain", r#""plain""#),
            ("a\"b", r#""a\"b""#),
            ("a\\b", r#""a\\b""#),
            ("l1\nl2\r\t", r#""l1\nl2\r\t""#),
            ("\u{0}\u{1f}\u{7f}", r#""\u0000\u001f\u007f""#),
            ("\u{8}\u{c}", r#""\b\f""#),
            ("é日本🔑", "\"é日本🔑\""),
            ("\u{2028}x\u{2029}", r#""\u2028x\u2029""#),
            ("</script>", r#""</script>""#),
        ];
        for (input, want) in cases {
            let got = quote(input);
            assert_eq!(&got, want, "input {input:?}");
            assert_eq!(got.len(), escaped_len(input));
            // Round trip through our own reader.
            assert_eq!(parse(got.as_bytes()).unwrap(), Value::String((*input).to_owned()));
        }
    }

    #[test]
    fn parses_key_vault_shapes() {
        let body = br#"{"value":"s\u0065cret","id":"https://v.vault.azure.net/secrets/n/abc","attributes":{"enabled":true,"exp":1893456000,"recoveryLevel":"Recoverable+Purgeable"},"tags":{},"list":[1,-2.5e3,null,false]}"#;
        let v = parse(body).unwrap();
        assert_eq!(v.get("value").and_then(Value::as_str), Some("secret"));
        assert_eq!(v.get("attributes").and_then(|a| a.get("exp")).and_then(Value::as_i64), Some(1893456000));
        assert_eq!(v.get("list").and_then(Value::as_array).map(|a| a.len()), Some(4));
        assert!(!format!("{v:?}").contains("secret"), "Debug must not print strings");
    }

    #[test]
    fn surrogate_pairs_and_bom() {
        let v = parse(b"\xEF\xBB\xBF\"\\ud83d\\udd11\"").unwrap();
        assert_eq!(v.as_str(), Some("🔑"));
        assert!(parse(br#""\ud83d""#).is_err());
        assert!(parse(br#""\udd11""#).is_err());
    }

    #[test]
    fn rejects_malformed_input() {
        let bad: &[&[u8]] = &[
            b"",
            b"{",
            b"}",
            b"{\"a\":}",
            b"{\"a\" 1}",
            b"[1,]",
            b"{\"a\":1,}",
            b"01",
            b"1.",
            b"-",
            b"1e",
            b"\"unterminated",
            b"\"tab\there\"",
            b"tru",
            b"nul",
            b"{} x",
            b"\"\\x\"",
            b"\xff",
            b"{\"a\":1,\"a\":2}",
            b"'single'",
        ];
        for b in bad {
            assert!(parse(b).is_err(), "accepted {:?}", String::from_utf8_lossy(b));
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(parse(deep.as_bytes()).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
    }

    /// (pointer, length) of every string in the tree, keys and numbers included.
    fn buffers(v: &Value, out: &mut Vec<(*const u8, usize)>) {
        match v {
            Value::String(s) | Value::Number(s) => out.push((s.as_ptr(), s.len())),
            Value::Array(a) => a.iter().for_each(|e| buffers(e, out)),
            Value::Object(o) => {
                for (k, e) in o {
                    out.push((k.as_ptr(), k.len()));
                    buffers(e, out);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    #[test]
    fn wipe_clears_strings() {
        let mut v = parse(br#"{"value":"secret","n":[{"k":"x"}],"num":12345}"#).unwrap();
        let mut before = Vec::new();
        buffers(&v, &mut before);
        assert_eq!(before.len(), 7);
        v.wipe();
        assert_eq!(v.get("value"), None, "keys are wiped too");
        if let Value::Object(o) = &v {
            assert!(o.iter().all(|(k, _)| k.is_empty()));
        }
        // Wiping keeps each allocation: read the old bytes back, they must all be zero.
        let mut after = Vec::new();
        buffers(&v, &mut after);
        assert_eq!(after.len(), before.len());
        for (&(ptr, len), &(now, _)) in before.iter().zip(&after) {
            assert_eq!(ptr, now, "a wiped string lost its allocation");
            // SAFETY: the tree still owns this allocation (same pointer) and its first `len`
            // bytes were initialised by the parser.
            let old = unsafe { std::slice::from_raw_parts(ptr, len) };
            assert!(old.iter().all(|&b| b == 0), "old bytes survive the wipe: {old:?}");
        }
    }
}
