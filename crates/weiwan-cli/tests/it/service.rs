//! The service from the command line: users, a rule book refused by name, an event file, and
//! `weiwan serve` answering on a real socket and stopping gracefully on SIGTERM.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{command, text, weiwan};

fn weiwan_with_password(args: &[&str], cwd: &std::path::Path, password: &str) -> std::process::Output {
    command(args, cwd).env("WEIWAN_PASSWORD", password).output().expect("the weiwan binary runs")
}

/// One HTTP/1.1 request over a plain socket; returns the status line and the body.
fn http(port: u16, method: &str, path: &str, headers: &str, body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// Signs in; returns the session cookie (`name=value`).
fn session_cookie(port: u16, login: &str, password: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let body = format!(r#"{{"login":"{login}","password":"{password}"}}"#);
    let request = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
        .lines()
        .find_map(|l| l.to_ascii_lowercase().starts_with("set-cookie:").then(|| l[11..].trim().to_owned()))
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .unwrap_or_else(|| panic!("no session cookie: {answer}"))
}

#[test]
fn users_rules_and_events_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let generated = weiwan(&["demo", "--no-serve", "--subscribers", "300", "--months", "4"], dir);
    assert!(generated.status.success(), "{}", text(&generated.stderr));

    // A user with a bad role and a short password is refused with both named.
    let bad =
        weiwan_with_password(&["user", "add", "--login", "x", "--name", "X", "--role", "boss"], dir, "short");
    assert!(!bad.status.success());
    let stderr = text(&bad.stderr);
    assert!(stderr.contains("role:") && stderr.contains("password: at least 10 characters"), "{stderr}");
    let ok = weiwan_with_password(
        &["user", "add", "--login", "root", "--name", "管理员", "--role", "admin"],
        dir,
        "a-long-password",
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let list = weiwan(&["user", "list"], dir);
    assert!(text(&list.stdout).contains("root"), "{}", text(&list.stdout));

    // The rule book in force, and a changed book refused by rule and field.
    let rules = weiwan(&["rules"], dir);
    assert!(text(&rules.stdout).contains("vip_arrears"), "{}", text(&rules.stdout));
    let book = dir.join("rules.toml");
    std::fs::write(
        &book,
        weiwan_decision::BUILTIN_SOURCE.replace("priority = \"urgent\"", "priority = \"asap\""),
    )
    .expect("write");
    let refused = weiwan(&["rules", "load", book.to_str().expect("utf8")], dir);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("priority"), "{}", text(&refused.stderr));
    let broken_sql = weiwan_decision::BUILTIN_SOURCE
        .replace("version = \"builtin-1\"", "version = \"broken\"")
        .replace("AND t.mou_last = 0", "AND t.no_such_column = 0");
    std::fs::write(&book, broken_sql).expect("write");
    let refused = weiwan(&["rules", "load", book.to_str().expect("utf8")], dir);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("rule zero_usage"), "{}", text(&refused.stderr));
    assert!(text(&weiwan(&["rules"], dir).stdout).contains("builtin-1"), "the book in force stays");

    // An event file with an unknown line is refused, naming the line of the file.
    let events = dir.join("events.csv");
    std::fs::write(
        &events,
        "event_id,subscription_id,occurred_at,event_type,detail\nx1,NOPE,2026-11-20 10:00:00,arrears,\n",
    )
    .expect("write");
    let refused = weiwan(&["events", "import", events.to_str().expect("utf8")], dir);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("events.csv, line 2: subscription_id \"NOPE\" is not a known line"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn serve_answers_on_a_socket_and_stops_gracefully() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let ok = weiwan_with_password(
        &["user", "add", "--login", "ana", "--name", "分析", "--role", "analyst"],
        dir,
        "a-long-password",
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let server = command(&["serve", "--bind", &format!("127.0.0.1:{port}")], dir)
        .env("WEIWAN_LOG", "info")
        .env("WEIWAN_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not start listening");
        std::thread::yield_now();
    }
    let (status, body) = http(port, "GET", "/healthz", "", "");
    assert!(status.contains("200"), "{status} {body}");
    let (status, _) = http(port, "GET", "/api/v1/tasks", "", "");
    assert!(status.contains("401"), "{status}");
    let (status, body) =
        http(port, "POST", "/api/v1/login", "", r#"{"login":"ana","password":"a-long-password"}"#);
    assert!(status.contains("200"), "{status} {body}");
    let (status, body) = http(port, "GET", "/metrics", "", "");
    assert!(status.contains("200") && body.contains("weiwan_http_requests_total"), "{status} {body}");

    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let output = server.wait_with_output().expect("the server exits");
    let log = text(&output.stderr);
    assert!(output.status.success(), "exit {:?}: {log}", output.status);
    // Structured logs: one JSON object a line, the shutdown among them.
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON log line"))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"].as_str().is_some_and(|m| m.contains("shutting down"))),
        "{log}"
    );
}

#[test]
fn serve_builds_the_policy_index_and_answers_policy_views() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let demo = weiwan(&["demo", "--no-serve", "--subscribers", "300", "--months", "4"], dir);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    for (login, role) in [("pat", "planner"), ("ana", "analyst")] {
        let ok = weiwan_with_password(
            &["user", "add", "--login", login, "--name", login, "--role", role],
            dir,
            "a-long-password",
        );
        assert!(ok.status.success(), "{}", text(&ok.stderr));
    }
    // The demo loaded the built-in offer catalog.
    let catalog = weiwan(&["offer", "list"], dir);
    assert!(text(&catalog.stdout).contains("prepay_bonus_100"), "{}", text(&catalog.stdout));
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut server = command(&["serve", "--bind", &format!("127.0.0.1:{port}")], dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not start listening");
        std::thread::yield_now();
    }
    let auth = format!("Cookie: {}\r\n", session_cookie(port, "ana", "a-long-password"));
    // The index is built from the demo's tagged 360 table while the server already answers.
    let index = loop {
        let (status, body) = http(port, "GET", "/api/v1/policy-index", &auth, "");
        if status.contains("200") {
            break serde_json::from_str::<serde_json::Value>(&body).expect("json");
        }
        assert!(status.contains("409"), "{status} {body}");
        assert!(started.elapsed() < Duration::from_secs(120), "no index: {body}");
        std::thread::yield_now();
    };
    assert_eq!(index["as_of"], "2026-11-01", "{index}");
    assert!(index["customers"].as_u64().expect("customers") > 100, "{index}");
    assert_eq!(index["offers"], 13, "the built-in catalog: {index}");
    let (_, tasks) = http(port, "GET", "/api/v1/tasks?limit=1", &auth, "");
    let tasks: serde_json::Value = serde_json::from_str(&tasks).expect("json");
    let customer = tasks["tasks"][0]["customer_id"].as_str().expect("a task of the demo's batch").to_owned();
    let (status, body) =
        http(port, "GET", &format!("/api/v1/customers/{customer}/policy-view?channel=store"), &auth, "");
    assert!(status.contains("200"), "{status} {body}");
    let view: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (view["customer_id"].as_str(), view["data_as_of"].as_str()),
        (Some(customer.as_str()), Some("2026-11-01"))
    );
    assert!(
        view["open_tasks"].as_array().expect("tasks").iter().any(|t| t["customer_id"] == customer.as_str())
    );
    assert!(view["contact"]["allowed"].is_boolean() && view["offers"].is_array(), "{view}");
    let (status, body) =
        http(port, "GET", &format!("/api/v1/customers/{customer}/policy-view?channel=fax"), &auth, "");
    assert!(status.contains("400") && body.contains("channel"), "{status} {body}");
    server.kill().expect("stop");
    let _ = server.wait();
}
