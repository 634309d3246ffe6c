//! Group customers 集团客户 in the console (docs/groups.md): the groups in scope, and a group's
//! page — service level, key persons with their influence and risk, members and their lines'
//! risk — with the form a group's manager records a key person's influence with. The same use
//! cases, scope and audit as `/api/v1/groups`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;
use weiwan_app::groups::{self as uc, GroupView, InfluenceChange};
use weiwan_domain::codes::{KeyPersonRole, ReportFrequency, VipTier};

use super::i18n::messages;
use super::{PageResult, Viewer, encode_component, label, layout};
use crate::auth::Permission;
use crate::error::ApiError;
use crate::groups_api::{audit_view, group_in_scope, reveal};
use crate::{AppState, on_analytics};

messages! {
    Groups => "集团客户", "Group customers";
    Group => "集团", "Group";
    Name => "名称", "Name";
    Tier => "等级", "Tier";
    Branch => "分公司", "Branch";
    Manager => "客户经理", "Manager";
    Members => "成员", "Members";
    NoGroups => "范围内没有集团客户。", "No group customers in your scope.";
    ServiceLevel => "服务等级", "Service level";
    ResponseHours => "响应时限（小时）", "Answer within (hours)";
    NamedManager => "专属客户经理", "Named manager";
    Required => "必须", "required";
    NotRequired => "不要求", "not required";
    Missing => "缺失：该等级必须配备专属客户经理", "Missing: this tier requires a named manager";
    Report => "定期服务报告", "Periodic report";
    CurrentPeriod => "本期", "Current period";
    KeyPersons => "关键人", "Key persons";
    Role => "角色", "Role";
    Weight => "影响权重", "Influence weight";
    Default => "默认", "default";
    OwnRisk => "本人流失风险", "Own churn risk";
    Note => "备注", "Note";
    Save => "保存", "Save";
    Lines => "号码", "Lines";
    Status => "状态", "Status";
    Risk => "流失风险", "Churn risk";
    ModelRisk => "模型风险", "Model risk";
    KeyPersonRaise => "关键人传导", "Raised by key persons";
    AtRisk => "高风险号码", "Lines at risk";
    RiskAsOf => "风险日期", "Risk as of";
    NoBatch => "尚未运行日批，暂无风险。", "No daily batch yet: no risk scores.";
    RuleExplained => "成员风险 = 1 − (1 − p) × Π(1 − w × p关键人)", "member risk = 1 − (1 − p) × Π(1 − w × p_key)";
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/groups", get(groups_page))
        .route("/groups/{id}", get(group_page))
        .route("/groups/{id}/key-persons", post(set_influence))
}

fn percent(p: Option<f64>) -> String {
    p.map_or("—".to_owned(), |p| format!("{:.1}%", p * 100.0))
}

async fn groups_page(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::ReadGroups)?;
    let lang = viewer.lang;
    let who = &viewer.who;
    let groups =
        uc::list_groups(state.store.as_ref(), who.branch_id.as_deref()).await.map_err(|e| viewer.fail(e))?;
    let visible: Vec<_> =
        groups.into_iter().filter(|g| who.may_see_group(&g.branch_id, g.manager_id.as_deref())).collect();
    let body = html! {
        @if visible.is_empty() {
            p { (M::NoGroups.text(lang)) }
        } @else {
            table #groups {
                thead { tr {
                    th { (M::Group.text(lang)) } th { (M::Name.text(lang)) } th { (M::Tier.text(lang)) }
                    th { (M::Branch.text(lang)) } th { (M::Manager.text(lang)) } th.num { (M::Members.text(lang)) }
                } }
                tbody {
                    @for g in &visible {
                        tr {
                            td { a href=(format!("/groups/{}", encode_component(&g.group_id))) { (g.group_id) } }
                            td { (g.name) }
                            td { (label::<VipTier>(&g.vip_tier, lang)) }
                            td { (g.branch_id) }
                            td { (g.manager_id.as_deref().unwrap_or("—")) }
                            td.num { (g.members) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&viewer, M::Groups.text(lang), "/groups", body))
}

async fn group_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    viewer.require(Permission::ReadGroups)?;
    let group = group_in_scope(&state, &viewer.who, &id).await.map_err(|e| viewer.fail(e))?;
    let (store, lake, shown, now) =
        (state.store.clone(), state.lake.clone(), reveal(&viewer.who), (state.clock)());
    let group_id = group.group_id.clone();
    let view =
        on_analytics(
            &state,
            async move { uc::group_view(store.as_ref(), &lake, &group_id, &shown, now).await },
        )
        .await
        .map_err(|e| viewer.fail(e))?;
    audit_view(&state, &viewer.who, "view_group", &group.group_id, serde_json::json!({"via": "console"}))
        .await
        .map_err(|e| viewer.fail(e))?;
    let title = format!("{} · {}", view.group.name, view.group.group_id);
    let path = format!("/groups/{}", encode_component(&id));
    Ok(layout(&viewer, &title, &path, group_body(&viewer, &view)))
}

fn group_body(viewer: &Viewer, view: &GroupView) -> Markup {
    let lang = viewer.lang;
    let s = &view.service_level;
    let may_edit = viewer.who.require(Permission::ManageKeyPersons).is_ok();
    html! {
        section #service-level {
            h2 { (M::ServiceLevel.text(lang)) " · " (label::<VipTier>(&view.group.vip_tier, lang)) }
            dl {
                dt { (M::ResponseHours.text(lang)) } dd { (s.response_hours) }
                dt { (M::NamedManager.text(lang)) }
                dd { (if s.named_manager { M::Required.text(lang) } else { M::NotRequired.text(lang) }) " · " (view.group.manager_id.as_deref().unwrap_or("—")) }
                dt { (M::Report.text(lang)) } dd { (label::<ReportFrequency>(s.report.code(), lang)) }
                @if let Some(period) = &view.current_period {
                    dt { (M::CurrentPeriod.text(lang)) } dd { (period.label) }
                }
            }
            @if view.named_manager_missing { p.error role="alert" { (M::Missing.text(lang)) } }
        }
        section #key-persons {
            h2 { (M::KeyPersons.text(lang)) }
            p.hint { (M::RuleExplained.text(lang)) }
            table {
                thead { tr {
                    th { (M::Name.text(lang)) } th { (M::Role.text(lang)) } th.num { (M::Weight.text(lang)) }
                    th.num { (M::OwnRisk.text(lang)) } th { (M::Note.text(lang)) }
                    @if may_edit { th {} }
                } }
                tbody {
                    @for k in &view.key_persons {
                        tr {
                            td { (k.name) " · " (k.customer_id) }
                            td { (label::<KeyPersonRole>(&k.role, lang)) }
                            td.num { (format!("{:.3}", k.weight)) @if !k.recorded { " (" (M::Default.text(lang)) ")" } }
                            td.num { (percent(k.churn_probability)) }
                            td { (k.note) }
                            @if may_edit {
                                td {
                                    form.inline method="post" action=(format!("/groups/{}/key-persons", encode_component(&view.group.group_id))) {
                                        input type="hidden" name="customer_id" value=(k.customer_id);
                                        select name="role" {
                                            @for role in KeyPersonRole::ALL {
                                                option value=(role.code()) selected[role.code() == k.role] { (lang.pick(role.label_zh(), role.label_en())) }
                                            }
                                        }
                                        input name="weight" type="number" min="0" max="1" step="0.001" value=(format!("{:.3}", k.weight)) aria-label=(M::Weight.text(lang));
                                        input name="note" maxlength="500" value=(k.note) aria-label=(M::Note.text(lang));
                                        button type="submit" { (M::Save.text(lang)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section #members {
            h2 { (M::Members.text(lang)) " · " (M::AtRisk.text(lang)) " " (view.lines_at_risk) " / " (view.lines) }
            @match &view.risk_as_of {
                Some(day) => p { (M::RiskAsOf.text(lang)) " " (day) },
                None => p.hint { (M::NoBatch.text(lang)) },
            }
            table {
                thead { tr {
                    th { (M::Name.text(lang)) } th { (M::Lines.text(lang)) } th { (M::Status.text(lang)) }
                    th.num { (M::Risk.text(lang)) } th.num { (M::ModelRisk.text(lang)) } th.num { (M::KeyPersonRaise.text(lang)) }
                } }
                tbody {
                    @for m in &view.members {
                        @for l in &m.lines {
                            tr class=[l.at_risk.then_some("at-risk")] {
                                td { (m.name) " · " (m.customer_id) @if m.is_key_person { " · " (M::KeyPersons.text(lang)) } }
                                td { (l.msisdn) }
                                td { (l.status) }
                                td.num { (percent(l.churn_probability)) }
                                td.num { (percent(l.churn_probability_model)) }
                                td.num { (percent(l.key_person_risk)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct InfluenceForm {
    customer_id: String,
    role: String,
    weight: Option<String>,
    #[serde(default)]
    note: String,
}

async fn set_influence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<InfluenceForm>,
) -> PageResult<Response> {
    viewer.require(Permission::ManageKeyPersons)?;
    let group = group_in_scope(&state, &viewer.who, &id).await.map_err(|e| viewer.fail(e))?;
    let weight = match form.weight.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        Some(text) => Some(
            text.parse::<f64>()
                .map_err(|_| viewer.fail(ApiError::bad(format!("weight: {text:?} is not a number"))))?,
        ),
        None => None,
    };
    let member = state
        .store
        .find_row(weiwan_domain::TableId::Customers, &form.customer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let index = weiwan_domain::TableId::Customers.table().index("group_id");
    if !member.is_some_and(|row| matches!(&row[index], weiwan_domain::Value::Text(g) if *g == group.group_id))
    {
        return Err(viewer.fail(ApiError::NotFound(format!("member {} of group {id}", form.customer_id))));
    }
    let change = InfluenceChange { customer_id: form.customer_id, role: form.role, weight, note: form.note };
    uc::set_influence(state.store.as_ref(), &change, &viewer.who.actor(), (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/groups/{}", encode_component(&id))).into_response())
}
