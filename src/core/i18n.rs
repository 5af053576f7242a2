//! The texts the core and the stores build for the user, in the user's language.
//!
//! Each text is a message of extension/_locales, named by a literal key at the call site
//! (`tr("kvOffline", &[])`) so tests/locales.rs can check that it exists in every locale and
//! that every message is used. The wasm entry points install the browser's
//! `chrome.i18n.getMessage` ([`set_translator`]) and a date writer for the UI language
//! ([`set_date_writer`]) before anything else runs. Natively (the unit tests), with no
//! translator installed, [`tr`] renders the English of extension/_locales/en/messages.json
//! exactly as the browsers do, so the tests assert the very texts an English user sees. In
//! wasm with nothing installed it returns the key: it never panics.
use std::sync::OnceLock;

use super::date::Ymd;

/// A message renderer: `(key, substitutions for $1…$9)` → text.
pub type Translator = fn(&str, &[&str]) -> String;

/// A date writer for the UI language: `None` keeps the English "3 April 2027".
pub type DateWriter = fn(&Ymd) -> Option<String>;

static TRANSLATOR: OnceLock<Translator> = OnceLock::new();
static DATE_WRITER: OnceLock<DateWriter> = OnceLock::new();

/// Installs the message renderer (once; later calls are ignored).
pub fn set_translator(t: Translator) {
    let _ = TRANSLATOR.set(t);
}

/// Installs the date writer (once; later calls are ignored).
pub fn set_date_writer(w: DateWriter) {
    let _ = DATE_WRITER.set(w);
}

/// The message `key` with `args` for its `$1`…`$9`: through the installed translator, else
/// (natively) the English of en/messages.json, else the key itself.
pub fn tr(key: &'static str, args: &[&str]) -> String {
    if let Some(t) = TRANSLATOR.get() {
        return t(key, args);
    }
    fallback(key, args)
}

/// A date written out for the user ("3 April 2027" in English).
pub fn written_date(d: &Ymd) -> String {
    DATE_WRITER.get().and_then(|w| w(d)).unwrap_or_else(|| d.written_out())
}

#[cfg(target_arch = "wasm32")]
fn fallback(key: &str, _args: &[&str]) -> String {
    key.to_owned()
}

#[cfg(not(target_arch = "wasm32"))]
fn fallback(key: &str, args: &[&str]) -> String {
    static EN: OnceLock<serde_json::Value> = OnceLock::new();
    let en = EN.get_or_init(|| serde_json::from_str(include_str!("../../extension/_locales/en/messages.json")).unwrap_or_default());
    render_from(en, key, args).unwrap_or_else(|| key.to_owned())
}

/// The message `key` of a parsed messages.json with `args` for its `$1`…`$9`, as `getMessage`
/// renders it; `None` when there is no such message. The native fallback of [`tr`] uses it, and
/// so can a test in a page without `chrome.i18n` ([`set_translator`] with the en file).
pub fn render_from(messages: &serde_json::Value, key: &str, args: &[&str]) -> Option<String> {
    let m = messages.get(key)?;
    let text = m.get("message")?.as_str()?;
    let mut placeholders = std::collections::HashMap::new();
    for (name, p) in m.get("placeholders").and_then(|p| p.as_object()).into_iter().flatten() {
        if let Some(c) = p.get("content").and_then(|c| c.as_str()) {
            placeholders.insert(name.to_ascii_lowercase(), c.to_owned());
        }
    }
    Some(render(text, &placeholders, args))
}

/// What `getMessage` does: `$name$` becomes its placeholder's content, `$1`…`$9` (in the
/// message or in that content) the substitution (empty when missing), `$$` a dollar sign.
fn render(text: &str, placeholders: &std::collections::HashMap<String, String>, args: &[&str]) -> String {
    fn positional(s: &str, args: &[&str], out: &mut String) {
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek().and_then(|d| d.to_digit(10))) {
                ('$', Some(d)) if d > 0 => {
                    chars.next();
                    out.push_str(args.get(d as usize - 1).copied().unwrap_or(""));
                }
                ('$', _) if chars.peek() == Some(&'$') => {
                    chars.next();
                    out.push('$');
                }
                _ => out.push(c),
            }
        }
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        positional(&rest[..i], args, &mut out);
        let after = &rest[i + 1..];
        let len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@')).unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('$') && !after.starts_with(|c: char| c.is_ascii_digit()) {
            let name = after[..len].to_ascii_lowercase();
            positional(placeholders.get(&name).map_or("", String::as_str), args, &mut out);
            rest = &after[len + 1..];
        } else if let Some(d) = after.chars().next().and_then(|c| c.to_digit(10)).filter(|d| *d > 0) {
            out.push_str(args.get(d as usize - 1).copied().unwrap_or(""));
            rest = &after[1..];
        } else if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else {
            out.push('$');
            rest = after;
        }
    }
    positional(rest, args, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_get_message() {
        let ph: std::collections::HashMap<String, String> = [("vault".to_owned(), "$1".to_owned()), ("n".to_owned(), "$2".to_owned())].into();
        assert_eq!(render("Vault \"$VAULT$\" has $N$ (and $1) for $$5", &ph, &["kv", "3"]), "Vault \"kv\" has 3 (and kv) for $5");
        assert_eq!(render("no $X$ here: $2 $", &ph, &["a"]), "no  here:  $");
        assert_eq!(render("plain", &ph, &[]), "plain");
    }

    #[test]
    fn english_by_default() {
        assert_eq!(tr("extName", &[]), "ShownOnce — save Azure client secrets");
        assert_eq!(tr("promptShownOnce", &["abc…"]), "The value abc… is shown only once. Save it before you leave this page.");
        assert_eq!(tr("noSuchMessage", &[]), "noSuchMessage");
        let m = serde_json::json!({"k": {"message": "$A$ and $$$1", "placeholders": {"a": {"content": "$2"}}}});
        assert_eq!(render_from(&m, "k", &["x", "y"]).as_deref(), Some("y and $x"));
        assert_eq!(render_from(&m, "other", &[]), None);
        assert_eq!(written_date(&Ymd { year: 2027, month: 4, day: 3 }), "3 April 2027");
    }
}
