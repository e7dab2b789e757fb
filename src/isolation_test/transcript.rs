//! The text the tester prints, in the style of PostgreSQL's `isolationtester`, and the
//! structured record of what each step returned (what the anomaly runner judges by).

use isolde_sql::{format_error_with_state, format_psql, QueryResult};

/// What one statement of a step gave back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A statement that returns rows, and how many it returned.
    Rows(usize),
    /// Any other statement, by its command tag (`COMMIT`, `UPDATE 1`, and `ROLLBACK` for
    /// a COMMIT of a failed transaction).
    Command(String),
    /// An error, with its SQLSTATE.
    Error {
        /// The five-character code (`40001`, `40P01`, ...).
        sqlstate: String,
        /// The error's message, without the SQLSTATE.
        message: String,
    },
}

/// One step as it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    /// The step's name.
    pub step: String,
    /// The name of the session it ran in.
    pub session: String,
    /// It was reported `<waiting ...>`.
    pub waited: bool,
    /// One outcome per statement that ran (a statement after an error does not run).
    pub outcomes: Vec<Outcome>,
    /// It finished (false if the permutation ended while it was still waiting).
    pub completed: bool,
}

impl StepRecord {
    /// The last statement's outcome.
    pub fn last(&self) -> Option<&Outcome> {
        self.outcomes.last()
    }

    /// The SQLSTATEs of its errors.
    pub fn sqlstates(&self) -> impl Iterator<Item = &str> {
        self.outcomes.iter().filter_map(|o| match o {
            Outcome::Error { sqlstate, .. } => Some(sqlstate.as_str()),
            _ => None,
        })
    }
}

/// Transcript text being written.
#[derive(Default)]
pub(crate) struct Transcript {
    text: String,
}

impl Transcript {
    pub(crate) fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// `step NAME: SQL`, with ` <waiting ...>` if it is seen waiting.
    pub(crate) fn step(&mut self, name: &str, sql: &str, waiting: bool) {
        let suffix = if waiting { " <waiting ...>" } else { "" };
        self.line(&format!("step {name}: {sql}{suffix}"));
    }

    pub(crate) fn completed(&mut self, name: &str) {
        self.line(&format!("step {name}: <... completed>"));
    }

    pub(crate) fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    pub(crate) fn into_text(self) -> String {
        self.text
    }
}

/// A statement's printed form (notices prefixed by the session, result sets in psql's
/// aligned format followed by a blank line, errors as `ERROR:  message [SQLSTATE]`;
/// command tags are not printed, as the tester does not) and its outcome.
pub(crate) fn render(
    session: &str,
    result: &Result<QueryResult, isolde_sql::Error>,
) -> (String, Outcome, usize) {
    match result {
        Ok(r) => {
            let mut text = String::new();
            for n in &r.notices {
                text.push_str(&format!("{session}: {n}\n"));
            }
            if !r.has_rows() {
                return (text, Outcome::Command(r.tag.clone()), r.notices.len());
            }
            // Without the tag that psql prints after RETURNING rows.
            let table = QueryResult {
                notices: Vec::new(),
                tag: String::new(),
                ..r.clone()
            };
            text.push_str(&format_psql(&table));
            text.push('\n');
            (text, Outcome::Rows(r.rows.len()), r.notices.len())
        }
        Err(e) => {
            let outcome = Outcome::Error {
                sqlstate: e.sqlstate().to_string(),
                message: e.to_string(),
            };
            (format!("{}\n", format_error_with_state(e)), outcome, 0)
        }
    }
}
