//! The command line, declared with clap. Every command that reads operator data takes `--db`
//! and `--data-dir`; see [`crate::config`] for their defaults.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "weiwan", version, about = "weiwan (维挽): customer retention for telecom operators")]
pub struct Cli {
    /// Configuration file (TOML with `db` and `data_dir`); defaults to ./weiwan.toml if present.
    #[arg(long, global = true, env = crate::config::env::CONFIG)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a synthetic operator's extract (customers, lines, usage, events …).
    Generate(GenerateArgs),
    /// Validate an extract directory whole and import it: entities into the store, history
    /// into the data directory. A bad file is refused and nothing is stored.
    Import(ImportArgs),
    /// Run the daily batch as of a date: the customer 360 table, its tags and the target
    /// groups due that day, in the data directory.
    Run(RunArgs),
    /// The tag library: list the tags in force, check a library file, or put one in force.
    Tags(TagsArgs),
    /// Target groups 客户群: list, save, preview and export them.
    Segment(SegmentArgs),
    /// Snapshot cohorts 拍照: freeze a set of lines at a date to track their KPIs.
    Cohort(CohortArgs),
    /// The KPIs of a snapshot cohort as of a date: 保有率, 在网率, 离网率, 捆绑到位率, 续签率.
    Kpi(KpiArgs),
    /// Churn models: train on a CSV, score a CSV with reasons, cross-validate a learner.
    Churn(ChurnArgs),
    /// Customer lifetime value: sBG survival for contract cohorts, DEL/DERL, BG/NBD for
    /// prepaid recharges.
    Clv(ClvArgs),
    /// Print counts of the imported base by tier, status and branch.
    Summary(StoreArgs),
    /// Serve the HTTP API (docs/service.md) until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Users of the service: add one, list them, issue an API token for a system.
    User(UserArgs),
    /// Apply an event file (CSV or Parquet with the columns of the events table) as one batch:
    /// events are stored once each and raise their tasks at once.
    Events(EventsArgs),
    /// The warning and care rule book: list the rules in force, check a file, or put one in force.
    Rules(RulesArgs),
    /// The offer catalog 政策库: list offers, load a catalog file, retire or reinstate an offer.
    Offer(OfferArgs),
    /// Retention campaigns 维系活动 in the scheme library 方案库: plan, preview, approve,
    /// execute with a holdout, and evaluate against it.
    Campaign(CampaignArgs),
    /// Retention cases 拆机挽留: open a case for a request to leave, work it at the first line,
    /// escalate, offer concessions, approve them, close; the ledger 台帐 and the monthly report.
    Case(CaseArgs),
    /// The customer file 动态客户档案: the manager's card and the sales office's file, the visit
    /// log 拜访纪要 (only the author edits a note; every version is kept), monthly visit plans.
    Visit(VisitArgs),
    /// Managers' appraisal 考核 for a month, by manager and by branch.
    Performance(PerformanceArgs),
    /// Group customers 集团客户: list, a group's members, key persons, service level and risk,
    /// the periodic report, and a key person's influence.
    Group(GroupArgs),
    /// Clubs 俱乐部: clubs by VIP tier, members, events with places (first come or a draw),
    /// sign-ups, attendance, points spent on club services.
    Club(ClubArgs),
    /// Dispatch 派单: the day's outbound call lists, balanced by capacity, and a campaign's SMS
    /// batch as a file; both through the contact policy.
    Dispatch(DispatchArgs),
    /// Questionnaires 智能问卷: define, list, clone; a campaign's answers tallied.
    Questionnaire(QuestionnaireArgs),
    /// Generate a small operator, import it into the embedded store and print a summary.
    Demo(DemoArgs),
}

/// Where operator data lives.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Database: a SQLite file path or sqlite:// URL, or a postgres:// URL
    /// [default: sqlite://<data-dir>/weiwan.db?mode=rwc]
    #[arg(long, global = true, env = crate::config::env::DB)]
    pub db: Option<String>,
    /// Data directory holding the Parquet lake [default: ./weiwan-data]
    #[arg(long, global = true, env = crate::config::env::DATA_DIR)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Parquet,
    Csv,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of lines (subscriptions) to generate.
    #[arg(long)]
    pub subscribers: u64,
    /// Months of history, ending with --end-month.
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    /// Random seed: the same seed and arguments give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Last month covered, YYYY-MM.
    #[arg(long, default_value = "2026-10")]
    pub end_month: String,
    /// Directory to write the extract files into.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Parquet)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Extract directory: <table>.csv or <table>.parquet files.
    pub dir: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct TagsArgs {
    #[command(subcommand)]
    pub action: Option<TagsAction>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum TagsAction {
    /// List the tags in force (the default).
    List,
    /// Check a library file (TOML) without putting it in force.
    Check { file: PathBuf },
    /// Check a library file and put it in force; a refused file changes nothing.
    Load { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The batch date, YYYY-MM-DD: history strictly before it counts.
    #[arg(long)]
    pub as_of: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Lines in the demo operator.
    #[arg(long, default_value_t = 50_000)]
    pub subscribers: u64,
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where the console is served at the end (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Prepare everything but do not serve the console.
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// Which lines: a named target group, self-service conditions, or an analyst's SQL.
#[derive(Debug, Clone, Args)]
pub struct Selection {
    /// A fixed scenario or saved target group, by name.
    #[arg(long, conflicts_with_all = ["conditions", "sql"])]
    pub segment: Option<String>,
    /// A condition on a tag or feature: field=value, field=a,b, field!=value or
    /// field=lo..hi (either end may be open). Repeat it: all must hold.
    #[arg(long = "where", value_name = "CONDITION")]
    pub conditions: Vec<String>,
    /// One SELECT over customer_360 that yields subscription_id (read-only).
    #[arg(long, conflicts_with = "conditions")]
    pub sql: Option<String>,
}

#[derive(Debug, Args)]
pub struct SegmentArgs {
    #[command(subcommand)]
    pub action: SegmentAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum SegmentAction {
    /// List the fixed scenarios and the saved target groups.
    List,
    /// Check a definition and save it under a name.
    Save {
        name: String,
        #[command(flatten)]
        selection: Selection,
        #[arg(long, default_value = "")]
        description: String,
        /// When the daily batch writes its member list: none, daily or monthly.
        #[arg(long, default_value = "none")]
        schedule: String,
        /// Replace a saved target group of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Delete a saved target group.
    Delete { name: String },
    /// Count the lines, split them by tier and branch, and show a sample.
    Preview {
        #[command(flatten)]
        selection: Selection,
        /// The batch date whose tagged 360 table to read, YYYY-MM-DD.
        #[arg(long)]
        as_of: String,
        /// Rows in the sample.
        #[arg(long, default_value_t = 10)]
        sample: usize,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Write the member list as CSV (MSISDNs masked).
    Export {
        #[command(flatten)]
        selection: Selection,
        #[arg(long)]
        as_of: String,
        /// The CSV file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CohortArgs {
    #[command(subcommand)]
    pub action: CohortAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum CohortAction {
    /// Freeze the lines a selection picks on a date (default: 中高端, arpu_3m=120..).
    Snapshot {
        name: String,
        /// The snapshot date: the batch date whose tagged 360 table to read.
        #[arg(long)]
        as_of: String,
        #[command(flatten)]
        selection: Selection,
    },
    /// List the cohorts taken.
    List,
}

#[derive(Debug, Args)]
pub struct KpiArgs {
    /// The cohort, by name.
    #[arg(long)]
    pub cohort: String,
    /// The evaluation date, YYYY-MM-DD: what happened before it counts.
    #[arg(long)]
    pub as_of: String,
    /// ARPU floor in yuan [default: 50, or kpi.arpu_floor in the config file].
    #[arg(long)]
    pub floor: Option<f64>,
    /// Consecutive months below the floor that lose a member [default: 3, or kpi.low_months].
    #[arg(long)]
    pub months: Option<u32>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub format: Output,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ChurnArgs {
    #[command(subcommand)]
    pub action: ChurnAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgorithmArg {
    /// Gradient-boosted trees (forust-ml).
    Gbdt,
    /// The naive Bayes baseline.
    NaiveBayes,
}

/// A labelled CSV file and how to read it.
#[derive(Debug, Args)]
pub struct LabelledCsv {
    /// The CSV file (gzipped if it ends in .gz), with a header row.
    #[arg(long)]
    pub csv: PathBuf,
    /// The label column: Yes/No, True/False or 1/0, positive meaning the customer left.
    #[arg(long)]
    pub label: String,
    /// An identifier column: not a feature, written back when scoring.
    #[arg(long)]
    pub id: Option<String>,
    /// Columns never to use as features, comma separated (e.g. outcome-derived ones).
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Gbdt)]
    pub algorithm: AlgorithmArg,
    /// Random seed for the validation split and the trees' sampling.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReasonMethod {
    /// Exact TreeSHAP contributions.
    Shapley,
    /// Path attribution, faster on very large files.
    Path,
}

#[derive(Debug, Subcommand)]
pub enum ChurnAction {
    /// Train a model on a labelled CSV and write it to a model file.
    Train {
        #[command(flatten)]
        data: LabelledCsv,
        /// The model file to write (JSON).
        #[arg(long)]
        model: PathBuf,
    },
    /// Score a CSV: id, probability, decile and the top reasons in English and Chinese.
    Score {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        csv: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Reasons per customer; 0 writes probabilities only (much faster).
        #[arg(long, default_value_t = 3)]
        top: usize,
        #[arg(long, value_enum, default_value_t = ReasonMethod::Shapley)]
        reasons: ReasonMethod,
    },
    /// Train on the operator's data in the data directory as of a date: label = left within 3
    /// months, tested out of time on a later window, then put in force for the daily batch.
    TrainLake {
        /// The training date, YYYY-MM-DD: the newest labels end here.
        #[arg(long)]
        as_of: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Churn kinds 离网类型 as of a date (docs/churn-kinds.md): lines gone to a competitor,
    /// internal number switches (the same person or handset back on a new line within the
    /// window) and dormant lines, overall and by branch.
    Kinds {
        /// The date, YYYY-MM-DD: what happened before it counts.
        #[arg(long)]
        as_of: String,
        /// W, days around a disconnection within which a new line makes it a switch
        /// (default: `[kpi.churn_kinds]` of the config file, else 30).
        #[arg(long)]
        window_days: Option<u32>,
        /// N, complete months without use that make a line dormant (default: the config
        /// file's, else 3).
        #[arg(long)]
        dormant_months: Option<u32>,
        /// Also list every line that left or lies dormant, with its kind (personal data).
        #[arg(long)]
        lines: bool,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Stratified K-fold cross-validation: AUC, PR-AUC, top-decile lift, log loss, Brier
    /// score and a reliability table.
    Evaluate {
        #[command(flatten)]
        data: LabelledCsv,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
        /// Also write every row's fold and out-of-fold probability to this CSV.
        #[arg(long)]
        predictions_out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ClvArgs {
    #[command(subcommand)]
    pub action: ClvAction,
}

#[derive(Debug, Subcommand)]
pub enum ClvAction {
    /// Fit a shifted-beta-geometric model to a cohort's survival (`period,alive`), project
    /// it, and value a customer by DEL and DERL.
    Sbg {
        #[arg(long)]
        csv: PathBuf,
        /// Column holding the period number (0 = the cohort's start).
        #[arg(long, default_value = "period")]
        period_column: String,
        /// Column holding the number still alive.
        #[arg(long, default_value = "alive")]
        alive_column: String,
        /// Fit on periods 1..=N only (default: every period in the file).
        #[arg(long)]
        fit_periods: Option<u32>,
        /// Periods to project.
        #[arg(long, default_value_t = 12)]
        horizon: u32,
        /// Discount rate per period for DEL and DERL.
        #[arg(long, default_value_t = 0.1)]
        discount: f64,
        /// DERL for a customer about to make renewal decision n (n − 1 renewals made).
        #[arg(long, default_value = "1,2,3,4,5")]
        renewals: String,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Fit BG/NBD to per-customer summaries (`id,frequency,recency,T`) and report each
    /// customer's probability of being alive.
    Bgnbd {
        #[arg(long)]
        csv: PathBuf,
        /// Write id, P(alive) and expected transactions in the next --horizon periods here.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 12.0)]
        horizon: f64,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user; the password is read from the WEIWAN_PASSWORD variable or the first line of
    /// standard input (never from the command line, where other users could see it).
    Add {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// admin, planner, approver, manager, clerk, agent, analyst or api_client.
        #[arg(long)]
        role: String,
        #[arg(long)]
        branch: Option<String>,
        /// For role manager: the manager id (from the managers extract) the user is.
        #[arg(long)]
        manager: Option<String>,
    },
    /// List users.
    List,
    /// Issue an API token for an api_client user; printed once.
    Token {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "")]
        label: String,
    },
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub action: EventsAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum EventsAction {
    /// Apply an event file whole; a bad line refuses the file and nothing is applied.
    Import { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// List the rules in force.
    List,
    /// Check a rule book (TOML) without putting it in force.
    Check { file: PathBuf },
    /// Check a rule book and put it in force; a refused book changes nothing.
    Load { file: PathBuf },
}

/// The user a change is made as: a login of an active user in the store whose role may do it.
#[derive(Debug, Clone, Args)]
pub struct ActingUser {
    /// Login of the user making the change (see `weiwan user list`).
    #[arg(long = "as", value_name = "LOGIN")]
    pub login: String,
}

#[derive(Debug, Args)]
pub struct OfferArgs {
    #[command(subcommand)]
    pub action: OfferAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum OfferAction {
    /// List the offers of the catalog: terms, cost per take-up, spent and budget, validity.
    List {
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Add the offers of a catalog file (TOML, `[[offer]]` entries), all or none; a refused
    /// file adds nothing and every problem is printed.
    Load {
        /// The catalog file.
        #[arg(required_unless_present = "builtin")]
        file: Option<PathBuf>,
        /// Load the catalog shipped with weiwan instead of a file.
        #[arg(long, conflicts_with = "file")]
        builtin: bool,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Retire an offer: kept in the catalog, no longer offered by new campaigns.
    Retire {
        id: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Put a retired offer back in the catalog.
    Reinstate {
        id: String,
        #[command(flatten)]
        user: ActingUser,
    },
}

#[derive(Debug, Args)]
pub struct CampaignArgs {
    #[command(subcommand)]
    pub action: CampaignAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// What a campaign action needs besides the campaign: a comment and who acts.
#[derive(Debug, Clone, Args)]
pub struct ActArgs {
    /// The campaign, by id.
    pub id: String,
    /// A comment for the history (a rejection must say why).
    #[arg(long, default_value = "")]
    pub comment: String,
    #[command(flatten)]
    pub user: ActingUser,
}

#[derive(Debug, Subcommand)]
pub enum CampaignAction {
    /// Plan a campaign from a plan file (TOML): a draft 草稿 in the scheme library.
    Create {
        /// The new campaign's id: 1 to 64 of a-z, 0-9, - and _.
        #[arg(long)]
        id: String,
        /// The plan (TOML: name_zh, name_en, target_group, offers, [[channels]], starts_on,
        /// ends_on, budget, holdout_share, holdout_days, approval_levels, [[targets]]).
        file: PathBuf,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Replace the plan of a draft (a rejected campaign is a draft again).
    Edit {
        id: String,
        /// The new plan (TOML).
        file: PathBuf,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Copy a campaign of the scheme library, in any state, into a new draft.
    Clone {
        id: String,
        new_id: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// List the scheme library 方案库: every campaign, newest first.
    List {
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Show a campaign: its plan, status, approvals, budget, arms and history.
    Show {
        id: String,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Preview 方案预演 the draw the campaign would make on a date: arms, offers, expected
    /// take-up, cost and saved revenue. Changes nothing.
    Preview {
        id: String,
        /// The batch date whose tagged 360 table to read, YYYY-MM-DD.
        #[arg(long)]
        as_of: String,
        /// Treated lines in the sample.
        #[arg(long, default_value_t = 10)]
        sample: usize,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Submit a draft for approval 提交审批.
    Submit(ActArgs),
    /// Approve one level of a submitted campaign 审批通过 (approvers only; not the author, not
    /// two levels of one round).
    Approve(ActArgs),
    /// Reject a submitted campaign back to draft 驳回 (approvers only; --comment says why).
    Reject(ActArgs),
    /// Execute an approved campaign: draw the members and the control group 对照组 from the
    /// tagged 360 table of --as-of and raise the treated members' tasks.
    Execute {
        #[command(flatten)]
        act: ActArgs,
        /// The batch date whose tagged 360 table picks the members, YYYY-MM-DD; within the
        /// campaign's dates.
        #[arg(long)]
        as_of: String,
    },
    /// Pause a running campaign: offers are not taken while paused.
    Pause(ActArgs),
    /// Resume a paused campaign.
    Resume(ActArgs),
    /// End a campaign; its open tasks close. It stays in the scheme library.
    End(ActArgs),
    /// Evaluate a campaign that ran against its control group 效果评估: retention and revenue
    /// uplift with 95% intervals, ROI, take-up, and contact rates by channel and manager.
    Evaluate {
        id: String,
        /// The evaluation date, YYYY-MM-DD: what happened before it counts.
        #[arg(long)]
        as_of: String,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
}

#[derive(Debug, Args)]
pub struct CaseArgs {
    #[command(subcommand)]
    pub action: CaseAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// A step on a case: which case, a note, and who takes it.
#[derive(Debug, Args)]
pub struct CaseStepArgs {
    /// The case, by number.
    pub id: i64,
    /// What was said or tried (a rejection must say why).
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub user: ActingUser,
}

#[derive(Debug, Subcommand)]
pub enum CaseAction {
    /// Record a customer's request to leave: opens a case owned by the acting user (首问负责人),
    /// or joins the line's open case, whose owner stays.
    Open {
        /// The line (subscription id).
        #[arg(long)]
        line: String,
        /// disconnect (拆机), port_out (携号转网) or contract_payoff (提前解约 / 提前还款).
        #[arg(long)]
        kind: String,
        /// Where the request came in: store, hotline, outbound, manager or web_hall.
        #[arg(long)]
        channel: String,
        /// Why the customer wants to leave.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Cases, newest first.
    List {
        /// open, escalated, pending_approval or closed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        branch: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// A case with its concessions and history.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// Record a retention attempt or remark.
    Note(CaseStepArgs),
    /// Hand an open case to the central retention desk (its owner).
    Escalate(CaseStepArgs),
    /// Take an escalated case at the retention desk.
    Claim(CaseStepArgs),
    /// Offer a concession (让利): at once within the level, else asked for approval (the desk).
    Concede {
        #[command(flatten)]
        step: CaseStepArgs,
        /// bill_credit, data_pack, plan_discount, device_subsidy or penalty_waiver.
        #[arg(long)]
        kind: String,
        /// Yuan, e.g. 30 or 499.50.
        #[arg(long)]
        amount: String,
    },
    /// The customer turned an offered concession down.
    Decline {
        #[command(flatten)]
        step: CaseStepArgs,
        #[arg(long)]
        concession: i64,
    },
    /// Approve a concession waiting for approval (an approver, not its requester).
    Approve {
        #[command(flatten)]
        step: CaseStepArgs,
        #[arg(long)]
        concession: i64,
    },
    /// Reject a concession waiting for approval; --note says why.
    Reject {
        #[command(flatten)]
        step: CaseStepArgs,
        #[arg(long)]
        concession: i64,
    },
    /// Close a case with its outcome.
    Close {
        #[command(flatten)]
        step: CaseStepArgs,
        /// retained, downgraded, lost or withdrawn.
        #[arg(long)]
        outcome: String,
        /// The concession the customer accepted, if any.
        #[arg(long)]
        accepted: Option<i64>,
        /// For downgraded: the cheaper plan's monthly fee, yuan.
        #[arg(long)]
        kept_fee: Option<String>,
    },
    /// The ledger 台帐 of a month (YYYY-MM, China time): every case closed in it.
    Ledger {
        month: String,
        #[arg(long)]
        branch: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// The monthly report by branch.
    Report {
        month: String,
        #[arg(long)]
        branch: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
}

#[derive(Debug, Args)]
pub struct GroupArgs {
    #[command(subcommand)]
    pub action: GroupAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum GroupAction {
    /// Group customers, by id.
    List {
        #[arg(long)]
        branch: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// A group: service level, key persons with influence and risk, members, lines and risk.
    Show {
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// The periodic service report of a period: 2026-10, 2026-Q4, 2026-H2 or 2026.
    Report {
        id: String,
        #[arg(long)]
        period: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// Record a key person's influence on their group (a manager).
    Influence {
        /// The key person (customer id).
        customer: String,
        /// decision_maker (决策人), influencer (影响人) or user (使用人).
        #[arg(long)]
        role: String,
        /// 0 to 1, at most 3 decimals; the role's default when left out.
        #[arg(long)]
        weight: Option<f64>,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        user: ActingUser,
    },
}

#[derive(Debug, Args)]
pub struct ClubArgs {
    #[command(subcommand)]
    pub action: ClubAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum ClubAction {
    /// Clubs with their member counts.
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// Create a club open to some VIP tiers (a planner).
    Create {
        /// 1 to 32 of a-z, 0-9, _ and -.
        id: String,
        #[arg(long)]
        name_zh: String,
        #[arg(long)]
        name_en: String,
        /// Comma-separated VIP tiers: diamond,gold,silver,member,mass.
        #[arg(long)]
        tiers: String,
        /// Only this branch's customers.
        #[arg(long)]
        branch: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// A club's members and events.
    Show {
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// Enrol a customer (a manager or store clerk).
    Join {
        club: String,
        customer: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// End a customer's membership.
    Leave {
        club: String,
        customer: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Create an event of a club with limited places (a planner).
    EventCreate {
        club: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        place: String,
        /// YYYY-MM-DD HH:MM, China time.
        #[arg(long)]
        starts_at: String,
        #[arg(long)]
        capacity: i64,
        /// first_come or draw.
        #[arg(long, default_value = "first_come")]
        allocation: String,
        /// Sign-ups beyond the places wait for one (候补).
        #[arg(long)]
        waitlist: bool,
        #[command(flatten)]
        user: ActingUser,
    },
    /// An event with its sign-ups.
    Event {
        id: i64,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
    /// Sign a member up for an event.
    SignUp {
        event: i64,
        customer: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Cancel a sign-up; a freed place goes to the first on the waitlist.
    Cancel {
        event: i64,
        customer: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Make a draw event's draw (a planner); the seed is recorded.
    Draw {
        event: i64,
        /// 0 to 2^63 - 1; a random one when left out.
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Record attendance once the event started: customers who came, and who did not.
    Attend {
        event: i64,
        /// Comma-separated customer ids who came.
        #[arg(long, default_value = "")]
        came: String,
        /// Comma-separated customer ids who did not.
        #[arg(long, default_value = "")]
        absent: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Spend a member's points on a club service.
    Spend {
        club: String,
        customer: String,
        #[arg(long)]
        points: i64,
        #[arg(long)]
        service: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// A customer's clubs, sign-ups and points.
    Customer {
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Output,
    },
}

#[derive(Debug, Args)]
pub struct DispatchArgs {
    #[command(subcommand)]
    pub action: DispatchAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum DispatchAction {
    /// Give the calls waiting in the outbound queue to the outbound managers of their branch,
    /// most urgent first, balanced by the calls each can still make today; one CSV call list
    /// per manager.
    Calls {
        /// Where the call lists go (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Calls a manager makes a day, less those they hold already.
        #[arg(long, default_value_t = 80)]
        per_manager: u32,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Write a running campaign's SMS batch (CSV: msisdn, customer, line, text) and enter each
    /// message in the contact ledger.
    Sms {
        /// The campaign, by id.
        #[arg(long)]
        campaign: String,
        /// The message; placeholders {offer_zh}, {offer_en}, {offer_name_zh}, {offer_name_en},
        /// {valid_to}.
        #[arg(long)]
        template: String,
        /// The batch file to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        user: ActingUser,
    },
}

#[derive(Debug, Args)]
pub struct QuestionnaireArgs {
    #[command(subcommand)]
    pub action: QuestionnaireAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum QuestionnaireAction {
    /// Define a questionnaire from a TOML file (id, title_zh, title_en, [[questions]] with id,
    /// text_zh, text_en, kind = single|multiple|open, choices, required).
    Add {
        file: PathBuf,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Every questionnaire.
    List,
    /// Copy a questionnaire under a new id.
    Clone {
        id: String,
        new_id: String,
        #[command(flatten)]
        user: ActingUser,
    },
    /// A campaign's answers, per question and choice (JSON).
    Answers { campaign: String },
}

#[derive(Debug, Args)]
pub struct VisitArgs {
    #[command(subcommand)]
    pub action: VisitAction,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// What a note says.
#[derive(Debug, Args)]
pub struct NoteFields {
    /// The day of the call or visit (YYYY-MM-DD, China time).
    #[arg(long)]
    pub date: String,
    /// visit (上门拜访), call (电话) or message (短信/微信).
    #[arg(long, default_value = "visit")]
    pub channel: String,
    #[arg(long)]
    pub topic: String,
    /// What was promised to the customer.
    #[arg(long, default_value = "")]
    pub promises: String,
    #[arg(long, default_value = "")]
    pub next_step: String,
    /// When to contact the customer next (YYYY-MM-DD).
    #[arg(long)]
    pub next_on: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VisitAction {
    /// Write a note of a call or visit on a customer's file.
    Add {
        customer: String,
        #[command(flatten)]
        fields: NoteFields,
        #[command(flatten)]
        user: ActingUser,
    },
    /// Change a note: only its author may, from the version they saw.
    Edit {
        note: i64,
        /// The version the change is made on (see `weiwan visit history`).
        #[arg(long)]
        version: i64,
        #[command(flatten)]
        fields: NoteFields,
        #[command(flatten)]
        user: ActingUser,
    },
    /// A note with every version of it.
    History {
        note: i64,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// The manager's card: basics, the last visits, the next contact, open issues.
    Card {
        customer: String,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// The sales office's file: lines and plans, orders, repeat purchases, every contact.
    File {
        customer: String,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Make a manager's visit plan for a month (replacing the one made before), from tiers and
    /// quotas, the churn risk and value of the latest batch, and the notes' next steps.
    Plan {
        #[arg(long)]
        manager: String,
        /// YYYY-MM: this month or one to come.
        #[arg(long)]
        month: String,
        #[command(flatten)]
        user: ActingUser,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
}

#[derive(Debug, Args)]
pub struct PerformanceArgs {
    /// YYYY-MM.
    #[arg(long)]
    pub month: String,
    /// Only this branch's managers.
    #[arg(long)]
    pub branch: Option<String>,
    /// Only this manager.
    #[arg(long)]
    pub manager: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub format: Output,
    #[command(flatten)]
    pub store: StoreArgs,
}
