//! The `weiwan` binary as a user runs it: exit statuses, what it prints, what it leaves behind.

use std::path::Path;
use std::process::{Command, Output};

fn weiwan(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weiwan"))
        .args(args)
        .current_dir(cwd)
        .env_remove("WEIWAN_DB")
        .env_remove("WEIWAN_DATA_DIR")
        .env_remove("WEIWAN_CONFIG")
        .env("WEIWAN_LOG", "warn")
        .output()
        .expect("the weiwan binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_runs_on_an_empty_directory_with_no_database_server() {
    let work = tempfile::tempdir().expect("tempdir");
    let output = weiwan(&["demo", "--subscribers", "600", "--months", "4"], work.path());
    assert!(output.status.success(), "demo failed: {}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("lines 号码 600"), "{stdout}");
    assert!(stdout.contains("by VIP tier 客户等级"), "{stdout}");
    assert!(stdout.contains("by branch 分公司"), "{stdout}");
    assert!(work.path().join("weiwan-data/weiwan.db").exists());
    assert!(work.path().join("weiwan-data/manifest.json").exists());

    // Running the demo again finds the same extract already imported.
    let again = weiwan(&["demo", "--subscribers", "600", "--months", "4"], work.path());
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("was imported before"), "{}", text(&again.stdout));
}

#[test]
fn a_bad_extract_exits_non_zero_naming_file_line_and_column() {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    let generated = weiwan(
        &["generate", "--subscribers", "300", "--months", "3", "--format", "csv", "--out", "extract"],
        work.path(),
    );
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    // Break one value on line 5 of plans.csv: a monthly fee with three decimals.
    let plans = std::fs::read_to_string(extract.join("plans.csv")).expect("plans.csv");
    let mut lines: Vec<String> = plans.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let fee_index = header.iter().position(|h| *h == "monthly_fee").expect("monthly_fee column");
    let mut fields: Vec<String> = lines[4].split(',').map(str::to_owned).collect();
    fields[fee_index] = "96.999".to_owned();
    lines[4] = fields.join(",");
    std::fs::write(extract.join("plans.csv"), lines.join("\n") + "\n").expect("write");

    let output = weiwan(&["import", "extract", "--db", "store.db", "--data-dir", "lake"], work.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("plans.csv, line 5, column monthly_fee: \"96.999\" is not an amount in yuan with at most 2 decimals"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(!work.path().join("lake").exists(), "no data directory is left behind");

    let summary = weiwan(&["summary", "--db", "store.db", "--data-dir", "lake"], work.path());
    assert!(summary.status.success(), "{}", text(&summary.stderr));
    assert!(text(&summary.stdout).contains("customers 客户 0  lines 号码 0"), "{}", text(&summary.stdout));
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
