// Benchmark baseline (tests/bench.rs): what a quick userscript would do to catch a client
// secret. Every mutation anywhere in the page re-reads the whole visible text
// (document.body.innerText, which forces a layout) and runs the secret regex over it.
// Same hosts, frames and run_at as ShownOnce; no wasm, no filtering, no batching.
(() => {
  "use strict";
  if (globalThis.__naiveSecretWatcher) return;
  globalThis.__naiveSecretWatcher = true;
  // Current (8Q~, 40 chars) and legacy (7Q~, 37 chars) client secrets.
  const SECRET = /(?<![A-Za-z0-9._~-])[A-Za-z0-9._~-]{3}(?:8Q~[A-Za-z0-9._~-]{34}|7Q~[A-Za-z0-9._~-]{31})(?![A-Za-z0-9._~-])/g;
  const seen = new Set();
  const root = document.documentElement;

  function scan() {
    if (!document.body) return;
    const text = document.body.innerText;
    SECRET.lastIndex = 0;
    let m;
    while ((m = SECRET.exec(text)) !== null) {
      if (seen.has(m[0])) continue;
      seen.add(m[0]);
      // Mark the page the way ShownOnce's prompt does, so the bench can time it too.
      const now = performance.timeOrigin + performance.now();
      root.setAttribute("data-naive-detected-at", String(now));
      root.setAttribute("data-naive-detections", String(seen.size));
    }
  }

  new MutationObserver(scan).observe(root, { childList: true, subtree: true, characterData: true });
  root.setAttribute("data-naive", "1");
  scan();
})();
