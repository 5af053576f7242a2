//! Secret names: Key Vault's rules, the suggested name, and the version ids it assigns.

use crate::core::i18n::tr;
use std::fmt;

use super::MAX_SECRET_NAME_LEN;
use crate::core::secret::is_guid_exact;

/// Why a secret name is not acceptable to Key Vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretNameError {
    /// Empty.
    Empty,
    /// Longer than [`MAX_SECRET_NAME_LEN`].
    TooLong,
    /// Does not start with a letter.
    MustStartWithLetter,
    /// Has a character other than ASCII letters, digits and `-`.
    InvalidCharacter,
}

impl fmt::Display for SecretNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self {
            SecretNameError::Empty => tr("secretNameEmpty", &[]),
            SecretNameError::TooLong => tr("secretNameTooLong", &[]),
            SecretNameError::MustStartWithLetter => tr("secretNameStartLetter", &[]),
            SecretNameError::InvalidCharacter => tr("secretNameBadCharacter", &[]),
        })
    }
}

/// Checks Key Vault's secret name rules: 1-127 ASCII letters, digits and dashes, starting with a letter.
pub fn validate_secret_name(name: &str) -> Result<(), SecretNameError> {
    let b = name.as_bytes();
    if b.is_empty() {
        return Err(SecretNameError::Empty);
    }
    if !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return Err(SecretNameError::InvalidCharacter);
    }
    if b.len() > MAX_SECRET_NAME_LEN {
        return Err(SecretNameError::TooLong);
    }
    if !b[0].is_ascii_alphabetic() {
        return Err(SecretNameError::MustStartWithLetter);
    }
    Ok(())
}

/// Suggests a valid secret name from the app name and the secret's description
/// (`contoso-api-ci-deploy`); the prompt shows it for editing.
pub fn derive_secret_name(app_name: &str, description: &str) -> String {
    // Only the client ID is known (a blade iframe cannot see the app's display name): the
    // description first, then the ID's first group, instead of a 36-character prefix.
    let app = app_name.trim();
    let (first, second) = if is_guid_exact(app) { (description, &app[..8]) } else { (app_name, description) };
    let mut out = String::new();
    for c in first.chars().chain(std::iter::once(' ')).chain(second.chars()) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        return "client-secret".to_owned();
    }
    if !out.as_bytes()[0].is_ascii_alphabetic() {
        out.insert_str(0, "secret-");
    }
    out.truncate(MAX_SECRET_NAME_LEN);
    out.trim_end_matches('-').to_owned()
}

pub(super) fn is_version(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert_eq!(derive_secret_name("Contoso API", "CI deploy (prod)"), "contoso-api-ci-deploy-prod");
        assert_eq!(derive_secret_name("123 app", ""), "secret-123-app");
        assert_eq!(derive_secret_name("0f67174a-9c66-412f-a0ee-f08c579487a2", "CI deploy"), "ci-deploy-0f67174a", "only the client ID known");
        assert_eq!(derive_secret_name("0f67174a-9c66-412f-a0ee-f08c579487a2", ""), "secret-0f67174a");
        assert_eq!(derive_secret_name("日本語", "--"), "client-secret");
        assert_eq!(derive_secret_name("Café", "é"), "caf");
        let long = derive_secret_name(&"a".repeat(100), &"b-".repeat(100));
        assert!(long.len() <= 127 && !long.ends_with('-'));
        for name in [long.as_str(), "a", "A-1", &"x".repeat(127)] {
            assert_eq!(validate_secret_name(name), Ok(()), "{name}");
        }
        assert_eq!(validate_secret_name(""), Err(SecretNameError::Empty));
        assert_eq!(validate_secret_name(&"x".repeat(128)), Err(SecretNameError::TooLong));
        assert_eq!(validate_secret_name("1abc"), Err(SecretNameError::MustStartWithLetter));
        assert_eq!(validate_secret_name("-abc"), Err(SecretNameError::MustStartWithLetter));
        for bad in ["a_b", "a b", "a/b", "a.b", "é", "a?x=1"] {
            assert_eq!(validate_secret_name(bad), Err(SecretNameError::InvalidCharacter), "{bad}");
        }
    }
}
