//! The account managers' pages (docs/account-managers.md): the card and visit log on the
//! customer page, the sales office's fuller file, a note with its history (and, for its
//! author, the edit form), the appraisal table by manager and branch, and the visit plans.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use weiwan_app::appraisal::{self, Measures};
use weiwan_app::file::{self, ManagerCard, NoteInput, NoteView};
use weiwan_domain::codes::{Role, VisitChannel};

use super::i18n::{Lang, messages};
use super::{PageResult, Viewer, encode_component, label, layout};
use crate::AppState;
use crate::auth::Permission;
use crate::error::ApiError;
use crate::file_api::{appraisal_scope, month_or_now};

messages! {
    VisitLog => "拜访纪要", "Visit log";
    LastVisits => "最近拜访", "Last visits";
    NoVisits => "还没有拜访记录。", "No visit recorded yet.";
    NextContact => "下次接触", "Next contact";
    NoNext => "未安排。", "Nothing planned.";
    FromNote => "拜访纪要约定", "promised in a note";
    FromPlan => "拜访计划", "visit plan";
    OpenIssues => "未结事项", "Open issues";
    NoIssues => "没有未结事项。", "Nothing open.";
    Date => "日期", "Date";
    Channel => "方式", "Channel";
    Topic => "主题", "Topic";
    Promises => "承诺事项", "Promises made";
    NextStep => "下一步", "Next step";
    NextOn => "下次接触日期", "Next contact on";
    Author => "记录人", "Written by";
    Version => "版本", "Version";
    AddNote => "新增拜访纪要", "Add a visit note";
    Save => "保存", "Save";
    History => "修改历史", "History";
    EditNote => "修改（仅记录人）", "Edit (author only)";
    EditedAt => "修改时间", "Changed at";
    FullFile => "完整档案（营业厅）", "Full file (sales office)";
    Lines => "号码与套餐", "Lines and plans";
    Plan => "套餐", "Plan";
    Fee => "月费（元）", "Monthly fee (yuan)";
    Status => "状态", "Status";
    Activated => "入网", "Activated";
    Left => "离网", "Left";
    Device => "终端", "Device";
    Orders => "订单（合约与绑定）", "Orders (contracts and bindings)";
    NoOrders => "没有订单。", "No orders.";
    Kind => "类型", "Kind";
    Starts => "开始", "Starts";
    Ends => "结束", "Ends";
    Repeat => "复购", "Repeat purchase";
    RepeatCount => "复购次数", "Repeat purchases";
    Contacts => "全部接触记录", "All contacts";
    Source => "来源", "Source";
    Who => "人员", "By";
    Summary => "内容", "Summary";
    Performance => "客户经理考核", "Manager performance";
    Month => "月份", "Month";
    Show => "查看", "Show";
    WorkingDays => "工作日", "Working days";
    ByManager => "按客户经理", "By manager";
    ByBranch => "按分公司", "By branch";
    Total => "合计", "Total";
    Manager => "客户经理", "Manager";
    Branch => "分公司", "Branch";
    VisitsPerDay => "日均拜访", "Visits a day";
    Revisits => "人均回访", "Revisits per customer";
    NewCustomers => "新增客户", "New customers";
    Coverage => "客户覆盖率", "Coverage";
    RepeatRate => "复购率", "Repeat-purchase rate";
    RetentionRate => "维挽成功率", "Retention success";
    QuotaCompletion => "VIP配额完成率", "VIP quota completion";
    Lost => "流失客户", "Customers lost";
    ATier => "A类客户（钻金）", "A-tier customers (diamond, gold)";
    Plans => "拜访计划", "Visit plans";
    Generate => "生成计划", "Make the plan";
    NoPlan => "这个月还没有计划。", "No plan for this month yet.";
    Rank => "优先级", "Rank";
    Reasons => "原因", "Why";
    Customer => "客户", "Customer";
    ManagerId => "客户经理工号", "Manager id";
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers/{id}/file", get(file_page))
        .route("/customers/{id}/visit-notes", axum::routing::post(add_note))
        .route("/visit-notes/{id}", get(note_page).post(edit_note))
        .route("/performance", get(performance_page))
        .route("/visit-plans", get(plans_page).post(generate_plan))
}

fn percent(value: Option<f64>) -> String {
    value.map_or("—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn decimal(value: Option<f64>) -> String {
    value.map_or("—".to_owned(), |v| format!("{v:.2}"))
}

fn reason_label(code: &str, lang: Lang) -> &'static str {
    match code {
        "quota" => lang.pick("配额", "quota"),
        "risk" => lang.pick("流失风险", "churn risk"),
        "value" => lang.pick("高价值", "high value"),
        "next_step" => lang.pick("约定回访", "promised contact"),
        _ => "",
    }
}

/// The card and visit log, for the customer page: last visits, the next contact, open issues,
/// and the form to add a note for those who keep the log.
pub(super) fn card_section(viewer: &Viewer, card: &ManagerCard) -> Markup {
    let lang = viewer.lang;
    let id = &card.customer.customer_id;
    html! {
        section #visit-log {
            h2 { (M::VisitLog.text(lang)) " · " a href=(format!("/customers/{}/file", encode_component(id))) { (M::FullFile.text(lang)) } }
            h3 { (M::NextContact.text(lang)) }
            @match &card.next_contact {
                None => p { (M::NoNext.text(lang)) }
                Some(next) => p #next-contact data-on=(next.on) data-source=(next.source) {
                    strong { (next.on) } " · " (label::<VisitChannel>(&next.channel, lang)) " · "
                    (if next.source == "note" { M::FromNote.text(lang) } else { M::FromPlan.text(lang) })
                    @if !next.what.is_empty() && next.source == "note" { " · " (next.what) }
                }
            }
            h3 { (M::OpenIssues.text(lang)) }
            @if card.open_issues.is_empty() { p { (M::NoIssues.text(lang)) } }
            ul {
                @for issue in &card.open_issues {
                    li data-issue=(issue.kind) { (issue.opened_at.get(..10).unwrap_or_default()) " · " (lang.pick(&issue.summary_zh, &issue.summary_en)) }
                }
            }
            h3 { (M::LastVisits.text(lang)) }
            (notes_table(lang, &card.last_visits))
            @if viewer.who.require(Permission::KeepVisitLog).is_ok() {
                (note_form(lang, &format!("/customers/{}/visit-notes", encode_component(id)), None, M::AddNote))
            }
        }
    }
}

fn notes_table(lang: Lang, notes: &[NoteView]) -> Markup {
    html! {
        @if notes.is_empty() { p { (M::NoVisits.text(lang)) } } @else {
            table.notes {
                thead { tr {
                    th { (M::Date.text(lang)) } th { (M::Channel.text(lang)) } th { (M::Topic.text(lang)) }
                    th { (M::Promises.text(lang)) } th { (M::NextStep.text(lang)) } th { (M::Author.text(lang)) }
                    th { (M::Version.text(lang)) }
                } }
                tbody {
                    @for note in notes {
                        tr data-note=(note.note_id) {
                            td { (note.visited_on) }
                            td { (lang.pick(&note.channel_zh, &note.channel_en)) }
                            td { a href=(format!("/visit-notes/{}", note.note_id)) { (note.topic) } }
                            td { (note.promises) }
                            td { (note.next_step) @if let Some(on) = &note.next_contact_on { " (" (on) ")" } }
                            td { (note.author_id) }
                            td.num { (note.version) }
                        }
                    }
                }
            }
        }
    }
}

/// The note form: empty to add, filled (with the version it edits) to change.
fn note_form(lang: Lang, action: &str, note: Option<&NoteView>, title: M) -> Markup {
    let value = |f: fn(&NoteView) -> String| note.map(f).unwrap_or_default();
    let channel = note.map(|n| n.channel.clone()).unwrap_or_else(|| "visit".to_owned());
    html! {
        form.note-form method="post" action=(action) {
            h3 { (title.text(lang)) }
            @if let Some(note) = note { input type="hidden" name="version" value=(note.version); }
            @else { input type="hidden" name="request_id" value=(super::workbench::request_id()); }
            label { (M::Date.text(lang)) input type="date" name="visited_on" required value=(value(|n| n.visited_on.clone())); }
            label { (M::Channel.text(lang))
                select name="channel" {
                    @for option in VisitChannel::ALL {
                        option value=(option.code()) selected[option.code() == channel] { (lang.pick(option.label_zh(), option.label_en())) }
                    }
                }
            }
            label { (M::Topic.text(lang)) input type="text" name="topic" required maxlength="200" value=(value(|n| n.topic.clone())); }
            label { (M::Promises.text(lang)) textarea name="promises" maxlength="2000" { (value(|n| n.promises.clone())) } }
            label { (M::NextStep.text(lang)) textarea name="next_step" maxlength="2000" { (value(|n| n.next_step.clone())) } }
            label { (M::NextOn.text(lang)) input type="date" name="next_contact_on" value=(value(|n| n.next_contact_on.clone().unwrap_or_default())); }
            button type="submit" { (M::Save.text(lang)) }
        }
    }
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    visited_on: String,
    channel: String,
    topic: String,
    #[serde(default)]
    promises: String,
    #[serde(default)]
    next_step: String,
    #[serde(default)]
    next_contact_on: String,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

impl NoteForm {
    fn input(&self) -> NoteInput {
        NoteInput {
            visited_on: self.visited_on.clone(),
            channel: self.channel.clone(),
            topic: self.topic.clone(),
            promises: self.promises.clone(),
            next_step: self.next_step.clone(),
            next_contact_on: Some(self.next_contact_on.clone()).filter(|d| !d.trim().is_empty()),
        }
    }
}

fn author_manager(viewer: &Viewer) -> Option<&str> {
    viewer.who.manager_id.as_deref().filter(|_| viewer.who.role == Role::Manager)
}

async fn add_note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> PageResult<Response> {
    viewer.require(Permission::KeepVisitLog)?;
    crate::api::customer_in_scope(&state, &viewer.who, &id).await.map_err(|e| viewer.fail(e))?;
    let input = form.input();
    file::add_visit_note(
        state.store.as_ref(),
        &viewer.who.actor(),
        author_manager(&viewer),
        &id,
        &input,
        form.request_id.as_deref().filter(|r| !r.is_empty()),
        (state.clock)(),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/customers/{}#visit-log", encode_component(&id))).into_response())
}

/// A note the viewer may see (its customer in scope), else 404.
async fn note_in_scope(state: &AppState, viewer: &Viewer, id: &str) -> PageResult<i64> {
    let not_found = || viewer.fail(ApiError::NotFound(format!("visit note {id}")));
    let note_id: i64 = id.parse().map_err(|_| not_found())?;
    let note = file::note_customer(state.store.as_ref(), note_id).await.map_err(|e| viewer.fail(e))?;
    let note = note.ok_or_else(not_found)?;
    crate::api::customer_in_scope(state, &viewer.who, &note.customer_id).await.map_err(|_| not_found())?;
    Ok(note_id)
}

async fn note_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    viewer.require(Permission::ViewCustomer)?;
    let lang = viewer.lang;
    let note_id = note_in_scope(&state, &viewer, &id).await?;
    let history =
        file::visit_note_history(state.store.as_ref(), note_id).await.map_err(|e| viewer.fail(e))?;
    let note = &history.note;
    let mine = note.author_id == viewer.who.user_id && viewer.who.require(Permission::KeepVisitLog).is_ok();
    let body = html! {
        p { a href=(format!("/customers/{}#visit-log", encode_component(&note.customer_id))) { (note.customer_id) } }
        (notes_table(lang, std::slice::from_ref(note)))
        section #history {
            h2 { (M::History.text(lang)) }
            table {
                thead { tr {
                    th { (M::Version.text(lang)) } th { (M::EditedAt.text(lang)) } th { (M::Author.text(lang)) }
                    th { (M::Date.text(lang)) } th { (M::Channel.text(lang)) } th { (M::Topic.text(lang)) }
                    th { (M::Promises.text(lang)) } th { (M::NextStep.text(lang)) }
                } }
                tbody {
                    @for revision in &history.revisions {
                        tr data-version=(revision.version) {
                            td.num { (revision.version) } td { (revision.edited_at) } td { (revision.edited_by) }
                            td { (revision.visited_on) } td { (label::<VisitChannel>(&revision.channel, lang)) }
                            td { (revision.topic) } td { (revision.promises) } td { (revision.next_step) }
                        }
                    }
                }
            }
        }
        @if mine { (note_form(lang, &format!("/visit-notes/{note_id}"), Some(note), M::EditNote)) }
    };
    let title = format!("{} · {}", M::VisitLog.text(lang), note.topic);
    Ok(layout(&viewer, &title, &format!("/visit-notes/{note_id}"), body))
}

async fn edit_note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> PageResult<Response> {
    viewer.require(Permission::KeepVisitLog)?;
    let note_id = note_in_scope(&state, &viewer, &id).await?;
    let input = form.input();
    let version = form.version.ok_or_else(|| viewer.fail(ApiError::bad("version: required")))?;
    file::edit_visit_note(
        state.store.as_ref(),
        &viewer.who.actor(),
        note_id,
        version,
        &input,
        (state.clock)(),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/visit-notes/{note_id}")).into_response())
}

async fn file_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    viewer.require(Permission::ViewCustomer)?;
    let lang = viewer.lang;
    crate::api::customer_in_scope(&state, &viewer.who, &id).await.map_err(|e| viewer.fail(e))?;
    let reveal = viewer.who.reveals();
    let full = file::customer_file(state.store.as_ref(), &id, reveal, (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?
        .ok_or_else(|| viewer.fail(ApiError::NotFound(format!("customer {id}"))))?;
    crate::api::audit(
        &state,
        &viewer.who,
        "view_customer_file",
        "customer",
        &id,
        serde_json::json!({ "masked": !reveal, "via": "console" }),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    let body = html! {
        (card_section(&viewer, &full.card))
        section #plan-lines {
            h2 { (M::Lines.text(lang)) }
            table {
                thead { tr {
                    th { "ID" } th { (M::Plan.text(lang)) } th { (M::Fee.text(lang)) } th { (M::Status.text(lang)) }
                    th { (M::Activated.text(lang)) } th { (M::Left.text(lang)) } th { (M::Device.text(lang)) }
                } }
                tbody {
                    @for line in &full.lines {
                        tr {
                            td { (line.subscription_id) } td { (line.plan_name) " (" (line.plan_id) ")" }
                            td.num { (line.monthly_fee) }
                            td { (label::<weiwan_domain::codes::SubscriptionStatus>(&line.status, lang)) }
                            td { (line.activated_on) } td { (line.disconnected_on.as_deref().unwrap_or("—")) }
                            td { (line.device_model.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
        }
        section #orders {
            h2 { (M::Orders.text(lang)) " · " (M::RepeatCount.text(lang)) ": " span #repeat-purchases { (full.repeat_purchases) } }
            @if full.orders.is_empty() { p { (M::NoOrders.text(lang)) } } @else {
                table {
                    thead { tr {
                        th { "ID" } th { (M::Kind.text(lang)) } th { (M::Starts.text(lang)) } th { (M::Ends.text(lang)) }
                        th { (M::Status.text(lang)) } th { (M::Repeat.text(lang)) }
                    } }
                    tbody {
                        @for order in &full.orders {
                            tr {
                                td { (order.contract_id) }
                                td { (label::<weiwan_domain::codes::ContractKind>(&order.kind, lang)) }
                                td { (order.starts_on) } td { (order.ends_on) }
                                td { (label::<weiwan_domain::codes::ContractStatus>(&order.status, lang)) }
                                td { @if order.repeat { "✓" } }
                            }
                        }
                    }
                }
            }
        }
        section #all-contacts {
            h2 { (M::Contacts.text(lang)) }
            table {
                thead { tr {
                    th { (M::Date.text(lang)) } th { (M::Source.text(lang)) } th { (M::Channel.text(lang)) }
                    th { (M::Who.text(lang)) } th { (M::Summary.text(lang)) }
                } }
                tbody {
                    @for contact in &full.contacts {
                        tr { td { (contact.at) } td { (contact.source) } td { (contact.channel) } td { (contact.user_id) } td { (contact.summary) } }
                    }
                }
            }
        }
    };
    let title = format!("{} · {}", M::FullFile.text(lang), full.card.customer.name);
    Ok(layout(&viewer, &title, &format!("/customers/{}/file", encode_component(&id)), body))
}

#[derive(Debug, Deserialize)]
struct MonthQuery {
    month: Option<String>,
    branch: Option<String>,
    manager: Option<String>,
}

fn measures_row(row: &Measures, first: Markup) -> Markup {
    html! {
        tr data-manager=[row.manager_id.as_deref()] data-branch=[row.branch_id.as_deref()] {
            (first)
            td.num data-measure="visits_per_day" { (format!("{:.2}", row.visits_per_day)) }
            td.num data-measure="revisits_per_customer" { (decimal(row.revisits_per_customer)) }
            td.num data-measure="new_customers" { (row.new_customers) }
            td.num data-measure="coverage" { (percent(row.coverage)) " (" (row.covered) "/" (row.assigned) ")" }
            td.num data-measure="repeat_purchase_rate" { (percent(row.repeat_purchase_rate)) }
            td.num data-measure="retention_success_rate" { (percent(row.retention_success_rate)) }
            td.num data-measure="quota_completion" { (percent(row.quota_completion)) }
            td.num data-measure="customers_lost" { (row.customers_lost) }
            td.num data-measure="a_tier_customers" { (row.a_tier_customers) }
        }
    }
}

fn measures_head(lang: Lang, first: M) -> Markup {
    html! {
        thead { tr {
            th { (first.text(lang)) } th { (M::VisitsPerDay.text(lang)) } th { (M::Revisits.text(lang)) }
            th { (M::NewCustomers.text(lang)) } th { (M::Coverage.text(lang)) } th { (M::RepeatRate.text(lang)) }
            th { (M::RetentionRate.text(lang)) } th { (M::QuotaCompletion.text(lang)) } th { (M::Lost.text(lang)) }
            th { (M::ATier.text(lang)) }
        } }
    }
}

async fn performance_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<MonthQuery>,
) -> PageResult<Markup> {
    viewer.require(Permission::ReadPerformance)?;
    let lang = viewer.lang;
    let branch = query.branch.as_deref().filter(|b| !b.is_empty());
    let scope = appraisal_scope(&viewer.who, branch).map_err(|e| viewer.fail(e))?;
    let month =
        month_or_now(&state, query.month.as_deref().filter(|m| !m.is_empty())).map_err(|e| viewer.fail(e))?;
    let report =
        appraisal::performance(state.store.as_ref(), &scope, month).await.map_err(|e| viewer.fail(e))?;
    let body = html! {
        form.filters method="get" action="/performance" {
            label { (M::Month.text(lang)) input type="month" name="month" value=(report.month); }
            @if viewer.who.branch_id.is_none() && viewer.who.role != Role::Manager {
                label { (M::Branch.text(lang)) input type="text" name="branch" value=(branch.unwrap_or_default()); }
            }
            button type="submit" { (M::Show.text(lang)) }
        }
        p { (M::WorkingDays.text(lang)) ": " (report.working_days) }
        section #by-manager {
            h2 { (M::ByManager.text(lang)) }
            table.performance {
                (measures_head(lang, M::Manager))
                tbody {
                    @for row in &report.managers {
                        (measures_row(row, html! { td { (row.manager_name.as_deref().unwrap_or_default()) " (" (row.manager_id.as_deref().unwrap_or_default()) ")" } }))
                    }
                }
            }
        }
        section #by-branch {
            h2 { (M::ByBranch.text(lang)) }
            table.performance {
                (measures_head(lang, M::Branch))
                tbody {
                    @for row in &report.branches {
                        (measures_row(row, html! { td { (row.branch_id.as_deref().unwrap_or_default()) } }))
                    }
                    (measures_row(&report.total, html! { td { strong { (M::Total.text(lang)) } } }))
                }
            }
        }
    };
    Ok(layout(&viewer, M::Performance.text(lang), "/performance", body))
}

async fn plan_manager(state: &AppState, viewer: &Viewer, asked: Option<&str>) -> PageResult<Option<String>> {
    if viewer.who.role == Role::Manager {
        return Ok(viewer.who.manager_id.clone());
    }
    let Some(asked) = asked.filter(|a| !a.is_empty()) else { return Ok(None) };
    let scope = weiwan_storage::AppraisalScope {
        manager_id: Some(asked.to_owned()),
        branch_id: viewer.who.branch_scope(None).map_err(|e| viewer.fail(e))?,
    };
    if state.store.managers(&scope).await.map_err(|e| viewer.fail(e))?.is_empty() {
        return Err(viewer.fail(ApiError::NotFound(format!("manager {asked}"))));
    }
    Ok(Some(asked.to_owned()))
}

async fn plans_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<MonthQuery>,
) -> PageResult<Markup> {
    viewer.require(Permission::PlanVisits)?;
    let lang = viewer.lang;
    let manager = plan_manager(&state, &viewer, query.manager.as_deref()).await?;
    let today = weiwan_app::quotas::china_today((state.clock)());
    let month = match query.month.as_deref().filter(|m| !m.is_empty()) {
        Some(text) => appraisal::parse_month(text).map_err(|e| viewer.fail(e))?,
        None => weiwan_app::quotas::next_month(today),
    };
    let plan = match &manager {
        Some(manager) => {
            appraisal::visit_plan(state.store.as_ref(), manager, month).await.map_err(|e| viewer.fail(e))?
        }
        None => Vec::new(),
    };
    let month_text = month.format("%Y-%m").to_string();
    let body = html! {
        form.filters method="get" action="/visit-plans" {
            label { (M::Month.text(lang)) input type="month" name="month" value=(month_text); }
            @if viewer.who.role != Role::Manager {
                label { (M::ManagerId.text(lang)) input type="text" name="manager" value=(manager.as_deref().unwrap_or_default()); }
            }
            button type="submit" { (M::Show.text(lang)) }
        }
        @if let Some(manager) = &manager {
            form method="post" action="/visit-plans" {
                input type="hidden" name="month" value=(month_text);
                input type="hidden" name="manager" value=(manager);
                button type="submit" { (M::Generate.text(lang)) " · " (manager) " · " (month_text) }
            }
            @if plan.is_empty() { p { (M::NoPlan.text(lang)) } } @else {
                table #plan {
                    thead { tr {
                        th { (M::Date.text(lang)) } th { (M::Customer.text(lang)) } th { (M::Channel.text(lang)) }
                        th { (M::Rank.text(lang)) } th { (M::Reasons.text(lang)) }
                    } }
                    tbody {
                        @for contact in &plan {
                            tr data-customer=(contact.customer_id) {
                                td { (contact.planned_on) }
                                td { a href=(format!("/customers/{}", encode_component(&contact.customer_id))) { (contact.customer_id) } }
                                td { (label::<VisitChannel>(&contact.channel, lang)) }
                                td.num { (contact.rank) }
                                td { @for (i, reason) in contact.reasons.iter().enumerate() { @if i > 0 { "、" } (reason_label(reason, lang)) } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&viewer, M::Plans.text(lang), "/visit-plans", body))
}

#[derive(Debug, Deserialize)]
struct PlanForm {
    month: String,
    #[serde(default)]
    manager: Option<String>,
}

async fn generate_plan(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PlanForm>,
) -> PageResult<Response> {
    viewer.require(Permission::PlanVisits)?;
    let manager = plan_manager(&state, &viewer, form.manager.as_deref())
        .await?
        .ok_or_else(|| viewer.fail(ApiError::bad("manager: required")))?;
    let month = appraisal::parse_month(&form.month).map_err(|e| viewer.fail(e))?;
    crate::file_api::generate(&state, &viewer.who, &manager, month).await.map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!(
        "/visit-plans?month={}&manager={}",
        month.format("%Y-%m"),
        encode_component(&manager)
    ))
    .into_response())
}
