//! A validated, resilient client for the SailPoint Identity Security Cloud v3
//! Access Requests API.

/// The generated low-level client and types, for escape hatches.
pub use sailpoint_access_api as raw;
pub use sailpoint_access_api::types;
