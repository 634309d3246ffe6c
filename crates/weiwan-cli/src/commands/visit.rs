//! `weiwan visit add | edit | history | card | file | plan` and `weiwan performance`: the
//! customer file 动态客户档案, the visit log 拜访纪要, visit plans and managers' appraisal
//! (docs/account-managers.md).
//!
//! Notes are written as a user of the store (`--as LOGIN`) whose role keeps the visit log
//! (managers, clerks, agents); a manager's notes count for their appraisal. Only a note's
//! author changes it. Reading needs no user.

use anyhow::Context;
use chrono::NaiveDate;
use weiwan_app::AppraisalScope;
use weiwan_app::Store;
use weiwan_app::appraisal::{self, Measures, PlanSettings};
use weiwan_app::file::{self, NoteInput, NoteView};
use weiwan_app::tasks::Actor;
use weiwan_domain::codes::Role;
use weiwan_server::{Permission, allows};

use crate::cli::{NoteFields, Output, PerformanceArgs, VisitAction};
use crate::config::StoreConfig;

pub async fn run(action: VisitAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    let store = store.as_ref();
    let now = crate::clock::now();
    match action {
        VisitAction::Add { customer, fields, user } => {
            let (actor, manager) = acting(store, &user.login, Permission::KeepVisitLog).await?;
            let input = note_input(&fields)?;
            let note =
                file::add_visit_note(store, &actor, manager.as_deref(), &customer, &input, None, now).await?;
            println!(
                "visit note 拜访纪要 {} written on {}'s file by {} (version 1)",
                note.note_id, note.customer_id, note.author_id
            );
        }
        VisitAction::Edit { note, version, fields, user } => {
            let (actor, _) = acting(store, &user.login, Permission::KeepVisitLog).await?;
            let input = note_input(&fields)?;
            let edited = file::edit_visit_note(store, &actor, note, version, &input, now).await?;
            println!(
                "visit note {} changed: now version {}; the earlier versions are kept",
                edited.note_id, edited.version
            );
        }
        VisitAction::History { note, format } => {
            let history = file::visit_note_history(store, note).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&history)?),
                Output::Text => {
                    print_notes(std::slice::from_ref(&history.note));
                    println!(
                        "version  edited at                   by            topic / promises / next step"
                    );
                    for r in &history.revisions {
                        println!(
                            "{:<8} {:<27} {:<13} {} / {} / {}",
                            r.version, r.edited_at, r.edited_by, r.topic, r.promises, r.next_step
                        );
                    }
                }
            }
        }
        VisitAction::Card { customer, format } => {
            let card = file::manager_card(store, &customer, false, now)
                .await?
                .with_context(|| format!("no customer {customer}"))?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&card)?),
                Output::Text => {
                    let c = &card.customer;
                    println!(
                        "{} {} · {} · branch {} · manager {}",
                        c.customer_id,
                        c.name,
                        c.vip_tier,
                        c.branch_id,
                        c.manager_id.as_deref().unwrap_or("-")
                    );
                    match &card.next_contact {
                        Some(next) => println!(
                            "next contact 下次接触: {} {} ({}) {}",
                            next.on, next.channel, next.source, next.what
                        ),
                        None => println!("next contact 下次接触: none planned"),
                    }
                    println!("open issues 未结事项: {}", card.open_issues.len());
                    for issue in &card.open_issues {
                        println!("  {} {} {} {}", issue.kind, issue.id, issue.opened_at, issue.summary_en);
                    }
                    print_notes(&card.last_visits);
                }
            }
        }
        VisitAction::File { customer, format } => {
            let full = file::customer_file(store, &customer, false, now)
                .await?
                .with_context(|| format!("no customer {customer}"))?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&full)?),
                Output::Text => {
                    println!(
                        "{} {} · repeat purchases 复购 {}",
                        full.card.customer.customer_id, full.card.customer.name, full.repeat_purchases
                    );
                    for line in &full.lines {
                        println!(
                            "line {} {} {} ({} yuan) {}",
                            line.subscription_id,
                            line.status,
                            line.plan_name,
                            line.monthly_fee,
                            line.activated_on
                        );
                    }
                    for order in &full.orders {
                        println!(
                            "order {} {} {}..{} {}{}",
                            order.contract_id,
                            order.kind,
                            order.starts_on,
                            order.ends_on,
                            order.status,
                            if order.repeat { " repeat" } else { "" }
                        );
                    }
                    for contact in &full.contacts {
                        println!(
                            "contact {} {} {} {} {}",
                            contact.at, contact.source, contact.channel, contact.user_id, contact.summary
                        );
                    }
                }
            }
        }
        VisitAction::Plan { manager, month, user, format } => {
            let (actor, own) = acting(store, &user.login, Permission::PlanVisits).await?;
            if let Some(own) = own.filter(|own| *own != manager) {
                anyhow::bail!("refused: manager {own} plans their own visits, not {manager}'s");
            }
            let month = appraisal::parse_month(&month)?;
            let customers = appraisal::assigned_customers(store, &manager).await?;
            let signals = appraisal::signals_from_lake(&lake, &customers).await?;
            let plan = appraisal::generate_visit_plan(
                store,
                &actor,
                &manager,
                month,
                &signals,
                &PlanSettings::default(),
                now,
            )
            .await?;
            match format {
                Output::Json => {
                    let rows: Vec<serde_json::Value> = plan
                        .iter()
                        .map(|p| {
                            serde_json::json!({ "planned_on": p.planned_on.to_string(), "customer_id": p.customer_id,
                                "channel": p.channel, "reasons": p.reasons, "rank": p.rank })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                }
                Output::Text => {
                    println!(
                        "visit plan 拜访计划 of {manager} for {}: {} contacts",
                        month.format("%Y-%m"),
                        plan.len()
                    );
                    for p in &plan {
                        println!(
                            "{} {:<10} {:<7} rank {:<4} {}",
                            p.planned_on,
                            p.customer_id,
                            p.channel,
                            p.rank,
                            p.reasons.join(",")
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// The user acting, if their role has `permission`, with their employee id when a manager.
async fn acting(
    store: &dyn Store,
    login: &str,
    permission: Permission,
) -> anyhow::Result<(Actor, Option<String>)> {
    let user = store
        .find_user_by_login(login)
        .await?
        .with_context(|| format!("refused: no user {login:?} (see weiwan user list)"))?;
    if !user.active {
        anyhow::bail!("refused: user {login} is disabled");
    }
    let role: Role = user.role.parse().map_err(|e| anyhow::anyhow!("user {login}: role: {e}"))?;
    if !allows(role, permission) {
        anyhow::bail!(
            "refused: user {login} has role {} ({}), which may not do this",
            role.code(),
            role.label_zh()
        );
    }
    let manager = user.manager_id.filter(|_| role == Role::Manager);
    Ok((Actor { user_id: user.user_id, role: user.role }, manager))
}

fn date(field: &str, text: &str) -> anyhow::Result<NaiveDate> {
    text.parse().with_context(|| format!("--{field}: {text:?} is not a date (YYYY-MM-DD)"))
}

fn note_input(fields: &NoteFields) -> anyhow::Result<NoteInput> {
    date("date", &fields.date)?;
    if let Some(next) = &fields.next_on {
        date("next-on", next)?;
    }
    Ok(NoteInput {
        visited_on: fields.date.clone(),
        channel: fields.channel.clone(),
        topic: fields.topic.clone(),
        promises: fields.promises.clone(),
        next_step: fields.next_step.clone(),
        next_contact_on: fields.next_on.clone(),
    })
}

fn print_notes(notes: &[NoteView]) {
    println!("note  date        channel  author        v  topic / promises / next step");
    for n in notes {
        println!(
            "{:<5} {:<11} {:<8} {:<13} {:<2} {} / {} / {}{}",
            n.note_id,
            n.visited_on,
            n.channel,
            n.author_id,
            n.version,
            n.topic,
            n.promises,
            n.next_step,
            n.next_contact_on.as_deref().map(|on| format!(" (next {on})")).unwrap_or_default()
        );
    }
}

fn rate(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn print_row(name: &str, row: &Measures) {
    println!(
        "{:<16} {:>6.2} {:>8} {:>4} {:>8} {:>8} {:>8} {:>8} {:>5} {:>6}",
        name,
        row.visits_per_day,
        row.revisits_per_customer.map_or("-".to_owned(), |v| format!("{v:.2}")),
        row.new_customers,
        rate(row.coverage),
        rate(row.repeat_purchase_rate),
        rate(row.retention_success_rate),
        rate(row.quota_completion),
        row.customers_lost,
        row.a_tier_customers
    );
}

pub async fn performance(args: &PerformanceArgs, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, _lake) = super::open(config).await?;
    let month = appraisal::parse_month(&args.month)?;
    let scope = AppraisalScope { branch_id: args.branch.clone(), manager_id: args.manager.clone() };
    let report = appraisal::performance(store.as_ref(), &scope, month).await?;
    match args.format {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Text => {
            println!(
                "manager appraisal 客户经理考核 {} ({} working days)",
                report.month, report.working_days
            );
            println!(
                "who              visits/d revisits new coverage  repeat   retained quota    lost  A-tier"
            );
            for row in &report.managers {
                print_row(row.manager_id.as_deref().unwrap_or("-"), row);
            }
            for row in &report.branches {
                print_row(&format!("branch {}", row.branch_id.as_deref().unwrap_or("-")), row);
            }
            print_row("total", &report.total);
        }
    }
    Ok(())
}
