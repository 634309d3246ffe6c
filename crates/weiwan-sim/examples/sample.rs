//! Prints the first rows of every table of a small generated base, as they would be written
//! to CSV: `cargo run -p weiwan-sim --example sample -- [rows per table] [seed]`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use weiwan_domain::schema::RowSink;
use weiwan_domain::{TableId, Value};

#[derive(Debug)]
struct FirstRows {
    limit: usize,
    tables: BTreeMap<TableId, Vec<String>>,
}

impl RowSink for FirstRows {
    type Error = std::convert::Infallible;

    fn write_row(&mut self, table: TableId, row: &[Value]) -> Result<(), Self::Error> {
        let lines = self.tables.entry(table).or_default();
        if lines.len() < self.limit {
            let columns = table.table().columns;
            let fields: Vec<String> = columns.iter().zip(row).map(|(c, v)| c.kind.format(v)).collect();
            lines.push(fields.join(","));
        }
        Ok(())
    }
}

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let limit: usize = args.next().as_deref().unwrap_or("8").parse()?;
    let seed: u64 = args.next().as_deref().unwrap_or("1").parse()?;
    let end_month = NaiveDate::from_ymd_opt(2026, 10, 1).ok_or("invalid end month")?;
    let config = weiwan_sim::Config { subscribers: 2_000, months: 12, seed, end_month };
    let mut sink = FirstRows { limit, tables: BTreeMap::new() };
    weiwan_sim::generate(&config, &mut sink)?;
    for (table, lines) in &sink.tables {
        let header: Vec<&str> = table.table().columns.iter().map(|c| c.name).collect();
        println!("== {table}\n{}", header.join(","));
        for line in lines {
            println!("{line}");
        }
        println!();
    }
    Ok(())
}
