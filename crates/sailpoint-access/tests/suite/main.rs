//! The facade's integration tests, in one binary: each module tests one
//! behaviour against httpmock or the in-process sandbox. One binary links
//! the crate and its dependencies once instead of once per file (see the
//! figures in the crate README). Three stay alone in their own:
//! `memory_bound` and `rate_budget`, so that no other test moves the peak
//! memory or the rates they measure, and `bulk_resume`, whose many child
//! processes would load the timed tests here.

#[path = "../common/mod.rs"]
mod common;

mod approvals_jobs;
mod approvals_wire;
mod auth;
mod bulk;
mod bulk_journal;
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
mod reliability_faults;
mod reliability_props;
mod security;
mod settings;
mod validation;
mod wire;
