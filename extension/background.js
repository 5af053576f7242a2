// ShownOnce background entry: a thin shim, the logic is Rust (src/background.rs).
//
// MV3 only wakes a stopped service worker / event page for listeners registered
// synchronously during the first turn of the script, but wasm instantiation is async.
// So the listeners are registered here, at top level, and forward to Rust once ready.
import * as glue from "./pkg/background_bg.js";
import { load } from "./load.js";

const api = globalThis.browser ?? globalThis.chrome;

const ready = load(glue, "background").then(async (g) => {
  await g.background_main();
  return g;
});

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
