//! Detections and their deduplication. Nothing here holds the secret value:
//! only its 3-char hint, which Microsoft Graph itself exposes.

use super::grid::{analyze_row, RowFinding, RowSnapshot};
use super::route::{CredRoute, Route};
use super::secret::{marvin64, SecretKind};

/// Identifies one secret without its value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// First 3 characters of the value.
    pub hint: String,
    /// Secret ID (lower case) when known, else the description.
    pub key: FingerprintKey,
}

/// The second half of a [`Fingerprint`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FingerprintKey {
    /// The Secret ID GUID, lower case.
    SecretId(String),
    /// The description, when no Secret ID is known (may be empty).
    Description(String),
}

impl Fingerprint {
    /// Builds a fingerprint, preferring the secret id over the description.
    pub fn new(hint: &str, secret_id: Option<&str>, description: Option<&str>) -> Fingerprint {
        let key = match secret_id {
            Some(id) => FingerprintKey::SecretId(id.trim().to_ascii_lowercase()),
            None => FingerprintKey::Description(description.unwrap_or("").to_owned()),
        };
        Fingerprint { hint: hint.to_owned(), key }
    }

    /// Compact printable-ASCII form without spaces (at most 41 bytes), as
    /// `core::guard::GuardKey::new` accepts: `<hint>.<secret id>` or
    /// `<hint>.d<16 hex digits of a hash of the description>`.
    pub fn to_key(&self) -> String {
        let mut s = String::with_capacity(41);
        for c in self.hint.chars().take(3) {
            s.push(if c.is_ascii_graphic() { c } else { '_' });
        }
        s.push('.');
        match &self.key {
            FingerprintKey::SecretId(id) => s.extend(id.chars().filter(char::is_ascii_graphic).take(36)),
            FingerprintKey::Description(d) => {
                s.push('d');
                let h = marvin64(0x5368_6f77_6e4f_6e63, d.as_bytes()); // "ShownOnc"
                for i in (0..16).rev() {
                    s.push(char::from_digit(((h >> (i * 4)) & 0xf) as u32, 16).unwrap_or('0'));
                }
            }
        }
        s
    }
}

/// Most fingerprints a [`Seen`] keeps; the oldest are forgotten first.
pub const MAX_SEEN: usize = 256;

/// Bounded registry of secrets already reported in this frame.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    items: Vec<Fingerprint>,
}

impl Seen {
    /// An empty registry.
    pub fn new() -> Seen {
        Seen::default()
    }

    /// Records `fp`; true the first time it is seen.
    pub fn insert(&mut self, fp: Fingerprint) -> bool {
        if self.items.contains(&fp) {
            return false;
        }
        if self.items.len() >= MAX_SEEN {
            self.items.remove(0);
        }
        self.items.push(fp);
        true
    }

    /// True if `fp` was recorded.
    pub fn contains(&self, fp: &Fingerprint) -> bool {
        self.items.contains(fp)
    }

    /// Forgets `fp`; true if it was recorded.
    pub fn remove(&mut self, fp: &Fingerprint) -> bool {
        let before = self.items.len();
        self.items.retain(|f| f != fp);
        self.items.len() != before
    }

    /// Number of fingerprints recorded.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Forgets everything (e.g. on navigation to another app).
    pub fn clear(&mut self) {
        self.items.clear();
    }
}

/// A shown-once secret found on the page, without its value (which stays
/// with the DOM layer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    /// First 3 characters of the value.
    pub hint: String,
    /// Secret format.
    pub kind: SecretKind,
    /// Secret ID (GUID), lower case.
    pub secret_id: Option<String>,
    /// The user's description.
    pub description: Option<String>,
    /// Expiry date as the portal shows it.
    pub expires: Option<String>,
    /// Application (client) id.
    pub app_id: Option<String>,
    /// Application display name.
    pub app_name: Option<String>,
    /// Directory from the route (tenant GUID or domain, as the URL gave it).
    pub tenant_id: Option<String>,
}

/// The longest app display name taken from another frame (Entra allows 256 characters).
pub const MAX_APP_NAME_CHARS: usize = 256;

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Detection {
    /// Builds a detection from a grid finding plus what the frame knows of
    /// the route and the blade title (both unknown inside a reactblade iframe).
    pub fn from_finding(f: &RowFinding, route: Option<&CredRoute>, app_name: Option<&str>) -> Detection {
        Detection {
            hint: f.hint.to_owned(),
            kind: f.kind,
            secret_id: Some(f.secret_id.to_ascii_lowercase()),
            description: owned(f.description),
            expires: owned(f.expires),
            app_id: route.and_then(|r| r.app_id.clone()),
            app_name: owned(app_name),
            tenant_id: route.and_then(|r| r.directory.clone()),
        }
    }

    /// Takes the app's display name the portal's top frame read from its blade title, for a
    /// detection made inside a blade iframe (which cannot see that title). Only if both sides
    /// name the same app: the top frame's route must carry this detection's client ID (the
    /// user may have moved on to another app meanwhile), and only a name fit for display
    /// (non-empty, at most [`MAX_APP_NAME_CHARS`], no control or invisible format characters).
    /// Returns whether the name was taken.
    pub fn take_app_name(&mut self, top_app_id: Option<&str>, name: &str) -> bool {
        let name = name.trim();
        let same_app = matches!((self.app_id.as_deref(), top_app_id), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b.trim()));
        let fit =
            !name.is_empty() && name.chars().count() <= MAX_APP_NAME_CHARS && !name.chars().any(|c| c.is_control() || super::text::is_invisible_format(c));
        if !same_app || !fit || self.app_name.is_some() {
            return false;
        }
        self.app_name = Some(name.to_owned());
        true
    }

    /// The deduplication key.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::new(&self.hint, self.secret_id.as_deref(), self.description.as_deref())
    }

    /// Short human label: `<app name or id>: <description>`, or the hint.
    pub fn label(&self) -> String {
        let app = self.app_name.as_deref().or(self.app_id.as_deref());
        let mut s = String::new();
        if let Some(a) = app {
            s.push_str(a);
        }
        if let Some(d) = &self.description {
            if !s.is_empty() {
                s.push_str(": ");
            }
            s.push_str(d);
        }
        if s.is_empty() {
            s.push_str(&self.hint);
            s.push('…');
        }
        s
    }
}

/// Whether a frame's route permits prompting. Unknown routes (`None`: a
/// reactblade iframe cannot see the shell URL) and unrecognised ones are
/// allowed, since the row shape is strict; Key Vault blades never prompt
/// (the secret is already in a safe store).
pub fn route_allows(route: Option<&Route>) -> bool {
    !matches!(route, Some(Route::KeyVault))
}

/// One-call path for the DOM layer: analyse a row and, if it shows a secret
/// and the route allows it, return the finding (value range) and detection.
pub fn detect_row<'a>(row: &'a RowSnapshot<'a>, route: Option<&Route>, app_name: Option<&str>) -> Option<(RowFinding<'a>, Detection)> {
    if !route_allows(route) {
        return None;
    }
    let f = analyze_row(row)?;
    let d = Detection::from_finding(&f, route.and_then(Route::app), app_name);
    Some((f, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "6B2D1F7E-3C4A-4E5B-9A8D-0F1E2D3C4B5A";
    const SAMPLE: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";
    const APP: &str = "11111111-2222-3333-4444-555555555555";

    /// The background accepts the key (the guard's own validation, not a copy of its rule).
    fn guard_ok(s: &str) -> bool {
        crate::core::guard::GuardKey::new(s).is_some()
    }

    #[test]
    fn detection_has_no_value() {
        let cells = ["my app secret", "5/26/2027", SAMPLE, SID];
        let row = RowSnapshot { cells: &cells, headers: &[], fresh: true };
        let route = Route::Credentials(CredRoute { app_id: Some(APP.into()), directory: Some("contoso.onmicrosoft.com".into()) });
        let (f, d) = detect_row(&row, Some(&route), Some(" My App ")).unwrap();
        assert_eq!(&cells[f.value_cell][f.start..f.end], SAMPLE);
        assert_eq!(d.hint, "zzz");
        assert_eq!(d.kind, SecretKind::Current);
        assert_eq!(d.secret_id.as_deref(), Some(&*SID.to_ascii_lowercase()));
        assert_eq!(d.description.as_deref(), Some("my app secret"));
        assert_eq!(d.expires.as_deref(), Some("5/26/2027"));
        assert_eq!(d.app_id.as_deref(), Some(APP));
        assert_eq!(d.app_name.as_deref(), Some("My App"));
        assert_eq!(d.tenant_id.as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(d.label(), "My App: my app secret");
        let dbg = format!("{d:?}{:?}{}", d.fingerprint(), d.fingerprint().to_key());
        assert!(!dbg.contains(&SAMPLE[3..]), "{dbg}");
        // Key Vault blade: never; unknown route (iframe): allowed.
        assert!(detect_row(&row, Some(&Route::KeyVault), None).is_none());
        let (_, d) = detect_row(&row, None, None).unwrap();
        assert_eq!((d.label(), d.app_id, d.tenant_id), ("my app secret".to_string(), None, None));
    }

    /// A blade iframe's detection takes the app's name from the top frame only when the top
    /// frame's route names the same client ID, and only a displayable name.
    #[test]
    fn app_name_from_the_top_frame() {
        let cells = ["ci", "5/26/2027", SAMPLE, SID];
        let row = RowSnapshot { cells: &cells, headers: &[], fresh: true };
        let route = Route::Credentials(CredRoute { app_id: Some(APP.into()), directory: None });
        let (_, fresh) = detect_row(&row, Some(&route), None).unwrap();
        assert_eq!(fresh.label(), format!("{APP}: ci"));
        let other = "99999999-2222-3333-4444-555555555555";
        for (top, name) in [(None, "Billing"), (Some(other), "Billing"), (Some(APP), "  "), (Some(APP), "a\u{202E}b"), (Some(APP), "x\ny")] {
            let mut d = fresh.clone();
            assert!(!d.take_app_name(top, name), "{top:?} {name:?}");
            assert_eq!(d.app_name, None);
        }
        let mut d = fresh.clone();
        assert!(!d.take_app_name(Some(APP), &"n".repeat(MAX_APP_NAME_CHARS + 1)));
        assert!(d.take_app_name(Some(&APP.to_ascii_uppercase()), " Contoso Billing "));
        assert_eq!(d.label(), "Contoso Billing: ci");
        assert!(!d.take_app_name(Some(APP), "Another"), "a name already known stays");
        // No client ID in the iframe's own route: nothing to match, nothing taken.
        let (_, mut blind) = detect_row(&row, None, None).unwrap();
        assert!(!blind.take_app_name(Some(APP), "Billing"));
    }

    #[test]
    fn fingerprints() {
        let a = Fingerprint::new("zzz", Some(SID), Some("x"));
        let b = Fingerprint::new("zzz", Some(&SID.to_ascii_lowercase()), Some("other"));
        assert_eq!(a, b); // the secret id wins over the description
        let c = Fingerprint::new("zzz", None, Some("desc with spaces é"));
        let d = Fingerprint::new("zzz", None, Some("desc with spaces e"));
        assert_ne!(c, d);
        assert_ne!(c.to_key(), d.to_key());
        assert_eq!(a.to_key(), ["zzz.", &SID.to_ascii_lowercase()].concat());
        for fp in [&a, &c, &d, &Fingerprint::new("a b", None, None)] {
            let k = fp.to_key();
            assert!(guard_ok(&k) && k.len() <= 41, "{k}");
        }
        assert_ne!(Fingerprint::new("zzz", Some(SID), None), Fingerprint::new("zzy", Some(SID), None));
    }

    #[test]
    fn seen_is_bounded() {
        let mut seen = Seen::new();
        let fp = |i: usize| Fingerprint::new("abc", None, Some(&i.to_string()));
        assert!(seen.is_empty());
        assert!(seen.insert(fp(0)));
        assert!(!seen.insert(fp(0)));
        for i in 1..MAX_SEEN + 10 {
            assert!(seen.insert(fp(i)));
        }
        assert_eq!(seen.len(), MAX_SEEN);
        assert!(!seen.contains(&fp(0)));
        assert!(seen.contains(&fp(MAX_SEEN + 9)));
        assert!(seen.remove(&fp(MAX_SEEN + 9)));
        assert!(!seen.remove(&fp(MAX_SEEN + 9)));
        seen.clear();
        assert!(seen.insert(fp(1)));
    }
}
