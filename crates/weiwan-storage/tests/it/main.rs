//! The store conformance suite: every test runs on SQLite and on PostgreSQL, proving the two
//! backends behave alike. PostgreSQL runs when TEST_DATABASE_URL is set (always in CI).

use std::sync::Arc;

use weiwan_domain::{TableId, Value};
use weiwan_storage::{CohortRecord, ImportRecord, SegmentRecord, Store};

mod campaign;
mod cases;
mod clubs;
mod service;
mod visits;
use campaign::*;
use cases::*;
use clubs::*;
use service::*;
use visits::*;

use weiwan_storage::testing::row;

fn base_rows() -> Vec<(TableId, Vec<Vec<Value>>)> {
    vec![
        (TableId::Branches, vec![row(TableId::Branches, &["B01", "城东分公司", "杭州"])]),
        (TableId::Managers, vec![row(TableId::Managers, &["M01", "王芳", "B01", "account", "13900000001"])]),
        (
            TableId::Plans,
            vec![row(TableId::Plans, &["P96", "5G畅享96元套餐", "96.00", "postpaid", "5g", "30720", "500"])],
        ),
        (
            TableId::Customers,
            vec![
                // The member comes before its group: foreign keys are checked at commit.
                row(
                    TableId::Customers,
                    &[
                        "C2",
                        "individual",
                        "李雷",
                        "",
                        "1990-05-01",
                        "B01",
                        "M01",
                        "gold",
                        "G1",
                        "true",
                        "2015-03-01",
                    ],
                ),
                row(
                    TableId::Customers,
                    &[
                        "G1",
                        "group",
                        "某某科技有限公司",
                        "",
                        "",
                        "B01",
                        "M01",
                        "gold",
                        "",
                        "false",
                        "2010-01-01",
                    ],
                ),
            ],
        ),
        (
            TableId::Subscriptions,
            vec![row(
                TableId::Subscriptions,
                &[
                    "S1",
                    "C2",
                    "13800001234",
                    "P96",
                    "active",
                    "2015-03-01",
                    "2027-02-28",
                    "华为 Mate 60",
                    "d7f3a9c2e1b4",
                    "2024-01-10",
                    "",
                    "",
                ],
            )],
        ),
        (
            TableId::Contracts,
            vec![row(
                TableId::Contracts,
                &["K1", "S1", "device", "2025-03-01", "2027-02-28", "96.00", "1200.50", "active"],
            )],
        ),
    ]
}

async fn import(store: &dyn Store, rows: &[(TableId, Vec<Vec<Value>>)]) {
    let mut tx = store.begin_import().await.expect("begin");
    for (table, rows) in rows {
        tx.upsert(*table, rows).await.expect("upsert");
    }
    tx.commit().await.expect("commit");
}

async fn upserted_rows_read_back_exactly(store: Arc<dyn Store>) {
    let rows = base_rows();
    import(store.as_ref(), &rows).await;
    for (table, expected) in &rows {
        let mut expected = expected.clone();
        expected.sort_by(|a, b| a[0].cmp(&b[0]));
        assert_eq!(&store.dump_table(*table).await.expect("dump"), &expected, "{table}");
    }
    let summary = store.summary().await.expect("summary");
    assert_eq!((summary.customers, summary.subscriptions, summary.contracts), (2, 1, 1));
    assert_eq!(summary.customers_by_tier, vec![("gold".to_owned(), 2)]);
    assert_eq!(summary.subscriptions_by_status, vec![("active".to_owned(), 1)]);
    assert_eq!(summary.by_branch.len(), 1);
    assert_eq!((summary.by_branch[0].customers, summary.by_branch[0].subscriptions), (2, 1));
}

async fn upsert_replaces_rows_with_the_same_key(store: Arc<dyn Store>) {
    import(store.as_ref(), &base_rows()).await;
    let moved = row(
        TableId::Subscriptions,
        &["S1", "C2", "13800001234", "P96", "disconnected", "2015-03-01", "", "", "", "", "", "2026-09-30"],
    );
    import(store.as_ref(), &[(TableId::Subscriptions, vec![moved.clone()])]).await;
    assert_eq!(store.dump_table(TableId::Subscriptions).await.expect("dump"), vec![moved]);
}

async fn an_uncommitted_import_leaves_nothing(store: Arc<dyn Store>) {
    {
        let mut tx = store.begin_import().await.expect("begin");
        for (table, rows) in base_rows() {
            tx.upsert(table, &rows).await.expect("upsert");
        }
        tx.record_import(&record("x1")).await.expect("record");
        // Dropped without commit.
    }
    assert_eq!(store.summary().await.expect("summary"), weiwan_storage::Summary::default());
    assert_eq!(store.find_import("x1").await.expect("find"), None);
}

async fn a_dangling_reference_fails_the_commit_and_keeps_nothing(store: Arc<dyn Store>) {
    let mut rows = base_rows();
    rows.retain(|(table, _)| *table != TableId::Plans);
    let mut tx = store.begin_import().await.expect("begin");
    let mut failed = false;
    for (table, rows) in &rows {
        failed |= tx.upsert(*table, rows).await.is_err();
    }
    if !failed {
        failed = tx.commit().await.is_err();
    }
    assert!(failed, "a subscription on an unknown plan must not commit");
    assert_eq!(store.summary().await.expect("summary").customers, 0);
}

async fn imports_are_recorded_and_keys_can_be_filtered(store: Arc<dyn Store>) {
    import(store.as_ref(), &base_rows()).await;
    let mut tx = store.begin_import().await.expect("begin");
    tx.record_import(&record("abc")).await.expect("record");
    tx.commit().await.expect("commit");
    assert_eq!(store.find_import("abc").await.expect("find"), Some(record("abc")));
    assert_eq!(store.list_imports().await.expect("list"), vec![record("abc")]);
    let mut customers = store.keys(TableId::Customers, None).await.expect("keys");
    customers.sort();
    assert_eq!(customers, vec!["C2", "G1"]);
    assert_eq!(store.keys(TableId::Customers, Some(("kind", "group"))).await.expect("keys"), vec!["G1"]);
    assert!(store.keys(TableId::UsageMonthly, None).await.is_err(), "history is not in the store");
}

fn record(extract_id: &str) -> ImportRecord {
    ImportRecord {
        extract_id: extract_id.to_owned(),
        imported_at: "2026-11-01T08:00:00Z".to_owned(),
        source: "/extracts/2026-10".to_owned(),
        rows_json: "{\"customers\":2}".to_owned(),
    }
}

fn segment(name: &str, definition: &str) -> SegmentRecord {
    SegmentRecord {
        name: name.to_owned(),
        mode: "conditions".to_owned(),
        definition: definition.to_owned(),
        schedule: "daily".to_owned(),
        description: "中高端 / high value".to_owned(),
        saved_at: "2026-11-01T08:00:00Z".to_owned(),
    }
}

async fn segments_are_saved_replaced_only_on_request_and_deleted(store: Arc<dyn Store>) {
    let first = segment("vip", r#"["value_tier=gold"]"#);
    assert!(store.save_segment(&first, false).await.expect("save"));
    let second = segment("vip", r#"["value_tier=diamond"]"#);
    assert!(!store.save_segment(&second, false).await.expect("save"), "a taken name is not overwritten");
    assert_eq!(store.segments().await.expect("list"), vec![first]);
    assert!(store.save_segment(&second, true).await.expect("replace"));
    assert!(store.save_segment(&segment("alpha", "[]"), false).await.expect("save"));
    let names: Vec<String> = store.segments().await.expect("list").into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["alpha", "vip"]);
    assert_eq!(store.segments().await.expect("list")[1], second);
    assert!(store.delete_segment("vip").await.expect("delete"));
    assert!(!store.delete_segment("vip").await.expect("delete"), "already gone");
    let invalid = SegmentRecord { mode: "python".to_owned(), ..segment("bad", "[]") };
    assert!(store.save_segment(&invalid, false).await.is_err(), "the mode is checked");
}

async fn a_cohort_is_registered_once(store: Arc<dyn Store>) {
    let cohort = CohortRecord {
        name: "vip-2026q2".to_owned(),
        taken_on: "2026-04-01".to_owned(),
        mode: "conditions".to_owned(),
        definition: r#"["arpu_3m=120.."]"#.to_owned(),
        members: 6,
        created_at: "2026-11-01T08:00:00Z".to_owned(),
    };
    assert!(store.record_cohort(&cohort).await.expect("record"));
    let again = CohortRecord { members: 7, ..cohort.clone() };
    assert!(!store.record_cohort(&again).await.expect("record"));
    assert_eq!(store.cohorts().await.expect("list"), vec![cohort]);
}

/// Instantiates every conformance test for one backend.
macro_rules! store_conformance_suite {
    ($backend:ident, $open:expr) => {
        mod $backend {
            store_conformance_suite!(@tests $open;
                upserted_rows_read_back_exactly,
                upsert_replaces_rows_with_the_same_key,
                an_uncommitted_import_leaves_nothing,
                a_dangling_reference_fails_the_commit_and_keeps_nothing,
                imports_are_recorded_and_keys_can_be_filtered,
                segments_are_saved_replaced_only_on_request_and_deleted,
                a_cohort_is_registered_once,
                users_are_created_once_and_listed_by_login,
                credentials_are_found_and_deleted,
                a_users_console_language_is_kept_and_changed,
                the_audit_log_is_read_newest_first_and_filtered,
                events_and_their_tasks_are_applied_once,
                an_event_repeated_within_a_batch_is_stored_once,
                a_task_is_raised_once_per_rule_subject_and_cause,
                many_tasks_are_raised_in_one_call,
                a_failing_batch_leaves_nothing,
                tasks_are_filtered_and_ordered_by_priority_then_due_date,
                a_claim_is_exclusive,
                outcomes_close_a_task_only_when_asked,
                a_queues_tasks_are_counted_by_status_and_latest_outcome,
                subjects_are_read_from_lines_and_customers,
                rows_are_found_by_key_and_by_column,
                offers_are_added_all_or_none,
                a_campaign_moves_only_from_the_state_it_is_in,
                an_execution_refuses_lines_another_campaign_holds_and_stores_nothing,
                an_acceptance_keeps_budgets_and_exclusions,
                an_offer_the_customer_holds_excludes_another,
                contacts_are_entered_in_the_ledger_with_their_outcome,
                concurrent_acceptances_lose_and_double_nothing,
                concurrent_outcomes_with_retries_lose_and_double_nothing,
                a_second_request_to_leave_joins_the_open_case_and_keeps_its_owner,
                concurrent_requests_to_leave_open_one_case,
                a_case_change_applies_to_its_version_all_or_nothing,
                cases_are_listed_by_branch_status_and_time,
                a_visit_note_changes_only_by_its_author_and_keeps_every_version,
                a_retried_visit_note_is_stored_once_and_notes_are_filtered,
                a_visit_plan_is_replaced_whole,
                clubs_are_created_once_and_members_join_leave_and_join_again,
                first_come_places_fill_then_the_waitlist_then_a_freed_place_goes_to_the_first_waiting,
                concurrent_sign_ups_never_pass_the_capacity,
                a_draw_gives_the_places_in_its_order_once_and_records_its_seed,
                attendance_is_recorded_all_or_nothing_for_confirmed_places,
                points_are_spent_only_while_the_balance_covers_them,
                a_key_persons_influence_is_recorded_replaced_and_audited,
            );
        }
    };
    (@tests $open:expr; $($test:ident,)+) => {
        $(
            #[tokio::test]
            async fn $test() {
                let open = $open;
                if let Some(store) = open(stringify!($test)).await {
                    super::$test(store).await;
                }
            }
        )+
    };
}

store_conformance_suite!(sqlite, |_name: &'static str| async {
    Some(weiwan_storage::testing::sqlite().await)
});
store_conformance_suite!(postgres, |name: &'static str| weiwan_storage::testing::postgres(name));
