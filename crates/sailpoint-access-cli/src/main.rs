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
mod explain;
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
use sailpoint_access::{settings, Client, ClientBuilder};

use cli::{Cli, Command, GlobalArgs};
use error::{CliError, CliResult};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    output::set_quiet(cli.global.quiet);
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
    let global = cli.global;
    let client = || client(&global);
    runtime.block_on(async {
        match cli.command {
            Command::Sandbox(args) => sandbox::exec(args, global.client_id.clone()).await,
            Command::Submit(args) => submit::exec(&client()?, args).await,
            Command::Resolve(args) => resolve::exec(&client()?, args).await,
            Command::Status(args) => status::exec(&client()?, args).await,
            Command::Cancel(args) => change::cancel(&client()?, args).await,
            Command::Close(args) => change::close(&client()?, args).await,
            Command::Config(command) => config::exec(&client()?, command).await,
            Command::Approvals(command) => approvals::exec(&client()?, command).await,
            Command::Explain(args) => explain::exec(&client()?, args).await,
            Command::Completions { .. } => Ok(error::OK),
            Command::Doctor(args) => {
                doctor::exec(client_builder(&global), &global.given(), args).await
            }
        }
    })
}

/// The client of every command but the sandbox and the doctor.
fn client(global: &GlobalArgs) -> Result<Client, CliError> {
    Ok(client_builder(global)?.build()?)
}

/// The builder of every command: flags laid over the variables, then the
/// library's resolution (see its settings module), with this build's
/// credential store. `-v` prints the order and where each setting came from.
fn client_builder(global: &GlobalArgs) -> Result<ClientBuilder, CliError> {
    let mut env: HashMap<String, String> = std::env::vars().collect();
    let flags = [
        (settings::ENV_BASE_URL, global.base_url.clone()),
        (settings::ENV_CLIENT_ID, global.client_id.clone()),
        (
            settings::ENV_API_FAMILY,
            global.api_family.map(|f| f.to_string()),
        ),
        (settings::ENV_ENVIRONMENT, global.environment.clone()),
        (settings::ENV_RATE_LIMIT, global.rate_limit.clone()),
        (settings::ENV_RATE_BUDGET, global.rate_budget.clone()),
    ];
    env.extend(
        flags
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_owned(), value?))),
    );
    let dir = std::env::current_dir()
        .map_err(|e| CliError::failure(format!("no working directory: {e}")))?;
    let store = credentials::store();
    let builder = ClientBuilder::from_env_map_with_store(&env, &dir, store.as_deref())?;
    if global.verbose > 0 && !output::is_quiet() {
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
