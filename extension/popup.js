// ShownOnce toolbar popup: a thin shim, the logic is Rust (src/pages.rs, popup_main).
// Extension pages load the background module; the same loading steps as background.js.
import * as glue from "./pkg/background_bg.js";

(async () => {
  const bytes = await (await fetch(new URL("./pkg/background_bg.wasm", import.meta.url))).arrayBuffer();
  const { instance } = await WebAssembly.instantiate(bytes, { "./background_bg.js": glue });
  glue.__wbg_set_wasm(instance.exports);
  if (instance.exports.__wbindgen_start) instance.exports.__wbindgen_start();
  await glue.popup_main();
})().catch((e) => console.error("ShownOnce popup could not start:", e && e.message));
