//! The anomaly matrix, observed live, against the one DESIGN.md promises.
//!
//! Each row below is DESIGN.md's expected matrix (`a`: the anomaly happens, `-`: it is
//! prevented, by blocking or by an error or by a snapshot), plus the variants and the
//! SERIALIZABLE application cases of the catalogue, whose spec files say what they show
//! and why. The verdicts come from running the scenarios; nothing in the code under
//! test knows this table.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use isolde::anomalies::{catalogue, run_catalogue, CATALOGUE};

/// (scenario, RU, RC, RR, SER) as DESIGN.md's matrix and the variants' specs state them.
const EXPECTED: &[(&str, [char; 4])] = &[
    ("g0-dirty-write", ['-', '-', '-', '-']),
    ("lost-update-first-kind", ['-', '-', '-', '-']),
    ("g1a-aborted-read", ['a', '-', '-', '-']),
    ("g1b-intermediate-read", ['a', '-', '-', '-']),
    ("g1c-circular-information-flow", ['a', '-', '-', '-']),
    ("otv-observed-transaction-vanishes", ['a', '-', '-', '-']),
    ("p2-non-repeatable-read", ['a', 'a', '-', '-']),
    ("pmp-phantom", ['a', 'a', '-', '-']),
    // The dirty scan at READ UNCOMMITTED finds s1's new row 1 and deletes it: serial.
    ("pmp-write-predicate", ['-', 'a', '-', '-']),
    ("p4-lost-update", ['a', 'a', '-', '-']),
    // In-place increments are never lost.
    ("p4-in-place-increment", ['-', '-', '-', '-']),
    ("g-single-read-skew", ['a', 'a', '-', '-']),
    ("g-single-predicate", ['a', 'a', '-', '-']),
    ("g-single-write-predicate", ['a', 'a', '-', '-']),
    ("g2-item-write-skew", ['a', 'a', 'a', '-']),
    ("g2-predicate-write-skew", ['a', 'a', 'a', '-']),
    ("g2-two-edges", ['a', 'a', 'a', '-']),
    ("read-only-anomaly", ['a', 'a', 'a', '-']),
    ("doctors-on-call", ['a', 'a', 'a', '-']),
    ("bank-overdraft", ['a', 'a', 'a', '-']),
    ("double-booking", ['a', 'a', 'a', '-']),
    ("check-then-insert", ['a', 'a', 'a', '-']),
];

#[test]
fn observed_matrix_equals_the_designed_one() {
    let rows = run_catalogue(Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    let mut wrong = Vec::new();
    for row in &rows {
        let Some((_, expected)) = EXPECTED.iter().find(|(n, _)| *n == row.scenario.name) else {
            panic!(
                "scenario {} has no expected row in this test",
                row.scenario.name
            );
        };
        for (cell, &want) in row.cells.iter().zip(expected) {
            let ok = match want {
                'a' => cell.verdict.is_anomaly(),
                _ => cell.verdict.is_prevented(),
            };
            if !ok {
                wrong.push(format!(
                    "{} at {}: expected {}, observed {}\n{}",
                    row.scenario.name,
                    cell.level.short_name(),
                    if want == 'a' { "anomaly" } else { "prevented" },
                    cell.verdict,
                    cell.transcript
                ));
            }
        }
    }
    assert_eq!(rows.len(), EXPECTED.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_catalogue_holds_every_anomaly_spec_and_nothing_else() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/isolation/specs");
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.lines().any(|l| l.starts_with("# anomaly:")) {
            on_disk.push(path.file_stem().unwrap().to_string_lossy().to_string());
        }
    }
    on_disk.sort();
    let mut built_in: Vec<String> = CATALOGUE.iter().map(|(n, _)| n.to_string()).collect();
    built_in.sort();
    assert_eq!(on_disk, built_in);
    for scenario in catalogue().unwrap() {
        assert!(
            !scenario.explanation.is_empty(),
            "{} lacks its leading comment",
            scenario.name
        );
    }
}

#[test]
fn explain_prints_the_explanation_and_a_transcript_per_level() {
    let out = Command::new(env!("CARGO_BIN_EXE_isolde"))
        .args(["anomalies", "--explain", "g2-item-write-skew"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("G2-item write skew\n\nG2-item write skew: two transactions read"),
        "{text}"
    );
    for level in [
        "READ UNCOMMITTED: anomaly",
        "READ COMMITTED: anomaly",
        "REPEATABLE READ: anomaly",
        "SERIALIZABLE: prevented (40001)",
    ] {
        assert!(text.contains(&format!("=== {level} ===")), "{text}");
    }
    assert_eq!(text.matches("starting permutation:").count(), 4);
}

#[test]
fn explain_of_an_unknown_scenario_fails_and_lists_the_names() {
    let out = Command::new(env!("CARGO_BIN_EXE_isolde"))
        .args(["anomalies", "--explain", "no-such-thing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no scenario named no-such-thing"), "{err}");
    assert!(err.contains("g0-dirty-write"), "{err}");
}
