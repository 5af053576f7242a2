// ShownOnce offscreen document (Chrome only; Firefox clears from its background page).
// A thin shim: Chrome's service worker has no DOM, and only a document may write the
// clipboard. It owns the clear timer so that the clipboard is cleared after the delay even if
// the tab, the frame or the service worker is gone meanwhile. It never sees the value: it
// only writes an empty string.
"use strict";
let timer = 0;

function clearClipboard() {
  // An offscreen document never has focus, so navigator.clipboard is refused here;
  // execCommand("copy") with our own data is what Chrome documents for offscreen clipboards.
  const put = (e) => {
    e.clipboardData.setData("text/plain", "");
    e.preventDefault();
  };
  document.addEventListener("copy", put, { once: true });
  const ok = document.execCommand("copy");
  document.removeEventListener("copy", put);
  chrome.runtime.sendMessage({ type: "clipboardCleared", ok }).catch(() => {});
}

chrome.runtime.onMessage.addListener((message, sender) => {
  if (sender.id !== chrome.runtime.id || !message || message.target !== "offscreen") return;
  if (message.type === "clearClipboardAfter" && Number.isFinite(message.delayMs)) {
    clearTimeout(timer);
    timer = setTimeout(clearClipboard, Math.max(0, Math.min(message.delayMs, 3600000)));
  }
});
