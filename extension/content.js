// ShownOnce content-script loader: a thin shim, the logic is Rust (src/content.rs).
//
// MV3 content scripts are classic scripts, so the wasm-bindgen glue (an ES module) is
// imported dynamically. Chromium applies the *page's* CSP to wasm compiled in a content
// script: on a page without 'wasm-unsafe-eval' every compile fails with CompileError
// (see README "Architecture"). We probe with an empty module and, if refused, load the
// same Rust build translated to JS by binaryen's wasm2js (pkg/content_bg.wasm.js).
(() => {
  "use strict";
  // One instance per frame even if the script is injected twice (extension reload, etc.).
  if (globalThis.__shownonceLoader) return;
  globalThis.__shownonceLoader = true;
  // `chrome.runtime.getURL` literally (Firefox has `chrome` too): addons-linter only accepts
  // a dynamic import() whose argument comes straight from it.
  const url = (p) => chrome.runtime.getURL(p);
  const EMPTY_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

  async function load() {
    const glue = await import(chrome.runtime.getURL("pkg/content_bg.js"));
    let exports;
    let engine = "wasm";
    try {
      new WebAssembly.Module(EMPTY_MODULE);
      const bytes = await (await fetch(url("pkg/content_bg.wasm"))).arrayBuffer();
      const { instance } = await WebAssembly.instantiate(bytes, { "./content_bg.js": glue });
      exports = instance.exports;
    } catch (e) {
      if (!(e instanceof WebAssembly.CompileError)) throw e;
      exports = await import(chrome.runtime.getURL("pkg/content_bg.wasm.js"));
      engine = "js";
    }
    glue.__wbg_set_wasm(exports);
    if (exports.__wbindgen_start) exports.__wbindgen_start();
    glue.content_main(engine);
  }
  load().catch((e) => console.error("ShownOnce could not start on this page:", e && e.message));
})();
