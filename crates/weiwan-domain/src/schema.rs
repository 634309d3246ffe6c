//! The extract tables: every file an operator sends, column by column.
//!
//! This is the single description of the data model. The importer validates against it, the
//! Parquet lake and the store's tables are laid out from it, the generator writes it, and
//! `docs/data-model.md` is generated from it (a test keeps the two equal).

use std::fmt;

use crate::codes::{
    ContractKind, ContractStatus, CustomerKind, EventType, ManagerRole, Network, PaymentChannel, PaymentType,
    PointsKind, SubscriptionStatus, VipTier,
};
use crate::value::Value;

/// Every table of an extract, in the order they are validated: a table only refers to tables
/// before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableId {
    Branches,
    Managers,
    Plans,
    Customers,
    Subscriptions,
    Contracts,
    UsageMonthly,
    Payments,
    Events,
    PointsLedger,
}

impl TableId {
    pub const ALL: [TableId; 10] = [
        TableId::Branches,
        TableId::Managers,
        TableId::Plans,
        TableId::Customers,
        TableId::Subscriptions,
        TableId::Contracts,
        TableId::UsageMonthly,
        TableId::Payments,
        TableId::Events,
        TableId::PointsLedger,
    ];

    pub fn table(self) -> &'static Table {
        match self {
            TableId::Branches => &BRANCHES,
            TableId::Managers => &MANAGERS,
            TableId::Plans => &PLANS,
            TableId::Customers => &CUSTOMERS,
            TableId::Subscriptions => &SUBSCRIPTIONS,
            TableId::Contracts => &CONTRACTS,
            TableId::UsageMonthly => &USAGE_MONTHLY,
            TableId::Payments => &PAYMENTS,
            TableId::Events => &EVENTS,
            TableId::PointsLedger => &POINTS_LEDGER,
        }
    }

    /// The file stem in an extract and the table name in the store and the lake.
    pub fn name(self) -> &'static str {
        self.table().name
    }

    pub fn from_name(name: &str) -> Option<TableId> {
        TableId::ALL.into_iter().find(|id| id.name() == name)
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a table's rows live once imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableRole {
    /// Things people act on (customers, lines, contracts …): upserted into the store by key.
    Entity,
    /// Bulk history (usage, payments, events, points): appended to the Parquet lake as one
    /// immutable version per extract. `period` names the date column that says which period a
    /// row belongs to; a period is imported once.
    History { period: &'static str },
}

/// The kind of a column: its format in a file and its type everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Identifier: at most 40 ASCII letters, digits, `_`, `-` or `.`.
    Id,
    /// UTF-8 text (Chinese welcome) without control characters.
    Text { max_chars: usize },
    /// Mainland-China mobile number, 11 digits.
    Msisdn,
    /// One of a fixed list of codes.
    Code(&'static [&'static str]),
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM`.
    Month,
    /// `YYYY-MM-DD HH:MM:SS`, China Standard Time (UTC+8), no zone written.
    Timestamp,
    /// Yuan with at most two decimals; stored exactly as fen.
    Money { non_negative: bool },
    /// Whole number within bounds.
    Int { min: i64, max: i64 },
    /// `true` or `false`.
    Bool,
}

impl ColumnKind {
    /// How the documentation names the type.
    pub fn describe(&self) -> String {
        match self {
            ColumnKind::Id => "id".into(),
            ColumnKind::Text { max_chars } => format!("text (≤ {max_chars} chars)"),
            ColumnKind::Msisdn => "msisdn (11 digits)".into(),
            ColumnKind::Code(_) => "code".into(),
            ColumnKind::Date => "date `YYYY-MM-DD`".into(),
            ColumnKind::Month => "month `YYYY-MM`".into(),
            ColumnKind::Timestamp => "timestamp `YYYY-MM-DD HH:MM:SS` (UTC+8)".into(),
            ColumnKind::Money { non_negative: true } => "money, yuan, ≥ 0".into(),
            ColumnKind::Money { non_negative: false } => "money, yuan".into(),
            ColumnKind::Int { min, max } => format!("integer {min}..={max}"),
            ColumnKind::Bool => "`true` / `false`".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
    pub required: bool,
    /// Unit of measure, empty when none.
    pub unit: &'static str,
    pub doc: &'static str,
}

/// A column whose values must be keys of another table (from the same extract or already
/// imported). `target_where` further requires the referenced row to have `column = code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKey {
    pub column: &'static str,
    pub table: TableId,
    pub target_where: Option<(&'static str, &'static str)>,
}

/// A rule over several columns of one row, such as "disconnected lines have a disconnection
/// date". On failure it names the column to blame and why.
pub type RowCheck = fn(&Row<'_>) -> Result<(), RowProblem>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub column: &'static str,
    pub reason: String,
}

#[derive(Debug)]
pub struct Table {
    pub id: TableId,
    pub name: &'static str,
    pub role: TableRole,
    pub doc: &'static str,
    pub columns: &'static [Column],
    /// Columns that identify a row; no two rows of a table share them.
    pub key: &'static [&'static str],
    /// Further single columns that must be unique.
    pub unique: &'static [&'static str],
    pub foreign_keys: &'static [ForeignKey],
    pub row_checks: &'static [(&'static str, RowCheck)],
}

impl Table {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Index of a column this table is known to have; a misspelt name is a bug in the schema.
    pub fn index(&self, name: &str) -> usize {
        match self.column_index(name) {
            Some(index) => index,
            None => panic!("table {} has no column {name}", self.name),
        }
    }

    pub fn key_indices(&self) -> Vec<usize> {
        self.key.iter().map(|name| self.index(name)).collect()
    }

    /// Runs the table's row rules.
    pub fn check_row(&self, values: &[Value]) -> Result<(), RowProblem> {
        let row = Row { table: self, values };
        self.row_checks.iter().try_for_each(|(_, check)| check(&row))
    }
}

/// A row seen through its table, for row rules.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub table: &'a Table,
    pub values: &'a [Value],
}

impl Row<'_> {
    pub fn get(&self, column: &str) -> &Value {
        &self.values[self.table.index(column)]
    }
}

/// Receives generated rows, table by table, in schema column order.
pub trait RowSink {
    type Error;
    fn write_row(&mut self, table: TableId, row: &[Value]) -> Result<(), Self::Error>;
}

const fn col(name: &'static str, kind: ColumnKind, unit: &'static str, doc: &'static str) -> Column {
    Column { name, kind, required: true, unit, doc }
}

const fn opt(name: &'static str, kind: ColumnKind, unit: &'static str, doc: &'static str) -> Column {
    Column { name, kind, required: false, unit, doc }
}

const fn fk(column: &'static str, table: TableId) -> ForeignKey {
    ForeignKey { column, table, target_where: None }
}

const NAME: ColumnKind = ColumnKind::Text { max_chars: 64 };
const COUNT: ColumnKind = ColumnKind::Int { min: 0, max: 1_000_000_000 };
const MONEY: ColumnKind = ColumnKind::Money { non_negative: true };

pub static BRANCHES: Table = Table {
    id: TableId::Branches,
    name: "branches",
    role: TableRole::Entity,
    doc: "Branches (分公司 / 营业部) that own customers and employ managers.",
    columns: &[
        col("branch_id", ColumnKind::Id, "", "branch identifier"),
        col("name", NAME, "", "branch name, usually Chinese, e.g. 城东分公司"),
        col("city", NAME, "", "city the branch serves"),
    ],
    key: &["branch_id"],
    unique: &[],
    foreign_keys: &[],
    row_checks: &[],
};

pub static MANAGERS: Table = Table {
    id: TableId::Managers,
    name: "managers",
    role: TableRole::Entity,
    doc: "Account, retention and outbound managers (客户经理 / 维系经理 / 外呼经理).",
    columns: &[
        col("manager_id", ColumnKind::Id, "", "employee identifier"),
        col("name", NAME, "", "name"),
        col("branch_id", ColumnKind::Id, "", "branch the manager works for"),
        col("role", ColumnKind::Code(ManagerRole::CODES), "", "job"),
        opt("phone", ColumnKind::Msisdn, "", "work mobile number"),
    ],
    key: &["manager_id"],
    unique: &[],
    foreign_keys: &[fk("branch_id", TableId::Branches)],
    row_checks: &[],
};

pub static PLANS: Table = Table {
    id: TableId::Plans,
    name: "plans",
    role: TableRole::Entity,
    doc: "Tariff plans (套餐) a line can be on.",
    columns: &[
        col("plan_id", ColumnKind::Id, "", "plan identifier"),
        col("name", NAME, "", "plan name, e.g. 5G畅享96元套餐"),
        col("monthly_fee", MONEY, "yuan / month", "list price per month"),
        col("payment_type", ColumnKind::Code(PaymentType::CODES), "", "prepaid or postpaid"),
        col("network", ColumnKind::Code(Network::CODES), "", "network generation"),
        col("data_mb", COUNT, "MB / month", "data included per month"),
        col("voice_minutes", COUNT, "minutes / month", "domestic minutes included per month"),
    ],
    key: &["plan_id"],
    unique: &[],
    foreign_keys: &[],
    row_checks: &[],
};

pub static CUSTOMERS: Table = Table {
    id: TableId::Customers,
    name: "customers",
    role: TableRole::Entity,
    doc: "Customers: individuals and group (enterprise, 集团) customers. An individual may belong \
          to a group customer, and may be one of its key persons (关键人).",
    columns: &[
        col("customer_id", ColumnKind::Id, "", "customer identifier"),
        col("kind", ColumnKind::Code(CustomerKind::CODES), "", "individual or group"),
        col("name", NAME, "", "person's or company's name"),
        opt("id_number", ColumnKind::Id, "", "resident ID or business licence number; personal data"),
        opt("birthday", ColumnKind::Date, "", "individuals only; drives birthday care"),
        col("branch_id", ColumnKind::Id, "", "branch the customer belongs to"),
        opt(
            "manager_id",
            ColumnKind::Id,
            "",
            "assigned account manager; empty for unassigned mass-market customers",
        ),
        col("vip_tier", ColumnKind::Code(VipTier::CODES), "", "VIP tier recorded by CRM"),
        opt("group_id", ColumnKind::Id, "", "group customer this individual belongs to"),
        col("is_key_person", ColumnKind::Bool, "", "key person 关键人 of the group (needs group_id)"),
        col("joined_on", ColumnKind::Date, "", "date the customer first joined"),
    ],
    key: &["customer_id"],
    unique: &[],
    foreign_keys: &[
        fk("branch_id", TableId::Branches),
        fk("manager_id", TableId::Managers),
        ForeignKey { column: "group_id", table: TableId::Customers, target_where: Some(("kind", "group")) },
    ],
    row_checks: &[
        ("a group customer has no group_id and is not a key person", |row| {
            let is_group = row.get("kind").as_text() == Some(CustomerKind::Group.code());
            if is_group && !row.get("group_id").is_null() {
                return Err(RowProblem {
                    column: "group_id",
                    reason: "a group customer cannot belong to a group".into(),
                });
            }
            Ok(())
        }),
        ("a key person belongs to a group", |row| {
            if row.get("is_key_person").as_bool() == Some(true) && row.get("group_id").is_null() {
                return Err(RowProblem {
                    column: "is_key_person",
                    reason: "a key person needs a group_id".into(),
                });
            }
            Ok(())
        }),
    ],
};

pub static SUBSCRIPTIONS: Table = Table {
    id: TableId::Subscriptions,
    name: "subscriptions",
    role: TableRole::Entity,
    doc: "Subscriptions (lines, 号码): one MSISDN on one plan, as of the extract date.",
    columns: &[
        col("subscription_id", ColumnKind::Id, "", "line identifier"),
        col("customer_id", ColumnKind::Id, "", "owner of the line"),
        col("msisdn", ColumnKind::Msisdn, "", "the mobile number; personal data"),
        col("plan_id", ColumnKind::Id, "", "current plan"),
        col("status", ColumnKind::Code(SubscriptionStatus::CODES), "", "state at the extract date"),
        col("activated_on", ColumnKind::Date, "", "activation (入网) date"),
        opt("contract_end", ColumnKind::Date, "", "end of the current contract or binding, if any"),
        opt("device_model", NAME, "", "handset model"),
        opt(
            "device_id",
            ColumnKind::Id,
            "",
            "identity of the handset in the line (e.g. a hashed IMEI); ties a new line to one that left (内部转网); personal data",
        ),
        opt(
            "device_since",
            ColumnKind::Date,
            "",
            "date the handset was first seen on the line; device age follows",
        ),
        opt("family_group_id", ColumnKind::Id, "", "family plan (家庭计划) group shared by several lines"),
        opt(
            "disconnected_on",
            ColumnKind::Date,
            "",
            "date the line left (拆机); set exactly when status is disconnected",
        ),
    ],
    key: &["subscription_id"],
    unique: &["msisdn"],
    foreign_keys: &[fk("customer_id", TableId::Customers), fk("plan_id", TableId::Plans)],
    row_checks: &[
        ("disconnected lines, and only they, have disconnected_on", |row| {
            let disconnected = row.get("status").as_text() == Some(SubscriptionStatus::Disconnected.code());
            match (disconnected, row.get("disconnected_on").is_null()) {
                (true, true) => Err(RowProblem {
                    column: "disconnected_on",
                    reason: "required when status is disconnected".into(),
                }),
                (false, false) => Err(RowProblem {
                    column: "disconnected_on",
                    reason: "must be empty unless status is disconnected".into(),
                }),
                _ => Ok(()),
            }
        }),
        ("a line leaves after it was activated", |row| {
            if let (Some(activated), Some(left)) =
                (row.get("activated_on").as_date(), row.get("disconnected_on").as_date())
                && left < activated
            {
                return Err(RowProblem {
                    column: "disconnected_on",
                    reason: format!("{left} is before activated_on {activated}"),
                });
            }
            Ok(())
        }),
    ],
};

pub static CONTRACTS: Table = Table {
    id: TableId::Contracts,
    name: "contracts",
    role: TableRole::Entity,
    doc: "Contracts and bindings (绑定): points, device contract, service pack, family plan.",
    columns: &[
        col("contract_id", ColumnKind::Id, "", "contract identifier"),
        col("subscription_id", ColumnKind::Id, "", "bound line"),
        col("kind", ColumnKind::Code(ContractKind::CODES), "", "kind of binding"),
        col("starts_on", ColumnKind::Date, "", "first day"),
        col("ends_on", ColumnKind::Date, "", "last day"),
        opt("monthly_commitment", MONEY, "yuan / month", "minimum monthly spend promised"),
        opt("subsidy", MONEY, "yuan", "device subsidy or gift value granted"),
        col("status", ColumnKind::Code(ContractStatus::CODES), "", "state at the extract date"),
    ],
    key: &["contract_id"],
    unique: &[],
    foreign_keys: &[fk("subscription_id", TableId::Subscriptions)],
    row_checks: &[("a contract ends after it starts", |row| {
        if let (Some(starts), Some(ends)) = (row.get("starts_on").as_date(), row.get("ends_on").as_date())
            && ends < starts
        {
            return Err(RowProblem {
                column: "ends_on",
                reason: format!("{ends} is before starts_on {starts}"),
            });
        }
        Ok(())
    })],
};

pub static USAGE_MONTHLY: Table = Table {
    id: TableId::UsageMonthly,
    name: "usage_monthly",
    role: TableRole::History { period: "month" },
    doc: "Monthly usage and billing per line (月度账单与使用量), one row per line and month.",
    columns: &[
        col("subscription_id", ColumnKind::Id, "", "line"),
        col("month", ColumnKind::Month, "", "billing month"),
        col("arpu", MONEY, "yuan", "revenue billed for the month (ARPU contribution)"),
        col("mou", COUNT, "minutes", "minutes of use"),
        col("data_mb", COUNT, "MB", "mobile data used"),
        col("sms", COUNT, "messages", "SMS sent"),
        col("competitor_calls", COUNT, "calls", "calls to numbers of competing operators"),
        col("recharge", MONEY, "yuan", "top-ups in the month (prepaid) or 0"),
        col(
            "balance",
            ColumnKind::Money { non_negative: false },
            "yuan",
            "account balance at month end; negative when owing",
        ),
        col("arrears", MONEY, "yuan", "amount overdue at month end"),
        col("complaints", COUNT, "complaints", "complaints lodged in the month"),
        col("roaming_min", COUNT, "minutes", "minutes of use while roaming (漫游)"),
    ],
    key: &["subscription_id", "month"],
    unique: &[],
    foreign_keys: &[fk("subscription_id", TableId::Subscriptions)],
    row_checks: &[],
};

pub static PAYMENTS: Table = Table {
    id: TableId::Payments,
    name: "payments",
    role: TableRole::History { period: "paid_at" },
    doc: "Payments and recharges (缴费 / 充值).",
    columns: &[
        col("payment_id", ColumnKind::Id, "", "payment identifier"),
        col("subscription_id", ColumnKind::Id, "", "line credited"),
        col("paid_at", ColumnKind::Timestamp, "", "time of payment"),
        col("amount", ColumnKind::Money { non_negative: false }, "yuan", "amount; negative for a refund"),
        col("channel", ColumnKind::Code(PaymentChannel::CODES), "", "where it was paid"),
    ],
    key: &["payment_id"],
    unique: &[],
    foreign_keys: &[fk("subscription_id", TableId::Subscriptions)],
    row_checks: &[],
};

pub static EVENTS: Table = Table {
    id: TableId::Events,
    name: "events",
    role: TableRole::History { period: "occurred_at" },
    doc: "Timestamped events from billing, CRM and the switch (事件).",
    columns: &[
        col("event_id", ColumnKind::Id, "", "event identifier; the same id is the same event"),
        col("subscription_id", ColumnKind::Id, "", "line concerned"),
        col("occurred_at", ColumnKind::Timestamp, "", "when it happened"),
        col("event_type", ColumnKind::Code(EventType::CODES), "", "what happened"),
        opt("detail", ColumnKind::Text { max_chars: 200 }, "", "free text from the source system"),
    ],
    key: &["event_id"],
    unique: &[],
    foreign_keys: &[fk("subscription_id", TableId::Subscriptions)],
    row_checks: &[],
};

pub static POINTS_LEDGER: Table = Table {
    id: TableId::PointsLedger,
    name: "points_ledger",
    role: TableRole::History { period: "occurred_on" },
    doc: "Points ledger (积分): every earning, redemption and expiry.",
    columns: &[
        col("entry_id", ColumnKind::Id, "", "ledger entry identifier"),
        col("customer_id", ColumnKind::Id, "", "customer whose points move"),
        col("occurred_on", ColumnKind::Date, "", "date of the movement"),
        col("kind", ColumnKind::Code(PointsKind::CODES), "", "earn, redeem or expire"),
        col(
            "points",
            ColumnKind::Int { min: 1, max: 10_000_000 },
            "points",
            "points moved, always positive; kind gives the sign",
        ),
        opt("expires_on", ColumnKind::Date, "", "for earned points: when they expire"),
    ],
    key: &["entry_id"],
    unique: &[],
    foreign_keys: &[fk("customer_id", TableId::Customers)],
    row_checks: &[("only earned points carry an expiry date", |row| {
        let earned = row.get("kind").as_text() == Some(PointsKind::Earn.code());
        if !earned && !row.get("expires_on").is_null() {
            return Err(RowProblem { column: "expires_on", reason: "only earn entries expire".into() });
        }
        Ok(())
    })],
};

/// The data model as Markdown: the body of `docs/data-model.md` below its introduction.
pub fn markdown() -> String {
    let mut out = String::new();
    for id in TableId::ALL {
        let table = id.table();
        let role = match table.role {
            TableRole::Entity => "entity — upserted into the store".to_owned(),
            TableRole::History { period } => {
                format!("history — Parquet lake, one version per extract, period column `{period}`")
            }
        };
        out.push_str(&format!("## `{}`\n\n{}\n\n", table.name, table.doc));
        out.push_str(&format!("- file: `{0}.csv` or `{0}.parquet`\n- role: {role}\n", table.name));
        out.push_str(&format!(
            "- key: {}\n",
            table.key.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        ));
        for unique in table.unique {
            out.push_str(&format!("- unique: `{unique}`\n"));
        }
        for fk in table.foreign_keys {
            let filter = fk.target_where.map(|(c, v)| format!(" whose `{c}` is `{v}`")).unwrap_or_default();
            out.push_str(&format!("- `{}` refers to a row of `{}`{filter}\n", fk.column, fk.table.name()));
        }
        for (rule, _) in table.row_checks {
            out.push_str(&format!("- rule: {rule}\n"));
        }
        out.push_str("\n| column | type | required | unit | allowed values | meaning |\n| --- | --- | --- | --- | --- | --- |\n");
        for column in table.columns {
            let allowed = match column.kind {
                ColumnKind::Code(codes) => {
                    codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                }
                _ => String::new(),
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                column.name,
                column.kind.describe(),
                if column.required { "yes" } else { "no" },
                column.unit,
                allowed,
                column.doc
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_foreign_key_and_period_names_a_column() {
        for id in TableId::ALL {
            let table = id.table();
            assert_eq!(table.id, id);
            assert_eq!(TableId::from_name(table.name), Some(id));
            table.key_indices();
            for unique in table.unique {
                table.index(unique);
            }
            for fk in table.foreign_keys {
                table.index(fk.column);
                assert!(fk.table <= id, "{} refers forward to {}", table.name, fk.table.name());
                let target = fk.table.table();
                assert_eq!(target.key.len(), 1, "{} is referred to by a single-column key", target.name);
                if let Some((column, _)) = fk.target_where {
                    target.index(column);
                }
            }
            if let TableRole::History { period } = table.role {
                let kind = table.columns[table.index(period)].kind;
                assert!(matches!(kind, ColumnKind::Date | ColumnKind::Month | ColumnKind::Timestamp));
            }
        }
    }

    #[test]
    fn row_rules_name_the_column_to_blame() {
        let table = &SUBSCRIPTIONS;
        let mut row: Vec<Value> = table
            .columns
            .iter()
            .map(|c| if c.required { c.kind.parse(sample(c.kind)).expect("sample") } else { Value::Null })
            .collect();
        assert_eq!(table.check_row(&row), Ok(()));
        row[table.index("status")] = Value::Text("disconnected".into());
        let problem = table.check_row(&row).expect_err("missing disconnection date");
        assert_eq!(problem.column, "disconnected_on");
    }

    fn sample(kind: ColumnKind) -> &'static str {
        match kind {
            ColumnKind::Msisdn => "13800001234",
            ColumnKind::Code(codes) => codes[0],
            ColumnKind::Date => "2026-01-01",
            ColumnKind::Month => "2026-01",
            ColumnKind::Timestamp => "2026-01-01 00:00:00",
            ColumnKind::Money { .. } | ColumnKind::Int { .. } => "1",
            ColumnKind::Bool => "false",
            ColumnKind::Id | ColumnKind::Text { .. } => "x",
        }
    }
}
