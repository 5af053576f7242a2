// ShownOnce background entry: a thin shim, the logic is Rust (src/background.rs).
//
// MV3 only wakes a stopped service worker / event page for listeners registered
// synchronously during the first turn of the script, but wasm instantiation is async.
// So the listeners are registered here, at top level, and forward to Rust once ready.
import * as glue from "./pkg/background_bg.js";

const api = globalThis.browser ?? globalThis.chrome;

const ready = (async () => {
  const bytes = await (await fetch(new URL("./pkg/background_bg.wasm", import.meta.url))).arrayBuffer();
  const { instance } = await WebAssembly.instantiate(bytes, { "./background_bg.js": glue });
  glue.__wbg_set_wasm(instance.exports);
  if (instance.exports.__wbindgen_start) instance.exports.__wbindgen_start();
  await glue.background_main();
  return glue;
})();

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  ready
    .then((g) => g.on_message(message, sender))
    .then(sendResponse, (e) => sendResponse({ error: String((e && e.message) || e) }));
  return true; // the answer is asynchronous
});

// Firefox only (Chrome clears from an offscreen document): the clipboard clear alarm.
api.alarms?.onAlarm.addListener((alarm) => {
  ready.then((g) => g.on_alarm(alarm.name));
});

api.storage.onChanged.addListener((changes, area) => {
  ready.then((g) => g.on_storage_changed(changes, area));
});

api.tabs.onRemoved.addListener((tabId) => {
  ready.then((g) => g.on_tab_removed(tabId));
});
