//! Running the catalogue at every level, and printing the matrix.

use std::time::Duration;

use isolde_txn::IsolationLevel;

use super::catalogue::CATALOGUE;
use super::scenario::{Scenario, ScenarioError, Verdict};
use crate::isolation_test::{header, run_permutation, RunError, RunOptions};

/// The four levels, weakest first: the matrix's columns.
pub const LEVELS: [IsolationLevel; 4] = [
    IsolationLevel::ReadUncommitted,
    IsolationLevel::ReadCommitted,
    IsolationLevel::RepeatableRead,
    IsolationLevel::Serializable,
];

/// A scenario's run at one level.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The level the scenario ran at: the cell's column.
    pub level: IsolationLevel,
    /// What the run showed: the text of the cell.
    pub verdict: Verdict,
    /// The run's transcript, in the isolation tester's format.
    pub transcript: String,
}

/// A scenario's runs at every level.
#[derive(Clone, Debug)]
pub struct Row {
    /// The scenario that ran; its label heads the row.
    pub scenario: Scenario,
    /// One cell per level, in the order of [`LEVELS`].
    pub cells: Vec<Cell>,
}

/// Why the catalogue could not be run.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A scenario of the built-in catalogue does not parse: a bug in its spec file.
    Scenario(ScenarioError),
    /// A scenario could not be run to the end: its setup failed or a session stopped.
    Run(RunError),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Scenario(e) => e.fmt(f),
            Error::Run(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

/// Every scenario of the catalogue, parsed, in matrix order.
pub fn catalogue() -> Result<Vec<Scenario>, ScenarioError> {
    CATALOGUE
        .iter()
        .map(|(name, text)| Scenario::parse(name, text))
        .collect()
}

/// Runs one scenario at one level.
pub fn run_cell(
    scenario: &Scenario,
    level: IsolationLevel,
    step_timeout: Duration,
) -> Result<Cell, RunError> {
    let options = RunOptions {
        isolation: level,
        step_timeout,
    };
    let permutation = &scenario.spec.permutations[0];
    let report = run_permutation(&scenario.spec, permutation, &options)?;
    Ok(Cell {
        level,
        verdict: scenario.judge(&report),
        transcript: format!("{}{}", header(&scenario.spec), report.transcript),
    })
}

/// Runs one scenario at every level.
pub fn run_row(scenario: &Scenario, step_timeout: Duration) -> Result<Row, RunError> {
    let cells = LEVELS
        .iter()
        .map(|&level| run_cell(scenario, level, step_timeout))
        .collect::<Result<_, _>>()?;
    Ok(Row {
        scenario: scenario.clone(),
        cells,
    })
}

/// Runs the whole catalogue at every level.
pub fn run_catalogue(step_timeout: Duration) -> Result<Vec<Row>, Error> {
    let scenarios = catalogue().map_err(Error::Scenario)?;
    scenarios
        .iter()
        .map(|s| run_row(s, step_timeout).map_err(Error::Run))
        .collect()
}

/// The matrix as a Markdown table, columns padded so it also reads as plain text.
pub fn render(rows: &[Row]) -> String {
    let mut table: Vec<Vec<String>> = vec![std::iter::once("anomaly".to_string())
        .chain(LEVELS.iter().map(|l| l.short_name().to_string()))
        .collect()];
    for row in rows {
        let mut line = vec![row.scenario.label.clone()];
        line.extend(row.cells.iter().map(|c| c.verdict.to_string()));
        table.push(line);
    }
    let columns = table[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            let width = table.iter().map(|r| r[i].chars().count()).max();
            width.unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(&table[0]);
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    out.push_str(&format!("|-{}-|\n", rule.join("-|-")));
    for cells in &table[1..] {
        out.push_str(&line(cells));
    }
    out
}

/// One scenario explained: its label and plain-words explanation, then its transcript
/// and verdict at every level.
pub fn explain(row: &Row) -> String {
    let mut out = format!("{}\n\n{}\n", row.scenario.label, row.scenario.explanation);
    for cell in &row.cells {
        out.push_str(&format!(
            "\n=== {}: {} ===\n\n",
            cell.level.sql_name().to_uppercase(),
            cell.verdict
        ));
        out.push_str(&cell.transcript);
    }
    out
}
