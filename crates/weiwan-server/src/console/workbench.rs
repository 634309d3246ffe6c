//! The pages of the people who work tasks: the workbench (today's tasks by priority and, for
//! account managers, the VIP contact quotas), the customer page (the card, churn reasons and
//! the unified policy view, with an outcome form on each task the viewer may work), and the
//! lookup by MSISDN that store clerks and hotline agents start from.

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use weiwan_app::policy_view::PolicyView;
use weiwan_app::tasks::{CustomerCard, OutcomeRequest, TaskRecordView};
use weiwan_decision::questionnaire::{Answer, Answers, QuestionKind, Questionnaire};
use weiwan_domain::TableId;
use weiwan_domain::codes::{Role, TaskAction, TaskOutcome, TaskPriority, TaskQueue, TaskStatus, VipTier};
use weiwan_domain::msisdn::Msisdn;
use weiwan_storage::TaskFilter;

use super::i18n::{Lang, messages};
use super::{PageResult, Viewer, encode_component, label, layout};
use crate::AppState;
use crate::auth::Permission;
use crate::error::ApiError;

messages! {
    TodaysTasks => "今日任务", "Today's tasks";
    NoTasks => "没有待办任务。", "No tasks to do.";
    Priority => "优先级", "Priority";
    Due => "截止", "Due";
    Customer => "客户", "Customer";
    Reason => "原因", "Reason";
    Action => "动作", "Action";
    Status => "状态", "Status";
    Open => "打开", "Open";
    Quotas => "VIP接触配额（本月，银卡拜访按季度）", "VIP contact quotas (this month; silver visits per quarter)";
    Tier => "等级", "Tier";
    Customers => "客户数", "Customers";
    Calls => "电话", "Calls";
    Visits => "拜访", "Visits";
    Complete => "已达标客户", "Customers complete";
    Completion => "完成率", "Completion";
    Basics => "基本信息", "Basics";
    Name => "姓名", "Name";
    Kind => "客户类型", "Kind";
    Branch => "分公司", "Branch";
    Manager => "客户经理", "Account manager";
    Joined => "入网日期", "Joined";
    IdNumber => "证件号码", "ID number";
    Lines => "号码", "Lines";
    Msisdn => "手机号码", "MSISDN";
    Plan => "套餐", "Plan";
    ContractEnd => "合约到期", "Contract ends";
    ChurnRisk => "流失概率", "Churn risk";
    ChurnReasons => "流失原因", "Churn reasons";
    NoRisk => "本期批处理未评分。", "Not scored by the latest batch.";
    PolicyView => "统一政策视图", "Unified policy view";
    NotReady => "政策索引尚未建立：请先运行日批处理。", "The policy index is not built yet: run the daily batch first.";
    DataAsOf => "数据日期", "Data as of";
    ContactNow => "本渠道现在可否营销接触", "May this channel make a marketing contact now";
    Yes => "可以", "Yes";
    No => "不可以", "No";
    DoNotDisturb => "免打扰", "Do not disturb";
    CampaignOffer => "活动优惠", "Campaign offer";
    Script => "话术", "Script";
    Offers => "可推荐优惠（按预期净值排序）", "Eligible offers (ranked by expected net value)";
    Offer => "优惠", "Offer";
    Terms => "条款", "Terms";
    NetValue => "预期净值（元）", "Expected net value (yuan)";
    Why => "理由", "Why";
    NoOffers => "没有可推荐的优惠。", "No offer to make.";
    Contacts => "接触记录", "Contact history";
    NoContacts => "近期没有接触。", "No recent contact.";
    Channel => "渠道", "Channel";
    When => "时间", "When";
    Outcome => "结果", "Outcome";
    OpenTasks => "未完成任务", "Open tasks";
    RecordOutcome => "记录结果", "Record outcome";
    Note => "备注", "Note";
    TransferTo => "转派至（仅“已转派”）", "Transfer to (only with “transferred”)";
    None => "无", "none";
    ConfirmSuspension => "已提醒客户，确认可以停机", "Customer reminded: billing may suspend";
    Recorded => "已记录", "Recorded";
    NotYours => "此任务不由您处理。", "This task is not yours to work.";
    Questionnaire => "问卷", "Questionnaire";
    Required => "必答", "required";
    LookupTitle => "按手机号码查询客户", "Find a customer by MSISDN";
    Find => "查询", "Find";
    NoLine => "没有这个号码的用户。", "No line has this number.";
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/work", get(workbench))
        .route("/customers/{id}", get(customer_page))
        .route("/tasks/{id}/outcome", post(record_outcome))
        .route("/lookup", get(lookup))
}

/// The channel a role's policy view is for.
fn channel_of(role: Role) -> &'static str {
    match role {
        Role::Clerk => "store",
        Role::Agent => "hotline",
        _ => "outbound",
    }
}

fn customer_href(customer_id: &str, role: Role) -> String {
    format!("/customers/{}?channel={}", encode_component(customer_id), channel_of(role))
}

fn percent(value: f64) -> String {
    format!("{:.0}%", value * 100.0)
}

// ---------------------------------------------------------------------------------------------
// Workbench

async fn workbench(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::WorkTasks)?;
    let lang = viewer.lang;
    let who = &viewer.who;
    let mut filter = TaskFilter { branch_id: who.branch_id.clone(), limit: 200, ..TaskFilter::default() };
    match who.role {
        Role::Manager => filter.manager_id = who.manager_id.clone(),
        _ => filter.queue = who.queues().first().map(|q| q.code().to_owned()),
    }
    let mut tasks = Vec::new();
    for status in [TaskStatus::Claimed, TaskStatus::Open] {
        let filter = TaskFilter { status: Some(status.code().to_owned()), ..filter.clone() };
        tasks.extend(state.store.tasks(&filter).await.map_err(|e| viewer.fail(e))?);
    }
    tasks.retain(|task| who.may_work_task(task));
    let quotas = match (&who.role, &who.manager_id) {
        (Role::Manager, Some(manager)) => Some(
            weiwan_app::quotas::manager_progress(state.store.as_ref(), manager, (state.clock)())
                .await
                .map_err(|e| viewer.fail(e))?,
        ),
        _ => None,
    };
    let body = html! {
        @if let Some(quotas) = &quotas {
            section #quotas {
                h2 { (M::Quotas.text(lang)) }
                table {
                    thead { tr {
                        th { (M::Tier.text(lang)) } th { (M::Customers.text(lang)) } th { (M::Calls.text(lang)) }
                        th { (M::Visits.text(lang)) } th { (M::Complete.text(lang)) } th { (M::Completion.text(lang)) }
                    } }
                    tbody {
                        @for row in quotas {
                            tr data-tier=(row.quota.tier.code()) {
                                td { (lang.pick(row.quota.tier.label_zh(), row.quota.tier.label_en())) }
                                td.num { (row.customers) }
                                td.num { (row.calls_done) " / " (row.calls_required) }
                                td.num { (row.visits_done) " / " (row.visits_required) }
                                td.num { (row.customers_complete) }
                                td { meter min="0" max="1" value=(row.completion) {} " " (percent(row.completion)) }
                            }
                        }
                    }
                }
            }
        }
        section #tasks {
            h2 { (M::TodaysTasks.text(lang)) " (" (tasks.len()) ")" }
            @if tasks.is_empty() { p { (M::NoTasks.text(lang)) } }
            @for priority in TaskPriority::ALL {
                @let group: Vec<_> = tasks.iter().filter(|t| t.task.priority == priority.code()).collect();
                @if !group.is_empty() {
                    h3.priority data-priority=(priority.code()) {
                        (lang.pick(priority.label_zh(), priority.label_en())) " (" (group.len()) ")"
                    }
                    table.tasks {
                        thead { tr {
                            th { (M::Due.text(lang)) } th { (M::Customer.text(lang)) } th { (M::Reason.text(lang)) }
                            th { (M::Action.text(lang)) } th { (M::Status.text(lang)) } th {}
                        } }
                        tbody {
                            @for task in group {
                                tr data-task=(task.task_id) {
                                    td { (task.task.due_on) }
                                    td { (task.task.customer_id) }
                                    td { (lang.pick(&task.task.reason_zh, &task.task.reason_en)) }
                                    td { (label::<TaskAction>(&task.task.action, lang)) }
                                    td { (label::<TaskStatus>(&task.status, lang)) }
                                    td { a href=(customer_href(&task.task.customer_id, who.role)) { (M::Open.text(lang)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&viewer, M::TodaysTasks.text(lang), "/work", body))
}

// ---------------------------------------------------------------------------------------------
// Lookup by MSISDN

#[derive(Debug, Deserialize)]
struct LookupQuery {
    msisdn: Option<String>,
}

async fn lookup(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<LookupQuery>,
) -> PageResult<Response> {
    viewer.require(Permission::ViewCustomer)?;
    let lang = viewer.lang;
    let asked = query.msisdn.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let mut problem = None;
    if let Some(asked) = asked {
        match Msisdn::parse(asked) {
            Err(err) => problem = Some(format!("{asked}: {err}")),
            Ok(msisdn) => {
                let lines = state
                    .store
                    .rows_by(TableId::Subscriptions, "msisdn", msisdn.as_str())
                    .await
                    .map_err(|e| viewer.fail(e))?;
                let table = TableId::Subscriptions.table();
                match lines.first().and_then(|row| row[table.index("customer_id")].as_text()) {
                    // The customer page checks the scope (404 outside it) and audits the view.
                    Some(customer) => {
                        return Ok(Redirect::to(&customer_href(customer, viewer.who.role)).into_response());
                    }
                    None => problem = Some(M::NoLine.text(lang).to_owned()),
                }
            }
        }
    }
    let body = html! {
        form #lookup method="get" action="/lookup" {
            label { (M::Msisdn.text(lang)) input name="msisdn" inputmode="numeric" pattern="[0-9]{11}" value=[asked] required autofocus; }
            button type="submit" { (M::Find.text(lang)) }
        }
        @if let Some(problem) = &problem { p.error role="alert" { (problem) } }
    };
    let status =
        if problem.is_some() { axum::http::StatusCode::NOT_FOUND } else { axum::http::StatusCode::OK };
    Ok((status, layout(&viewer, M::LookupTitle.text(lang), "/lookup", body)).into_response())
}

// ---------------------------------------------------------------------------------------------
// The customer page

#[derive(Debug, Deserialize)]
struct ChannelQuery {
    channel: Option<String>,
}

async fn customer_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<ChannelQuery>,
) -> PageResult<Markup> {
    viewer.require(Permission::ViewCustomer)?;
    let who = &viewer.who;
    let channel = query.channel.unwrap_or_else(|| channel_of(who.role).to_owned());
    weiwan_app::policy_view::check_view_channel(&channel).map_err(|e| viewer.fail(e))?;
    crate::api::customer_in_scope(&state, who, &id).await.map_err(|e| viewer.fail(e))?;
    let reveal = who.reveals();
    let card = weiwan_app::tasks::customer_card(state.store.as_ref(), &id, reveal)
        .await
        .map_err(|e| viewer.fail(e))?
        .ok_or_else(|| viewer.fail(ApiError::NotFound(format!("customer {id}"))))?;
    crate::api::audit(
        &state,
        who,
        "view_customer",
        "customer",
        &id,
        serde_json::json!({ "masked": !reveal, "via": "console" }),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    let view = match state.policy.current() {
        Some(loaded) => weiwan_app::policy_view::policy_view(
            state.store.as_ref(),
            &loaded,
            &state.policy.withdrawn(),
            &id,
            &channel,
            (state.clock)(),
        )
        .await
        .map_err(|e| viewer.fail(e))?,
        None => None,
    };
    let mut workable = Vec::new();
    for task in &card.open_tasks {
        if let Some(record) = state.store.task(task.task_id).await.map_err(|e| viewer.fail(e))? {
            workable.push((task.clone(), who.may_work_task(&record)));
        }
    }
    let manager_card = weiwan_app::file::manager_card(state.store.as_ref(), &id, reveal, (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?;
    let title = format!("{} · {}", card.name, card.customer_id);
    let mut body = customer_body(&viewer, &card, view.as_ref(), &workable, &channel);
    if let Some(manager_card) = &manager_card {
        body = html! { (body) (super::file::card_section(&viewer, manager_card)) };
    }
    let body = html! { (super::clubs::customer_links(&state, &viewer, &id).await) (body) };
    Ok(layout(&viewer, &title, &format!("/customers/{}?channel={channel}", encode_component(&id)), body))
}

fn customer_body(
    viewer: &Viewer,
    card: &CustomerCard,
    view: Option<&PolicyView>,
    tasks: &[(TaskRecordView, bool)],
    channel: &str,
) -> Markup {
    let lang = viewer.lang;
    let risk: HashMap<&str, &weiwan_app::policy_view::LineRisk> =
        view.map(|v| v.lines.iter().map(|l| (l.subscription_id.as_str(), l)).collect()).unwrap_or_default();
    let questionnaires: HashMap<i64, &Questionnaire> = view
        .map(|v| v.campaigns.iter().filter_map(|c| Some((c.task_id?, c.questionnaire.as_ref()?))).collect())
        .unwrap_or_default();
    html! {
        section #basics {
            h2 { (M::Basics.text(lang)) }
            dl.facts {
                dt { (M::Name.text(lang)) } dd { (card.name) }
                dt { (M::Tier.text(lang)) } dd data-tier=(card.vip_tier) { (label::<VipTier>(&card.vip_tier, lang)) }
                dt { (M::Kind.text(lang)) } dd { (label::<weiwan_domain::codes::CustomerKind>(&card.kind, lang)) }
                dt { (M::Branch.text(lang)) } dd { (card.branch_id) }
                dt { (M::Manager.text(lang)) } dd { (card.manager_id.as_deref().unwrap_or("—")) }
                dt { (M::Joined.text(lang)) } dd { (card.joined_on) }
                @if let Some(id_number) = &card.id_number { dt { (M::IdNumber.text(lang)) } dd { (id_number) } }
            }
        }
        section #lines {
            h2 { (M::Lines.text(lang)) }
            table {
                thead { tr {
                    th { (M::Msisdn.text(lang)) } th { (M::Plan.text(lang)) } th { (M::Status.text(lang)) }
                    th { (M::ContractEnd.text(lang)) } th { (M::ChurnRisk.text(lang)) } th { (M::ChurnReasons.text(lang)) }
                } }
                tbody {
                    @for line in &card.lines {
                        @let line_risk = risk.get(line.subscription_id.as_str());
                        tr {
                            td.msisdn { (line.msisdn) }
                            td { (line.plan_id) }
                            td { (label::<weiwan_domain::codes::SubscriptionStatus>(&line.status, lang)) }
                            td { (line.contract_end.as_deref().unwrap_or("—")) }
                            td.num { (line_risk.and_then(|r| r.churn_probability).map_or("—".to_owned(), percent)) }
                            td.reasons { (line_risk.map_or("", |r| lang.pick(&r.reasons_zh, &r.reasons_en))) }
                        }
                    }
                }
            }
        }
        @match view {
            None => { section #policy { h2 { (M::PolicyView.text(lang)) } p.notice { (M::NotReady.text(lang)) } } }
            Some(view) => { (policy_section(lang, view)) }
        }
        section #open-tasks {
            h2 { (M::OpenTasks.text(lang)) }
            @if tasks.is_empty() { p { (M::NoTasks.text(lang)) } }
            @for (task, mine) in tasks {
                (task_block(lang, task, *mine, questionnaires.get(&task.task_id).copied(), channel))
            }
        }
    }
}

fn policy_section(lang: Lang, view: &PolicyView) -> Markup {
    html! {
        section #policy {
            h2 { (M::PolicyView.text(lang)) }
            p {
                (M::DataAsOf.text(lang)) ": " (view.data_as_of) " · "
                (M::ContactNow.text(lang)) ": "
                strong data-contact=(view.contact.allowed) {
                    @if view.contact.allowed { (M::Yes.text(lang)) } @else { (M::No.text(lang)) }
                }
                " (" (lang.pick(&view.contact.reason_zh, &view.contact.reason_en)) ")"
                @if view.do_not_disturb { " · " span.badge { (M::DoNotDisturb.text(lang)) } }
            }
            @for campaign in &view.campaigns {
                div.campaign data-campaign=(campaign.campaign_id) {
                    h3 { (M::CampaignOffer.text(lang)) ": " (lang.pick(&campaign.name_zh, &campaign.name_en)) }
                    @let script = match lang { Lang::Zh => campaign.script_zh.as_deref(), Lang::En => campaign.script_en.as_deref() };
                    @if let Some(script) = script { p { strong { (M::Script.text(lang)) ": " } (script) } }
                }
            }
            h3 { (M::Offers.text(lang)) }
            @if view.offers.is_empty() { p { (M::NoOffers.text(lang)) } } @else {
                table #offers {
                    thead { tr {
                        th { "#" } th { (M::Offer.text(lang)) } th { (M::Terms.text(lang)) }
                        th { (M::NetValue.text(lang)) } th { (M::Why.text(lang)) }
                    } }
                    tbody {
                        @for offer in &view.offers {
                            tr data-offer=(offer.offer_id) {
                                td.num { (offer.rank) }
                                td { (lang.pick(&offer.name_zh, &offer.name_en)) }
                                td { (lang.pick(&offer.terms_zh, &offer.terms_en)) }
                                td.num { (format!("{:.1}", offer.expected_net_value)) }
                                td { (lang.pick(&offer.reason_zh, &offer.reason_en)) }
                            }
                        }
                    }
                }
            }
            h3 { (M::Contacts.text(lang)) }
            @if view.contacts.is_empty() { p { (M::NoContacts.text(lang)) } } @else {
                table {
                    thead { tr { th { (M::When.text(lang)) } th { (M::Channel.text(lang)) } th { (M::Outcome.text(lang)) } } }
                    tbody {
                        @for contact in &view.contacts {
                            tr {
                                td { (contact.at) }
                                td { (label::<weiwan_domain::codes::ContactChannel>(&contact.channel, lang)) }
                                td { (label::<TaskOutcome>(&contact.outcome, lang)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One open task on the customer page, with the outcome form when the viewer may work it.
fn task_block(
    lang: Lang,
    task: &TaskRecordView,
    mine: bool,
    questionnaire: Option<&Questionnaire>,
    channel: &str,
) -> Markup {
    let target = format!("task-{}", task.task_id);
    html! {
        div.task id=(target) data-task=(task.task_id) data-status=(task.status) {
            h3 {
                (label::<TaskPriority>(&task.priority, lang)) " · " (lang.pick(&task.reason_zh, &task.reason_en))
            }
            p { (M::Action.text(lang)) ": " (label::<TaskAction>(&task.action, lang)) " · " (M::Due.text(lang)) ": " (task.due_on)
                " · " (M::Status.text(lang)) ": " (label::<TaskStatus>(&task.status, lang)) }
            @if !mine { p.muted { (M::NotYours.text(lang)) } } @else {
                form.outcome method="post" action=(format!("/tasks/{}/outcome?channel={channel}", task.task_id))
                    hx-post=(format!("/tasks/{}/outcome?channel={channel}", task.task_id)) hx-target=(format!("#{target}")) hx-swap="outerHTML" {
                    input type="hidden" name="request_id" value=(request_id());
                    label { (M::Outcome.text(lang))
                        select name="outcome" required {
                            @for outcome in TaskOutcome::ALL {
                                option value=(outcome.code()) { (lang.pick(outcome.label_zh(), outcome.label_en())) }
                            }
                        }
                    }
                    label { (M::TransferTo.text(lang))
                        select name="transfer_to" {
                            option value="" { (M::None.text(lang)) }
                            @for queue in TaskQueue::ALL {
                                option value=(queue.code()) { (lang.pick(queue.label_zh(), queue.label_en())) }
                            }
                        }
                    }
                    @if task.rule_id == "vip_arrears" {
                        label.check { input type="checkbox" name="confirm_suspension" value="on"; (M::ConfirmSuspension.text(lang)) }
                    }
                    @if let Some(questionnaire) = questionnaire { (questionnaire_fields(lang, questionnaire)) }
                    label { (M::Note.text(lang)) textarea name="note" rows="2" {} }
                    button type="submit" { (M::RecordOutcome.text(lang)) }
                }
            }
        }
    }
}

fn questionnaire_fields(lang: Lang, questionnaire: &Questionnaire) -> Markup {
    html! {
        fieldset.questionnaire data-questionnaire=(questionnaire.id) {
            legend { (M::Questionnaire.text(lang)) ": " (lang.pick(&questionnaire.title_zh, &questionnaire.title_en)) }
            @for question in &questionnaire.questions {
                div.question {
                    p { (lang.pick(&question.text_zh, &question.text_en)) @if question.required { " (" (M::Required.text(lang)) ")" } }
                    @match question.kind {
                        QuestionKind::Single => {
                            @for choice in &question.choices {
                                label.check { input type="radio" name=(format!("q.{}", question.id)) value=(choice.id); (lang.pick(&choice.label_zh, &choice.label_en)) }
                            }
                        }
                        QuestionKind::Multiple => {
                            @for choice in &question.choices {
                                label.check { input type="checkbox" name=(format!("qm.{}", question.id)) value=(choice.id); (lang.pick(&choice.label_zh, &choice.label_en)) }
                            }
                        }
                        QuestionKind::Open => { input type="text" name=(format!("q.{}", question.id)); }
                    }
                }
            }
        }
    }
}

/// A fresh id for one rendering of an outcome form: a double submit records once.
pub(super) fn request_id() -> String {
    crate::auth::new_secret().map(|s| format!("console-{}", &s[..24])).unwrap_or_default()
}

/// The fields of an outcome form, as the use case takes them. Checkbox answers (`qm.<id>`)
/// become choice lists, the others text; empty answers are left out.
fn outcome_request(fields: Vec<(String, String)>) -> OutcomeRequest {
    let mut request = OutcomeRequest {
        outcome: String::new(),
        note: String::new(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: None,
        answers: None,
    };
    let mut answers = Answers::new();
    for (name, value) in fields {
        match name.as_str() {
            "outcome" => request.outcome = value,
            "note" => request.note = value,
            "confirm_suspension" => request.confirm_suspension = value == "on",
            "request_id" => request.request_id = Some(value).filter(|v| !v.is_empty()),
            "transfer_to" => request.transfer_to = Some(value).filter(|v| !v.is_empty()),
            _ => {
                if let Some(question) = name.strip_prefix("qm.") {
                    let entry =
                        answers.entry(question.to_owned()).or_insert_with(|| Answer::Choices(Vec::new()));
                    if let Answer::Choices(choices) = entry {
                        choices.push(value);
                    }
                } else if let Some(question) = name.strip_prefix("q.")
                    && !value.trim().is_empty()
                {
                    answers.insert(question.to_owned(), Answer::Text(value));
                }
            }
        }
    }
    if !answers.is_empty() {
        request.answers = Some(answers);
    }
    request
}

async fn record_outcome(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<ChannelQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    viewer.require(Permission::WorkTasks)?;
    let lang = viewer.lang;
    crate::api::task_in_scope(&state, &viewer.who, id).await.map_err(|e| viewer.fail(e))?;
    let request = outcome_request(fields);
    let actor = viewer.who.actor();
    let task = weiwan_app::tasks::record_outcome(state.store.as_ref(), &actor, id, &request, (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?;
    if !headers.contains_key("hx-request") {
        // Without htmx: back to the customer's page, which shows the task as it is now.
        let channel = query.channel.unwrap_or_else(|| channel_of(viewer.who.role).to_owned());
        return Ok(Redirect::to(&format!(
            "/customers/{}?channel={channel}",
            encode_component(&task.task.customer_id)
        ))
        .into_response());
    }
    let view = TaskRecordView::from(task);
    let outcome = view.last_outcome.as_deref().unwrap_or_default();
    Ok(html! {
        div.task.recorded id=(format!("task-{id}")) data-task=(id) data-status=(view.status) role="status" {
            h3 { (lang.pick(&view.reason_zh, &view.reason_en)) }
            p { (M::Recorded.text(lang)) ": " strong data-outcome=(outcome) { (label::<TaskOutcome>(outcome, lang)) }
                " · " (M::Status.text(lang)) ": " (label::<TaskStatus>(&view.status, lang)) }
        }
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_form_becomes_the_use_cases_request() {
        let fields = [
            ("request_id", "console-abc"),
            ("outcome", "accepted"),
            ("transfer_to", ""),
            ("q.why", "price"),
            ("qm.wants", "data"),
            ("qm.wants", "roaming"),
            ("q.comment", "  "),
            ("note", "took the family plan"),
        ];
        let request = outcome_request(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        assert_eq!(request.outcome, "accepted");
        assert_eq!(request.request_id.as_deref(), Some("console-abc"));
        assert_eq!(request.transfer_to, None, "an empty choice is no transfer");
        assert_eq!(request.note, "took the family plan");
        let answers = request.answers.expect("answers");
        assert_eq!(answers.get("why"), Some(&Answer::Text("price".into())));
        assert_eq!(answers.get("wants"), Some(&Answer::Choices(vec!["data".into(), "roaming".into()])));
        assert!(!answers.contains_key("comment"), "a blank open answer is no answer");
    }
}
