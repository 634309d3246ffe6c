//! The customer file from the command line: a manager writes a note, another user may not
//! change it, the author does and both versions are kept; the card, the file, the appraisal
//! and a visit plan; refusals exit with status 1.

use std::path::Path;

use super::{command, text, weiwan};

fn ok(args: &[&str], dir: &Path) -> String {
    let output = weiwan(args, dir);
    assert!(output.status.success(), "{args:?} failed: {}", text(&output.stderr));
    text(&output.stdout)
}

fn refused(args: &[&str], dir: &Path, expected: &str) {
    let output = weiwan(args, dir);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{args:?} should be refused: {}{stderr}", text(&output.stdout));
    assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn json(args: &[&str], dir: &Path) -> serde_json::Value {
    let stdout = ok(args, dir);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout}"))
}

fn add_user(dir: &Path, args: &[&str]) {
    let mut full = vec!["user", "add"];
    full.extend_from_slice(args);
    let output = command(&full, dir).env("WEIWAN_PASSWORD", "a-long-password").output().expect("runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn a_visit_note_is_kept_by_its_author_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    ok(
        &[
            "generate",
            "--subscribers",
            "60",
            "--months",
            "2",
            "--seed",
            "5",
            "--out",
            "extract",
            "--format",
            "csv",
        ],
        dir,
    );
    ok(&["import", "extract"], dir);
    // A customer with a manager, and that manager's branch.
    let customers = std::fs::read_to_string(dir.join("extract/customers.csv")).expect("customers");
    let header: Vec<&str> = customers.lines().next().expect("header").split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let row: Vec<String> = customers
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
        .find(|f| !f[at("manager_id")].is_empty())
        .expect("a customer with a manager");
    let (customer, branch, manager) =
        (&row[at("customer_id")], &row[at("branch_id")], &row[at("manager_id")]);
    add_user(
        dir,
        &["--login", "wang", "--name", "王芳", "--role", "manager", "--branch", branch, "--manager", manager],
    );
    add_user(dir, &["--login", "clerk", "--name", "clerk", "--role", "clerk", "--branch", branch]);
    add_user(dir, &["--login", "ana", "--name", "ana", "--role", "analyst"]);

    let note = |who: &str, topic: &str| {
        vec![
            "visit",
            "add",
            customer,
            "--date",
            "2026-01-15",
            "--channel",
            "visit",
            "--topic",
            topic,
            "--promises",
            "赠送10GB",
            "--next-on",
            "2026-02-02",
            "--as",
            who,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<String>>()
    };
    let args = note("wang", "续约沟通");
    let written = ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir);
    assert!(written.contains("visit note 拜访纪要 1"), "{written}");
    let args = note("ana", "x");
    refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir, "ana has role analyst");
    refused(
        &["visit", "add", customer, "--date", "15/01/2026", "--topic", "x", "--as", "wang"],
        dir,
        "--date",
    );
    let edit = |who: &str, version: &str| {
        vec![
            "visit",
            "edit",
            "1",
            "--version",
            version,
            "--date",
            "2026-01-15",
            "--channel",
            "call",
            "--topic",
            "改为电话",
            "--as",
            who,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<String>>()
    };
    let args = edit("clerk", "1");
    refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir, "only its author");
    let args = edit("wang", "1");
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir);
    refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir, "version 2");

    let history = json(&["visit", "history", "1", "--format", "json"], dir);
    let topics: Vec<&str> = history["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .filter_map(|r| r["topic"].as_str())
        .collect();
    assert_eq!(topics, ["续约沟通", "改为电话"]);
    let card = json(&["visit", "card", customer, "--format", "json"], dir);
    assert_eq!(card["last_visits"][0]["channel"], "call");
    let file = json(&["visit", "file", customer, "--format", "json"], dir);
    assert_eq!(file["contacts"][0]["source"], "visit_log");

    // January's appraisal counts the call for the manager.
    let report = json(&["performance", "--month", "2026-01", "--manager", manager, "--format", "json"], dir);
    assert_eq!(report["managers"][0]["contact_days"], 1, "{report}");
    assert_eq!(report["managers"][0]["customers_contacted"], 1, "{report}");
    refused(&["performance", "--month", "2026-1x"], dir, "YYYY-MM");
    // Only the manager plans their own month; a past month is refused.
    refused(
        &["visit", "plan", "--manager", manager, "--month", "2026-01", "--as", "wang"],
        dir,
        "has passed",
    );
    refused(
        &["visit", "plan", "--manager", manager, "--month", "2099-01", "--as", "clerk"],
        dir,
        "clerk has role clerk",
    );
    let planned = ok(&["visit", "plan", "--manager", manager, "--month", "2099-01", "--as", "wang"], dir);
    assert!(planned.contains("visit plan 拜访计划 of"), "{planned}");
}
