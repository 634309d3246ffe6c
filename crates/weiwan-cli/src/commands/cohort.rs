//! `weiwan cohort snapshot | list` and `weiwan kpi`: snapshot cohorts 拍照 and their KPIs.

use weiwan_app::{KpiReport, KpiSettings};

use super::run::parse_date;
use crate::cli::{CohortAction, KpiArgs, Output};
use crate::config::StoreConfig;

pub async fn run(action: CohortAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    match action {
        CohortAction::Snapshot { name, as_of, selection } => {
            let query = super::segment::query(store.as_ref(), &selection, true).await?;
            let record = weiwan_app::snapshot_cohort(
                store.as_ref(),
                &lake,
                &name,
                parse_date(&as_of)?,
                &query,
                crate::clock::now(),
            )
            .await?;
            println!("cohort 拍照 {} taken on {}: {} lines", record.name, record.taken_on, record.members);
        }
        CohortAction::List => {
            let cohorts = store.cohorts().await?;
            println!("cohorts 拍照 ({})", cohorts.len());
            for cohort in cohorts {
                println!(
                    "  {:<24} {} {:>10} lines  {}: {}",
                    cohort.name, cohort.taken_on, cohort.members, cohort.mode, cohort.definition
                );
            }
        }
    }
    Ok(())
}

pub async fn kpi(args: &KpiArgs, mut settings: KpiSettings, config: &StoreConfig) -> anyhow::Result<()> {
    if let Some(floor) = args.floor {
        settings.arpu_floor = floor;
    }
    if let Some(months) = args.months {
        settings.low_months = months;
    }
    let (store, lake) = super::open(config).await?;
    let report =
        weiwan_app::cohort_kpis(store.as_ref(), &lake, &args.cohort, parse_date(&args.as_of)?, &settings)
            .await?;
    match args.format {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Text => print(&report, true),
    }
    Ok(())
}

/// Prints the report as a table; the per-manager rows only when asked (there are many).
pub fn print(report: &KpiReport, with_managers: bool) {
    println!(
        "cohort 拍照 {} taken on {}, as of {} (months {} to {}; lost below {} yuan for {} months)",
        report.cohort,
        report.taken_on,
        report.as_of,
        report.months.first().map(String::as_str).unwrap_or_default(),
        report.months.last().map(String::as_str).unwrap_or_default(),
        report.arpu_floor,
        report.low_months
    );
    println!(
        "  {:<16} {:>8}  {:>14} {:>10} {:>10} {:>12} {:>10}",
        "", "members", "保有率 retain", "在网率", "离网率", "捆绑到位率", "续签率"
    );
    let mut rows = vec![("all 全部".to_owned(), &report.overall)];
    let managers: &[weiwan_app::KpiGroup] = if with_managers { &report.by_manager } else { &[] };
    for (label, groups) in
        [("branch", &report.by_branch[..]), ("tier", &report.by_tier[..]), ("manager", managers)]
    {
        for group in groups {
            rows.push((format!("{label} {}", group.key.as_deref().unwrap_or("(none)")), group));
        }
    }
    for (label, group) in rows {
        let rate = |kpi: &str| match group.kpis.get(kpi) {
            Some(k) => match (k.value, k.attainment) {
                (Some(v), Some(a)) => format!("{:.1}% {a}", v * 100.0),
                (Some(v), None) => format!("{:.1}%", v * 100.0),
                (None, _) => "-".to_owned(),
            },
            None => "-".to_owned(),
        };
        println!(
            "  {:<16} {:>8}  {:>14} {:>10} {:>10} {:>12} {:>10}",
            label,
            group.counts.members,
            rate("retention_rate"),
            rate("in_network_rate"),
            rate("churn_rate"),
            rate("binding_rate"),
            rate("renewal_rate")
        );
    }
    let c = &report.overall.counts;
    let share = |kpi: &str| {
        report
            .overall
            .kpis
            .get(kpi)
            .and_then(|k| k.value)
            .map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0))
    };
    println!(
        "  churn kinds 离网类型: left {} = external 外部离网 {} + internal switch 内部转网 {}; dormant 冬眠 {}; \
         保有率 with switchers kept 剔除内部转网 {}",
        c.left,
        c.left_external,
        c.left_internal_switch,
        c.dormant,
        share("retention_rate_excl_switch")
    );
}
