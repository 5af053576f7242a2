//! One secret's lifecycle: shown → copied → saved / confirmed by the user.
//!
//! The state only moves forward: copying a saved secret again, or a store
//! failing after an earlier success, never re-arms the navigation guard.

use std::fmt;

/// Where a secret stands. Ordered by [`SecretState::rank`], never backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretState {
    /// Visible on the page; nothing done with it yet.
    Shown,
    /// On the clipboard (our button, the portal's button, or Ctrl/Cmd+C).
    Copied,
    /// A store confirmed it holds the value (download completed, vault read back…).
    Saved,
    /// The user deliberately said "I saved it elsewhere".
    ConfirmedByUser,
}

impl SecretState {
    /// Forward order. `Saved` outranks `ConfirmedByUser`: a store's proof is stronger
    /// than the user's word, and the UI then shows where it went.
    pub fn rank(self) -> u8 {
        match self {
            SecretState::Shown => 0,
            SecretState::Copied => 1,
            SecretState::ConfirmedByUser => 2,
            SecretState::Saved => 3,
        }
    }

    /// The further along of two states.
    pub fn furthest(self, other: SecretState) -> SecretState {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// Stable short name, used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretState::Shown => "shown",
            SecretState::Copied => "copied",
            SecretState::Saved => "saved",
            SecretState::ConfirmedByUser => "confirmed",
        }
    }

    /// Inverse of [`SecretState::as_str`].
    pub fn parse(s: &str) -> Option<SecretState> {
        Some(match s {
            "shown" => SecretState::Shown,
            "copied" => SecretState::Copied,
            "saved" => SecretState::Saved,
            "confirmed" => SecretState::ConfirmedByUser,
            _ => return None,
        })
    }
}

/// Whether a secret in `state` still needs the navigation guard.
///
/// Non-strict: guarded until it is at least copied. Strict: until saved or
/// explicitly confirmed by the user (a clipboard is not a safe place).
pub fn needs_guard(state: SecretState, strict: bool) -> bool {
    match state {
        SecretState::Shown => true,
        SecretState::Copied => strict,
        SecretState::Saved | SecretState::ConfirmedByUser => false,
    }
}

/// The stores a secret can be saved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// Clipboard with auto-clear: only ever counts as "copied".
    Clipboard,
    /// age-encrypted `.env` file saved through the downloads API.
    EncryptedFile,
    /// Azure Key Vault.
    KeyVault,
    /// HashiCorp Vault / OpenBao.
    HashiCorpVault,
    /// KeePassXC through its browser protocol.
    KeePassXc,
}

impl StoreKind {
    /// Stable short name, used in settings and messages between contexts.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Clipboard => "clipboard",
            StoreKind::EncryptedFile => "file",
            StoreKind::KeyVault => "keyvault",
            StoreKind::HashiCorpVault => "hcvault",
            StoreKind::KeePassXc => "keepassxc",
        }
    }

    /// Inverse of [`StoreKind::as_str`].
    pub fn parse(s: &str) -> Option<StoreKind> {
        Some(match s {
            "clipboard" => StoreKind::Clipboard,
            "file" => StoreKind::EncryptedFile,
            "keyvault" => StoreKind::KeyVault,
            "hcvault" => StoreKind::HashiCorpVault,
            "keepassxc" => StoreKind::KeePassXc,
            _ => return None,
        })
    }

    /// Whether a confirmed save here makes the secret "saved" (vs only "copied").
    pub fn is_safe_at_rest(self) -> bool {
        !matches!(self, StoreKind::Clipboard)
    }
}

/// Something that happened to one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretEvent {
    /// Copied with our own button.
    CopiedByUs,
    /// Copied with the portal's "Copy to clipboard" button.
    CopiedByPortal,
    /// Selected and copied with Ctrl/Cmd+C.
    CopiedByKeyboard,
    /// The user clicked Save; a store is running.
    StoreSaveStarted {
        /// The store.
        store: StoreKind,
    },
    /// The store confirmed the save (download completed, vault read-back matched…).
    StoreConfirmed {
        /// The store.
        store: StoreKind,
    },
    /// The store failed; `reason` is a user-facing message (never the value).
    StoreFailed {
        /// The store.
        store: StoreKind,
        /// What went wrong, for the prompt.
        reason: String,
    },
    /// The user cancelled the save (closed the save-as dialog, sign-in window…).
    StoreCancelled {
        /// The store.
        store: StoreKind,
    },
    /// The user explicitly confirmed "I saved it elsewhere".
    UserConfirmedSavedElsewhere,
    /// Our auto-clear emptied the clipboard. Does not undo "copied": the user may have pasted it.
    ClipboardCleared,
}

/// How a store run ended, as the background reports it to the frame that holds the secret:
/// `ok: true`, or an outcome kind (see `stores::StoreError::codes`). A reply without a kind
/// (the background stopped or was updated before it answered) is a failure, never a save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// The store confirmed the save.
    Saved,
    /// The user cancelled (save-as dialog, sign-in window).
    Cancelled,
    /// The file store needs a passphrase first: ask for it, nothing failed.
    NeedsPassphrase,
    /// The store asks before it goes on (Key Vault: add a new version?).
    NeedsConfirmation,
    /// Anything else, including no answer at all.
    Failed,
}

impl StoreOutcome {
    /// Reads the background's reply: `ok` and its `outcome` kind (absent: `None`).
    pub fn from_reply(ok: bool, kind: Option<&str>) -> StoreOutcome {
        match (ok, kind) {
            (true, _) => StoreOutcome::Saved,
            (false, Some("cancelled")) => StoreOutcome::Cancelled,
            (false, Some("needsPassphrase")) => StoreOutcome::NeedsPassphrase,
            (false, Some("needsConfirmation")) => StoreOutcome::NeedsConfirmation,
            (false, _) => StoreOutcome::Failed,
        }
    }

    /// The outcome kind as the prompt records it.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreOutcome::Saved => "saved",
            StoreOutcome::Cancelled => "cancelled",
            StoreOutcome::NeedsPassphrase => "needsPassphrase",
            StoreOutcome::NeedsConfirmation => "needsConfirmation",
            StoreOutcome::Failed => "failed",
        }
    }

    /// The lifecycle event for this outcome of `store` (`reason`: the message shown). A
    /// question (passphrase, new version) is not an event: the prompt asks and nothing moves.
    pub fn event(self, store: StoreKind, reason: &str) -> Option<SecretEvent> {
        match self {
            StoreOutcome::Saved => Some(SecretEvent::StoreConfirmed { store }),
            StoreOutcome::Cancelled => Some(SecretEvent::StoreCancelled { store }),
            StoreOutcome::NeedsPassphrase | StoreOutcome::NeedsConfirmation => None,
            StoreOutcome::Failed => Some(SecretEvent::StoreFailed { store, reason: reason.to_owned() }),
        }
    }
}

/// The pure transition: the new state after `event`. Never goes backwards.
pub fn transition(state: SecretState, event: &SecretEvent) -> SecretState {
    let reached = match event {
        SecretEvent::CopiedByUs | SecretEvent::CopiedByPortal | SecretEvent::CopiedByKeyboard => SecretState::Copied,
        SecretEvent::StoreConfirmed { store } if store.is_safe_at_rest() => SecretState::Saved,
        SecretEvent::StoreConfirmed { .. } => SecretState::Copied,
        SecretEvent::UserConfirmedSavedElsewhere => SecretState::ConfirmedByUser,
        // A failure, cancel, start or clipboard clear keeps what was reached before.
        SecretEvent::StoreSaveStarted { .. } | SecretEvent::StoreFailed { .. } | SecretEvent::StoreCancelled { .. } | SecretEvent::ClipboardCleared => state,
    };
    state.furthest(reached)
}

/// What the prompt shows about a store run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveProgress {
    /// No save running or finished.
    Idle,
    /// A store is running.
    Saving(StoreKind),
    /// The last save succeeded here.
    Succeeded(StoreKind),
    /// The last save failed; the prompt offers a retry.
    Failed {
        /// The store.
        store: StoreKind,
        /// User-facing message.
        reason: String,
    },
    /// The last save was cancelled by the user.
    Cancelled(StoreKind),
}

/// A secret's state plus what the prompt needs to show progress. Holds no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    state: SecretState,
    progress: SaveProgress,
    saved_to: Vec<StoreKind>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::new()
    }
}

impl Lifecycle {
    /// A freshly shown secret.
    pub fn new() -> Self {
        Lifecycle { state: SecretState::Shown, progress: SaveProgress::Idle, saved_to: Vec::new() }
    }

    /// Applies an event; returns true if [`Lifecycle::state`] changed.
    pub fn apply(&mut self, event: &SecretEvent) -> bool {
        let before = self.state;
        self.state = transition(self.state, event);
        match event {
            SecretEvent::StoreSaveStarted { store } => self.progress = SaveProgress::Saving(*store),
            SecretEvent::StoreConfirmed { store } => {
                self.progress = SaveProgress::Succeeded(*store);
                if !self.saved_to.contains(store) {
                    self.saved_to.push(*store);
                }
            }
            SecretEvent::StoreFailed { store, reason } => self.progress = SaveProgress::Failed { store: *store, reason: reason.clone() },
            SecretEvent::StoreCancelled { store } => self.progress = SaveProgress::Cancelled(*store),
            _ => {}
        }
        before != self.state
    }

    /// The current state.
    pub fn state(&self) -> SecretState {
        self.state
    }

    /// The latest store run, for the prompt.
    pub fn progress(&self) -> &SaveProgress {
        &self.progress
    }

    /// Stores that confirmed a save, in order.
    pub fn saved_to(&self) -> &[StoreKind] {
        &self.saved_to
    }

    /// See [`needs_guard`].
    pub fn needs_guard(&self, strict: bool) -> bool {
        needs_guard(self.state, strict)
    }
}

impl fmt::Display for SecretState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn store_outcomes_from_the_background() {
        let f = StoreKind::EncryptedFile;
        let saved = StoreOutcome::from_reply(true, None);
        assert_eq!(saved.event(f, "x"), Some(SecretEvent::StoreConfirmed { store: f }));
        let mut life = Lifecycle::new();
        life.apply(&saved.event(f, "").unwrap());
        assert_eq!(life.state(), SecretState::Saved);
        // No kind at all (the background died mid-save) is a failure, never a save.
        for (ok, kind) in [(false, None), (false, Some("failed")), (false, Some("")), (false, Some("saved"))] {
            let o = StoreOutcome::from_reply(ok, kind);
            assert_eq!(o, StoreOutcome::Failed, "{kind:?}");
            let mut life = Lifecycle::new();
            life.apply(&o.event(f, "gone").unwrap());
            assert_eq!(life.state(), SecretState::Shown, "{kind:?}");
            assert!(life.needs_guard(false));
        }
        assert_eq!(StoreOutcome::from_reply(false, Some("cancelled")).event(f, ""), Some(SecretEvent::StoreCancelled { store: f }));
        assert_eq!(StoreOutcome::from_reply(false, Some("needsPassphrase")).event(f, ""), None);
        assert_eq!(StoreOutcome::from_reply(false, Some("needsConfirmation")).event(f, ""), None);
        for o in [StoreOutcome::Saved, StoreOutcome::Cancelled, StoreOutcome::NeedsPassphrase, StoreOutcome::NeedsConfirmation, StoreOutcome::Failed] {
            assert_eq!(StoreOutcome::from_reply(o == StoreOutcome::Saved, Some(o.as_str())), o);
        }
    }

    use super::*;
    use SecretEvent as E;
    use SecretState as S;

    const ALL: [S; 4] = [S::Shown, S::Copied, S::Saved, S::ConfirmedByUser];

    fn all_events() -> Vec<E> {
        let mut v = vec![E::CopiedByUs, E::CopiedByPortal, E::CopiedByKeyboard, E::UserConfirmedSavedElsewhere, E::ClipboardCleared];
        for store in [StoreKind::Clipboard, StoreKind::EncryptedFile, StoreKind::KeyVault, StoreKind::HashiCorpVault, StoreKind::KeePassXc] {
            v.push(E::StoreSaveStarted { store });
            v.push(E::StoreConfirmed { store });
            v.push(E::StoreFailed { store, reason: "x".into() });
            v.push(E::StoreCancelled { store });
        }
        v
    }

    #[test]
    fn table() {
        let file = StoreKind::EncryptedFile;
        let cases = [
            (S::Shown, E::CopiedByUs, S::Copied),
            (S::Shown, E::CopiedByPortal, S::Copied),
            (S::Shown, E::CopiedByKeyboard, S::Copied),
            (S::Shown, E::StoreSaveStarted { store: file }, S::Shown),
            (S::Shown, E::StoreFailed { store: file, reason: "denied".into() }, S::Shown),
            (S::Copied, E::StoreFailed { store: file, reason: "denied".into() }, S::Copied),
            (S::Copied, E::StoreCancelled { store: file }, S::Copied),
            (S::Shown, E::StoreConfirmed { store: file }, S::Saved),
            (S::Shown, E::StoreConfirmed { store: StoreKind::Clipboard }, S::Copied),
            (S::Copied, E::StoreConfirmed { store: StoreKind::KeyVault }, S::Saved),
            (S::Saved, E::CopiedByUs, S::Saved),
            (S::Saved, E::UserConfirmedSavedElsewhere, S::Saved),
            (S::Saved, E::StoreFailed { store: file, reason: "x".into() }, S::Saved),
            (S::Shown, E::UserConfirmedSavedElsewhere, S::ConfirmedByUser),
            (S::ConfirmedByUser, E::CopiedByKeyboard, S::ConfirmedByUser),
            (S::ConfirmedByUser, E::StoreConfirmed { store: file }, S::Saved),
            (S::Copied, E::ClipboardCleared, S::Copied),
        ];
        for (from, ev, to) in cases {
            assert_eq!(transition(from, &ev), to, "{from:?} + {ev:?}");
        }
    }

    #[test]
    fn never_goes_backwards() {
        for s in ALL {
            for e in all_events() {
                assert!(transition(s, &e).rank() >= s.rank(), "{s:?} + {e:?}");
            }
        }
    }

    #[test]
    fn guard_rules() {
        assert!(needs_guard(S::Shown, false) && needs_guard(S::Shown, true));
        assert!(!needs_guard(S::Copied, false) && needs_guard(S::Copied, true));
        for s in [S::Saved, S::ConfirmedByUser] {
            assert!(!needs_guard(s, false) && !needs_guard(s, true));
        }
    }

    #[test]
    fn names_round_trip() {
        for s in ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("SAVED"), None);
        for k in [StoreKind::Clipboard, StoreKind::EncryptedFile, StoreKind::KeyVault, StoreKind::HashiCorpVault, StoreKind::KeePassXc] {
            assert_eq!(StoreKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn lifecycle_tracks_progress() {
        let kv = StoreKind::KeyVault;
        let mut l = Lifecycle::new();
        assert!(!l.apply(&E::StoreSaveStarted { store: kv }));
        assert_eq!(l.progress(), &SaveProgress::Saving(kv));
        assert!(!l.apply(&E::StoreFailed { store: kv, reason: "403".into() }));
        assert!(l.needs_guard(false));
        assert!(l.apply(&E::CopiedByPortal));
        assert!(!l.needs_guard(false) && l.needs_guard(true));
        assert!(l.apply(&E::StoreConfirmed { store: kv }));
        assert_eq!(l.state(), S::Saved);
        assert_eq!(l.saved_to(), &[kv]);
        assert!(!l.needs_guard(true));
    }
}
