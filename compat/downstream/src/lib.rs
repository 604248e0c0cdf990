//! Compiles only when this crate's `progenitor-client` and the one the SDK's
//! generated code returns are the same crate: the functions below name the
//! raw client's result types through this crate's own dependency.

use progenitor_client::{Error, ResponseValue};
use sailpoint_access::{raw, types};

/// Reads the access request configuration through the low-level client the
/// facade re-exports as `raw`.
pub async fn raw_config(
    client: &raw::Client,
) -> Result<ResponseValue<types::AccessRequestConfig>, Error<types::ErrorResponse>> {
    client.get_access_request_config().send().await
}

/// The HTTP status of a failed raw call, when the service answered one.
pub fn status_of(error: &Error<types::ErrorResponse>) -> Option<u16> {
    error.status().map(|status| status.as_u16())
}
