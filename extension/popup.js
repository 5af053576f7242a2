// ShownOnce toolbar popup: a thin shim, the logic is Rust (src/pages/popup.rs, popup_main).
// Extension pages load the pages module (not the background's: no store code).
import * as glue from "./pkg/pages_bg.js";
import { load } from "./load.js";

load(glue, "pages")
  .then((g) => g.popup_main())
  .catch((e) => console.error("ShownOnce popup could not start:", e && e.message));
