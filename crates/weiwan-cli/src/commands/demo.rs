//! `weiwan demo`: a small synthetic operator, imported into the embedded store, summarised;
//! the daily batch six months back; a churn model trained and put in force; the batch now; a
//! 中高端 cohort snapshot six months back and its KPIs today (three months back for a 6-month
//! history, and so on); the built-in offer catalog and a renewal campaign awaiting approval;
//! one demo login per role; then the web console, served until Ctrl-C.

use anyhow::Context;
use chrono::NaiveDate;
use weiwan_app::TaskFilter;
use weiwan_app::tasks::Actor;
use weiwan_app::{FileFormat, GenerateRequest, SimConfig, Store};
use weiwan_decision::campaign::{CampaignAction, CampaignPlan, ChannelScript};
use weiwan_domain::TableId;
use weiwan_domain::codes::Role;
use weiwan_server::api::NewUserRequest;

use crate::cli::DemoArgs;
use crate::config::StoreConfig;

/// The demo's history ends here, so every run of the demo shows the same operator.
const DEMO_END_MONTH: (i32, u32) = (2026, 10);

pub async fn run(args: &DemoArgs, config: &StoreConfig) -> anyhow::Result<()> {
    let end_month = NaiveDate::from_ymd_opt(DEMO_END_MONTH.0, DEMO_END_MONTH.1, 1)
        .ok_or_else(|| anyhow::anyhow!("invalid demo end month"))?;
    let out = config
        .data_dir
        .join("extracts")
        .join(format!("demo-{}x{}-seed{}", args.subscribers, args.months, args.seed));
    println!(
        "generating a synthetic operator: {} lines × {} months → {}",
        args.subscribers,
        args.months,
        out.display()
    );
    let request = GenerateRequest {
        config: SimConfig { subscribers: args.subscribers, months: args.months, seed: args.seed, end_month },
        out: out.clone(),
        format: FileFormat::Parquet,
    };
    tokio::task::spawn_blocking(move || weiwan_app::generate_extract(&request)).await??;

    let (store, lake) = super::open(config).await?;
    let bars = crate::progress::bars();
    println!("importing into {} (store) and {} (data directory)", config.db, config.data_dir.display());
    let outcome =
        weiwan_app::import_extract_with_progress(store.as_ref(), &lake, &out, crate::clock::now(), &bars)
            .await?;
    if outcome.already_imported {
        println!(
            "this demo extract ({}) was imported before; showing the store as it is",
            outcome.extract_id
        );
    }
    println!();
    super::summary::print(&store.summary().await?);

    // The batch runs on the first day after the generated history.
    let as_of = end_month
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| anyhow::anyhow!("invalid as-of date"))?;
    // A 中高端 cohort taken six months back (less for a short history), followed to today.
    let taken_on = as_of
        .checked_sub_months(chrono::Months::new((args.months / 2).clamp(1, 6)))
        .ok_or_else(|| anyhow::anyhow!("invalid snapshot date"))?;
    println!();
    super::run::print(
        &weiwan_app::run_daily_batch_with_progress(
            store.as_ref(),
            &lake,
            taken_on,
            crate::clock::now(),
            &bars,
        )
        .await?,
    );
    // The churn model: two labelled windows (6 and 3 months back) need 9 months of history.
    println!();
    if args.months >= 9 {
        super::churn::print_trained(&weiwan_app::train_churn_model_with_progress(&lake, as_of, &bars).await?);
    } else {
        println!("churn model 流失预测模型: not trained; it needs 9 months of history (--months 9 or more)");
    }
    println!();
    super::run::print(
        &weiwan_app::run_daily_batch_with_progress(store.as_ref(), &lake, as_of, crate::clock::now(), &bars)
            .await?,
    );
    let cohort = format!("demo-vip-{taken_on}");
    if !store.cohorts().await?.iter().any(|c| c.name == cohort) {
        let query = weiwan_app::parse_conditions(&["arpu_3m=120..".to_owned()])?;
        weiwan_app::snapshot_cohort(store.as_ref(), &lake, &cohort, taken_on, &query, crate::clock::now())
            .await?;
    }
    println!();
    let report =
        weiwan_app::cohort_kpis(store.as_ref(), &lake, &cohort, as_of, &weiwan_app::KpiSettings::default())
            .await?;
    super::cohort::print(&report, false);
    println!("(by account manager: weiwan kpi --cohort {cohort} --as-of {as_of})");

    let logins = demo_users(store.as_ref()).await?;
    demo_campaign(store.as_ref(), &lake, as_of).await?;
    println!();
    println!("demo logins 演示账号 (password 密码: {DEMO_PASSWORD}):");
    for (role, login) in &logins {
        println!("  {:<12} {} {}", login, role.label_zh(), role.label_en());
    }
    if args.no_serve {
        return Ok(());
    }
    println!();
    super::serve::run(args.bind, config).await
}

/// The demo's password for every demo login. The demo serves on the loopback address by
/// default; do not expose a demo to a network.
pub const DEMO_PASSWORD: &str = "weiwan-demo";

/// One user per role, created once: the account manager is the one with the most open tasks,
/// the store clerk works in that manager's branch; the others are province-wide.
async fn demo_users(store: &dyn Store) -> anyhow::Result<Vec<(Role, String)>> {
    let managers = store.dump_table(TableId::Managers).await?;
    let table = TableId::Managers.table();
    let (id_at, branch_at) = (table.index("manager_id"), table.index("branch_id"));
    let mut busiest: Option<(i64, String, String)> = None;
    for row in &managers {
        let (Some(manager), Some(branch)) = (row[id_at].as_text(), row[branch_at].as_text()) else {
            continue;
        };
        let filter = TaskFilter {
            manager_id: Some(manager.to_owned()),
            status: Some("open".into()),
            ..TaskFilter::default()
        };
        let open = store.count_tasks(&filter).await?;
        if busiest.as_ref().is_none_or(|(most, _, _)| open > *most) {
            busiest = Some((open, manager.to_owned(), branch.to_owned()));
        }
    }
    let (_, manager, branch) = busiest.context("the demo operator has no account managers")?;
    let mut logins = Vec::new();
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::ApiClient) {
        let login = role.code().to_owned();
        logins.push((role, login.clone()));
        if store.find_user_by_login(&login).await?.is_some() {
            continue;
        }
        let request = NewUserRequest {
            login,
            display_name: format!("{} (demo)", role.label_zh()),
            role: role.code().to_owned(),
            branch_id: (role == Role::Clerk).then(|| branch.clone()),
            manager_id: (role == Role::Manager).then(|| manager.clone()),
            password: Some(DEMO_PASSWORD.to_owned()),
        };
        let user = weiwan_server::api::validate_new_user(store, request, crate::clock::now())
            .await
            .map_err(|e| anyhow::anyhow!("demo user {}: {e}", role.code()))?;
        store.create_user(&user).await?;
    }
    Ok(logins)
}

/// The built-in offer catalog, and a package-renewal campaign planned and submitted, so the
/// approver's inbox has work and the policy view has offers. Done once.
async fn demo_campaign(store: &dyn Store, lake: &weiwan_app::Lake, as_of: NaiveDate) -> anyhow::Result<()> {
    let planner = Actor { user_id: "u-planner".into(), role: Role::Planner.code().into() };
    let now = crate::clock::now();
    if store.offers().await?.is_empty() {
        weiwan_app::campaigns::load_catalog(
            store,
            lake,
            weiwan_decision::offers::BUILTIN_CATALOG,
            &planner,
            now,
        )
        .await?;
    }
    const ID: &str = "demo-renewal";
    if store.find_campaign(ID).await?.is_some() {
        return Ok(());
    }
    let plan = CampaignPlan {
        name_zh: "套餐到期续约（演示）".into(),
        name_en: "Package renewal (demo)".into(),
        target_group: "package_renewal".into(),
        offers: vec!["prepay_bonus_100".into(), "prepay_bonus_200".into(), "annual_prepay_58".into()],
        channels: vec![ChannelScript {
            channel: "outbound".into(),
            script_zh: "您好，您的套餐优惠即将到期，预存话费可获赠每月返还。".into(),
            script_en: "Hello, your package offer ends soon: prepay and get monthly credit back.".into(),
        }],
        starts_on: as_of,
        ends_on: as_of.checked_add_months(chrono::Months::new(2)).unwrap_or(as_of),
        budget: weiwan_domain::Money::parse("100000").map_err(|e| anyhow::anyhow!("budget: {e}"))?,
        holdout_share: 0.1,
        holdout_days: 90,
        approval_levels: 1,
        targets: Vec::new(),
        questionnaire: None,
    };
    weiwan_app::campaigns::create_campaign(store, ID, &plan, None, &planner, now).await?;
    let submit = weiwan_app::campaigns::ActionRequest { comment: String::new(), as_of: None };
    weiwan_app::campaigns::act_on_campaign(store, lake, ID, CampaignAction::Submit, &submit, &planner, now)
        .await?;
    Ok(())
}
