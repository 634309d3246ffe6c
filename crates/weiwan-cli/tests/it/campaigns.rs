//! Offers and campaigns from the command line, as a planner and two approvers run them: the
//! built-in catalog loaded once, a plan created, refused to a planner who tries to approve it,
//! approved at two levels, executed with a holdout and evaluated; refusals exit with status 1,
//! name what is wrong and change nothing.

use std::path::Path;

use super::{command, text, weiwan};

/// Runs weiwan and expects success; returns what it printed.
fn ok(args: &[&str], dir: &Path) -> String {
    let output = weiwan(args, dir);
    assert!(output.status.success(), "{args:?} failed: {}", text(&output.stderr));
    text(&output.stdout)
}

/// Runs weiwan and expects a refusal: exit status 1 and `expected` in what it printed on stderr.
fn refused(args: &[&str], dir: &Path, expected: &[&str]) -> String {
    let output = weiwan(args, dir);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{args:?} should be refused: {}{stderr}", text(&output.stdout));
    for expected in expected {
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn json(args: &[&str], dir: &Path) -> serde_json::Value {
    let stdout = ok(args, dir);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout}"))
}

fn add_user(dir: &Path, login: &str, role: &str) {
    let output = command(&["user", "add", "--login", login, "--name", login, "--role", role], dir)
        .env("WEIWAN_PASSWORD", "a-long-password")
        .output()
        .expect("the weiwan binary runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// A plan over the saved target group `vips` with the given offers, two approval levels.
fn plan(offers: &str) -> String {
    format!(
        r#"name_zh = "存费赠费保有"
name_en = "Prepay-and-get-bonus retention"
target_group = "vips"
offers = [{offers}]
starts_on = 2026-11-01
ends_on = "2026-12-31"
budget = "90000"
holdout_share = 0.1
holdout_days = 90
approval_levels = 2

[[channels]]
channel = "outbound"
script_zh = "您好，有一项优惠"
script_en = "Hello, an offer"

[[channels]]
channel = "store"
script_zh = "到厅办理"
script_en = "At the store"

[[targets]]
kpi = "take_up"
t0 = 0.1
t1 = 0.2
"#
    )
}

/// A small operator with history to October 2026, imported, its batch of 2026-11-01 run; a
/// planner, two approvers and an analyst; the target group `vips`.
fn operator(dir: &Path) {
    ok(&["generate", "--subscribers", "1500", "--months", "6", "--seed", "5", "--out", "extract"], dir);
    ok(&["import", "extract"], dir);
    ok(&["run", "--as-of", "2026-11-01"], dir);
    for (login, role) in [("plan", "planner"), ("a1", "approver"), ("a2", "approver"), ("ana", "analyst")] {
        add_user(dir, login, role);
    }
    ok(&["segment", "save", "vips", "--where", "vip_tier=diamond,gold,silver"], dir);
}

#[test]
fn a_campaign_is_planned_approved_executed_and_evaluated_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    operator(dir);

    // The catalog: only a planner loads it; then every offer is listed with its terms.
    refused(
        &["offer", "load", "--builtin", "--as", "ana"],
        dir,
        &["ana has role analyst", "needs role planner"],
    );
    refused(&["offer", "load", "--builtin", "--as", "nobody"], dir, &["no user \"nobody\""]);
    assert!(json(&["offer", "list", "--format", "json"], dir).as_array().expect("offers").is_empty());
    let loaded = ok(&["offer", "load", "--builtin", "--as", "plan"], dir);
    assert!(loaded.contains("offers 政策 added from the built-in offer catalog:"), "{loaded}");
    let offers = json(&["offer", "list", "--format", "json"], dir);
    let offers = offers.as_array().expect("offers");
    assert!(offers.len() >= 10, "{offers:?}");
    let bonus = offers.iter().find(|o| o["offer"]["id"] == "prepay_bonus_100").expect("prepay_bonus_100");
    assert_eq!((bonus["cost"].as_str(), bonus["active"].as_bool()), (Some("60.00"), Some(true)), "{bonus}");
    let listed = ok(&["offer", "list"], dir);
    assert!(listed.contains("offer catalog 政策库"), "{listed}");
    assert!(listed.contains("prepay_bonus_100") && listed.contains("prepay_bonus"), "{listed}");
    assert!(listed.contains("Prepay 100 yuan, get 10 yuan a month for 6 months"), "{listed}");
    assert!(listed.contains("2026-01-01 to 2027-12-31"), "{listed}");

    // Loading it again: every id is taken; nothing is added and the list is as it was.
    refused(
        &["offer", "load", "--builtin", "--as", "plan"],
        dir,
        &[
            "the built-in offer catalog refused, no offer was added",
            "offer prepay_bonus_100: id: taken",
            "offer service_pack_discount: id: taken",
        ],
    );
    assert_eq!(ok(&["offer", "list"], dir), listed, "the catalog is unchanged");
    // Retiring and reinstating an offer.
    assert!(ok(&["offer", "retire", "points_5000", "--as", "plan"], dir).contains("retired"));
    assert!(ok(&["offer", "list"], dir).contains("retired"));
    ok(&["offer", "reinstate", "points_5000", "--as", "plan"], dir);
    assert_eq!(ok(&["offer", "list"], dir), listed);
    refused(&["offer", "retire", "nope", "--as", "plan"], dir, &["not found: offer nope"]);

    // The plan.
    std::fs::write(dir.join("renew.toml"), plan(r#""prepay_bonus_100", "service_pack_discount""#))
        .expect("write");
    let created = ok(&["campaign", "create", "--id", "renew", "renew.toml", "--as", "plan"], dir);
    assert!(
        created.contains("campaign 维系活动 renew created as a draft 草稿 (2 approval levels"),
        "{created}"
    );

    // A plan naming an unknown offer is refused with the offer named, and nothing is created.
    std::fs::write(dir.join("bad.toml"), plan(r#""prepay_bonus_100", "nope""#)).expect("write");
    refused(
        &["campaign", "create", "--id", "bad", "bad.toml", "--as", "plan"],
        dir,
        &["no campaign was created", "offers: no offer nope in the catalog"],
    );
    std::fs::write(dir.join("broken.toml"), plan(r#""prepay_bonus_100""#).replace("budget", "budgt"))
        .expect("write");
    refused(
        &["campaign", "create", "--id", "bad", "broken.toml", "--as", "plan"],
        dir,
        &["campaign plan broken.toml is not well formed", "budgt"],
    );
    let library = json(&["campaign", "list", "--format", "json"], dir);
    let ids: Vec<&str> = library
        .as_array()
        .expect("campaigns")
        .iter()
        .map(|c| c["campaign_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["renew"]);
    let list = ok(&["campaign", "list"], dir);
    assert!(list.contains("scheme library 方案库 (1 campaigns)") && list.contains("草稿"), "{list}");

    // Who may do what: the planner cannot approve; an approver cannot approve a draft.
    refused(
        &["campaign", "approve", "renew", "--as", "plan"],
        dir,
        &["plan has role planner (维系策划)", "approving and rejecting campaigns needs role approver"],
    );
    refused(&["campaign", "approve", "renew", "--as", "a1"], dir, &["conflict:", "cannot approve"]);
    refused(&["campaign", "submit", "renew", "--as", "a1"], dir, &["a1 has role approver"]);

    // The preview draws as the execution will; it changes nothing.
    let preview = json(
        &["campaign", "preview", "renew", "--as-of", "2026-11-01", "--sample", "3", "--format", "json"],
        dir,
    );
    let (treated, control) =
        (preview["treated"].as_u64().expect("n"), preview["control"].as_u64().expect("n"));
    assert!(treated > 0 && control > 0, "{preview}");
    assert_eq!(preview["sample"].as_array().expect("sample").len(), 3);
    let shown = ok(&["campaign", "preview", "renew", "--as-of", "2026-11-01"], dir);
    assert!(shown.contains("campaign preview 方案预演 renew as of 2026-11-01"), "{shown}");

    ok(&["campaign", "submit", "renew", "--as", "plan"], dir);
    let first = ok(&["campaign", "approve", "renew", "--as", "a1", "--comment", "fine"], dir);
    assert!(first.contains("approve by a1 → submitted 待审批 (approvals 1/2)"), "{first}");
    refused(&["campaign", "approve", "renew", "--as", "a1"], dir, &["earlier level"]);
    let second = ok(&["campaign", "approve", "renew", "--as", "a2", "--comment", "ok"], dir);
    assert!(second.contains("→ approved 已审批 (approvals 2/2)"), "{second}");

    // Executing needs the date of the data (a usage error without it), and one the plan covers.
    let missing = weiwan(&["campaign", "execute", "renew", "--as", "plan"], dir);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    refused(
        &["campaign", "execute", "renew", "--as-of", "2027-02-01", "--as", "plan"],
        dir,
        &["conflict:", "runs 2026-11-01 to 2026-12-31"],
    );
    let executed = ok(&["campaign", "execute", "renew", "--as-of", "2026-11-01", "--as", "plan"], dir);
    assert!(executed.contains("→ running 执行中"), "{executed}");
    assert!(executed.contains(&format!("{treated} treated 干预组, {control} control 对照组")), "{executed}");

    let view = json(&["campaign", "show", "renew", "--format", "json"], dir);
    assert_eq!(view["status"], "running", "{view}");
    assert_eq!(view["status_zh"], "执行中");
    assert_eq!((view["treated"].as_u64(), view["control"].as_u64()), (Some(treated), Some(control)));
    assert_eq!((view["approvals"].as_i64(), view["approvals_required"].as_i64()), (Some(2), Some(2)));
    assert_eq!(view["plan"]["budget"], "90000.00");
    let history: Vec<&str> = view["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["action"].as_str().expect("a"))
        .collect();
    assert_eq!(history, ["create", "submit", "approve", "approve", "execute"]);
    let shown = ok(&["campaign", "show", "renew"], dir);
    for expected in
        ["status 状态: running 执行中 (approvals 审批 2/2)", "budget 预算: 90000.00 yuan", "a2 ", "fine"]
    {
        assert!(shown.contains(expected), "{expected:?} in {shown}");
    }

    // Pausing and resuming; a paused campaign cannot be paused again.
    ok(&["campaign", "pause", "renew", "--as", "plan"], dir);
    refused(&["campaign", "pause", "renew", "--as", "plan"], dir, &["cannot pause"]);
    ok(&["campaign", "resume", "renew", "--as", "plan"], dir);

    // The evaluation: the simulator knows nothing of campaigns, so the interval covers 0.
    let evaluation =
        json(&["campaign", "evaluate", "renew", "--as-of", "2026-12-01", "--format", "json"], dir);
    let e = &evaluation["evaluation"];
    let members = e["treated"]["members"].as_u64().expect("n") + e["control"]["members"].as_u64().expect("n");
    assert_eq!(
        members + evaluation["unknown_members"].as_u64().expect("n"),
        treated + control,
        "{evaluation}"
    );
    let uplift = &e["retention_uplift"];
    let (low, high) = (uplift["low"].as_f64().expect("low"), uplift["high"].as_f64().expect("high"));
    assert!(low <= 0.0 && 0.0 <= high, "{uplift}");
    assert_eq!(evaluation["take_ups"], 0);
    assert_eq!(evaluation["targets"][0]["kpi"], "take_up");
    assert!(evaluation["by_channel"].as_array().is_some_and(|c| c.len() == 2), "{evaluation}");
    let report = ok(&["campaign", "evaluate", "renew", "--as-of", "2026-12-01"], dir);
    for expected in [
        "campaign evaluation 效果评估 renew as of 2026-12-01",
        "treated 干预组",
        "control 对照组",
        "retention uplift 保有率提升:",
        "pp (95% interval",
        "by channel 按渠道:",
        "by manager 按客户经理",
        "take_up",
    ] {
        assert!(report.contains(expected), "{expected:?} in {report}");
    }
    refused(
        &["campaign", "evaluate", "renew", "--as-of", "2026-11-01"],
        dir,
        &["invalid request: as_of: 2026-11-01 is not after the campaign started"],
    );

    // Ending keeps it in the library; a clone starts as a draft.
    ok(&["campaign", "end", "renew", "--as", "plan", "--comment", "done"], dir);
    let cloned = ok(&["campaign", "clone", "renew", "renew-2027", "--as", "plan"], dir);
    assert!(cloned.contains("renew-2027 cloned from renew"), "{cloned}");
    refused(&["campaign", "clone", "renew", "renew-2027", "--as", "plan"], dir, &["conflict:", "exists"]);
    refused(&["campaign", "show", "nope"], dir, &["not found: campaign nope"]);
    let library = json(&["campaign", "list", "--format", "json"], dir);
    assert_eq!(library.as_array().expect("campaigns").len(), 2);
}
