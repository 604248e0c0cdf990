//! One folder per operation family: each builder validates its input, then
//! hands the engine one operation of the generated table.

pub(crate) mod access_requests;
pub(crate) mod approvals;
pub(crate) mod config;
pub(crate) mod lookups;
pub(crate) mod statuses;
