//! The analyst's and management's pages: the churn model's quality out of time (ROC, lift,
//! calibration), a snapshot cohort's retention KPIs (保有率 and the rest) by branch, tier and
//! manager, and the management dashboard (保有率 by month per branch and tier, churn by
//! month, campaign uplift with its 95% interval, the outbound funnel).
//!
//! Charts are ECharts options written here as JSON into `data-chart` attributes; the page's
//! script only hands them to ECharts. The numbers come from `weiwan_app::dashboards`
//! (docs/dashboards.md); DataFusion work runs on the analytics runtime.

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use weiwan_app::KpiSettings;
use weiwan_app::dashboards::{CampaignUplift, Funnel, KpiTrend, ModelQuality};
use weiwan_domain::codes::VipTier;

use super::i18n::{Lang, messages};
use super::{PageResult, Viewer, label, layout};
use crate::AppState;
use crate::auth::Permission;

messages! {
    ModelTitle => "流失模型质量（跨时间检验）", "Churn model quality (out-of-time test)";
    NoModel => "还没有训练流失模型：运行“训练流失模型”或 weiwan churn train-lake。", "No churn model trained yet: run “train the churn model” or weiwan churn train-lake.";
    ModelFile => "模型文件", "Model file";
    TrainedOn => "训练窗口（特征日期）", "Trained on features as of";
    TestedOn => "检验窗口（特征日期）", "Tested on features as of";
    TestRows => "检验样本 / 流失", "Test rows / churners";
    Auc => "AUC", "AUC";
    TopLift => "前10%提升度", "Top-decile lift";
    LogLoss => "对数损失", "Log loss";
    Brier => "Brier分数", "Brier score";
    Roc => "ROC曲线", "ROC curve";
    FalsePositive => "误报率", "False positive rate";
    TruePositive => "命中率", "True positive rate";
    Random => "随机", "Random";
    Model => "模型", "Model";
    Lift => "分十等份提升度", "Lift by decile";
    Decile => "十分位（1=风险最高）", "Decile (1 = riskiest)";
    LiftAxis => "提升度", "Lift";
    Gain => "累计捕获率", "Cumulative gain";
    Calibration => "校准图", "Calibration";
    Predicted => "预测流失概率", "Predicted churn probability";
    Observed => "实际流失率", "Observed churn rate";
    Perfect => "完全校准", "Perfectly calibrated";
    Customers => "客户数", "Customers";
    Churners => "流失数", "Churners";
    Rate => "流失率", "Churn rate";
    KpiTitle => "保有指标（拍照客户群）", "Retention KPIs (snapshot cohort)";
    NoCohort => "还没有拍照客户群：weiwan cohort snapshot。", "No snapshot cohort yet: weiwan cohort snapshot.";
    NoData => "还没有客户360宽表：请先运行日批处理。", "No customer 360 table yet: run the daily batch first.";
    Cohort => "客户群", "Cohort";
    Show => "显示", "Show";
    TakenOn => "拍照日期", "Taken on";
    AsOf => "统计日期", "As of";
    Overall => "全部", "Overall";
    ByBranch => "按分公司", "By branch";
    ByTier => "按等级", "By tier";
    ByManager => "按客户经理", "By account manager";
    Group => "分组", "Group";
    Members => "拍照人数", "Members";
    RetentionRate => "保有率", "Retention rate";
    InNetworkRate => "在网率", "In-network rate";
    ChurnRate => "离网率", "Churn rate";
    BindingRate => "捆绑到位率", "Binding rate";
    RenewalRate => "续签率", "Renewal rate";
    RetentionExclSwitch => "保有率（内部转网不计流失）", "Retention rate (switchers kept)";
    ExternalChurnRate => "外部离网率", "Left for a competitor";
    InternalSwitchRate => "内部转网率", "Internal switch rate";
    DormantRate => "冬眠率", "Dormant rate";
    KindsCounts => "外部离网 / 内部转网 / 冬眠", "Competitor / switch / dormant";
    KindsTitle => "离网类型（全网号码）", "Churn kinds (all lines)";
    KindsNote => "内部转网：同一客户、同一证件号或同一终端在离网前后30天内开通新号码；冬眠：在网但连续3个月无通话、流量和短信。", "Internal switch: the same customer, ID number or handset on a new line within 30 days of the disconnection; dormant: on the network but no calls, data or SMS for 3 months.";
    Lines => "号码数", "Lines";
    LeftExternal => "外部离网", "Left for a competitor";
    LeftSwitch => "内部转网", "Internal switch";
    WonBack => "挽回", "Won back";
    Dormant => "冬眠", "Dormant";
    Attained => "达标", "Target";
    DashboardTitle => "管理驾驶舱", "Management dashboard";
    RetentionByBranch => "保有率按月（分公司）", "Retention rate by month (branches)";
    RetentionByTier => "保有率按月（等级）", "Retention rate by month (tiers)";
    ChurnTrend => "月度离网", "Churn by month";
    LinesLeft => "离网号码", "Lines that left";
    Uplift => "活动增量保有（95%置信区间）", "Campaign retention uplift (95% interval)";
    NoUplift => "还没有可评估的已执行活动。", "No executed campaign to evaluate yet.";
    UpliftAxis => "保有率增量（百分点）", "Retention uplift (points)";
    NotEvaluated => "未评估", "Not evaluated";
    FunnelTitle => "外呼漏斗（近30天）", "Outbound funnel (last 30 days)";
    Raised => "派单", "Tasks raised";
    Claimed => "已领取", "Claimed";
    Reached => "已联系上", "Reached";
    Won => "接受优惠或挽留成功", "Accepted or retained";
    Campaign => "活动", "Campaign";
    Estimate => "估计", "Estimate";
    Interval => "区间", "Interval";
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/model", get(model)).route("/kpis", get(kpis)).route("/dashboard", get(dashboard))
}

/// A chart: an element the page's script draws with ECharts from this option.
fn chart(id: &str, option: &Json) -> Markup {
    html! { div.chart id=(id) data-chart=(option.to_string()) role="img" {} }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

// ---------------------------------------------------------------------------------------------
// Model quality

async fn model(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::ReadModelQuality)?;
    let lang = viewer.lang;
    let quality = weiwan_app::dashboards::model_quality(&state.lake).await.map_err(|e| viewer.fail(e))?;
    let body = match &quality {
        None => html! { p.notice #no-model { (M::NoModel.text(lang)) } },
        Some(quality) => model_body(lang, quality),
    };
    Ok(layout(&viewer, M::ModelTitle.text(lang), "/model", body))
}

fn model_body(lang: Lang, quality: &ModelQuality) -> Markup {
    let test = &quality.out_of_time;
    let t = |m: M| m.text(lang);
    let roc = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "value", "min": 0, "max": 1, "name": t(M::FalsePositive), "nameLocation": "middle", "nameGap": 28},
        "yAxis": {"type": "value", "min": 0, "max": 1, "name": t(M::TruePositive)},
        "series": [
            {"name": format!("{} (AUC {:.3})", t(M::Model), test.auc), "type": "line", "showSymbol": false,
             "data": test.roc.iter().map(|p| [round(p.fpr, 4), round(p.tpr, 4)]).collect::<Vec<_>>()},
            {"name": t(M::Random), "type": "line", "showSymbol": false, "lineStyle": {"type": "dashed"}, "data": [[0, 0], [1, 1]]}
        ]
    });
    let lift = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "name": t(M::Decile), "nameLocation": "middle", "nameGap": 28,
                  "data": test.lift.iter().map(|d| d.decile.to_string()).collect::<Vec<_>>()},
        "yAxis": [{"type": "value", "name": t(M::LiftAxis)}, {"type": "value", "name": t(M::Gain), "min": 0, "max": 1}],
        "series": [
            {"name": t(M::LiftAxis), "type": "bar", "data": test.lift.iter().map(|d| round(d.lift, 2)).collect::<Vec<_>>()},
            {"name": t(M::Gain), "type": "line", "yAxisIndex": 1, "data": test.lift.iter().map(|d| round(d.cumulative_gain, 3)).collect::<Vec<_>>()}
        ]
    });
    let top = test.reliability.iter().map(|b| b.high).fold(0.1_f64, f64::max);
    let calibration = json!({
        "tooltip": {"trigger": "item"},
        "legend": {},
        "xAxis": {"type": "value", "min": 0, "max": round(top, 1), "name": t(M::Predicted), "nameLocation": "middle", "nameGap": 28},
        "yAxis": {"type": "value", "min": 0, "name": t(M::Observed)},
        "series": [
            {"name": t(M::Model), "type": "line", "symbolSize": 8,
             "data": test.reliability.iter().map(|b| [round(b.mean_predicted, 4), round(b.observed_rate, 4)]).collect::<Vec<_>>()},
            {"name": t(M::Perfect), "type": "line", "showSymbol": false, "lineStyle": {"type": "dashed"}, "data": [[0, 0], [round(top, 1), round(top, 1)]]}
        ]
    });
    html! {
        section #model-summary {
            div.cards {
                div.card { (t(M::Auc)) strong #model-auc { (format!("{:.3}", test.auc)) } }
                div.card { (t(M::TopLift)) strong { (format!("{:.2}", test.top_decile_lift)) } }
                div.card { (t(M::LogLoss)) strong { (format!("{:.4}", test.log_loss)) } }
                div.card { (t(M::Brier)) strong { (format!("{:.4}", test.brier)) } }
                div.card { (t(M::TestRows)) strong { (test.test_rows) " / " (test.test_positives) } }
            }
            dl.facts {
                dt { (t(M::ModelFile)) } dd { code { (quality.file) } }
                dt { (t(M::TrainedOn)) } dd { (test.trained_on_features_as_of) }
                dt { (t(M::TestedOn)) } dd { (test.tested_on_features_as_of) }
            }
        }
        div.charts {
            section { h2 { (t(M::Roc)) } (chart("chart-roc", &roc)) }
            section { h2 { (t(M::Lift)) } (chart("chart-lift", &lift)) }
            section { h2 { (t(M::Calibration)) } (chart("chart-calibration", &calibration)) }
        }
        section {
            h2 { (t(M::Lift)) }
            table #deciles {
                thead { tr { th { (t(M::Decile)) } th { (t(M::Customers)) } th { (t(M::Churners)) } th { (t(M::Rate)) } th { (t(M::LiftAxis)) } th { (t(M::Gain)) } } }
                tbody {
                    @for d in &test.lift {
                        tr { td { (d.decile) } td.num { (d.count) } td.num { (d.positives) } td.num { (percent(Some(d.rate))) }
                             td.num { (format!("{:.2}", d.lift)) } td.num { (percent(Some(d.cumulative_gain))) } }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// KPIs

#[derive(Debug, Deserialize)]
struct CohortQuery {
    cohort: Option<String>,
}

fn kpi_label(kpi: &str) -> M {
    match kpi {
        "retention_rate" => M::RetentionRate,
        "in_network_rate" => M::InNetworkRate,
        "churn_rate" => M::ChurnRate,
        "binding_rate" => M::BindingRate,
        "retention_rate_excl_switch" => M::RetentionExclSwitch,
        "external_churn_rate" => M::ExternalChurnRate,
        "internal_switch_rate" => M::InternalSwitchRate,
        "dormant_rate" => M::DormantRate,
        _ => M::RenewalRate,
    }
}

/// The date the dashboards are as of: the newest 360 table's (the batch's data date).
fn data_date(state: &AppState, viewer: &Viewer) -> PageResult<Option<NaiveDate>> {
    weiwan_app::segments::latest_tagged_date(&state.lake).map_err(|e| viewer.fail(e))
}

/// The cohort asked for, else the newest snapshot; `None` without any.
async fn chosen_cohort(
    state: &AppState,
    viewer: &Viewer,
    asked: Option<String>,
) -> PageResult<(Vec<String>, Option<String>)> {
    let mut cohorts = state.store.cohorts().await.map_err(|e| viewer.fail(e))?;
    cohorts.sort_by(|a, b| b.taken_on.cmp(&a.taken_on).then_with(|| a.name.cmp(&b.name)));
    let names: Vec<String> = cohorts.into_iter().map(|c| c.name).collect();
    let chosen = asked.filter(|a| names.contains(a)).or_else(|| names.first().cloned());
    Ok((names, chosen))
}

fn cohort_picker(lang: Lang, path: &str, names: &[String], chosen: &str) -> Markup {
    html! {
        form.inline method="get" action=(path) {
            label.check { (M::Cohort.text(lang)) " "
                select name="cohort" { @for name in names { option value=(name) selected[name == chosen] { (name) } } }
            }
            " " button type="submit" { (M::Show.text(lang)) }
        }
    }
}

async fn kpis(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CohortQuery>,
) -> PageResult<Markup> {
    viewer.require(Permission::ReadDashboards)?;
    let lang = viewer.lang;
    let (names, chosen) = chosen_cohort(&state, &viewer, query.cohort).await?;
    let as_of = data_date(&state, &viewer)?;
    let body = match (chosen, as_of) {
        (None, _) => html! { p.notice { (M::NoCohort.text(lang)) } },
        (_, None) => html! { p.notice { (M::NoData.text(lang)) } },
        (Some(cohort), Some(as_of)) => {
            let (store, lake, name) = (state.store.clone(), state.lake.clone(), cohort.clone());
            let report = crate::on_analytics(&state, async move {
                weiwan_app::cohort_kpis(store.as_ref(), &lake, &name, as_of, &KpiSettings::default()).await
            })
            .await
            .map_err(|e| viewer.fail(e))?;
            let own = viewer.who.branch_id.as_deref();
            let branches: Vec<_> = report
                .by_branch
                .iter()
                .filter(|g| own.is_none() || g.key.as_deref() == own)
                .cloned()
                .collect();
            html! {
                (cohort_picker(lang, "/kpis", &names, &cohort))
                p { (M::TakenOn.text(lang)) ": " (report.taken_on) " · " (M::AsOf.text(lang)) ": " (report.as_of) }
                section { h2 { (M::Overall.text(lang)) } (kpi_table(lang, "kpi-overall", std::slice::from_ref(&report.overall), |_| M::Overall.text(lang).to_owned())) }
                section { h2 { (M::ByBranch.text(lang)) } (kpi_table(lang, "kpi-branches", &branches, |k| k.to_owned())) }
                section { h2 { (M::ByTier.text(lang)) } (kpi_table(lang, "kpi-tiers", &report.by_tier, |k| label::<VipTier>(k, lang))) }
                section { h2 { (M::ByManager.text(lang)) } (kpi_table(lang, "kpi-managers", &report.by_manager, |k| k.to_owned())) }
            }
        }
    };
    Ok(layout(&viewer, M::KpiTitle.text(lang), "/kpis", body))
}

fn kpi_table(lang: Lang, id: &str, groups: &[weiwan_app::KpiGroup], name: impl Fn(&str) -> String) -> Markup {
    html! {
        table id=(id) {
            thead { tr {
                th { (M::Group.text(lang)) } th { (M::Members.text(lang)) }
                @for kpi in weiwan_app::KPIS { th { (kpi_label(kpi).text(lang)) } }
                th { (M::KindsCounts.text(lang)) }
            } }
            tbody {
                @for group in groups {
                    tr {
                        td { (group.key.as_deref().map_or_else(|| "—".to_owned(), &name)) }
                        td.num { (group.counts.members) }
                        @for kpi in weiwan_app::KPIS {
                            @let value = group.kpis.get(kpi);
                            td.num data-attainment=[value.and_then(|v| v.attainment)] {
                                (percent(value.and_then(|v| v.value)))
                                @if let Some(attained) = value.and_then(|v| v.attainment) { " " span.muted title=(M::Attained.text(lang)) { (attained) } }
                            }
                        }
                        td.num.kinds { (group.counts.left_external) " / " (group.counts.left_internal_switch) " / " (group.counts.dormant) }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The management dashboard

async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CohortQuery>,
) -> PageResult<Markup> {
    viewer.require(Permission::ReadDashboards)?;
    let lang = viewer.lang;
    let Some(as_of) = data_date(&state, &viewer)? else {
        let body = html! { p.notice { (M::NoData.text(lang)) } };
        return Ok(layout(&viewer, M::DashboardTitle.text(lang), "/dashboard", body));
    };
    let (names, chosen) = chosen_cohort(&state, &viewer, query.cohort).await?;
    let own = viewer.who.branch_id.clone();
    let (store, lake, cohort) = (state.store.clone(), state.lake.clone(), chosen.clone());
    let scope = own.clone();
    let (trend, churn, uplifts, kinds) = crate::on_analytics(&state, async move {
        let trend = match &cohort {
            Some(name) => Some(
                weiwan_app::dashboards::kpi_trend(
                    store.as_ref(),
                    &lake,
                    name,
                    as_of,
                    &KpiSettings::default(),
                )
                .await,
            ),
            None => None,
        };
        let churn = weiwan_app::dashboards::churn_trend(&lake, as_of, 12).await?;
        let uplifts = weiwan_app::dashboards::campaign_uplifts(store.as_ref(), &lake, as_of).await?;
        let settings = weiwan_app::churn_kinds::ChurnKindSettings::default();
        let kinds =
            weiwan_app::churn_kinds::churn_kinds_in(&lake, as_of, &settings, false, scope.as_deref()).await?;
        Ok((trend, churn, uplifts, kinds))
    })
    .await
    .map_err(|e| viewer.fail(e))?;
    let today = (state.clock)().date_naive();
    let since = today.checked_sub_days(chrono::Days::new(30)).unwrap_or(today);
    let funnel = weiwan_app::dashboards::outbound_funnel(state.store.as_ref(), since, own.as_deref())
        .await
        .map_err(|e| viewer.fail(e))?;
    let t = |m: M| m.text(lang);
    let churn_chart = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "data": churn.iter().map(|m| m.month.clone()).collect::<Vec<_>>()},
        "yAxis": [{"type": "value", "name": t(M::LinesLeft)}, {"type": "value", "name": t(M::Rate), "axisLabel": {"formatter": "{value}%"}}],
        "series": [
            {"name": t(M::LeftExternal), "type": "bar", "stack": "left", "data": churn.iter().map(|m| m.left_external).collect::<Vec<_>>()},
            {"name": t(M::LeftSwitch), "type": "bar", "stack": "left", "data": churn.iter().map(|m| m.left_internal_switch).collect::<Vec<_>>()},
            {"name": t(M::Rate), "type": "line", "yAxisIndex": 1,
             "data": churn.iter().map(|m| m.churn_rate.map(|r| round(r * 100.0, 2))).collect::<Vec<_>>()}
        ]
    });
    let body = html! {
        @if !names.is_empty() { @if let Some(chosen) = &chosen { (cohort_picker(lang, "/dashboard", &names, chosen)) } }
        div.charts {
            @match &trend {
                Some(Ok(trend)) => {
                    section { h2 { (t(M::RetentionByBranch)) } (chart("chart-retention-branches", &trend_chart(lang, trend, &trend.by_branch, own.as_deref(), |k| k.to_owned()))) }
                    section { h2 { (t(M::RetentionByTier)) } (chart("chart-retention-tiers", &trend_chart(lang, trend, &trend.by_tier, None, |k| label::<VipTier>(k, lang)))) }
                }
                Some(Err(err)) => { section { h2 { (t(M::RetentionByBranch)) } p.notice { (err) } } }
                None => { section { h2 { (t(M::RetentionByBranch)) } p.notice { (t(M::NoCohort)) } } }
            }
            section { h2 { (t(M::ChurnTrend)) } (chart("chart-churn", &churn_chart)) }
            section { h2 { (t(M::KindsTitle)) } (kinds_section(lang, &kinds)) }
            section { h2 { (t(M::Uplift)) } (uplift_section(lang, &uplifts)) }
            section { h2 { (t(M::FunnelTitle)) } (funnel_section(lang, &funnel)) }
        }
    };
    Ok(layout(&viewer, M::DashboardTitle.text(lang), "/dashboard", body))
}

/// 保有率 by month, one line per group (a branch-scoped viewer sees their branch's only), with
/// the base and stretch targets as dashed lines when set.
fn trend_chart(
    lang: Lang,
    trend: &KpiTrend,
    series: &[weiwan_app::dashboards::KpiSeries],
    only: Option<&str>,
    name: impl Fn(&str) -> String,
) -> Json {
    let mut lines: Vec<Json> = series
        .iter()
        .filter(|s| only.is_none() || s.key.as_deref() == only)
        .map(|s| {
            json!({
                "name": s.key.as_deref().map_or_else(|| "—".to_owned(), &name),
                "type": "line",
                "data": s.values.iter().map(|v| v.map(|v| round(v * 100.0, 2))).collect::<Vec<_>>(),
            })
        })
        .collect();
    if let Some(target) = &trend.target {
        for (label, value) in [("T0", target.t0), ("T1", target.t1)] {
            lines.push(json!({
                "name": label, "type": "line", "showSymbol": false, "lineStyle": {"type": "dashed"},
                "data": trend.months.iter().map(|_| round(value * 100.0, 2)).collect::<Vec<_>>(),
            }));
        }
    }
    json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll"},
        "xAxis": {"type": "category", "data": trend.months},
        "yAxis": {"type": "value", "name": M::RetentionRate.text(lang), "scale": true, "axisLabel": {"formatter": "{value}%"}},
        "series": lines,
    })
}

fn uplift_section(lang: Lang, uplifts: &[CampaignUplift]) -> Markup {
    let t = |m: M| m.text(lang);
    let evaluated: Vec<_> = uplifts.iter().filter_map(|u| Some((u, u.retention_uplift.as_ref()?))).collect();
    // The interval as a box from its low to its high end (a candlestick), the estimate a point.
    let option = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "data": evaluated.iter().map(|(u, _)| lang.pick(&u.name_zh, &u.name_en)).collect::<Vec<_>>()},
        "yAxis": {"type": "value", "name": t(M::UpliftAxis), "scale": true},
        "series": [
            {"name": t(M::Interval), "type": "candlestick", "barMaxWidth": 24,
             "data": evaluated.iter().map(|(_, i)| { let (lo, hi) = (round(i.low * 100.0, 2), round(i.high * 100.0, 2)); [lo, hi, lo, hi] }).collect::<Vec<_>>()},
            {"name": t(M::Estimate), "type": "scatter", "symbolSize": 10,
             "data": evaluated.iter().map(|(_, i)| round(i.estimate * 100.0, 2)).collect::<Vec<_>>()}
        ]
    });
    html! {
        @if evaluated.is_empty() { p.notice { (t(M::NoUplift)) } } @else { (chart("chart-uplift", &option)) }
        table #uplifts {
            thead { tr { th { (t(M::Campaign)) } th { (t(M::Estimate)) } th { (t(M::Interval)) } } }
            tbody {
                @for u in uplifts {
                    tr data-campaign=(u.campaign_id) {
                        td { (lang.pick(&u.name_zh, &u.name_en)) }
                        @match &u.retention_uplift {
                            Some(i) => { td.num { (format!("{:+.1}", i.estimate * 100.0)) } td.num { (format!("[{:+.1}, {:+.1}]", i.low * 100.0, i.high * 100.0)) } }
                            None => { td { (t(M::NotEvaluated)) } td.muted { (u.not_evaluated.as_deref().unwrap_or_default()) } }
                        }
                    }
                }
            }
        }
    }
}

/// The churn kinds of the lines in the viewer's scope as of the data date: counts and shares.
fn kinds_section(lang: Lang, report: &weiwan_app::churn_kinds::ChurnKindReport) -> Markup {
    let t = |m: M| m.text(lang);
    let c = &report.overall;
    let share = |n: i64| if c.lines > 0 { percent(Some(n as f64 / c.lines as f64)) } else { percent(None) };
    html! {
        p.muted { (t(M::AsOf)) ": " (report.as_of) " · " (t(M::KindsNote)) }
        table #churn-kinds {
            thead { tr { th { (t(M::Lines)) } th { (t(M::LeftExternal)) } th { (t(M::LeftSwitch)) } th { (t(M::WonBack)) } th { (t(M::Dormant)) } } }
            tbody { tr {
                td.num { (c.lines) }
                td.num data-kind="external" { (c.external) " (" (share(c.external)) ")" }
                td.num data-kind="internal_switch" { (c.internal_switch) " (" (share(c.internal_switch)) ")" }
                td.num data-kind="won_back" { (c.won_back) }
                td.num data-kind="dormant" { (c.dormant) " (" (share(c.dormant)) ")" }
            } }
        }
    }
}

fn funnel_section(lang: Lang, funnel: &Funnel) -> Markup {
    let t = |m: M| m.text(lang);
    let steps = [
        (M::Raised, funnel.raised),
        (M::Claimed, funnel.claimed),
        (M::Reached, funnel.reached),
        (M::Won, funnel.accepted_or_retained),
    ];
    let option = json!({
        "tooltip": {"trigger": "item"},
        "series": [{
            "type": "funnel", "sort": "descending", "minSize": "10%", "label": {"show": true, "position": "inside"},
            "data": steps.iter().map(|(m, n)| json!({"name": format!("{} {}", t(*m), n), "value": n})).collect::<Vec<_>>(),
        }]
    });
    html! {
        (chart("chart-funnel", &option))
        table #funnel {
            tbody { @for (m, n) in steps { tr { td { (t(m)) } td.num { (n) } } } }
        }
    }
}
