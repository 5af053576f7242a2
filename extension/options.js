// ShownOnce options page: a thin shim, the logic is Rust (src/pages/options.rs, options_main).
// Extension pages load the pages module (not the background's: no store code).
import * as glue from "./pkg/pages_bg.js";
import { load } from "./load.js";

load(glue, "pages")
  .then((g) => g.options_main())
  .catch((e) => console.error("ShownOnce options page could not start:", e && e.message));
