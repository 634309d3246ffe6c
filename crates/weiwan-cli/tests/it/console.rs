//! The web console in a real browser: `weiwan demo` (a small operator, trained model, demo
//! logins) serving on a free port, and the Playwright tests of `e2e/console.test.mjs` driving
//! Debian's Chromium headless against it (log in as each role, work a task end to end, build a
//! target group, submit and approve a campaign, switch language, refused pages).
//!
//! Needs Node.js, `chromium` and `e2e/node_modules` (`npm ci --prefix e2e`, which this test runs
//! when the directory is missing). Without Node.js or Chromium the test says so and passes —
//! except under `CI=true`, where it fails: CI installs them (`.ci/run`).
//!
//! `WEIWAN_SCREENSHOTS=docs/screenshots` (relative to the repository) keeps the screenshots the
//! tests take; by default they go to a temporary directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{command, text};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository")
}

fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .into_iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        })
        .filter(|p| p.exists())
}

fn has_node() -> bool {
    Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Skips (outside CI) or fails (in CI) when the browser toolchain is missing.
fn missing(what: &str) -> bool {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is missing; CI must install it (see .ci/run)");
    }
    eprintln!("note: the console's browser tests did not run: {what} is missing (see README.md)");
    true
}

/// Kills the demo server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_console_works_in_a_real_browser() {
    let Some(chromium) = chromium() else {
        missing("Chromium (Debian package chromium)");
        return;
    };
    if !has_node() {
        missing("Node.js");
        return;
    }
    let repo = repository();
    let e2e = repo.join("e2e");
    if !e2e.join("node_modules/playwright-core").exists() {
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&e2e)
            .output()
            .expect("npm runs");
        assert!(installed.status.success(), "npm ci failed: {}", text(&installed.stderr));
    }

    let work = tempfile::tempdir().expect("tempdir");
    // Ten months: enough history for the churn model's two labelled windows.
    let mut child =
        command(&["demo", "--subscribers", "1500", "--months", "10", "--bind", "127.0.0.1:0"], work.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut printed = String::new();
    let mut url = None;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.expect("a line of the demo's output");
        printed.push_str(&line);
        printed.push('\n');
        if let Some(address) = line.strip_prefix("weiwan console on ") {
            url = Some(address.trim().trim_end_matches('/').to_owned());
            break;
        }
    }
    // Keep reading, so that the server never writes to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let url = url.unwrap_or_else(|| panic!("the demo did not serve the console:\n{printed}"));
    assert!(printed.contains("demo logins 演示账号"), "{printed}");

    let screenshots = match std::env::var_os("WEIWAN_SCREENSHOTS") {
        Some(dir) => repo.join(dir),
        None => work.path().join("screenshots"),
    };
    std::fs::create_dir_all(&screenshots).expect("screenshot directory");
    let output = Command::new("node")
        .args(["--test", "--test-reporter=spec", "console.test.mjs"])
        .current_dir(&e2e)
        .env("WEIWAN_URL", &url)
        .env("WEIWAN_PASSWORD", "weiwan-demo")
        .env("CHROMIUM", &chromium)
        .env("SCREENSHOTS", &screenshots)
        .output()
        .expect("node runs");
    drop(server);
    assert!(
        output.status.success(),
        "the browser tests failed:\n{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
