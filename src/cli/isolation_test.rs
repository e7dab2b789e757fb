//! `isolde isolation-test FILE.spec...`: runs PostgreSQL isolation-tester spec files
//! against in-memory databases and prints the transcripts.
//!
//! SQL errors inside steps are part of the transcript and do not change the exit code;
//! a spec that does not parse, names an unknown step, or whose setup fails is reported on
//! standard error with exit code 1 (the other specs still run).

use std::path::PathBuf;
use std::time::Duration;

use isolde_txn::IsolationLevel;

use super::output::print;
use super::{Error, Result, Status};
use crate::isolation_test::{header, run_permutation, RunOptions, Spec};

/// Arguments of `isolde isolation-test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Spec files, in PostgreSQL's isolation-tester format
    #[arg(required = true, value_name = "FILE.spec")]
    pub specs: Vec<PathBuf>,
    /// Default isolation level of every session (a spec's own BEGIN ISOLATION LEVEL wins):
    /// ru, rc, rr, ser or the SQL names
    #[arg(long, value_name = "LEVEL", default_value = "read committed")]
    pub isolation: IsolationLevel,
    /// Seconds a step may go on without completing or being seen waiting for a lock
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub step_timeout: f64,
}

pub(crate) fn run(args: &Args) -> Result<Status> {
    let options = RunOptions {
        isolation: args.isolation,
        step_timeout: Duration::from_secs_f64(args.step_timeout.max(0.001)),
    };
    let mut status = Status::Success;
    for path in &args.specs {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let spec = match Spec::parse(&path.display().to_string(), &text) {
            Ok(spec) => spec,
            Err(e) => {
                eprintln!("isolde: error: {e}");
                status = Status::Failed;
                continue;
            }
        };
        print(header(&spec))?;
        for permutation in spec.permutations() {
            match run_permutation(&spec, &permutation, &options) {
                Ok(report) => print(&report.transcript)?,
                Err(e) => {
                    eprintln!("isolde: error: {e}");
                    status = Status::Failed;
                    break;
                }
            }
        }
    }
    Ok(status)
}
