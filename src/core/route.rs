//! Which host a frame runs on, and which blade a portal hash route shows.

use super::secret::is_guid;

/// What kind of host a frame is loaded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// An Azure Portal shell (public or sovereign cloud).
    Portal,
    /// A Microsoft Entra admin center shell.
    Entra,
    /// A sandboxed React blade iframe from the portal's frame pool.
    ReactBlade,
    /// Anything else: the extension stays idle.
    Other,
}

/// extension/hosts.txt, the one host list: the manifest's match patterns are built from it
/// (tools/manifest.py), so the content script runs exactly where this module says it may.
const HOSTS_TXT: &str = include_str!("../../extension/hosts.txt");

/// The hosts of hosts.txt: `https://<host>/*` lines give `(host, false)`, `https://*.<domain>/*`
/// lines (a reactblade frame pool) give `(domain, true)`; comments and blank lines are skipped,
/// and so is a line of another shape (the `hosts_txt` test rejects those).
pub fn listed_hosts() -> impl Iterator<Item = (&'static str, bool)> {
    HOSTS_TXT.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).filter_map(|l| {
        let host = l.strip_prefix("https://")?.strip_suffix("/*")?;
        Some(host.strip_prefix("*.").map_or((host, false), |domain| (domain, true)))
    })
}

/// Whether a listed shell host is the Entra admin center (its first label is `entra`) rather
/// than a portal.
fn is_entra(host: &str) -> bool {
    host.split('.').next().is_some_and(|l| l.eq_ignore_ascii_case("entra"))
}

/// Classifies a host name (`location.hostname`; a `:port` and a trailing dot
/// are ignored, case-insensitive). Only exact names match, so look-alikes such
/// as `portal.azure.com.evil.com` or `evilportal.azure.com` are `Other`.
pub fn classify_host(host: &str) -> HostKind {
    let mut h = host;
    if let Some(i) = h.rfind(':') {
        if h[i + 1..].bytes().all(|b| b.is_ascii_digit()) {
            h = &h[..i];
        }
    }
    let h = h.strip_suffix('.').unwrap_or(h);
    if let Some((listed, _)) = listed_hosts().find(|&(l, pool)| !pool && l.eq_ignore_ascii_case(h)) {
        return if is_entra(listed) { HostKind::Entra } else { HostKind::Portal };
    }
    // sandbox-<n>[-<n>...].<pool domain>, e.g. sandbox-8-2.reactblade.portal.azure.net
    if let Some((label, domain)) = h.split_once('.') {
        let b = label.as_bytes();
        let ok_label =
            b.len() > 8 && b[..8].eq_ignore_ascii_case(b"sandbox-") && b[8..].split(|&c| c == b'-').all(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
        if ok_label && listed_hosts().any(|(d, pool)| pool && d.eq_ignore_ascii_case(domain)) {
            return HostKind::ReactBlade;
        }
    }
    HostKind::Other
}

/// Application and directory named by an app-registration route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CredRoute {
    /// Application (client) id, lower case; `None` if absent or not a GUID.
    pub app_id: Option<String>,
    /// Directory from an `@contoso.onmicrosoft.com` (or `@<tenant guid>`) prefix.
    pub directory: Option<String>,
}

/// What a portal `location.hash` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// An app registration's Certificates & secrets blade.
    Credentials(CredRoute),
    /// Another blade of an app registration (Overview, API permissions, ...).
    OtherAppBlade(CredRoute),
    /// A Key Vault blade: secrets there are already stored safely.
    KeyVault,
    /// Anything else.
    Other,
}

impl Route {
    /// True for the Certificates & secrets blade.
    pub fn is_credentials(&self) -> bool {
        matches!(self, Route::Credentials(_))
    }

    /// The app and directory, for either kind of app-registration blade.
    pub fn app(&self) -> Option<&CredRoute> {
        match self {
            Route::Credentials(c) | Route::OtherAppBlade(c) => Some(c),
            _ => None,
        }
    }
}

/// The fragment of a full URL without its `#`, or `""`.
pub fn fragment_of(url: &str) -> &str {
    url.split_once('#').map_or("", |(_, f)| f)
}

/// Percent-decodes (invalid escapes are kept as is; bad UTF-8 is replaced).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Parses a portal `location.hash` (with or without `#`) of the shapes
/// `view/<Extension>/<Blade>/~/<MenuItem>/<param>/<value>/...` and the legacy
/// `blade/<Extension>/<Blade>/<MenuItem>/<param>/<value>`, optionally prefixed
/// by `@<directory>/` and followed by `?query`.
pub fn parse_route(fragment: &str) -> Route {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    // The query carries no routing state we need; cut it before decoding so an
    // encoded `%3F` inside a value survives.
    let f = f.split_once('?').map_or(f, |(p, _)| p);
    let f = percent_decode(f);
    let mut rest = f.as_str();
    let mut directory = None;
    if let Some(r) = rest.strip_prefix('@') {
        let (d, r) = r.split_once('/').unwrap_or((r, ""));
        if !d.is_empty() {
            directory = Some(d.to_ascii_lowercase());
        }
        rest = r;
    }
    let mut segs = rest.split('/').filter(|s| !s.is_empty());
    let first = segs.clone().next().unwrap_or("");
    // `resource/subscriptions/.../providers/Microsoft.KeyVault/vaults/<v>/...`
    if first.eq_ignore_ascii_case("resource") && segs.clone().any(|s| s.eq_ignore_ascii_case("Microsoft.KeyVault")) {
        return Route::KeyVault;
    }
    if !matches!(segs.next(), Some(s) if s.eq_ignore_ascii_case("view") || s.eq_ignore_ascii_case("blade")) {
        return Route::Other;
    }
    let ext = segs.next().unwrap_or("");
    if super::text::starts_with_ci(ext, "Microsoft_Azure_KeyVault") {
        return Route::KeyVault;
    }
    if !ext.eq_ignore_ascii_case("Microsoft_AAD_RegisteredApps") {
        return Route::Other;
    }
    let blade = segs.next().unwrap_or("");
    let segs: Vec<&str> = segs.collect();
    // Menu item: first segment after the blade, skipping the `~` separator.
    let menu = segs.iter().find(|s| **s != "~").copied().unwrap_or("");
    let mut app_id = None;
    // `name` / `name~` (JSON-valued) parameter pairs; the value may be quoted.
    for w in segs.windows(2) {
        let name = w[0].strip_suffix('~').unwrap_or(w[0]);
        if name.eq_ignore_ascii_case("appId") {
            let v = w[1].trim_matches('"');
            if is_guid(v) {
                app_id = Some(v.to_ascii_lowercase());
                break;
            }
        }
    }
    let cred = CredRoute { app_id, directory };
    if blade.eq_ignore_ascii_case("ApplicationMenuBlade") && menu.eq_ignore_ascii_case("Credentials") {
        Route::Credentials(cred)
    } else {
        Route::OtherAppBlade(cred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        use HostKind::*;
        for (h, want) in [
            ("portal.azure.com", Portal),
            ("PORTAL.Azure.COM", Portal),
            ("portal.azure.com.", Portal),
            ("portal.azure.com:443", Portal),
            ("ms.portal.azure.com", Portal),
            ("rc.portal.azure.com", Portal),
            ("preview.portal.azure.com", Portal),
            ("portal.azure.us", Portal),
            ("portal.azure.cn", Portal),
            ("entra.microsoft.com", Entra),
            ("entra.microsoft.us", Entra),
            ("entra.microsoftonline.cn", Entra),
            ("sandbox-1.reactblade.portal.azure.net", ReactBlade),
            ("sandbox-42.reactblade-ms.portal.azure.net", ReactBlade),
            ("sandbox-8-2.reactblade.portal.azure.net", ReactBlade),
            ("Sandbox-3.ReactBlade-RC.portal.azure.net.", ReactBlade),
            ("sandbox-5.reactblade.portal.azure.us", ReactBlade),
            ("sandbox-5.reactblade.portal.azure.cn", ReactBlade),
            ("portal.azure.com.evil.com", Other),
            ("evilportal.azure.com", Other),
            ("evil.portal.azure.com", Other),
            ("xportal.azure.com", Other),
            ("portal.azure.comm", Other),
            ("entra.microsoft.com.evil.com", Other),
            ("sandbox-.reactblade.portal.azure.net", Other),
            ("sandbox-x.reactblade.portal.azure.net", Other),
            ("sandbox-1-.reactblade.portal.azure.net", Other),
            ("evil.reactblade.portal.azure.net", Other),
            ("sandbox-1.evil.reactblade.portal.azure.net", Other),
            ("sandbox-1.reactblade.portal.azure.net.evil.com", Other),
            ("reactblade.portal.azure.net", Other),
            ("sandbox-1.reactblade-xx.portal.azure.net", Other),
            ("localhost", Other),
            ("", Other),
            (".", Other),
        ] {
            assert_eq!(classify_host(h), want, "{h}");
        }
    }

    #[test]
    fn hosts_txt() {
        // Every pattern line has a shape listed_hosts reads (a typo would silently drop a host).
        let lines = HOSTS_TXT.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).count();
        let hosts: Vec<_> = listed_hosts().collect();
        assert_eq!(hosts.len(), lines, "{hosts:?}");
        assert!(hosts.iter().any(|&(h, pool)| h == "portal.azure.com" && !pool));
        assert!(hosts.iter().any(|&(h, pool)| h == "reactblade.portal.azure.net" && pool));
        for (h, pool) in hosts {
            assert!(!h.is_empty() && !h.contains(['*', '/', ':']), "{h}");
            if pool {
                assert_eq!(classify_host(&format!("sandbox-1.{h}")), HostKind::ReactBlade, "{h}");
                assert_eq!(classify_host(h), HostKind::Other, "{h}");
            } else {
                assert!(matches!(classify_host(h), HostKind::Portal | HostKind::Entra), "{h}");
            }
        }
    }

    const APP: &str = "6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5a";

    fn cred(dir: Option<&str>) -> CredRoute {
        CredRoute { app_id: Some(APP.into()), directory: dir.map(Into::into) }
    }

    #[test]
    fn routes() {
        let c = |d| Route::Credentials(cred(d));
        let o = |d| Route::OtherAppBlade(cred(d));
        let up = APP.to_ascii_uppercase();
        let cases: Vec<(String, Route)> = vec![
            (format!("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP}/isMSAApp~/false"), c(None)),
            (format!("view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP}"), c(None)),
            (format!("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP}/isMSAApp~/false?feature.x=true&y=1"), c(None)),
            (format!("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP}?x=%2Fview%2F"), c(None)),
            (format!("#blade/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/Credentials/appId/{APP}"), c(None)),
            (format!("#blade/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/Credentials/appId/{APP}/isMSAApp/"), c(None)),
            (
                format!("#@contoso.onmicrosoft.com/view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP}/isMSAApp~/false"),
                c(Some("contoso.onmicrosoft.com")),
            ),
            (
                format!("#@Contoso.OnMicrosoft.com/blade/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/Credentials/appId/{up}"),
                c(Some("contoso.onmicrosoft.com")),
            ),
            (format!("#view%2FMicrosoft_AAD_RegisteredApps%2FApplicationMenuBlade%2F~%2FCredentials%2FappId%2F{APP}%2FisMSAApp~%2Ffalse"), c(None)),
            (format!("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId~/%22{APP}%22"), c(None)),
            (
                format!("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/quickStartType~/null/sourceType/Microsoft_AAD_IAM/appId/{APP}"),
                c(None),
            ),
            (format!("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/{APP}/isMSAApp~/false"), o(None)),
            (format!("#blade/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/Overview/appId/{APP}"), o(None)),
            (
                format!("#@contoso.onmicrosoft.com/view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/CallAnAPI/appId/{APP}"),
                o(Some("contoso.onmicrosoft.com")),
            ),
            ("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/not-a-guid".into(), Route::Credentials(CredRoute::default())),
            ("#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade".into(), Route::OtherAppBlade(CredRoute::default())),
            ("#view/Microsoft_Azure_KeyVault/SecretBlade/~/overview/id/https%3A%2F%2Fkv.vault.azure.net%2Fsecrets%2Fs".into(), Route::KeyVault),
            ("#@contoso.onmicrosoft.com/resource/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets".into(), Route::KeyVault),
            ("#@contoso.onmicrosoft.com/resource/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites/app".into(), Route::Other),
            ("#blade/Microsoft_Azure_KeyVault/SecretMenuBlade/overview".into(), Route::KeyVault),
            ("#home".into(), Route::Other),
            ("".into(), Route::Other),
            ("#".into(), Route::Other),
            ("#@".into(), Route::Other),
            ("#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview".into(), Route::Other),
            ("#view/%".into(), Route::Other),
        ];
        for (hash, want) in cases {
            assert_eq!(parse_route(&hash), want, "{hash}");
        }
        assert!(parse_route(&format!("#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/{APP}")).is_credentials());
        assert_eq!(fragment_of("https://portal.azure.com/#view/x"), "view/x");
        assert_eq!(fragment_of("https://portal.azure.com/"), "");
        assert_eq!(Route::KeyVault.app(), None);
    }
}
