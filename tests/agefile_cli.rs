#![cfg(not(target_arch = "wasm32"))]
//! The encrypted-file store's output, decrypted by the real `age` CLI (Debian package
//! `age`): with an X25519 key from `age-keygen`, and with a passphrase typed into a pty
//! (the CLI reads passphrases from the terminal only). Then the `.env` is read the way a
//! shell does (`set -a; . file`) to check what the Azure SDKs would get.
//!
//! Run: `cargo test --test agefile_cli` (needs `age`, `age-keygen`, `python3`, `bash`).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use shownonce::stores::agefile::{self, AgeKey, SCRYPT_LOG_N};
use shownonce::stores::SaveRequest;
use zeroize::Zeroizing;

#[path = "support/age_pty.rs"]
mod age_pty;
use age_pty::age_decrypt_with_passphrase;

const SECRET: &str = "abc8Q~Zx.y-z_0123456789ABCDEFGHIJKLmnopq";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const TENANT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const PASSPHRASE: &str = "correct horse battery staple";

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("agefile_cli").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn request() -> SaveRequest {
    SaveRequest {
        value: Zeroizing::new(SECRET.to_owned()),
        app_name: "Contoso API".into(),
        client_id: Some(CLIENT.into()),
        tenant_id: Some(TENANT.into()),
        description: "ci deploy".into(),
        secret_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into(),
        expires: Some("2027-03-14".into()),
        passphrase: None,
        age_recipient: None,
        save_as: true,
        ..Default::default()
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (apt-get install age)"));
    assert!(out.status.success(), "{cmd:?} failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// The variables `set -a; . file` exports, as bash sees them.
fn sourced(env_file: &Path) -> Vec<String> {
    let out = run(Command::new("bash")
        .env_clear()
        .arg("-c")
        .arg("set -a; . \"$1\"; printf '%s\\n' \"id=$AZURE_CLIENT_ID\" \"tenant=$AZURE_TENANT_ID\" \"secret=$AZURE_CLIENT_SECRET\"")
        .arg("bash")
        .arg(env_file));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}

#[test]
fn age_cli_decrypts_a_file_encrypted_to_an_age_keygen_recipient() {
    let dir = workdir("recipient");
    let key = dir.join("key.txt");
    run(Command::new("age-keygen").arg("-o").arg(&key));
    let recipient = String::from_utf8(run(Command::new("age-keygen").arg("-y").arg(&key)).stdout).unwrap();
    agefile::validate_recipient(&recipient).expect("age-keygen's recipient is valid");

    let plaintext = agefile::build_plaintext(&request(), "2026-09-15").unwrap();
    let ct = agefile::encrypt(&plaintext, &AgeKey::Recipient(recipient.trim().to_owned())).unwrap();
    assert!(ct.starts_with(b"age-encryption.org/v1\n"), "binary age format");
    let file = dir.join("Contoso-API-ci-deploy-2026-09-15.env.age");
    std::fs::write(&file, &ct).unwrap();

    let out = run(Command::new("age").arg("-d").arg("-i").arg(&key).arg(&file));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.as_bytes(), &plaintext[..]);
    assert!(text.starts_with("# ShownOnce\n# App: Contoso API\n# Description: ci deploy\n"), "{text}");
    assert!(text.contains("\n# Expires: 2027-03-14\n# Created: 2026-09-15\n"));
    assert!(text.ends_with(&format!("AZURE_CLIENT_ID={CLIENT}\nAZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_SECRET={SECRET}\n")));

    let env_file = dir.join("decrypted.env");
    std::fs::write(&env_file, &text).unwrap();
    assert_eq!(sourced(&env_file), [format!("id={CLIENT}"), format!("tenant={TENANT}"), format!("secret={SECRET}")]);

    // Another key cannot open it.
    let other = dir.join("other.txt");
    run(Command::new("age-keygen").arg("-o").arg(&other));
    let out = Command::new("age").arg("-d").arg("-i").arg(&other).arg(&file).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn age_cli_decrypts_a_passphrase_file_typed_into_a_tty() {
    let dir = workdir("passphrase");
    let mut req = request();
    req.client_id = None; // not detected: the line is commented out, the file still saved
    let plaintext = agefile::build_plaintext(&req, "2026-09-15").unwrap();
    let key = AgeKey::Passphrase(Zeroizing::new(PASSPHRASE.to_owned()));
    let ct = agefile::encrypt(&plaintext, &key).unwrap();
    let header = String::from_utf8_lossy(&ct[..100]).into_owned();
    assert!(header.contains("\n-> scrypt ") && header.contains(&format!(" {SCRYPT_LOG_N}\n")), "{header}");
    let file = dir.join("secret.env.age");
    std::fs::write(&file, &ct).unwrap();

    let out_file = dir.join("decrypted.env");
    let out = age_decrypt_with_passphrase(&file, &out_file, PASSPHRASE);
    assert!(out.status.success(), "age -d failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(text.as_bytes(), &plaintext[..]);
    assert!(text.contains("\n# AZURE_CLIENT_ID=(not detected as a GUID"), "{text}");
    assert!(text.ends_with(&format!("AZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_SECRET={SECRET}\n")));
    assert_eq!(sourced(&out_file), ["id=".to_owned(), format!("tenant={TENANT}"), format!("secret={SECRET}")]);

    let wrong_out = dir.join("wrong.env");
    let out = age_decrypt_with_passphrase(&file, &wrong_out, "wrong passphrase");
    assert!(!out.status.success(), "a wrong passphrase must not decrypt");
    assert!(std::fs::read(&wrong_out).map(|b| b.is_empty()).unwrap_or(true));
}
