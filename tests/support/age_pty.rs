//! `age -d` with a passphrase, as a person types it: age reads passphrases only from a
//! terminal, so a small Python helper gives it a pseudo-terminal. Used by the native age
//! tests (tests/agefile_cli.rs) and the end-to-end passphrase file (tests/e2e.rs).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// `age -d` with the passphrase typed into a pseudo-terminal. The passphrase goes to the
/// helper through its environment, not its command line.
pub fn age_decrypt_with_passphrase(file: &Path, out: &Path, passphrase: &str) -> Output {
    const PTY: &str = r#"
import os, pty, sys, time
file, out = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("age", ["age", "-d", "-o", out, file])
buf, deadline = b"", time.time() + 60
while b"passphrase" not in buf.lower():
    if time.time() > deadline:
        sys.exit("no passphrase prompt: " + buf.decode(errors="replace"))
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
os.write(fd, os.environ["AGE_TEST_PASSPHRASE"].encode() + b"\n")
rest = b""
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    rest += chunk
_, status = os.waitpid(pid, 0)
sys.stderr.write(rest.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    Command::new("python3").arg("-c").arg(PTY).arg(file).arg(out).env("AGE_TEST_PASSPHRASE", passphrase).output().expect("python3 runs the pty helper")
}
