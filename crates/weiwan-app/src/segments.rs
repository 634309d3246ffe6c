//! Target groups (客户群) and snapshot cohorts (拍照): saving, previewing and exporting target
//! groups, taking snapshots and computing their KPIs. Definitions live in the store; member
//! lists and cohorts in the data directory.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use weiwan_analytics::segments::{self, ScheduledRun, check_name, check_segment};
use weiwan_analytics::{
    KpiReport, KpiSettings, Lake, Preview, Schedule, Segment, SegmentQuery, SegmentRefused,
};
use weiwan_storage::{CohortRecord, SegmentRecord, Store};

use crate::error::{Error, Result};
use crate::progress::{ProgressSink, Stage};

/// A target group with where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedSegment {
    pub segment: Segment,
    /// Shipped with weiwan (a fixed scenario), or saved by someone.
    pub builtin: bool,
    pub saved_at: Option<String>,
}

fn refused(problem: String) -> Error {
    Error::SegmentRefused(SegmentRefused { problems: vec![problem] })
}

fn from_record(record: SegmentRecord) -> Result<ListedSegment> {
    let schedule = record.schedule.parse().map_err(|e: String| Error::Invalid(e))?;
    Ok(ListedSegment {
        segment: Segment {
            name: record.name,
            description: record.description,
            schedule,
            query: SegmentQuery::from_stored(&record.mode, &record.definition)?,
        },
        builtin: false,
        saved_at: Some(record.saved_at),
    })
}

/// The fixed scenarios, then the saved target groups.
pub async fn list_segments(store: &dyn Store) -> Result<Vec<ListedSegment>> {
    let mut out: Vec<ListedSegment> = segments::scenarios()?
        .into_iter()
        .map(|segment| ListedSegment { segment, builtin: true, saved_at: None })
        .collect();
    for record in store.segments().await? {
        out.push(from_record(record)?);
    }
    Ok(out)
}

/// A target group by name.
pub async fn find_segment(store: &dyn Store, name: &str) -> Result<Segment> {
    list_segments(store)
        .await?
        .into_iter()
        .find(|listed| listed.segment.name == name)
        .map(|listed| listed.segment)
        .ok_or_else(|| {
            Error::Invalid(format!("no target group named {name:?}; `weiwan segment list` shows them"))
        })
}

/// Checks a definition against the tagged 360 table the library in force produces, then saves
/// it. A refused definition saves nothing; a taken name is refused unless `replace`.
pub async fn save_segment(
    store: &dyn Store,
    lake: &Lake,
    segment: &Segment,
    replace: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    check_name(&segment.name)?;
    if segments::scenarios()?.iter().any(|s| s.name == segment.name) {
        return Err(refused(format!(
            "{} is a fixed scenario shipped with weiwan; choose another name",
            segment.name
        )));
    }
    let library = weiwan_analytics::active_library(lake)?;
    let tagged = weiwan_analytics::tags::tagged_schema(&library).await?;
    check_segment(tagged, &segment.query).await?;
    let record = SegmentRecord {
        name: segment.name.clone(),
        mode: segment.query.mode().to_owned(),
        definition: segment.query.definition(),
        schedule: segment.schedule.code().to_owned(),
        description: segment.description.clone(),
        saved_at: now.to_rfc3339(),
    };
    if !store.save_segment(&record, replace).await? {
        return Err(refused(format!("a target group named {} exists; replace it explicitly", segment.name)));
    }
    Ok(())
}

pub async fn delete_segment(store: &dyn Store, name: &str) -> Result<()> {
    if !store.delete_segment(name).await? {
        return Err(Error::Invalid(format!("no saved target group named {name:?}")));
    }
    Ok(())
}

pub async fn preview_segment(
    lake: &Lake,
    as_of: NaiveDate,
    query: &SegmentQuery,
    sample: usize,
) -> Result<Preview> {
    Ok(segments::preview(lake, as_of, query, sample).await?)
}

/// The newest date with a tagged 360 table, which previews and executions read by default.
pub fn latest_tagged_date(lake: &Lake) -> Result<Option<NaiveDate>> {
    Ok(weiwan_analytics::tagged_dates(lake)?.pop())
}

/// The columns a target group's conditions may name: the tagged 360 table's, under the tag
/// library in force.
pub async fn condition_fields(lake: &Lake) -> Result<Vec<String>> {
    let library = weiwan_analytics::active_library(lake)?;
    let schema = weiwan_analytics::tags::tagged_schema(&library).await?;
    Ok(schema.fields().iter().map(|f| f.name().clone()).collect())
}

/// Writes the member list as CSV; returns the number of members.
pub async fn export_segment(lake: &Lake, as_of: NaiveDate, query: &SegmentQuery, out: &Path) -> Result<u64> {
    Ok(segments::export_csv(lake, as_of, query, out).await?)
}

/// The batch stage: every fixed scenario and saved target group due on the date. Starts the
/// progress stage `segments`, counting the groups due; the caller finishes it.
pub async fn run_scheduled_segments(
    store: &dyn Store,
    lake: &Lake,
    as_of: NaiveDate,
    progress: &ProgressSink,
) -> Result<Vec<ScheduledRun>> {
    let due: Vec<Segment> = list_segments(store)
        .await?
        .into_iter()
        .map(|l| l.segment)
        .filter(|segment| segment.schedule.is_due(as_of))
        .collect();
    progress.stage(Stage::Segments, Some(due.len() as u64));
    let mut runs = Vec::with_capacity(due.len());
    for segment in &due {
        let run = segments::run_scheduled(lake, as_of, std::slice::from_ref(segment)).await?;
        for run in &run {
            match &run.outcome {
                Ok((rows, _)) => progress.message(&format!("target group {}: {rows} lines", run.name)),
                Err(why) => progress.message(&format!("target group {}: not evaluated: {why}", run.name)),
            }
        }
        runs.extend(run);
        progress.advance(1);
    }
    Ok(runs)
}

/// Takes a snapshot cohort: members frozen in the data directory, registered in the store.
/// A name is taken once; a failure leaves neither the file nor the register entry.
pub async fn snapshot_cohort(
    store: &dyn Store,
    lake: &Lake,
    name: &str,
    taken_on: NaiveDate,
    query: &SegmentQuery,
    now: DateTime<Utc>,
) -> Result<CohortRecord> {
    if store.cohorts().await?.iter().any(|c| c.name == name) {
        return Err(refused(format!("cohort {name} exists already; a snapshot is never retaken")));
    }
    let file = weiwan_analytics::snapshot_cohort(lake, name, taken_on, query).await?;
    let record = CohortRecord {
        name: name.to_owned(),
        taken_on: taken_on.to_string(),
        mode: query.mode().to_owned(),
        definition: query.definition(),
        members: i64::try_from(file.members).unwrap_or(i64::MAX),
        created_at: now.to_rfc3339(),
    };
    let registered = store.record_cohort(&record).await;
    if !matches!(registered, Ok(true)) {
        let _ = std::fs::remove_file(&file.path);
    }
    if !registered? {
        return Err(refused(format!("cohort {name} was registered meanwhile by someone else")));
    }
    Ok(record)
}

/// The KPIs of a registered cohort as of a date.
pub async fn cohort_kpis(
    store: &dyn Store,
    lake: &Lake,
    name: &str,
    as_of: NaiveDate,
    settings: &KpiSettings,
) -> Result<KpiReport> {
    let taken_on = cohort_taken_on(store, name).await?;
    Ok(weiwan_analytics::cohort_kpis(lake, name, taken_on, as_of, settings).await?)
}

/// The snapshot date of a registered cohort.
pub(crate) async fn cohort_taken_on(store: &dyn Store, name: &str) -> Result<NaiveDate> {
    let cohorts = store.cohorts().await?;
    let cohort = cohorts.iter().find(|c| c.name == name).ok_or_else(|| {
        Error::Invalid(format!("no cohort named {name:?}; `weiwan cohort list` shows them"))
    })?;
    NaiveDate::parse_from_str(&cohort.taken_on, "%Y-%m-%d")
        .map_err(|e| Error::Invalid(format!("cohort {name}: stored date {:?}: {e}", cohort.taken_on)))
}

/// Parses self-service conditions, naming the one that does not parse.
pub fn parse_conditions(texts: &[String]) -> Result<SegmentQuery> {
    let conditions =
        texts.iter().map(|t| t.parse()).collect::<std::result::Result<Vec<_>, String>>().map_err(refused)?;
    Ok(SegmentQuery::Conditions(conditions))
}

pub fn parse_schedule(text: &str) -> Result<Schedule> {
    text.parse().map_err(|e: String| Error::Invalid(e))
}
