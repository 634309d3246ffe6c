//! Conformance tests of the visit log ([`VisitStore`]): a note changes only at its author's
//! request and from the version they saw, every version is kept, a retried write stores
//! nothing twice, and plans are replaced whole. Instantiated for both backends by
//! `store_conformance_suite!` in main.rs.

use std::sync::Arc;

use chrono::NaiveDate;
use weiwan_storage::{
    AuditFilter, NoteAdded, NoteEdited, PlanFilter, PlannedContact, Store, VisitNoteContent, VisitNoteFilter,
    VisitNoteRecord,
};

use crate::service::audit;

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn content(on: &str, topic: &str) -> VisitNoteContent {
    VisitNoteContent {
        visited_on: day(on),
        channel: "visit".to_owned(),
        topic: topic.to_owned(),
        promises: "下周送达5G套餐资料 / brochure next week".to_owned(),
        next_step: "回访 / call back".to_owned(),
        next_contact_on: Some(day("2026-11-20")),
    }
}

fn note(customer: &str, author: &str, on: &str, topic: &str) -> VisitNoteRecord {
    VisitNoteRecord {
        note_id: 0,
        customer_id: customer.to_owned(),
        branch_id: "B01".to_owned(),
        manager_id: Some("M01".to_owned()),
        author_id: author.to_owned(),
        author_manager_id: Some("M01".to_owned()),
        content: content(on, topic),
        created_at: format!("{on}T02:00:00+00:00"),
        updated_at: format!("{on}T02:00:00+00:00"),
        version: 1,
    }
}

fn added(result: NoteAdded) -> VisitNoteRecord {
    match result {
        NoteAdded::Added(note) => note,
        NoteAdded::Replayed(note) => panic!("expected a new note, got a replay of {}", note.note_id),
    }
}

pub async fn a_visit_note_changes_only_by_its_author_and_keeps_every_version(store: Arc<dyn Store>) {
    let first = added(
        store
            .add_visit_note(
                &note("C2", "u-m1", "2026-11-10", "合约到期沟通"),
                None,
                &audit("u-m1", "add_visit_note", ""),
            )
            .await
            .expect("add"),
    );
    assert_eq!((first.version, first.author_id.as_str()), (1, "u-m1"));

    // Someone else may not change it, whatever version they name; nothing changes.
    let edit = content("2026-11-10", "改写 / rewritten");
    let refused = store
        .edit_visit_note(
            first.note_id,
            "u-m2",
            1,
            &edit,
            "2026-11-11T02:00:00+00:00",
            &audit("u-m2", "edit", "n"),
        )
        .await
        .expect("edit");
    assert_eq!(refused, NoteEdited::NotAuthor { author_id: "u-m1".to_owned() });
    assert_eq!(store.visit_note(first.note_id).await.expect("read"), Some(first.clone()));

    // The author changes it from the version they saw.
    let Ok(NoteEdited::Edited(second)) = store
        .edit_visit_note(
            first.note_id,
            "u-m1",
            1,
            &edit,
            "2026-11-11T03:00:00+00:00",
            &audit("u-m1", "edit", "n"),
        )
        .await
    else {
        panic!("the author's edit was refused");
    };
    assert_eq!((second.version, second.content.topic.as_str()), (2, "改写 / rewritten"));
    assert_eq!(second.created_at, first.created_at);
    assert_eq!(second.updated_at, "2026-11-11T03:00:00+00:00");

    // An edit made on the old version is stale and changes nothing.
    let stale = store
        .edit_visit_note(
            first.note_id,
            "u-m1",
            1,
            &content("2026-11-09", "late"),
            "2026-11-12T00:00:00+00:00",
            &audit("u-m1", "edit", "n"),
        )
        .await
        .expect("edit");
    assert_eq!(stale, NoteEdited::Stale { version: 2 });
    assert_eq!(
        store
            .edit_visit_note(
                999_999,
                "u-m1",
                1,
                &edit,
                "2026-11-12T00:00:00+00:00",
                &audit("u-m1", "edit", "n")
            )
            .await
            .expect("edit"),
        NoteEdited::NotFound
    );

    // Both versions are kept, with who wrote each and when.
    let history = store.visit_note_history(first.note_id).await.expect("history");
    let versions: Vec<(i64, &str, &str, &str)> = history
        .iter()
        .map(|r| (r.version, r.edited_by.as_str(), r.edited_at.as_str(), r.content.topic.as_str()))
        .collect();
    assert_eq!(
        versions,
        [
            (1, "u-m1", "2026-11-10T02:00:00+00:00", "合约到期沟通"),
            (2, "u-m1", "2026-11-11T03:00:00+00:00", "改写 / rewritten"),
        ]
    );
    // The write and the one accepted edit are audited; refusals are not changes.
    let audited = store
        .audit_log(&AuditFilter { actor: Some("u-m1".into()), ..AuditFilter::default() })
        .await
        .expect("audit");
    assert_eq!(audited.len(), 2);
    assert_eq!(audited.last().map(|a| a.object_id.clone()), Some(first.note_id.to_string()));
}

pub async fn a_retried_visit_note_is_stored_once_and_notes_are_filtered(store: Arc<dyn Store>) {
    crate::import(store.as_ref(), &crate::base_rows()).await;
    let written = note("C2", "u-m1", "2026-11-03", "first");
    let once =
        added(store.add_visit_note(&written, Some("req-1"), &audit("u-m1", "add", "")).await.expect("add"));
    let again = store.add_visit_note(&written, Some("req-1"), &audit("u-m1", "add", "")).await.expect("add");
    assert_eq!(again, NoteAdded::Replayed(once.clone()));
    added(
        store
            .add_visit_note(
                &note("C2", "u-m1", "2026-11-15", "second"),
                Some("req-2"),
                &audit("u-m1", "add", ""),
            )
            .await
            .expect("add"),
    );
    let mut other = note("C9", "u-m2", "2026-10-20", "other");
    other.author_manager_id = Some("M02".to_owned());
    other.branch_id = "B02".to_owned();
    added(store.add_visit_note(&other, None, &audit("u-m2", "add", "")).await.expect("add"));

    let topics = |notes: Vec<VisitNoteRecord>| notes.into_iter().map(|n| n.content.topic).collect::<Vec<_>>();
    let of_c2 = store
        .visit_notes(&VisitNoteFilter { customer_id: Some("C2".into()), ..VisitNoteFilter::default() })
        .await
        .expect("list");
    assert_eq!(topics(of_c2), ["second", "first"]);
    let november = store
        .visit_notes(&VisitNoteFilter {
            from: Some(day("2026-11-01")),
            until: Some(day("2026-11-15")),
            ..VisitNoteFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(topics(november), ["first"]);
    let by_m02 = store
        .visit_notes(&VisitNoteFilter { author_manager_id: Some("M02".into()), ..VisitNoteFilter::default() })
        .await
        .expect("list");
    assert_eq!(topics(by_m02), ["other"]);
    // M01 works in B01; M02 is no manager of the base.
    let by_b01_managers = store
        .visit_notes(&VisitNoteFilter { author_branch_id: Some("B01".into()), ..VisitNoteFilter::default() })
        .await
        .expect("list");
    assert_eq!(topics(by_b01_managers), ["second", "first"]);
    let newest =
        store.visit_notes(&VisitNoteFilter { limit: 1, ..VisitNoteFilter::default() }).await.expect("list");
    assert_eq!(topics(newest), ["second"]);
}

pub async fn a_visit_plan_is_replaced_whole(store: Arc<dyn Store>) {
    let contact = |customer: &str, on: &str, channel: &str, rank: i64| PlannedContact {
        month: day("2026-12-01"),
        manager_id: "M01".to_owned(),
        customer_id: customer.to_owned(),
        branch_id: "B01".to_owned(),
        planned_on: day(on),
        channel: channel.to_owned(),
        reasons: vec!["quota".to_owned(), "risk".to_owned()],
        rank,
        generated_at: "2026-11-25T01:00:00+00:00".to_owned(),
    };
    let first = [contact("C2", "2026-12-02", "call", 1), contact("G1", "2026-12-01", "visit", 2)];
    store
        .replace_visit_plan("M01", day("2026-12-01"), &first, &audit("u-m1", "plan", ""))
        .await
        .expect("plan");
    let read = store
        .visit_plan(&PlanFilter { manager_id: Some("M01".into()), ..PlanFilter::default() })
        .await
        .expect("read");
    assert_eq!(read, [first[1].clone(), first[0].clone()]);
    let second = [contact("C2", "2026-12-03", "visit", 1)];
    store
        .replace_visit_plan("M01", day("2026-12-01"), &second, &audit("u-m1", "plan", ""))
        .await
        .expect("plan");
    let read = store
        .visit_plan(&PlanFilter {
            customer_id: Some("C2".into()),
            from: Some(day("2026-12-01")),
            ..PlanFilter::default()
        })
        .await
        .expect("read");
    assert_eq!(read, second);
    let gone = store
        .visit_plan(&PlanFilter { customer_id: Some("G1".into()), ..PlanFilter::default() })
        .await
        .expect("read");
    assert!(gone.is_empty(), "the old plan's contacts are gone: {gone:?}");
}
