//! Validating an extract whole before anything of it is stored.
//!
//! Every file is read once, every field parsed by its column's rules, every row checked for its
//! row rules, duplicate keys, unique columns and foreign keys (against the same extract, the
//! store's existing entities and the lake's published history). Valid rows are written to a
//! staging directory as they go; if any problem is found, the staging directory is removed and
//! the extract is refused with every problem (up to [`MAX_PROBLEMS`]) located by file, line and
//! column.

use std::collections::{HashMap, HashSet};

use weiwan_domain::schema::TableRole;
use weiwan_domain::{ForeignKey, TableId, Value};

use crate::error::{Error, Location, Problem, Refusal, Result};
use crate::keys::{KeySet, key_hash, text_key_hash};
use crate::lake::{Lake, StagedExtract, StagedTable};
use crate::progress::{ReadMeter, ReadProgress};
use crate::source::{ExtractFile, Record, RecordReader};
use crate::writer::ParquetTableWriter;

/// Enough to show what is wrong without drowning the reader.
pub const MAX_PROBLEMS: usize = 50;

/// A set of keys a foreign key may point into: all keys of a table, or those of its rows with
/// `column = code` (group customers, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lookup {
    pub table: TableId,
    pub filter: Option<(&'static str, &'static str)>,
}

impl Lookup {
    fn of(fk: &ForeignKey) -> Lookup {
        Lookup { table: fk.table, filter: fk.target_where }
    }

    /// Every key set a foreign key of the data model refers to.
    pub fn all() -> Vec<Lookup> {
        let mut lookups: Vec<Lookup> = Vec::new();
        for id in TableId::ALL {
            for fk in id.table().foreign_keys {
                let lookup = Lookup::of(fk);
                if !lookups.contains(&lookup) {
                    lookups.push(lookup);
                }
            }
        }
        lookups
    }
}

/// Keys of entities already in the store, which rows of a new extract may refer to.
#[derive(Debug, Default)]
pub struct ExistingKeys {
    sets: HashMap<Lookup, KeySet>,
}

impl ExistingKeys {
    pub fn add<S: AsRef<str>>(&mut self, lookup: Lookup, keys: impl IntoIterator<Item = S>) {
        let set = self.sets.entry(lookup).or_default();
        set.extend(keys.into_iter().map(|k| text_key_hash(k.as_ref())));
    }
}

#[derive(Default)]
struct Problems {
    list: Vec<Problem>,
    truncated: bool,
}

impl Problems {
    fn extend(&mut self, other: Problems) {
        self.truncated |= other.truncated;
        other.list.into_iter().for_each(|p| self.push(p));
    }

    fn push(&mut self, problem: Problem) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(problem);
        } else {
            self.truncated = true;
        }
    }

    fn full(&self) -> bool {
        self.list.len() >= MAX_PROBLEMS
    }
}

/// Validates `files` (in [`crate::discover`] order) and stages them in the lake's staging
/// directory for `extract_id`. Refuses the whole extract on any problem.
pub fn stage_extract(
    lake: &Lake,
    files: &[ExtractFile],
    extract_id: &str,
    existing: ExistingKeys,
) -> Result<StagedExtract> {
    stage_extract_with_progress(lake, files, extract_id, existing, &())
}

/// [`stage_extract`], reporting the bytes read (adding up to the files' sizes) and each file
/// read whole to `progress`.
pub fn stage_extract_with_progress(
    lake: &Lake,
    files: &[ExtractFile],
    extract_id: &str,
    existing: ExistingKeys,
    progress: &dyn ReadProgress,
) -> Result<StagedExtract> {
    let created_root = if lake.root().exists() { None } else { Some(lake.root().to_owned()) };
    let dir = lake.staging_dir(extract_id);
    let mut staged = StagedExtract {
        extract_id: extract_id.to_owned(),
        dir: dir.clone(),
        tables: Vec::new(),
        created_root,
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(Error::io(&dir))?;
    }
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;

    let mut known = existing.sets;
    let mut unverifiable = HashSet::new();
    let mut problems = Problems::default();
    let mut merge = |outcome: FileOutcome,
                     known: &mut HashMap<Lookup, KeySet>,
                     unverifiable: &mut HashSet<TableId>,
                     staged: &mut StagedExtract| {
        problems.extend(outcome.problems);
        for (lookup, keys) in outcome.keys {
            known.entry(lookup).or_default().extend(keys);
        }
        if let Some(table) = outcome.unverifiable {
            unverifiable.insert(table);
        }
        staged.tables.extend(outcome.staged);
    };
    // Tables that others refer to are validated first, in order, since later files need
    // their keys. The rest only read those keys, so they are validated side by side.
    let targets: HashSet<TableId> = Lookup::all().into_iter().map(|l| l.table).collect();
    let (referenced, independent): (Vec<&ExtractFile>, Vec<&ExtractFile>) =
        files.iter().partition(|f| targets.contains(&f.table));
    for file in referenced {
        let outcome = stage_file(lake, file, &dir, &known, &unverifiable, progress)?;
        merge(outcome, &mut known, &mut unverifiable, &mut staged);
    }
    let outcomes: Vec<Result<FileOutcome>> = std::thread::scope(|scope| {
        let handles: Vec<_> = independent
            .iter()
            .map(|file| scope.spawn(|| stage_file(lake, file, &dir, &known, &unverifiable, progress)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::internal("a validation thread panicked"))))
            .collect()
    });
    for outcome in outcomes {
        merge(outcome?, &mut known, &mut unverifiable, &mut staged);
    }
    if !problems.list.is_empty() {
        staged.discard();
        return Err(Error::Refused(Refusal { problems: problems.list, truncated: problems.truncated }));
    }
    Ok(staged)
}

/// What validating one file found.
#[derive(Default)]
struct FileOutcome {
    /// The staged table, when the file had no problem.
    staged: Option<StagedTable>,
    problems: Problems,
    /// Key sets of this table that later references may point into.
    keys: Vec<(Lookup, KeySet)>,
    /// Set when some keys of the table could not be read, so references to it cannot be judged.
    unverifiable: Option<TableId>,
    /// Records read, valid or not.
    records: u64,
}

/// Validates one file against the keys known so far. Reads shared state only, so files that
/// do not depend on each other can be validated at the same time.
fn stage_file(
    lake: &Lake,
    file: &ExtractFile,
    dir: &std::path::Path,
    known: &HashMap<Lookup, KeySet>,
    unverifiable: &HashSet<TableId>,
    progress: &dyn ReadProgress,
) -> Result<FileOutcome> {
    let size = file.size()?;
    let mut meter = ReadMeter::new(progress);
    let outcome = validate_file(lake, file, dir, known, unverifiable, &mut meter)?;
    // Also when the file stopped early (unreadable, or too many problems): it is done with.
    meter.finish(size);
    progress.file_validated(&file.file_name(), outcome.records);
    Ok(outcome)
}

/// Records read between two looks at the reader's position for progress.
const RECORDS_PER_PROGRESS_CHECK: u64 = 4096;

fn validate_file(
    lake: &Lake,
    file: &ExtractFile,
    dir: &std::path::Path,
    known: &HashMap<Lookup, KeySet>,
    unverifiable: &HashSet<TableId>,
    meter: &mut ReadMeter<'_>,
) -> Result<FileOutcome> {
    let mut outcome = FileOutcome::default();
    let problems = &mut outcome.problems;
    let table = file.table.table();
    let file_name = file.file_name();
    let mut reader = match RecordReader::open(file)? {
        Ok(reader) => reader,
        Err(file_problems) => {
            file_problems.into_iter().for_each(|p| problems.push(p));
            // Its keys are unknown, so references to it cannot be judged; they are not
            // reported, to keep the refusal about the real problem.
            outcome.unverifiable = Some(table.id);
            return Ok(outcome);
        }
    };
    let problem = |location: Location, column: Option<&str>, reason: String| Problem {
        file: file_name.clone(),
        location,
        column: column.map(str::to_owned),
        reason,
    };

    let key_columns = table.key_indices();
    let mut published = KeySet::default();
    if matches!(table.role, TableRole::History { .. }) {
        lake.published_keys(table.id, &mut published)?;
    }
    let mut keys = KeySet::default();
    let mut uniques: Vec<(usize, KeySet)> =
        table.unique.iter().map(|u| (table.index(u), KeySet::default())).collect();
    // Key sets of this table that other rows (or later tables) may refer to with a filter.
    let mut filtered: Vec<(Lookup, usize, KeySet)> = Lookup::all()
        .into_iter()
        .filter(|l| l.table == table.id)
        .filter_map(|l| l.filter.map(|(column, _)| (l, table.index(column), KeySet::default())))
        .collect();
    let foreign_keys: Vec<(usize, Lookup)> =
        table.foreign_keys.iter().map(|fk| (table.index(fk.column), Lookup::of(fk))).collect();
    // References to rows of the same table can only be checked once the file is read.
    let mut self_references: Vec<(Location, usize, String, Lookup)> = Vec::new();
    let period_column = match table.role {
        TableRole::History { period } => Some(table.index(period)),
        TableRole::Entity => None,
    };
    let mut period: Option<(Value, Value)> = None;

    let staged_path = dir.join(format!("{}.parquet", table.name));
    let mut writer = ParquetTableWriter::create(&staged_path, table.id)?;
    let mut fields = Vec::with_capacity(table.columns.len());
    let mut row = Vec::with_capacity(table.columns.len());
    loop {
        if problems.full() {
            problems.truncated = true;
            break;
        }
        let record = reader.next_record(&mut fields);
        if !matches!(record, Record::End) {
            outcome.records += 1;
            if outcome.records.is_multiple_of(RECORDS_PER_PROGRESS_CHECK) {
                meter.at(reader.bytes_read());
            }
        }
        let location = match record {
            Record::End => break,
            Record::Unreadable(p) => {
                problems.push(p);
                // The row's key is unknown, so references to this table cannot be judged.
                outcome.unverifiable = Some(table.id);
                continue;
            }
            Record::Fields(location) => location,
        };
        row.clear();
        let mut row_ok = true;
        for (column, field) in table.columns.iter().zip(&fields) {
            match column.parse(field) {
                Ok(value) => row.push(value),
                Err(err) => {
                    problems.push(problem(location, Some(column.name), err.to_string()));
                    row.push(Value::Null);
                    row_ok = false;
                }
            }
        }
        // The key is registered even when another field of the row is bad, so one bad value
        // does not also make every reference to this row fail.
        let key_parsed = key_columns.iter().all(|&i| !row[i].is_null());
        if !key_parsed {
            outcome.unverifiable = Some(table.id);
            continue;
        }
        let key = key_hash(key_columns.iter().map(|&i| &row[i]));
        let describe_key = || {
            key_columns
                .iter()
                .map(|&i| format!("{}={}", table.columns[i].name, table.columns[i].kind.format(&row[i])))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if published.contains(&key) {
            problems.push(problem(
                location,
                Some(table.key[0]),
                format!("{} was already imported by an earlier extract", describe_key()),
            ));
            continue;
        }
        if !keys.insert(key) {
            problems.push(problem(
                location,
                Some(table.key[0]),
                format!("duplicate key: {} appears more than once", describe_key()),
            ));
            continue;
        }
        for (lookup, index, set) in &mut filtered {
            let (_, code) = lookup.filter.unwrap_or_default();
            if row[*index].as_text() == Some(code) {
                set.insert(key);
            }
        }
        if !row_ok {
            continue;
        }
        if let Err(p) = table.check_row(&row) {
            problems.push(problem(location, Some(p.column), p.reason));
            continue;
        }
        for (index, set) in &mut uniques {
            if !set.insert(key_hash([&row[*index]])) {
                let column = table.columns[*index].name;
                problems.push(problem(
                    location,
                    Some(column),
                    format!("{} is not unique", table.columns[*index].kind.format(&row[*index])),
                ));
                row_ok = false;
            }
        }
        for (index, lookup) in &foreign_keys {
            let Some(target) = row[*index].as_text() else { continue };
            if lookup.table == table.id {
                self_references.push((location, *index, target.to_owned(), *lookup));
                continue;
            }
            if unverifiable.contains(&lookup.table) {
                continue;
            }
            if !known.get(lookup).is_some_and(|set| set.contains(&text_key_hash(target))) {
                let column = table.columns[*index].name;
                problems.push(problem(location, Some(column), unknown_reference(*lookup, target)));
                row_ok = false;
            }
        }
        if !row_ok {
            continue;
        }
        if let Some(index) = period_column {
            let value = &row[index];
            period = Some(match period.take() {
                None => (value.clone(), value.clone()),
                Some((low, high)) => (low.min(value.clone()), high.max(value.clone())),
            });
        }
        if problems.list.is_empty() {
            writer.push(&row)?;
        }
    }

    for (location, index, target, lookup) in self_references {
        let hash = text_key_hash(&target);
        let in_extract = filtered.iter().any(|(l, _, set)| *l == lookup && set.contains(&hash))
            || (lookup.filter.is_none() && keys.contains(&hash));
        if !in_extract && !known.get(&lookup).is_some_and(|set| set.contains(&hash)) {
            problems.push(problem(
                location,
                Some(table.columns[index].name),
                unknown_reference(lookup, &target),
            ));
        }
    }
    let rows = writer.finish()?;
    outcome.keys = filtered.into_iter().map(|(lookup, _, set)| (lookup, set)).collect();
    if table.role == TableRole::Entity {
        outcome.keys.push((Lookup { table: table.id, filter: None }, keys));
    }
    if !outcome.problems.list.is_empty() {
        return Ok(outcome);
    }
    let period = match (period, period_column) {
        (Some((low, high)), Some(index)) => {
            let kind = table.columns[index].kind;
            Some((kind.format(&low), kind.format(&high)))
        }
        _ => None,
    };
    outcome.staged = Some(StagedTable { table: table.id, path: staged_path, rows, period });
    Ok(outcome)
}

fn unknown_reference(lookup: Lookup, target: &str) -> String {
    match lookup.filter {
        None => format!(
            "refers to {target}, which is not in {} (neither in this extract nor already imported)",
            lookup.table
        ),
        Some((column, code)) => {
            format!("refers to {target}, which is not a row of {} with {column} = {code}", lookup.table)
        }
    }
}
