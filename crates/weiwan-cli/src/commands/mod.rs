//! One module per subcommand; each turns parsed arguments into a use-case call and prints
//! the result.

mod campaign;
mod case;
mod churn;
mod club;
mod clv;
mod cohort;
mod demo;
mod dispatch;
mod events;
mod generate;
mod group;
mod import;
mod offer;
mod questionnaire;
mod rules;
mod run;
mod segment;
mod serve;
mod summary;
mod tags;
mod user;
mod visit;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use weiwan_app::{Lake, Store};

use crate::cli::{Cli, Command};
use crate::config::{self, StoreConfig};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = config::load_file(cli.config.as_deref())?;
    match cli.command {
        Command::Generate(args) => generate::run(args).await,
        Command::Import(args) => import::run(&args.dir, &config::resolve(&args.store, &file)?).await,
        Command::Run(args) => run::run(&args.as_of, &config::resolve(&args.store, &file)?).await,
        Command::Tags(args) => tags::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Segment(args) => segment::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Cohort(args) => cohort::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Kpi(args) => {
            let store = config::resolve(&args.store, &file)?;
            cohort::kpi(&args, file.kpi.clone().unwrap_or_default(), &store).await
        }
        // Training and scoring are CPU-bound: off the async runtime.
        Command::Churn(args) => match args.action {
            crate::cli::ChurnAction::TrainLake { as_of, store } => {
                churn::train_lake(&as_of, &config::resolve(&store, &file)?).await
            }
            crate::cli::ChurnAction::Kinds { as_of, window_days, dormant_months, lines, format, store } => {
                let mut settings = file.kpi.as_ref().map(|kpi| kpi.churn_kinds).unwrap_or_default();
                settings.window_days = window_days.unwrap_or(settings.window_days);
                settings.dormant_months = dormant_months.unwrap_or(settings.dormant_months);
                churn::kinds(&as_of, &settings, lines, format, &config::resolve(&store, &file)?).await
            }
            action => tokio::task::spawn_blocking(move || churn::run(action)).await?,
        },
        Command::Clv(args) => tokio::task::spawn_blocking(move || clv::run(args.action)).await?,
        Command::Summary(args) => summary::run(&config::resolve(&args, &file)?).await,
        Command::Serve(args) => serve::run(args.bind, &config::resolve(&args.store, &file)?).await,
        Command::User(args) => user::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Events(args) => events::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Rules(args) => rules::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Offer(args) => offer::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Campaign(args) => campaign::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Dispatch(args) => dispatch::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Questionnaire(args) => {
            questionnaire::run(args.action, &config::resolve(&args.store, &file)?).await
        }
        Command::Case(args) => case::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Visit(args) => visit::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Performance(args) => {
            let store = config::resolve(&args.store, &file)?;
            visit::performance(&args, &store).await
        }
        Command::Group(args) => group::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Club(args) => club::run(args.action, &config::resolve(&args.store, &file)?).await,
        Command::Demo(args) => {
            let store = config::resolve(&args.store, &file)?;
            demo::run(&args, &store).await
        }
    }
}

/// Opens the store and the lake a configuration names.
async fn open(config: &StoreConfig) -> anyhow::Result<(Arc<dyn Store>, Lake)> {
    if let Some(parent) = sqlite_file(&config.db).and_then(|file| file.parent().map(Path::to_path_buf))
        && !parent.as_os_str().is_empty()
    {
        // A fresh machine has no directory for the embedded database yet (by default it lives
        // in the data directory). The lake itself is created only by a successful import.
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("failed to create directory {} for the database", parent.display()))?;
    }
    let store = weiwan_app::connect(&config.db)
        .await
        .with_context(|| format!("failed to open the store {}", config.db))?;
    Ok((store, Lake::new(&config.data_dir)))
}

/// The file a SQLite URL or path names, if it names one.
fn sqlite_file(db: &str) -> Option<PathBuf> {
    if db.contains(":memory:") {
        return None;
    }
    match db.strip_prefix("sqlite://").or_else(|| db.strip_prefix("sqlite:")) {
        Some(rest) => Some(PathBuf::from(rest.split('?').next().unwrap_or_default())),
        None if !db.contains("://") => Some(PathBuf::from(db)),
        None => None,
    }
}
