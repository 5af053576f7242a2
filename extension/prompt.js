// ShownOnce save prompt (prompt.html, shown in an iframe by the content script): a thin shim,
// the logic is Rust (src/prompt_page.rs, prompt_main). It loads the pages module, as
// options.js and popup.js do.
import * as glue from "./pkg/pages_bg.js";
import { load } from "./load.js";

// The content script posts its start message when this frame has loaded, which can be
// before the wasm below is ready: keep what arrives meanwhile and hand it over.
const early = [];
const keep = (e) => early.push(e);
addEventListener("message", keep);

load(glue, "pages")
  .then((g) => {
    removeEventListener("message", keep);
    g.prompt_main(early);
  })
  .catch((e) => console.error("ShownOnce prompt could not start:", e && e.message));
