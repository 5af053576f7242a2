//! Store 2, the encrypted file: the `.env` plaintext (built by [`crate::core::envfile`])
//! encrypted with age, then saved through the downloads API (see [`super::download`]).
//!
//! Output is the standard **binary** age format (`age-encryption.org/v1`), not ASCII armor:
//! it is what `.age` files conventionally hold, `age -d` reads it (it detects armor either
//! way), and the file goes to disk, never through a text channel. It is also ~35% smaller.
//!
//! The pure parts (keys, encryption, plaintext) compile natively too, so the `age` CLI can
//! check them in `tests/agefile_cli.rs`; only [`EncryptedFileStore`]'s save is wasm-only.

use crate::core::i18n::tr;
use std::fmt;
use std::io::Write;

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use super::{SaveRequest, StoreError};
use crate::core::envfile::{self, EnvFileError, EnvFileInput};
use crate::core::recipient::parse_recipient;
use crate::core::secret::is_guid_exact;

/// scrypt work factor (N = 2^`SCRYPT_LOG_N`) for passphrase-encrypted files.
///
/// Set explicitly: age's library picks "about 1 s on this device" by timing a run, but it
/// cannot time in a service worker and falls back to 18 (the age CLI's fixed default).
/// Measured with release wasm (opt-level "z") on a 2-core Debian server, Chromium 156 and
/// Firefox 153: 18 takes ~2.0 s idle and 2.2-4.1 s when the machine is busy, plus 256 MiB
/// of scrypt memory (128·r·N) that the background's wasm memory keeps until the browser
/// unloads it; 17 takes ~1.0 s idle, 0.9-2.0 s busy, 128 MiB. So 17: age's own ~1 s
/// target, half the memory, still 2^17 (age CLI decrypts any factor up to 22).
/// The thread is busy meanwhile (no other background message is answered).
pub const SCRYPT_LOG_N: u8 = 17;

/// Longest passphrase accepted, in bytes (scrypt takes any length; this bounds a paste).
pub const MAX_PASSPHRASE_LEN: usize = 1024;

/// How the file is encrypted.
pub enum AgeKey {
    /// An X25519 age recipient (`age1…` public key), from the options page.
    Recipient(String),
    /// A passphrase typed into the prompt (age's scrypt recipient).
    Passphrase(Zeroizing<String>),
}

impl fmt::Debug for AgeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A public key is not a secret.
            AgeKey::Recipient(r) => f.debug_tuple("Recipient").field(r).finish(),
            AgeKey::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
        }
    }
}

/// Why encryption failed. Never carries the plaintext or the passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgeError {
    /// The recipient is not a valid X25519 age public key; the text says why.
    BadRecipient(String),
    /// The passphrase is empty.
    EmptyPassphrase,
    /// The passphrase is longer than [`MAX_PASSPHRASE_LEN`].
    PassphraseTooLong,
    /// age itself failed (should not happen with an in-memory buffer).
    Encrypt(String),
}

impl AgeError {
    /// A sentence for the prompt or the options page.
    pub fn user_message(&self) -> String {
        match self {
            AgeError::BadRecipient(why) => tr("ageBadRecipient", &[why]),
            AgeError::EmptyPassphrase => tr("ageEmptyPassphrase", &[]),
            AgeError::PassphraseTooLong => tr("agePassphraseTooLong", &[&MAX_PASSPHRASE_LEN.to_string()]),
            AgeError::Encrypt(why) => tr("ageEncryptFailed", &[why]),
        }
    }
}

impl fmt::Display for AgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.user_message())
    }
}

impl std::error::Error for AgeError {}

/// Checks that `s` is an X25519 age recipient, with a message that says what is wrong (a
/// secret key pasted by mistake, an SSH key, a typo…): [`crate::core::recipient`], the one
/// validator the options page uses too. Surrounding whitespace is allowed.
pub fn validate_recipient(s: &str) -> Result<(), String> {
    parse_recipient(s).map(|_| ()).map_err(|e| e.to_string())
}

/// Encrypts `plaintext` to one recipient or passphrase, in the binary age format.
///
/// Nothing is kept: the passphrase copy age needs lives in a `SecretString` (zeroized on
/// drop), and age's internal buffers are the ciphertext stream only.
pub fn encrypt(plaintext: &[u8], key: &AgeKey) -> Result<Vec<u8>, AgeError> {
    match key {
        AgeKey::Recipient(r) => {
            let recipient = parse_recipient(r).map_err(|e| AgeError::BadRecipient(e.to_string()))?;
            encrypt_to(&recipient, plaintext)
        }
        AgeKey::Passphrase(p) => {
            if p.is_empty() {
                return Err(AgeError::EmptyPassphrase);
            }
            if p.len() > MAX_PASSPHRASE_LEN {
                return Err(AgeError::PassphraseTooLong);
            }
            encrypt_with_passphrase(plaintext, p, SCRYPT_LOG_N)
        }
    }
}

fn encrypt_with_passphrase(plaintext: &[u8], passphrase: &str, log_n: u8) -> Result<Vec<u8>, AgeError> {
    // `to_owned` allocates exactly `len`, so the conversion to a boxed str inside
    // SecretString does not reallocate (and leave an un-wiped copy behind).
    let secret = SecretString::from(passphrase.to_owned());
    let mut recipient = age::scrypt::Recipient::new(secret);
    recipient.set_work_factor(log_n);
    encrypt_to(&recipient, plaintext)
}

fn encrypt_to(recipient: &dyn age::Recipient, plaintext: &[u8]) -> Result<Vec<u8>, AgeError> {
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient)).map_err(|_| AgeError::Encrypt(tr("ageNoRecipient", &[])))?;
    // Header (~200 bytes) + 16-byte tag per 64 KiB chunk.
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    let io = |e: std::io::Error| AgeError::Encrypt(e.kind().to_string());
    let mut writer = encryptor.wrap_output(&mut out).map_err(io)?;
    writer.write_all(plaintext).map_err(io)?;
    writer.finish().map_err(io)?;
    Ok(out)
}

/// Comment text for an ID line that cannot be written as a variable.
const NOT_DETECTED: &str = "not detected as a GUID; copy it from the app's Overview blade";

/// The `.env` plaintext for `req`, via [`envfile::build_env_file`].
///
/// `envfile` only writes GUIDs for `AZURE_CLIENT_ID` / `AZURE_TENANT_ID`. When one is
/// missing or not a GUID, the file is still written (the secret matters most) with that
/// line commented out: `# AZURE_TENANT_ID=<what was seen>  (not detected as a GUID; …)`,
/// so dotenv readers skip it and the user sees what to fill in. The result is zeroized on
/// drop; every intermediate copy is wiped.
pub fn build_plaintext(req: &SaveRequest, created: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    const NIL: &str = "00000000-0000-0000-0000-000000000000";
    let client = req.client_id.as_deref().map(str::trim).unwrap_or("");
    let tenant = req.tenant_id.as_deref().map(str::trim).unwrap_or("");
    let client_ok = is_guid_exact(client);
    let tenant_ok = is_guid_exact(tenant);
    let input = EnvFileInput {
        app_name: &req.app_name,
        description: &req.description,
        secret_id: &req.secret_id,
        expires: req.expires.as_deref().unwrap_or("unknown"),
        created,
        client_id: if client_ok { client } else { NIL },
        tenant_id: if tenant_ok { tenant } else { NIL },
        secret: req.value.trim(),
    };
    let built = Zeroizing::new(envfile::build_env_file(&input).map_err(|e| match e {
        EnvFileError::BadSecret => StoreError::Failed(tr("fileBadSecretValue", &[])),
        other => StoreError::Failed(other.to_string()),
    })?);
    if client_ok && tenant_ok {
        return Ok(built);
    }
    // Replace the placeholder lines. Work out the final size first so the output is
    // allocated once (no reallocation leaving a partial copy of the secret behind).
    let replace = |line: &[u8]| -> Option<String> {
        for (name, ok, seen) in [("AZURE_CLIENT_ID", client_ok, client), ("AZURE_TENANT_ID", tenant_ok, tenant)] {
            if !ok && line.strip_prefix(name.as_bytes()).and_then(|r| r.strip_prefix(b"=")) == Some(NIL.as_bytes()) {
                let seen = envfile::comment_text(seen);
                let sep = if seen.is_empty() { "" } else { "  " };
                return Some(format!("# {name}={seen}{sep}({NOT_DETECTED})"));
            }
        }
        None
    };
    let lines = || built.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let len: usize = lines().map(|l| replace(l).map_or(l.len(), |r| r.len()) + 1).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    for line in lines() {
        match replace(line) {
            Some(r) => out.extend_from_slice(r.as_bytes()),
            None => out.extend_from_slice(line),
        }
        out.push(b'\n');
    }
    debug_assert_eq!(out.len(), len);
    Ok(out)
}

/// Today's date as `YYYY-MM-DD` in local time (file name and `# Created:` line).
#[cfg(target_arch = "wasm32")]
pub fn today() -> String {
    let d = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
}

/// Builds, encrypts and downloads the file (save-as dialog if `req.save_as`).
///
/// Builds the `.env` with [`build_plaintext`], encrypts it to `req.age_recipient` if set,
/// else to `req.passphrase` (else [`StoreError::NeedsPassphrase`]), wipes the plaintext
/// and the request, then saves `<app>-<description>-<date>.env.age`. `Ok` only once the
/// browser reports the download complete.
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub async fn save_encrypted_file(req: SaveRequest) -> Result<super::Receipt, StoreError> {
    use super::download::{save_download_with, DownloadError};

    // The recipient wins over a passphrase (it is a deliberate setting in the options).
    let recipient = req.age_recipient.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let (key, short) = match (recipient, &req.passphrase) {
        (Some(r), _) => (AgeKey::Recipient(r.to_owned()), Some(short_key(r))),
        (None, Some(p)) if !p.is_empty() => (AgeKey::Passphrase(p.clone()), None),
        (None, _) => return Err(StoreError::NeedsPassphrase),
    };
    if let AgeKey::Recipient(r) = &key {
        validate_recipient(r).map_err(|why| StoreError::Failed(AgeError::BadRecipient(why).user_message()))?;
    }
    let date = today();
    let save_as = req.save_as;
    let name = envfile::file_name(&req.app_name, &req.description, &date);
    // scrypt takes a second or two (and blocks this worker meanwhile): say so first.
    if matches!(key, AgeKey::Passphrase(_)) {
        req.progress.say(&tr("fileEncrypting", &[])).await;
    }
    let ciphertext = {
        let plaintext = build_plaintext(&req, &date)?;
        let result = encrypt(&plaintext, &key);
        drop(plaintext); // Zeroizing: wiped here, before the (long) download wait.
        result
    };
    drop(key);
    drop(req); // wipes the value and the passphrase
    let ciphertext = ciphertext.map_err(|e| match e {
        AgeError::EmptyPassphrase => StoreError::NeedsPassphrase,
        e => StoreError::Failed(e.user_message()),
    })?;
    match save_download_with(ciphertext, &name, save_as).await {
        Ok(path) => Ok(super::Receipt {
            message: match &short {
                Some(key) => tr("fileSavedRecipient", &[&path, key]),
                None => tr("fileSavedPassphrase", &[&path]),
            },
        }),
        Err(DownloadError::Cancelled) => Err(StoreError::Cancelled),
        Err(e) => Err(StoreError::Download(e)),
    }
}

/// `age1abcd…wxyz`: enough to recognise a key in a message.
pub fn short_key(r: &str) -> String {
    let r = r.trim();
    if r.len() <= 16 || !r.is_ascii() {
        return r.to_owned();
    }
    format!("{}…{}", &r[..9], &r[r.len() - 4..])
}

/// The encrypted-file store behind [`super::Store`].
#[derive(Debug, Clone, Copy, Default)]
pub struct EncryptedFileStore;

#[cfg(all(target_arch = "wasm32", feature = "background"))]
impl super::Store for EncryptedFileStore {
    fn kind(&self) -> crate::core::state::StoreKind {
        crate::core::state::StoreKind::EncryptedFile
    }

    async fn save(&self, req: SaveRequest) -> Result<super::Receipt, StoreError> {
        save_encrypted_file(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";
    // The example X25519 recipient from age's README (a public key).
    const RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    fn req() -> SaveRequest {
        SaveRequest {
            value: Zeroizing::new(SECRET.to_owned()),
            app_name: "Contoso API".into(),
            client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            tenant_id: Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into()),
            description: "ci deploy".into(),
            secret_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into(),
            expires: Some("2027-03-14".into()),
            passphrase: None,
            age_recipient: None,
            save_as: true,
            ..Default::default()
        }
    }

    #[test]
    fn validates_recipients_with_clear_messages() {
        // The cases live in core::recipient; this is the wrapper's contract.
        assert_eq!(validate_recipient(RECIPIENT), Ok(()));
        assert_eq!(validate_recipient(&format!("  {RECIPIENT}\n")), Ok(()));
        assert_eq!(validate_recipient(&RECIPIENT.to_ascii_uppercase()), Ok(()));
        let msg = |s: &str| validate_recipient(s).unwrap_err();
        assert!(msg("").contains("empty"));
        let sk = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
        assert!(msg(sk).contains("private key") && !msg(sk).contains("1QQQQ"));
        assert!(msg(&format!("age1pq1{}", "q".repeat(80))).contains("X25519"));
    }

    #[test]
    fn encrypt_rejects_bad_keys() {
        let e = encrypt(b"x", &AgeKey::Recipient("age1nope".into())).unwrap_err();
        assert!(matches!(e, AgeError::BadRecipient(_)), "{e:?}");
        assert!(e.user_message().starts_with("The age recipient is not valid"));
        assert_eq!(encrypt(b"x", &AgeKey::Passphrase(Zeroizing::new(String::new()))).unwrap_err(), AgeError::EmptyPassphrase);
        let long = Zeroizing::new("p".repeat(MAX_PASSPHRASE_LEN + 1));
        assert_eq!(encrypt(b"x", &AgeKey::Passphrase(long)).unwrap_err(), AgeError::PassphraseTooLong);
    }

    #[test]
    fn encrypts_in_binary_age_format_and_round_trips() {
        let id = age::x25519::Identity::generate();
        let key = AgeKey::Recipient(id.to_public().to_string());
        let ct = encrypt(b"hello\n", &key).unwrap();
        assert!(ct.starts_with(b"age-encryption.org/v1\n-> X25519 "));
        assert_eq!(age::decrypt(&id, &ct).unwrap(), b"hello\n");

        // A low work factor: unoptimised scrypt at SCRYPT_LOG_N takes ~15 s. The real factor
        // is checked against the age CLI in tests/agefile_cli.rs.
        let ct = encrypt_with_passphrase(b"hello\n", "correct horse battery staple", 10).unwrap();
        let header = String::from_utf8_lossy(&ct[..80]);
        assert!(header.contains("\n-> scrypt ") && header.contains(" 10\n"), "{header}");
        let ident = age::scrypt::Identity::new(SecretString::from("correct horse battery staple".to_owned()));
        assert_eq!(age::decrypt(&ident, &ct).unwrap(), b"hello\n");
    }

    #[test]
    fn debug_redacts_the_passphrase() {
        let s = format!("{:?}", AgeKey::Passphrase(Zeroizing::new("hunter2".into())));
        assert!(!s.contains("hunter2") && s.contains("redacted"));
    }

    #[test]
    fn plaintext_with_all_ids() {
        let text = String::from_utf8(build_plaintext(&req(), "2026-09-15").unwrap().to_vec()).unwrap();
        assert!(text.contains("\nAZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555\n"));
        assert!(text.contains("\nAZURE_TENANT_ID=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"));
        assert!(text.ends_with(&format!("\nAZURE_CLIENT_SECRET={SECRET}\n")));
        assert!(text.contains("\n# Created: 2026-09-15\n"));
        assert!(text.contains("\n# Expires: 2027-03-14\n"));
    }

    #[test]
    fn plaintext_comments_out_missing_or_bad_ids() {
        let mut r = req();
        r.client_id = None;
        r.tenant_id = Some("contoso.onmicrosoft.com\nAZURE_X=1".into());
        r.expires = None;
        let out = build_plaintext(&r, "2026-09-15").unwrap();
        assert_eq!(out.len(), out.capacity(), "allocated once");
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(!text.contains("00000000-0000"), "{text}");
        assert!(text.contains(&format!("\n# AZURE_CLIENT_ID=({NOT_DETECTED})\n")), "{text}");
        assert!(text.contains(&format!("\n# AZURE_TENANT_ID=contoso.onmicrosoft.com AZURE_X=1  ({NOT_DETECTED})\n")), "{text}");
        assert!(text.contains("# Expires: unknown\n"));
        let vars: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(vars, [format!("AZURE_CLIENT_SECRET={SECRET}")]);
    }

    #[test]
    fn plaintext_rejects_values_dotenv_cannot_hold() {
        let mut r = req();
        r.value = Zeroizing::new("has space".into());
        let e = build_plaintext(&r, "2026-09-15").unwrap_err();
        assert!(matches!(&e, StoreError::Failed(m) if !m.contains("has space")), "{e:?}");
    }

    #[test]
    fn short_keys() {
        assert_eq!(short_key(RECIPIENT), "age1ql3z7…ac8p");
        assert_eq!(short_key(" age1short "), "age1short");
    }
}
