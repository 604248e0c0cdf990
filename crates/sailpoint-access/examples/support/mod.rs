//! Shared by the examples: run against the tenant named by `SAIL_*`
//! variables, or start the embedded sandbox tenant when none is set.
//!
//! Each example includes it with `#[path = "support/mod.rs"] mod support;`
//! and uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::error::Error as StdError;
use std::future::Future;

use sailpoint_access::ClientBuilder;
use sailpoint_access_sandbox::{SandboxBuilder, SandboxHandle};

pub type Outcome<T> = Result<T, Box<dyn StdError + Send + Sync>>;

/// The variables that select a real tenant.
pub const TENANT_VARIABLES: [&str; 4] = [
    "SAIL_BASE_URL",
    "SAIL_CLIENT_ID",
    "SAIL_CLIENT_SECRET",
    "SAIL_ACCESS_TOKEN",
];

pub fn tenant_configured() -> bool {
    TENANT_VARIABLES
        .iter()
        .any(|name| std::env::var_os(name).is_some())
}

/// Where an example runs. Keep it alive for the whole run: dropping the
/// sandbox shuts it down.
pub struct Target {
    /// A builder with the base URL and credentials already set.
    pub builder: ClientBuilder,
    /// The sandbox, when no tenant is configured.
    pub sandbox: Option<SandboxHandle>,
}

/// The tenant from the environment, or `sandbox` started, with a first line
/// saying which.
pub async fn target(sandbox: SandboxBuilder) -> Outcome<Target> {
    if tenant_configured() {
        let env: HashMap<String, String> = std::env::vars().collect();
        let builder = ClientBuilder::from_env_map(&env, &std::env::current_dir()?)?;
        println!("running against the tenant named by the SAIL_* variables");
        return Ok(Target {
            builder,
            sandbox: None,
        });
    }
    let sandbox = sandbox.start().await?;
    println!(
        "no SAIL_* variables set: running against the embedded sandbox tenant at {}",
        sandbox.base_url()
    );
    let builder = sandbox.client_builder();
    Ok(Target {
        builder,
        sandbox: Some(sandbox),
    })
}

/// Runs an example's body; on failure prints one line (the error and its
/// causes) to stderr and exits 1.
pub async fn main<F>(name: &str, run: F)
where
    F: Future<Output = Outcome<()>>,
{
    if let Err(error) = run.await {
        let mut line = format!("{name} failed: {error}");
        let mut source = error.source();
        while let Some(cause) = source {
            line.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        eprintln!("{line}");
        std::process::exit(1);
    }
}

/// The identity ids listed one per line in the file the variable `var`
/// names (blank lines skipped), for the examples run against a tenant.
pub fn identities_from(var: &str) -> Outcome<Vec<String>> {
    let file = std::env::var(var)?;
    Ok(std::fs::read_to_string(file)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}
