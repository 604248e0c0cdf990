//! Jobs: work made of several calls (waiting, the pending index, mass cancel
//! and close, bulk submission), built only on the operation families below.

pub(crate) mod approvals;
pub mod bulk;
pub(crate) mod cancel_many;
pub(crate) mod pending;
mod poll;
pub(crate) mod resolve;
pub(crate) mod wait;
