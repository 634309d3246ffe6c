//! Progress bars on stderr for the long operations (`import`, `run`, `churn train-lake`,
//! `demo`), drawn from the same progress calls a console page polls (`weiwan_app::progress`).
//!
//! indicatif hides the bars when stderr is not a terminal, so logs, pipes and tests see none
//! of them. Log lines go through [`AboveBars`], which prints them above the bars instead of
//! through them. Each finished stage leaves one line (`✓ [2/4] validate 校验数据 1.2s  35.79 MiB`)
//! and its bar is cleared, so that no bar is left on screen when a command prints its results.

use std::io::Write;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use weiwan_app::{Operation, Progress, ProgressSink, Stage, Unit};

/// Every bar of the process is drawn through this one, so that log lines can be printed
/// above whatever bar is showing.
static BARS: LazyLock<MultiProgress> = LazyLock::new(MultiProgress::new);

/// A sink that draws the operations it is given as progress bars on stderr.
pub fn bars() -> ProgressSink {
    ProgressSink::new(TerminalBars::default())
}

#[derive(Debug, Default)]
struct TerminalBars {
    shown: Mutex<Shown>,
}

#[derive(Debug, Default)]
struct Shown {
    operation: Option<Operation>,
    bar: Option<ProgressBar>,
    /// What the shown bar counts, if it counts.
    unit: Option<Unit>,
}

impl TerminalBars {
    fn lock(&self) -> MutexGuard<'_, Shown> {
        self.shown.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Progress for TerminalBars {
    fn begin(&self, operation: Operation) {
        let mut shown = self.lock();
        clear(shown.bar.take());
        shown.operation = Some(operation);
    }

    fn stage(&self, stage: Stage, total: Option<u64>) {
        let mut shown = self.lock();
        clear(shown.bar.take());
        let stages = shown.operation.map(Operation::stages).unwrap_or_default();
        let position = stages
            .iter()
            .position(|&s| s == stage)
            .map_or(String::new(), |index| format!("[{}/{}] ", index + 1, stages.len()));
        let (bar, unit) = match (total, stage.unit()) {
            (Some(total), Some(unit)) => {
                (ProgressBar::new(total).with_style(style(&counting_template(unit))), Some(unit))
            }
            _ => (ProgressBar::new_spinner().with_style(style(SPINNER)), None),
        };
        let bar = BARS.add(bar.with_prefix(format!("{position}{} {}", stage.label_en(), stage.label_zh())));
        bar.enable_steady_tick(Duration::from_millis(120));
        shown.bar = Some(bar);
        shown.unit = unit;
    }

    fn advance(&self, units: u64) {
        if let Some(bar) = &self.lock().bar {
            bar.inc(units);
        }
    }

    fn finish_stage(&self) {
        let mut shown = self.lock();
        if let Some(bar) = shown.bar.take() {
            // A counting stage is summed up by its count; the others by their last message,
            // which the use cases make a summary ("customer 360: 6000 lines").
            let summary = match shown.unit {
                Some(unit) => count(unit, bar.position()),
                None => bar.message(),
            };
            let line = format!("✓ {} {:.1}s  {summary}", bar.prefix(), bar.elapsed().as_secs_f64());
            clear(Some(bar));
            print_line(line.trim_end());
        }
    }

    fn message(&self, text: &str) {
        if let Some(bar) = &self.lock().bar {
            bar.set_message(text.to_owned());
        }
    }

    fn end(&self, error: Option<&weiwan_app::Error>) {
        let mut shown = self.lock();
        if let Some(bar) = shown.bar.take() {
            // The error itself is printed by `main`, once.
            let mark = if error.is_some() { "✗" } else { "✓" };
            let line = format!("{mark} {} {:.1}s", bar.prefix(), bar.elapsed().as_secs_f64());
            clear(Some(bar));
            print_line(&line);
        }
        shown.operation = None;
    }
}

/// Prints a line that stays, when the bars are shown (stderr is a terminal).
fn print_line(line: &str) {
    if !BARS.is_hidden() {
        BARS.suspend(|| eprintln!("{line}"));
    }
}

fn count(unit: Unit, units: u64) -> String {
    match unit {
        Unit::Bytes => indicatif::BinaryBytes(units).to_string(),
        Unit::Rows => format!("{} rows", indicatif::HumanCount(units)),
        Unit::TargetGroups => format!("{units} target groups"),
        Unit::Rules => format!("{units} rules"),
    }
}

fn clear(bar: Option<ProgressBar>) {
    if let Some(bar) = bar {
        bar.finish_and_clear();
        BARS.remove(&bar);
    }
}

/// A stage that counts nothing: a spinner and the time it has run.
const SPINNER: &str = "{spinner:.green} {prefix} {elapsed} {wide_msg}";

/// A bar for a stage that counts its units.
fn counting_template(unit: Unit) -> String {
    let counts = match unit {
        Unit::Bytes => "{binary_bytes}/{binary_total_bytes}",
        Unit::Rows => "{human_pos}/{human_len} rows",
        Unit::TargetGroups => "{pos}/{len} target groups",
        Unit::Rules => "{pos}/{len} rules",
    };
    format!("{{spinner:.green}} {{prefix}} [{{bar:30.cyan/blue}}] {counts} ({{eta}}) {{wide_msg}}")
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants of this module (a test parses each); should one break, a
    // plain bar is still better than no command.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Where log lines are written: stderr, above the bars (which are redrawn below them).
#[derive(Debug, Clone, Copy, Default)]
pub struct AboveBars;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for AboveBars {
    type Writer = AboveBars;

    fn make_writer(&'a self) -> AboveBars {
        AboveBars
    }
}

impl Write for AboveBars {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        BARS.suspend(|| std::io::stderr().write(bytes))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for unit in [Unit::Bytes, Unit::Rows, Unit::TargetGroups, Unit::Rules] {
            let template = counting_template(unit);
            assert!(ProgressStyle::with_template(&template).is_ok(), "{template}");
        }
        assert!(ProgressStyle::with_template(SPINNER).is_ok());
    }

    /// Stages reported out of the plan, twice, or after the end must not panic: a display
    /// never takes a command down.
    #[test]
    fn bars_follow_any_sequence_of_calls() {
        let sink = bars();
        sink.advance(3);
        sink.finish_stage();
        sink.begin(Operation::DailyBatch);
        sink.stage(Stage::Customer360, None);
        sink.message("customer 360: 10 lines");
        sink.stage(Stage::ChurnScores, Some(10));
        sink.advance(20);
        sink.finish_stage();
        sink.finish_stage();
        sink.stage(Stage::Fit, Some(1));
        sink.end(Some(&weiwan_app::Error::Invalid("stopped".into())));
        sink.advance(1);
        sink.end(None);
    }
}
