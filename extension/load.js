// ShownOnce: the one wasm loader of the extension's module scripts (background.js, options.js,
// popup.js, prompt.js). Each imports it and its module's glue statically: Chrome's service
// worker forbids import(), and the pages' CSP (script-src 'self' 'wasm-unsafe-eval') allows
// nothing else. content.js (a classic content script) has its own loader.
//
// `glue` is the wasm-bindgen bundler glue (pkg/<name>_bg.js); `name` the module: "background"
// or "pages". Resolves with the glue once the Rust start-up code ran.
export async function load(glue, name) {
  const bytes = await (await fetch(new URL(`./pkg/${name}_bg.wasm`, import.meta.url))).arrayBuffer();
  // The wasm imports its glue under the name wasm-bindgen gave it.
  const { instance } = await WebAssembly.instantiate(bytes, { [`./${name}_bg.js`]: glue });
  glue.__wbg_set_wasm(instance.exports);
  if (instance.exports.__wbindgen_start) instance.exports.__wbindgen_start();
  return glue;
}
