//! End-to-end tests of the sandbox through the generated client and plain
//! reqwest, on 127.0.0.1 only. One test binary keeps link time down.

mod common;

mod approvals;
mod auth;
// The binary and its command line need the `cli` feature (on by default).
#[cfg(feature = "cli")]
mod binary;
mod duplicates;
mod facade;
mod faults;
mod lifecycle;
mod listing;
mod operations;
mod throughput;
mod timing;
mod validation;
mod versioned;
