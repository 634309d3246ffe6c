//! What campaigns keep: the offer catalog 政策库, campaigns with their history of changes and
//! approvals (the scheme library 方案库), the members each campaign drew with their arm
//! (treated or control), the holdouts that keep control groups apart, and the offers taken up.
//!
//! Plans and offers are JSON documents whose meaning is weiwan-decision's business; the store
//! keeps beside them what its transactions must check: statuses, budgets and what was spent,
//! holdout dates. Amounts are integer fen; dates `YYYY-MM-DD`; times RFC 3339.

use async_trait::async_trait;

use crate::Result;
use crate::service::{AuditEntry, NewTask, OutcomeRecord, OutcomeRecorded, TaskRecord};

/// An offer in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRecord {
    pub offer_id: String,
    /// JSON of the offer (weiwan-decision's `Offer`).
    pub definition: String,
    /// `None`: no budget.
    pub budget_fen: Option<i64>,
    /// Spent on take-ups so far; ignored when creating.
    pub spent_fen: i64,
    /// Retired offers stay for the record but are offered no more.
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
}

/// A campaign in the scheme library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRecord {
    pub campaign_id: String,
    /// JSON of the plan (weiwan-decision's `CampaignPlan`).
    pub plan: String,
    /// A `CampaignStatus` code.
    pub status: String,
    /// Levels that approved in the current round.
    pub approvals: i64,
    pub approvals_required: i64,
    pub budget_fen: i64,
    /// Spent on take-ups so far; ignored when creating.
    pub spent_fen: i64,
    pub seed: i64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub cloned_from: Option<String>,
    pub executed_on: Option<String>,
}

/// One change of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignHistoryEntry {
    pub campaign_id: String,
    pub at: String,
    pub user_id: String,
    /// `create`, `edit`, `clone`, or a campaign action code (`submit`, `approve`, …).
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    /// The approval level an approval or rejection was given at; 0 otherwise.
    pub level: i64,
    pub comment: String,
}

/// A line a campaign drew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub campaign_id: String,
    pub subscription_id: String,
    pub customer_id: String,
    pub vip_tier: String,
    pub branch_id: String,
    pub manager_id: Option<String>,
    /// `treated` or `control`.
    pub arm: String,
    /// The offer a treated member gets (a control member would have got).
    pub offer_id: String,
}

/// Starting a campaign: its members, the control group to hold out, the tasks for treated
/// members, and the history entry; all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    pub campaign_id: String,
    /// `YYYY-MM-DD`: the day of the draw. Holdouts that ended before it are released first.
    pub executed_on: String,
    /// `YYYY-MM-DD`: until when the control group is held out.
    pub holdout_until: String,
    pub members: Vec<MemberRecord>,
    pub tasks: Vec<NewTask>,
    pub history: CampaignHistoryEntry,
}

/// How an execution went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executed {
    /// Members, holdouts and tasks are stored; the campaign runs.
    Started { tasks: usize },
    /// Another campaign holds some members (drawn meanwhile): nothing was stored.
    HeldOut(Vec<String>),
    /// The campaign is not (or no longer) approved: nothing was stored.
    NotApproved { status: String },
}

/// An offer taken up on a campaign task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub campaign_id: String,
    pub offer_id: String,
    pub task_id: i64,
    pub subscription_id: String,
    pub customer_id: String,
    /// The channel of the task it was accepted on.
    pub channel: String,
    pub user_id: String,
    pub at: String,
    /// `YYYY-MM-DD`: the day, against which holdings of excluded offers are checked.
    pub today: String,
    /// `YYYY-MM-DD`: the offer holds the customer until then.
    pub until: String,
    pub cost_fen: i64,
    /// Offers the customer may not hold together with this one.
    pub excluded_offers: Vec<String>,
    /// The outcome to record on the task (`accepted`).
    pub outcome: OutcomeRecord,
    /// The contact to enter in the ledger.
    pub contact: ContactEntry,
}

/// A questionnaire 智能问卷 as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionnaireRecord {
    pub questionnaire_id: String,
    /// JSON of weiwan-decision's `Questionnaire`.
    pub definition: String,
    pub created_by: String,
    pub created_at: String,
}

/// A contact in the ledger 接触记录.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactEntry {
    pub customer_id: String,
    pub subscription_id: Option<String>,
    /// A channel code (`outbound`, `store`, `hotline`, `sms`, `web_hall`).
    pub channel: String,
    /// `YYYY-MM-DD HH:MM:SS`, China time.
    pub at: String,
    pub campaign_id: Option<String>,
    pub task_id: Option<i64>,
    pub user_id: String,
    /// The task outcome code the contact ended with.
    pub outcome: String,
    pub refused: bool,
    pub transactional: bool,
}

/// How an acceptance went. Anything but `Accepted` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The task is done, the take-up recorded and paid from both budgets; the customer's
    /// other open tasks of the campaign (other channels) are closed too.
    Accepted {
        task: TaskRecord,
        closed: Vec<i64>,
    },
    NotFound,
    /// The campaign is not running (paused or ended meanwhile).
    NotRunning {
        status: String,
    },
    TaskDone,
    /// The customer took this campaign's offer already (on another channel's task).
    AlreadyTaken,
    /// The customer holds an offer this one excludes.
    Excluded {
        offer_id: String,
    },
    OfferBudgetSpent,
    CampaignBudgetSpent,
}

/// A take-up as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeupRecord {
    pub campaign_id: String,
    pub offer_id: String,
    pub subscription_id: String,
    pub customer_id: String,
    pub task_id: i64,
    pub channel: String,
    pub user_id: String,
    pub at: String,
    pub until: String,
    pub cost_fen: i64,
}

/// A campaign task as the evaluation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub task_id: i64,
    pub subscription_id: String,
    /// The task's cause: the channel code.
    pub channel: String,
    pub manager_id: Option<String>,
    /// Some outcome was recorded on it.
    pub worked: bool,
    /// Some outcome other than `not_reached`.
    pub reached: bool,
    pub accepted: bool,
}

#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Adds offers, all or none: returns the ids already taken (and then adds nothing).
    async fn create_offers(&self, offers: &[OfferRecord]) -> Result<Vec<String>>;
    /// Every offer, by id.
    async fn offers(&self) -> Result<Vec<OfferRecord>>;
    async fn find_offer(&self, offer_id: &str) -> Result<Option<OfferRecord>>;
    /// Retires or reinstates an offer; false when there is none.
    async fn set_offer_active(&self, offer_id: &str, active: bool) -> Result<bool>;

    /// Adds a campaign with its first history entry; false when the id is taken.
    async fn create_campaign(
        &self,
        campaign: &CampaignRecord,
        history: &CampaignHistoryEntry,
    ) -> Result<bool>;
    async fn find_campaign(&self, campaign_id: &str) -> Result<Option<CampaignRecord>>;
    /// Every campaign, newest first.
    async fn campaigns(&self) -> Result<Vec<CampaignRecord>>;
    /// Replaces the plan of a draft; false when the campaign is not (or no longer) a draft.
    async fn update_campaign_plan(
        &self,
        campaign: &CampaignRecord,
        history: &CampaignHistoryEntry,
    ) -> Result<bool>;
    /// Moves a campaign from `history.from_status` with `approvals` levels approved to
    /// `history.to_status` with `new_approvals`, appending the history entry; false (nothing
    /// changed) when it is no longer in that state — someone acted meanwhile. With
    /// `close_tasks` (the end of a campaign), its tasks still open are closed in the same
    /// transaction.
    async fn transition_campaign(
        &self,
        history: &CampaignHistoryEntry,
        approvals: i64,
        new_approvals: i64,
        close_tasks: bool,
    ) -> Result<bool>;
    /// Oldest first.
    async fn campaign_history(&self, campaign_id: &str) -> Result<Vec<CampaignHistoryEntry>>;

    /// Which of these lines a campaign other than `except` holds on `today`: in its control
    /// group while the holdout lasts, or a member (either arm) while it runs or is paused. A
    /// line is in one campaign at a time, so no control group is treated by another campaign
    /// and no treated line is counted by two.
    async fn engaged(&self, subscription_ids: &[String], today: &str, except: &str) -> Result<Vec<String>>;
    /// Starts an approved campaign: in one transaction that excludes other executions, releases
    /// holdouts that ended before the day, refuses if another campaign holds any member
    /// ([`CampaignStore::engaged`]), stores the members, holds out the control group, raises the tasks and moves
    /// the campaign to running.
    async fn execute_campaign(&self, execution: &Execution) -> Result<Executed>;
    /// By subscription id.
    async fn campaign_members(&self, campaign_id: &str) -> Result<Vec<MemberRecord>>;
    /// One member of a campaign, by line.
    async fn campaign_member(&self, campaign_id: &str, subscription_id: &str)
    -> Result<Option<MemberRecord>>;
    /// Lines of `campaign_id` held out now.
    async fn holdout_size(&self, campaign_id: &str) -> Result<i64>;

    /// Records an acceptance, all or nothing: the outcome, the task done, the take-up, both
    /// budgets charged (refused when either would be passed), and the customer's other open
    /// tasks of the campaign closed.
    async fn accept_offer(&self, acceptance: &Acceptance) -> Result<Accepted>;
    /// Take-ups of a campaign, oldest first.
    async fn takeups(&self, campaign_id: &str) -> Result<Vec<TakeupRecord>>;
    /// (subscription id, offer id) of take-ups still holding on `today`, for these lines.
    async fn holdings(&self, subscription_ids: &[String], today: &str) -> Result<Vec<(String, String)>>;
    /// The campaign's tasks with what came of them, by task id.
    async fn campaign_contacts(&self, campaign_id: &str) -> Result<Vec<ContactRow>>;

    /// Records an outcome (as `ServiceStore::record_outcome`, audit entry included) and its
    /// contact in the ledger, in one transaction. `None` (and nothing stored) when the task does
    /// not exist.
    async fn record_contact_outcome(
        &self,
        outcome: &OutcomeRecord,
        closes: bool,
        contact: &ContactEntry,
        audit: &AuditEntry,
    ) -> Result<OutcomeRecorded>;
    /// Stores a questionnaire; false (and nothing stored) when its id is taken.
    async fn create_questionnaire(&self, questionnaire: &QuestionnaireRecord) -> Result<bool>;
    /// Every questionnaire, by id.
    async fn questionnaires(&self) -> Result<Vec<QuestionnaireRecord>>;
    async fn find_questionnaire(&self, questionnaire_id: &str) -> Result<Option<QuestionnaireRecord>>;
    /// The answers recorded with the outcomes of a campaign's tasks: (questionnaire id, the
    /// answers' JSON), oldest first.
    async fn campaign_answers(&self, campaign_id: &str) -> Result<Vec<(String, String)>>;
    /// Enters contacts made outside tasks (an SMS batch sent) in the ledger, with the audit
    /// entry; all or none.
    async fn record_contacts(&self, contacts: &[ContactEntry], audit: &AuditEntry) -> Result<()>;
    /// Marketing (non-transactional) contacts on `channel` at or after `since` (China time,
    /// `YYYY-MM-DD HH:MM:SS`): what a channel's daily capacity has used.
    async fn count_contacts(&self, channel: &str, since: &str) -> Result<i64>;
    /// The ledger's contacts with these customers at or after `since`, by customer then time.
    async fn contacts(&self, customer_ids: &[String], since: &str) -> Result<Vec<ContactEntry>>;
    /// Puts a customer on the do-not-disturb list 免打扰 (`on`) or takes them off; false when
    /// nothing changed.
    async fn set_do_not_disturb(
        &self,
        customer_id: &str,
        on: bool,
        at: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool>;
    /// Which of these customers are on the do-not-disturb list.
    async fn do_not_disturb(&self, customer_ids: &[String]) -> Result<Vec<String>>;
}

/// The rule id of a campaign's tasks: `campaign:<id>`. Their subject is the line, their cause
/// the channel.
pub fn campaign_rule_id(campaign_id: &str) -> String {
    format!("campaign:{campaign_id}")
}

/// The campaign a task belongs to, if it is a campaign task.
pub fn campaign_of_rule(rule_id: &str) -> Option<&str> {
    rule_id.strip_prefix("campaign:")
}
