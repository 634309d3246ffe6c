//! `weiwan-loadgen`: an open-loop load generator for `POST /api/v1/events` and for
//! `GET /api/v1/customers/{id}/policy-view`.
//!
//! Requests are scheduled at a fixed rate and each is sent on its own task, so a slow answer
//! never delays the next request (no coordinated omission); latency is measured from the
//! moment a request was due, not from when it was sent. The server raises an event's tasks
//! in the same transaction that stores the event, so a request's latency is the event → task
//! latency. Bounded in time by `--seconds`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    /// POST /api/v1/events, one event a request (an api_client token).
    Events,
    /// GET /api/v1/customers/{id}/policy-view (a token of a role that views customers).
    PolicyView,
}

#[derive(Debug, Parser)]
#[command(about = "Open-loop load on the weiwan API; prints latency percentiles as JSON")]
struct Args {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    url: String,
    /// API token (Bearer) of the user sending the requests.
    #[arg(long, env = "WEIWAN_TOKEN")]
    token: String,
    #[arg(long, value_enum, default_value = "events")]
    target: Target,
    /// A CSV whose first column names the subjects: subscription_id (events) or customer_id
    /// (policy views), e.g. the extract's subscriptions.csv or customers.csv.
    #[arg(long, alias = "subscriptions")]
    subjects: PathBuf,
    /// The asking channel of policy views.
    #[arg(long, default_value = "store")]
    channel: String,
    /// Events per second.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// How long to send.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Prefix of event ids, so repeated runs do not replay each other's events.
    #[arg(long, default_value = "load")]
    run_id: String,
    /// Event type sent (it must raise a task for the benchmark to mean anything).
    #[arg(long, default_value = "competitor_service_call")]
    event_type: String,
}

#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    failed: u64,
    tasks: u64,
    /// Bytes of the successful answers' bodies.
    bytes: u64,
    first_error: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let column = match args.target {
        Target::Events => "subscription_id",
        Target::PolicyView => "customer_id",
    };
    let subjects = read_subjects(&args.subjects, column)?;
    if subjects.is_empty() {
        bail!("{} lists no {column}", args.subjects.display());
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()
        .context("failed to build the HTTP client")?;
    let base = args.url.trim_end_matches('/').to_owned();
    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let total = args.rate * args.seconds;
    let period = Duration::from_secs_f64(1.0 / args.rate as f64);
    let started = Instant::now();
    let mut handles = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + period.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        // Each request is about another subject (cycling): each event raises its own task,
        // and policy views do not hit one customer's rows over and over.
        let subject = &subjects[(n as usize) % subjects.len()];
        let request = match args.target {
            Target::Events => client.post(format!("{base}/api/v1/events")).json(&serde_json::json!({
                "event_id": format!("{}-{n}", args.run_id),
                "subscription_id": subject,
                "occurred_at": "2026-11-20 10:00:00",
                "event_type": args.event_type,
                "detail": "load test",
            })),
            Target::PolicyView => {
                client.get(format!("{base}/api/v1/customers/{subject}/policy-view?channel={}", args.channel))
            }
        }
        .bearer_auth(&args.token);
        let (histogram, tally) = (histogram.clone(), tally.clone());
        handles.push(tokio::spawn(async move {
            // The whole answer is read before the clock stops, and before the tallies are
            // locked, so slow bodies neither hide nor queue behind each other.
            let answer = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    response.bytes().await.map(|body| (status, body))
                }
                Err(err) => Err(err),
            };
            let micros = due.elapsed().as_micros().max(1) as u64;
            match answer {
                Ok((status, body)) if status.is_success() => {
                    let tasks = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["tasks"].as_array().map(|t| t.len() as u64))
                        .unwrap_or(0);
                    histogram.lock().await.saturating_record(micros);
                    let mut tally = tally.lock().await;
                    tally.ok += 1;
                    tally.tasks += tasks;
                    tally.bytes += body.len() as u64;
                }
                Ok((status, body)) => {
                    let mut tally = tally.lock().await;
                    tally.failed += 1;
                    let text = String::from_utf8_lossy(&body);
                    tally.first_error.get_or_insert_with(|| format!("{status}: {text}"));
                }
                Err(err) => {
                    let mut tally = tally.lock().await;
                    tally.failed += 1;
                    tally.first_error.get_or_insert_with(|| err.to_string());
                }
            }
        }));
    }
    let sending = started.elapsed();
    for handle in handles {
        handle.await.context("a request task panicked")?;
    }
    let elapsed = started.elapsed();
    let histogram = histogram.lock().await;
    let tally = tally.lock().await;
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    let report = serde_json::json!({
        "target": format!("{:?}", args.target),
        "target_rate": args.rate,
        "sent": total,
        "achieved_rate": (total as f64 / sending.as_secs_f64()).round(),
        "ok": tally.ok,
        "failed": tally.failed,
        "tasks_raised": tally.tasks,
        "mean_body_bytes": tally.bytes.checked_div(tally.ok).unwrap_or(0),
        "p50_ms": ms(0.50),
        "p90_ms": ms(0.90),
        "p99_ms": ms(0.99),
        "p999_ms": ms(0.999),
        "max_ms": histogram.max() as f64 / 1000.0,
        "seconds": elapsed.as_secs_f64(),
        "first_error": tally.first_error,
    });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report)?;
    std::io::Write::write_all(&mut out, b"\n")?;
    if tally.failed > 0 {
        bail!("{} of {total} requests failed", tally.failed);
    }
    Ok(())
}

fn read_subjects(path: &PathBuf, column: &str) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))?;
    let mut rows = text.lines();
    let header = rows.next().unwrap_or_default();
    if header.split(',').next() != Some(column) {
        bail!("{}: the first column must be {column}", path.display());
    }
    Ok(rows.filter_map(|row| row.split(',').next()).filter(|id| !id.is_empty()).map(str::to_owned).collect())
}
