//! `weiwan group list | show | report | influence`: group customers 集团客户 (docs/groups.md).
//!
//! Reading needs no user; recording a key person's influence is done as a user of the store
//! (`--as LOGIN`) whose role the server's permission table allows it (managers).

use weiwan_app::groups::{self as uc, GroupReport, GroupView, InfluenceChange, Reveal};

use crate::cli::{GroupAction, Output};
use crate::config::StoreConfig;

pub async fn run(action: GroupAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    let store = store.as_ref();
    let now = crate::clock::now();
    match action {
        GroupAction::List { branch, format } => {
            let groups = uc::list_groups(store, branch.as_deref()).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&groups)?),
                Output::Text => {
                    println!("group     tier      branch  manager  members  name");
                    for g in &groups {
                        println!(
                            "{:<9} {:<9} {:<7} {:<8} {:>7}  {}",
                            g.group_id,
                            g.vip_tier,
                            g.branch_id,
                            g.manager_id.as_deref().unwrap_or("-"),
                            g.members,
                            g.name
                        );
                    }
                }
            }
        }
        GroupAction::Show { id, format } => {
            let view = uc::group_view(store, &lake, &id, &Reveal::default(), now)
                .await
                .map_err(|e| anyhow::anyhow!("refused: {e}"))?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&view)?),
                Output::Text => print_group(&view),
            }
        }
        GroupAction::Report { id, period, format } => {
            let report = uc::group_report(store, &lake, &id, &period, now)
                .await
                .map_err(|e| anyhow::anyhow!("refused: {e}"))?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Output::Text => print_report(&report),
            }
        }
        GroupAction::Influence { customer, role, weight, note, user } => {
            let actor =
                super::club::actor(store, &user.login, weiwan_server::Permission::ManageKeyPersons).await?;
            let change = InfluenceChange { customer_id: customer, role, weight, note };
            let view = uc::set_influence(store, &change, &actor, now)
                .await
                .map_err(|e| anyhow::anyhow!("refused: {e}"))?;
            println!(
                "key person 关键人 {} ({}): {} {}, weight {:.3}; the next daily batch raises the group's risk with it",
                view.customer_id, view.name, view.role, view.role_zh, view.weight
            );
        }
    }
    Ok(())
}

fn percent(p: Option<f64>) -> String {
    p.map_or("-".to_owned(), |p| format!("{:.1}%", p * 100.0))
}

fn print_group(v: &GroupView) {
    let g = &v.group;
    println!(
        "group customer 集团客户 {} {}  tier {} {}  branch {}",
        g.group_id, g.name, g.vip_tier, g.vip_tier_zh, g.branch_id
    );
    let s = &v.service_level;
    println!(
        "  service level: answer within {} h, named manager {}, report {}",
        s.response_hours,
        if s.named_manager { "required" } else { "not required" },
        s.report
    );
    println!(
        "  manager {}{}",
        g.manager_id.as_deref().unwrap_or("-"),
        if v.named_manager_missing {
            "  MISSING: the tier requires a named manager 专属客户经理"
        } else {
            ""
        }
    );
    if let Some(period) = &v.current_period {
        println!("  current report period {} ({} to {})", period.label, period.from, period.to);
    }
    println!(
        "  risk as of {}: {} of {} lines at or above {:.0}%",
        v.risk_as_of.as_deref().unwrap_or("- (no batch yet)"),
        v.lines_at_risk,
        v.lines,
        v.at_risk_threshold * 100.0
    );
    println!("  key persons 关键人:");
    for k in &v.key_persons {
        println!(
            "    {:<9} {:<14} {:<15} weight {:.3}{}  own risk {}",
            k.customer_id,
            k.name,
            k.role,
            k.weight,
            if k.recorded { "" } else { " (default)" },
            percent(k.churn_probability)
        );
    }
    println!("  members and lines:");
    for m in &v.members {
        println!(
            "    {} {} ({}){}",
            m.customer_id,
            m.name,
            m.vip_tier,
            if m.is_key_person { " 关键人" } else { "" }
        );
        for l in &m.lines {
            println!(
                "      {:<11} {}  {:<12} risk {} (model {}, key persons +{}){}",
                l.subscription_id,
                l.msisdn,
                l.status,
                percent(l.churn_probability),
                percent(l.churn_probability_model),
                percent(l.key_person_risk),
                if l.at_risk { "  AT RISK" } else { "" }
            );
        }
    }
}

fn print_report(r: &GroupReport) {
    println!(
        "group service report 集团客户服务报告 {} {}  period {} ({} to {}){}",
        r.group.group_id,
        r.group.name,
        r.period.label,
        r.period.from,
        r.period.to,
        if r.report_due { "" } else { "  (not this tier's report frequency)" }
    );
    println!("  members {}  key persons {}", r.members, r.key_persons);
    println!(
        "  lines: {} activated, {} disconnected, {} at the period's end",
        r.lines_activated, r.lines_disconnected, r.lines_at_end
    );
    println!(
        "  tasks: {} raised, {} answered within {} h ({})",
        r.tasks_raised,
        r.tasks_answered_in_time,
        r.service_level.response_hours,
        percent(r.response_rate)
    );
    println!("  retention cases: {} opened, {} kept", r.retention_cases_opened, r.retention_cases_kept);
    println!("  club events attended: {}", r.club_events_attended);
    println!(
        "  lines at risk now: {} (as of {})",
        r.lines_at_risk_now,
        r.risk_as_of.as_deref().unwrap_or("-")
    );
}
