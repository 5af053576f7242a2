//! Vaults and clouds: which vault names and URLs are accepted, and each cloud's sign-in
//! authority and Key Vault resource.

use crate::core::i18n::tr;
use std::fmt;

/// An Azure cloud: its vault DNS suffix and its sign-in authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// Azure public cloud.
    Public,
    /// Azure US Government.
    UsGovernment,
    /// Azure operated by 21Vianet (China).
    China,
}

impl Cloud {
    /// Every supported cloud.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::UsGovernment, Cloud::China];

    /// DNS suffix of its vaults.
    pub fn vault_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "vault.azure.net",
            Cloud::UsGovernment => "vault.usgovcloudapi.net",
            Cloud::China => "vault.azure.cn",
        }
    }

    /// Host of the Microsoft identity platform for this cloud.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "login.microsoftonline.com",
            Cloud::UsGovernment => "login.microsoftonline.us",
            Cloud::China => "login.chinacloudapi.cn",
        }
    }

    /// Key Vault's resource identifier (audience) in this cloud.
    pub fn resource(self) -> &'static str {
        match self {
            Cloud::Public => "https://vault.azure.net",
            Cloud::UsGovernment => "https://vault.usgovcloudapi.net",
            Cloud::China => "https://vault.azure.cn",
        }
    }

    /// OAuth scopes to request: delegated vault access plus a refresh token.
    pub fn scopes(self) -> &'static str {
        match self {
            Cloud::Public => "https://vault.azure.net/user_impersonation offline_access",
            Cloud::UsGovernment => "https://vault.usgovcloudapi.net/user_impersonation offline_access",
            Cloud::China => "https://vault.azure.cn/user_impersonation offline_access",
        }
    }

    /// The cloud whose sign-in authority is `host` (`login.windows.net` is the
    /// public cloud's legacy alias, still sent in Key Vault challenges).
    pub fn from_authority_host(host: &str) -> Option<Cloud> {
        let host = host.to_ascii_lowercase();
        if host == "login.windows.net" {
            return Some(Cloud::Public);
        }
        Cloud::ALL.into_iter().find(|c| c.authority_host() == host)
    }
}

/// A validated vault: its name and cloud. Only the three known vault domains are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VaultUrl {
    name: String,
    cloud: Cloud,
}

/// Why a vault name or URL was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultUrlError {
    /// Nothing was entered.
    Empty,
    /// A scheme other than `https://`.
    NotHttps,
    /// A host outside the Key Vault domains (or a Managed HSM, port, user info…).
    UnknownHost,
    /// A path, query or fragment after the host.
    HasPath,
    /// Vault names are 3-24 letters, digits and single dashes, starting with a letter.
    BadName,
}

impl fmt::Display for VaultUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self {
            VaultUrlError::Empty => tr("vaultUrlEmpty", &[]),
            VaultUrlError::NotHttps => tr("vaultUrlNotHttps", &[]),
            VaultUrlError::UnknownHost => tr("vaultUrlUnknownHost", &[]),
            VaultUrlError::HasPath => tr("vaultUrlHasPath", &[]),
            VaultUrlError::BadName => tr("vaultUrlBadName", &[]),
        })
    }
}

fn is_vault_name(n: &str) -> bool {
    let b = n.as_bytes();
    (3..=24).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !n.contains("--")
}

impl VaultUrl {
    /// Accepts `myvault` (in `default_cloud`), `myvault.vault.azure.cn`, or
    /// `https://myvault.vault.usgovcloudapi.net/`. Case-insensitive.
    pub fn parse(input: &str, default_cloud: Cloud) -> Result<VaultUrl, VaultUrlError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(VaultUrlError::Empty);
        }
        let rest = match s.find("://") {
            Some(i) if s[..i].eq_ignore_ascii_case("https") => &s[i + 3..],
            Some(_) => return Err(VaultUrlError::NotHttps),
            None => s,
        };
        let (host, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if !(path.is_empty() || path == "/") {
            return Err(VaultUrlError::HasPath);
        }
        if host.contains(['@', ':', '\\', '%']) || host.chars().any(|c| c.is_whitespace()) {
            return Err(VaultUrlError::UnknownHost);
        }
        let host = host.to_ascii_lowercase();
        let (name, cloud) = if !host.contains('.') {
            (host, default_cloud)
        } else {
            let found = Cloud::ALL.into_iter().find_map(|c| {
                let name = host.strip_suffix(c.vault_suffix())?.strip_suffix('.')?;
                Some((name.to_owned(), c))
            });
            match found {
                Some((name, c)) if !name.contains('.') => (name, c),
                _ => return Err(VaultUrlError::UnknownHost),
            }
        };
        if !is_vault_name(&name) {
            return Err(VaultUrlError::BadName);
        }
        Ok(VaultUrl { name, cloud })
    }

    /// The vault's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The vault's cloud.
    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    /// `<name>.<suffix>`.
    pub fn host(&self) -> String {
        format!("{}.{}", self.name, self.cloud.vault_suffix())
    }

    /// `https://<name>.<suffix>` without a trailing slash.
    pub fn base(&self) -> String {
        format!("https://{}", self.host())
    }

    /// The optional host permissions a save to this vault needs: the vault itself and its
    /// cloud's sign-in authority (the token endpoint). Nothing else is asked for.
    pub fn permission_patterns(&self) -> [String; 2] {
        [format!("https://{}/*", self.host()), format!("https://{}/*", self.cloud.authority_host())]
    }
}

impl fmt::Display for VaultUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "https://{}.{}", self.name, self.cloud.vault_suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_urls() {
        let ok = [
            ("contoso-kv", Cloud::Public, "https://contoso-kv.vault.azure.net"),
            ("  Contoso-KV  ", Cloud::Public, "https://contoso-kv.vault.azure.net"),
            ("contoso-kv.vault.azure.net", Cloud::Public, "https://contoso-kv.vault.azure.net"),
            ("https://contoso-kv.vault.azure.net/", Cloud::Public, "https://contoso-kv.vault.azure.net"),
            ("HTTPS://GOV1.VAULT.USGOVCLOUDAPI.NET", Cloud::UsGovernment, "https://gov1.vault.usgovcloudapi.net"),
            ("cn-vault.vault.azure.cn", Cloud::China, "https://cn-vault.vault.azure.cn"),
        ];
        for (input, cloud, base) in ok {
            let v = VaultUrl::parse(input, Cloud::Public).unwrap();
            assert_eq!((v.cloud(), v.base().as_str()), (cloud, base), "{input}");
        }
        assert_eq!(VaultUrl::parse("kv1", Cloud::China).unwrap().base(), "https://kv1.vault.azure.cn");
        assert_eq!(Cloud::UsGovernment.authority_host(), "login.microsoftonline.us");
        let v = VaultUrl::parse("https://my-vault.vault.azure.cn/", Cloud::Public).unwrap();
        assert_eq!(v.permission_patterns(), ["https://my-vault.vault.azure.cn/*".to_owned(), "https://login.chinacloudapi.cn/*".to_owned()]);
        assert_eq!(Cloud::China.authority_host(), "login.chinacloudapi.cn");
        let bad = [
            ("", VaultUrlError::Empty),
            ("http://contoso-kv.vault.azure.net", VaultUrlError::NotHttps),
            ("javascript://x", VaultUrlError::NotHttps),
            ("https://contoso-kv.vault.azure.net.evil.com", VaultUrlError::UnknownHost),
            ("https://evil.com/contoso-kv.vault.azure.net", VaultUrlError::HasPath),
            ("https://a.b.vault.azure.net", VaultUrlError::UnknownHost),
            ("https://x@contoso-kv.vault.azure.net", VaultUrlError::UnknownHost),
            ("https://contoso-kv.vault.azure.net:8443", VaultUrlError::UnknownHost),
            ("https://contoso-kv.managedhsm.azure.net", VaultUrlError::UnknownHost),
            ("https://vault.azure.net", VaultUrlError::UnknownHost),
            ("https://contoso-kv.vault.azure.net/secrets/x", VaultUrlError::HasPath),
            ("https://contoso-kv.vault.azure.net?x=1", VaultUrlError::HasPath),
            ("ab", VaultUrlError::BadName),
            ("1vault", VaultUrlError::BadName),
            ("vault-", VaultUrlError::BadName),
            ("va--ult", VaultUrlError::BadName),
            ("a234567890123456789012345", VaultUrlError::BadName),
            ("vault_1", VaultUrlError::BadName),
        ];
        for (input, err) in bad {
            assert_eq!(VaultUrl::parse(input, Cloud::Public), Err(err), "{input}");
        }
    }
}
