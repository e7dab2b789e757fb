//! The `isolde` binary as scripts see it: its output, its exit codes (0 success, 1 not
//! found or check failed, 2 usage error, 3 other errors) and its messages on stderr.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use isolde::{Db, Options};

/// A scratch directory the command runs in (so no stray `./isolde.toml` is read), with
/// the database at `db/` inside it.
struct Scratch {
    root: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn db(&self) -> PathBuf {
        self.path("db")
    }

    /// Runs `isolde` with `args` in the scratch directory, standard input closed.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_isolde"))
            .args(args)
            .current_dir(self.root.path())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs a `kv` subcommand on `db/`.
    fn kv(&self, args: &[&str]) -> Output {
        let mut all = vec!["kv"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--dir", "db"]);
        self.run(&all)
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it is not the expected one.
#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Asserts that `text` holds `wanted`, showing `text` when it does not.
#[track_caller]
fn assert_contains(text: &str, wanted: &str) {
    assert!(text.contains(wanted), "{wanted:?} not in:\n{text}");
}

/// Asserts that `text` does not hold `unwanted`, showing `text` when it does.
#[track_caller]
fn assert_lacks(text: &str, unwanted: &str) {
    assert!(!text.contains(unwanted), "{unwanted:?} in:\n{text}");
}

/// `len` bytes that do not compress (xorshift64 from `state`, which moves on).
fn random_bytes(state: &mut u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn options() -> Options {
    Options {
        save: Vec::new(),
        ..Options::default()
    }
}

#[test]
fn kv_put_get_del_and_scan_round_trip() {
    let s = Scratch::new();
    for (key, value) in [("apple", "red"), ("avocado", "green"), ("banana", "yellow")] {
        assert_exit(&s.kv(&["put", key, value]), 0);
    }
    let got = s.kv(&["get", "apple"]);
    assert_exit(&got, 0);
    assert_eq!(stdout(&got), "red\n");

    let all = s.kv(&["scan"]);
    assert_exit(&all, 0);
    assert_eq!(stdout(&all), "apple\tred\navocado\tgreen\nbanana\tyellow\n");
    assert_eq!(
        stdout(&s.kv(&["scan", "--prefix", "a", "--limit", "1"])),
        "apple\tred\n"
    );

    assert_exit(&s.kv(&["del", "apple"]), 0);
    assert_eq!(
        stdout(&s.kv(&["scan", "--prefix", "a"])),
        "avocado\tgreen\n"
    );
}

#[test]
fn missing_key_exits_1_with_nothing_on_stdout() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "present", "1"]), 0);
    for args in [
        &["get", "absent"][..],
        &["get", "absent", "--json"],
        &["del", "absent"],
    ] {
        let output = s.kv(args);
        assert_exit(&output, 1);
        assert_eq!(stdout(&output), "", "{args:?}");
        assert_eq!(stderr(&output), "", "{args:?}");
    }
}

#[test]
fn json_output_escapes_strings_and_base64_encodes_other_bytes() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "quote", "say \"hi\"\n"]), 0);
    let got = s.kv(&["get", "quote", "--json"]);
    assert_exit(&got, 0);
    assert_eq!(stdout(&got), "\"say \\\"hi\\\"\\n\"\n");

    let db = Db::open(s.db(), options()).unwrap();
    db.put(b"bin", &[0xff, 0x00, 0x01]).unwrap();
    drop(db);
    assert_eq!(
        stdout(&s.kv(&["get", "bin", "--json"])),
        "{\"base64\":\"/wAB\"}\n"
    );
    assert_eq!(
        stdout(&s.kv(&["scan", "--json"])),
        "{\"key\":\"bin\",\"value\":{\"base64\":\"/wAB\"}}\n\
         {\"key\":\"quote\",\"value\":\"say \\\"hi\\\"\\n\"}\n"
    );
}

#[test]
fn reading_a_directory_that_does_not_exist_is_an_error_not_a_new_database() {
    let s = Scratch::new();
    let output = s.kv(&["get", "k"]);
    assert_exit(&output, 3);
    assert!(
        stderr(&output).starts_with("isolde: error: no database at db"),
        "{}",
        stderr(&output)
    );
    assert!(!s.db().exists());
}

#[test]
fn checkpoint_inspect_and_restore_carry_the_data_to_a_new_directory() {
    let s = Scratch::new();
    let db = Db::open(s.db(), options()).unwrap();
    for i in 0..200 {
        db.put(
            format!("key{i:03}").as_bytes(),
            format!("value{i}").as_bytes(),
        )
        .unwrap();
    }
    drop(db);

    let checkpoint = s.run(&["checkpoint", "--dir", "db", "--out", "backup.ickp"]);
    assert_exit(&checkpoint, 0);
    assert_contains(&stdout(&checkpoint), "keys         200");
    assert!(s.path("backup.ickp").is_file() && !s.path("backup.ickp.tmp").exists());

    let inspect = s.run(&["inspect", "backup.ickp"]);
    assert_exit(&inspect, 0);
    let report = stdout(&inspect);
    for expected in [
        "version 1",
        "snapshot ts  200",
        "wal lsn      200",
        "entries      200",
        "checksums    ok",
    ] {
        assert!(
            report.contains(expected),
            "{expected:?} missing from:\n{report}"
        );
    }
    assert!(
        report.contains("created      20") && report.contains("Z\n"),
        "{report}"
    );

    let restore = s.run(&["restore", "backup.ickp", "--dir", "restored"]);
    assert_exit(&restore, 0);
    assert_contains(&stdout(&restore), "keys         200");
    let got = s.run(&["kv", "get", "key123", "--dir", "restored"]);
    assert_exit(&got, 0);
    assert_eq!(stdout(&got), "value123\n");
}

#[test]
fn commits_made_after_a_restore_survive_reopening() {
    // The backup's header points at LSN 3 of the old log; the restored log starts again
    // at LSN 1, so restore must not leave recovery skipping the first new records.
    let s = Scratch::new();
    for key in ["a", "b", "c"] {
        assert_exit(&s.kv(&["put", key, key]), 0);
    }
    assert_exit(
        &s.run(&["checkpoint", "--dir", "db", "--out", "backup.ickp"]),
        0,
    );
    assert_exit(&s.run(&["restore", "backup.ickp", "--dir", "restored"]), 0);
    for key in ["d", "e", "f", "g"] {
        assert_exit(&s.run(&["kv", "put", key, key, "--dir", "restored"]), 0);
    }
    let all = s.run(&["kv", "scan", "--dir", "restored"]);
    assert_eq!(stdout(&all), "a\ta\nb\tb\nc\tc\nd\td\ne\te\nf\tf\ng\tg\n");
}

#[test]
fn restore_refuses_a_non_empty_directory_unless_forced() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "old", "1"]), 0);
    assert_exit(
        &s.run(&["checkpoint", "--dir", "db", "--out", "backup.ickp"]),
        0,
    );
    assert_exit(&s.run(&["kv", "put", "other", "2", "--dir", "target"]), 0);
    fs::write(s.path("target/notes.txt"), "not isolde's").unwrap();

    let refused = s.run(&["restore", "backup.ickp", "--dir", "target"]);
    assert_exit(&refused, 3);
    assert_contains(&stderr(&refused), "target is not empty");
    assert_eq!(
        stdout(&s.run(&["kv", "get", "other", "--dir", "target"])),
        "2\n"
    );

    assert_exit(
        &s.run(&["restore", "backup.ickp", "--dir", "target", "--force"]),
        0,
    );
    assert_exit(&s.run(&["kv", "get", "other", "--dir", "target"]), 1);
    assert_eq!(
        stdout(&s.run(&["kv", "get", "old", "--dir", "target"])),
        "1\n"
    );
    assert!(
        s.path("target/notes.txt").is_file(),
        "files isolde does not own are kept"
    );
}

#[test]
fn forced_restore_refuses_a_directory_in_use() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "k", "v"]), 0);
    assert_exit(
        &s.run(&["checkpoint", "--dir", "db", "--out", "backup.ickp"]),
        0,
    );
    let open = Db::open(s.db(), options()).unwrap();
    let refused = s.run(&["restore", "backup.ickp", "--dir", "db", "--force"]);
    assert_exit(&refused, 3);
    assert_contains(&stderr(&refused), "in use by another process");
    drop(open);
}

#[test]
fn restore_of_a_corrupt_file_changes_nothing() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "k", "v"]), 0);
    assert_exit(
        &s.run(&["checkpoint", "--dir", "db", "--out", "backup.ickp"]),
        0,
    );
    flip_byte(&s.path("backup.ickp"), 50);
    let refused = s.run(&["restore", "backup.ickp", "--dir", "db", "--force"]);
    assert_exit(&refused, 1);
    assert_contains(&stderr(&refused), "backup.ickp");
    assert_eq!(stdout(&s.kv(&["get", "k"])), "v\n");
}

#[test]
fn inspect_of_a_corrupted_copy_fails_naming_the_file() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "k", "v"]), 0);
    assert_exit(
        &s.run(&["checkpoint", "--dir", "db", "--out", "copy.ickp"]),
        0,
    );
    let len = fs::metadata(s.path("copy.ickp")).unwrap().len();
    flip_byte(&s.path("copy.ickp"), len / 2);
    let output = s.run(&["inspect", "copy.ickp"]);
    assert_exit(&output, 1);
    let message = stderr(&output);
    assert!(
        message.starts_with("isolde: error: checkpoint copy.ickp"),
        "{message}"
    );
    assert_eq!(stdout(&output), "");

    let missing = s.run(&["inspect", "nothing-here.ickp"]);
    assert_exit(&missing, 3);
    assert_contains(&stderr(&missing), "nothing-here.ickp");
}

#[test]
fn check_wal_says_ok_for_a_sound_log() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "k", "v"]), 0);
    let output = s.run(&["check-wal", "--dir", "db"]);
    assert_exit(&output, 0);
    assert!(stdout(&output).starts_with("OK: "), "{}", stdout(&output));
}

#[test]
fn check_wal_reports_a_corrupt_middle_record_and_fix_cuts_the_log_there() {
    let s = Scratch::new();
    let segment = log_of_three_records(&s);
    let second_record = second_record_offset(&segment);
    flip_byte(&segment, second_record + 9);
    // Paths are printed as given: relative to the scratch directory.
    let shown = Path::new("db/wal").join(segment.file_name().unwrap());
    let file_and_offset = format!("{} at byte offset {second_record}", shown.display());

    let check = s.run(&["check-wal", "--dir", "db"]);
    assert_exit(&check, 1);
    assert_contains(&stdout(&check), &file_and_offset);
    let open = s.kv(&["get", "first"]);
    assert_exit(&open, 3);
    assert_contains(&stderr(&open), &file_and_offset);

    let fix = s.run(&["check-wal", "--dir", "db", "--fix"]);
    assert_exit(&fix, 0);
    assert!(stdout(&fix).contains("--fix drops"), "{}", stdout(&fix));
    assert_contains(&stdout(&fix), "at least 1 valid-looking records");
    assert_exit(&s.run(&["check-wal", "--dir", "db"]), 0);
    assert_eq!(stdout(&s.kv(&["scan"])), "first\t1\n");
}

#[test]
fn check_wal_calls_a_damaged_length_corruption_and_open_refuses_without_cutting() {
    let s = Scratch::new();
    let segment = log_of_three_records(&s);
    let mut bytes = fs::read(&segment).unwrap();
    bytes[33] |= 0x01; // the first record's length now runs past the end of the file
    fs::write(&segment, &bytes).unwrap();
    let shown = Path::new("db/wal").join(segment.file_name().unwrap());
    let file_and_offset = format!("{} at byte offset 32", shown.display());

    let check = s.run(&["check-wal", "--dir", "db"]);
    assert_exit(&check, 1);
    assert_contains(&stdout(&check), &file_and_offset);
    assert_lacks(&stdout(&check), "cut short by a crash;");
    let open = s.kv(&["get", "third"]);
    assert_exit(&open, 3);
    assert_contains(&stderr(&open), &file_and_offset);
    assert_eq!(
        fs::read(&segment).unwrap(),
        bytes,
        "a refused open cuts nothing"
    );

    let fix = s.run(&["check-wal", "--dir", "db", "--fix"]);
    assert_exit(&fix, 0);
    assert_contains(&stdout(&fix), "at least 2 valid-looking records");
    assert_exit(&s.run(&["check-wal", "--dir", "db"]), 0);
}

#[test]
fn check_wal_calls_a_large_record_torn_in_mid_write_a_crash_and_open_cuts_it_with_a_warning() {
    let s = Scratch::new();
    let db = Db::open(s.db(), options()).unwrap();
    db.put(b"first", b"1").unwrap();
    // A value that does not compress, as large values often are.
    let big = random_bytes(&mut 0x9e37_79b9_7f4a_7c15, 4 << 20);
    db.put(b"big", &big).unwrap();
    drop(db);
    let segment = only_segment(&s.db().join("wal"));
    let second_record = second_record_offset(&segment);
    let full = fs::metadata(&segment).unwrap().len();
    // A crash halfway through writing the big record.
    let torn_at = second_record + (full - second_record) / 2;
    fs::File::options()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(torn_at)
        .unwrap();
    let shown = Path::new("db/wal").join(segment.file_name().unwrap());
    let file_and_offset = format!("{} at byte offset {second_record}", shown.display());

    let check = s.run(&["check-wal", "--dir", "db"]);
    assert_exit(&check, 1);
    assert_contains(&stdout(&check), &file_and_offset);
    assert_contains(
        &stdout(&check),
        "cut short by a crash; opening the database cuts it off",
    );
    assert!(!stdout(&check).contains("damage"), "{}", stdout(&check));
    let open = s.kv(&["scan"]);
    assert_exit(&open, 0);
    assert_eq!(stdout(&open), "first\t1\n");
    assert_contains(&stderr(&open), "warning: torn tail cut off");
    assert_eq!(fs::metadata(&segment).unwrap().len(), second_record);
    assert_exit(&s.run(&["check-wal", "--dir", "db"]), 0);
}

#[test]
fn check_wal_reports_a_record_that_does_not_decode_and_fix_cuts_there() {
    let s = Scratch::new();
    for (key, value) in [("first", "1"), ("second", "2")] {
        assert_exit(&s.kv(&["put", key, value]), 0);
    }
    let segment = only_segment(&s.db().join("wal"));
    let bytes = fs::read(&segment).unwrap();
    let second_record = second_record_offset(&segment) as usize;
    // The first record replaced by a correctly framed payload of an unknown kind.
    let payload = [99u8; 32];
    let len = (payload.len() as u32).to_le_bytes();
    let mut framed = bytes[..32].to_vec();
    framed.extend_from_slice(&len);
    framed.extend_from_slice(&crc32(&[&len[..], &payload[..]].concat()).to_le_bytes());
    framed.extend_from_slice(&payload);
    framed.extend_from_slice(&bytes[second_record..]);
    fs::write(&segment, &framed).unwrap();
    let shown = Path::new("db/wal").join(segment.file_name().unwrap());
    let file_and_offset = format!("{} at byte offset 32", shown.display());

    let check = s.run(&["check-wal", "--dir", "db"]);
    assert_exit(&check, 1);
    let report = stdout(&check);
    assert!(report.contains(&file_and_offset), "{report}");
    assert!(report.contains("LSN 1 does not decode"), "{report}");
    // Opening refuses it the same way, naming the same place.
    let open = s.kv(&["scan"]);
    assert_exit(&open, 3);
    assert_contains(&stderr(&open), &file_and_offset);
    assert_contains(&stderr(&open), "check-wal --fix");

    let fix = s.run(&["check-wal", "--dir", "db", "--fix"]);
    assert_exit(&fix, 0);
    assert!(stdout(&fix).contains("cut the log at"), "{}", stdout(&fix));
    assert_exit(&s.run(&["check-wal", "--dir", "db"]), 0);
    let scan = s.kv(&["scan"]);
    assert_exit(&scan, 0);
    assert_eq!(stdout(&scan), "");
}

#[test]
fn check_wal_fix_declined_at_the_prompt_exits_1_and_changes_nothing() {
    let s = Scratch::new();
    let segment = log_of_three_records(&s);
    flip_byte(&segment, second_record_offset(&segment) + 9);
    let damaged = fs::read(&segment).unwrap();
    // util-linux `script` gives the command a terminal, so it asks; -e returns its
    // exit code.
    let command = format!("{} check-wal --fix --dir db", env!("CARGO_BIN_EXE_isolde"));
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(s.root.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the command on a terminal");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"n\n").unwrap();
    let declined = child.wait_with_output().unwrap();
    assert_contains(&stdout(&declined), "nothing changed");
    assert_exit(&declined, 1);
    assert_eq!(fs::read(&segment).unwrap(), damaged);
}

#[test]
fn an_empty_log_manifest_is_reported_corrupt_naming_it() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "k", "v"]), 0);
    fs::write(s.db().join("wal").join("MANIFEST"), b"").unwrap();
    let open = s.kv(&["scan"]);
    assert_exit(&open, 3);
    assert_contains(&stderr(&open), "corrupt log file db/wal/MANIFEST");
    for args in [
        &["check-wal", "--dir", "db"][..],
        &["check-wal", "--dir", "db", "--fix"],
    ] {
        let check = s.run(args);
        assert_exit(&check, 1);
        assert!(
            stdout(&check).contains("corrupt log file db/wal/MANIFEST"),
            "{args:?}: {}",
            stdout(&check)
        );
    }
}

/// CRC-32 (IEEE), as the log frames records with.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_bad_configuration_key_is_named_with_its_line() {
    let s = Scratch::new();
    fs::write(
        s.path("isolde.toml"),
        "dir = \"db\"\nappendfsinc = \"always\"\n",
    )
    .unwrap();
    for args in [
        &["kv", "get", "k"][..],
        &["--config", "isolde.toml", "kv", "get", "k"],
    ] {
        let output = s.run(args);
        assert_exit(&output, 3);
        let message = stderr(&output);
        assert!(
            message.contains("appendfsinc") && message.contains("line 2"),
            "{message}"
        );
    }
    // `inspect` reads no configuration, so the broken one does not stop it.
    let empty = ["--config", "/dev/null", "--dir", "db"];
    assert_exit(&s.run(&[&["kv", "put", "k", "v"][..], &empty].concat()), 0);
    assert_exit(
        &s.run(&[&["checkpoint", "--out", "c.ickp"][..], &empty].concat()),
        0,
    );
    assert_exit(&s.run(&["inspect", "c.ickp"]), 0);
}

#[test]
fn the_configured_directory_is_used_and_dir_overrides_it() {
    let s = Scratch::new();
    fs::write(s.path("isolde.toml"), "dir = \"from-config\"\n").unwrap();
    assert_exit(&s.run(&["kv", "put", "k", "config"]), 0);
    assert_exit(&s.run(&["kv", "put", "k", "flag", "--dir", "from-flag"]), 0);
    assert_eq!(stdout(&s.run(&["kv", "get", "k"])), "config\n");
    assert_eq!(
        stdout(&s.run(&["--dir", "from-flag", "kv", "get", "k"])),
        "flag\n"
    );
}

#[test]
fn every_command_has_help_and_bad_usage_exits_2() {
    let s = Scratch::new();
    let commands: [&[&str]; 10] = [
        &[],
        &["checkpoint"],
        &["restore"],
        &["inspect"],
        &["check-wal"],
        &["kv"],
        &["kv", "put"],
        &["kv", "get"],
        &["kv", "del"],
        &["kv", "scan"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let output = s.run(&args);
        assert_exit(&output, 0);
        assert!(stdout(&output).contains("Usage: isolde"), "{args:?}");
    }
    let version = s.run(&["--version"]);
    assert_exit(&version, 0);
    assert_eq!(
        stdout(&version),
        format!("isolde {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_exit(&s.run(&["frobnicate"]), 2);
    assert_exit(&s.run(&["kv", "get"]), 2);
}

fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x5a;
    fs::write(path, bytes).unwrap();
}

/// Commits `first`, `second` and `third` on `db/`, one record each; returns the log's
/// one segment file.
fn log_of_three_records(s: &Scratch) -> PathBuf {
    for (key, value) in [("first", "1"), ("second", "2"), ("third", "3")] {
        assert_exit(&s.kv(&["put", key, value]), 0);
    }
    only_segment(&s.db().join("wal"))
}

fn only_segment(wal: &Path) -> PathBuf {
    let mut segments: Vec<PathBuf> = fs::read_dir(wal)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    assert_eq!(segments.len(), 1, "{segments:?}");
    segments.pop().unwrap()
}

/// The offset of a segment's second record: after the 32-byte segment header and the
/// first record's 8-byte frame header (length, CRC) and payload.
fn second_record_offset(segment: &Path) -> u64 {
    const SEGMENT_HEADER: usize = 32;
    let bytes = fs::read(segment).unwrap();
    let len = u32::from_le_bytes(
        bytes[SEGMENT_HEADER..SEGMENT_HEADER + 4]
            .try_into()
            .unwrap(),
    );
    (SEGMENT_HEADER + 8) as u64 + u64::from(len)
}

/// Runs `isolde restore` with a file-size limit, so that the process dies (SIGXFSZ)
/// partway through writing the new checkpoint: what an interrupted restore leaves.
fn restore_killed_while_writing(s: &Scratch, args: &[&str]) -> Output {
    let command = format!(
        "ulimit -f 8; exec '{}' restore {}",
        env!("CARGO_BIN_EXE_isolde"),
        args.join(" ")
    );
    Command::new("sh")
        .args(["-c", &command])
        .current_dir(s.root.path())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A backup of a database whose checkpoint is far larger than 8 KiB.
fn large_backup(s: &Scratch) {
    let db = Db::open(s.path("src"), options()).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15;
    for i in 0..2_000 {
        let value = random_bytes(&mut state, 64);
        db.put(format!("src{i}").as_bytes(), &value).unwrap();
    }
    drop(db);
    assert_exit(
        &s.run(&["checkpoint", "--dir", "src", "--out", "backup.ickp"]),
        0,
    );
    assert!(fs::metadata(s.path("backup.ickp")).unwrap().len() > 64 * 1024);
}

#[test]
fn an_interrupted_forced_restore_leaves_the_old_database_whole_and_can_be_run_again() {
    let s = Scratch::new();
    large_backup(&s);
    assert_exit(&s.kv(&["put", "old", "1"]), 0);
    assert_exit(&s.run(&["checkpoint", "--dir", "db"]), 0);
    assert_exit(&s.kv(&["put", "logged", "2"]), 0);

    let killed = restore_killed_while_writing(&s, &["backup.ickp", "--dir", "db", "--force"]);
    assert!(!killed.status.success(), "{killed:?}");
    assert_eq!(stdout(&s.kv(&["get", "old"])), "1\n");
    assert_eq!(stdout(&s.kv(&["get", "logged"])), "2\n");
    assert_exit(&s.kv(&["get", "src7"]), 1);

    assert_exit(
        &s.run(&["restore", "backup.ickp", "--dir", "db", "--force"]),
        0,
    );
    assert_exit(&s.kv(&["get", "old"]), 1);
    assert_exit(&s.kv(&["get", "src7"]), 0);
}

#[test]
fn a_restore_into_a_new_directory_that_was_interrupted_can_be_run_again_without_force() {
    let s = Scratch::new();
    large_backup(&s);
    let killed = restore_killed_while_writing(&s, &["backup.ickp", "--dir", "fresh"]);
    assert!(!killed.status.success(), "{killed:?}");
    assert_exit(&s.run(&["restore", "backup.ickp", "--dir", "fresh"]), 0);
    assert_exit(&s.run(&["kv", "get", "src7", "--dir", "fresh"]), 0);
}

#[test]
fn a_restore_cut_short_in_the_swap_leaves_a_directory_that_refuses_to_open_until_run_again() {
    let s = Scratch::new();
    assert_exit(&s.kv(&["put", "new", "1"]), 0);
    assert_exit(
        &s.run(&["checkpoint", "--dir", "db", "--out", "backup.ickp"]),
        0,
    );
    assert_exit(&s.kv(&["put", "old", "2"]), 0);
    // What a kill between the renames of the swap leaves: the old log moved aside, the
    // new checkpoint not in place yet.
    let aside = s.db().join(isolde_txn::RESTORE_REPLACED_DIR);
    fs::create_dir(&aside).unwrap();
    fs::rename(s.db().join("wal"), aside.join("wal")).unwrap();

    let refused = s.kv(&["get", "old"]);
    assert_exit(&refused, 3);
    assert_contains(&stderr(&refused), "restore that was cut short");
    assert!(Db::open(s.db(), options()).is_err());

    assert_exit(
        &s.run(&["restore", "backup.ickp", "--dir", "db", "--force"]),
        0,
    );
    assert_eq!(stdout(&s.kv(&["get", "new"])), "1\n");
    assert!(!aside.exists());
}
