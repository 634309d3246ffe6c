//! The `weiwan` binary as a user runs it: exit statuses, what it prints, what it leaves behind.

use std::path::Path;
use std::process::{Command, Output};

/// The binary with arguments, run in `cwd` with none of the caller's weiwan settings.
pub(crate) fn command(args: &[&str], cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weiwan"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("WEIWAN_DB")
        .env_remove("WEIWAN_DATA_DIR")
        .env_remove("WEIWAN_CONFIG")
        .env("WEIWAN_LOG", "warn");
    command
}

pub(crate) fn weiwan(args: &[&str], cwd: &Path) -> Output {
    command(args, cwd).output().expect("the weiwan binary runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_runs_on_an_empty_directory_with_no_database_server() {
    let work = tempfile::tempdir().expect("tempdir");
    let output = weiwan(&["demo", "--no-serve", "--subscribers", "600", "--months", "4"], work.path());
    assert!(output.status.success(), "demo failed: {}", text(&output.stderr));
    // stderr is a pipe here: no progress bar, no escape sequence, no stage line.
    let stderr = text(&output.stderr);
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('✓'), "{stderr:?}");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("lines 号码 600"), "{stdout}");
    assert!(stdout.contains("by VIP tier 客户等级"), "{stdout}");
    assert!(stdout.contains("by branch 分公司"), "{stdout}");
    assert!(stdout.contains("customer 360 客户360视图 as of 2026-11-01:"), "{stdout}");
    assert!(work.path().join("weiwan-data/customer_360/as_of=2026-11-01.parquet").exists());
    assert!(stdout.contains("tags 标签 (13 tags, library builtin-3)"), "{stdout}");
    assert!(work.path().join("weiwan-data/tags/as_of=2026-11-01.parquet").exists());
    assert!(work.path().join("weiwan-data/weiwan.db").exists());
    assert!(work.path().join("weiwan-data/manifest.json").exists());
    // A 中高端 cohort two months back (half of the 4-month history), followed to today.
    assert!(
        stdout.contains("cohort 拍照 demo-vip-2026-09-01 taken on 2026-09-01, as of 2026-11-01"),
        "{stdout}"
    );
    assert!(stdout.contains("target group 客户群 vip_contract_expiring:"), "{stdout}");
    // Four months of history are too few for the churn model's two labelled windows.
    assert!(stdout.contains("churn model 流失预测模型: not trained; it needs 9 months"), "{stdout}");
    assert!(stdout.contains("churn scores 流失评分: no model in force"), "{stdout}");
    // One demo login per role, printed; with --no-serve the demo ends without serving.
    assert!(stdout.contains("demo logins 演示账号 (password 密码: weiwan-demo)"), "{stdout}");
    for login in ["admin", "planner", "approver", "manager", "clerk", "agent", "analyst", "executive"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(&format!("{login} "))),
            "{login}: {stdout}"
        );
    }
    assert!(!stdout.contains("weiwan console on"), "{stdout}");

    // Running the demo again finds the same extract already imported.
    let again = weiwan(&["demo", "--no-serve", "--subscribers", "600", "--months", "4"], work.path());
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("was imported before"), "{}", text(&again.stdout));
}

/// Every file under a directory with its bytes: equal trees, equal maps.
fn tree(root: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(root).expect("prefix").to_owned(),
                    std::fs::read(&path).expect("read"),
                );
            }
        }
    }
    out
}

/// Imports a good extract, then a copy with one bad value in plans.csv: the second import must
/// exit with status 1 naming the place, and leave the store and the data directory as they were.
fn a_bad_extract_is_refused_and_changes_nothing(db: &str) {
    let work = tempfile::tempdir().expect("tempdir");
    let generated = weiwan(
        &["generate", "--subscribers", "300", "--months", "3", "--format", "csv", "--out", "good"],
        work.path(),
    );
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let imported = weiwan(&["import", "good", "--db", db, "--data-dir", "lake"], work.path());
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let summary_before = weiwan(&["summary", "--db", db, "--data-dir", "lake"], work.path());
    assert!(text(&summary_before.stdout).contains("lines 号码 300"), "{}", text(&summary_before.stdout));
    let lake_before = tree(&work.path().join("lake"));

    // The next extract: the same entity files, one monthly fee with three decimals on line 5.
    let bad = work.path().join("bad");
    std::fs::create_dir_all(&bad).expect("mkdir");
    for table in ["branches", "managers", "plans", "customers", "subscriptions"] {
        std::fs::copy(work.path().join(format!("good/{table}.csv")), bad.join(format!("{table}.csv")))
            .expect("copy");
    }
    let plans = std::fs::read_to_string(bad.join("plans.csv")).expect("plans.csv");
    let mut lines: Vec<String> = plans.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let fee_index = header.iter().position(|h| *h == "monthly_fee").expect("monthly_fee column");
    let mut fields: Vec<String> = lines[4].split(',').map(str::to_owned).collect();
    fields[fee_index] = "96.999".to_owned();
    lines[4] = fields.join(",");
    std::fs::write(bad.join("plans.csv"), lines.join("\n") + "\n").expect("write");

    let output = weiwan(&["import", "bad", "--db", db, "--data-dir", "lake"], work.path());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("plans.csv, line 5, column monthly_fee: \"96.999\" is not an amount in yuan with at most 2 decimals"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let summary_after = weiwan(&["summary", "--db", db, "--data-dir", "lake"], work.path());
    assert_eq!(text(&summary_after.stdout), text(&summary_before.stdout), "the store is unchanged");
    assert!(tree(&work.path().join("lake")) == lake_before, "the data directory is unchanged");
}

#[test]
fn a_bad_extract_is_refused_on_sqlite() {
    a_bad_extract_is_refused_and_changes_nothing("store.db");
}

#[test]
fn a_bad_extract_is_refused_on_postgresql() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if let Some(url) = runtime.block_on(weiwan_storage::testing::postgres_url("cli_bad_extract")) {
        a_bad_extract_is_refused_and_changes_nothing(&url);
    }
}

#[test]
fn the_batch_refuses_bad_dates_and_an_empty_base() {
    let work = tempfile::tempdir().expect("tempdir");
    let bad_date =
        weiwan(&["run", "--as-of", "2026-11-1", "--db", "s.db", "--data-dir", "lake"], work.path());
    assert_eq!(bad_date.status.code(), Some(1));
    assert!(
        text(&bad_date.stderr).contains("--as-of \"2026-11-1\" is not a date YYYY-MM-DD"),
        "{}",
        text(&bad_date.stderr)
    );

    let empty = weiwan(&["run", "--as-of", "2026-11-01", "--db", "s.db", "--data-dir", "lake"], work.path());
    assert_eq!(empty.status.code(), Some(1));
    assert!(text(&empty.stderr).contains("nothing has been imported yet"), "{}", text(&empty.stderr));
    assert!(!work.path().join("lake").exists(), "a refused batch writes nothing");
}

#[test]
fn a_bad_tag_library_is_refused_and_the_library_in_force_stays() {
    let work = tempfile::tempdir().expect("tempdir");
    let listed = weiwan(&["tags", "--data-dir", "lake"], work.path());
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(
        text(&listed.stdout).contains("tag library 标签库 builtin-3 (13 tags)"),
        "{}",
        text(&listed.stdout)
    );
    assert!(text(&listed.stdout).contains("value_tier"), "{}", text(&listed.stdout));

    let library = "version = \"mine-1\"\n[[tag]]\nname = \"roamer\"\ncategory = \"customer\"\n\
                   owner = \"market\"\ndescription_zh = \"漫游用户\"\ndescription_en = \"roams\"\n\
                   expr = \"roaming_mb > 0\"\n";
    std::fs::write(work.path().join("mine.toml"), library).expect("write");
    let refused = weiwan(&["tags", "load", "mine.toml", "--data-dir", "lake"], work.path());
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("tag library refused, the library in force is unchanged"), "{stderr}");
    assert!(stderr.contains("tag roamer:") && stderr.contains("roaming_mb"), "{stderr}");
    let listed = weiwan(&["tags", "--data-dir", "lake"], work.path());
    assert!(text(&listed.stdout).contains("builtin-3"), "{}", text(&listed.stdout));

    std::fs::write(work.path().join("mine.toml"), library.replace("roaming_mb > 0", "data_mb_3m > 0"))
        .expect("write");
    let loaded = weiwan(&["tags", "load", "mine.toml", "--data-dir", "lake"], work.path());
    assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    assert!(
        text(&loaded.stdout).contains("tag library mine-1 is in force: 1 tags"),
        "{}",
        text(&loaded.stdout)
    );
}

#[test]
fn usage_errors_exit_with_status_2() {
    let work = tempfile::tempdir().expect("tempdir");
    let output = weiwan(&["generate", "--months", "3"], work.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--subscribers"), "{}", text(&output.stderr));
}

#[test]
fn a_config_file_supplies_defaults_and_bad_keys_are_refused() {
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::write(work.path().join("weiwan.toml"), "db = \"from-config.db\"\n").expect("write");
    let output = weiwan(&["summary"], work.path());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(work.path().join("from-config.db").exists());

    std::fs::write(work.path().join("weiwan.toml"), "database = \"x\"\n").expect("write");
    let output = weiwan(&["summary"], work.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("invalid config file weiwan.toml"), "{}", text(&output.stderr));
}

/// Target groups, a cohort and its KPIs as a planner runs them: JSON that parses, a CSV list,
/// and an analyst's write refused with exit status 1 and nothing written.
#[test]
fn segments_cohorts_and_kpis_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let demo = weiwan(&["demo", "--no-serve", "--subscribers", "800", "--months", "6"], work.path());
    assert!(demo.status.success(), "{}", text(&demo.stderr));

    let preview = weiwan(
        &[
            "segment",
            "preview",
            "--as-of",
            "2026-11-01",
            "--where",
            "value_level=high,mid",
            "--format",
            "json",
        ],
        work.path(),
    );
    assert!(preview.status.success(), "{}", text(&preview.stderr));
    let json: serde_json::Value = serde_json::from_slice(&preview.stdout).expect("preview json");
    let members = json["members"].as_u64().expect("members");
    let by_tier: u64 =
        json["by_tier"].as_array().expect("tiers").iter().map(|t| t[1].as_u64().expect("n")).sum();
    assert!(members > 0 && by_tier == members, "{json}");

    let out = work.path().join("list.csv");
    let export = weiwan(
        &["segment", "export", "--as-of", "2026-11-01", "--where", "value_level=high,mid", "--out"],
        work.path(),
    );
    assert_eq!(export.status.code(), Some(2), "--out needs a value");
    let export = weiwan(
        &[
            "segment",
            "export",
            "--as-of",
            "2026-11-01",
            "--where",
            "value_level=high,mid",
            "--out",
            out.to_str().expect("utf-8"),
        ],
        work.path(),
    );
    assert!(export.status.success(), "{}", text(&export.stderr));
    let csv = std::fs::read_to_string(&out).expect("csv");
    assert_eq!(csv.lines().count() as u64, members + 1, "a header and one line per member");
    assert!(csv.lines().nth(1).expect("a row").contains("****"), "MSISDNs are masked");

    let before = tree(&work.path().join("weiwan-data"));
    let refused = weiwan(
        &["segment", "preview", "--as-of", "2026-11-01", "--sql", "COPY (SELECT 1) TO 'leak.csv'"],
        work.path(),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("SQL refused"), "{}", text(&refused.stderr));
    let saved = weiwan(&["segment", "save", "x", "--sql", "DELETE FROM customer_360"], work.path());
    assert_eq!(saved.status.code(), Some(1));
    assert!(!work.path().join("leak.csv").exists());
    let listed = weiwan(&["segment", "list"], work.path());
    assert!(!text(&listed.stdout).contains("\n  x "), "{}", text(&listed.stdout));
    // Only the database file may have changed (SQLite touches it on open).
    let after = tree(&work.path().join("weiwan-data"));
    let lake_files = |t: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>| {
        t.iter()
            .filter(|(p, _)| !p.to_string_lossy().starts_with("weiwan.db"))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(lake_files(&before), lake_files(&after));

    let kpi = weiwan(
        &["kpi", "--cohort", "demo-vip-2026-08-01", "--as-of", "2026-11-01", "--format", "json"],
        work.path(),
    );
    assert!(kpi.status.success(), "{}", text(&kpi.stderr));
    let report: serde_json::Value = serde_json::from_slice(&kpi.stdout).expect("kpi json");
    assert_eq!(report["months"], serde_json::json!(["2026-08", "2026-09", "2026-10"]));
    let overall = &report["overall"];
    let counts = &overall["counts"];
    let retention = overall["kpis"]["retention_rate"]["value"].as_f64().expect("rate");
    let expected =
        1.0 - counts["lost"].as_f64().expect("lost") / counts["members"].as_f64().expect("members");
    assert!((retention - expected).abs() < 1e-12, "{report}");
    assert_eq!(overall["kpis"]["retention_rate"]["t0"], serde_json::json!(0.77));
    assert!(report["by_branch"].as_array().expect("branches").len() > 1);

    // The churn kinds split `left` exactly, in the KPIs and over the whole base.
    assert_eq!(
        counts["left"].as_i64(),
        Some(
            counts["left_external"].as_i64().expect("n")
                + counts["left_internal_switch"].as_i64().expect("n")
        )
    );
    let kinds =
        weiwan(&["churn", "kinds", "--as-of", "2026-11-01", "--lines", "--format", "json"], work.path());
    assert!(kinds.status.success(), "{}", text(&kinds.stderr));
    let kinds: serde_json::Value = serde_json::from_slice(&kinds.stdout).expect("kinds json");
    let all = &kinds["overall"];
    let n = |key: &str| all[key].as_i64().expect(key);
    assert_eq!(n("left"), n("external") + n("internal_switch"), "{all}");
    assert!(n("internal_switch") > 0, "the simulator's switchers are found: {all}");
    let lines = kinds["lines"].as_array().expect("lines");
    assert_eq!(lines.len() as i64, n("left") + n("dormant"));
    assert!(lines.iter().all(|l| l["kind"] != "internal_switch" || l["won_back_id"].is_null()));
    let text_report = weiwan(&["churn", "kinds", "--as-of", "2026-11-01", "--window-days", "0"], work.path());
    assert_eq!(text_report.status.code(), Some(1));
    assert!(text(&text_report.stderr).contains("window_days 0"), "{}", text(&text_report.stderr));

    let unknown = weiwan(&["kpi", "--cohort", "nope", "--as-of", "2026-11-01"], work.path());
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no cohort named \"nope\""), "{}", text(&unknown.stderr));
}

fn public(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/public/bigml").join(name).display().to_string()
}

#[test]
fn churn_train_score_and_evaluate_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let model = dir.join("model.json").display().to_string();
    let trained = weiwan(
        &[
            "churn",
            "train",
            "--csv",
            &public("churn-bigml-80.derived.csv"),
            "--label",
            "Churn",
            "--model",
            &model,
        ],
        dir,
    );
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    let stdout = text(&trained.stdout);
    assert!(
        stdout.contains("trained gradient-boosted trees on 2666 rows (388 left, 14.6%) with 19 features"),
        "{stdout}"
    );

    let scores = dir.join("scores.csv").display().to_string();
    let scored = weiwan(
        &["churn", "score", "--model", &model, "--csv", &public("churn-bigml-20.csv"), "--out", &scores],
        dir,
    );
    assert!(scored.status.success(), "{}", text(&scored.stderr));
    assert!(text(&scored.stdout).contains("scored 667 rows"), "{}", text(&scored.stdout));
    let written = std::fs::read_to_string(&scores).expect("scores written");
    assert!(written.starts_with("id,probability,decile,reasons_en,reasons_zh\n"));
    assert_eq!(written.lines().count(), 668);

    let evaluated = weiwan(
        &[
            "churn",
            "evaluate",
            "--csv",
            &public("churn-bigml-80.derived.csv"),
            "--label",
            "Churn",
            "--folds",
            "3",
            "--seed",
            "1",
            "--format",
            "json",
            "--algorithm",
            "naive-bayes",
        ],
        dir,
    );
    assert!(evaluated.status.success(), "{}", text(&evaluated.stderr));
    let report: serde_json::Value = serde_json::from_slice(&evaluated.stdout).expect("json");
    assert_eq!(report["algorithm"], "naive-bayes");
    assert_eq!(report["folds"], 3);
    for key in ["auc", "pr_auc", "top_decile_lift", "log_loss", "brier"] {
        assert!(report[key].as_f64().is_some_and(f64::is_finite), "{key} in {report}");
    }
    assert!(report["reliability"].as_array().is_some_and(|bins| !bins.is_empty()));
}

#[test]
fn churn_refuses_bad_training_and_scoring_files_by_name() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("write");
        path.display().to_string()
    };
    let mut good = String::from("id,minutes,plan,left\n");
    for i in 0..60 {
        good.push_str(&format!(
            "c{i},{},{},{}\n",
            i * 3,
            if i % 3 == 0 { "A" } else { "B" },
            if i % 4 == 0 { "Yes" } else { "No" }
        ));
    }
    let good = write("good.csv", &good);
    let model = dir.join("m.json").display().to_string();
    let refused = |args: &[&str], expected: &str| {
        let output = weiwan(args, dir);
        assert_eq!(output.status.code(), Some(1), "{args:?} should fail: {}", text(&output.stdout));
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    };

    refused(
        &["churn", "train", "--csv", &good, "--label", "churned", "--model", &model],
        "missing column \"churned\"",
    );
    let one_class = write("one.csv", "x,left\n1,No\n2,No\n3,No\n");
    refused(
        &["churn", "train", "--csv", &one_class, "--label", "left", "--model", &model],
        "every one of the 3 rows is negative",
    );
    let mut garbage = String::from("minutes,left\n");
    for i in 0..50 {
        garbage.push_str(&format!("{i},{}\n", if i % 2 == 0 { "Yes" } else { "No" }));
    }
    garbage.push_str("12x,No\n");
    let garbage = write("garbage.csv", &garbage);
    refused(
        &["churn", "train", "--csv", &garbage, "--label", "left", "--model", &model],
        "line 52: column \"minutes\" holds \"12x\", which is not a number",
    );
    assert!(!Path::new(&model).exists(), "a refused training writes no model");

    let trained =
        weiwan(&["churn", "train", "--csv", &good, "--label", "left", "--id", "id", "--model", &model], dir);
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    let other = write("other.csv", "id,mins,tariff\nc1,3,A\n");
    let out = dir.join("out.csv").display().to_string();
    refused(
        &["churn", "score", "--model", &model, "--csv", &other, "--out", &out],
        "missing columns \"minutes\", \"plan\"",
    );
    let bad_value = write("bad.csv", "id,minutes,plan\nc1,3,A\nc2,lots,B\n");
    refused(
        &["churn", "score", "--model", &model, "--csv", &bad_value, "--out", &out],
        "line 3: column \"minutes\"",
    );
    assert!(!Path::new(&out).exists(), "a refused scoring writes nothing");
    refused(&["churn", "score", "--model", &good, "--csv", &good, "--out", &out], "not a model file");
}

#[test]
fn clv_fits_the_published_cohorts_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../weiwan-clv/tests/data");
    let retention = data.join("fader_hardie_2007_retention.csv").display().to_string();
    let output = weiwan(
        &[
            "clv",
            "sbg",
            "--csv",
            &retention,
            "--period-column",
            "year",
            "--alive-column",
            "highend_alive_of_1000",
            "--fit-periods",
            "7",
            "--format",
            "json",
        ],
        work.path(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let round = |v: &serde_json::Value| (v.as_f64().expect("number") * 1000.0).round() / 1000.0;
    assert_eq!(round(&report["fit"]["params"]["alpha"]), 0.668);
    assert_eq!(round(&report["fit"]["params"]["beta"]), 3.806);
    assert_eq!(round(&report["del"]), 5.922);

    let refused = weiwan(&["clv", "sbg", "--csv", &retention, "--fit-periods", "7"], work.path());
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("alive"), "{}", text(&refused.stderr));

    let summary = data.join("cdnow_customers_summary.csv").display().to_string();
    let out = work.path().join("alive.csv");
    let fitted =
        weiwan(&["clv", "bgnbd", "--csv", &summary, "--out", &out.display().to_string()], work.path());
    assert!(fitted.status.success(), "{}", text(&fitted.stderr));
    assert!(
        text(&fitted.stdout).contains("r 0.2426, α 4.4135, a 0.7929, b 2.4258"),
        "{}",
        text(&fitted.stdout)
    );
    assert_eq!(std::fs::read_to_string(&out).expect("written").lines().count(), 2358);
}

#[test]
fn a_demo_with_enough_history_trains_a_churn_model_and_lists_the_riskiest() {
    let work = tempfile::tempdir().expect("tempdir");
    let demo = weiwan(&["demo", "--no-serve", "--subscribers", "2500", "--months", "10"], work.path());
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let stdout = text(&demo.stdout);
    assert!(stdout.contains("churn model 流失预测模型 trained on"), "{stdout}");
    assert!(
        stdout.contains("out-of-time test (fitted as of 2026-05-01, tested as of 2026-08-01"),
        "{stdout}"
    );
    assert!(stdout.contains("churn scores 流失评分 (churn-2026-11-01.json)"), "{stdout}");
    assert!(stdout.contains("target group 客户群 churn_risk_3m:"), "{stdout}");
    let model = work.path().join("weiwan-data/models/churn/churn-2026-11-01.json");
    assert!(model.exists());

    // Retraining from the command line replaces the model in force.
    let retrained = weiwan(&["churn", "train-lake", "--as-of", "2026-10-15"], work.path());
    assert!(retrained.status.success(), "{}", text(&retrained.stderr));
    let current =
        std::fs::read_to_string(work.path().join("weiwan-data/models/churn/CURRENT")).expect("pointer");
    assert_eq!(current.trim(), "churn-2026-10-15.json");
}

mod campaigns;
mod cases;
mod console;
mod groups_clubs;
mod service;
mod visits;
