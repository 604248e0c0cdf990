//! Where the credentials of a SailPoint CLI environment are kept: the
//! operating system's keyring, behind a small trait so that tests (and
//! applications with their own vault) can supply entries.

use std::fmt;

use secrecy::SecretString;

/// Keyring service holding a PAT environment's client id (user: the
/// environment's name), as the SailPoint CLI writes it.
pub const KEYRING_CLIENT_ID: &str = "environments.pat.clientid";
/// Keyring service holding a PAT environment's client secret (user: the
/// environment's name), as the SailPoint CLI writes it.
pub const KEYRING_CLIENT_SECRET: &str = "environments.pat.clientsecret";

/// Why a store could not answer (as opposed to "no such entry").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreUnavailable(pub String);

impl fmt::Display for StoreUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreUnavailable {}

/// A read-only store of secrets addressed by (service, user), as keyrings
/// are.
pub trait CredentialStore: fmt::Debug + Send + Sync {
    /// The entry's secret; `Ok(None)` when the store has no such entry, an
    /// error when the store itself cannot be reached.
    fn get(
        &self,
        service: &str,
        user: &str,
    ) -> std::result::Result<Option<SecretString>, StoreUnavailable>;

    /// What the store is, for messages: e.g. `system keyring`.
    fn name(&self) -> &str;
}

/// The operating system's keyring: the Secret Service (GNOME Keyring,
/// KWallet) on Linux and the BSDs, the login keychain on macOS, the
/// Credential Manager on Windows. The entries are those the SailPoint CLI
/// writes, so no prompt of ours ever creates them.
#[cfg(feature = "keyring")]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemKeyring;

#[cfg(feature = "keyring")]
impl CredentialStore for SystemKeyring {
    fn get(
        &self,
        service: &str,
        user: &str,
    ) -> std::result::Result<Option<SecretString>, StoreUnavailable> {
        // The SailPoint CLI's keyring library names a Windows credential
        // `service:user`; elsewhere entries are found by service and user.
        #[cfg(windows)]
        let entry = keyring::Entry::new_with_target(&format!("{service}:{user}"), service, user);
        #[cfg(not(windows))]
        let entry = keyring::Entry::new(service, user);
        let result = entry.and_then(|e| e.get_password());
        match result {
            Ok(secret) => Ok(Some(SecretString::from(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            // Their messages name the platform's failure, never a secret.
            Err(e) => Err(StoreUnavailable(e.to_string())),
        }
    }

    fn name(&self) -> &str {
        "system keyring"
    }
}

/// The store `ClientBuilder::from_env_map` uses: the system keyring when the
/// `keyring` feature is on, none otherwise.
pub(crate) fn default_store() -> Option<&'static dyn CredentialStore> {
    #[cfg(feature = "keyring")]
    {
        Some(&SystemKeyring)
    }
    #[cfg(not(feature = "keyring"))]
    {
        None
    }
}
