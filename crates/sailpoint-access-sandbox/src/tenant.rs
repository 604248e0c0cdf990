//! Fixed facts of the sandbox tenant: who the caller and the approver are,
//! and the credentials and token lifetime it starts with. The lowest layer:
//! it imports nothing from the crate.

use std::time::Duration;

/// The identity every sandbox token acts as (`me` in status queries); it is
/// the requester of submitted requests.
pub const CALLER_IDENTITY_ID: &str = "2c9180867624cbd7017642d8c8c81f67";
/// Display name of [`CALLER_IDENTITY_ID`].
pub const CALLER_IDENTITY_NAME: &str = "Sandbox Admin";
/// The approver of every submitted item (`assigned-to` in status queries).
pub const APPROVER_IDENTITY_ID: &str = "2c918084660f45d6016617daa9210584";
/// Display name of [`APPROVER_IDENTITY_ID`].
pub const APPROVER_IDENTITY_NAME: &str = "Sandbox Approver";
/// The client id a sandbox accepts unless told otherwise.
pub const DEFAULT_CLIENT_ID: &str = "sandbox-client-id";
/// The client secret a sandbox accepts unless told otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-client-secret";
/// Token lifetime unless told otherwise (the service's is 12 hours).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The client id of the sandbox's ordinary approver: its tokens act as
/// [`APPROVER_IDENTITY_ID`] without org administrator rights (own
/// approvals only, no bulk approve, no administrators' views).
pub const APPROVER_CLIENT_ID: &str = "sandbox-approver-client-id";
/// The client secret of [`APPROVER_CLIENT_ID`].
pub const APPROVER_CLIENT_SECRET: &str = "sandbox-approver-client-secret";
