//! `isolde shell` as its users see it: golden scripts, `-c`, piped input, exit statuses,
//! the database directory, and the README's example.
//!
//! Each `tests/shell_scripts/NAME.sql` runs with `isolde shell --memory -f`, plus the
//! arguments named after `args:` in its opening comment; standard output and standard
//! error go to one file, in order, and must equal `NAME.out`, which ends with the exit
//! status. `UPDATE_GOLDEN=1 cargo test --test shell` rewrites the expected files.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn isolde() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_isolde"));
    // No history file is written by tests; no stray ./isolde.toml is read.
    command.env("ISOLDE_HISTORY", "");
    command
}

/// Runs `isolde` in `cwd` with standard output and standard error in one file, in the
/// order they were written; returns that text and the exit status.
fn run_merged(cwd: &Path, args: &[&str]) -> (String, i32) {
    let log = tempfile::tempfile().unwrap();
    let status = isolde()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log.try_clone().unwrap())
        .status()
        .unwrap();
    let mut log = log;
    let text = {
        use std::io::{Read, Seek};
        log.rewind().unwrap();
        let mut text = String::new();
        log.read_to_string(&mut text).unwrap();
        text
    };
    (text, status.code().unwrap_or(-1))
}

/// Runs `isolde` in `cwd`, `stdin` piped to it.
fn run(cwd: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = isolde()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `\timing` figures change from run to run: `Time: 0.123 ms` becomes `Time: N ms`.
fn without_times(output: &str) -> String {
    output
        .lines()
        .map(|line| match line.find("Time: ") {
            Some(at) if line.ends_with(" ms") => format!("{}Time: N ms\n", &line[..at]),
            _ => format!("{line}\n"),
        })
        .collect()
}

fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Compares `actual` with the file at `expected`, or rewrites it under UPDATE_GOLDEN.
#[track_caller]
fn assert_golden(expected: &Path, actual: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(expected, actual).unwrap();
        return;
    }
    let wanted = fs::read_to_string(expected)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", expected.display()));
    assert!(
        wanted == actual,
        "{} differs.\n--- expected\n{wanted}\n--- actual\n{actual}",
        expected.display()
    );
}

/// The arguments after `args:` in a script's opening comment lines.
fn script_args(script: &str) -> Vec<String> {
    let header = script.lines().take_while(|l| l.starts_with("--"));
    header
        .filter_map(|l| l.split_once("args:").map(|(_, args)| args.to_string()))
        .flat_map(|args| {
            args.split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn golden(name: &str) {
    let dir = manifest_path("tests/shell_scripts");
    let script = dir.join(format!("{name}.sql"));
    let source = fs::read_to_string(&script).unwrap();
    let mut args = vec!["shell", "--memory", "-f"];
    let script_arg = script.to_str().unwrap();
    args.push(script_arg);
    let extra = script_args(&source);
    args.extend(extra.iter().map(String::as_str));
    let cwd = tempfile::tempdir().unwrap();
    let (output, code) = run_merged(cwd.path(), &args);
    let actual = format!("{}[exit status {code}]\n", without_times(&output));
    assert_golden(&dir.join(format!("{name}.out")), &actual);
}

/// Golden tests, one per script; [`every_script_has_a_golden_test`] keeps the list whole.
const SCRIPTS: &[&str] = &[
    "single_session",
    "read_committed_recheck",
    "repeatable_read_serialization_failure",
    "failed_transaction",
    "deadlock",
    "busy_session_refuses_statements",
    "stops_at_first_error",
    "waiting_at_the_end",
    "describe",
    "describe_views",
];

#[test]
fn one_session_prints_results_errors_and_commands_like_psql() {
    golden("single_session");
}

#[test]
fn read_committed_update_waits_then_rechecks_its_where_clause() {
    golden("read_committed_recheck");
}

#[test]
fn repeatable_read_update_after_a_concurrent_commit_fails_with_40001() {
    golden("repeatable_read_serialization_failure");
}

#[test]
fn an_error_fails_the_transaction_block_until_rollback() {
    golden("failed_transaction");
}

#[test]
fn a_deadlock_fails_one_session_at_once_and_lets_the_other_go_on() {
    golden("deadlock");
}

#[test]
fn a_session_waiting_for_a_lock_refuses_new_statements() {
    golden("busy_session_refuses_statements");
}

#[test]
fn a_script_stops_at_its_first_error_with_exit_status_1() {
    golden("stops_at_first_error");
}

#[test]
fn a_statement_still_waiting_at_the_end_of_a_script_is_reported() {
    golden("waiting_at_the_end");
}

#[test]
fn describe_commands_show_tables_and_indexes_as_psql_15_does() {
    golden("describe");
}

#[test]
fn describe_commands_list_and_show_views_as_psql_15_does() {
    golden("describe_views");
}

#[test]
fn describing_an_unknown_name_is_an_error_but_an_empty_list_is_not() {
    let cwd = tempfile::tempdir().unwrap();
    let listing = run(cwd.path(), &["shell", "--memory", "-c", "\\dt t*"], "");
    assert_eq!(listing.status.code(), Some(0));
    assert_eq!(
        text(&listing.stderr),
        "Did not find any relation named \"t*\".\n"
    );
    let script = "\\d t\n\\echo not reached\n";
    let describe = run(cwd.path(), &["shell", "--memory", "-c", script], "");
    assert_eq!(describe.status.code(), Some(1));
    assert_eq!(text(&describe.stdout), "");
    assert_eq!(
        text(&describe.stderr),
        "Did not find any relation named \"t\".\n"
    );
}

#[test]
fn every_script_has_a_golden_test() {
    for entry in fs::read_dir(manifest_path("tests/shell_scripts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sql") {
            let stem = path.file_stem().unwrap().to_str().unwrap();
            assert!(SCRIPTS.contains(&stem), "{stem}.sql has no test");
        }
    }
}

#[test]
fn the_readme_example_shows_its_real_output() {
    let cwd = tempfile::tempdir().unwrap();
    let script = manifest_path("examples/shell/nonrepeatable_read.sql");
    let args = ["shell", "--memory", "-f", script.to_str().unwrap()];
    let (output, code) = run_merged(cwd.path(), &args);
    assert_eq!(code, 0, "{output}");
    assert_golden(
        &manifest_path("examples/shell/nonrepeatable_read.out"),
        &output,
    );
    let readme = fs::read_to_string(manifest_path("README.md")).unwrap();
    assert!(
        readme.contains(&output),
        "README.md must show the output of examples/shell/nonrepeatable_read.sql:\n{output}"
    );
}

#[test]
fn dash_c_runs_statements_without_echo_and_needs_no_final_semicolon() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run(
        cwd.path(),
        &[
            "shell",
            "--memory",
            "-c",
            "SELECT 1 AS one; SELECT 'x' AS two",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        " one \n-----\n   1\n(1 row)\n\n two \n-----\n x\n(1 row)\n\n"
    );
}

#[test]
fn dash_c_reports_an_sql_error_on_stderr_with_exit_status_1() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run(cwd.path(), &["shell", "--memory", "-c", "SELECT nope"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("ERROR:  column ") && stderr.ends_with(" [42703]\n"),
        "{stderr}"
    );
}

#[test]
fn dash_c_runs_backslash_commands_and_session_switches_line_by_line() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run(
        cwd.path(),
        &[
            "shell",
            "--memory",
            "-c",
            "\\s b\nBEGIN ISOLATION LEVEL SERIALIZABLE;\n\\sessions",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("BEGIN\n"), "{stdout}");
    assert!(
        stdout.contains(" b       | serializable   | in transaction | \n"),
        "{stdout}"
    );
}

#[test]
fn piped_standard_input_is_read_as_a_script_and_echo_can_be_asked_for() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run(
        cwd.path(),
        &["shell", "--memory", "--echo"],
        "CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t\n  VALUES (1);\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "a:RC> CREATE TABLE t (id INT PRIMARY KEY);\nCREATE TABLE\n\
         a:RC> INSERT INTO t\na:RC->   VALUES (1);\nINSERT 0 1\n"
    );
}

#[test]
fn continue_keeps_going_after_errors_and_exits_0() {
    let cwd = tempfile::tempdir().unwrap();
    let args = [
        "shell",
        "--memory",
        "--continue",
        "-c",
        "SELECT 1/0;\nSELECT 2 AS two;",
    ];
    let out = run(cwd.path(), &args, "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "ERROR:  division by zero [22012]\n");
    assert!(text(&out.stdout).contains("   2\n"));
}

#[test]
fn quit_ends_a_script_early() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run(
        cwd.path(),
        &["shell", "--memory"],
        "SELECT 1 AS x;\n\\q\nSELECT nope;\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn the_isolation_flag_sets_the_level_of_new_sessions() {
    let cwd = tempfile::tempdir().unwrap();
    let args = [
        "shell",
        "--memory",
        "--isolation",
        "rr",
        "-e",
        "-c",
        "\\s b\nSHOW transaction_isolation",
    ];
    let out = run(cwd.path(), &args, "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("a:RR> \\s b\nb:RR> SHOW"), "{stdout}");
    assert!(stdout.contains(" repeatable read\n"), "{stdout}");
}

#[test]
fn the_shell_creates_and_reopens_the_database_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let create = "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (7);";
    let out = run(cwd.path(), &["shell", "-c", create], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        cwd.path().join("isolde-data").is_dir(),
        "the default directory is ./isolde-data"
    );
    let out = run(cwd.path(), &["shell", "-c", "SELECT id FROM t"], "");
    assert_eq!(text(&out.stdout), " id \n----\n  7\n(1 row)\n\n");
    let out = run(
        cwd.path(),
        &["--dir", "other", "shell", "-c", "SELECT 1"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(cwd.path().join("other").is_dir());
}

#[test]
fn a_missing_script_file_is_an_error_naming_it() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run(cwd.path(), &["shell", "--memory", "-f", "nothere.sql"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("nothere.sql"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_input_bytes_and_unterminated_strings_do_not_crash_the_shell() {
    let cwd = tempfile::tempdir().unwrap();
    let path = cwd.path().join("bad.sql");
    let mut file = File::create(&path).unwrap();
    file.write_all(b"SELECT '\xff\xfe' AS bytes;\n\\\nSELECT 'open\n")
        .unwrap();
    drop(file);
    let out = run(
        cwd.path(),
        &["shell", "--memory", "--continue", "-f", "bad.sql"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\u{fffd}\u{fffd}"));
    assert!(text(&out.stderr).contains("invalid command \\."));
}

/// The interactive shell through a pseudo-terminal made by util-linux `script`, typed
/// into line by line; skipped where `script` is not installed. b's statement waits for
/// a's lock until the lock timeout (from `isolde.toml`) ends it while the user is at the
/// prompt: its error must appear before the next line is typed.
#[test]
fn the_interactive_shell_prints_a_waiting_statements_result_while_at_the_prompt() {
    let Ok(probe) = Command::new("script").arg("--version").output() else {
        eprintln!("skipped: no `script` command");
        return;
    };
    if !probe.status.success() {
        eprintln!("skipped: `script` is not util-linux's");
        return;
    }
    let cwd = tempfile::tempdir().unwrap();
    fs::write(cwd.path().join("isolde.toml"), "lock-timeout = 200\n").unwrap();
    let command = format!("{} shell --memory", env!("CARGO_BIN_EXE_isolde"));
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("ISOLDE_HISTORY", "")
        .env("TERM", "xterm")
        .current_dir(cwd.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let typed = [
        "CREATE TABLE t (id INT PRIMARY KEY);",
        "INSERT INTO t VALUES (1);",
        "BEGIN;",
        "SELECT 40 +",
        " 2 AS answer;",
        "DELETE FROM t;",
        "\\s b",
        "DELETE FROM t;",
    ];
    let pause = |ms| std::thread::sleep(std::time::Duration::from_millis(ms));
    pause(300);
    for line in typed {
        writeln!(stdin, "{line}").unwrap();
        pause(150);
    }
    pause(1500);
    writeln!(stdin, "SELECT 'after' AS later;").unwrap();
    pause(300);
    writeln!(stdin, "\\q").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Type \\? for help"), "{stdout}");
    for expected in [
        "a:RC*> ",
        "a:RC*-> ",
        "     42",
        "b: waiting for a lock held by session a",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in {stdout}");
    }
    let timeout = stdout.find("[55P03]").unwrap_or_else(|| panic!("{stdout}"));
    let next = stdout
        .find("SELECT 'after'")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        timeout < next,
        "printed before the next line is typed: {stdout}"
    );
}
