//! Client-secrets grid model, language independent: a row is recognised by the
//! shape of its cells (secret, GUID, date); header labels are only a hint.

use super::secret::{find_guid, find_secret, hint, is_guid, is_masked, looks_like_old_secret, SecretKind};
use super::text::{is_blank, is_space, trim};

/// Plain-text snapshot of one grid row, as read by the DOM layer.
#[derive(Clone, Copy, Debug)]
pub struct RowSnapshot<'a> {
    /// Text of each cell, in display order.
    pub cells: &'a [&'a str],
    /// Column header labels aligned with `cells`; may be empty (ignored unless
    /// the lengths match).
    pub headers: &'a [&'a str],
    /// The row appeared after the page loaded (a freshly added secret).
    pub fresh: bool,
}

/// Role of a column, from its header label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// The user's description of the secret.
    Description,
    /// Expiry date.
    Expires,
    /// The secret value (full once, masked afterwards).
    Value,
    /// The secret's key id (a GUID).
    SecretId,
    /// Unknown or missing label.
    Unknown,
}

// Labels from Microsoft's translated docs (en, de, fr, ja, zh); compared as
// case-insensitive prefixes with white space ignored.
const LABELS: &[(&str, Column)] = &[
    ("Secret ID", Column::SecretId),
    ("Geheimnis-ID", Column::SecretId),
    ("ID du secret", Column::SecretId),
    ("シークレット ID", Column::SecretId),
    ("Description", Column::Description),
    ("Beschreibung", Column::Description),
    ("説明", Column::Description),
    ("说明", Column::Description),
    ("Expire", Column::Expires), // en "Expires", fr "Expire"
    ("Gültig bis", Column::Expires),
    ("有効期限", Column::Expires),
    ("过期", Column::Expires),
    ("Value", Column::Value),
    ("Wert", Column::Value),
    ("Valeur", Column::Value),
    ("値", Column::Value),
    ("值", Column::Value),
];

fn label_prefix(header: &str, label: &str) -> bool {
    let mut h = header.chars().filter(|c| !is_space(*c));
    label.chars().filter(|c| !is_space(*c)).all(|l| h.next().is_some_and(|c| c.eq_ignore_ascii_case(&l)))
}

/// Maps a header label to a column role (en, de, fr, ja, zh; any label ending
/// in `ID` counts as the Secret ID column, the grid's only id column).
pub fn column_of_header(header: &str) -> Column {
    let h = trim(header);
    if h.is_empty() {
        return Column::Unknown;
    }
    if let Some((_, c)) = LABELS.iter().find(|(l, _)| label_prefix(h, l)) {
        return *c;
    }
    let b = h.as_bytes();
    if b.len() >= 2 && b[b.len() - 2..].eq_ignore_ascii_case(b"id") && b.get(b.len().wrapping_sub(3)).is_none_or(|c| !c.is_ascii_alphabetic()) {
        return Column::SecretId;
    }
    Column::Unknown
}

/// True for a numeric date such as `5/26/2027`, `26.05.2027`, `2027/05/26`,
/// `2027-05-26` or `2027年5月26日`: three digit groups, the year (4 digits)
/// first or last, only separators between them (no month names).
pub fn is_date_like(s: &str) -> bool {
    let mut lens = [0usize; 3];
    let mut n = 0;
    let mut in_group = false;
    for c in trim(s).chars() {
        if c.is_ascii_digit() {
            if !in_group {
                if n == 3 {
                    return false;
                }
                n += 1;
                in_group = true;
            }
            lens[n - 1] += 1;
        } else if matches!(c, '/' | '.' | '-' | ',' | '年' | '月' | '日' | '년' | '월' | '일') || is_space(c) {
            in_group = false;
        } else {
            return false;
        }
    }
    let small = |l: usize| (1..=2).contains(&l);
    n == 3 && ((lens[0] == 4 && small(lens[1]) && small(lens[2])) || (lens[2] == 4 && small(lens[0]) && small(lens[1])))
}

/// A client-secrets row whose Value cell shows a full secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowFinding<'a> {
    /// Index of the Value cell.
    pub value_cell: usize,
    /// Byte range of the secret inside `cells[value_cell]`.
    pub start: usize,
    /// End of that byte range (exclusive).
    pub end: usize,
    /// Which secret format matched.
    pub kind: SecretKind,
    /// First 3 characters of the secret (Graph's `hint`).
    pub hint: &'a str,
    /// Index of the Secret ID cell.
    pub secret_id_cell: usize,
    /// The Secret ID (GUID) as shown.
    pub secret_id: &'a str,
    /// Description text, trimmed.
    pub description: Option<&'a str>,
    /// Expiry date as shown, trimmed.
    pub expires: Option<&'a str>,
}

/// A client-secrets row whose value is masked (`abc******`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedRow<'a> {
    /// Index of the Value cell.
    pub value_cell: usize,
    /// The 3 visible characters.
    pub hint: &'a str,
    /// The Secret ID (GUID) as shown.
    pub secret_id: &'a str,
}

struct Roles<'a> {
    row: &'a RowSnapshot<'a>,
    aligned: bool,
}

impl Roles<'_> {
    fn of(&self, i: usize) -> Column {
        if self.aligned {
            column_of_header(self.row.headers[i])
        } else {
            Column::Unknown
        }
    }
    fn has(&self, c: Column) -> bool {
        (0..self.row.cells.len()).any(|i| self.of(i) == c)
    }
    /// Could cell `i` be the Value cell? Never the Secret ID column, never a
    /// cell holding a GUID; only the Value column when a header names one.
    fn value_ok(&self, i: usize, sid: usize, value_header: bool) -> bool {
        let role = self.of(i);
        i != sid && find_guid(self.row.cells[i]).is_none() && if value_header { role == Column::Value } else { role == Column::Unknown }
    }
}

/// The Secret ID cell: the header-named one, else an exact GUID cell, else
/// the first cell containing a GUID.
fn secret_id_of<'a>(row: &RowSnapshot<'a>, roles: &Roles) -> Option<(usize, &'a str)> {
    let cells = row.cells;
    let at = |i: usize| find_guid(cells[i]).map(|(s, e)| (i, &cells[i][s..e]));
    (0..cells.len())
        .filter(|&i| roles.of(i) == Column::SecretId)
        .find_map(at)
        .or_else(|| (0..cells.len()).find(|&i| is_guid(cells[i])).and_then(at))
        .or_else(|| (0..cells.len()).filter(|&i| roles.of(i) == Column::Unknown).find_map(at))
}

fn offset_in(outer: &str, inner: &str) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// Recognises a client-secrets row showing a full secret. Returns `None` for
/// masked rows, rows without a GUID cell (e.g. a Key Vault value field), and
/// secrets found only in the Secret ID, Description or Expires columns.
pub fn analyze_row<'a>(row: &'a RowSnapshot<'a>) -> Option<RowFinding<'a>> {
    let cells = row.cells;
    // Cheap reject: a row without `Q~` can only hold an old-format secret, and
    // those are only considered in fresh rows.
    if !row.fresh && !cells.iter().any(|c| c.contains("Q~")) {
        return None;
    }
    let roles = Roles { row, aligned: !row.headers.is_empty() && row.headers.len() == cells.len() };
    let (sid, secret_id) = secret_id_of(row, &roles)?;
    // A row whose value is masked shows no secret, whatever other cells say.
    if cells.iter().any(|c| is_masked(c)) {
        return None;
    }
    let value_header = roles.has(Column::Value);
    let ok = |i: usize| roles.value_ok(i, sid, value_header);

    // Current/legacy secret; prefer one that fills its cell over one inside other text.
    let mut found: Option<(usize, usize, usize, SecretKind)> = None;
    for i in (0..cells.len()).filter(|&i| ok(i)) {
        if let Some((s, e, k)) = find_secret(cells[i]) {
            let fills = trim(cells[i]).len() == e - s;
            if found.is_none() || fills {
                found = Some((i, s, e, k));
            }
            if fills {
                break;
            }
        }
    }
    // Old format: only in a fresh row, only a token that fills its cell; the
    // Value column comes after Description, so the last candidate wins.
    if found.is_none() && row.fresh {
        found = (0..cells.len()).rev().find(|&i| ok(i) && looks_like_old_secret(cells[i])).map(|i| {
            let t = trim(cells[i]);
            let s = offset_in(cells[i], t);
            (i, s, s + t.len(), SecretKind::Old)
        });
    }
    let (vi, start, end, kind) = found?;

    let other = |i: usize| i != vi && i != sid && !is_blank(cells[i]);
    let expires = (0..cells.len())
        .find(|&i| other(i) && roles.of(i) == Column::Expires)
        .or_else(|| (0..cells.len()).find(|&i| other(i) && roles.of(i) == Column::Unknown && is_date_like(cells[i])))
        .map(|i| trim(cells[i]));
    let description = (0..cells.len())
        .find(|&i| other(i) && roles.of(i) == Column::Description)
        .or_else(|| {
            (0..cells.len())
                .find(|&i| other(i) && roles.of(i) == Column::Unknown && !is_date_like(cells[i]) && !is_masked(cells[i]) && find_guid(cells[i]).is_none())
        })
        .map(|i| trim(cells[i]));
    Some(RowFinding { value_cell: vi, start, end, kind, hint: hint(&cells[vi][start..end]), secret_id_cell: sid, secret_id, description, expires })
}

/// Recognises a client-secrets row whose value is masked, so a captured
/// secret can be tied to its row again by (hint, secret id).
pub fn analyze_masked_row<'a>(row: &'a RowSnapshot<'a>) -> Option<MaskedRow<'a>> {
    let cells = row.cells;
    if !cells.iter().any(|c| c.contains("******")) {
        return None;
    }
    let roles = Roles { row, aligned: !row.headers.is_empty() && row.headers.len() == cells.len() };
    let (sid, secret_id) = secret_id_of(row, &roles)?;
    let value_header = roles.has(Column::Value);
    let vi = (0..cells.len()).find(|&i| roles.value_ok(i, sid, value_header) && is_masked(cells[i]))?;
    Some(MaskedRow { value_cell: vi, hint: hint(cells[vi]), secret_id })
}

/// The app name from a blade title `<app name> | Certificates & secrets`
/// (any language: the part before the last `|`).
pub fn app_name_from_title(title: &str) -> Option<&str> {
    let (name, _) = title.rsplit_once('|')?;
    let name = trim(name);
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secret::{make_current, make_legacy};

    const SID: &str = "6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5a";
    const SAMPLE: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";
    const OLD: &str = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE";
    const EN: &[&str] = &["Description", "Expires", "Value", "Secret ID"];
    const DE: &[&str] = &["Beschreibung", "Gültig bis", "Wert", "Geheimnis-ID"];
    const FR: &[&str] = &["Description", "Expire", "Valeur", "ID du secret"];
    const JA: &[&str] = &["説明", "有効期限", "値", "シークレット ID"];
    const ZH: &[&str] = &["说明", "过期", "值", "ID"];

    fn row<'a>(cells: &'a [&'a str], headers: &'a [&'a str], fresh: bool) -> RowSnapshot<'a> {
        RowSnapshot { cells, headers, fresh }
    }

    #[test]
    fn headers_table() {
        use Column::*;
        for (h, want) in [
            ("Description", Description),
            ("  Expires\u{a0}", Expires),
            ("Value ⓘ", Value),
            ("VALUE", Value),
            ("Secret ID", SecretId),
            ("SecretID", SecretId),
            ("Geheimnis-ID", SecretId),
            ("Gültig bis", Expires),
            ("Wert", Value),
            ("Valeur", Value),
            ("ID du secret", SecretId),
            ("シークレットID", SecretId),
            ("値", Value),
            ("值", Value),
            ("过期", Expires),
            ("Id", SecretId),
            ("Kennwort-ID", SecretId),
            ("Valid", Unknown),
            ("", Unknown),
            ("Created", Unknown),
        ] {
            assert_eq!(column_of_header(h), want, "{h:?}");
        }
    }

    #[test]
    fn dates() {
        for (s, want) in [
            ("5/26/2027", true),
            ("26.05.2027", true),
            ("2027/05/26", true),
            ("2027-05-26", true),
            ("2027年5月26日", true),
            ("\u{200e}26/05/2027\u{200e}", true),
            ("2027. 5. 26.", true),
            ("May 26, 2027", false),
            ("26 mai 2027", false),
            ("5/26/27", false),
            ("1.2.3", false),
            ("2027-05-26-01", false),
            ("20270526", false),
            (SID, false),
            ("", false),
        ] {
            assert_eq!(is_date_like(s), want, "{s:?}");
        }
    }

    #[test]
    fn full_secret_rows() {
        let cur = make_current(b"Ab1", b"abcdefghijklmnopqrstuvwxyz01234");
        let legacy = make_legacy(b"7o4", b"abcdefghijklmnopqrstuvwxyz01234");
        let copy_cell = [cur.as_str(), "\u{a0}Copy to clipboard"].concat();
        let nbsp = ["\u{a0}", SAMPLE, "\u{a0}"].concat();
        // (cells, headers, fresh, value cell, start, kind, description, expires)
        type Case<'a> = (Vec<&'a str>, &'a [&'a str], bool, usize, usize, SecretKind, Option<&'a str>, Option<&'a str>);
        let cases: Vec<Case> = vec![
            (vec!["my app", "5/26/2027", SAMPLE, SID], EN, false, 2, 0, SecretKind::Current, Some("my app"), Some("5/26/2027")),
            (vec!["my app", "5/26/2027", SAMPLE, SID], &[], false, 2, 0, SecretKind::Current, Some("my app"), Some("5/26/2027")),
            (vec!["CI", "26.05.2027", &cur, SID], DE, false, 2, 0, SecretKind::Current, Some("CI"), Some("26.05.2027")),
            (vec!["CI", "26/05/2027", &cur, SID], FR, false, 2, 0, SecretKind::Current, Some("CI"), Some("26/05/2027")),
            (vec!["本番", "2027/05/26", &legacy, SID], JA, true, 2, 0, SecretKind::Legacy, Some("本番"), Some("2027/05/26")),
            (vec!["生产", "2027-05-26", SAMPLE, SID], ZH, false, 2, 0, SecretKind::Current, Some("生产"), Some("2027-05-26")),
            (vec!["x", "2027年5月26日", &copy_cell, SID], &[], false, 2, 0, SecretKind::Current, Some("x"), Some("2027年5月26日")),
            (vec!["", "x", "2027-05-26", &nbsp, SID], &[], false, 3, 2, SecretKind::Current, Some("x"), Some("2027-05-26")),
            // Different column order, no description.
            (vec![SID, SAMPLE, "5/26/2027"], &[], false, 1, 0, SecretKind::Current, None, Some("5/26/2027")),
            // Headers that do not line up with the cells are ignored.
            (vec!["", "d", "5/26/2027", SAMPLE, SID], EN, false, 3, 0, SecretKind::Current, Some("d"), Some("5/26/2027")),
            // Old format only in a fresh row, filling its cell.
            (vec!["desc", "5/26/2027", OLD, SID], &[], true, 2, 0, SecretKind::Old, Some("desc"), Some("5/26/2027")),
            (vec!["desc", "5/26/2027", OLD, SID], EN, true, 2, 0, SecretKind::Old, Some("desc"), Some("5/26/2027")),
            // A description that also looks old: the later (Value) cell wins.
            (
                vec!["ProdDeploymentKey2024ForTheWebApp", "5/26/2027", OLD, SID],
                &[],
                true,
                2,
                0,
                SecretKind::Old,
                Some("ProdDeploymentKey2024ForTheWebApp"),
                Some("5/26/2027"),
            ),
        ];
        for (cells, headers, fresh, vi, start, kind, desc, exp) in &cases {
            let r = row(cells, headers, *fresh);
            let f = analyze_row(&r).unwrap_or_else(|| panic!("{cells:?}"));
            assert_eq!((f.value_cell, f.start, f.kind), (*vi, *start, *kind), "{cells:?}");
            let v = &cells[*vi][f.start..f.end];
            assert!(v == SAMPLE || v == cur || v == legacy || v == OLD, "{v:?}");
            assert_eq!(f.hint, &v[..3]);
            assert_eq!(f.secret_id, SID);
            assert_eq!(cells[f.secret_id_cell], SID);
            assert_eq!((f.description, f.expires), (*desc, *exp), "{cells:?}");
        }
    }

    #[test]
    fn rows_that_are_not_findings() {
        let cur = make_current(b"Ab1", b"abcdefghijklmnopqrstuvwxyz01234");
        let sid_cell = ["ID ", SID].concat();
        let both = [SAMPLE, " ", SID].concat();
        let glued = [cur.as_str(), "x"].concat();
        let cases: Vec<(Vec<&str>, &[&str], bool)> = vec![
            // Masked.
            (vec!["d", "5/26/2027", "7o4******************", SID], EN, false),
            (vec!["d", "5/26/2027", "7o4******************", SID], &[], true),
            // Key Vault "Show secret value" field: no GUID anywhere.
            (vec!["Secret value", SAMPLE], &[], false),
            (vec!["Secret value", SAMPLE], &[], true),
            (vec![SAMPLE], &[], false),
            // Secret-shaped text in the Secret ID column (by header).
            (vec!["d", "5/26/2027", "7o4******************", SAMPLE, SID], &["Description", "Expires", "Value", "Secret ID", "Key ID"], false),
            // Secret only inside the GUID cell.
            (vec!["d", "5/26/2027", &both], &[], false),
            // Headers name a Value column that holds no secret; description text does not count.
            (vec![SAMPLE, "5/26/2027", "7o4******************", SID], EN, false),
            // Without headers, a masked cell still marks the row as masked.
            (vec![SAMPLE, "5/26/2027", "7o4******************", SID], &[], false),
            // Bad checksum.
            (vec!["d", "5/26/2027", "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblQ", SID], &[], false),
            // Old-looking token but the row is not fresh.
            (vec!["d", "5/26/2027", OLD, SID], &[], false),
            (vec!["d", "5/26/2027", OLD, SID], EN, false),
            // Fresh, but the old-looking token is in the Description column.
            (vec![OLD, "5/26/2027", "", SID], EN, true),
            // Fresh, but the only candidate is the GUID-bearing cell.
            (vec!["d", "5/26/2027", &sid_cell], &[], true),
            // Glued.
            (vec!["d", "5/26/2027", &glued, SID], &[], false),
            (vec![], &[], true),
            (vec!["", "", ""], &[], true),
        ];
        for (cells, headers, fresh) in &cases {
            assert_eq!(analyze_row(&row(cells, headers, *fresh)), None, "{cells:?} {headers:?}");
        }
    }

    #[test]
    fn masked_rows() {
        for (cells, headers) in [
            (vec!["d", "5/26/2027", "7o4******************", SID], EN),
            (vec!["d", "5/26/2027", "7o4******************", SID], JA),
            (vec!["d", "5/26/2027", "7o4****************** Copy", SID], &[][..]),
        ] {
            let r = row(&cells, headers, false);
            assert_eq!(analyze_masked_row(&r), Some(MaskedRow { value_cell: 2, hint: "7o4", secret_id: SID }), "{cells:?}");
            assert_eq!(analyze_row(&r), None);
        }
        let full = [SAMPLE, SID];
        assert_eq!(analyze_masked_row(&row(&full, &[], false)), None);
        let nosid = ["d", "7o4******************"];
        assert_eq!(analyze_masked_row(&row(&nosid, &[], false)), None);
    }

    #[test]
    fn titles() {
        assert_eq!(app_name_from_title("my-app | Certificates & secrets"), Some("my-app"));
        assert_eq!(app_name_from_title("a | b | 証明書とシークレット"), Some("a | b"));
        assert_eq!(app_name_from_title(" | x"), None);
        assert_eq!(app_name_from_title("Certificates & secrets"), None);
    }
}
