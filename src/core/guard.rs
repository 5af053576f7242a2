//! Per-tab guard state kept by the background: which frames hold which
//! unsaved secrets (fingerprints and labels only, never values).
//!
//! Decisions:
//! - A frame going away ([`GuardEvent::FrameGone`], e.g. the portal recycling
//!   its reactblade iframe) does NOT disarm: the value is gone from the page
//!   but still unsaved, so leaving the tab still loses it. The entry is kept
//!   (marked `frame_gone`) until the user confirms leaving, the tab really
//!   navigates to another document, or the tab closes. If the same
//!   fingerprint is detected again in a new frame, the entry moves there.
//! - Secrets that reached a final state stay as tombstones until the tab is
//!   cleared, so a re-detection of the same secret cannot re-arm the guard.
//! - Nothing else disarms: no timer, no error. A service-worker restart
//!   rebuilds the table from [`GuardTable::to_storage`] (kept in
//!   `storage.session`) via [`GuardTable::restore`].

use std::collections::BTreeMap;
use std::fmt;

use crate::core::state::{needs_guard, SecretState};

/// Most entries kept per tab; beyond this, new detections only evict tombstones.
pub const MAX_ENTRIES_PER_TAB: usize = 64;
/// Longest label kept, in characters.
pub const MAX_LABEL_CHARS: usize = 160;
/// Longest fingerprint accepted, in bytes.
pub const MAX_FINGERPRINT_LEN: usize = 96;

const HEADER: &str = "shownonce-guard 1";

/// The guard table's key for one secret: the text form of a
/// [`crate::core::detect::Fingerprint`] as a content script sends it (hint + secret id or
/// description), checked. Never the value.
///
/// 1 to [`MAX_FINGERPRINT_LEN`] printable ASCII characters without spaces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuardKey(String);

impl GuardKey {
    /// Validates a fingerprint.
    pub fn new(s: &str) -> Option<GuardKey> {
        let ok = !s.is_empty() && s.len() <= MAX_FINGERPRINT_LEN && s.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| GuardKey(s.to_owned()))
    }

    /// The fingerprint text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One secret the background knows about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardEntry {
    /// Frame that showed it (webextension frame id; 0 is the top frame). 64 bits: Firefox's
    /// frame ids do not fit in 32.
    pub frame: u64,
    /// Which secret.
    pub fingerprint: GuardKey,
    /// What the popup shows (app and description), control characters removed.
    pub label: String,
    /// How far it got.
    pub state: SecretState,
    /// When it was detected (ms since the Unix epoch), for "age" in the popup.
    pub detected_at_ms: u64,
    /// The frame that showed it went away; the secret is still unsaved.
    pub frame_gone: bool,
}

/// Inputs from content scripts and browser events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardEvent {
    /// A content script detected a secret.
    Detected {
        /// Tab id.
        tab: u32,
        /// Frame id.
        frame: u64,
        /// Which secret.
        fingerprint: GuardKey,
        /// App and description, for the popup.
        label: String,
        /// Detection time, ms since the Unix epoch.
        at_ms: u64,
    },
    /// A secret's lifecycle moved on (forward only; see [`crate::core::state`]).
    StateChanged {
        /// Tab id.
        tab: u32,
        /// Which secret.
        fingerprint: GuardKey,
        /// Its new state.
        state: SecretState,
    },
    /// A frame was removed or navigated (iframe recycled). Keeps the guard.
    FrameGone {
        /// Tab id.
        tab: u32,
        /// Frame id.
        frame: u64,
    },
    /// The top frame committed a cross-document navigation (the user left for real).
    TabNavigatedAway {
        /// Tab id.
        tab: u32,
    },
    /// The user chose "Leave anyway" in our confirmation.
    UserConfirmedLeave {
        /// Tab id.
        tab: u32,
    },
    /// The tab was closed.
    TabClosed {
        /// Tab id.
        tab: u32,
    },
}

impl GuardEvent {
    /// The tab the event concerns.
    pub fn tab(&self) -> u32 {
        match self {
            GuardEvent::Detected { tab, .. }
            | GuardEvent::StateChanged { tab, .. }
            | GuardEvent::FrameGone { tab, .. }
            | GuardEvent::TabNavigatedAway { tab }
            | GuardEvent::UserConfirmedLeave { tab }
            | GuardEvent::TabClosed { tab } => *tab,
        }
    }
}

/// What the background must do after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The tab concerned.
    pub tab: u32,
    /// The table changed: persist it to `storage.session`, refresh badge and top frame.
    pub changed: bool,
    /// Whether the tab's top frame must guard navigation now.
    pub armed: bool,
    /// Number for the toolbar badge (0: no badge).
    pub badge: u32,
}

/// All tabs' guard state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardTable {
    strict: bool,
    tabs: BTreeMap<u32, Vec<GuardEntry>>,
}

/// Why stored guard state could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageError {
    /// The first line is not our header/version.
    BadHeader,
    /// A line (1-based) is malformed.
    BadLine(usize),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::BadHeader => f.write_str("stored guard state has an unknown format"),
            StorageError::BadLine(n) => write!(f, "stored guard state is malformed at line {n}"),
        }
    }
}

fn clean_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_LABEL_CHARS * 4));
    for c in s.chars().take(MAX_LABEL_CHARS) {
        // Controls and line/paragraph separators would break the popup and the storage lines.
        out.push(if c.is_control() || c == '\u{2028}' || c == '\u{2029}' { ' ' } else { c });
    }
    out
}

impl GuardTable {
    /// An empty table.
    pub fn new(strict: bool) -> Self {
        GuardTable { strict, tabs: BTreeMap::new() }
    }

    /// Strict mode: guard until saved, not just copied.
    pub fn strict(&self) -> bool {
        self.strict
    }

    /// Changes strict mode (the user switched it in the options); returns each tab's new
    /// arming and badge, to publish (empty when nothing changed).
    pub fn set_strict(&mut self, strict: bool) -> Vec<Outcome> {
        if self.strict == strict {
            return Vec::new();
        }
        self.strict = strict;
        let mut tabs: Vec<u32> = self.tabs.keys().copied().collect();
        tabs.sort_unstable();
        tabs.into_iter().map(|tab| Outcome { tab, changed: true, armed: self.armed(tab), badge: self.badge_count(tab) }).collect()
    }

    /// Applies one event.
    pub fn apply(&mut self, event: GuardEvent) -> Outcome {
        let tab = event.tab();
        let changed = match event {
            GuardEvent::Detected { frame, fingerprint, label, at_ms, .. } => self.detected(tab, frame, fingerprint, clean_label(&label), at_ms),
            GuardEvent::StateChanged { fingerprint, state, .. } => {
                match self.tabs.get_mut(&tab).and_then(|v| v.iter_mut().find(|e| e.fingerprint == fingerprint)) {
                    Some(e) => {
                        let next = e.state.furthest(state);
                        let changed = next != e.state;
                        e.state = next;
                        changed
                    }
                    // Unknown secret (e.g. raced with a tab clear): nothing to guard.
                    None => false,
                }
            }
            GuardEvent::FrameGone { frame, .. } => {
                let mut changed = false;
                for e in self.tabs.get_mut(&tab).into_iter().flatten() {
                    if e.frame == frame && !e.frame_gone {
                        e.frame_gone = true;
                        changed = true;
                    }
                }
                changed
            }
            GuardEvent::TabNavigatedAway { .. } | GuardEvent::UserConfirmedLeave { .. } | GuardEvent::TabClosed { .. } => self.tabs.remove(&tab).is_some(),
        };
        Outcome { tab, changed, armed: self.armed(tab), badge: self.badge_count(tab) }
    }

    fn detected(&mut self, tab: u32, frame: u64, fingerprint: GuardKey, label: String, at_ms: u64) -> bool {
        let strict = self.strict;
        let entries = self.tabs.entry(tab).or_default();
        if let Some(e) = entries.iter_mut().find(|e| e.fingerprint == fingerprint) {
            // Same secret seen again (re-render or a recycled frame): follow it, keep its state.
            // A new label is a better one (a blade iframe learnt the app's display name).
            let relabel = !label.is_empty() && e.label != label;
            let changed = e.frame != frame || e.frame_gone || relabel;
            e.frame = frame;
            e.frame_gone = false;
            if relabel {
                e.label = label;
            }
            return changed;
        }
        if entries.len() >= MAX_ENTRIES_PER_TAB {
            // Evict the oldest entry that no longer guards anything; never an armed one.
            match entries.iter().position(|e| !needs_guard(e.state, strict)) {
                Some(i) => {
                    entries.remove(i);
                }
                // All armed: the tab stays armed anyway, so dropping the newcomer is safe.
                None => return false,
            }
        }
        entries.push(GuardEntry { frame, fingerprint, label, state: SecretState::Shown, detected_at_ms: at_ms, frame_gone: false });
        true
    }

    /// Whether the tab's navigation must be guarded.
    pub fn armed(&self, tab: u32) -> bool {
        self.badge_count(tab) > 0
    }

    /// Number of secrets in the tab that still need the guard.
    pub fn badge_count(&self, tab: u32) -> u32 {
        self.unsaved(tab).len() as u32
    }

    /// The secrets in the tab that still need the guard, oldest first (for the popup).
    pub fn unsaved(&self, tab: u32) -> Vec<&GuardEntry> {
        let mut v: Vec<&GuardEntry> = self.tabs.get(&tab).into_iter().flatten().filter(|e| needs_guard(e.state, self.strict)).collect();
        v.sort_by_key(|e| e.detected_at_ms);
        v
    }

    /// All entries of a tab, tombstones included.
    pub fn entries(&self, tab: u32) -> &[GuardEntry] {
        self.tabs.get(&tab).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Serialises the table for `storage.session`: a header line, a `strict` line,
    /// then one tab-separated line per entry:
    /// `e <tab> <frame> <state> <detected_at_ms> <frame_gone 0|1> <fingerprint> <label>`
    /// with `\`, tab, CR and LF in the label escaped as `\\`, `\t`, `\r`, `\n`.
    pub fn to_storage(&self) -> String {
        let mut out = String::new();
        out.push_str(HEADER);
        out.push('\n');
        out.push_str(if self.strict { "strict\t1\n" } else { "strict\t0\n" });
        for (tab, entries) in &self.tabs {
            for e in entries {
                let fields = [
                    "e".to_string(),
                    tab.to_string(),
                    e.frame.to_string(),
                    e.state.as_str().to_string(),
                    e.detected_at_ms.to_string(),
                    (e.frame_gone as u8).to_string(),
                    e.fingerprint.as_str().to_string(),
                ];
                out.push_str(&fields.join("\t"));
                out.push('\t');
                escape_into(&mut out, &e.label);
                out.push('\n');
            }
        }
        out
    }

    /// Parses [`GuardTable::to_storage`] output strictly: any malformed line is an error.
    pub fn from_storage(s: &str) -> Result<GuardTable, StorageError> {
        let (table, _, first_bad) = parse_storage(s)?;
        match first_bad {
            Some(n) => Err(StorageError::BadLine(n)),
            None => Ok(table),
        }
    }

    /// Rebuilds after a background restart, keeping every valid entry and
    /// skipping damaged lines (losing one entry beats disarming every tab).
    /// Returns the table and the number of lines skipped. `strict` is used
    /// when the stored state is missing or unreadable.
    pub fn restore(stored: Option<&str>, strict: bool) -> (GuardTable, usize) {
        match stored.map(parse_storage) {
            Some(Ok((table, skipped, _))) => (table, skipped),
            Some(Err(_)) => (GuardTable::new(strict), 1),
            None => (GuardTable::new(strict), 0),
        }
    }
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            out.push(match it.next()? {
                '\\' => '\\',
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                _ => return None,
            });
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn parse_entry(line: &str) -> Option<(u32, GuardEntry)> {
    let f: Vec<&str> = line.split('\t').collect();
    if f.len() != 8 || f[0] != "e" {
        return None;
    }
    let tab = f[1].parse().ok()?;
    let frame = f[2].parse().ok()?;
    let state = SecretState::parse(f[3])?;
    let detected_at_ms = f[4].parse().ok()?;
    let frame_gone = match f[5] {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let fingerprint = GuardKey::new(f[6])?;
    let label = clean_label(&unescape(f[7])?);
    Some((tab, GuardEntry { frame, fingerprint, label, state, detected_at_ms, frame_gone }))
}

// Returns the table built from the valid lines, the number of bad lines and the first one's number.
fn parse_storage(s: &str) -> Result<(GuardTable, usize, Option<usize>), StorageError> {
    let mut lines = s.lines();
    if lines.next().map(str::trim_end) != Some(HEADER) {
        return Err(StorageError::BadHeader);
    }
    let mut table = GuardTable::new(false);
    let mut first_bad = None;
    let mut bad_count = 0;
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        let mut bad = || {
            bad_count += 1;
            first_bad.get_or_insert(n);
        };
        if line.is_empty() {
            continue;
        }
        match line {
            "strict\t1" => table.strict = true,
            "strict\t0" => table.strict = false,
            _ => match parse_entry(line) {
                Some((tab, entry)) => {
                    let entries = table.tabs.entry(tab).or_default();
                    match entries.iter().position(|e| e.fingerprint == entry.fingerprint) {
                        // A duplicate can only come from damage: keep the more cautious (earlier) state.
                        Some(i) => {
                            if entry.state.rank() < entries[i].state.rank() {
                                entries[i].state = entry.state;
                            }
                            bad();
                        }
                        None if entries.len() < MAX_ENTRIES_PER_TAB => entries.push(entry),
                        None => bad(),
                    }
                }
                None => bad(),
            },
        }
    }
    Ok((table, bad_count, first_bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use GuardEvent as G;
    use SecretState as S;

    fn fp(s: &str) -> GuardKey {
        GuardKey::new(s).unwrap()
    }

    fn detected(tab: u32, frame: u64, f: &str) -> GuardEvent {
        G::Detected { tab, frame, fingerprint: fp(f), label: format!("app — {f}"), at_ms: 1_700_000_000_000 + frame }
    }

    fn state(tab: u32, f: &str, state: S) -> GuardEvent {
        G::StateChanged { tab, fingerprint: fp(f), state }
    }

    #[test]
    fn fingerprint_rules() {
        assert!(GuardKey::new("abc:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0").is_some());
        assert!(GuardKey::new("").is_none());
        assert!(GuardKey::new("has space").is_none());
        assert!(GuardKey::new("tab\there").is_none());
        assert!(GuardKey::new("é").is_none());
        assert!(GuardKey::new(&"x".repeat(MAX_FINGERPRINT_LEN + 1)).is_none());
    }

    #[test]
    fn arms_on_detection_and_disarms_on_copy() {
        let mut t = GuardTable::new(false);
        assert!(!t.armed(7));
        let o = t.apply(detected(7, 3, "abc:1"));
        assert_eq!(o, Outcome { tab: 7, changed: true, armed: true, badge: 1 });
        assert!(!t.armed(8), "other tabs unaffected");
        let o = t.apply(state(7, "abc:1", S::Copied));
        assert!(o.changed && !o.armed && o.badge == 0);
    }

    /// Firefox's frame ids exceed 32 bits: kept exactly, also through `storage.session`
    /// (they were cut to u32::MAX, so the popup's Show prompt went to no frame).
    #[test]
    fn firefox_frame_ids_are_kept_exactly() {
        let big: u64 = (1 << 32) + 17;
        let mut t = GuardTable::new(false);
        t.apply(detected(2, big, "a"));
        assert_eq!(t.entries(2)[0].frame, big);
        let (back, skipped) = GuardTable::restore(Some(&t.to_storage()), false);
        assert_eq!(skipped, 0);
        assert_eq!(back.entries(2)[0].frame, big);
    }

    #[test]
    fn strict_mode_waits_for_saved() {
        let mut t = GuardTable::new(true);
        t.apply(detected(1, 0, "a"));
        assert!(t.apply(state(1, "a", S::Copied)).armed);
        assert!(t.armed(1));
        assert!(t.set_strict(true).is_empty(), "no change, nothing to publish");
        assert_eq!(t.set_strict(false), vec![Outcome { tab: 1, changed: true, armed: false, badge: 0 }]);
        assert!(!t.armed(1));
        assert_eq!(t.set_strict(true), vec![Outcome { tab: 1, changed: true, armed: true, badge: 1 }]);
        assert!(t.armed(1));
        let o = t.apply(state(1, "a", S::Saved));
        assert!(!o.armed);
        t.apply(detected(1, 0, "b"));
        assert!(!t.apply(state(1, "b", S::ConfirmedByUser)).armed);
    }

    #[test]
    fn never_goes_backwards_and_redetection_does_not_rearm() {
        let mut t = GuardTable::new(false);
        t.apply(detected(1, 5, "a"));
        t.apply(state(1, "a", S::Saved));
        assert!(!t.apply(state(1, "a", S::Shown)).changed);
        assert!(!t.apply(state(1, "a", S::Copied)).changed);
        let o = t.apply(detected(1, 9, "a"));
        assert!(!o.armed, "re-detected saved secret stays disarmed");
        assert_eq!(t.entries(1)[0].frame, 9);
    }

    #[test]
    fn frame_gone_keeps_guard_and_follows_redetection() {
        let mut t = GuardTable::new(false);
        t.apply(detected(4, 12, "a"));
        t.apply(detected(4, 0, "b"));
        t.apply(state(4, "b", S::Copied));
        let o = t.apply(G::FrameGone { tab: 4, frame: 12 });
        assert!(o.changed && o.armed && o.badge == 1);
        assert!(t.unsaved(4)[0].frame_gone);
        assert!(!t.apply(G::FrameGone { tab: 4, frame: 12 }).changed, "idempotent");
        assert!(!t.apply(G::FrameGone { tab: 4, frame: 99 }).changed);
        let o = t.apply(detected(4, 13, "a"));
        assert!(o.changed && o.armed);
        assert_eq!((t.unsaved(4)[0].frame, t.unsaved(4)[0].frame_gone), (13, false));
    }

    #[test]
    fn leaving_clears_only_that_tab() {
        for clear in [G::TabNavigatedAway { tab: 1 }, G::UserConfirmedLeave { tab: 1 }, G::TabClosed { tab: 1 }] {
            let mut t = GuardTable::new(false);
            t.apply(detected(1, 0, "a"));
            t.apply(detected(2, 0, "a"));
            let o = t.apply(clear.clone());
            assert!(o.changed && !o.armed && o.badge == 0, "{clear:?}");
            assert!(t.armed(2));
            assert!(!t.apply(clear).changed);
            // No nagging afterwards: a late state change for the cleared secret is ignored.
            assert!(!t.apply(state(1, "a", S::Copied)).armed);
        }
    }

    #[test]
    fn badge_and_popup_list() {
        let mut t = GuardTable::new(false);
        t.apply(detected(3, 2, "b"));
        t.apply(detected(3, 1, "a"));
        t.apply(detected(3, 3, "c"));
        t.apply(state(3, "c", S::Copied));
        assert_eq!(t.badge_count(3), 2);
        let list: Vec<&str> = t.unsaved(3).iter().map(|e| e.fingerprint.as_str()).collect();
        assert_eq!(list, ["a", "b"], "oldest first");
    }

    #[test]
    fn labels_are_cleaned() {
        let mut t = GuardTable::new(false);
        t.apply(G::Detected { tab: 1, frame: 0, fingerprint: fp("a"), label: "x\n\ty\u{2028}z".repeat(100), at_ms: 0 });
        let l = &t.entries(1)[0].label;
        assert!(l.chars().count() <= MAX_LABEL_CHARS);
        assert!(!l.contains(['\n', '\t', '\u{2028}']));
    }

    /// A blade iframe first labels its secret with the client ID, then with the app's name
    /// once the top frame gave it: the same secret, relabelled (the popup lists the name);
    /// its state and detection time stay.
    #[test]
    fn a_better_label_replaces_the_first() {
        let mut t = GuardTable::new(false);
        t.apply(G::Detected { tab: 1, frame: 5, fingerprint: fp("a"), label: "0f67bade: ci".into(), at_ms: 10 });
        t.apply(state(1, "a", S::Copied));
        let o = t.apply(G::Detected { tab: 1, frame: 5, fingerprint: fp("a"), label: "Billing API: ci".into(), at_ms: 20 });
        assert!(o.changed, "the new label is stored and published");
        let e = &t.entries(1)[0];
        assert_eq!((e.label.as_str(), e.state, e.detected_at_ms), ("Billing API: ci", S::Copied, 10));
        assert!(!t.apply(G::Detected { tab: 1, frame: 5, fingerprint: fp("a"), label: "Billing API: ci".into(), at_ms: 30 }).changed);
        assert!(!t.apply(G::Detected { tab: 1, frame: 5, fingerprint: fp("a"), label: String::new(), at_ms: 30 }).changed, "no label keeps the old");
        assert_eq!(t.entries(1)[0].label, "Billing API: ci");
    }

    #[test]
    fn cap_evicts_tombstones_but_never_armed_entries() {
        let mut t = GuardTable::new(false);
        for i in 0..MAX_ENTRIES_PER_TAB {
            t.apply(detected(1, 0, &format!("f{i}")));
        }
        assert!(!t.apply(detected(1, 0, "extra")).changed, "full of armed entries");
        assert_eq!(t.badge_count(1), MAX_ENTRIES_PER_TAB as u32);
        t.apply(state(1, "f0", S::Saved));
        assert!(t.apply(detected(1, 0, "extra")).changed);
        assert!(t.entries(1).iter().all(|e| e.fingerprint.as_str() != "f0"));
    }

    #[test]
    fn survives_background_restart() {
        let mut t = GuardTable::new(true);
        t.apply(detected(10, 0, "a"));
        t.apply(detected(10, 17, "b"));
        t.apply(G::Detected { tab: 11, frame: 2, fingerprint: fp("c"), label: "tab\there\\ and\nnewline é".into(), at_ms: 5 });
        t.apply(state(10, "b", S::Copied));
        t.apply(G::FrameGone { tab: 10, frame: 17 });
        t.apply(detected(12, 0, "d"));
        t.apply(state(12, "d", S::Saved));
        let stored = t.to_storage();

        // The service worker dies; a new one rebuilds from storage.session.
        let back = GuardTable::from_storage(&stored).unwrap();
        assert_eq!(back, t);
        let (restored, skipped) = GuardTable::restore(Some(&stored), false);
        assert_eq!((restored.clone(), skipped), (t.clone(), 0));
        assert!(restored.strict());
        assert!(restored.armed(10) && restored.armed(11) && !restored.armed(12));
        assert_eq!(restored.badge_count(10), 2, "copied counts in strict mode");

        // Events keep working on the restored table.
        let mut r = restored;
        assert!(r.apply(state(10, "a", S::Saved)).armed, "b is only copied");
        assert!(!r.apply(state(10, "b", S::Saved)).armed);
    }

    #[test]
    fn garbage_storage_never_panics() {
        let header = format!("{HEADER}\n");
        let inputs = [
            String::new(),
            "garbage".to_string(),
            "shownonce-guard 2\nstrict\t1\n".to_string(),
            header.clone() + "e\t1\t2\n",
            header.clone() + "e\tx\t0\tshown\t0\t0\tfp\tl\n",
            header.clone() + "e\t1\t0\tlost\t0\t0\tfp\tl\n",
            header.clone() + "e\t1\t0\tshown\t0\t2\tfp\tl\n",
            header.clone() + "e\t1\t0\tshown\t0\t0\t\tl\n",
            header.clone() + "e\t1\t0\tshown\t0\t0\tfp\tbad\\escape\\\n",
            header.clone() + "e\t4294967296\t0\tshown\t0\t0\tfp\tl\n",
            header.clone() + "\u{0}\u{ffff}\t\t\t\n\\",
        ];
        for s in &inputs {
            assert!(GuardTable::from_storage(s).is_err(), "{s:?}");
            let _ = GuardTable::restore(Some(s), false);
        }
        assert_eq!(GuardTable::restore(None, true).0, GuardTable::new(true));
        // Lenient restore keeps the good lines around a damaged one.
        let s = header + "e\t1\t0\tshown\t0\t0\tgood\tl\nnonsense\ne\t2\t0\tcopied\t0\t1\tok\t\n";
        assert_eq!(GuardTable::from_storage(&s), Err(StorageError::BadLine(3)));
        let (t, skipped) = GuardTable::restore(Some(&s), false);
        assert_eq!(skipped, 1);
        assert!(t.armed(1) && !t.armed(2));
        assert_eq!(t.entries(2).len(), 1);
    }
}
