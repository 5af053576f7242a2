// ShownOnce save prompt (prompt.html, shown in an iframe by the content script): a thin shim,
// the logic is Rust (src/prompt_page.rs, prompt_main). Same loading steps as popup.js.
import * as glue from "./pkg/background_bg.js";

// The content script posts its start message when this frame has loaded, which can be
// before the wasm below is ready: keep what arrives meanwhile and hand it over.
const early = [];
const keep = (e) => early.push(e);
addEventListener("message", keep);

(async () => {
  const bytes = await (await fetch(new URL("./pkg/background_bg.wasm", import.meta.url))).arrayBuffer();
  const { instance } = await WebAssembly.instantiate(bytes, { "./background_bg.js": glue });
  glue.__wbg_set_wasm(instance.exports);
  if (instance.exports.__wbindgen_start) instance.exports.__wbindgen_start();
  removeEventListener("message", keep);
  glue.prompt_main(early);
})().catch((e) => console.error("ShownOnce prompt could not start:", e && e.message));
