//! Which credential store the command line reads the SailPoint CLI
//! environments' secrets from: the system keyring (feature `keyring`, on by
//! default), or, in debug builds only, a JSON file named by
//! `SAIL_ACCESS_TEST_KEYRING`, so that the tests can give a spawned binary
//! keyring entries without a desktop session. Release builds ignore it.

use sailpoint_access::settings::CredentialStore;

/// Test-only (debug builds): a JSON file `{"service": {"user": "secret"}}`
/// read as the keyring; a missing file is a keyring that cannot be reached.
#[cfg_attr(not(debug_assertions), allow(dead_code))]
pub const ENV_TEST_KEYRING: &str = "SAIL_ACCESS_TEST_KEYRING";

/// The store of this run; `None` when the build has no keyring.
pub fn store() -> Option<Box<dyn CredentialStore>> {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os(ENV_TEST_KEYRING) {
        return Some(Box::new(test_store::FileStore(path.into())));
    }
    system()
}

#[cfg(feature = "keyring")]
fn system() -> Option<Box<dyn CredentialStore>> {
    Some(Box::new(sailpoint_access::settings::SystemKeyring))
}

#[cfg(not(feature = "keyring"))]
fn system() -> Option<Box<dyn CredentialStore>> {
    None
}

#[cfg(debug_assertions)]
mod test_store {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use sailpoint_access::settings::{CredentialStore, StoreUnavailable};
    use sailpoint_access::SecretString;

    /// The test keyring: see [`super::ENV_TEST_KEYRING`].
    #[derive(Debug)]
    pub struct FileStore(pub PathBuf);

    impl CredentialStore for FileStore {
        fn get(&self, service: &str, user: &str) -> Result<Option<SecretString>, StoreUnavailable> {
            let text = std::fs::read_to_string(&self.0)
                .map_err(|e| StoreUnavailable(format!("test keyring {}: {e}", self.0.display())))?;
            let entries: HashMap<String, HashMap<String, String>> = serde_json::from_str(&text)
                .map_err(|e| StoreUnavailable(format!("test keyring {}: {e}", self.0.display())))?;
            Ok(entries
                .get(service)
                .and_then(|users| users.get(user))
                .map(|secret| SecretString::from(secret.clone())))
        }

        fn name(&self) -> &str {
            "test keyring"
        }
    }
}
