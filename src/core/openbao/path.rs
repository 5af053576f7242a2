//! Secret paths: the template the options set (`azure/<app>/<description>`), rendered with
//! slugs of the secret's context, and the check of a path the user edited in the prompt.

use super::{BaoError, MAX_PATH_CHARS};
use crate::core::i18n::tr;

/// Default path template: one path per app and client secret description.
pub const DEFAULT_PATH_TEMPLATE: &str = "azure/<app>/<description>";

/// Longest slug a placeholder becomes, in characters (the whole path has its own limit).
const MAX_SLUG_CHARS: usize = 64;

/// What placeholders are replaced with. No secret value here.
#[derive(Debug, Clone, Copy)]
pub struct PathContext<'a> {
    /// App display name (`<app>`).
    pub app_name: &'a str,
    /// Application (client) ID (`<client_id>`).
    pub client_id: &'a str,
    /// Directory (tenant) ID (`<tenant_id>`).
    pub tenant_id: &'a str,
    /// The client secret's Secret ID (`<secret_id>`).
    pub secret_id: &'a str,
    /// The client secret's description (`<description>`).
    pub description: &'a str,
}

/// Lowercase ASCII letters and digits, `-` for each run of anything else, no `-` at the
/// ends, at most 64 characters; `None` when nothing is left. Paths stay readable, and the
/// same in every shell and policy.
pub fn slug(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            let sep = dash && !out.is_empty();
            if out.len() + usize::from(sep) + 1 > MAX_SLUG_CHARS {
                break;
            }
            if sep {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    (!out.is_empty()).then_some(out)
}

fn placeholder(name: &str, ctx: &PathContext<'_>) -> Option<String> {
    let value = match name.to_ascii_lowercase().as_str() {
        // An app without a name is still told apart by its client ID's first group.
        "app" => return Some(slug(ctx.app_name).or_else(|| slug(ctx.client_id.split('-').next().unwrap_or_default())).unwrap_or_else(|| "app".into())),
        "description" => ctx.description,
        "client_id" => ctx.client_id,
        "secret_id" => ctx.secret_id,
        "tenant_id" => ctx.tenant_id,
        _ => return None,
    };
    Some(slug(value).unwrap_or_else(|| "unnamed".into()))
}

/// Renders `template` (empty: [`DEFAULT_PATH_TEMPLATE`]): `<app>`, `<description>`,
/// `<client_id>`, `<secret_id>` and `<tenant_id>` become slugs of the context (an empty one
/// `unnamed`; an unnamed app the first group of its client ID, else `app`); the rest is kept
/// as written. The result is checked by [`validate_path`].
pub fn render_path(template: &str, ctx: &PathContext<'_>) -> Result<String, BaoError> {
    let template = match template.trim() {
        "" => DEFAULT_PATH_TEMPLATE,
        t => t,
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('>').ok_or_else(|| BaoError::BadPath(tr("baoTemplateUnclosed", &[])))?;
        let name = &after[..close];
        let value = placeholder(name, ctx).ok_or_else(|| BaoError::BadPath(tr("baoTemplateUnknown", &[name])))?;
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    if rest.contains('>') {
        return Err(BaoError::BadPath(tr("baoTemplateUnopened", &[])));
    }
    out.push_str(rest);
    validate_path(&out)
}

/// Checks a path (rendered, or edited by the user in the prompt): parts separated by `/`,
/// none empty, blank, `.` or `..`, no `/` at the ends, no control characters, at most
/// [`MAX_PATH_CHARS`]. Returns it trimmed of surrounding whitespace.
pub fn validate_path(path: &str) -> Result<String, BaoError> {
    let p = path.trim();
    let bad = |m: String| Err(BaoError::BadPath(m));
    if p.is_empty() {
        return bad(tr("baoPathEmpty", &[]));
    }
    if p.chars().count() > MAX_PATH_CHARS {
        return bad(tr("baoPathTooLong", &[]));
    }
    if p.chars().any(char::is_control) {
        return bad(tr("baoPathControl", &[]));
    }
    if p.starts_with('/') || p.ends_with('/') {
        return bad(tr("baoPathSlashEnds", &[]));
    }
    for part in p.split('/') {
        if part.trim().is_empty() {
            return bad(tr("baoPathEmptyPart", &[]));
        }
        if part == "." || part == ".." {
            return bad(tr("baoPathDots", &[]));
        }
    }
    Ok(p.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::openbao::test_support::*;

    fn ctx() -> PathContext<'static> {
        PathContext {
            app_name: "Contoso \"API\" (prod)",
            client_id: CLIENT_ID,
            tenant_id: TENANT_ID,
            secret_id: "0F1E2D3C-4b5a-6978-8796-a5b4c3d2e1f0",
            description: " CI / deploy\n",
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Contoso \"API\" (prod)").as_deref(), Some("contoso-api-prod"));
        assert_eq!(slug("--a__b--").as_deref(), Some("a-b"));
        assert_eq!(slug("Équipe été").as_deref(), Some("quipe-t"));
        assert_eq!(slug("日本"), None);
        assert_eq!(slug(""), None);
        assert_eq!(slug(&"ab".repeat(100)).map(|s| s.len()), Some(64));
        assert_eq!(slug(&format!("{}-x", "a".repeat(63))).as_deref(), Some("a".repeat(63).as_str()), "no dash at the end");
    }

    #[test]
    fn rendering() {
        assert_eq!(render_path(DEFAULT_PATH_TEMPLATE, &ctx()).unwrap(), "azure/contoso-api-prod/ci-deploy");
        assert_eq!(render_path("", &ctx()).unwrap(), "azure/contoso-api-prod/ci-deploy");
        assert_eq!(
            render_path(" apps/<tenant_id>/<CLIENT_ID>/<secret_id> ", &ctx()).unwrap(),
            format!("apps/{TENANT_ID}/{CLIENT_ID}/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
        );
        assert_eq!(render_path("x/<app>-<description>.env", &ctx()).unwrap(), "x/contoso-api-prod-ci-deploy.env");
        let mut c = ctx();
        c.app_name = " !! ";
        c.description = "";
        assert_eq!(render_path(DEFAULT_PATH_TEMPLATE, &c).unwrap(), "azure/11111111/unnamed");
        c.client_id = "";
        assert_eq!(render_path(DEFAULT_PATH_TEMPLATE, &c).unwrap(), "azure/app/unnamed");
        c.secret_id = "";
        assert_eq!(render_path("<secret_id>", &c).unwrap(), "unnamed");
        for (t, needle) in [
            ("azure/<name>", "unknown placeholder <name>"),
            ("azure/<app", "without a closing >"),
            ("azure/app>", "without an opening <"),
            ("/azure/<app>", "start or end with /"),
            ("azure//<app>", "empty part"),
            ("../<app>", ". or .."),
        ] {
            match render_path(t, &ctx()) {
                Err(BaoError::BadPath(m)) => assert!(m.contains(needle), "{t}: {m}"),
                other => panic!("{t}: {other:?}"),
            }
        }
    }

    #[test]
    fn validation() {
        assert_eq!(validate_path("  azure/my app/ci  ").unwrap(), "azure/my app/ci");
        assert_eq!(validate_path("a/b?c#d%e/é").unwrap(), "a/b?c#d%e/é");
        assert_eq!(validate_path("x".repeat(512).as_str()).unwrap().len(), 512);
        for p in ["", "  ", "/a", "a/", "a//b", "a/ /b", "a/./b", "a/..", "..", "a\nb", "a\u{7f}", &"x".repeat(513)] {
            assert!(matches!(validate_path(p), Err(BaoError::BadPath(_))), "{p:?}");
        }
    }
}
