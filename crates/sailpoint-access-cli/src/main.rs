//! `sail-access`: a command line for SailPoint Identity Security Cloud
//! access requests, on top of the `sailpoint-access` client. See `--help`
//! and the README's "Command line" section.

mod approvals;
mod change;
mod cli;
mod config;
mod credentials;
mod doctor;
mod error;
mod output;
mod plan_file;
mod prompt;
mod resolve;
mod sandbox;
mod selection;
mod status;
mod submit;
mod table;
mod time_arg;

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use sailpoint_access::{settings, Client, ClientBuilder, Family};

use cli::{Cli, Command};
use error::{CliError, CliResult};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    output::set_quiet(cli.quiet);
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if !e.is_quiet() {
                eprintln!("sail-access: error: {e}");
            }
            e.code
        }
    };
    let _ = std::io::stdout().flush();
    ExitCode::from(code)
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run(cli: Cli) -> CliResult {
    if let Command::Completions { shell } = cli.command {
        // Into memory first: `generate` panics when its writer fails, and a
        // closed stdout must end quietly.
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "sail-access", &mut script);
        std::io::stdout().write_all(&script)?;
        return Ok(error::OK);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    let flags = ClientFlags {
        base_url: cli.base_url.clone(),
        client_id: cli.client_id.clone(),
        api_family: cli.api_family,
        rate_limit: cli.rate_limit.clone(),
        rate_budget: cli.rate_budget.clone(),
        environment: cli.environment.clone(),
        verbose: cli.verbose,
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Sandbox(args) => sandbox::run(args, cli.client_id).await,
            Command::Submit(args) => {
                let client = client(&flags)?;
                submit::run(&client, args).await
            }
            Command::Resolve(args) => {
                let client = client(&flags)?;
                resolve::run(&client, args).await
            }
            Command::Status(args) => {
                let client = client(&flags)?;
                status::run(&client, args).await
            }
            Command::Cancel(args) => {
                let client = client(&flags)?;
                change::cancel(&client, args).await
            }
            Command::Close(args) => {
                let client = client(&flags)?;
                change::close(&client, args).await
            }
            Command::Config(command) => {
                let client = client(&flags)?;
                config::run(&client, command).await
            }
            Command::Approvals(command) => {
                let client = client(&flags)?;
                approvals::run(&client, command).await
            }
            Command::Explain(args) => {
                let client = client(&flags)?;
                approvals::explain(&client, args).await
            }
            Command::Completions { .. } => Ok(error::OK),
            Command::Doctor(args) => doctor::run(&flags, args).await,
        }
    })
}

/// The client: flags over the SAIL_* variables over config.json, resolved
/// by the library itself (the flags are laid over the variables).
/// The settings flags, apart from the command they came with.
struct ClientFlags {
    base_url: Option<String>,
    client_id: Option<String>,
    api_family: Option<Family>,
    rate_limit: Option<String>,
    rate_budget: Option<String>,
    environment: Option<String>,
    verbose: u8,
}

impl ClientFlags {
    /// The flags given, as (flag, the setting it sets), for the doctor.
    fn given(&self) -> Vec<(&'static str, &'static str)> {
        [
            (self.base_url.is_some(), "--base-url", "base_url"),
            (self.client_id.is_some(), "--client-id", "credentials"),
            (self.api_family.is_some(), "--api-family", "family"),
            (self.rate_limit.is_some(), "--rate-limit", "rate_limit"),
        ]
        .into_iter()
        .filter(|(given, ..)| *given)
        .map(|(_, flag, setting)| (flag, setting))
        .collect()
    }
}

fn client(cli: &ClientFlags) -> Result<Client, CliError> {
    Ok(client_builder(cli)?.build()?)
}

/// The builder of every command: flags laid over the variables, then the
/// library's resolution (see its settings module), with this build's
/// credential store. `-v` prints the order and where each setting came from.
fn client_builder(cli: &ClientFlags) -> Result<ClientBuilder, CliError> {
    let mut env: HashMap<String, String> = std::env::vars().collect();
    if let Some(url) = &cli.base_url {
        env.insert(settings::ENV_BASE_URL.to_owned(), url.clone());
    }
    if let Some(id) = &cli.client_id {
        env.insert(settings::ENV_CLIENT_ID.to_owned(), id.clone());
    }
    if let Some(family) = cli.api_family {
        env.insert(settings::ENV_API_FAMILY.to_owned(), family.to_string());
    }
    if let Some(name) = &cli.environment {
        env.insert(settings::ENV_ENVIRONMENT.to_owned(), name.clone());
    }
    if let Some(limit) = &cli.rate_limit {
        env.insert(settings::ENV_RATE_LIMIT.to_owned(), limit.clone());
    }
    if let Some(budget) = &cli.rate_budget {
        env.insert(settings::ENV_RATE_BUDGET.to_owned(), budget.clone());
    }
    let dir = std::env::current_dir()
        .map_err(|e| CliError::failure(format!("no working directory: {e}")))?;
    let store = credentials::store();
    let builder = ClientBuilder::from_env_map_with_store(&env, &dir, store.as_deref())?;
    if cli.verbose > 0 && !output::is_quiet() {
        eprintln!(
            "sail-access: settings resolution order:\n{}",
            settings::RESOLUTION_ORDER.trim_end()
        );
        if let Some(sources) = builder.setting_sources() {
            eprintln!(
                "sail-access: base URL from {}; credentials from {}; family from {}; rate limit from {}",
                sources.base_url, sources.credentials, sources.family, sources.rate_limit
            );
        }
    }
    Ok(builder.app_name(concat!("sail-access/", env!("CARGO_PKG_VERSION"))))
}
