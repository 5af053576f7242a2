//! Request and response helpers both replicas use: headers, JSON bodies, percent-encoded
//! query strings and forms.

use std::borrow::Cow;

use http_body_util::Full;
use hyper::body::Bytes;
/// A request whose body the server already read (it records every request: the e2e leak scan).
type ReqBody = http_body_util::Full<Bytes>;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

pub(super) fn header(req: &Request<ReqBody>, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    resp
}

/// Everything but the RFC 3986 unreserved characters (letters, digits, `-._~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes all but RFC 3986 unreserved characters.
pub(super) fn encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Strict percent-decoding (`+` is a space); `None` if malformed or not UTF-8.
pub(crate) fn decode(s: &str) -> Option<String> {
    // The crate passes a `%` without two hex digits through unchanged; the replicas refuse it.
    let b = s.as_bytes();
    let well_formed = b.iter().enumerate().filter(|(_, &c)| c == b'%').all(|(i, _)| b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if !well_formed {
        return None;
    }
    // `+` becomes a space before decoding, so an encoded `%2B` stays a plus.
    percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(Cow::into_owned)
}

/// Decoded query or form parameters, in order, duplicates kept.
#[derive(Default)]
pub(super) struct Params {
    pub(super) pairs: Vec<(String, String)>,
    /// Some component was not valid percent-encoded UTF-8 (it is left out).
    pub(super) malformed: bool,
}

impl Params {
    pub(super) fn parse(s: &str) -> Params {
        let mut p = Params::default();
        for part in s.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            match (decode(k), decode(v)) {
                (Some(k), Some(v)) => p.pairs.push((k, v)),
                _ => p.malformed = true,
            }
        }
        p
    }

    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The first parameter given twice (a second value could slip past a check).
    pub(super) fn duplicate(&self) -> Option<&str> {
        self.pairs.iter().enumerate().find(|(i, (k, _))| self.pairs[..*i].iter().any(|(k2, _)| k2 == k)).map(|(_, (k, _))| k.as_str())
    }
}
