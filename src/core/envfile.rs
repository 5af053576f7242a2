//! The `.env` plaintext that goes into the encrypted file, and its file name.
//!
//! Format (read by python-dotenv, Node's dotenv, `set -a; . file`, Docker's
//! `--env-file` and systemd's `EnvironmentFile`):
//! ```text
//! # ShownOnce
//! # App: <app name>
//! # Description: <description>
//! # Secret ID: <guid>
//! # Expires: <expiry>
//! # Created: <date>
//! AZURE_CLIENT_ID=<guid>
//! AZURE_TENANT_ID=<guid>
//! AZURE_CLIENT_SECRET=<value>
//! ```
//! Values are written unquoted, which every one of those readers takes
//! literally, so they are validated to a character set that needs no quoting.

use crate::core::i18n::tr;
use std::fmt;

use crate::core::secret::is_guid_exact;

/// Longest text kept in a comment line, in characters.
pub const MAX_COMMENT_CHARS: usize = 200;
/// Longest secret value accepted, in bytes.
pub const MAX_SECRET_LEN: usize = 256;
/// Longest file name produced, in bytes (most file systems allow 255).
pub const MAX_FILE_NAME_LEN: usize = 120;

/// What goes into the file. `secret` is the value: Debug redacts it.
#[derive(Clone, Copy)]
pub struct EnvFileInput<'a> {
    /// App display name (comment only).
    pub app_name: &'a str,
    /// The secret's description (comment only).
    pub description: &'a str,
    /// Secret ID, a GUID (comment only).
    pub secret_id: &'a str,
    /// Expiry as shown or as an ISO date (comment only).
    pub expires: &'a str,
    /// Creation date (comment only).
    pub created: &'a str,
    /// Application (client) ID, a GUID.
    pub client_id: &'a str,
    /// Directory (tenant) ID, a GUID.
    pub tenant_id: &'a str,
    /// The client secret value.
    pub secret: &'a str,
}

impl fmt::Debug for EnvFileInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvFileInput")
            .field("app_name", &self.app_name)
            .field("description", &self.description)
            .field("secret_id", &self.secret_id)
            .field("expires", &self.expires)
            .field("created", &self.created)
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Why the file cannot be built. Never carries the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvFileError {
    /// The client ID is not a GUID.
    BadClientId,
    /// The tenant ID is not a GUID.
    BadTenantId,
    /// The secret is empty, too long, or has characters outside `A-Z a-z 0-9 . - _ ~`.
    BadSecret,
}

impl fmt::Display for EnvFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self {
            EnvFileError::BadClientId => tr("envBadClientId", &[]),
            EnvFileError::BadTenantId => tr("envBadTenantId", &[]),
            EnvFileError::BadSecret => tr("envBadSecret", &[]),
        })
    }
}

/// Whether `s` is a plausible client secret value: the characters Entra ID uses
/// (`A-Z a-z 0-9 . - _ ~`), not starting with `~` (a shell would expand it).
pub fn is_safe_secret(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_SECRET_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~'))
}

/// One comment line's text: no line breaks or controls (a malicious description
/// must not inject a `KEY=value` line), no bidi overrides, length-capped.
pub fn comment_text(s: &str) -> String {
    let mut out = String::new();
    let mut last_space = true;
    for c in s.chars() {
        let c = if c.is_control() || crate::core::text::is_invisible_format(c) { ' ' } else { c };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
        if out.chars().count() >= MAX_COMMENT_CHARS {
            break;
        }
    }
    out.trim_end().to_owned()
}

/// Builds the plaintext `.env` file.
///
/// The buffer is allocated once at its final size so no partial copy of the
/// secret is left behind by a reallocation; the caller zeroizes it after use.
pub fn build_env_file(input: &EnvFileInput<'_>) -> Result<Vec<u8>, EnvFileError> {
    if !is_guid_exact(input.client_id) {
        return Err(EnvFileError::BadClientId);
    }
    if !is_guid_exact(input.tenant_id) {
        return Err(EnvFileError::BadTenantId);
    }
    if !is_safe_secret(input.secret) {
        return Err(EnvFileError::BadSecret);
    }
    let comments = [
        ("ShownOnce", String::new()),
        ("App: ", comment_text(input.app_name)),
        ("Description: ", comment_text(input.description)),
        ("Secret ID: ", comment_text(input.secret_id)),
        ("Expires: ", comment_text(input.expires)),
        ("Created: ", comment_text(input.created)),
    ];
    let vars = [("AZURE_CLIENT_ID=", input.client_id), ("AZURE_TENANT_ID=", input.tenant_id), ("AZURE_CLIENT_SECRET=", input.secret)];
    // A value starting with `~` (Azure's alphabet allows it: about 1 secret in 66) is written
    // in single quotes, so that no shell sourcing the file treats it as a tilde prefix; dotenv
    // readers strip the quotes. The alphabet has no `'`, so the quotes are always safe.
    let quoted = |v: &str| v.starts_with('~');
    let len = comments.iter().map(|(k, v)| 2 + k.len() + v.len() + 1).sum::<usize>()
        + vars.iter().map(|(k, v)| k.len() + v.len() + 1 + if quoted(v) { 2 } else { 0 }).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    for (k, v) in &comments {
        out.extend_from_slice(b"# ");
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(v.as_bytes());
        out.push(b'\n');
    }
    for (k, v) in &vars {
        out.extend_from_slice(k.as_bytes());
        if quoted(v) {
            out.push(b'\'');
            out.extend_from_slice(v.as_bytes());
            out.push(b'\'');
        } else {
            out.extend_from_slice(v.as_bytes());
        }
        out.push(b'\n');
    }
    debug_assert_eq!(out.len(), len);
    Ok(out)
}

const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7",
    "LPT8", "LPT9",
];

fn is_windows_reserved(stem: &str) -> bool {
    let stem = stem.trim_end_matches([' ', '.']);
    if WINDOWS_RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return true;
    }
    // COM¹²³ / LPT¹²³ are reserved too.
    let upper = stem.to_ascii_uppercase();
    ["COM", "LPT"].iter().any(|p| matches!(upper.strip_prefix(p), Some("¹" | "²" | "³")))
}

// One name part: letters and digits (any script) kept, everything else becomes
// one `-`; no leading/trailing dashes or dots; capped at `max` bytes.
fn name_part(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let keep = c.is_alphanumeric() || c == '_' || c == '.';
        if keep && !crate::core::text::is_invisible_format(c) {
            if out.len() + c.len_utf8() > max {
                break;
            }
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            if out.len() + 1 > max {
                break;
            }
            out.push('-');
        }
    }
    // Collapse dot runs (".." is meaningless and looks like a path).
    while out.contains("..") {
        out = out.replace("..", ".");
    }
    out.trim_matches(['-', '.']).to_owned()
}

/// The download file name `<app>-<description>-<date>.env.age`, safe on
/// Windows, macOS and Linux: no path separators or reserved characters, no
/// leading dot or dash, no Windows device names, at most [`MAX_FILE_NAME_LEN`] bytes.
pub fn file_name(app_name: &str, description: &str, date: &str) -> String {
    const EXT: &str = ".env.age";
    let date = name_part(date, 10);
    // Two dashes, plus one for a possible `_` prefix.
    let budget = MAX_FILE_NAME_LEN - EXT.len() - date.len() - 3;
    let app = name_part(app_name, budget / 2);
    let desc = name_part(description, budget - app.len());
    let parts: Vec<&str> = [app.as_str(), desc.as_str(), date.as_str()].into_iter().filter(|p| !p.is_empty()).collect();
    let mut stem = if parts.is_empty() { "client-secret".to_owned() } else { parts.join("-") };
    // Windows treats "CON.anything" as the device, so check the part before the first dot.
    if is_windows_reserved(stem.split('.').next().unwrap_or("")) {
        stem.insert(0, '_');
    }
    stem + EXT
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";

    fn input<'a>(description: &'a str, secret: &'a str) -> EnvFileInput<'a> {
        EnvFileInput {
            app_name: "Contoso API",
            description,
            secret_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            expires: "2027-03-14",
            created: "2026-09-15",
            client_id: "11111111-2222-3333-4444-555555555555",
            tenant_id: "AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee",
            secret,
        }
    }

    #[test]
    fn builds_the_expected_file() {
        let out = build_env_file(&input("ci deploy", SECRET)).unwrap();
        assert_eq!(out.len(), out.capacity(), "allocated once at its final size");
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "# ShownOnce\n# App: Contoso API\n# Description: ci deploy\n# Secret ID: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\n\
             # Expires: 2027-03-14\n# Created: 2026-09-15\nAZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555\n\
             AZURE_TENANT_ID=AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee\nAZURE_CLIENT_SECRET=zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP\n"
        );
    }

    #[test]
    fn description_cannot_inject_lines() {
        let evil = "x\nAZURE_CLIENT_SECRET=stolen\r\u{2028}AZURE_TENANT_ID=x\u{85}\u{202E}y";
        let text = String::from_utf8(build_env_file(&input(evil, SECRET)).unwrap()).unwrap();
        assert_eq!(text.lines().count(), 9);
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 3);
        assert!(text.lines().all(|l| l.starts_with("# ") || l.starts_with("AZURE_")));
        let desc = text.lines().nth(2).unwrap();
        assert!(!desc.contains(['\r', '\u{2028}', '\u{85}', '\u{202E}']), "{desc:?}");
        let long = "é".repeat(1000);
        let text = String::from_utf8(build_env_file(&input(&long, SECRET)).unwrap()).unwrap();
        assert!(text.lines().nth(2).unwrap().chars().count() <= MAX_COMMENT_CHARS + 15);
    }

    /// Azure's alphabet allows a leading `~` (about 1 secret in 66). Such a value used to be
    /// refused, so the file store failed for it every time; it is now single-quoted, and a
    /// shell sourcing the file gets the exact value.
    #[test]
    fn leading_tilde_is_quoted_and_sources_exactly() {
        let secret = "~6~8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";
        let text = String::from_utf8(build_env_file(&input("d", secret)).unwrap()).unwrap();
        assert!(text.lines().any(|l| l == format!("AZURE_CLIENT_SECRET='{secret}'")), "{text}");
        let plain = String::from_utf8(build_env_file(&input("d", SECRET)).unwrap()).unwrap();
        assert!(plain.lines().any(|l| l == format!("AZURE_CLIENT_SECRET={SECRET}")), "{plain}");
        for (i, (value, file)) in [(secret, &text), (SECRET, &plain)].into_iter().enumerate() {
            let dir = std::env::temp_dir().join(format!("so-env-{}-{i}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("x.env");
            std::fs::write(&path, file).unwrap();
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(r#". "$1" && printf %s "$AZURE_CLIENT_SECRET""#)
                .arg("sh")
                .arg(&path)
                .env("HOME", &dir)
                .output()
                .unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            assert_eq!(String::from_utf8_lossy(&out.stdout), value, "sourced by sh");
        }
    }

    #[test]
    fn validates_values() {
        for bad in ["", "has space", "quote'", "a\"b", "new\nline", "$(rm -rf)", "back\\slash", "a#b", "é"] {
            assert_eq!(build_env_file(&input("d", bad)).unwrap_err(), EnvFileError::BadSecret, "{bad:?}");
        }
        let long = "a".repeat(MAX_SECRET_LEN + 1);
        assert_eq!(build_env_file(&input("d", &long)).unwrap_err(), EnvFileError::BadSecret);
        assert!(build_env_file(&input("d", "abc7Q~Az.0-_~")).is_ok());
        let mut i = input("d", SECRET);
        i.client_id = "11111111-2222-3333-4444-55555555555\n";
        assert_eq!(build_env_file(&i).unwrap_err(), EnvFileError::BadClientId);
        i.client_id = "11111111-2222-3333-4444-555555555555";
        i.tenant_id = "contoso.onmicrosoft.com";
        assert_eq!(build_env_file(&i).unwrap_err(), EnvFileError::BadTenantId);
    }

    #[test]
    fn debug_redacts_the_secret() {
        let s = format!("{:?}", input("d", SECRET));
        assert!(!s.contains(SECRET) && s.contains("redacted"));
    }

    #[test]
    fn file_names() {
        let cases = [
            ("Contoso API", "ci deploy", "2026-09-15", "Contoso-API-ci-deploy-2026-09-15.env.age"),
            ("../../etc/passwd", "a/b\\c", "9/15/2026", "etc-passwd-a-b-c-9-15-2026.env.age"),
            (".hidden", "...", "", "hidden.env.age"),
            ("-rf", "x", "", "rf-x.env.age"),
            ("a<b>c:d\"e|f?g*h", "\u{0}\u{1f}", "", "a-b-c-d-e-f-g-h.env.age"),
            ("CON", "", "", "_CON.env.age"),
            ("con", "", "2026", "con-2026.env.age"),
            ("nul.txt", "x", "", "_nul.txt-x.env.age"),
            ("COM¹", "", "", "_COM¹.env.age"),
            ("", "", "", "client-secret.env.age"),
            ("日本語アプリ", "本番", "2026-09-15", "日本語アプリ-本番-2026-09-15.env.age"),
            ("trailing. ", "dots...", "", "trailing-dots.env.age"),
        ];
        for (app, desc, date, want) in cases {
            assert_eq!(file_name(app, desc, date), want, "{app:?} {desc:?} {date:?}");
        }
        let long = file_name(&"a".repeat(500), &"ü".repeat(500), "2026-09-15");
        assert!(long.len() <= MAX_FILE_NAME_LEN, "{}", long.len());
        assert!(long.ends_with("-2026-09-15.env.age") && long.contains("-üü"));
    }

    #[test]
    fn file_names_never_contain_forbidden_characters() {
        let nasty = "\\/:*?\"<>|\u{0}\n\t \u{202E}.~`$%";
        for s in [nasty, &nasty.repeat(20), "..", "/", "a/../b"] {
            let n = file_name(s, s, s);
            assert!(!n.starts_with(['.', '-', ' ']), "{n:?}");
            assert!(n.chars().all(|c| c.is_alphanumeric() || "-_.".contains(c)), "{n:?}");
            assert!(!n.contains(".."), "{n:?}");
        }
    }
}
