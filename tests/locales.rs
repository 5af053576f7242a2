#![cfg(not(target_arch = "wasm32"))]
//! The extension's own UI texts (extension/_locales): every locale complete and consistent
//! with en, every text of the pages marked for translation with its English kept in the HTML,
//! every key used and every used key defined. No browser: it reads the files.
//!
//! How the pages use the messages (src/pages/mod.rs, `localize`): `data-i18n="key"` replaces
//! an element's text, `data-i18n-title` / `-placeholder` / `-aria-label` that attribute. An
//! element with child elements keeps them: they stand for the message's `$1`, `$2`… in order.
//! Rust code calls `platform::msg("key", &[…])` with a literal key.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// The locales ShownOnce ships (directory names under extension/_locales).
const LOCALES: [&str; 8] = ["en", "de", "fr", "es", "ja", "zh_CN", "pt_BR", "ko"];

/// Texts that are the same in every language: the product's own name.
const BRANDS: [&str; 1] = ["ShownOnce"];

/// Pages never shown to the user (Chrome's offscreen document, which only clears the clipboard).
const NOT_SHOWN: [&str; 1] = ["offscreen.html"];

/// Attributes a user reads or hears, each with its marker.
const ATTRS: [(&str, &str); 3] = [("title", "data-i18n-title"), ("placeholder", "data-i18n-placeholder"), ("aria-label", "data-i18n-aria-label")];

/// The one Rust file allowed to pass `msg` a key that is not a literal: the page filler,
/// whose keys come from the HTML (checked here).
const DYNAMIC_KEYS_IN: &str = "src/pages/mod.rs";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// --- messages.json --------------------------------------------------------------------------

/// A messages.json's entries in file order, duplicates kept (serde_json's map would silently
/// keep only the last of two equal keys).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of messages")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = map.next_entry::<String, Value>()? {
                    v.push(e);
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// One message as the browsers read it.
#[derive(Debug, Clone)]
struct Message {
    text: String,
    description: Option<String>,
    /// Placeholder name (lower case: the browsers ignore case) → content.
    placeholders: BTreeMap<String, String>,
}

impl Message {
    /// The text with each `$name$` replaced by its placeholder's content (`$1`…), `$$` by `$`:
    /// what `getMessage` returns for substitutions `["$1", "$2", …]`.
    fn resolved(&self) -> String {
        let mut out = String::new();
        for t in tokens(&self.text) {
            match t {
                Token::Text(s) => out.push_str(&s),
                Token::Dollar => out.push('$'),
                Token::Named(n) => out.push_str(self.placeholders.get(&n).map_or("?", String::as_str)),
                Token::Positional(i) => out.push_str(&format!("${i}")),
                Token::Stray => out.push('$'),
            }
        }
        out
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Text(String),
    /// `$$`: a literal dollar sign.
    Dollar,
    /// `$name$`, lower case.
    Named(String),
    /// `$1`…`$9` written directly.
    Positional(u32),
    /// A `$` the browsers cannot read.
    Stray,
}

fn tokens(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        text.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@')).unwrap_or(after.len());
        let token = if after.starts_with('$') {
            (Token::Dollar, 1)
        } else if name_len > 0 && after[name_len..].starts_with('$') {
            (Token::Named(after[..name_len].to_ascii_lowercase()), name_len + 1)
        } else if let Some(d) = after.chars().next().and_then(|c| c.to_digit(10)).filter(|d| *d > 0) {
            (Token::Positional(d), 1)
        } else {
            (Token::Stray, 0)
        };
        if !text.is_empty() {
            out.push(Token::Text(std::mem::take(&mut text)));
        }
        out.push(token.0);
        rest = &after[token.1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Token::Text(text));
    }
    out
}

/// Reads one locale's messages; format errors go to `errors`.
fn load(locale: &str, errors: &mut Vec<String>) -> Option<Vec<(String, Message)>> {
    let path = root().join("extension/_locales").join(locale).join("messages.json");
    let Ok(raw) = std::fs::read_to_string(&path) else {
        errors.push(format!("{locale}: {} is missing", path.display()));
        return None;
    };
    let entries: Entries = match serde_json::from_str(&raw) {
        Ok(e) => e,
        Err(e) => {
            errors.push(format!("{locale}: messages.json is not a JSON object of messages: {e}"));
            return None;
        }
    };
    let mut out = Vec::new();
    for (key, v) in entries.0 {
        let Some(text) = v.get("message").and_then(Value::as_str) else {
            errors.push(format!("{locale}: {key} has no string \"message\""));
            continue;
        };
        let mut placeholders = BTreeMap::new();
        if let Some(p) = v.get("placeholders") {
            let Some(p) = p.as_object() else {
                errors.push(format!("{locale}: {key}: \"placeholders\" is not an object"));
                continue;
            };
            for (name, def) in p {
                match def.get("content").and_then(Value::as_str) {
                    Some(c) => {
                        placeholders.insert(name.to_ascii_lowercase(), c.to_owned());
                    }
                    None => errors.push(format!("{locale}: {key}: placeholder {name} has no string \"content\"")),
                }
            }
        }
        let description = v.get("description").and_then(Value::as_str).map(str::to_owned);
        out.push((key, Message { text: text.to_owned(), description, placeholders }));
    }
    Some(out)
}

/// The placeholders a message refers to, as a sorted list (named ones by name, direct ones as `$N`).
fn references(m: &Message) -> Vec<String> {
    let mut refs: Vec<String> = tokens(&m.text)
        .into_iter()
        .filter_map(|t| match t {
            Token::Named(n) => Some(n),
            Token::Positional(i) => Some(format!("${i}")),
            _ => None,
        })
        .collect();
    refs.sort();
    refs
}

/// The en messages, or a failed test.
fn english() -> BTreeMap<String, Message> {
    let mut errors = Vec::new();
    let en = load("en", &mut errors).unwrap_or_default();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    en.into_iter().collect()
}

#[test]
fn every_locale_has_the_keys_and_placeholders_of_en() {
    let mut errors = Vec::new();
    let dir = root().join("extension/_locales");
    let en = english();
    assert!(!en.is_empty(), "extension/_locales/en/messages.json has no messages");
    for locale in LOCALES {
        let Some(entries) = load(locale, &mut errors) else { continue };
        // Message names are case-insensitive in both browsers: two that differ only in case
        // (or a name written twice) would shadow each other.
        let mut seen = BTreeSet::new();
        for (key, _) in &entries {
            if !seen.insert(key.to_ascii_lowercase()) {
                errors.push(format!("{locale}: {key} is defined twice (names ignore case)"));
            }
            if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                errors.push(format!("{locale}: {key}: a message name may hold only ASCII letters, digits and _"));
            }
        }
        let messages: BTreeMap<String, Message> = entries.into_iter().collect();
        for key in en.keys().filter(|k| !messages.contains_key(*k)) {
            errors.push(format!("{locale}: lacks {key}"));
        }
        for key in messages.keys().filter(|k| !en.contains_key(*k)) {
            errors.push(format!("{locale}: has {key}, which en does not"));
        }
        for (key, m) in &messages {
            if m.text.trim().is_empty() {
                errors.push(format!("{locale}: {key} is empty"));
            }
            if locale == "en" && m.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
                errors.push(format!("en: {key} has no description (say where it is shown)"));
            }
            for t in tokens(&m.text) {
                match t {
                    Token::Stray => errors.push(format!("{locale}: {key}: a lone $ (write $$ for a dollar sign): {:?}", m.text)),
                    Token::Named(n) if !m.placeholders.contains_key(&n) => {
                        // Chrome refuses to load the whole extension over this.
                        errors.push(format!("{locale}: {key} uses ${n}$ but defines no such placeholder"))
                    }
                    _ => {}
                }
            }
            if m.placeholders.values().any(|c| !matches!(c.as_bytes(), [b'$', b'1'..=b'9'])) {
                errors.push(format!("{locale}: {key}: a placeholder's content is not one of $1…$9: {:?}", m.placeholders));
            }
            let Some(base) = en.get(key) else { continue };
            if m.placeholders != base.placeholders {
                errors.push(format!("{locale}: {key}: placeholders {:?} differ from en's {:?}", m.placeholders, base.placeholders));
            }
            if references(m) != references(base) {
                errors.push(format!("{locale}: {key}: refers to {:?}, en to {:?}: {:?}", references(m), references(base), m.text));
            }
        }
        // The language tag the pages put on <html lang>.
        let tag = locale.replace('_', "-");
        if messages.get("htmlLang").is_some_and(|m| m.text != tag) {
            errors.push(format!("{locale}: htmlLang must be {tag:?}"));
        }
        // The stores' limits for the manifest's name and description.
        for (key, max) in [("extName", 75), ("extDescription", 132)] {
            if let Some(m) = messages.get(key).filter(|m| m.text.chars().count() > max) {
                errors.push(format!("{locale}: {key} is {} characters, at most {max} allowed", m.text.chars().count()));
            }
        }
    }
    // A locale directory ShownOnce does not list would ship untested.
    if let Ok(list) = std::fs::read_dir(&dir) {
        for d in list.flatten() {
            let name = d.file_name().to_string_lossy().into_owned();
            if !LOCALES.contains(&name.as_str()) {
                errors.push(format!("extension/_locales/{name} is not one of the shipped locales {LOCALES:?}"));
            }
        }
    }
    assert!(errors.is_empty(), "{} problem(s):\n{}", errors.len(), errors.join("\n"));
}

// --- the pages' HTML --------------------------------------------------------------------------

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Default)]
struct Element {
    tag: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn describe(&self) -> String {
        match self.attr("id") {
            Some(id) => format!("<{} id={id}>", self.tag),
            None => format!("<{}>", self.tag),
        }
    }
}

const VOID: [&str; 14] = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];

fn decode(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let name = &after[1..end];
        let c = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ if name.starts_with("#x") => u32::from_str_radix(&name[2..], 16).ok().and_then(char::from_u32),
            _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A small parser for the extension's own, well-formed pages: elements, attributes, text,
/// comments, doctype; `<script>`/`<style>` bodies are skipped.
fn parse_html(src: &str) -> Element {
    let mut stack = vec![Element { tag: "#document".into(), ..Default::default() }];
    let mut rest = src;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            stack.last_mut().unwrap().children.push(Node::Text(decode(rest)));
            break;
        };
        if lt > 0 {
            stack.last_mut().unwrap().children.push(Node::Text(decode(&rest[..lt])));
        }
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.find("-->").map_or("", |e| &r[e + 3..]);
        } else if rest.starts_with("<!") {
            rest = rest.find('>').map_or("", |e| &rest[e + 1..]);
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').unwrap_or(r.len());
            let tag = r[..end].trim().to_ascii_lowercase();
            rest = r.get(end + 1..).unwrap_or("");
            if let Some(pos) = stack.iter().rposition(|e| e.tag == tag).filter(|p| *p > 0) {
                while stack.len() > pos {
                    let done = stack.pop().unwrap();
                    stack.last_mut().unwrap().children.push(Node::Element(done));
                }
            }
        } else {
            let (el, after, self_closing) = parse_tag(&rest[1..]);
            rest = after;
            if matches!(el.tag.as_str(), "script" | "style") {
                let close = format!("</{}", el.tag);
                rest = rest.find(&close).map_or("", |e| &rest[e..]);
                stack.last_mut().unwrap().children.push(Node::Element(el));
                rest = rest.find('>').map_or("", |e| &rest[e + 1..]);
            } else if self_closing || VOID.contains(&el.tag.as_str()) {
                stack.last_mut().unwrap().children.push(Node::Element(el));
            } else {
                stack.push(el);
            }
        }
    }
    while stack.len() > 1 {
        let done = stack.pop().unwrap();
        stack.last_mut().unwrap().children.push(Node::Element(done));
    }
    stack.pop().unwrap()
}

/// A start tag's name and attributes (`s` follows its `<`); what comes after it; `/>`.
fn parse_tag(s: &str) -> (Element, &str, bool) {
    let name_end = s.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(s.len());
    let mut el = Element { tag: s[..name_end].to_ascii_lowercase(), ..Default::default() };
    let mut rest = &s[name_end..];
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("/>") {
            return (el, r, true);
        }
        if let Some(r) = rest.strip_prefix('>') {
            return (el, r, false);
        }
        if rest.is_empty() {
            return (el, rest, false);
        }
        if let Some(r) = rest.strip_prefix('/') {
            rest = r;
            continue;
        }
        let n = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/').unwrap_or(rest.len()).max(1);
        let name = rest[..n].to_ascii_lowercase();
        rest = rest[n..].trim_start();
        let mut value = String::new();
        if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            let (v, after) = match r.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let end = r[1..].find(q).map_or(r.len(), |e| e + 1);
                    (&r[1..end], r.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = r.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(r.len());
                    (&r[..end], &r[end..])
                }
            };
            value = decode(v);
            rest = after;
        }
        el.attrs.push((name, value));
    }
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The English a `data-i18n` element holds, as its message must read: its text, each child
/// element written as `$1`, `$2`… in order.
fn marked_text(el: &Element) -> String {
    let mut text = String::new();
    let mut n = 0;
    for c in &el.children {
        match c {
            Node::Text(t) => text.push_str(t),
            Node::Element(_) => {
                n += 1;
                text.push_str(&format!("${n}"));
            }
        }
    }
    normalize(&text)
}

/// Checks one page's tree: `exempt` inside `<code>` (commands, names, paths) and elements
/// marked `translate="no"` (the standard "do not translate" flag: identifiers, example values,
/// Azure role names), which hold no translatable text or attribute.
fn check_element(file: &str, el: &Element, exempt: bool, en: &BTreeMap<String, Message>, used: &mut BTreeSet<String>, errors: &mut Vec<String>) {
    let exempt = exempt || el.tag == "code" || el.attr("translate") == Some("no");
    let mut check_key = |marker: &str, key: &str, english: String, errors: &mut Vec<String>| {
        used.insert(key.to_owned());
        match en.get(key) {
            None => errors.push(format!("{file}: {} {marker}={key:?}: no such message in en", el.describe())),
            Some(m) if m.resolved() != english => {
                errors.push(format!("{file}: {} {marker}={key:?}: the HTML says {english:?}, en says {:?}", el.describe(), m.resolved()))
            }
            Some(_) => {}
        }
    };
    if let Some(key) = el.attr("data-i18n") {
        let kids = el.children.iter().filter(|c| matches!(c, Node::Element(_))).count();
        if kids > 9 {
            errors.push(format!("{file}: {} data-i18n={key:?} has {kids} child elements; a message takes at most 9", el.describe()));
        }
        check_key("data-i18n", key, marked_text(el), errors);
    }
    for (attr, marker) in ATTRS {
        let value = el.attr(attr);
        match (el.attr(marker), value) {
            (Some(key), Some(v)) => check_key(marker, key, normalize(v), errors),
            (Some(key), None) => errors.push(format!("{file}: {} has {marker}={key:?} but no {attr}", el.describe())),
            (None, Some(v)) if !exempt && v.chars().any(char::is_alphabetic) => {
                errors.push(format!("{file}: {} {attr}={v:?} is not marked {marker} (or translate=\"no\")", el.describe()))
            }
            _ => {}
        }
    }
    for c in &el.children {
        match c {
            Node::Text(t) => {
                let t = normalize(t);
                if !t.is_empty() && !exempt && el.attr("data-i18n").is_none() && !BRANDS.contains(&t.as_str()) {
                    errors.push(format!("{file}: text {t:?} in {} is not marked data-i18n", el.describe()));
                }
            }
            Node::Element(e) => check_element(file, e, exempt, en, used, errors),
        }
    }
}

/// Every page of extension/: (file name, tree).
fn pages() -> Vec<(String, Element)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("extension"))
        .expect("extension/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, parse_html(&std::fs::read_to_string(&p).expect("read page")))
        })
        .collect()
}

/// The keys the pages use, and their problems.
fn check_pages(en: &BTreeMap<String, Message>) -> (BTreeSet<String>, Vec<String>) {
    let mut used = BTreeSet::new();
    let mut errors = Vec::new();
    let pages = pages();
    assert!(pages.iter().any(|(n, _)| n == "options.html"), "no extension/options.html found");
    for (name, tree) in pages.iter().filter(|(n, _)| !NOT_SHOWN.contains(&n.as_str())) {
        check_element(name, tree, false, en, &mut used, &mut errors);
    }
    (used, errors)
}

// --- Rust sources and the manifest ----------------------------------------------------------

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src/").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The literal keys passed to `msg("key", …)` in `text`; calls with another first argument
/// go to `dynamic` (line numbers). `msg("…")` with one argument is some other function.
fn msg_calls(text: &str) -> (Vec<String>, Vec<usize>) {
    calls(text, "msg(")
}

/// The literal keys passed to `name("key", …)` (`name` is `msg(` or `tr(`), and the lines of
/// calls whose first argument is not a literal. A call preceded by an identifier character,
/// `.` or `fn` is another function (`attr(`, `x.tr(`, the definition).
fn calls(text: &str, name: &str) -> (Vec<String>, Vec<usize>) {
    let (mut keys, mut dynamic) = (Vec::new(), Vec::new());
    for (i, _) in text.match_indices(name) {
        let before = &text[..i];
        if before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.') || before.trim_end().ends_with("fn") {
            continue;
        }
        let args = text[i + name.len()..].trim_start();
        let line = before.matches('\n').count() + 1;
        match args.strip_prefix('"') {
            Some(lit) => {
                let Some(end) = lit.find('"') else { continue };
                if lit[end + 1..].trim_start().starts_with(',') {
                    keys.push(lit[..end].to_owned());
                }
            }
            None => dynamic.push(line),
        }
    }
    (keys, dynamic)
}

/// A Rust file without its `#[cfg(test)]` module (by convention the file's last item): the
/// code that ships.
fn shipped(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod ").map_or(text, |i| &text[..i])
}

/// Whether a Rust file brings the core's `i18n::tr` into scope or calls it by path.
fn uses_tr(text: &str) -> bool {
    text.contains("i18n::tr") || text.contains("i18n::{tr")
}

/// Whether a Rust file brings `platform::msg` into scope or calls it by path.
fn uses_platform_msg(text: &str) -> bool {
    text.contains("platform::msg") || text.lines().any(|l| l.contains("use crate::platform::{") && (l.contains(" msg") || l.contains("{msg")))
}

#[test]
fn pages_and_code_use_only_defined_keys_and_every_key_is_used() {
    let en = english();
    let (mut used, mut errors) = check_pages(&en);
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read source");
        let rel = path.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
        let (keys, dynamic) = msg_calls(&text);
        for key in keys {
            if !en.contains_key(&key) {
                errors.push(format!("{rel}: msg({key:?}, …): no such message in en"));
            }
            used.insert(key);
        }
        if uses_platform_msg(&text) && rel != DYNAMIC_KEYS_IN {
            for line in dynamic {
                errors.push(format!("{rel}:{line}: msg(…) with a key that is not a string literal (this test cannot check it)"));
            }
        }
        // The core's and the stores' texts: `i18n::tr("key", …)`, in the code that ships.
        let (keys, dynamic) = calls(shipped(&text), "tr(");
        if uses_tr(&text) {
            for key in keys {
                if !en.contains_key(&key) {
                    errors.push(format!("{rel}: tr({key:?}, …): no such message in en"));
                }
                used.insert(key);
            }
            for line in dynamic {
                errors.push(format!("{rel}:{line}: tr(…) with a key that is not a string literal (this test cannot check it)"));
            }
        }
    }
    let manifest = std::fs::read_to_string(root().join("extension/manifest.json")).expect("manifest.json");
    for (i, _) in manifest.match_indices("__MSG_") {
        let name = &manifest[i + 6..];
        let Some(end) = name.find("__") else { continue };
        let key = &name[..end];
        if !en.contains_key(key) {
            errors.push(format!("manifest.json: __MSG_{key}__: no such message in en"));
        }
        used.insert(key.to_owned());
    }
    // Read by the page filler itself: the language tag for <html lang>.
    used.insert("htmlLang".to_owned());
    for key in en.keys().filter(|k| !used.contains(*k)) {
        errors.push(format!("en: {key} is used nowhere (no data-i18n*, msg(\"{key}\", …), tr(\"{key}\", …) or __MSG_{key}__)"));
    }
    assert!(errors.is_empty(), "{} problem(s):\n{}", errors.len(), errors.join("\n"));
}

// --- hard-coded English in the core and the stores ------------------------------------------

/// Where the extension's Rust code builds texts (the core, the stores, the background, the
/// pages, the prompt, the DOM layer): every sentence there goes through `i18n::tr` or `msg`.
const TRANSLATED_DIRS: [&str; 1] = ["src"];

/// String literals that read like English but are no UI text: (file, the literal's start, why).
const NOT_UI_TEXT: &[(&str, &str, &str)] = &[
    ("src/core/message.rs", "ShownOnce: refused: ", "the error a refused runtime message gets back: read by the sender's code, never shown by ShownOnce"),
    ("src/core/guard.rs", "stored guard state ", "why a stored guard table was not restored: the background skips it, nobody reads it"),
    ("src/stores/agefile.rs", "not detected as a GUID", "a comment inside the saved .env file, English like its other comments"),
    ("src/prompt_page.rs", "ShownOnce: this prompt was not opened by", "what a stranger-framed prompt page stops with: console only"),
    ("src/platform.rs", "Clear the clipboard after the delay", "the offscreen document's justification, for Chrome and its reviewers, never shown"),
    ("src/prompt_page.rs", "button, select, input", "a CSS selector"),
];

/// The string literals of Rust source `text` outside comments: (line, contents as written,
/// escapes kept). Raw strings and char literals are understood well enough for this crate.
fn string_literals(text: &str) -> Vec<(usize, String)> {
    let b = text.as_bytes();
    let (mut out, mut i, mut line) = (Vec::new(), 0, 1);
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                line += text[i..end].matches('\n').count();
                i = end;
                continue;
            }
            // A char literal ('"', '\'', 'x') or a lifetime ('a).
            b'\'' => {
                if b.get(i + 1) == Some(&b'\\') {
                    i = text[i + 2..].find('\'').map_or(b.len(), |e| i + 2 + e + 1);
                    continue;
                }
                if let Some(c) = text[i + 1..].chars().next() {
                    if text[i + 1 + c.len_utf8()..].starts_with('\'') {
                        i += 2 + c.len_utf8();
                        continue;
                    }
                }
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#')) && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) => {
                let hashes = text[i + 1..].bytes().take_while(|c| *c == b'#').count();
                if b.get(i + 1 + hashes) == Some(&b'"') {
                    let start = i + 2 + hashes;
                    let close = format!("\"{}", "#".repeat(hashes));
                    let end = text[start..].find(&close).map_or(b.len(), |e| start + e);
                    out.push((line, text[start..end].to_owned()));
                    line += text[start..end].matches('\n').count();
                    i = end + close.len();
                    continue;
                }
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let lit = &text[start..j.min(b.len())];
                out.push((line, lit.to_owned()));
                line += lit.matches('\n').count();
                i = j + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether a literal reads like a sentence for people: three or more words of two or more
/// lowercase letters (format arguments `{…}` and punctuation aside). Keys, codes, paths, URLs
/// and single words do not.
fn looks_like_english(lit: &str) -> bool {
    let mut plain = String::new();
    let mut depth = 0;
    for c in lit.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = (depth - 1).max(0),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    // Words are split at spaces and sentence punctuation only: `user_impersonation`,
    // `vault.azure.net` or `auth/token` stay one token, which is no word.
    let words = plain
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '!' | '?' | '…' | '\\'))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_lowercase() || c == '\'' || c == '-'))
        .count();
    // CSS declarations and selectors (the prompt frame's own style, the card's controls).
    let css = plain.contains("!important") || plain.contains(":not(");
    words >= 3 && plain.contains(' ') && !css
}

/// Lines whose literals are for developers only: logs, panics, assertions.
fn developer_only(line: &str) -> bool {
    ["log(", "log::", "debug", "console", "expect(", "panic!", "unreachable!", "assert", "#[must_use"].iter().any(|m| line.contains(m))
}

/// Whether `lit` is only looked for in someone else's (English) text on `line`: a server's or
/// a browser's error message (`has("token is expired")`, `.contains("did not approve")`).
/// Every occurrence on the line must be such a search.
fn matched_in_foreign_text(line: &str, lit: &str) -> bool {
    let quoted = format!("\"{lit}\"");
    let all = line.matches(&quoted).count();
    let searched: usize = ["has(", "contains(", "starts_with(", "ends_with("].iter().map(|f| line.matches(&format!("{f}{quoted}")).count()).sum();
    all > 0 && searched == all
}

#[test]
fn no_english_sentence_built_outside_the_messages() {
    let mut errors = Vec::new();
    let mut allowed_seen = BTreeSet::new();
    for dir in TRANSLATED_DIRS {
        let mut files = Vec::new();
        if dir.ends_with(".rs") {
            files.push(root().join(dir));
        } else {
            rust_files(&root().join(dir), &mut files);
        }
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("read source");
            let rel = path.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
            let code = shipped(&text);
            let lines: Vec<&str> = code.lines().collect();
            for (line, lit) in string_literals(code) {
                let source_line = lines.get(line - 1).copied().unwrap_or_default();
                if !looks_like_english(&lit) || developer_only(source_line) || matched_in_foreign_text(source_line, &lit) {
                    continue;
                }
                if let Some(a) = NOT_UI_TEXT.iter().find(|(f, start, _)| *f == rel && lit.starts_with(start)) {
                    allowed_seen.insert((a.0, a.1));
                    continue;
                }
                errors.push(format!("{rel}:{line}: {lit:?} reads like English for the user: make it a message and use i18n::tr(\"key\", …)"));
            }
        }
    }
    for (f, start, _) in NOT_UI_TEXT {
        if !allowed_seen.contains(&(*f, *start)) {
            errors.push(format!("NOT_UI_TEXT: {f}: no literal starts with {start:?} any more: remove the entry"));
        }
    }
    assert!(errors.is_empty(), "{} problem(s):\n{}", errors.len(), errors.join("\n"));
}

// --- the checker's own parts ----------------------------------------------------------------

#[test]
fn the_checker_reads_markup_and_placeholders() {
    let tree = parse_html(
        "<!doctype html><p data-i18n=\"k\">A <code>x&lt;y</code> and\n  <b id=b>b</b>.</p><input placeholder='a &amp; b'><script>if (a < b) {}</script>",
    );
    let Node::Element(p) = &tree.children[0] else { panic!("{tree:?}") };
    assert_eq!(marked_text(p), "A $1 and $2.");
    let Node::Element(code) = &p.children[1] else { panic!("{p:?}") };
    assert!(matches!(&code.children[0], Node::Text(t) if t == "x<y"));
    let Node::Element(input) = &tree.children[1] else { panic!("{tree:?}") };
    assert_eq!(input.attr("placeholder"), Some("a & b"));
    assert_eq!(tree.children.len(), 3, "the script body is no text: {tree:?}");
    let m = Message { text: "Pay $$5 to $WHO$ ($1)".into(), description: None, placeholders: [("who".to_owned(), "$2".to_owned())].into() };
    assert_eq!(m.resolved(), "Pay $5 to $2 ($1)");
    assert_eq!(references(&m), ["$1", "who"]);
    assert_eq!(tokens("5 $ off"), [Token::Text("5 ".into()), Token::Stray, Token::Text(" off".into())]);
    let (keys, dynamic) = msg_calls("let a = platform::msg(\"one\", &[]);\nmsg(\"two\"); fn msg(k: &str) {}\nmsg(&key, &[])");
    assert_eq!((keys, dynamic), (vec!["one".to_owned()], vec![3]));
    let (keys, dynamic) = calls("tr(\"k\", &[]); attr(\"x\", 1); i18n::tr(\"m\", &[a]);\nfn tr(key: &str) {}\ntr(key, &[])", "tr(");
    assert_eq!((keys, dynamic), (vec!["k".to_owned(), "m".to_owned()], vec![3]));
    let lits = string_literals("// \"not this\"\nlet a = '\"'; f(\"Vault {v} was not found.\", r#\"raw \"q\" text\"#, 'x', \"a\\\"b\");");
    let lits: Vec<&str> = lits.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(lits, ["Vault {v} was not found.", "raw \"q\" text", "a\\\"b"]);
    assert!(looks_like_english("Vault \"{v}\" was not found. Check the name."));
    assert!(looks_like_english("the download was cancelled"));
    assert!(!looks_like_english("kvVaultNotFound") && !looks_like_english("https://{host}/x") && !looks_like_english("Client ID {id}"));
    assert!(!looks_like_english("FILE_NO_SPACE") && !looks_like_english(" · "));
    assert!(!looks_like_english("https://vault.azure.net/user_impersonation offline_access"));
    // CSS: the prompt frame's own style and the card's selectors.
    assert!(!looks_like_english("display: none !important; visibility: visible !important;") && !looks_like_english(" button:not([hidden]):not([disabled]), "));
    assert!(matched_in_foreign_text("403 if has(\"token is expired\") => x,", "token is expired"));
    assert!(!matched_in_foreign_text("Err(bad(\"token is expired\"))", "token is expired"));
    assert!(!matched_in_foreign_text("if has(\"a b c\") { bad(\"a b c\") }", "a b c"));
}
