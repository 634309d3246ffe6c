//! Retention cases 拆机挽留 from the command line: a clerk opens a case, an agent's request
//! joins it, the clerk escalates, the desk asks for a concession an approver approves, the case
//! closes retained and shows in the ledger and the report; refusals exit with status 1.

use std::path::Path;

use chrono::{DateTime, Duration};

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

#[test]
fn a_retention_case_is_escalated_approved_and_closed_into_the_ledger_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    ok(
        &[
            "generate",
            "--subscribers",
            "40",
            "--months",
            "2",
            "--seed",
            "3",
            "--out",
            "extract",
            "--format",
            "csv",
        ],
        dir,
    );
    ok(&["import", "extract"], dir);
    let branches = std::fs::read_to_string(dir.join("extract/branches.csv")).expect("branches");
    let branch = branches.lines().nth(1).expect("a branch").split(',').next().expect("id").to_owned();
    for (login, role) in [
        ("clerk", "clerk"),
        ("agent", "agent"),
        ("desk", "planner"),
        ("boss", "approver"),
        ("ana", "analyst"),
    ] {
        let mut args = vec!["user", "add", "--login", login, "--name", login, "--role", role];
        if role == "clerk" {
            args.extend(["--branch", branch.as_str()]);
        }
        let output = command(&args, dir)
            .env("WEIWAN_PASSWORD", "a-long-password")
            .output()
            .expect("the weiwan binary runs");
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    // A line of the imported base.
    let lines = std::fs::read_to_string(dir.join("extract/subscriptions.csv")).expect("subscriptions");
    let line = lines.lines().nth(1).expect("a line").split(',').next().expect("id").to_owned();

    let open = |who: &str, channel: &str| {
        ok(
            &[
                "case",
                "open",
                "--line",
                &line,
                "--kind",
                "port_out",
                "--channel",
                channel,
                "--reason",
                "携号转网",
                "--as",
                who,
            ],
            dir,
        )
    };
    let opened = open("clerk", "store");
    assert!(opened.contains("owned by u-clerk"), "{opened}");
    let joined = open("agent", "hotline");
    assert!(joined.contains("joined"), "{joined}");
    refused(
        &[
            "case",
            "open",
            "--line",
            &line,
            "--kind",
            "port_out",
            "--channel",
            "store",
            "--reason",
            "x",
            "--as",
            "ana",
        ],
        dir,
        "ana has role analyst",
    );

    ok(&["case", "concede", "1", "--kind", "bill_credit", "--amount", "30", "--as", "clerk"], dir);
    refused(
        &["case", "concede", "1", "--kind", "bill_credit", "--amount", "80", "--as", "clerk"],
        dir,
        "escalate to the retention desk",
    );
    ok(&["case", "decline", "1", "--concession", "1", "--note", "嫌少", "--as", "clerk"], dir);
    ok(&["case", "escalate", "1", "--as", "clerk"], dir);
    ok(&["case", "claim", "1", "--as", "desk"], dir);
    let asked =
        ok(&["case", "concede", "1", "--kind", "device_subsidy", "--amount", "500", "--as", "desk"], dir);
    assert!(asked.contains("pending_approval"), "{asked}");
    refused(&["case", "approve", "1", "--concession", "2", "--as", "desk"], dir, "only approvers");
    ok(&["case", "approve", "1", "--concession", "2", "--as", "boss"], dir);
    ok(&["case", "close", "1", "--outcome", "retained", "--accepted", "2", "--as", "desk"], dir);
    refused(&["case", "note", "1", "--note", "again", "--as", "clerk"], dir, "closed");
    refused(&["case", "show", "99"], dir, "retention case 99");

    let case = json(&["case", "show", "1", "--format", "json"], dir);
    assert_eq!(case["owner_id"], "u-clerk", "首问制: the clerk stays the owner");
    assert_eq!(case["outcome"], "retained");
    // The month of the close, China time.
    let closed = DateTime::parse_from_rfc3339(case["closed_at"].as_str().expect("closed")).expect("time");
    let month = (closed.naive_utc() + Duration::hours(8)).format("%Y-%m").to_string();
    let ledger = json(&["case", "ledger", &month, "--format", "json"], dir);
    assert_eq!(ledger["cases"], 1);
    assert_eq!(ledger["concession_cost"], "500.00");
    assert_eq!(ledger["entries"][0]["concessions"][0]["approver_id"], "u-boss");
    let report = ok(&["case", "report", &month], dir);
    assert!(report.contains("100.0%"), "{report}");
    refused(&["case", "report", "13-2026"], dir, "is not a month");
}
