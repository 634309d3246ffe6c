//! `weiwan campaign create | edit | clone | list | show | preview | submit | approve | reject |
//! execute | pause | resume | end | evaluate`: retention campaigns 维系活动 and the scheme
//! library 方案库.
//!
//! Changes are made as a user of the store (`--as LOGIN`) whose role may make them, by the
//! server's permission table: planners plan, submit, execute, pause, resume and end; approvers
//! approve and reject. Reading needs no user.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use weiwan_app::Store;
use weiwan_app::campaigns::{
    ActionRequest, CampaignEvaluation, CampaignPreview, CampaignView, act_on_campaign, campaign_view,
    clone_campaign, create_campaign, edit_campaign, evaluate_campaign, list_campaigns, preview_campaign,
};
use weiwan_app::tasks::Actor;
use weiwan_decision::campaign::{CampaignAction as Transition, CampaignPlan};
use weiwan_decision::experiment::{ContactStats, Interval};
use weiwan_domain::codes::Role;
use weiwan_server::Permission;

use super::run::parse_date;
use crate::cli::{ActArgs, CampaignAction, Output};
use crate::config::StoreConfig;

pub async fn run(action: CampaignAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    let store = store.as_ref();
    let now = crate::clock::now();
    match action {
        CampaignAction::Create { id, file, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let plan = read_plan(&file)?;
            let view = create_campaign(store, &id, &plan, None, &actor, now)
                .await
                .map_err(refused(&format!("plan {} refused, no campaign was created", file.display())))?;
            println!(
                "campaign 维系活动 {} created as a draft 草稿 ({} approval levels needed)",
                view.campaign_id, view.approvals_required
            );
        }
        CampaignAction::Edit { id, file, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let plan = read_plan(&file)?;
            let view = edit_campaign(store, &id, &plan, &actor, now)
                .await
                .map_err(refused(&format!("plan {} refused, campaign {id} is unchanged", file.display())))?;
            println!(
                "campaign 维系活动 {} edited; still a draft 草稿 ({} approval levels needed)",
                view.campaign_id, view.approvals_required
            );
        }
        CampaignAction::Clone { id, new_id, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let view = clone_campaign(store, &id, &new_id, &actor, now)
                .await
                .map_err(refused(&format!("clone of campaign {id} refused, nothing was created")))?;
            println!("campaign 维系活动 {} cloned from {id} as a draft 草稿", view.campaign_id);
        }
        CampaignAction::List { format } => {
            let campaigns = list_campaigns(store).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&campaigns)?),
                Output::Text => print_list(&campaigns),
            }
        }
        CampaignAction::Show { id, format } => {
            let view = campaign_view(store, &id).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&view)?),
                Output::Text => print_view(&view, &logins(store).await?),
            }
        }
        CampaignAction::Preview { id, as_of, sample, format } => {
            let preview =
                preview_campaign(store, &lake, &id, parse_date(&as_of)?, sample, crate::clock::now()).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&preview)?),
                Output::Text => print_preview(&preview),
            }
        }
        CampaignAction::Submit(args) => act(store, &lake, args, Transition::Submit, None).await?,
        CampaignAction::Approve(args) => act(store, &lake, args, Transition::Approve, None).await?,
        CampaignAction::Reject(args) => act(store, &lake, args, Transition::Reject, None).await?,
        CampaignAction::Execute { act: args, as_of } => {
            let as_of = parse_date(&as_of)?;
            act(store, &lake, args, Transition::Execute, Some(as_of)).await?;
        }
        CampaignAction::Pause(args) => act(store, &lake, args, Transition::Pause, None).await?,
        CampaignAction::Resume(args) => act(store, &lake, args, Transition::Resume, None).await?,
        CampaignAction::End(args) => act(store, &lake, args, Transition::End, None).await?,
        CampaignAction::Evaluate { id, as_of, format } => {
            let evaluation = evaluate_campaign(store, &lake, &id, parse_date(&as_of)?).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&evaluation)?),
                Output::Text => print_evaluation(&evaluation),
            }
        }
    }
    Ok(())
}

/// The user a change is made as: an active user of the store whose role holds `permission`.
pub(super) async fn actor(store: &dyn Store, login: &str, permission: Permission) -> anyhow::Result<Actor> {
    let user = store
        .find_user_by_login(login)
        .await?
        .with_context(|| format!("refused: no user {login:?} (see weiwan user list)"))?;
    if !user.active {
        anyhow::bail!("refused: user {login} is disabled");
    }
    let role: Role = user.role.parse().map_err(|e| anyhow::anyhow!("user {login}: role: {e}"))?;
    if !weiwan_server::allows(role, permission) {
        let may: Vec<String> = Role::ALL
            .iter()
            .filter(|r| weiwan_server::allows(**r, permission))
            .map(|r| format!("{} ({})", r.code(), r.label_zh()))
            .collect();
        let what = match permission {
            Permission::PlanCampaigns => "planning campaigns and managing offers",
            Permission::ApproveCampaigns => "approving and rejecting campaigns",
            _ => "this",
        };
        anyhow::bail!(
            "refused: user {login} has role {} ({}); {what} needs role {}",
            role.code(),
            role.label_zh(),
            may.join(" or ")
        );
    }
    Ok(Actor { user_id: user.user_id, role: user.role })
}

/// An application error as the CLI reports it: a refused offer, catalog or plan lists every
/// problem under `what`; anything else (conflict, not found, invalid) says so in its own words.
pub(super) fn refused(what: &str) -> impl FnOnce(weiwan_app::Error) -> anyhow::Error + '_ {
    move |error| match error {
        weiwan_app::Error::CampaignRefused(refusal) => {
            anyhow::anyhow!("{what}:\n  {}", refusal.problems.join("\n  "))
        }
        other => other.into(),
    }
}

/// A plan file: TOML in the form of [`CampaignPlan`] (amounts in yuan as strings, dates as TOML
/// dates or `YYYY-MM-DD` strings).
fn read_plan(file: &Path) -> anyhow::Result<CampaignPlan> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("failed to read campaign plan {}", file.display()))?;
    parse_plan(&text).with_context(|| format!("campaign plan {} is not well formed", file.display()))
}

/// Through a TOML table, as the offer catalog is read: a TOML date then reaches the plan's date
/// fields as text (read straight from the document, it would arrive as a map and be refused).
fn parse_plan(text: &str) -> anyhow::Result<CampaignPlan> {
    let table: toml::Table = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim()))?;
    toml::Value::Table(table).try_into().map_err(|e| anyhow::anyhow!("{}", e.to_string().trim()))
}

async fn act(
    store: &dyn Store,
    lake: &weiwan_app::Lake,
    args: ActArgs,
    action: Transition,
    as_of: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let permission = match action {
        Transition::Approve | Transition::Reject => Permission::ApproveCampaigns,
        _ => Permission::PlanCampaigns,
    };
    let actor = actor(store, &args.user.login, permission).await?;
    let request = ActionRequest { comment: args.comment, as_of };
    let id = &args.id;
    let view = act_on_campaign(store, lake, id, action, &request, &actor, crate::clock::now())
        .await
        .map_err(refused(&format!("campaign {id}: {} refused, the campaign is unchanged", action.code())))?;
    println!(
        "campaign 维系活动 {id}: {} by {} → {} {} (approvals {}/{})",
        action.code(),
        args.user.login,
        view.status,
        view.status_zh,
        view.approvals,
        view.approvals_required
    );
    if action == Transition::Execute {
        println!(
            "  drawn from the data of {}: {} treated 干预组, {} control 对照组; tasks raised for the treated",
            view.executed_on.as_deref().unwrap_or("-"),
            view.treated,
            view.control
        );
    }
    Ok(())
}

/// User ids to logins, for history lines.
async fn logins(store: &dyn Store) -> anyhow::Result<HashMap<String, String>> {
    Ok(store.users().await?.into_iter().map(|u| (u.user_id, u.login)).collect())
}

fn print_list(campaigns: &[CampaignView]) {
    println!("scheme library 方案库 ({} campaigns)", campaigns.len());
    for c in campaigns {
        println!(
            "  {:<24} {:<9} {:<6} approvals {}/{}  budget {:>12}  {} to {}  {:<20} {} / {}",
            c.campaign_id,
            c.status,
            c.status_zh,
            c.approvals,
            c.approvals_required,
            c.budget,
            c.plan.starts_on,
            c.plan.ends_on,
            c.plan.target_group,
            c.plan.name_zh,
            c.plan.name_en
        );
    }
}

fn print_view(view: &CampaignView, logins: &HashMap<String, String>) {
    let who = |id: &str| logins.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let plan = &view.plan;
    println!("campaign 维系活动 {}: {} / {}", view.campaign_id, plan.name_zh, plan.name_en);
    println!(
        "  status 状态: {} {} (approvals 审批 {}/{})",
        view.status, view.status_zh, view.approvals, view.approvals_required
    );
    println!(
        "  target group 客户群: {}; offers 政策 in priority order: {}",
        plan.target_group,
        plan.offers.join(", ")
    );
    let channels: Vec<&str> = plan.channels.iter().map(|c| c.channel.as_str()).collect();
    println!("  channels 渠道: {}", channels.join(", "));
    println!(
        "  runs {} to {}; control group 对照组 {:.0}% held out until {}",
        plan.starts_on,
        plan.ends_on,
        plan.holdout_share * 100.0,
        plan.holdout_until()
    );
    println!("  budget 预算: {} yuan, spent {} yuan", view.budget, view.spent);
    match &view.executed_on {
        Some(on) => println!(
            "  members: {} treated 干预组, {} control 对照组 (drawn from the data of {on})",
            view.treated, view.control
        ),
        None => println!("  members: not drawn yet (the campaign has not been executed)"),
    }
    for target in &plan.targets {
        println!("  target 目标 {}: T0 {} T1 {}", target.kpi, target.t0, target.t1);
    }
    println!(
        "  created by {} at {}{}",
        who(&view.created_by),
        view.created_at,
        view.cloned_from.as_deref().map(|from| format!(", cloned from {from}")).unwrap_or_default()
    );
    println!("history 历史 ({} entries):", view.history.len());
    for h in &view.history {
        let from = if h.from_status.is_empty() { "-" } else { h.from_status.as_str() };
        let level = if h.level > 0 { format!(" level {}", h.level) } else { String::new() };
        let comment = if h.comment.is_empty() { String::new() } else { format!(": {}", h.comment) };
        println!(
            "  {} {:<12} {:<8}{level} {from} → {}{comment}",
            h.at,
            who(&h.user_id),
            h.action,
            h.to_status
        );
    }
}

fn print_preview(p: &CampaignPreview) {
    println!("campaign preview 方案预演 {} as of {}", p.campaign_id, p.as_of);
    println!(
        "  target group 客户群: {} lines; {} held by other campaigns; {} fit no offer",
        p.target_group, p.held_elsewhere, p.no_offer
    );
    println!("  would draw: {} treated 干预组, {} control 对照组", p.treated, p.control);
    println!(
        "  {:<26} {:>8} {:>10} {:>14} {:>16} {:>10}",
        "offer 政策", "members", "take-ups", "cost (yuan)", "saved (yuan)", "unscored"
    );
    for t in &p.offers {
        println!(
            "  {:<26} {:>8} {:>10.1} {:>14.2} {:>16.2} {:>10}",
            t.offer_id,
            t.members,
            t.expected_take_ups,
            t.expected_cost,
            t.expected_saved_revenue,
            t.members_unscored
        );
    }
    println!(
        "  expected: {:.1} take-ups 办理, cost {:.2} of a budget of {:.2} yuan ({}), saved revenue {:.2} yuan",
        p.expected_take_ups,
        p.expected_cost,
        p.budget,
        if p.within_budget { "within budget" } else { "OVER BUDGET 超预算" },
        p.expected_saved_revenue
    );
    let split = |groups: &std::collections::BTreeMap<String, u64>| {
        groups.iter().map(|(group, n)| format!("{group} {n}")).collect::<Vec<_>>().join(", ")
    };
    println!("  treated by tier 按等级: {}", split(&p.by_tier));
    println!("  treated by branch 按分公司: {}", split(&p.by_branch));
    println!("  sample 样例 ({} treated lines): line, tier, branch, offer", p.sample.len());
    for row in &p.sample {
        println!("    {}", row.join("\t"));
    }
}

/// A fraction's interval in percentage points: `+1.23 pp (95% -0.50 to +2.96)`.
fn points(interval: Option<&Interval>) -> String {
    match interval {
        Some(i) => format!(
            "{:+.2} pp (95% interval {:+.2} to {:+.2} pp)",
            i.estimate * 100.0,
            i.low * 100.0,
            i.high * 100.0
        ),
        None => "- (no tier has both arms)".to_owned(),
    }
}

/// A yuan interval: `+123.45 yuan (95% -10.00 to +256.90)`.
fn yuan(interval: Option<&Interval>) -> String {
    match interval {
        Some(i) => format!("{:+.2} yuan (95% interval {:+.2} to {:+.2})", i.estimate, i.low, i.high),
        None => "- (too few members in both arms)".to_owned(),
    }
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn print_evaluation(report: &CampaignEvaluation) {
    let e = &report.evaluation;
    println!(
        "campaign evaluation 效果评估 {} as of {} (executed on {}; every member counts, reached or not)",
        report.campaign_id, report.as_of, report.executed_on
    );
    for (label, arm) in [("treated 干预组", &e.treated), ("control 对照组", &e.control)] {
        println!(
            "  {label:<15} {:>7} members, {:>7} retained ({}), revenue {:.2} yuan ({:.2} per member)",
            arm.members,
            arm.retained,
            percent(arm.retention_rate),
            arm.revenue,
            arm.revenue_per_member
        );
    }
    println!("  retention uplift 保有率提升: {}", points(e.retention_uplift.as_ref()));
    println!("  revenue uplift per member 人均收入提升: {}", yuan(e.revenue_uplift_per_member.as_ref()));
    println!("  incremental revenue 增量收入: {}", yuan(e.incremental_revenue.as_ref()));
    println!("  offer cost 政策成本: {:.2} yuan for {} take-ups 办理", e.offer_cost, report.take_ups);
    println!("  net incremental revenue 净增量收入: {}", yuan(e.net_incremental_revenue.as_ref()));
    match e.roi {
        Some(roi) => println!("  ROI 投资回报率: {}", percent(roi)),
        None => println!("  ROI 投资回报率: - (no offer cost)"),
    }
    if report.unknown_members + e.unmatched_members + e.revenue_unmatched_members > 0 {
        println!(
            "  left out: {} members unknown to the data, {} in tiers lacking an arm, {} of the revenue uplift",
            report.unknown_members, e.unmatched_members, e.revenue_unmatched_members
        );
    }
    print_contacts("by channel 按渠道", &report.by_channel);
    print_contacts("by manager 按客户经理 (- for queue tasks)", &report.by_manager);
    println!("targets 目标 (T0 base, T1 stretch):");
    for t in &report.targets {
        println!(
            "  {:<18} T0 {:>7} T1 {:>7} actual {:>7}  {}",
            t.kpi,
            percent(t.t0),
            percent(t.t1),
            t.actual.map_or_else(|| "-".to_owned(), percent),
            t.reached
        );
    }
}

fn print_contacts(title: &str, stats: &[ContactStats]) {
    println!("{title}:");
    println!(
        "  {:<14} {:>7} {:>7} {:>7} {:>8} {:>9} {:>9} {:>8}",
        "", "tasks", "worked", "reached", "accepted", "connect", "success", "take-up"
    );
    for s in stats {
        println!(
            "  {:<14} {:>7} {:>7} {:>7} {:>8} {:>9} {:>9} {:>8}",
            s.key,
            s.tasks,
            s.worked,
            s.reached,
            s.accepted,
            percent(s.connect_rate),
            percent(s.success_rate),
            percent(s.take_up)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"
name_zh = "存费赠费保有"
name_en = "Prepay retention"
target_group = "vips"
offers = ["prepay_bonus_100"]
starts_on = 2026-11-01
ends_on = "2026-12-31"
budget = "50000"
approval_levels = 2

[[channels]]
channel = "outbound"
script_zh = "您好"
script_en = "Hello"

[[targets]]
kpi = "take_up"
t0 = 0.1
t1 = 0.2
"#;

    #[test]
    fn a_plan_reads_from_toml_with_dates_as_toml_dates_or_strings() {
        let plan = parse_plan(PLAN).expect("the plan parses");
        assert_eq!(plan.starts_on.to_string(), "2026-11-01");
        assert_eq!(plan.ends_on.to_string(), "2026-12-31");
        assert_eq!(plan.budget.to_string(), "50000.00");
        assert_eq!((plan.holdout_share, plan.holdout_days, plan.approval_levels), (0.1, 90, 2));
        assert_eq!(plan.channels[0].channel, "outbound");
        assert_eq!(plan.targets[0].kpi, "take_up");
    }

    #[test]
    fn a_plan_with_an_unknown_key_or_a_float_amount_is_refused_by_name() {
        let err = parse_plan(&PLAN.replace("approval_levels", "approvals")).expect_err("unknown key");
        assert!(err.to_string().contains("approvals"), "{err}");
        let err = parse_plan(&PLAN.replace("\"50000\"", "50000.5")).expect_err("a float amount");
        assert!(err.to_string().contains("not exact"), "{err}");
    }
}
