//! The isolation anomalies, shown live: a catalogue of scenarios (isolation-tester spec
//! files, one per anomaly), each run at the four levels, and the matrix of what happened.
//!
//! Nothing here knows which level allows which anomaly. Every scenario says what
//! observation means "the anomaly happened" ([`Scenario`]); a cell is the verdict on one
//! real run: `anomaly`, or `prevented` with the mechanism the run showed (a lock wait,
//! a serialization failure, a deadlock, or a snapshot that did not see the other
//! transaction). `isolde anomalies` prints the matrix; `--explain NAME` prints one
//! scenario's transcripts.

mod catalogue;
mod matrix;
mod scenario;

pub use catalogue::CATALOGUE;
pub use matrix::{
    catalogue, explain, render, run_catalogue, run_cell, run_row, Cell, Error, Row, LEVELS,
};
pub use scenario::{Condition, Mechanism, Scenario, ScenarioError, Verdict};
