//! What the save prompt says about a detection: its accessible name and description and the
//! one-line summary on the card. Pure, so the wording (and the written-out date for an
//! ambiguous expiry) is tested natively; the prompt page only draws it.
use super::date::parse_expiry;
use super::detect::Detection;
use super::i18n::{tr, written_date};

/// The prompt's texts for one detection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptTexts {
    /// Accessible name of the dialog.
    pub name: String,
    /// Accessible description (what a screen reader reads after the name).
    pub desc: String,
    /// "app · description · expires …" on the card (empty when the page showed none of them).
    pub meta: String,
    /// "Client ID <guid>" under it when the app is named by its display name (empty when the
    /// client ID is unknown, or already stands in for the name).
    pub client: String,
}

/// The expiry written out ("3 April 2027", or in the UI language) when its text alone reads
/// two ways in the page's regional format `locale`; `None` when it is unambiguous or not a date.
fn written_out(shown: &str, locale: &str) -> Option<String> {
    let e = parse_expiry(shown, locale)?;
    e.ambiguous.then(|| written_date(&e.date))
}

/// `shown`, followed by its written-out date in parentheses when it reads two ways.
fn with_written(shown: &str, written: Option<&String>) -> String {
    match written {
        Some(w) => format!("{shown} ({w})"),
        None => shown.to_owned(),
    }
}

/// Builds the texts for `d`, reading dates by `locale` (the page's `<html lang>`).
pub fn prompt_texts(d: &Detection, locale: &str) -> PromptTexts {
    let app = d.app_name.as_deref().or(d.app_id.as_deref());
    let name = match app {
        Some(app) => tr("promptDialogNameOf", &[app]),
        None => tr("promptDialogName", &[]),
    };
    let written = d.expires.as_deref().and_then(|x| written_out(x, locale));
    let mut desc = Vec::new();
    if let Some(x) = &d.description {
        desc.push(tr("promptDescDescription", &[x]));
    }
    if let Some(x) = &d.expires {
        desc.push(tr("promptDescExpires", &[&with_written(x, written.as_ref())]));
    }
    desc.push(tr("promptDescValue", &[&d.hint]));
    let desc = desc.join(" ");
    let mut meta = String::new();
    for part in [app, d.description.as_deref()].into_iter().flatten() {
        if !meta.is_empty() {
            meta.push_str(" · ");
        }
        meta.push_str(part);
    }
    if let Some(x) = &d.expires {
        // `3/4/2027` reads two ways: say which date goes into a store.
        let x = with_written(x, written.as_ref());
        if meta.is_empty() {
            meta = tr("promptMetaExpires", &[&x]);
        } else {
            meta.push_str(" · ");
            meta.push_str(&tr("promptMetaExpiresLater", &[&x]));
        }
    }
    let client = match (&d.app_name, &d.app_id) {
        (Some(_), Some(id)) => tr("promptClientId", &[id]),
        _ => String::new(),
    };
    PromptTexts { name, desc, meta, client }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secret::SecretKind;

    fn detection(expires: &str) -> Detection {
        Detection {
            hint: "abc".into(),
            kind: SecretKind::Current,
            secret_id: None,
            description: Some("ci".into()),
            expires: Some(expires.into()),
            app_id: Some("11111111-2222-4333-8444-555555555555".into()),
            app_name: Some("Contoso Billing API".into()),
            tenant_id: None,
        }
    }

    #[test]
    fn names_the_app_and_describes_the_secret() {
        let t = prompt_texts(&detection("5/26/2027"), "en-US");
        assert_eq!(t.name, "ShownOnce: save the new client secret of Contoso Billing API");
        assert_eq!(t.desc, "Description: ci. Expires: 5/26/2027. Value starting abc is shown only once and never again after you leave this page.");
        assert_eq!(t.meta, "Contoso Billing API · ci · expires 5/26/2027");
        assert_eq!(t.client, "Client ID 11111111-2222-4333-8444-555555555555");
        // Named by its client ID only (a blade iframe before the top frame answered): said once.
        let mut by_id = detection("x");
        by_id.app_name = None;
        let t = prompt_texts(&by_id, "en-US");
        assert!(t.meta.starts_with("11111111-2222-4333-8444-555555555555 · ci") && t.client.is_empty(), "{t:?}");
        let mut bare = detection("x");
        (bare.app_name, bare.app_id, bare.description, bare.expires) = (None, None, None, None);
        let t = prompt_texts(&bare, "en-US");
        assert_eq!((t.name.as_str(), t.meta.as_str()), ("ShownOnce: save the new client secret", ""));
        assert!(t.desc.starts_with("Value starting abc"), "{}", t.desc);
    }

    #[test]
    fn an_ambiguous_expiry_is_written_out_by_the_page_locale() {
        // 3/4/2027: 4 March in en-US, 3 April in en-GB; 26/5/2027 reads one way only.
        let us = prompt_texts(&detection("3/4/2027"), "en-US");
        let gb = prompt_texts(&detection("3/4/2027"), "en-GB");
        assert!(us.desc.contains("(4 March 2027)") && us.meta.contains("(4 March 2027)"), "{us:?}");
        assert!(gb.desc.contains("(3 April 2027)") && gb.meta.contains("(3 April 2027)"), "{gb:?}");
        let plain = prompt_texts(&detection("26/5/2027"), "en-GB");
        assert!(!plain.desc.contains('(') && !plain.meta.contains('('), "{plain:?}");
    }
}
