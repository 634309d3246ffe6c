//! The synthetic operator seen from outside: every row it writes passes the data model's
//! rules (kinds, required columns, row rules, keys, unique columns, foreign keys), the run
//! is deterministic, the line count is exact, histories are consistent with statuses, and
//! churn has a plausible rate and visible drivers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use weiwan_domain::schema::RowSink;
use weiwan_domain::{TableId, Value};
use weiwan_sim::{Config, Summary, generate};

fn month(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).expect("valid month")
}

fn config(subscribers: u64, months: u32, seed: u64) -> Config {
    Config { subscribers, months, seed, end_month: month(2026, 10) }
}

/// Keeps every row.
#[derive(Debug, Default)]
struct Collect {
    rows: Vec<(TableId, Vec<Value>)>,
}

impl RowSink for Collect {
    type Error = Infallible;

    fn write_row(&mut self, table: TableId, row: &[Value]) -> Result<(), Infallible> {
        self.rows.push((table, row.to_vec()));
        Ok(())
    }
}

fn collect(config: &Config) -> (Summary, Vec<(TableId, Vec<Value>)>) {
    config.validate().expect("valid config");
    let mut sink = Collect::default();
    let Ok(summary) = generate(config, &mut sink);
    (summary, sink.rows)
}

/// The key set a foreign key points into: a table's keys, or those of its rows with
/// `column = code`.
type Lookup = (TableId, Option<(&'static str, &'static str)>);

/// Checks every row against the data model as it streams past, as the importer would, and
/// requires in addition that every reference points to a row written earlier.
#[derive(Debug, Default)]
struct Checker {
    problems: Vec<String>,
    keys: HashMap<Lookup, HashSet<String>>,
    row_keys: HashMap<TableId, HashSet<String>>,
    unique_values: HashMap<(TableId, &'static str), HashSet<String>>,
    counts: BTreeMap<TableId, u64>,
}

impl Checker {
    fn problem(&mut self, table: TableId, reason: String) {
        if self.problems.len() < 20 {
            self.problems.push(format!("{table}: {reason}"));
        }
    }

    fn lookups_into(table: TableId) -> Vec<Lookup> {
        let mut lookups = vec![(table, None)];
        for source in TableId::ALL {
            for fk in source.table().foreign_keys {
                if fk.table == table && fk.target_where.is_some() {
                    lookups.push((table, fk.target_where));
                }
            }
        }
        lookups
    }
}

impl RowSink for Checker {
    type Error = Infallible;

    fn write_row(&mut self, id: TableId, row: &[Value]) -> Result<(), Infallible> {
        *self.counts.entry(id).or_default() += 1;
        let table = id.table();
        if row.len() != table.columns.len() {
            self.problem(id, format!("{} values for {} columns", row.len(), table.columns.len()));
            return Ok(());
        }
        for (column, value) in table.columns.iter().zip(row) {
            if value.is_null() {
                if column.required {
                    self.problem(id, format!("{} is required", column.name));
                }
                continue;
            }
            let written = column.kind.format(value);
            match column.kind.parse(&written) {
                Ok(parsed) if parsed == *value => {}
                Ok(parsed) => self.problem(id, format!("{} {value:?} reads back as {parsed:?}", column.name)),
                Err(err) => self.problem(id, format!("{} {written:?}: {err}", column.name)),
            }
        }
        if let Err(problem) = table.check_row(row) {
            self.problem(id, format!("{}: {}", problem.column, problem.reason));
        }
        let key: Vec<String> =
            table.key_indices().into_iter().map(|i| table.columns[i].kind.format(&row[i])).collect();
        let key = key.join("|");
        if !self.row_keys.entry(id).or_default().insert(key.clone()) {
            self.problem(id, format!("duplicate key {key}"));
        }
        for unique in table.unique {
            let index = table.index(unique);
            let value = table.columns[index].kind.format(&row[index]);
            if !self.unique_values.entry((id, unique)).or_default().insert(value.clone()) {
                self.problem(id, format!("{unique} {value} is not unique"));
            }
        }
        for fk in table.foreign_keys {
            let Some(target) = row[table.index(fk.column)].as_text() else { continue };
            let known = self.keys.get(&(fk.table, fk.target_where)).is_some_and(|set| set.contains(target));
            if !known {
                self.problem(id, format!("{} {target} refers to no earlier row of {}", fk.column, fk.table));
            }
        }
        for lookup in Checker::lookups_into(id) {
            let matches = match lookup.1 {
                None => true,
                Some((column, code)) => row[table.index(column)].as_text() == Some(code),
            };
            if matches {
                self.keys.entry(lookup).or_default().insert(key.clone());
            }
        }
        Ok(())
    }
}

fn check(config: &Config) -> (Summary, Checker) {
    config.validate().expect("valid config");
    let mut checker = Checker::default();
    let Ok(summary) = generate(config, &mut checker);
    (summary, checker)
}

/// What the tests need to know about one line.
#[derive(Debug, Default, Clone)]
struct LineFacts {
    customer: String,
    status: String,
    activated_on: Option<NaiveDate>,
    disconnected_on: Option<NaiveDate>,
    device_id: Option<String>,
    device_since: Option<NaiveDate>,
    contract_end: Option<NaiveDate>,
    /// (kind, starts_on, ends_on, status)
    contracts: Vec<(String, NaiveDate, NaiveDate, String)>,
    /// (month, mou, competitor calls, complaints)
    usage: Vec<(NaiveDate, i64, i64, i64)>,
    events: Vec<(NaiveDateTime, String)>,
}

fn text(value: &Value) -> String {
    value.as_text().unwrap_or_default().to_owned()
}

fn int(value: &Value) -> i64 {
    match value {
        Value::Int(number) => *number,
        _ => 0,
    }
}

/// The base the slower tests share: 5,000 lines over 12 months, generated once.
struct Base {
    summary: Summary,
    lines: BTreeMap<String, LineFacts>,
    customers: BTreeMap<String, Vec<Value>>,
    managers: BTreeMap<String, Vec<Value>>,
    table_rows: BTreeMap<TableId, u64>,
    problems: Vec<String>,
    payment_times: Vec<NaiveDateTime>,
    points_entries: Vec<Vec<Value>>,
}

const BASE_LINES: u64 = 5_000;
const BASE_MONTHS: u32 = 12;

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        /// Checks and remembers at once.
        struct Both {
            checker: Checker,
            base: Base,
        }
        impl RowSink for Both {
            type Error = Infallible;
            fn write_row(&mut self, table: TableId, row: &[Value]) -> Result<(), Infallible> {
                self.checker.write_row(table, row)?;
                let base = &mut self.base;
                match table {
                    TableId::Managers => {
                        base.managers.insert(text(&row[0]), row.to_vec());
                    }
                    TableId::Customers => {
                        base.customers.insert(text(&row[0]), row.to_vec());
                    }
                    TableId::Subscriptions => {
                        let facts = LineFacts {
                            customer: text(&row[1]),
                            status: text(&row[4]),
                            activated_on: row[5].as_date(),
                            disconnected_on: row[11].as_date(),
                            device_id: row[8].as_text().map(str::to_owned),
                            device_since: row[9].as_date(),
                            contract_end: row[6].as_date(),
                            ..LineFacts::default()
                        };
                        base.lines.insert(text(&row[0]), facts);
                    }
                    TableId::UsageMonthly => {
                        if let Some(line) = base.lines.get_mut(&text(&row[0])) {
                            let month = row[1].as_date().unwrap_or_default();
                            line.usage.push((month, int(&row[3]), int(&row[6]), int(&row[10])));
                        }
                    }
                    TableId::Contracts => {
                        if let (Some(line), Some(starts), Some(ends)) =
                            (base.lines.get_mut(&text(&row[1])), row[3].as_date(), row[4].as_date())
                        {
                            line.contracts.push((text(&row[2]), starts, ends, text(&row[7])));
                        }
                    }
                    TableId::Events => {
                        if let (Some(line), Value::Timestamp(at)) =
                            (base.lines.get_mut(&text(&row[1])), &row[2])
                        {
                            line.events.push((*at, text(&row[3])));
                        }
                    }
                    TableId::Payments => {
                        if let Value::Timestamp(at) = &row[2] {
                            base.payment_times.push(*at);
                        }
                    }
                    TableId::PointsLedger => base.points_entries.push(row.to_vec()),
                    _ => {}
                }
                Ok(())
            }
        }
        let empty = Base {
            summary: Summary {
                customers: 0,
                subscriptions: 0,
                churned: 0,
                switched: 0,
                rows: BTreeMap::new(),
            },
            lines: BTreeMap::new(),
            customers: BTreeMap::new(),
            managers: BTreeMap::new(),
            table_rows: BTreeMap::new(),
            problems: Vec::new(),
            payment_times: Vec::new(),
            points_entries: Vec::new(),
        };
        let mut both = Both { checker: Checker::default(), base: empty };
        let config = config(BASE_LINES, BASE_MONTHS, 2026);
        config.validate().expect("valid config");
        let Ok(summary) = generate(&config, &mut both);
        let Both { checker, mut base } = both;
        base.summary = summary;
        base.table_rows = checker.counts;
        base.problems = checker.problems;
        base
    })
}

fn window() -> (NaiveDate, NaiveDate) {
    (month(2025, 11), NaiveDate::from_ymd_opt(2026, 10, 31).expect("valid date"))
}

#[test]
fn the_same_config_gives_the_same_rows_and_another_seed_others() {
    let (first_summary, first) = collect(&config(300, 6, 42));
    let (second_summary, second) = collect(&config(300, 6, 42));
    assert_eq!(first_summary, second_summary);
    assert!(first == second, "two runs with the same config differ");
    let (_, other) = collect(&config(300, 6, 43));
    assert!(first != other, "another seed gives the same rows");
}

#[test]
fn exactly_the_requested_number_of_lines() {
    for subscribers in [1, 2, 3, 7, 250] {
        let (summary, rows) = collect(&config(subscribers, 3, 5));
        let written = rows.iter().filter(|(table, _)| *table == TableId::Subscriptions).count() as u64;
        assert_eq!(written, subscribers);
        assert_eq!(summary.subscriptions, subscribers);
        let customers = rows.iter().filter(|(table, _)| *table == TableId::Customers).count() as u64;
        assert_eq!(summary.customers, customers);
        for table in TableId::ALL {
            let n = rows.iter().filter(|(t, _)| *t == table).count() as u64;
            assert_eq!(summary.rows[&table], n, "{table}");
        }
    }
}

#[test]
fn every_row_of_a_base_passes_the_data_model() {
    let base = base();
    assert!(base.problems.is_empty(), "problems:\n{}", base.problems.join("\n"));
    assert_eq!(base.summary.rows, base.table_rows);
    assert_eq!(base.summary.subscriptions, BASE_LINES);
    for table in TableId::ALL {
        assert!(base.table_rows[&table] > 0, "{table} is empty");
    }
}

#[test]
fn the_checker_catches_what_the_importer_refuses() {
    let (_, rows) = collect(&config(20, 2, 1));
    let mut checker = Checker::default();
    let mut write = |table: TableId, row: &[Value]| {
        let Ok(()) = checker.write_row(table, row);
    };
    for (table, row) in &rows {
        write(*table, row);
    }
    let (_, subscription) = rows.iter().find(|(t, _)| *t == TableId::Subscriptions).expect("a line");
    write(TableId::Subscriptions, subscription);
    let mut orphan = subscription.clone();
    orphan[0] = Value::Text("S999999999".into());
    orphan[1] = Value::Text("C999999999".into());
    write(TableId::Subscriptions, &orphan);
    let problems = checker.problems.join("\n");
    assert!(problems.contains("duplicate key"), "{problems}");
    assert!(problems.contains("msisdn"), "{problems}");
    assert!(problems.contains("customer_id C999999999 refers to no earlier row"), "{problems}");
}

#[test]
fn edge_windows_stay_within_the_data_model() {
    for (end_month, months) in [(month(1990, 1), 60), (month(2090, 12), 60), (month(2026, 10), 1)] {
        let config = Config { subscribers: 300, months, seed: 9, end_month };
        let (summary, checker) = check(&config);
        assert!(checker.problems.is_empty(), "{end_month} × {months}:\n{}", checker.problems.join("\n"));
        assert_eq!(summary.subscriptions, 300);
    }
}

#[test]
fn invalid_configs_are_refused() {
    assert!(config(0, 12, 1).validate().is_err());
    assert!(config(10, 0, 1).validate().is_err());
    assert!(config(10, 61, 1).validate().is_err());
    assert!(
        Config { end_month: NaiveDate::from_ymd_opt(2026, 10, 2).expect("date"), ..config(10, 12, 1) }
            .validate()
            .is_err()
    );
    let error = config(10, 61, 1).validate().expect_err("too many months");
    assert_eq!(error.to_string(), "months must be between 1 and 60, not 61");
    assert!(config(1, 60, 1).validate().is_ok());
}

#[test]
fn an_invalid_config_does_not_panic() {
    for (subscribers, months, end_month) in [
        (0, 12, month(2026, 10)),
        (20, 0, NaiveDate::MAX),
        (20, 1_000, NaiveDate::MIN),
        (20, 12, month(1900, 1)),
    ] {
        let mut sink = Collect::default();
        let Ok(summary) = generate(&Config { subscribers, months, seed: 3, end_month }, &mut sink);
        assert_eq!(summary.subscriptions, subscribers);
        assert!(summary.rows[&TableId::Plans] > 0);
    }
}

#[test]
fn usage_follows_each_line_from_activation_to_disconnection() {
    let base = base();
    let (window_start, extract_date) = window();
    let month_of = |date: NaiveDate| month(date.year(), date.month());
    for (id, line) in &base.lines {
        let activated = line.activated_on.expect("activated");
        let first = month_of(activated).max(window_start);
        let last = line.disconnected_on.map_or(month_of(extract_date), month_of);
        let months: Vec<NaiveDate> = line.usage.iter().map(|u| u.0).collect();
        let expected: Vec<NaiveDate> =
            (0..).map(|k| month_of(first + chrono::Months::new(k))).take_while(|m| *m <= last).collect();
        assert_eq!(months, expected, "{id} activated {activated} status {}", line.status);
        for (at, kind) in &line.events {
            assert!(at.date() >= activated && at.date() <= extract_date, "{id}: {kind} at {at}");
            if let Some(left) = line.disconnected_on {
                assert!(at.date() <= left, "{id}: {kind} at {at} after leaving on {left}");
            }
        }
        if let Some(left) = line.disconnected_on {
            assert_eq!(line.status, "disconnected");
            let disconnections: Vec<_> =
                line.events.iter().filter(|(_, kind)| kind == "disconnection").collect();
            assert_eq!(disconnections.len(), 1, "{id}");
            assert_eq!(disconnections[0].0.date(), left, "{id}");
        }
        if line.status == "pre_disconnect" {
            assert!(line.events.iter().any(|(_, kind)| kind == "disconnection_request"), "{id}");
        }
        if let Some(since) = line.device_since {
            assert!(since >= activated && since <= extract_date, "{id}: device since {since}");
        }
        let last_day_on_network = line.disconnected_on.unwrap_or(extract_date);
        for (kind, starts, ends, status) in &line.contracts {
            assert!(*starts >= activated && *starts <= last_day_on_network, "{id}: {kind} {starts}..{ends}");
            let running = *ends >= last_day_on_network;
            let expected: &[&str] = match (line.disconnected_on.is_some(), running) {
                (true, true) => &["broken"],
                (false, true) => &["active"],
                (_, false) => &["ended", "renewed"],
            };
            assert!(expected.contains(&status.as_str()), "{id}: {kind} {starts}..{ends} {status}");
        }
        let latest_end = line.contracts.iter().map(|c| c.2).max();
        assert_eq!(line.contract_end.is_some(), latest_end.is_some(), "{id}");
        let complaints: i64 = line.usage.iter().map(|u| u.3).sum();
        let complaint_events = line.events.iter().filter(|(_, kind)| kind == "complaint").count() as i64;
        assert_eq!(complaints, complaint_events, "{id}: complaints in usage and events");
    }
    for at in &base.payment_times {
        assert!(at.date() >= window_start && at.date() <= extract_date, "payment at {at}");
    }
}

#[test]
fn statuses_tiers_groups_and_managers_look_like_a_real_base() {
    let base = base();
    let mut statuses: BTreeMap<&str, u64> = BTreeMap::new();
    for line in base.lines.values() {
        *statuses.entry(line.status.as_str()).or_default() += 1;
    }
    let share = |status: &str| *statuses.get(status).unwrap_or(&0) as f64 / BASE_LINES as f64;
    assert!(share("active") > 0.7, "{statuses:?}");
    for status in ["suspended", "arrears_suspended", "number_keep", "pre_disconnect", "disconnected"] {
        assert!(share(status) > 0.0 && share(status) < 0.3, "{status}: {statuses:?}");
    }

    let mut tiers: BTreeMap<String, u64> = BTreeMap::new();
    let mut groups = 0;
    let mut key_persons: BTreeMap<String, u64> = BTreeMap::new();
    for customer in base.customers.values() {
        *tiers.entry(text(&customer[7])).or_default() += 1;
        let is_group = text(&customer[1]) == "group";
        groups += u64::from(is_group);
        if customer[9] == Value::Bool(true) {
            *key_persons.entry(text(&customer[8])).or_default() += 1;
        }
        let tier = text(&customer[7]);
        let manager = customer[6].as_text();
        if is_group || matches!(tier.as_str(), "diamond" | "gold" | "silver") {
            assert!(manager.is_some(), "{customer:?} has no manager");
        }
        if let Some(manager) = manager {
            assert_eq!(base.managers[manager][2], customer[5], "manager of another branch: {customer:?}");
        }
    }
    let customers = base.customers.len() as f64;
    let tier_share = |tier: &str| *tiers.get(tier).unwrap_or(&0) as f64 / customers;
    assert!((0.5..0.7).contains(&tier_share("mass")), "{tiers:?}");
    assert!((0.005..0.03).contains(&tier_share("diamond")), "{tiers:?}");
    assert!(groups >= 10, "{groups} groups");
    assert!(key_persons.values().all(|n| (1..=3).contains(n)), "{key_persons:?}");
    assert!(key_persons.len() as u64 >= groups - 1, "groups without key persons");

    // Most customers own one line; some own two or three (internal switchers' new lines, from
    // BASE_LINES on, aside).
    let mut lines_per_customer: BTreeMap<&str, u64> = BTreeMap::new();
    for (id, line) in &base.lines {
        if id[1..].parse::<u64>().is_ok_and(|index| index < BASE_LINES) {
            *lines_per_customer.entry(line.customer.as_str()).or_default() += 1;
        }
    }
    let single =
        lines_per_customer.values().filter(|n| **n == 1).count() as f64 / lines_per_customer.len() as f64;
    assert!((0.6..0.9).contains(&single), "{single}");
    assert!(lines_per_customer.values().all(|n| (1..=3).contains(n)));

    // Only earned points carry an expiry date, 24 months on.
    for entry in &base.points_entries {
        if let (Some(on), Some(expires)) = (entry[2].as_date(), entry[5].as_date()) {
            assert_eq!(text(&entry[3]), "earn");
            assert!(expires > on + chrono::Months::new(23), "{entry:?}");
        }
    }
}

#[test]
fn monthly_churn_is_plausible() {
    let base = base();
    let line_months = base.table_rows[&TableId::UsageMonthly] as f64;
    let monthly = base.summary.churned as f64 / line_months;
    assert!((0.005..0.05).contains(&monthly), "monthly churn {monthly}");
    let yearly = base.summary.churned as f64 / BASE_LINES as f64;
    assert!((0.08..0.35).contains(&yearly), "share of lines churned {yearly}");
    let disconnected = base.lines.values().filter(|line| line.status == "disconnected").count() as u64;
    assert_eq!(disconnected, base.summary.churned);
}

#[test]
fn some_leavers_switch_to_a_new_line_of_the_same_customer() {
    let base = base();
    // New lines of switchers are numbered from BASE_LINES on, after every customer's own.
    let index = |id: &str| id[1..].parse::<u64>().expect("S + digits");
    let new_lines: Vec<(&String, &LineFacts)> =
        base.lines.iter().filter(|(id, _)| index(id) >= BASE_LINES).collect();
    assert_eq!(new_lines.len() as u64, base.summary.switched);
    let own_leavers = base
        .lines
        .iter()
        .filter(|(id, line)| index(id) < BASE_LINES && line.status == "disconnected")
        .count() as f64;
    let share = base.summary.switched as f64 / own_leavers;
    assert!((0.08..0.16).contains(&share), "{share} of leavers switched");
    let mut same_handset = 0;
    for (id, line) in &new_lines {
        let activated = line.activated_on.expect("activated");
        // The line that left: the same customer's, disconnected 3 days after to 14 days before.
        let left = base.lines.values().find(|other| {
            other.customer == line.customer
                && other.disconnected_on.is_some_and(|left| {
                    let gap = (activated - left).num_days();
                    (-3..=14).contains(&gap)
                })
        });
        let left = left.unwrap_or_else(|| panic!("{id}: no line of {} left near {activated}", line.customer));
        same_handset += usize::from(left.device_id.is_some() && left.device_id == line.device_id);
    }
    let kept = same_handset as f64 / new_lines.len() as f64;
    assert!((0.6..0.95).contains(&kept), "{kept} kept their handset");
    // Handsets are identified on every line that has one, and differ between lines otherwise.
    let with_handset = base.lines.values().filter(|l| l.device_id.is_some()).count() as f64;
    assert!(with_handset / base.lines.len() as f64 > 0.9);
}

/// Mean of `measure` over the three months before a churner's last month, or over an active
/// line's last three months, for lines with at least six months of history.
fn before_leaving_and_staying(
    base: &Base,
    measure: impl Fn(&(NaiveDate, i64, i64, i64)) -> i64,
) -> (f64, f64) {
    let (mut churners, mut stayers) = (Vec::new(), Vec::new());
    for line in base.lines.values() {
        let n = line.usage.len();
        if n < 6 {
            continue;
        }
        let (months, into) = match line.status.as_str() {
            "disconnected" => (&line.usage[n - 4..n - 1], &mut churners),
            "active" => (&line.usage[n - 3..], &mut stayers),
            _ => continue,
        };
        into.push(months.iter().map(&measure).sum::<i64>() as f64 / 3.0);
    }
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len().max(1) as f64;
    assert!(churners.len() > 200, "{} churners", churners.len());
    (mean(&churners), mean(&stayers))
}

#[test]
fn churners_show_their_drivers_before_they_leave() {
    let base = base();
    let (churner_complaints, stayer_complaints) = before_leaving_and_staying(base, |u| u.3);
    assert!(
        churner_complaints > 1.5 * stayer_complaints,
        "complaints per month: churners {churner_complaints:.3}, stayers {stayer_complaints:.3}"
    );
    let (churner_calls, stayer_calls) = before_leaving_and_staying(base, |u| u.2);
    assert!(
        churner_calls > 1.2 * stayer_calls,
        "competitor calls per month: churners {churner_calls:.2}, stayers {stayer_calls:.2}"
    );
    // Porting inquiries and calls to competitors' service lines come before leaving.
    let warned = |line: &LineFacts| {
        line.events.iter().any(|(_, kind)| kind == "porting_inquiry" || kind == "competitor_service_call")
    };
    let churners: Vec<&LineFacts> = base.lines.values().filter(|l| l.status == "disconnected").collect();
    let stayers: Vec<&LineFacts> = base.lines.values().filter(|l| l.status == "active").collect();
    let share = |lines: &[&LineFacts]| lines.iter().filter(|l| warned(l)).count() as f64 / lines.len() as f64;
    assert!(share(&churners) > 3.0 * share(&stayers), "{} vs {}", share(&churners), share(&stayers));
}
