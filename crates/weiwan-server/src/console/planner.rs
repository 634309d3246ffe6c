//! The planner's and the approver's pages: the tag library, the target-group builder (a live
//! count and sample as the conditions are typed), the campaign list, the campaign wizard, a
//! campaign's page with its preview and the actions its status and the viewer's role allow,
//! and the approver's inbox.
//!
//! DataFusion work (previews) runs on the analytics runtime, as in the API.

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use weiwan_app::campaigns::{ActionRequest, CampaignPreview, CampaignView};
use weiwan_app::{Schedule, Segment};
use weiwan_decision::campaign::{CampaignAction, CampaignPlan, ChannelScript};
use weiwan_domain::Money;
use weiwan_domain::codes::{
    CampaignStatus, CaseKind, CaseStatus, ConcessionKind, ConcessionStatus, ContactChannel, VipTier,
};

use super::i18n::{Lang, messages};
use super::{PageResult, Viewer, encode_component, label, layout};
use crate::AppState;
use crate::auth::Permission;
use crate::error::ApiError;

messages! {
    TagLibrary => "标签库", "Tag library";
    Version => "版本", "Version";
    Tag => "标签", "Tag";
    CustomerTag => "客户标签", "customer tag";
    ManagementTag => "管理标签", "management tag";
    Segments => "目标客户群", "Target groups";
    Category => "类别", "Category";
    Owner => "负责人", "Owner";
    Description => "说明", "Description";
    Rule => "规则", "Rule";
    Builder => "目标客户群构建", "Build a target group";
    Conditions => "条件（每行一个，如 arpu_3m=120.. 或 vip_tier=diamond,gold）", "Conditions (one per line, e.g. arpu_3m=120.. or vip_tier=diamond,gold)";
    Fields => "可用字段", "Fields you can use";
    Name => "名称", "Name";
    Save => "保存", "Save";
    Preview => "预览", "Preview";
    Members => "客户数", "Members";
    AsOf => "数据日期", "Data as of";
    ByTier => "按等级", "By tier";
    ByBranch => "按分公司", "By branch";
    Sample => "样本", "Sample";
    Saved => "已保存的目标客户群", "Saved target groups";
    Builtin => "内置场景", "built-in scenario";
    NoData => "还没有打过标签的360宽表：请先运行日批处理。", "No tagged 360 table yet: run the daily batch first.";
    SavedOk => "已保存。", "Saved.";
    CampaignList => "营销活动（方案库）", "Campaigns (scheme library)";
    NewCampaign => "新建活动", "New campaign";
    Id => "编号", "Id";
    Status => "状态", "Status";
    TargetGroup => "目标客户群", "Target group";
    Budget => "预算（元）", "Budget (yuan)";
    Spent => "已花费（元）", "Spent (yuan)";
    ApprovalsDone => "审批", "Approvals";
    Period => "时间", "Period";
    Wizard => "活动向导：目标、优惠、渠道与话术、时间与预算", "Campaign wizard: target, offers, channels and script, dates and budget";
    IdHelp => "编号（小写字母、数字、-、_）", "Id (lowercase letters, digits, - and _)";
    NameZh => "中文名称", "Name in Chinese";
    NameEn => "英文名称", "Name in English";
    Offers => "优惠（按优先顺序勾选）", "Offers (in priority order)";
    Channels => "渠道", "Channels";
    ScriptZh => "中文话术", "Script in Chinese";
    ScriptEn => "英文话术", "Script in English";
    StartsOn => "开始日期", "Starts on";
    EndsOn => "结束日期", "Ends on";
    Holdout => "对照组比例", "Holdout share";
    Questionnaire => "问卷（可选）", "Questionnaire (optional)";
    NoQuestionnaire => "无", "none";
    Create => "创建草稿", "Create draft";
    Plan => "方案", "Plan";
    History => "历史", "History";
    When => "时间", "When";
    Who => "操作人", "By";
    Action => "操作", "Action";
    Comment => "意见", "Comment";
    PreviewTitle => "预览：抽样、对照组与预期效果", "Preview: draw, holdout and expected effect";
    TargetLines => "目标号码", "Lines in the target group";
    HeldElsewhere => "被其他活动占用", "Held by other campaigns";
    KeptQuiet => "接触策略静默", "Kept quiet by the contact policy";
    NoOffer => "无适用优惠", "No offer fits";
    Treated => "营销组", "Treated";
    Control => "对照组", "Control (holdout)";
    TakeUps => "预期受理", "Expected take-ups";
    Cost => "预期成本（元）", "Expected cost (yuan)";
    SavedRevenue => "预期挽留收入（元）", "Expected revenue saved (yuan)";
    WithinBudget => "在预算内", "Within budget";
    OverBudget => "超出预算", "Over budget";
    Inbox => "待审批", "Awaiting approval";
    CampaignsWaiting => "营销活动", "Campaigns";
    ConcessionsWaiting => "拆机挽留让利（超出维挽中心权限）", "Retention concessions (above the desk's limit)";
    NoConcessions => "没有待审批的让利。", "No concession awaits approval.";
    Case => "工单", "Case";
    Reason => "原因", "Reason";
    MonthlyFee => "月费（元）", "Monthly fee (yuan)";
    Concession => "让利", "Concession";
    Amount => "金额（元）", "Amount (yuan)";
    RequestedBy => "申请人", "Requested by";
    NothingToApprove => "没有待审批的活动。", "Nothing awaits approval.";
    Open => "打开", "Open";
    Submit => "提交审批", "Submit for approval";
    Approve => "批准", "Approve";
    Reject => "驳回", "Reject";
    Execute => "执行", "Execute";
    Pause => "暂停", "Pause";
    Resume => "恢复", "Resume";
    End => "结束", "End";
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/tags", get(tags))
        .route("/segments", get(segments).post(save_segment))
        .route("/segments/preview", post(preview_segment))
        .route("/campaigns", get(campaigns).post(create_campaign))
        .route("/campaigns/new", get(wizard))
        .route("/campaigns/{id}", get(campaign))
        .route("/campaigns/{id}/preview", post(preview_campaign))
        .route("/campaigns/{id}/actions/{action}", post(act))
        .route("/approvals", get(approvals))
        .route("/retention-cases/{case}/concessions/{concession}/{decision}", post(decide_concession))
}

fn action_label(action: CampaignAction) -> M {
    match action {
        CampaignAction::Submit => M::Submit,
        CampaignAction::Approve => M::Approve,
        CampaignAction::Reject => M::Reject,
        CampaignAction::Execute => M::Execute,
        CampaignAction::Pause => M::Pause,
        CampaignAction::Resume => M::Resume,
        CampaignAction::End => M::End,
    }
}

/// The newest tagged 360 table's date: what previews and executions read.
fn latest_tagged(state: &AppState, viewer: &Viewer) -> PageResult<Option<NaiveDate>> {
    weiwan_app::segments::latest_tagged_date(&state.lake).map_err(|e| viewer.fail(e))
}

// ---------------------------------------------------------------------------------------------
// Tags

async fn tags(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::ReadCampaigns)?;
    let lang = viewer.lang;
    let library = weiwan_app::tags::tag_library(&state.lake).map_err(|e| viewer.fail(e))?;
    let body = html! {
        p { (M::Version.text(lang)) ": " code { (library.version) } " · " (library.tags.len()) }
        table #tag-library {
            thead { tr {
                th { (M::Tag.text(lang)) } th { (M::Category.text(lang)) } th { (M::Owner.text(lang)) }
                th { (M::Description.text(lang)) } th { (M::Rule.text(lang)) }
            } }
            tbody {
                @for tag in &library.tags {
                    tr data-tag=(tag.name) {
                        td { code { (tag.name) } }
                        td { (match tag.category {
                            weiwan_app::TagCategory::Customer => M::CustomerTag.text(lang),
                            weiwan_app::TagCategory::Management => M::ManagementTag.text(lang),
                        }) }
                        td { (tag.owner) }
                        td { (lang.pick(&tag.description_zh, &tag.description_en)) }
                        td { code { (tag.expr) } }
                    }
                }
            }
        }
    };
    Ok(layout(&viewer, M::TagLibrary.text(lang), "/tags", body))
}

// ---------------------------------------------------------------------------------------------
// Target groups

async fn segments(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::PlanCampaigns)?;
    segments_page(&state, &viewer, None).await
}

async fn segments_page(state: &AppState, viewer: &Viewer, saved: Option<&str>) -> PageResult<Markup> {
    let lang = viewer.lang;
    let fields = weiwan_app::segments::condition_fields(&state.lake).await.map_err(|e| viewer.fail(e))?;
    let listed =
        weiwan_app::segments::list_segments(state.store.as_ref()).await.map_err(|e| viewer.fail(e))?;
    let body = html! {
        section {
            h2 { (M::Builder.text(lang)) }
            form #segment-builder method="post" action="/segments"
                hx-post="/segments/preview" hx-target="#segment-preview" hx-trigger="input changed delay:600ms from:textarea, load" {
                label { (M::Name.text(lang)) input name="name" pattern="[a-z0-9_-]{1,64}"; }
                label { (M::Description.text(lang)) input name="description"; }
                label { (M::Conditions.text(lang)) textarea name="conditions" rows="4" cols="60" list="fields" { "arpu_3m=120..\n" } }
                button type="button" hx-post="/segments/preview" hx-target="#segment-preview" { (M::Preview.text(lang)) }
                " "
                button type="submit" id="save-segment" { (M::Save.text(lang)) }
                @if let Some(saved) = saved { " " span.badge role="status" { (M::SavedOk.text(lang)) " " (saved) } }
            }
            details { summary { (M::Fields.text(lang)) " (" (fields.len()) ")" } p.muted { @for field in &fields { code { (field) } " " } } }
            div #segment-preview aria-live="polite" {}
        }
        section {
            h2 { (M::Saved.text(lang)) }
            table #segments {
                thead { tr { th { (M::Name.text(lang)) } th { (M::Description.text(lang)) } th { (M::Conditions.text(lang)) } } }
                tbody {
                    @for listed in &listed {
                        tr data-segment=(listed.segment.name) {
                            td { code { (listed.segment.name) } @if listed.builtin { " " span.muted { (M::Builtin.text(lang)) } } }
                            td { (listed.segment.description) }
                            td { code { (listed.segment.query.definition()) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(viewer, M::Segments.text(lang), "/segments", body))
}

#[derive(Debug, Deserialize)]
struct SegmentForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    conditions: String,
}

fn condition_lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// The live count and sample of the builder (an htmx fragment).
async fn preview_segment(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SegmentForm>,
) -> PageResult<Markup> {
    viewer.require(Permission::PlanCampaigns)?;
    let lang = viewer.lang;
    let query =
        weiwan_app::parse_conditions(&condition_lines(&form.conditions)).map_err(|e| viewer.fail(e))?;
    let Some(as_of) = latest_tagged(&state, &viewer)? else {
        return Ok(html! { p.notice { (M::NoData.text(lang)) } });
    };
    let lake = state.lake.clone();
    let preview = crate::on_analytics(&state, async move {
        weiwan_app::segments::preview_segment(&lake, as_of, &query, 10).await
    })
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(html! {
        div.cards {
            div.card { (M::Members.text(lang)) strong #segment-count data-count=(preview.members) { (preview.members) } }
            div.card { (M::AsOf.text(lang)) strong { (preview.as_of) } }
        }
        div.charts {
            div { h3 { (M::ByTier.text(lang)) }
                table { tbody { @for (tier, n) in &preview.by_tier { tr { td { (label::<VipTier>(tier, lang)) } td.num { (n) } } } } } }
            div { h3 { (M::ByBranch.text(lang)) }
                table { tbody { @for (branch, n) in &preview.by_branch { tr { td { (branch) } td.num { (n) } } } } } }
        }
        h3 { (M::Sample.text(lang)) }
        table.sample {
            thead { tr { @for column in &preview.columns { th { (column) } } } }
            tbody { @for row in &preview.sample { tr { @for cell in row { td { (cell) } } } } }
        }
    })
}

async fn save_segment(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SegmentForm>,
) -> PageResult<Markup> {
    viewer.require(Permission::PlanCampaigns)?;
    let query =
        weiwan_app::parse_conditions(&condition_lines(&form.conditions)).map_err(|e| viewer.fail(e))?;
    let segment = Segment {
        name: form.name.trim().to_owned(),
        description: form.description.trim().to_owned(),
        schedule: Schedule::None,
        query,
    };
    let (store, lake, now) = (state.store.clone(), state.lake.clone(), (state.clock)());
    let saved = segment.clone();
    crate::on_analytics(&state, async move {
        weiwan_app::segments::save_segment(store.as_ref(), &lake, &saved, false, now).await
    })
    .await
    .map_err(|e| viewer.fail(e))?;
    crate::api::audit(&state, &viewer.who, "save_segment", "segment", &segment.name, serde_json::json!({}))
        .await
        .map_err(|e| viewer.fail(e))?;
    segments_page(&state, &viewer, Some(&segment.name)).await
}

// ---------------------------------------------------------------------------------------------
// Campaigns

fn campaign_table(lang: Lang, campaigns: &[CampaignView]) -> Markup {
    html! {
        table.campaigns {
            thead { tr {
                th { (M::Id.text(lang)) } th { (M::Name.text(lang)) } th { (M::Status.text(lang)) }
                th { (M::TargetGroup.text(lang)) } th { (M::Period.text(lang)) } th { (M::Budget.text(lang)) }
                th { (M::ApprovalsDone.text(lang)) } th {}
            } }
            tbody {
                @for c in campaigns {
                    tr data-campaign=(c.campaign_id) data-status=(c.status) {
                        td { code { (c.campaign_id) } }
                        td { (lang.pick(&c.plan.name_zh, &c.plan.name_en)) }
                        td { (label::<CampaignStatus>(&c.status, lang)) }
                        td { (c.plan.target_group) }
                        td { (c.plan.starts_on) " – " (c.plan.ends_on) }
                        td.num { (c.budget) }
                        td.num { (c.approvals) " / " (c.approvals_required) }
                        td { a href=(format!("/campaigns/{}", encode_component(&c.campaign_id))) { (M::Open.text(lang)) } }
                    }
                }
            }
        }
    }
}

async fn campaigns(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::ReadCampaigns)?;
    let lang = viewer.lang;
    let list =
        weiwan_app::campaigns::list_campaigns(state.store.as_ref()).await.map_err(|e| viewer.fail(e))?;
    let may_plan = viewer.who.require(Permission::PlanCampaigns).is_ok();
    let body = html! {
        @if may_plan { p { a.button href="/campaigns/new" id="new-campaign" { (M::NewCampaign.text(lang)) } } }
        (campaign_table(lang, &list))
    };
    Ok(layout(&viewer, M::CampaignList.text(lang), "/campaigns", body))
}

async fn wizard(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::PlanCampaigns)?;
    let lang = viewer.lang;
    let store = state.store.as_ref();
    let segments = weiwan_app::segments::list_segments(store).await.map_err(|e| viewer.fail(e))?;
    let offers = weiwan_app::campaigns::list_offers(store).await.map_err(|e| viewer.fail(e))?;
    let questionnaires = store.questionnaires().await.map_err(|e| viewer.fail(e))?;
    let today = (state.clock)().date_naive();
    let ends = today.checked_add_months(chrono::Months::new(2)).unwrap_or(today);
    let body = html! {
        form #campaign-wizard method="post" action="/campaigns" {
            fieldset { legend { "1 · " (M::TargetGroup.text(lang)) }
                label { (M::IdHelp.text(lang)) input name="campaign_id" required pattern="[a-z0-9_-]{1,64}"; }
                label { (M::NameZh.text(lang)) input name="name_zh" required; }
                label { (M::NameEn.text(lang)) input name="name_en" required; }
                label { (M::TargetGroup.text(lang))
                    select name="target_group" required {
                        @for listed in &segments { option value=(listed.segment.name) { (listed.segment.name) } }
                    }
                }
            }
            fieldset { legend { "2 · " (M::Offers.text(lang)) }
                @for offer in offers.iter().filter(|o| o.active) {
                    label.check { input type="checkbox" name="offer" value=(offer.offer.id);
                        (lang.pick(&offer.offer.name_zh, &offer.offer.name_en)) " (" (lang.pick(&offer.terms_zh, &offer.terms_en)) ")" }
                    br;
                }
            }
            fieldset { legend { "3 · " (M::Channels.text(lang)) }
                @for channel in ContactChannel::ALL {
                    label.check { input type="checkbox" name="channel" value=(channel.code()) checked[*channel == ContactChannel::Outbound];
                        (lang.pick(channel.label_zh(), channel.label_en())) }
                }
                label { (M::ScriptZh.text(lang)) textarea name="script_zh" rows="2" required {} }
                label { (M::ScriptEn.text(lang)) textarea name="script_en" rows="2" required {} }
                label { (M::Questionnaire.text(lang))
                    select name="questionnaire" {
                        option value="" { (M::NoQuestionnaire.text(lang)) }
                        @for q in &questionnaires { option value=(q.questionnaire_id) { (q.questionnaire_id) } }
                    }
                }
            }
            fieldset { legend { "4 · " (M::Period.text(lang)) " · " (M::Budget.text(lang)) }
                label { (M::StartsOn.text(lang)) input type="date" name="starts_on" value=(today) required; }
                label { (M::EndsOn.text(lang)) input type="date" name="ends_on" value=(ends) required; }
                label { (M::Budget.text(lang)) input name="budget" inputmode="decimal" value="50000" required; }
                label { (M::Holdout.text(lang)) input name="holdout_share" inputmode="decimal" value="0.1" required; }
            }
            button type="submit" id="create-campaign" { (M::Create.text(lang)) }
        }
    };
    Ok(layout(&viewer, M::NewCampaign.text(lang), "/campaigns/new", body))
}

/// The wizard's fields as a plan; every problem is named.
fn plan_from_form(fields: &[(String, String)]) -> Result<(String, CampaignPlan), ApiError> {
    let one = |name: &str| {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    };
    let all =
        |name: &str| fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let mut problems = Vec::new();
    let date =
        |name: &str, problems: &mut Vec<String>| match NaiveDate::parse_from_str(&one(name), "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                problems.push(format!("{name}: a date YYYY-MM-DD"));
                None
            }
        };
    let starts_on = date("starts_on", &mut problems);
    let ends_on = date("ends_on", &mut problems);
    let budget = match Money::parse(&one("budget")) {
        Ok(money) => Some(money),
        Err(err) => {
            problems.push(format!("budget: {err}"));
            None
        }
    };
    let holdout_share = match one("holdout_share").parse::<f64>() {
        Ok(share) => share,
        Err(_) => {
            problems.push("holdout_share: a number such as 0.1".into());
            0.0
        }
    };
    let channels: Vec<ChannelScript> = all("channel")
        .into_iter()
        .map(|channel| ChannelScript { channel, script_zh: one("script_zh"), script_en: one("script_en") })
        .collect();
    if channels.is_empty() {
        problems.push("channel: choose at least one".into());
    }
    let (Some(starts_on), Some(ends_on), Some(budget), true) =
        (starts_on, ends_on, budget, problems.is_empty())
    else {
        return Err(ApiError::BadRequest { message: "the campaign was not created".into(), problems });
    };
    let plan = CampaignPlan {
        name_zh: one("name_zh"),
        name_en: one("name_en"),
        target_group: one("target_group"),
        offers: all("offer"),
        channels,
        starts_on,
        ends_on,
        budget,
        holdout_share,
        holdout_days: 90,
        approval_levels: 1,
        targets: Vec::new(),
        questionnaire: Some(one("questionnaire")).filter(|q| !q.is_empty()),
    };
    Ok((one("campaign_id"), plan))
}

async fn create_campaign(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    viewer.require(Permission::PlanCampaigns)?;
    let (id, plan) = plan_from_form(&fields).map_err(|e| viewer.fail(e))?;
    weiwan_app::campaigns::create_campaign(
        state.store.as_ref(),
        &id,
        &plan,
        None,
        &viewer.who.actor(),
        (state.clock)(),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/campaigns/{}", encode_component(&id))).into_response())
}

/// The actions the viewer's role may take on a campaign in this status.
fn actions_for(viewer: &Viewer, campaign: &CampaignView) -> Vec<CampaignAction> {
    let Ok(status) = campaign.status.parse::<CampaignStatus>() else {
        return Vec::new();
    };
    let approvals = u8::try_from(campaign.approvals).unwrap_or(u8::MAX);
    let required = u8::try_from(campaign.approvals_required).unwrap_or(u8::MAX);
    let plans = viewer.who.require(Permission::PlanCampaigns).is_ok();
    let approves = viewer.who.require(Permission::ApproveCampaigns).is_ok();
    CampaignAction::ALL
        .into_iter()
        .filter(|action| weiwan_decision::campaign::next_status(status, *action, approvals, required).is_ok())
        .filter(|action| match action {
            CampaignAction::Approve | CampaignAction::Reject => approves,
            _ => plans,
        })
        .collect()
}

fn action_forms(viewer: &Viewer, campaign: &CampaignView) -> Markup {
    let lang = viewer.lang;
    let campaign_id = &campaign.campaign_id;
    html! {
        @for action in actions_for(viewer, campaign) {
            form.inline.action method="post" action=(format!("/campaigns/{}/actions/{}", encode_component(campaign_id), action.code())) {
                @if action == CampaignAction::Reject || action == CampaignAction::Approve {
                    input name="comment" placeholder=(M::Comment.text(lang)) required[action == CampaignAction::Reject];
                }
                " "
                button type="submit" data-action=(action.code()) class=[(action == CampaignAction::Reject).then_some("secondary")] {
                    (action_label(action).text(lang))
                }
                " "
            }
        }
    }
}

async fn campaign(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    viewer.require(Permission::ReadCampaigns)?;
    let lang = viewer.lang;
    let view =
        weiwan_app::campaigns::campaign_view(state.store.as_ref(), &id).await.map_err(|e| viewer.fail(e))?;
    let plan = &view.plan;
    let body = html! {
        section #campaign data-status=(view.status) {
            p { (M::Status.text(lang)) ": " strong #campaign-status { (label::<CampaignStatus>(&view.status, lang)) }
                " · " (M::ApprovalsDone.text(lang)) ": " (view.approvals) " / " (view.approvals_required) }
            (action_forms(&viewer, &view))
            h2 { (M::Plan.text(lang)) }
            dl.facts {
                dt { (M::TargetGroup.text(lang)) } dd { code { (plan.target_group) } }
                dt { (M::Offers.text(lang)) } dd { (plan.offers.join(", ")) }
                dt { (M::Channels.text(lang)) } dd {
                    @for channel in &plan.channels {
                        (label::<ContactChannel>(&channel.channel, lang)) ": " (lang.pick(&channel.script_zh, &channel.script_en)) br;
                    }
                }
                dt { (M::Period.text(lang)) } dd { (plan.starts_on) " – " (plan.ends_on) }
                dt { (M::Budget.text(lang)) } dd { (view.budget) }
                dt { (M::Spent.text(lang)) } dd { (view.spent) }
                dt { (M::Holdout.text(lang)) } dd { (format!("{:.0}%", plan.holdout_share * 100.0)) }
                dt { (M::Treated.text(lang)) " / " (M::Control.text(lang)) } dd { (view.treated) " / " (view.control) }
            }
            h2 { (M::PreviewTitle.text(lang)) }
            button type="button" id="preview-campaign" hx-post=(format!("/campaigns/{}/preview", encode_component(&view.campaign_id)))
                hx-target="#campaign-preview" { (M::Preview.text(lang)) }
            div #campaign-preview aria-live="polite" {}
            h2 { (M::History.text(lang)) }
            table #history {
                thead { tr { th { (M::When.text(lang)) } th { (M::Who.text(lang)) } th { (M::Action.text(lang)) } th { (M::Status.text(lang)) } th { (M::Comment.text(lang)) } } }
                tbody {
                    @for h in &view.history {
                        tr { td { (h.at) } td { (h.user_id) } td { (h.action) }
                            td { (label::<CampaignStatus>(&h.from_status, lang)) " → " (label::<CampaignStatus>(&h.to_status, lang)) }
                            td { (h.comment) } }
                    }
                }
            }
        }
    };
    let title = lang.pick(&plan.name_zh, &plan.name_en).to_owned();
    Ok(layout(&viewer, &title, &format!("/campaigns/{}", encode_component(&id)), body))
}

fn preview_fragment(lang: Lang, preview: &CampaignPreview) -> Markup {
    html! {
        div.cards #preview-figures {
            div.card { (M::TargetLines.text(lang)) strong { (preview.target_group) } }
            div.card { (M::HeldElsewhere.text(lang)) strong { (preview.held_elsewhere) } }
            div.card { (M::KeptQuiet.text(lang)) strong { (preview.kept_quiet) } }
            div.card { (M::NoOffer.text(lang)) strong { (preview.no_offer) } }
            div.card { (M::Treated.text(lang)) strong #preview-treated { (preview.treated) } }
            div.card { (M::Control.text(lang)) strong { (preview.control) } }
            div.card { (M::TakeUps.text(lang)) strong { (format!("{:.0}", preview.expected_take_ups)) } }
            div.card { (M::Cost.text(lang)) strong { (format!("{:.0}", preview.expected_cost)) } }
            div.card { (M::SavedRevenue.text(lang)) strong { (format!("{:.0}", preview.expected_saved_revenue)) } }
            div.card { (M::Budget.text(lang)) strong { (format!("{:.0}", preview.budget)) }
                @if preview.within_budget { span.muted { (M::WithinBudget.text(lang)) } } @else { span.badge { (M::OverBudget.text(lang)) } } }
        }
        p.muted { (M::AsOf.text(lang)) ": " (preview.as_of) }
    }
}

async fn preview_campaign(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    viewer.require(Permission::ReadCampaigns)?;
    let lang = viewer.lang;
    let Some(as_of) = latest_tagged(&state, &viewer)? else {
        return Ok(html! { p.notice { (M::NoData.text(lang)) } });
    };
    let (store, lake, now) = (state.store.clone(), state.lake.clone(), (state.clock)());
    let preview = crate::on_analytics(&state, async move {
        weiwan_app::campaigns::preview_campaign(store.as_ref(), &lake, &id, as_of, 5, now).await
    })
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(preview_fragment(lang, &preview))
}

#[derive(Debug, Deserialize)]
struct ActionForm {
    #[serde(default)]
    comment: String,
}

async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> PageResult<Response> {
    let action: CampaignAction =
        action.parse().map_err(|e: String| viewer.fail(ApiError::NotFound(format!("action: {e}"))))?;
    match action {
        CampaignAction::Approve | CampaignAction::Reject => viewer.require(Permission::ApproveCampaigns)?,
        _ => viewer.require(Permission::PlanCampaigns)?,
    }
    let as_of = match action {
        CampaignAction::Execute => latest_tagged(&state, &viewer)?,
        _ => None,
    };
    let request = ActionRequest { comment: form.comment.trim().to_owned(), as_of };
    let (store, lake, now, who) =
        (state.store.clone(), state.lake.clone(), (state.clock)(), viewer.who.actor());
    let campaign = id.clone();
    crate::on_analytics(&state, async move {
        weiwan_app::campaigns::act_on_campaign(store.as_ref(), &lake, &campaign, action, &request, &who, now)
            .await
    })
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/campaigns/{}", encode_component(&id))).into_response())
}

// ---------------------------------------------------------------------------------------------
// The approver's inbox

async fn approvals(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::ApproveCampaigns)?;
    let lang = viewer.lang;
    let waiting: Vec<CampaignView> = weiwan_app::campaigns::list_campaigns(state.store.as_ref())
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .filter(|c| c.status == CampaignStatus::Submitted.code())
        .collect();
    let concessions = if viewer.who.require(Permission::ApproveConcessions).is_ok() {
        let filter = weiwan_app::cases::CaseListFilter {
            branch_id: viewer.who.branch_id.clone(),
            status: Some(CaseStatus::PendingApproval.code().to_owned()),
            ..Default::default()
        };
        weiwan_app::cases::list_cases(state.store.as_ref(), &filter, (state.clock)())
            .await
            .map_err(|e| viewer.fail(e))?
            .into_iter()
            .filter(|c| viewer.who.may_see_case(&c.branch_id, c.manager_id.as_deref()))
            .collect()
    } else {
        Vec::new()
    };
    let body = html! {
        h2 { (M::CampaignsWaiting.text(lang)) }
        @if waiting.is_empty() { p #inbox-empty { (M::NothingToApprove.text(lang)) } }
        @for c in &waiting {
            section.inbox data-campaign=(c.campaign_id) {
                h2 { a href=(format!("/campaigns/{}", encode_component(&c.campaign_id))) { (lang.pick(&c.plan.name_zh, &c.plan.name_en)) } }
                p { (M::TargetGroup.text(lang)) ": " code { (c.plan.target_group) } " · " (M::Budget.text(lang)) ": " (c.budget)
                    " · " (M::Period.text(lang)) ": " (c.plan.starts_on) " – " (c.plan.ends_on)
                    " · " (M::ApprovalsDone.text(lang)) ": " (c.approvals) " / " (c.approvals_required)
                    " · " (M::Who.text(lang)) ": " (c.created_by) }
                (action_forms(&viewer, c))
            }
        }
        h2 { (M::ConcessionsWaiting.text(lang)) }
        @if concessions.is_empty() { p #concessions-empty { (M::NoConcessions.text(lang)) } }
        @for case in &concessions {
            section.inbox data-case=(case.case_id) {
                p { (M::Case.text(lang)) " #" (case.case_id) " · " (case.customer_id) " · "
                    (label::<CaseKind>(&case.kind, lang)) " · " (M::Reason.text(lang)) ": " (case.reason)
                    " · " (M::MonthlyFee.text(lang)) ": " (case.monthly_fee.as_deref().unwrap_or("—")) }
                table {
                    thead { tr { th { (M::Concession.text(lang)) } th { (M::Amount.text(lang)) } th { (M::RequestedBy.text(lang)) } th {} } }
                    tbody {
                        @for concession in case.concessions.iter().filter(|c| c.status == ConcessionStatus::PendingApproval.code()) {
                            tr data-concession=(concession.concession_id) {
                                td { (label::<ConcessionKind>(&concession.kind, lang)) }
                                td.num { (concession.amount) }
                                td { (concession.requested_by) }
                                td {
                                    @for (decision, text) in [("approve", M::Approve), ("reject", M::Reject)] {
                                        form.inline method="post" action=(format!("/retention-cases/{}/concessions/{}/{decision}", case.case_id, concession.concession_id)) {
                                            input name="note" placeholder=(M::Comment.text(lang)) required[decision == "reject"];
                                            " " button type="submit" data-decision=(decision) class=[(decision == "reject").then_some("secondary")] { (text.text(lang)) } " "
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&viewer, M::Inbox.text(lang), "/approvals", body))
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    #[serde(default)]
    note: String,
}

/// An approver approves or rejects a concession above the retention desk's limit; the use case
/// refuses the requester's own and anything not awaiting approval.
async fn decide_concession(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((case, concession, decision)): Path<(String, i64, String)>,
    Form(form): Form<DecisionForm>,
) -> PageResult<Response> {
    viewer.require(Permission::ApproveConcessions)?;
    let note = form.note.trim().to_owned();
    let action = match decision.as_str() {
        "approve" => weiwan_app::cases::CaseAction::Approve { concession_id: concession, note },
        "reject" => weiwan_app::cases::CaseAction::Reject { concession_id: concession, note },
        other => return Err(viewer.fail(ApiError::NotFound(format!("decision {other:?}")))),
    };
    let case_id =
        crate::cases_api::case_in_scope(&state, &viewer.who, &case).await.map_err(|e| viewer.fail(e))?;
    weiwan_app::cases::act_on_case(
        state.store.as_ref(),
        case_id,
        &action,
        &crate::cases_api::case_actor(&viewer.who),
        (state.clock)(),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to("/approvals").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_wizard_form_becomes_a_plan_and_names_each_problem() {
        let (id, plan) = plan_from_form(&fields(&[
            ("campaign_id", "renew-2026-12"),
            ("name_zh", "续约"),
            ("name_en", "Renewal"),
            ("target_group", "contract_ending"),
            ("offer", "prepay_100"),
            ("offer", "family_plan"),
            ("channel", "outbound"),
            ("channel", "store"),
            ("script_zh", "您好"),
            ("script_en", "Hello"),
            ("starts_on", "2026-12-01"),
            ("ends_on", "2027-01-31"),
            ("budget", "50000"),
            ("holdout_share", "0.1"),
            ("questionnaire", ""),
        ]))
        .expect("a plan");
        assert_eq!(id, "renew-2026-12");
        assert_eq!(plan.offers, ["prepay_100", "family_plan"]);
        assert_eq!(plan.channels.len(), 2);
        assert_eq!(plan.channels[1].script_en, "Hello");
        assert_eq!(plan.questionnaire, None);
        assert_eq!(plan.budget.to_string(), "50000.00");

        let refused =
            plan_from_form(&fields(&[("starts_on", "1 Dec"), ("budget", "lots"), ("holdout_share", "x")]))
                .expect_err("refused");
        let ApiError::BadRequest { problems, .. } = refused else { panic!("{refused:?}") };
        let named: Vec<&str> = problems.iter().map(|p| p.split(':').next().unwrap_or_default()).collect();
        assert_eq!(named, ["starts_on", "ends_on", "budget", "holdout_share", "channel"]);
    }
}
