#![cfg(target_arch = "wasm32")]
//! Browser tests of the background's encrypted-file store (wasm-bindgen-test, headless
//! Chromium and Firefox): age encryption with a recipient and with a passphrase, timed.
//!
//! CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --release --target wasm32-unknown-unknown --features background --test web_background -- --nocapture
//! (then the same with GECKODRIVER=…). `--release` is needed: the release profile is what
//! ships (scrypt at log2 N = 18 takes ~2 s there), while an unoptimised build blocks the
//! page for so long that wasm-bindgen-test-runner's WebDriver call times out (20 s).
use age::secrecy::SecretString;
use shownonce::stores::agefile::{self, AgeKey, SCRYPT_LOG_N};
use shownonce::stores::SaveRequest;
use wasm_bindgen_test::*;
use zeroize::Zeroizing;

wasm_bindgen_test_configure!(run_in_browser);

const SECRET: &str = "abc8Q~Zx.y-z_0123456789ABCDEFGHIJKLmnopq";

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

fn plaintext() -> Zeroizing<Vec<u8>> {
    let req = SaveRequest {
        value: Zeroizing::new(SECRET.to_owned()),
        app_name: "Contoso API".into(),
        client_id: Some("11111111-2222-3333-4444-555555555555".into()),
        tenant_id: Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into()),
        description: "ci deploy".into(),
        secret_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into(),
        expires: Some("2027-03-14".into()),
        ..Default::default()
    };
    agefile::build_plaintext(&req, &agefile::today()).unwrap()
}

#[wasm_bindgen_test]
fn encrypts_to_a_recipient_in_the_browser() {
    let plaintext = plaintext();
    // Key generation uses getrandom's js backend (crypto.getRandomValues).
    let id = age::x25519::Identity::generate();
    let key = AgeKey::Recipient(id.to_public().to_string());
    let t0 = now_ms();
    let ct = agefile::encrypt(&plaintext, &key).unwrap();
    let ms = now_ms() - t0;
    console_log!("age X25519 encrypt: {ms:.1} ms, {} bytes", ct.len());
    assert!(ct.starts_with(b"age-encryption.org/v1\n-> X25519 "));
    assert_eq!(age::decrypt(&id, &ct).unwrap(), &plaintext[..]);
    // Fresh randomness each time: two encryptions differ.
    assert_ne!(ct, agefile::encrypt(&plaintext, &key).unwrap());
}

#[wasm_bindgen_test]
fn encrypts_with_a_passphrase_in_the_browser() {
    let plaintext = plaintext();
    let key = AgeKey::Passphrase(Zeroizing::new("correct horse battery staple".into()));
    let t0 = now_ms();
    let ct = agefile::encrypt(&plaintext, &key).unwrap();
    let ms = now_ms() - t0;
    console_log!("age scrypt encrypt (log2 N = {SCRYPT_LOG_N}): {ms:.0} ms, {} bytes", ct.len());
    let header = String::from_utf8_lossy(&ct[..100]).into_owned();
    assert!(header.contains(&format!(" {SCRYPT_LOG_N}\n")), "{header}");
    let ident = age::scrypt::Identity::new(SecretString::from("correct horse battery staple".to_owned()));
    let t0 = now_ms();
    assert_eq!(age::decrypt(&ident, &ct).unwrap(), &plaintext[..]);
    console_log!("age scrypt decrypt: {:.0} ms", now_ms() - t0);
}

#[wasm_bindgen_test]
fn file_name_and_date() {
    let today = agefile::today();
    let b = today.as_bytes();
    assert!(b.len() == 10 && b[4] == b'-' && b[7] == b'-', "{today}");
    let name = shownonce::core::envfile::file_name("Contoso API", "ci deploy", &today);
    assert_eq!(name, format!("Contoso-API-ci-deploy-{today}.env.age"));
}

#[wasm_bindgen_test]
fn base64_matches_btoa() {
    let window = web_sys::window().unwrap();
    for len in 0..70usize {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        let mut ours = String::new();
        shownonce::stores::download::base64_into(&bytes, &mut ours);
        let binary: String = bytes.iter().map(|&b| char::from(b)).collect();
        assert_eq!(ours, window.btoa(&binary).unwrap(), "len {len}");
    }
}
