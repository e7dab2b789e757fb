//! `isolde kv`: key-value operations for scripts, each its own autocommit transaction at
//! the configured `default-isolation`.
//!
//! Keys and values are taken as the raw bytes of the arguments. Output is raw by default:
//! `get` prints the value and a newline, `scan` prints `key<TAB>value` lines, bytes as
//! stored (a value holding a newline or tab makes such output ambiguous). With `--json`,
//! `get` prints one JSON value and `scan` prints one JSON object `{"key":…,"value":…}`
//! per line (JSON Lines); a byte string is a JSON string when it is UTF-8 and
//! `{"base64":"…"}` otherwise.
//!
//! Like `redis-cli` returning nil, `get` of a missing key prints nothing and exits with
//! code 1; `del` of a missing key changes nothing and exits with code 1 too.

use std::ffi::OsString;

use clap::Subcommand;

use super::output::{json_bytes, print};
use super::{Context, Result, Status};

/// The `kv` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set KEY to VALUE
    Put { key: OsString, value: OsString },
    /// Print the value of KEY (exit code 1 and no output if it does not exist)
    Get {
        key: OsString,
        /// Print the value as JSON (a string, or {"base64": ...} for non-UTF-8 bytes)
        #[arg(long)]
        json: bool,
    },
    /// Delete KEY (exit code 1 if it did not exist)
    Del { key: OsString },
    /// Print keys and values in key order, as `key<TAB>value` lines
    Scan {
        /// Only keys starting with this prefix
        #[arg(long, value_name = "P")]
        prefix: Option<OsString>,
        /// At most this many keys
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// One JSON object {"key": ..., "value": ...} per line
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `kv` subcommand.
pub(crate) fn run(command: &Command, context: &Context) -> Result<Status> {
    match command {
        Command::Put { key, value } => put(context, &bytes(key), &bytes(value)),
        Command::Get { key, json } => get(context, &bytes(key), *json),
        Command::Del { key } => del(context, &bytes(key)),
        Command::Scan {
            prefix,
            limit,
            json,
        } => scan(
            context,
            prefix.as_ref().map(bytes).as_deref(),
            limit.unwrap_or(usize::MAX),
            *json,
        ),
    }
}

/// The bytes of an argument as the operating system passed them.
fn bytes(arg: &OsString) -> Vec<u8> {
    arg.clone().into_encoded_bytes()
}

fn put(context: &Context, key: &[u8], value: &[u8]) -> Result<Status> {
    context.open_or_create()?.put(key, value)?;
    Ok(Status::Success)
}

fn get(context: &Context, key: &[u8], json: bool) -> Result<Status> {
    let Some(value) = context.open_existing()?.get(key)? else {
        return Ok(Status::Failed);
    };
    print(line(&value, json))?;
    Ok(Status::Success)
}

fn del(context: &Context, key: &[u8]) -> Result<Status> {
    let db = context.open_existing()?;
    let mut tx = db.begin(db.options().default_isolation);
    if tx.get(key)?.is_none() {
        tx.rollback();
        return Ok(Status::Failed);
    }
    tx.delete(key)?;
    tx.commit()?;
    Ok(Status::Success)
}

fn scan(context: &Context, prefix: Option<&[u8]>, limit: usize, json: bool) -> Result<Status> {
    let db = context.open_existing()?;
    let tx = db.begin_read_only(db.options().default_isolation);
    let entries = match prefix {
        Some(prefix) => tx.scan_prefix(prefix)?,
        None => tx.scan::<&[u8]>(..)?,
    };
    // Printed in batches so that a large scan neither waits for the end nor writes per key.
    let mut batch = Vec::new();
    for (key, value) in entries.take(limit) {
        batch.extend_from_slice(&pair(&key, &value, json));
        if batch.len() >= 64 * 1024 {
            print(&batch)?;
            batch.clear();
        }
    }
    print(&batch)?;
    tx.commit()?;
    Ok(Status::Success)
}

/// A value as `get` prints it.
fn line(value: &[u8], json: bool) -> Vec<u8> {
    if json {
        let mut out = String::new();
        json_bytes(&mut out, value);
        out.push('\n');
        return out.into_bytes();
    }
    let mut out = value.to_vec();
    out.push(b'\n');
    out
}

/// A key and value as `scan` prints them.
fn pair(key: &[u8], value: &[u8], json: bool) -> Vec<u8> {
    if json {
        let mut out = String::from("{\"key\":");
        json_bytes(&mut out, key);
        out.push_str(",\"value\":");
        json_bytes(&mut out, value);
        out.push_str("}\n");
        return out.into_bytes();
    }
    [key, b"\t", value, b"\n"].concat()
}
