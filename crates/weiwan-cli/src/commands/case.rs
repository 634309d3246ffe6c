//! `weiwan case open | list | show | note | escalate | claim | concede | decline | approve |
//! reject | close | ledger | report`: retention cases 拆机挽留 (docs/retention-cases.md).
//!
//! Steps are taken as a user of the store (`--as LOGIN`) and allowed by the server's permission
//! table: the first line (managers, clerks, agents) opens and works cases, the retention desk
//! (planners) claims escalated ones, approvers decide on concessions. Reading needs no user.

use anyhow::Context;
use weiwan_app::Store;
use weiwan_app::cases::{
    self as uc, CaseAction as Step, CaseActor, CaseListFilter as CaseFilter, CaseReport, CaseView, Ledger,
    OpenRequest,
};
use weiwan_app::tasks::Actor;
use weiwan_domain::Money;
use weiwan_domain::codes::Role;
use weiwan_server::{Permission, allows};

use crate::cli::{CaseAction, CaseStepArgs, Output};
use crate::config::StoreConfig;

pub async fn run(action: CaseAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, _lake) = super::open(config).await?;
    let store = store.as_ref();
    let now = crate::clock::now();
    match action {
        CaseAction::Open { line, kind, channel, reason, user } => {
            let actor = actor(store, &user.login).await?;
            let request = OpenRequest { subscription_id: line, kind, channel, reason };
            let opened = uc::open_case(store, &request, &actor, now).await?;
            let case = &opened.case;
            if opened.joined {
                println!(
                    "retention case 挽留工单 {} of line {} was open already: the request joined it; its owner \
                     (首问负责人) stays {}",
                    case.case_id, case.subscription_id, case.owner_id
                );
            } else {
                println!(
                    "retention case 挽留工单 {} opened for line {} ({} {}), owned by {} (首问负责人), due {}",
                    case.case_id,
                    case.subscription_id,
                    case.kind,
                    case.kind_zh,
                    case.owner_id,
                    case.due_at.as_deref().unwrap_or("-")
                );
            }
        }
        CaseAction::List { status, branch, format } => {
            let filter = CaseFilter { status, branch_id: branch, ..CaseFilter::default() };
            let cases = uc::list_cases(store, &filter, now).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&cases)?),
                Output::Text => {
                    println!("case  line        branch  kind             status            owner        due");
                    for c in &cases {
                        println!(
                            "{:<5} {:<11} {:<7} {:<16} {:<17} {:<12} {}{}",
                            c.case_id,
                            c.subscription_id,
                            c.branch_id,
                            c.kind,
                            c.status,
                            c.owner_id,
                            c.due_at.as_deref().unwrap_or("-"),
                            if c.overdue { " OVERDUE 超时" } else { "" }
                        );
                    }
                }
            }
        }
        CaseAction::Show { id, format } => {
            let view = uc::case_view(store, id, now).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&view)?),
                Output::Text => print_case(&view),
            }
        }
        CaseAction::Note(step) => act(store, step, |note| Step::Note { note }).await?,
        CaseAction::Escalate(step) => act(store, step, |note| Step::Escalate { note }).await?,
        CaseAction::Claim(step) => act(store, step, |note| Step::Claim { note }).await?,
        CaseAction::Concede { step, kind, amount } => {
            let amount = Money::parse(&amount).map_err(|e| anyhow::anyhow!("refused: --amount: {e}"))?;
            act(store, step, |note| Step::Offer { kind, amount, note }).await?;
        }
        CaseAction::Decline { step, concession } => {
            act(store, step, |note| Step::Decline { concession_id: concession, note }).await?;
        }
        CaseAction::Approve { step, concession } => {
            act(store, step, |note| Step::Approve { concession_id: concession, note }).await?;
        }
        CaseAction::Reject { step, concession } => {
            act(store, step, |note| Step::Reject { concession_id: concession, note }).await?;
        }
        CaseAction::Close { step, outcome, accepted, kept_fee } => {
            let kept_fee = kept_fee
                .as_deref()
                .map(Money::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("refused: --kept-fee: {e}"))?;
            act(store, step, |note| Step::Close { outcome, accepted_concession: accepted, kept_fee, note })
                .await?;
        }
        CaseAction::Ledger { month, branch, format } => {
            let ledger = uc::ledger(store, &month, branch.as_deref()).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&ledger)?),
                Output::Text => print_ledger(&ledger),
            }
        }
        CaseAction::Report { month, branch, format } => {
            let report = uc::monthly_report(store, &month, branch.as_deref()).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Output::Text => print_report(&report),
            }
        }
    }
    Ok(())
}

/// The acting user, with the levels their role holds; a role that may do nothing with cases
/// is refused here.
async fn actor(store: &dyn Store, login: &str) -> anyhow::Result<CaseActor> {
    let user = store
        .find_user_by_login(login)
        .await?
        .with_context(|| format!("refused: no user {login:?} (see weiwan user list)"))?;
    if !user.active {
        anyhow::bail!("refused: user {login} is disabled");
    }
    let role: Role = user.role.parse().map_err(|e| anyhow::anyhow!("user {login}: role: {e}"))?;
    let actor = CaseActor {
        first_line: allows(role, Permission::OpenCases),
        desk: allows(role, Permission::WorkRetentionDesk),
        approver: allows(role, Permission::ApproveConcessions),
        actor: Actor { user_id: user.user_id, role: user.role },
    };
    if !(actor.first_line || actor.desk || actor.approver) {
        anyhow::bail!(
            "refused: user {login} has role {} ({}); retention cases are worked by managers, clerks and \
             agents (first line), planners (the retention desk) and approvers",
            role.code(),
            role.label_zh()
        );
    }
    Ok(actor)
}

async fn act(store: &dyn Store, args: CaseStepArgs, step: impl FnOnce(String) -> Step) -> anyhow::Result<()> {
    let actor = actor(store, &args.user.login).await?;
    let step = step(args.note);
    let view = uc::act_on_case(store, args.id, &step, &actor, crate::clock::now())
        .await
        .map_err(|e| anyhow::anyhow!("refused: {e}"))?;
    let last = view.history.last();
    println!(
        "retention case 挽留工单 {}: {} by {}; now {} {}{}",
        view.case_id,
        last.map_or("-", |e| e.action.as_str()),
        actor.actor.user_id,
        view.status,
        view.status_zh,
        last.and_then(|e| e.concession_id).map(|id| format!(" (concession {id})")).unwrap_or_default()
    );
    Ok(())
}

fn print_case(c: &CaseView) {
    println!("retention case 挽留工单 {}  {} {}", c.case_id, c.kind, c.kind_zh);
    println!("  line {}  customer {}  branch {}", c.subscription_id, c.customer_id, c.branch_id);
    println!(
        "  status {} {}  owner (首问负责人) {}  desk {}",
        c.status,
        c.status_zh,
        c.owner_id,
        c.desk_owner_id.as_deref().unwrap_or("-")
    );
    println!("  received through {}: {}", c.channel, c.reason);
    if let Some(due) = &c.due_at {
        println!("  due {due}{}", if c.overdue { "  OVERDUE 超时" } else { "" });
    }
    if let Some(outcome) = &c.outcome {
        println!(
            "  closed {} by {}: {outcome} {}",
            c.closed_at.as_deref().unwrap_or("-"),
            c.closed_by.as_deref().unwrap_or("-"),
            c.outcome_zh.as_deref().unwrap_or("")
        );
    }
    println!("  concessions 让利:");
    for k in &c.concessions {
        println!(
            "    {:<4} {:<15} {:>9} yuan  {:<10} {:<16} by {}{}",
            k.concession_id,
            k.kind,
            k.amount,
            k.level,
            k.status,
            k.requested_by,
            k.approver_id.as_deref().map(|a| format!(", approved by {a}")).unwrap_or_default()
        );
    }
    println!("  history:");
    for e in &c.history {
        println!(
            "    {}  {:<9} {:<10} {} → {}  {}",
            e.at, e.action, e.user_id, e.from_status, e.to_status, e.note
        );
    }
}

fn print_ledger(l: &Ledger) {
    println!("retention ledger 挽留台帐 {}: {} cases closed, {} lines kept", l.month, l.cases, l.lines_kept);
    println!(
        "case  branch  line        kind             outcome     concessions  revenue kept ({} months)",
        l.kept_months
    );
    for e in &l.entries {
        println!(
            "{:<5} {:<7} {:<11} {:<16} {:<11} {:>11}  {}",
            e.case_id,
            e.branch_id,
            e.subscription_id,
            e.kind,
            e.outcome,
            e.concession_cost,
            e.revenue_kept.as_deref().unwrap_or("-")
        );
    }
    println!("total concessions {} yuan, revenue kept {} yuan", l.concession_cost, l.revenue_kept);
}

fn print_report(r: &CaseReport) {
    let rate = |x: Option<f64>| x.map_or("-".to_owned(), |x| format!("{:.1}%", x * 100.0));
    println!("retention cases by branch 分公司拆机挽留月报 {}", r.month);
    println!("branch  opened  closed  kept  lost  withdrawn  retention  escalated  concessions");
    for b in r.branches.iter().chain(std::iter::once(&r.total)) {
        let name = if b.branch_id.is_empty() { "total" } else { b.branch_id.as_str() };
        println!(
            "{:<7} {:>6} {:>7} {:>5} {:>5} {:>10} {:>10} {:>10} {:>12}",
            name,
            b.opened,
            b.closed,
            b.retained + b.downgraded,
            b.lost,
            b.withdrawn,
            rate(b.retention_rate),
            rate(b.escalated_share),
            b.concession_cost
        );
    }
}
