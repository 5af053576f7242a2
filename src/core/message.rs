//! Messages to the background, typed: one shape per message type, refused when the type is
//! unknown, a field is unknown or missing, or a value has the wrong type; and who may send
//! each one. The background classifies the sender from what the browser says about it
//! (`runtime.MessageSender`), never from the message, and takes the tab and frame from there.
use serde::Deserialize;
use zeroize::Zeroizing;

/// Who sent a message, as the browser reports it (see `background::sender_of`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// Our content script in a portal frame: `sender.id` is ours, its URL is on a portal host.
    ContentScript {
        /// `sender.tab.id`.
        tab: u32,
        /// `sender.frameId` (Firefox's exceed 32 bits).
        frame: u64,
    },
    /// One of our own pages (popup, options, the prompt frame, Chrome's offscreen document):
    /// `sender.url` is on our origin. `tab` when it is a frame inside a tab (the prompt).
    ExtensionPage {
        /// `sender.tab.id`, if the page is inside a tab.
        tab: Option<u32>,
    },
}

/// A message to the background.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum Request {
    /// Content script (a blade iframe): the tab's URL, for the route it cannot see.
    TabUrl {},
    /// Content script of a blade iframe: the app's display name, which only the tab's top
    /// frame can read (its blade title), with the client ID of that frame's route.
    AppName {},
    /// Content script: a secret is shown in this frame.
    Detected {
        /// Fingerprint text (`core::detect::Fingerprint::text`).
        fp: String,
        /// What the popup lists for it (app, description, expiry).
        label: String,
        /// When it was detected (ms since the epoch).
        at: f64,
    },
    /// Content script: a secret's state changed.
    State {
        /// Fingerprint text.
        fp: String,
        /// `core::state::SecretState` name.
        state: String,
    },
    /// Content script of a top frame: a new document.
    TopLoaded {},
    /// Content script: the user confirmed leaving.
    Leave {},
    /// Content script: is this tab guarded?
    GuardState {},
    /// Content script: the page keeps a prompt from showing (or it shows again).
    PromptBlocked {
        /// Fingerprint text.
        fp: String,
        /// Blocked now.
        blocked: bool,
    },
    /// Content script: it is opening a prompt frame that will present this token.
    PromptToken {
        /// 32 hex digits.
        token: String,
    },
    /// Content script: our Copy button wrote the clipboard; arrange its clearing.
    ClipboardCopied {},
    /// Content script: save a secret into a store.
    Save(Box<SaveFields>),
    /// Content script: the user stopped a save of this frame's secret that waits to retry.
    CancelSave {
        /// Fingerprint text.
        fp: String,
    },
    /// The prompt frame: proves a content script of its tab opened it.
    ClaimPrompt {
        /// The token the content script handed it.
        token: String,
    },
    /// An extension page: the last store runs (codes only).
    StoreLog {},
    /// Chrome's offscreen document: the clipboard was cleared.
    ClipboardCleared {
        /// Whether clearing worked.
        ok: Option<bool>,
    },
    /// The popup: the unsaved secrets of a tab.
    TabSecrets {
        /// The tab the popup belongs to.
        tab_id: Option<f64>,
    },
    /// The options page's "Allow and test" (HashiCorp Vault / OpenBao).
    TestVault {},
    /// The popup's "Show prompt".
    FocusPrompt {
        /// Tab of the secret.
        tab_id: f64,
        /// Frame that shows it.
        frame_id: Option<f64>,
        /// Fingerprint text.
        fingerprint: String,
    },
}

/// The fields of a save request. The value is wiped when this is dropped.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaveFields {
    /// Fingerprint text of the secret.
    pub fp: Option<String>,
    /// `file`, `keyvault` or `hcvault`.
    pub store: String,
    /// The secret value.
    pub value: Zeroizing<String>,
    /// The file store's passphrase, if the user typed one.
    pub passphrase: Option<Zeroizing<String>>,
    /// App display name.
    pub app_name: Option<String>,
    /// Application (client) ID.
    pub client_id: Option<String>,
    /// Directory (tenant) ID.
    pub tenant_id: Option<String>,
    /// The secret's description.
    pub description: Option<String>,
    /// The secret's ID.
    pub secret_id: Option<String>,
    /// Expiry as the portal wrote it.
    pub expires: Option<String>,
    /// Key Vault name or URL.
    pub vault: Option<String>,
    /// Key Vault secret name.
    pub secret_name: Option<String>,
    /// The user confirmed a new version of an existing name.
    pub allow_new_version: Option<bool>,
    /// Vault `userpass`: user name typed in the prompt.
    pub username: Option<String>,
    /// Vault `userpass`: password typed in the prompt (wiped when this is dropped).
    pub password: Option<Zeroizing<String>>,
    /// The page's language tag: how its dates are written (`3/4/2027` differs by region).
    pub locale: Option<String>,
}

/// Why a message was refused. Nothing changed; the sender gets [`Refusal::message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The sender is neither our content script in a portal frame nor our own page.
    UnknownSender,
    /// No such message type.
    UnknownType,
    /// A known type with a missing, unknown or mistyped field.
    Malformed,
    /// A known message from a sender that may not send it (a content script asking about
    /// another tab, a page posing as a content script).
    NotAllowed,
}

impl Refusal {
    /// The error the sender sees: a stable code in words.
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::UnknownSender => "ShownOnce: refused: unknown sender",
            Refusal::UnknownType => "ShownOnce: unknown message",
            Refusal::Malformed => "ShownOnce: refused: malformed message",
            Refusal::NotAllowed => "ShownOnce: refused: not allowed from this sender",
        }
    }
}

/// Every `type` [`Request`] knows (an unknown one is reported as such, not as malformed).
pub const TYPES: [&str; 19] = [
    "tabUrl",
    "appName",
    "detected",
    "state",
    "topLoaded",
    "leave",
    "guardState",
    "promptBlocked",
    "promptToken",
    "clipboardCopied",
    "save",
    "cancelSave",
    "claimPrompt",
    "storeLog",
    "clipboardCleared",
    "tabSecrets",
    "focusPrompt",
    "testVault",
    // Sent by the background to the offscreen document; the background never takes it.
    "clearClipboardAfter",
];

impl Request {
    /// Whether `from` may send this message: content-script messages act on the sender's own
    /// tab and frame (the browser's word), page messages may name a tab (the popup).
    pub fn allowed(&self, from: Sender) -> bool {
        use Request::*;
        match from {
            Sender::ContentScript { frame, .. } => match self {
                TopLoaded {} => frame == 0,
                // The top frame has the title itself.
                AppName {} => frame != 0,
                TabUrl {}
                | Detected { .. }
                | State { .. }
                | Leave {}
                | GuardState {}
                | PromptBlocked { .. }
                | PromptToken { .. }
                | ClipboardCopied {}
                | Save(_)
                | CancelSave { .. } => true,
                _ => false,
            },
            Sender::ExtensionPage { tab } => match self {
                ClaimPrompt { .. } => tab.is_some(),
                StoreLog {} | ClipboardCleared { .. } | TabSecrets { .. } | FocusPrompt { .. } | TestVault {} => true,
                _ => false,
            },
        }
    }
}

/// Checks a message: its type and shape (`parse` is serde over the message object: the
/// background passes `serde_wasm_bindgen::from_value`, tests `serde_json`), then its sender.
pub fn check<E>(kind: Option<&str>, parse: impl FnOnce() -> Result<Request, E>, from: Option<Sender>) -> Result<(Request, Sender), Refusal> {
    let from = from.ok_or(Refusal::UnknownSender)?;
    if !kind.is_some_and(|k| TYPES.contains(&k) && k != "clearClipboardAfter") {
        return Err(Refusal::UnknownType);
    }
    let req = parse().map_err(|_| Refusal::Malformed)?;
    if !req.allowed(from) {
        return Err(Refusal::NotAllowed);
    }
    Ok((req, from))
}

/// Classifies a sender from what the browser reports: `id` (`sender.id`), `url`
/// (`sender.url`), `tab` (`sender.tab.id`), `frame` (`sender.frameId`). `own_id` and
/// `own_origin` are this extension's; `portal_host` says whether a host runs our content
/// script (`core::route::classify_host` is not `Other`).
pub fn classify(
    own_id: &str,
    own_origin: &str,
    id: Option<&str>,
    url: Option<&str>,
    tab: Option<u32>,
    frame: u64,
    portal_host: impl Fn(&str) -> bool,
) -> Option<Sender> {
    if id != Some(own_id) || own_id.is_empty() || own_origin.is_empty() {
        return None;
    }
    let url = url?;
    if url.strip_prefix(own_origin).is_some_and(|rest| rest.starts_with('/')) {
        return Some(Sender::ExtensionPage { tab });
    }
    let rest = url.strip_prefix("https://")?;
    let host = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    // No user info in a portal URL ("https://evil@portal.azure.com" is not one).
    if host.contains('@') || !portal_host(host) {
        return None;
    }
    Some(Sender::ContentScript { tab: tab?, frame })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::route::{classify_host, HostKind};

    const ID: &str = "abcdefghijklmnopabcdefghijklmnop";
    const ORIGIN: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

    fn portal(h: &str) -> bool {
        classify_host(h) != HostKind::Other
    }

    fn from(url: &str, tab: Option<u32>, frame: u64) -> Option<Sender> {
        classify(ID, ORIGIN, Some(ID), Some(url), tab, frame, portal)
    }

    fn parse(v: serde_json::Value) -> Result<(Request, Sender), Refusal> {
        let kind = v.get("type").and_then(|t| t.as_str()).map(str::to_owned);
        let from = from("https://portal.azure.com/#home", Some(7), 0);
        check(kind.as_deref(), || serde_json::from_value::<Request>(v), from)
    }

    #[test]
    fn senders_are_classified_by_what_the_browser_says() {
        assert_eq!(from("https://portal.azure.com/#view/x", Some(3), 0), Some(Sender::ContentScript { tab: 3, frame: 0 }));
        assert_eq!(from("https://sandbox-4.reactblade.portal.azure.net/?x=1", Some(3), 9), Some(Sender::ContentScript { tab: 3, frame: 9 }));
        assert_eq!(from(&format!("{ORIGIN}/popup.html"), None, 0), Some(Sender::ExtensionPage { tab: None }));
        assert_eq!(from(&format!("{ORIGIN}/prompt.html"), Some(5), 2), Some(Sender::ExtensionPage { tab: Some(5) }));
        // Forged or foreign senders.
        for (url, tab) in [
            ("https://portal.azure.com.evil.example/", Some(1)),
            ("https://evil@portal.azure.com/", Some(1)),
            ("http://portal.azure.com/", Some(1)),
            ("https://www.contoso.example/", Some(1)),
            ("https://portal.azure.com/", None),
            (&format!("{ORIGIN}evil.example/popup.html"), None),
            ("chrome-extension://otherextensionidotherextensionid/popup.html", None),
        ] {
            assert_eq!(from(url, tab, 0), None, "{url}");
        }
        // Another extension's message, or no id at all.
        assert_eq!(classify(ID, ORIGIN, Some("other"), Some("https://portal.azure.com/"), Some(1), 0, portal), None);
        assert_eq!(classify(ID, ORIGIN, None, Some(&format!("{ORIGIN}/popup.html")), None, 0, portal), None);
        assert_eq!(classify(ID, ORIGIN, Some(ID), None, Some(1), 0, portal), None);
    }

    #[test]
    fn well_formed_messages_parse() {
        let (r, f) = parse(serde_json::json!({"type": "detected", "fp": "abc:1", "label": "app", "at": 1.0})).unwrap();
        assert_eq!(r, Request::Detected { fp: "abc:1".into(), label: "app".into(), at: 1.0 });
        assert_eq!(f, Sender::ContentScript { tab: 7, frame: 0 });
        assert_eq!(parse(serde_json::json!({"type": "topLoaded"})).unwrap().0, Request::TopLoaded {});
        let (r, _) = parse(serde_json::json!({"type": "save", "fp": "abc:1", "store": "file", "value": "v", "passphrase": null, "secretName": "", "allowNewVersion": false, "locale": "en"})).unwrap();
        let Request::Save(s) = r else { panic!("not a save") };
        assert_eq!((s.store.as_str(), s.value.as_str(), s.passphrase.is_none(), s.locale.as_deref()), ("file", "v", true, Some("en")));
    }

    #[test]
    fn unknown_types_fields_and_shapes_are_refused() {
        assert_eq!(parse(serde_json::json!({"type": "noSuchMessage"})), Err(Refusal::UnknownType));
        assert_eq!(parse(serde_json::json!({"fp": "x"})), Err(Refusal::UnknownType));
        assert_eq!(parse(serde_json::json!({"type": "clearClipboardAfter", "delayMs": 1})), Err(Refusal::UnknownType));
        for bad in [
            serde_json::json!({"type": "detected", "fp": "abc:1", "label": "app"}),
            serde_json::json!({"type": "detected", "fp": "abc:1", "label": "app", "at": "soon"}),
            serde_json::json!({"type": "detected", "fp": "abc:1", "label": "app", "at": 1, "tabId": 9}),
            serde_json::json!({"type": "topLoaded", "tab": 9}),
            serde_json::json!({"type": "state", "fp": 1, "state": "saved"}),
            serde_json::json!({"type": "save", "store": "file", "value": "v", "url": "https://evil.example/"}),
            serde_json::json!({"type": "save", "store": "file"}),
            serde_json::json!({"type": "promptBlocked", "fp": "abc:1", "blocked": "yes"}),
        ] {
            assert_eq!(parse(bad.clone()), Err(Refusal::Malformed), "{bad}");
        }
    }

    #[test]
    fn each_sender_sends_only_its_own_messages() {
        let content = Sender::ContentScript { tab: 7, frame: 3 };
        let popup = Sender::ExtensionPage { tab: None };
        let prompt = Sender::ExtensionPage { tab: Some(7) };
        let focus = Request::FocusPrompt { tab_id: 8.0, frame_id: Some(0.0), fingerprint: "abc:1".into() };
        // A portal frame asking about or acting on another tab (the popup's messages).
        assert!(!focus.allowed(content));
        assert!(!Request::TabSecrets { tab_id: Some(8.0) }.allowed(content));
        assert!(!Request::StoreLog {}.allowed(content));
        // A portal frame cannot make the background call the user's Vault server.
        assert!(!Request::TestVault {}.allowed(content));
        assert!(Request::TestVault {}.allowed(popup));
        assert!(!Request::ClaimPrompt { token: "0".repeat(32) }.allowed(content));
        // A subframe is not a new top document.
        assert!(!Request::TopLoaded {}.allowed(content));
        assert!(Request::TopLoaded {}.allowed(Sender::ContentScript { tab: 7, frame: 0 }));
        // Only a blade iframe asks its own tab's top frame for the app's name; no page asks.
        assert!(Request::AppName {}.allowed(content));
        assert!(!Request::AppName {}.allowed(Sender::ContentScript { tab: 7, frame: 0 }));
        assert!(!Request::AppName {}.allowed(popup));
        // A save is stopped by the frame that asked for it (its tab, from the browser).
        assert!(Request::CancelSave { fp: "abc:1".into() }.allowed(content));
        assert!(!Request::CancelSave { fp: "abc:1".into() }.allowed(popup));
        // Pages do not pose as content scripts.
        assert!(!Request::Detected { fp: "a".into(), label: String::new(), at: 0.0 }.allowed(popup));
        assert!(!Request::PromptToken { token: "0".repeat(32) }.allowed(prompt));
        assert!(focus.allowed(popup));
        // The prompt's claim needs its tab; the popup (no tab) cannot claim.
        assert!(Request::ClaimPrompt { token: "0".repeat(32) }.allowed(prompt));
        assert!(!Request::ClaimPrompt { token: "0".repeat(32) }.allowed(popup));
        // An unknown sender gets nothing, whatever it sends.
        let kind = Some("focusPrompt");
        assert_eq!(check(kind, || Ok::<_, ()>(Request::StoreLog {}), None), Err(Refusal::UnknownSender));
        assert_eq!(check(kind, || Ok::<_, ()>(Request::StoreLog {}), Some(content)), Err(Refusal::NotAllowed));
    }
}
