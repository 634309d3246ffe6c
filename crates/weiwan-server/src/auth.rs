//! Who is asking, and what they may do.
//!
//! People sign in with a password (argon2id) and get a session cookie; systems (billing,
//! CRM) use API tokens. Secrets are 32 random bytes; only their SHA-256 is stored, so a copy
//! of the database does not let anyone in.
//!
//! Every endpoint names the [`Permission`] it needs; [`allows`] is the one table of which role
//! holds which permission. Data scope comes on top: a manager sees only the customers and
//! tasks assigned to them, a branch user only that branch (see [`Principal`]).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use weiwan_domain::codes::{Role, TaskQueue};
use weiwan_storage::{CredentialRecord, TaskRecord, UserRecord};

use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "weiwan_session";
/// How long a person's session lasts: one working day.
pub const SESSION_HOURS: i64 = 12;

/// What an endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Users, API tokens.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Read the rule book.
    ReadRules,
    /// Send events (billing, CRM, the switch).
    PostEvents,
    /// Ask whether a line may be suspended (billing).
    AskSuspension,
    /// Open a customer's card (personal data, masked unless [`Principal::reveals`]).
    ViewCustomer,
    /// List tasks in one's scope.
    ListTasks,
    /// Claim tasks and record outcomes.
    WorkTasks,
    /// Read the offer catalog and the scheme library: campaigns, previews, evaluations.
    ReadCampaigns,
    /// Add and retire offers; plan, edit, clone, submit, execute, pause, resume and end campaigns.
    PlanCampaigns,
    /// Approve or reject submitted campaigns.
    ApproveCampaigns,
    /// Put a customer in scope on the do-not-disturb list 免打扰, or take them off, as the
    /// customer asks (managers, store clerks, hotline agents).
    ManageContactPreferences,
    /// Show a customer the offers meant for them and let them take one, as the web hall
    /// 网上营业厅 does for a customer it signed in (a system: API clients).
    ServeWebHall,
    /// Receive a customer's request to leave and work the retention case first (首问负责人):
    /// managers, store clerks, hotline agents.
    OpenCases,
    /// Work escalated retention cases at the central retention desk 维挽中心 (planners).
    WorkRetentionDesk,
    /// Approve or reject concessions above the retention desk's limit.
    ApproveConcessions,
    /// List and read retention cases in one's scope.
    ReadCases,
    /// Read the retention-case ledger 台帐 and the monthly report by branch.
    ReadCaseReports,
    /// Read how well the churn model in force did: ROC, lift, calibration (analysts, planners).
    ReadModelQuality,
    /// Read the retention KPIs and the management dashboards (management, analysts, planners,
    /// approvers).
    ReadDashboards,
    /// Start the long operations from the console: import an extract, run the daily batch,
    /// train the churn model (administrators, analysts).
    RunOperations,
    /// Write notes of calls and visits on a customer's file 拜访纪要, and change one's own
    /// (managers, store clerks, hotline agents).
    KeepVisitLog,
    /// Read managers' appraisal by month: managers their own row; planners, approvers,
    /// analysts and management by branch.
    ReadPerformance,
    /// Make and read monthly visit plans: managers their own, planners any manager's in scope.
    PlanVisits,
    /// Read group customers 集团客户 in one's scope: members, key persons, service level, risk,
    /// the periodic report (managers their own groups; planners, analysts their branch).
    ReadGroups,
    /// Record a key person's 关键人 influence on their group (the group's manager).
    ManageKeyPersons,
    /// Read clubs 俱乐部, their events and a customer's clubs and points in one's scope.
    ReadClubs,
    /// Create clubs and events, make an event's draw, record attendance (planners).
    ManageClubs,
    /// Enrol customers in scope in clubs, sign them up for events or cancel, spend their points
    /// on club services (managers, store clerks).
    WorkClubs,
}

/// The permission table. Least privilege: administrators manage users and read the audit log
/// but do not browse customers; API clients send events and ask about suspensions only.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        ManageUsers | ReadAudit => role == Admin,
        ReadRules => matches!(role, Admin | Planner | Analyst),
        PostEvents | AskSuspension => matches!(role, Admin | ApiClient),
        ViewCustomer => matches!(role, Manager | Clerk | Agent | Analyst),
        ListTasks => matches!(role, Manager | Clerk | Agent | Analyst | Planner),
        WorkTasks => matches!(role, Manager | Clerk | Agent | Analyst),
        ReadCampaigns => matches!(role, Planner | Approver | Analyst),
        PlanCampaigns => role == Planner,
        ApproveCampaigns => role == Approver,
        ManageContactPreferences => matches!(role, Manager | Clerk | Agent),
        ServeWebHall => role == ApiClient,
        OpenCases => matches!(role, Manager | Clerk | Agent),
        WorkRetentionDesk => role == Planner,
        ApproveConcessions => role == Approver,
        ReadCases => matches!(role, Manager | Clerk | Agent | Planner | Approver | Analyst),
        ReadCaseReports => matches!(role, Analyst | Planner | Approver),
        ReadModelQuality => matches!(role, Analyst | Planner),
        ReadDashboards => matches!(role, Executive | Analyst | Planner | Approver),
        RunOperations => matches!(role, Admin | Analyst),
        KeepVisitLog => matches!(role, Manager | Clerk | Agent),
        ReadPerformance => matches!(role, Manager | Planner | Approver | Analyst | Executive),
        PlanVisits => matches!(role, Manager | Planner),
        ReadGroups => matches!(role, Manager | Planner | Analyst),
        ManageKeyPersons => role == Manager,
        ReadClubs => matches!(role, Manager | Clerk | Agent | Planner | Analyst),
        ManageClubs => role == Planner,
        WorkClubs => matches!(role, Manager | Clerk),
    }
}

/// The signed-in user of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub login: String,
    pub role: Role,
    /// `None`: province-wide.
    pub branch_id: Option<String>,
    /// For managers: whose customers they serve.
    pub manager_id: Option<String>,
}

impl Principal {
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if allows(self.role, permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("role {} may not do this", self.role.code())))
        }
    }

    fn in_branch(&self, branch_id: &str) -> bool {
        self.branch_id.as_deref().is_none_or(|own| own == branch_id)
    }

    /// Whether the customer (of this branch and manager) is in this user's scope.
    pub fn may_see_customer(&self, branch_id: &str, manager_id: Option<&str>) -> bool {
        match self.role {
            Role::Manager => self.manager_id.is_some() && manager_id == self.manager_id.as_deref(),
            _ => allows(self.role, Permission::ViewCustomer) && self.in_branch(branch_id),
        }
    }

    /// Whether this user may see a retention case of this branch and manager: the first line
    /// as it sees customers; the desk, approvers and analysts within their branch scope.
    pub fn may_see_case(&self, branch_id: &str, manager_id: Option<&str>) -> bool {
        match self.role {
            Role::Manager | Role::Clerk | Role::Agent => self.may_see_customer(branch_id, manager_id),
            _ => allows(self.role, Permission::ReadCases) && self.in_branch(branch_id),
        }
    }

    /// Whether this user may see a group customer of this branch and manager: a manager the
    /// groups they serve, planners and analysts those of their branch scope.
    pub fn may_see_group(&self, branch_id: &str, manager_id: Option<&str>) -> bool {
        match self.role {
            Role::Manager => self.manager_id.is_some() && manager_id == self.manager_id.as_deref(),
            _ => allows(self.role, Permission::ReadGroups) && self.in_branch(branch_id),
        }
    }

    /// Whether this user may see a club member (a customer of this branch and manager) in club
    /// pages and act for them: as customers are seen, and planners within their branch scope.
    pub fn may_see_club_member(&self, branch_id: &str, manager_id: Option<&str>) -> bool {
        match self.role {
            Role::Planner => self.in_branch(branch_id),
            _ => allows(self.role, Permission::ReadClubs) && self.may_see_customer(branch_id, manager_id),
        }
    }

    /// Whether a club of this branch (`None`: the whole province) is in this user's scope.
    pub fn may_see_club(&self, branch_id: Option<&str>) -> bool {
        allows(self.role, Permission::ReadClubs) && branch_id.is_none_or(|b| self.in_branch(b))
    }

    /// The branch a branch-wide list or report is confined to: the user's own, or the one
    /// asked for by a province-wide user; asking for another branch is refused.
    pub fn branch_scope(&self, asked: Option<&str>) -> Result<Option<String>, ApiError> {
        match (&self.branch_id, asked) {
            (Some(own), Some(asked)) if own != asked => {
                Err(ApiError::Forbidden(format!("branch {asked} is outside your scope")))
            }
            (Some(own), _) => Ok(Some(own.clone())),
            (None, asked) => Ok(asked.map(str::to_owned)),
        }
    }

    /// Who acts, as the use cases record it.
    pub fn actor(&self) -> weiwan_app::tasks::Actor {
        weiwan_app::tasks::Actor { user_id: self.user_id.clone(), role: self.role.code().to_owned() }
    }

    /// MSISDNs and ID numbers are shown in full only to the manager who serves the customer;
    /// everyone else sees 138****1234.
    pub fn reveals(&self) -> bool {
        self.role == Role::Manager
    }

    /// The queues whose tasks this role works.
    pub fn queues(&self) -> &'static [TaskQueue] {
        match self.role {
            Role::Manager => &[TaskQueue::Outbound, TaskQueue::Retention],
            Role::Clerk => &[TaskQueue::Store],
            Role::Agent => &[TaskQueue::Hotline],
            Role::Analyst => &[TaskQueue::Abnormal],
            _ => &[],
        }
    }

    /// Whether this user may see a task: planners and analysts read every task in their
    /// branch scope; others see their own (a manager's) and their queues' tasks in scope.
    pub fn may_see_task(&self, task: &TaskRecord) -> bool {
        if !self.in_branch(&task.task.branch_id) {
            return false;
        }
        match self.role {
            Role::Planner | Role::Analyst => true,
            _ => self.may_work_task(task),
        }
    }

    /// Whether this user may claim a task and record its outcome.
    pub fn may_work_task(&self, task: &TaskRecord) -> bool {
        if !allows(self.role, Permission::WorkTasks) || !self.in_branch(&task.task.branch_id) {
            return false;
        }
        if let Some(manager) = &task.task.manager_id {
            return self.role == Role::Manager && self.manager_id.as_ref() == Some(manager);
        }
        task.task
            .queue
            .as_deref()
            .and_then(|q| q.parse::<TaskQueue>().ok())
            .is_some_and(|queue| self.queues().contains(&queue))
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Principal, ApiError> {
        principal_from_headers(state, &parts.headers).await
    }
}

/// The signed-in user of a request's headers (bearer token or session cookie).
pub async fn principal_from_headers(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let secret = presented_secret(headers).ok_or(ApiError::Unauthenticated)?;
    let credential = state.store.find_credential(&digest(&secret)).await?.ok_or(ApiError::Unauthenticated)?;
    if let Some(expires) = &credential.expires_at {
        let expired = DateTime::parse_from_rfc3339(expires).map_or(true, |at| at < (state.clock)());
        if expired {
            return Err(ApiError::Unauthenticated);
        }
    }
    let user = state.store.find_user(&credential.user_id).await?.ok_or(ApiError::Unauthenticated)?;
    if !user.active {
        return Err(ApiError::Unauthenticated);
    }
    principal(&user)
}

pub fn principal(user: &UserRecord) -> Result<Principal, ApiError> {
    Ok(Principal {
        user_id: user.user_id.clone(),
        login: user.login.clone(),
        role: user.role.parse().map_err(|e| ApiError::Internal(format!("stored role: {e}")))?,
        branch_id: user.branch_id.clone(),
        manager_id: user.manager_id.clone(),
    })
}

/// The secret a request carries: a bearer token, else the session cookie.
pub(crate) fn presented_secret(headers: &HeaderMap) -> Option<String> {
    bearer(headers).or_else(|| session_cookie(headers))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|header| {
        header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then(|| value.to_owned())
        })
    })
}

/// A new random secret, as 64 hex characters.
pub fn new_secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

/// The stored form of a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::Internal(format!("hash password: {e}")))
}

/// Checks a password against a stored PHC string; an empty or malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Issues a credential for a user: a session (expires) or an API token (until revoked).
/// Returns the secret, which is shown once and never stored.
pub async fn issue_credential(
    state: &AppState,
    user_id: &str,
    kind: &str,
    label: &str,
) -> Result<String, ApiError> {
    let secret = new_secret()?;
    let now = (state.clock)();
    let expires_at = (kind == "session").then(|| (now + chrono::Duration::hours(SESSION_HOURS)).to_rfc3339());
    state
        .store
        .create_credential(&CredentialRecord {
            token_hash: digest(&secret),
            user_id: user_id.to_owned(),
            kind: kind.to_owned(),
            label: label.to_owned(),
            created_at: now.to_rfc3339(),
            expires_at,
        })
        .await?;
    Ok(secret)
}

/// The wall clock as the server sees it; tests fix it.
pub type Clock = std::sync::Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("s3cret-pass").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("s3cret-pass", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("s3cret-pass", ""));
        assert_ne!(hash, hash_password("s3cret-pass").expect("hash"), "salts differ");
    }

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let (a, b) = (new_secret().expect("secret"), new_secret().expect("secret"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), a);
    }
}
