//! A runner for PostgreSQL's isolation-tester spec files: several SQL sessions on one
//! database, their steps interleaved in a given order, and a transcript of what each
//! step returned, waited for, or failed with.
//!
//! [`Spec::parse`] reads a spec ([`spec`] describes the syntax); [`run_spec`] runs every
//! permutation, each against a fresh in-memory [`crate::Db`], and returns the transcript
//! in the tester's style together with a [`StepRecord`] per step, which
//! [`crate::anomalies`] judges. Blocked steps are found in the lock-wait table, as the
//! tester finds them in `pg_locks`, so a transcript is the same on every run.

mod runner;
pub mod spec;
mod transcript;

pub use runner::{
    header, run_permutation, run_spec, Ending, PermutationReport, RunError, RunOptions, SpecReport,
};
pub use spec::{Blocker, ParseError, PermutationStep, Spec};
pub use transcript::{Outcome, StepRecord};
