//! The one age recipient validator: `age::x25519::Recipient` decides, and the checks before it
//! only exist to say clearly what is wrong (a secret key pasted by mistake, an SSH key, a
//! plugin or post-quantum recipient, a typo). The options page (settings) and the encrypted-file
//! store both call it.
//!
//! Compiled only where age is linked (background, extension pages, native tests): the content
//! module never validates a recipient and must not carry age.

use crate::core::i18n::tr;
use std::fmt;
use std::str::FromStr;

use crate::core::settings::AGE_RECIPIENT_LEN;

/// Why a text is not a usable age recipient. Messages never echo the input (it may be a
/// secret key pasted by mistake).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientError {
    /// Nothing but whitespace.
    Empty,
    /// An `AGE-SECRET-KEY-…`: the caller must clear the field it came from.
    SecretKey,
    /// An OpenSSH public key (age supports them, ShownOnce does not).
    Ssh,
    /// A plugin or post-quantum recipient (`age1<name>1…`).
    NotX25519,
    /// Mixed upper and lower case (Bech32 is one or the other).
    MixedCase,
    /// Does not start with `age1`.
    NoAgePrefix,
    /// `age1…` but not 62 characters long; the length found.
    WrongLength(usize),
    /// A character outside Bech32's alphabet.
    BadCharacter,
    /// The Bech32 checksum (or padding) does not hold: a typo.
    Checksum,
}

impl RecipientError {
    /// Whether the input looked like a private key (the caller must not keep it anywhere).
    pub fn looks_private(&self) -> bool {
        *self == RecipientError::SecretKey
    }
}

impl fmt::Display for RecipientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self {
            RecipientError::Empty => tr("recipientEmpty", &[]),
            RecipientError::SecretKey => tr("recipientSecretKey", &[]),
            RecipientError::Ssh => tr("recipientSsh", &[]),
            RecipientError::NotX25519 => tr("recipientNotX25519", &[]),
            RecipientError::MixedCase => tr("recipientMixedCase", &[]),
            RecipientError::NoAgePrefix => tr("recipientNoAgePrefix", &[]),
            RecipientError::WrongLength(n) => tr("recipientWrongLength", &[&AGE_RECIPIENT_LEN.to_string(), &n.to_string()]),
            RecipientError::BadCharacter => tr("recipientBadCharacter", &[]),
            RecipientError::Checksum => tr("recipientChecksum", &[]),
        })
    }
}

impl std::error::Error for RecipientError {}

/// Parses an X25519 recipient. Surrounding whitespace is ignored; an all-uppercase key is
/// accepted (Bech32 allows it; age reads lowercase only).
pub fn parse_recipient(s: &str) -> Result<age::x25519::Recipient, RecipientError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(RecipientError::Empty);
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("age-secret-key-") {
        return Err(RecipientError::SecretKey);
    }
    if lower.starts_with("ssh-") || lower.starts_with("ecdsa-") {
        return Err(RecipientError::Ssh);
    }
    if !lower.starts_with("age1") {
        return Err(RecipientError::NoAgePrefix);
    }
    // `1` is not a Bech32 data character, so a second `1` means another HRP: a plugin or
    // post-quantum recipient (`age1pq1…`, `age1yubikey1…`). ("age1pq…" alone can be X25519.)
    if lower[4..].contains('1') {
        return Err(RecipientError::NotX25519);
    }
    if lower != s && s.to_ascii_uppercase() != s {
        return Err(RecipientError::MixedCase);
    }
    if s.len() != AGE_RECIPIENT_LEN {
        return Err(RecipientError::WrongLength(s.len()));
    }
    if !lower[4..].bytes().all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'b' | b'i' | b'o')) {
        return Err(RecipientError::BadCharacter);
    }
    // Only the checksum and padding are left for age to refuse.
    age::x25519::Recipient::from_str(&lower).map_err(|_| RecipientError::Checksum)
}

/// The recipient as it should be stored: trimmed and lowercase (age's own rendering).
pub fn normalize_recipient(s: &str) -> Result<String, RecipientError> {
    parse_recipient(s).map(|r| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const R1: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    #[test]
    fn clear_messages() {
        assert_eq!(normalize_recipient(R1).as_deref(), Ok(R1));
        assert_eq!(normalize_recipient(&format!("  {R1}\n")).as_deref(), Ok(R1));
        assert_eq!(normalize_recipient(&R1.to_ascii_uppercase()).as_deref(), Ok(R1));
        let err = |s: &str| parse_recipient(s).unwrap_err();
        assert_eq!(err(" "), RecipientError::Empty);
        let sk = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
        assert!(err(sk).looks_private() && !err(sk).to_string().contains("1QQQQ"));
        assert_eq!(err("ssh-ed25519 AAAAC3Nza user@host"), RecipientError::Ssh);
        assert_eq!(err("ecdsa-sha2-nistp256 AAAA"), RecipientError::Ssh);
        assert_eq!(err("hello"), RecipientError::NoAgePrefix);
        assert_eq!(err(&R1[..40]), RecipientError::WrongLength(40));
        assert_eq!(err(&format!("{R1}q")), RecipientError::WrongLength(63));
        assert_eq!(err(&R1.replacen("7hjy", "7hqy", 1)), RecipientError::Checksum);
        assert_eq!(err(&R1.replacen('k', "b", 1)), RecipientError::BadCharacter);
        assert_eq!(err(&R1.replacen('k', "K", 1)), RecipientError::MixedCase);
        assert_eq!(err(&format!("age1pq1{}", "q".repeat(80))), RecipientError::NotX25519);
        assert_eq!(err("age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"), RecipientError::NotX25519);
        for e in [RecipientError::Checksum, RecipientError::WrongLength(3), RecipientError::NotX25519] {
            assert!(!e.looks_private() && e.to_string().ends_with('.'));
        }
    }

    #[test]
    fn every_generated_key_passes() {
        // An X25519 key may well start with "age1pq" (1 in 1024 random keys do).
        for _ in 0..2000 {
            let r = age::x25519::Identity::generate().to_public().to_string();
            assert_eq!(normalize_recipient(&r).as_deref(), Ok(r.as_str()));
        }
    }
}
