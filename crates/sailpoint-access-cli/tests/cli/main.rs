//! End-to-end tests of the `sail-access` binary: each runs the real binary
//! as a child process against a sandbox tenant served by the test process
//! on loopback, and every child is bounded in time.

mod harness;

mod approvals;
mod companion;
mod config;
mod crash_loop;
mod help;
mod names;
mod output;
mod parse_time;
mod sandbox;
mod secret_service;
mod settings;
mod status_change;
mod submit;
