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

#[test]
fn users_rules_and_events_from_the_command_line() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let generated = weiwan(&["demo", "--subscribers", "300", "--months", "4"], dir);
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
