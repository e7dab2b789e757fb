//! Golden scenario scripts: each `tests/scripts/<name>.sql` runs statement by statement
//! through one Session on an in-memory database; the transcript (comments, each
//! statement, then its psql-style result or `ERROR:  message [SQLSTATE]`) must equal
//! `<name>.out`. `UPDATE_GOLDEN=1 cargo test -p isolde-sql --test golden` rewrites the
//! expected files for review.

use std::fs;
use std::path::Path;

use isolde_sql::{format_error_with_state, format_psql, Session};
use isolde_txn::{Options, TxnManager};

fn transcript(script: &str) -> String {
    let mut session = Session::new(TxnManager::in_memory(Options::default()));
    let mut out = String::new();
    let mut statement = String::new();
    for line in script.lines() {
        if statement.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with("--")) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if !statement.is_empty() {
            statement.push('\n');
        }
        statement.push_str(line);
        if line.trim_end().ends_with(';') {
            out.push_str(&statement);
            out.push('\n');
            match session.execute(&statement) {
                Ok(r) => out.push_str(&format_psql(&r)),
                Err(e) => {
                    out.push_str(&format_error_with_state(&e));
                    out.push('\n');
                }
            }
            out.push('\n');
            statement.clear();
        }
    }
    assert!(
        statement.is_empty(),
        "script ends inside a statement: {statement}"
    );
    out
}

#[test]
fn golden_scripts_match_their_expected_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut scripts: Vec<_> = fs::read_dir(&dir)
        .expect("tests/scripts exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no scripts in {}", dir.display());
    let mut failures = Vec::new();
    for script in scripts {
        let text = fs::read_to_string(&script).expect("script is readable");
        assert!(
            text.starts_with("-- "),
            "{} must start with a comment saying what it checks",
            script.display()
        );
        let actual = transcript(&text);
        let expected_path = script.with_extension("out");
        if update {
            fs::write(&expected_path, &actual).expect("write .out");
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{} differs from {}:\n{}",
                script.display(),
                expected_path.display(),
                first_difference(&expected, &actual)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (
            e.get(i).copied().unwrap_or("<end>"),
            a.get(i).copied().unwrap_or("<end>"),
        );
        if x != y {
            return format!("line {}:\n  expected: {x}\n  actual:   {y}", i + 1);
        }
    }
    String::new()
}
