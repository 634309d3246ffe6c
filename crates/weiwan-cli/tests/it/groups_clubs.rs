//! `weiwan group` and `weiwan club` on the demo's operator: listing groups, creating a club as a
//! planner, refusals with their reasons and a failing exit status.

use crate::{text, weiwan};

#[test]
fn groups_and_clubs_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let demo = weiwan(&["demo", "--no-serve", "--subscribers", "300", "--months", "4"], work.path());
    assert!(demo.status.success(), "demo failed: {}", text(&demo.stderr));

    let groups = weiwan(&["group", "list", "--format", "json"], work.path());
    assert!(groups.status.success(), "{}", text(&groups.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&groups.stdout).expect("json");
    let first = listed.as_array().and_then(|g| g.first()).cloned();
    if let Some(group) = first {
        let id = group["group_id"].as_str().expect("id");
        let shown = weiwan(&["group", "show", id], work.path());
        assert!(shown.status.success(), "{}", text(&shown.stderr));
        assert!(text(&shown.stdout).contains("service level: answer within"), "{}", text(&shown.stdout));
        let report = weiwan(&["group", "report", id, "--period", "2026-Q3"], work.path());
        assert!(report.status.success(), "{}", text(&report.stderr));
    }
    let not_a_group = weiwan(&["group", "report", "NOPE", "--period", "2026-Q3"], work.path());
    assert!(!not_a_group.status.success());
    assert!(text(&not_a_group.stderr).contains("group customer NOPE"), "{}", text(&not_a_group.stderr));

    let create = |login: &str| {
        weiwan(
            &[
                "club",
                "create",
                "golf",
                "--name-zh",
                "高尔夫俱乐部",
                "--name-en",
                "Golf club",
                "--tiers",
                "diamond,gold",
                "--as",
                login,
            ],
            work.path(),
        )
    };
    let by_clerk = create("clerk");
    assert!(!by_clerk.status.success());
    assert!(text(&by_clerk.stderr).contains("has role clerk"), "{}", text(&by_clerk.stderr));
    let created = create("planner");
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("club 俱乐部 golf created, open to diamond, gold"));
    let again = create("planner");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("club golf exists already"), "{}", text(&again.stderr));
    let list = weiwan(&["club", "list"], work.path());
    assert!(text(&list.stdout).contains("golf"), "{}", text(&list.stdout));
    let unknown = weiwan(&["club", "show", "chess"], work.path());
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("club chess"), "{}", text(&unknown.stderr));
}
