//! The facade's integration tests, in one binary: each module tests one
//! behaviour against httpmock or the in-process sandbox. One binary links
//! the crate and its dependencies once instead of once per file (see the
//! figures in the crate README); `memory_bound` stays alone in its own, so
//! that no other test moves the peak it measures.

#[path = "../common/mod.rs"]
mod common;

mod approvals_jobs;
mod approvals_wire;
mod auth;
mod bulk;
mod bulk_journal;
mod bulk_resume;
mod client_surface;
mod configuration;
mod e2e_sandbox;
mod errors;
mod families;
mod hostile_servers;
mod lookups;
mod lookups_bench;
mod pagination;
mod pending_and_waiting;
mod rate_budget;
mod reliability_faults;
mod reliability_props;
mod security;
mod settings;
mod validation;
mod wire;
