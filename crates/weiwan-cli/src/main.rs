//! `weiwan`, the one binary: parses the command line, loads configuration, runs the use case
//! and maps its result to an exit status (0 success, 1 failure or refused input, 2 usage).

// Printing results is this crate's job.
#![allow(clippy::print_stdout)]

mod cli;
mod clock;
mod commands;
mod config;
mod progress;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: failed to start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr so that stdout carries only results, above any progress bar. `WEIWAN_LOG` (or `RUST_LOG`) sets
/// the filter; the default shows progress at info level. `WEIWAN_LOG_FORMAT=json` writes one
/// JSON object a line, for a log collector (what `weiwan serve` should use in production).
fn init_tracing() {
    let filter = std::env::var(config::env::LOG)
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,sqlx=warn".to_owned());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(progress::AboveBars)
        .with_target(false);
    if std::env::var(config::env::LOG_FORMAT).is_ok_and(|format| format == "json") {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}
