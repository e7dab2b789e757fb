//! One anomaly scenario: a spec plus the rule that decides, from what a run observed,
//! whether the anomaly happened.
//!
//! A scenario is a spec file with directives in its comments:
//!
//! ```text
//! # anomaly: G1a aborted read (dirty read)        <- the matrix row
//! # anomaly-when: s2r returns rows                <- every condition must hold
//! ```
//!
//! A condition is `STEP returns rows` (the step completed and its last statement returned
//! at least one row), `STEP returns no rows` (completed, zero rows) or `STEP commits` (its
//! last statement completed with the tag `COMMIT`; a COMMIT of a failed transaction says
//! `ROLLBACK`). Checks are written as queries that return a row exactly when the state
//! they look at is anomalous. When the conditions do not all hold, the anomaly was
//! prevented, and the verdict names how, from the same run: a step seen waiting for a
//! lock (`blocked`), the SQLSTATE of each error (`40001`, `40P01`, ...), or, when neither
//! happened, reads that simply did not see the other transaction (`snapshot`).

use std::fmt;

use crate::isolation_test::{Ending, Outcome, ParseError, PermutationReport, Spec};

/// A condition on one step's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// `STEP returns rows`: the named step completed and its last statement returned at
    /// least one row.
    ReturnsRows(String),
    /// `STEP returns no rows`: the named step completed and its last statement returned
    /// zero rows.
    ReturnsNoRows(String),
    /// `STEP commits`: the named step's last statement completed with the tag `COMMIT`
    /// (a COMMIT of a failed transaction says `ROLLBACK` and does not count).
    Commits(String),
}

/// A spec that shows one anomaly.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file name without `.spec`.
    pub name: String,
    /// The matrix row label (`# anomaly:`).
    pub label: String,
    /// The spec's leading comment: the anomaly in plain words.
    pub explanation: String,
    /// All must hold for the anomaly to have happened.
    pub conditions: Vec<Condition>,
    /// The parsed spec, directives included; it has exactly one permutation, the one
    /// every level runs.
    pub spec: Spec,
}

/// What a scenario file got wrong.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The text is not a valid isolation-tester spec.
    Parse(ParseError),
    /// A directive is missing, malformed, or names no step.
    Directive {
        /// The scenario's file name (`<name>.spec`).
        file: String,
        /// Which directive is wrong and what it should look like.
        message: String,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Parse(e) => e.fmt(f),
            ScenarioError::Directive { file, message } => write!(f, "{file}: {message}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// How a prevented anomaly was prevented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// A step was seen waiting for a row lock.
    Blocked,
    /// A step failed with this SQLSTATE (`40001`, `40P01`, `23505`, ...).
    Error(String),
    /// Nothing waited or failed: the reads did not see the other transaction's writes.
    Snapshot,
}

/// What a run of a scenario at one level showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every condition held: the anomaly happened.
    Anomaly,
    /// Some condition failed; the mechanisms the run showed, in the order found (a lock
    /// wait first, then each distinct SQLSTATE), or just [`Mechanism::Snapshot`].
    Prevented(Vec<Mechanism>),
    /// The permutation did not run to the end (a timeout or a bad permutation).
    Inconclusive(String),
}

impl Verdict {
    /// True when the run showed the anomaly.
    pub fn is_anomaly(&self) -> bool {
        matches!(self, Verdict::Anomaly)
    }

    /// True when the run completed without the anomaly (false when it was inconclusive).
    pub fn is_prevented(&self) -> bool {
        matches!(self, Verdict::Prevented(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Anomaly => write!(f, "anomaly"),
            Verdict::Prevented(how) => {
                let names: Vec<&str> = how
                    .iter()
                    .map(|m| match m {
                        Mechanism::Blocked => "blocked",
                        Mechanism::Error(state) => state,
                        Mechanism::Snapshot => "snapshot",
                    })
                    .collect();
                write!(f, "prevented ({})", names.join(", "))
            }
            Verdict::Inconclusive(why) => write!(f, "inconclusive ({why})"),
        }
    }
}

impl Scenario {
    /// Parses a scenario from its spec text.
    pub fn parse(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let file = format!("{name}.spec");
        let spec = Spec::parse(&file, text).map_err(ScenarioError::Parse)?;
        let directive = |message: String| ScenarioError::Directive {
            file: file.clone(),
            message,
        };
        let label = match spec.directives("anomaly").as_slice() {
            [label] => label.to_string(),
            _ => {
                return Err(directive(
                    "needs exactly one `# anomaly: LABEL` line".into(),
                ))
            }
        };
        let mut conditions = Vec::new();
        for text in spec.directives("anomaly-when") {
            let condition = parse_condition(text).ok_or_else(|| {
                directive(format!(
                    "`# anomaly-when: {text}` is not `STEP returns rows`, `STEP returns no rows` or `STEP commits`"
                ))
            })?;
            let step = match &condition {
                Condition::ReturnsRows(s) | Condition::ReturnsNoRows(s) | Condition::Commits(s) => {
                    s
                }
            };
            if spec.step(step).is_none() {
                return Err(directive(format!(
                    "`# anomaly-when` names no step \"{step}\""
                )));
            }
            conditions.push(condition);
        }
        if conditions.is_empty() {
            return Err(directive(
                "needs at least one `# anomaly-when:` line".into(),
            ));
        }
        if spec.permutations.len() != 1 {
            return Err(directive("needs exactly one permutation line".into()));
        }
        Ok(Scenario {
            name: name.to_string(),
            label,
            explanation: spec.description(),
            conditions,
            spec,
        })
    }

    /// Judges one run of the scenario's permutation.
    pub fn judge(&self, report: &PermutationReport) -> Verdict {
        match &report.ending {
            Ending::Completed => {}
            Ending::Invalid => return Verdict::Inconclusive("invalid permutation".into()),
            Ending::MutuallyBlocked => return Verdict::Inconclusive("steps blocked".into()),
            Ending::TimedOut(step) => return Verdict::Inconclusive(format!("{step} timed out")),
        }
        if self.conditions.iter().all(|c| holds(c, report)) {
            return Verdict::Anomaly;
        }
        let mut how = Vec::new();
        if report.records.iter().any(|r| r.waited) {
            how.push(Mechanism::Blocked);
        }
        for record in &report.records {
            for state in record.sqlstates() {
                // 25P02 only follows an earlier error in the same transaction.
                let m = Mechanism::Error(state.to_string());
                if state != "25P02" && !how.contains(&m) {
                    how.push(m);
                }
            }
        }
        if how.is_empty() {
            how.push(Mechanism::Snapshot);
        }
        Verdict::Prevented(how)
    }
}

fn parse_condition(text: &str) -> Option<Condition> {
    let (step, rest) = text.split_once(char::is_whitespace)?;
    let words: Vec<&str> = rest.split_whitespace().collect();
    let step = step.to_string();
    match words.as_slice() {
        ["returns", "rows"] => Some(Condition::ReturnsRows(step)),
        ["returns", "no", "rows"] => Some(Condition::ReturnsNoRows(step)),
        ["commits"] => Some(Condition::Commits(step)),
        _ => None,
    }
}

fn holds(condition: &Condition, report: &PermutationReport) -> bool {
    let last = |step: &str| {
        report
            .records
            .iter()
            .rev()
            .find(|r| r.step == step && r.completed)
            .and_then(|r| r.last().cloned())
    };
    match condition {
        Condition::ReturnsRows(s) => matches!(last(s), Some(Outcome::Rows(n)) if n > 0),
        Condition::ReturnsNoRows(s) => matches!(last(s), Some(Outcome::Rows(0))),
        Condition::Commits(s) => matches!(last(s), Some(Outcome::Command(tag)) if tag == "COMMIT"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_in_their_three_forms() {
        assert_eq!(
            parse_condition("s2r returns rows"),
            Some(Condition::ReturnsRows("s2r".into()))
        );
        assert_eq!(
            parse_condition("check returns  no rows"),
            Some(Condition::ReturnsNoRows("check".into()))
        );
        assert_eq!(
            parse_condition("s1c commits"),
            Some(Condition::Commits("s1c".into()))
        );
        assert_eq!(parse_condition("s1c succeeds"), None);
    }

    #[test]
    fn a_condition_on_an_unknown_step_is_refused() {
        let text =
            "# anomaly: x\n# anomaly-when: nope commits\nsession s step a {x}\npermutation a";
        let err = Scenario::parse("x", text).unwrap_err();
        assert!(err.to_string().contains("names no step \"nope\""), "{err}");
    }
}
