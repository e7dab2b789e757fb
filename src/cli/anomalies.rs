//! `isolde anomalies [--explain NAME]`: runs the anomaly catalogue live at each isolation
//! level and prints the matrix, or one scenario's transcripts with the anomaly explained.

use std::time::Duration;

use super::output::print;
use super::{Result, Status};
use crate::anomalies::{catalogue, explain, render, run_catalogue, run_row};

/// Arguments of `isolde anomalies`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one scenario (e.g. g2-item-write-skew) at every level, explained
    #[arg(long, value_name = "NAME")]
    pub explain: Option<String>,
    /// Seconds a step may go on without completing or being seen waiting for a lock
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub step_timeout: f64,
}

pub(crate) fn run(args: &Args) -> Result<Status> {
    let timeout = Duration::from_secs_f64(args.step_timeout.max(0.001));
    let Some(name) = &args.explain else {
        return match run_catalogue(timeout) {
            Ok(rows) => {
                print(render(&rows))?;
                Ok(Status::Success)
            }
            Err(e) => fail(&e.to_string()),
        };
    };
    let scenarios = match catalogue() {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    let Some(scenario) = scenarios.iter().find(|s| s.name == *name) else {
        let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        return fail(&format!(
            "no scenario named {name}; the scenarios are: {}",
            names.join(", ")
        ));
    };
    match run_row(scenario, timeout) {
        Ok(row) => {
            print(explain(&row))?;
            Ok(Status::Success)
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> Result<Status> {
    eprintln!("isolde: error: {message}");
    Ok(Status::Failed)
}
