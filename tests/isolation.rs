//! Runs every spec under `tests/isolation/specs/` and compares its transcript with the
//! expected one under `tests/isolation/expected/`.
//!
//! A spec runs at the levels its `# levels:` comment lists (`ru rc rr ser`), else at all
//! four; the level is the default of every session (`isolde isolation-test --isolation`),
//! so specs that say plain `BEGIN` show each level's behaviour. The expected transcript
//! of spec `NAME.spec` at level `rr` is `expected/NAME@rr.out`.
//!
//! `UPDATE_EXPECTED=1 cargo test --test isolation` rewrites the expected files from the
//! current behaviour, for review with `git diff`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use isolde::isolation_test::{run_spec, RunOptions, Spec};
use isolde::IsolationLevel;

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/isolation/specs")
}

fn expected_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/isolation/expected")
}

fn spec_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(specs_dir())
        .expect("tests/isolation/specs is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "spec"))
        .collect();
    files.sort();
    files
}

fn levels(spec: &Spec) -> Vec<IsolationLevel> {
    match spec.directives("levels").first() {
        Some(list) => list
            .split_whitespace()
            .map(|l| l.parse().expect("a level in # levels:"))
            .collect(),
        None => vec![
            IsolationLevel::ReadUncommitted,
            IsolationLevel::ReadCommitted,
            IsolationLevel::RepeatableRead,
            IsolationLevel::Serializable,
        ],
    }
}

#[test]
fn every_spec_produces_its_expected_transcript_at_each_of_its_levels() {
    let update = std::env::var_os("UPDATE_EXPECTED").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut ran = 0;
    for path in spec_files() {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let spec = Spec::parse(&format!("{stem}.spec"), &text).unwrap_or_else(|e| panic!("{e}"));
        for level in levels(&spec) {
            let options = RunOptions {
                isolation: level,
                step_timeout: Duration::from_secs(10),
            };
            let report = run_spec(&spec, &options).unwrap_or_else(|e| panic!("{e}"));
            let short = level.short_name().to_lowercase();
            let expected_path = expected_dir().join(format!("{stem}@{short}.out"));
            ran += 1;
            if update {
                std::fs::write(&expected_path, &report.transcript).unwrap();
                continue;
            }
            match std::fs::read_to_string(&expected_path) {
                Ok(expected) if expected == report.transcript => {}
                Ok(expected) => failures.push(format!(
                    "{} differs:\n--- expected\n{expected}\n--- actual\n{}",
                    expected_path.display(),
                    report.transcript
                )),
                Err(_) => failures.push(format!(
                    "{} is missing (run with UPDATE_EXPECTED=1); actual:\n{}",
                    expected_path.display(),
                    report.transcript
                )),
            }
        }
    }
    assert!(ran > 0, "no specs found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_expected_file_belongs_to_a_spec_and_level_that_runs() {
    let mut wanted = Vec::new();
    for path in spec_files() {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let spec = Spec::parse(&stem, &std::fs::read_to_string(&path).unwrap()).unwrap();
        for level in levels(&spec) {
            wanted.push(format!("{stem}@{}.out", level.short_name().to_lowercase()));
        }
    }
    for entry in std::fs::read_dir(expected_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(wanted.contains(&name), "stale expected file {name}");
    }
}

fn isolde(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_isolde"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn command_prints_the_transcript_at_the_level_asked_for() {
    let spec = specs_dir().join("p4-lost-update.spec");
    let out = isolde(&[
        "isolation-test",
        spec.to_str().unwrap(),
        "--isolation",
        "rr",
    ]);
    assert!(out.status.success(), "{out:?}");
    let expected = std::fs::read_to_string(expected_dir().join("p4-lost-update@rr.out")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

#[test]
fn command_reports_a_parse_error_with_file_line_and_column_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.spec");
    std::fs::write(&bad, "session s1\nstep a { SELECT 1; }\npermutation a b\n").unwrap();
    let out = isolde(&["isolation-test", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.spec:3:15: step \"b\" is named in a permutation but not defined"),
        "{err}"
    );
}

#[test]
fn sql_errors_in_steps_are_transcript_not_failure() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("err.spec");
    std::fs::write(&spec, "session s1\nstep a { SELECT * FROM missing; }\n").unwrap();
    let out = isolde(&["isolation-test", spec.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("ERROR:  relation \"missing\" does not exist [42P01]"),
        "{text}"
    );
}

/// Runs a spec given as text at READ COMMITTED with a short step timeout.
fn run_text(text: &str) -> Result<String, isolde::isolation_test::RunError> {
    let spec = Spec::parse("inline.spec", text).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions {
        isolation: IsolationLevel::ReadCommitted,
        step_timeout: Duration::from_millis(300),
    };
    run_spec(&spec, &options).map(|report| report.transcript)
}

#[test]
fn a_failing_setup_stops_the_spec_and_names_the_block_and_the_error() {
    let err = run_text("setup { SELECT * FROM missing; }\nsession s1\nstep a { SELECT 1; }\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "inline.spec: setup failed: ERROR:  relation \"missing\" does not exist [42P01]"
    );

    let err = run_text(
        "setup { CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1); }\n\
         session s1\nsetup { BEGIN; UPDATE t SET id = 2; }\nstep a { SELECT 1; }\n\
         session s2\nsetup { UPDATE t SET id = 3; }\nstep b { SELECT 2; }\n",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "inline.spec: setup of session s2 failed: setup of session s2 waits for a lock held by s1"
    );
}

#[test]
fn a_failing_teardown_is_printed_and_the_run_goes_on() {
    let transcript = run_text(
        "teardown { SELECT * FROM missing; SELECT 2 AS two; }\n\
         session s1\nstep a { SELECT 1 AS one; }\n\
         session s2\nstep b { SELECT 3 AS three; }\npermutation a b\npermutation b a\n",
    )
    .unwrap();
    assert_eq!(
        transcript
            .matches("teardown failed: ERROR:  relation \"missing\" does not exist [42P01]\n")
            .count(),
        2,
        "{transcript}"
    );
    assert!(
        transcript.contains("starting permutation: b a"),
        "{transcript}"
    );
    assert!(
        !transcript.contains("two"),
        "the block stops at its error: {transcript}"
    );
}
