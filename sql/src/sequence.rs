//! Sequences: `CREATE SEQUENCE`, `nextval`, `currval`, `setval`, `lastval`, and the
//! sequences behind `SERIAL` and identity columns.
//!
//! # Not transactional, yet durable
//!
//! As in PostgreSQL, a value `nextval` hands out is never handed out again, even if the
//! transaction that took it rolls back: gaps are normal, and two sessions never wait for
//! each other to take values. So the counter cannot be an ordinary row written by the
//! caller's transaction (a second caller would wait for the first to end, and a rollback
//! would hand the values out again). Each sequence has two keys:
//!
//! - its **definition** (name, increment, bounds, start, cycle, owner), written by the
//!   transaction that runs CREATE or DROP, so that those are transactional DDL like
//!   CREATE TABLE, and read through the caller's transaction like a table definition;
//! - its **state**, the position `(value, is_called)` as PostgreSQL stores it. Once the
//!   sequence is committed the state is written only by small internal transactions
//!   of its own, committed at once, apart from the caller's.
//!
//! The position in use lives in memory, one counter per sequence behind a mutex,
//! shared by all sessions of the database ([`Counters`], kept by the transaction manager
//! as a per-database extension). Writing the state at every `nextval` would cost a
//! commit (an fsync under `appendfsync always`) per value, so, as PostgreSQL logs 32
//! values ahead, the counter writes a position [`BATCH`] values ahead and hands out the
//! values up to it without writing again. That internal commit is made before any value
//! of the new batch is handed out, and the log is in commit order: any commit that used
//! a value is logged after the state that covers it. After a restart (clean or a crash)
//! the counter starts from the stored position, so it may skip up to a batch of
//! values, exactly as PostgreSQL does, and never repeats one. The state is an ordinary
//! key, so checkpoints, log rewrites and replicas carry it.
//!
//! # Locks
//!
//! `nextval` and `setval` lock the definition shared in the caller's transaction, until
//! it ends (PostgreSQL's lock on the sequence): DROP, which locks it exclusively, waits
//! for them and they for it, while callers never wait for each other. With the lock held
//! the caller's view of the definition is the newest: if it differs from the newest
//! committed one, the caller's own transaction created the sequence and has not
//! committed. Such a sequence is advanced through that transaction itself, exactly
//! (it exists for no one else, and vanishes with a rollback).
//!
//! `currval` and `lastval` are per session, as in PostgreSQL. Simplifications: TRUNCATE
//! ... RESTART IDENTITY restarts a committed sequence at once, not at commit (a rollback
//! does not undo it); and a sequence advanced inside the transaction that created it is
//! advanced transactionally, so a `ROLLBACK TO SAVEPOINT` there takes its values back
//! (they can be handed out again, but only to rows of that same transaction, the ones
//! that held them having been rolled back too).

use std::collections::HashMap;
use std::sync::Arc;

use isolde_txn::{IsolationLevel, LockMode, TxnManager};
use parking_lot::Mutex;
use sqlparser::ast;

use crate::encoding::{
    index_name_key, put_bytes, sequence_def_key, sequence_state_key, table_def_key, Reader,
};
use crate::error::{Error, Result};
use crate::executor::Env;
use crate::expression::Expr;
use crate::planner::{Planner, Scope};
use crate::types::Value;

/// How many values one write of a sequence's state covers (PostgreSQL's
/// `SEQ_LOG_VALS`): at most this many are skipped after a restart.
pub const BATCH: u64 = 32;
const FORMAT_VERSION: u8 = 1;

/// The integer type a sequence counts in (`AS smallint | integer | bigint`), which sets
/// its default bounds. SERIAL makes an integer one, BIGSERIAL a bigint one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceType {
    SmallInt,
    Integer,
    BigInt,
}

impl SequenceType {
    /// The type of an integer SQL type name, or None.
    pub fn of(ty: &ast::DataType) -> Option<SequenceType> {
        use ast::DataType as D;
        Some(match ty {
            D::SmallInt(_) | D::Int2(_) => SequenceType::SmallInt,
            D::Int(_) | D::Integer(_) | D::Int4(_) => SequenceType::Integer,
            D::BigInt(_) | D::Int8(_) | D::Int64 => SequenceType::BigInt,
            _ => return None,
        })
    }

    fn range(self) -> (i64, i64) {
        match self {
            SequenceType::SmallInt => (i16::MIN.into(), i16::MAX.into()),
            SequenceType::Integer => (i32::MIN.into(), i32::MAX.into()),
            SequenceType::BigInt => (i64::MIN, i64::MAX),
        }
    }

    fn name(self) -> &'static str {
        match self {
            SequenceType::SmallInt => "smallint",
            SequenceType::Integer => "integer",
            SequenceType::BigInt => "bigint",
        }
    }
}

/// A sequence definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    pub id: u32,
    pub name: String,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub start: i64,
    pub cycle: bool,
    /// The table and column that own it (SERIAL, identity): it is dropped with the
    /// table and restarted by `TRUNCATE ... RESTART IDENTITY`.
    pub owned_by: Option<(String, String)>,
}

/// A position: the last value and whether it was handed out (PostgreSQL's
/// `last_value` and `is_called`); the next value is `value` itself when not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    value: i64,
    called: bool,
}

impl Sequence {
    /// A sequence of `ty` with PostgreSQL's defaults changed by `options`.
    pub fn new(
        p: &mut Planner<'_, '_>,
        name: String,
        ty: SequenceType,
        options: &[ast::SequenceOptions],
    ) -> Result<Sequence> {
        let (mut increment, mut min, mut max, mut start, mut cycle) =
            (None, None, None, None, None);
        fn once<T>(slot: &mut Option<T>, value: T) -> Result<()> {
            if slot.is_some() {
                return Err(Error::SyntaxRule("conflicting or redundant options".into()));
            }
            *slot = Some(value);
            Ok(())
        }
        let mut cache = None;
        for o in options {
            match o {
                ast::SequenceOptions::IncrementBy(e, _) => once(&mut increment, number(p, e)?)?,
                ast::SequenceOptions::MinValue(e) => once(&mut min, optional(p, e.as_ref())?)?,
                ast::SequenceOptions::MaxValue(e) => once(&mut max, optional(p, e.as_ref())?)?,
                ast::SequenceOptions::StartWith(e, _) => once(&mut start, number(p, e)?)?,
                ast::SequenceOptions::Cache(e) => once(&mut cache, number(p, e)?)?,
                ast::SequenceOptions::Cycle(no) => once(&mut cycle, !*no)?,
            }
        }
        let increment = increment.unwrap_or(1);
        if increment == 0 {
            return Err(Error::InvalidArgument("INCREMENT must not be zero".into()));
        }
        let (low, high) = ty.range();
        let out_of_type = |what: &str, v: i64| {
            Error::InvalidArgument(format!(
                "{what} ({v}) is out of range for sequence data type {}",
                ty.name()
            ))
        };
        let min = match min.flatten() {
            Some(v) if v < low || v > high => return Err(out_of_type("MINVALUE", v)),
            Some(v) => v,
            None if increment > 0 => 1,
            None => low,
        };
        let max = match max.flatten() {
            Some(v) if v < low || v > high => return Err(out_of_type("MAXVALUE", v)),
            Some(v) => v,
            None if increment > 0 => high,
            None => -1,
        };
        if min >= max {
            return Err(Error::InvalidArgument(format!(
                "MINVALUE ({min}) must be less than MAXVALUE ({max})"
            )));
        }
        let start = start.unwrap_or(if increment > 0 { min } else { max });
        if start < min {
            return Err(Error::InvalidArgument(format!(
                "START value ({start}) cannot be less than MINVALUE ({min})"
            )));
        }
        if start > max {
            return Err(Error::InvalidArgument(format!(
                "START value ({start}) cannot be greater than MAXVALUE ({max})"
            )));
        }
        if let Some(c) = cache.filter(|c| *c < 1) {
            return Err(Error::InvalidArgument(format!(
                "CACHE ({c}) must be greater than zero"
            )));
        }
        Ok(Sequence {
            id: 0,
            name,
            increment,
            min,
            max,
            start,
            cycle: cycle.unwrap_or(false),
            owned_by: None,
        })
    }

    /// The value after `pos`, or None past the end without CYCLE.
    fn next(&self, pos: Position) -> Option<i64> {
        if !pos.called {
            return Some(pos.value);
        }
        match pos.value.checked_add(self.increment) {
            Some(v) if (self.min..=self.max).contains(&v) => Some(v),
            _ if self.cycle => Some(if self.increment > 0 {
                self.min
            } else {
                self.max
            }),
            _ => None,
        }
    }

    /// The position up to `BATCH` values after `pos`, and how many values that is
    /// (fewer at the end of a sequence without CYCLE); 2200H if there is none.
    fn ahead(&self, mut pos: Position) -> Result<(Position, u64)> {
        let mut n = 0;
        while n < BATCH {
            let Some(value) = self.next(pos) else { break };
            pos = Position {
                value,
                called: true,
            };
            n += 1;
        }
        if n == 0 {
            return Err(self.limit());
        }
        Ok((pos, n))
    }

    fn limit(&self) -> Error {
        Error::SequenceLimit(if self.increment > 0 {
            format!(
                "nextval: reached maximum value of sequence \"{}\" ({})",
                self.name, self.max
            )
        } else {
            format!(
                "nextval: reached minimum value of sequence \"{}\" ({})",
                self.name, self.min
            )
        })
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = vec![FORMAT_VERSION];
        out.extend_from_slice(&self.id.to_le_bytes());
        put_bytes(&mut out, self.name.as_bytes());
        for v in [self.increment, self.min, self.max, self.start] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.push(self.cycle as u8);
        out.push(self.owned_by.is_some() as u8);
        if let Some((table, column)) = &self.owned_by {
            put_bytes(&mut out, table.as_bytes());
            put_bytes(&mut out, column.as_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Sequence> {
        let mut r = Reader::new(bytes, "sequence definition");
        if r.u8()? != FORMAT_VERSION {
            return Err(Error::Corrupt(
                "sequence definition: unknown format version".into(),
            ));
        }
        let id = r.u32()?;
        let name = r.string()?;
        let (increment, min, max, start) = (r.i64()?, r.i64()?, r.i64()?, r.i64()?);
        let cycle = r.u8()? != 0;
        let owned_by = match r.u8()? {
            0 => None,
            _ => Some((r.string()?, r.string()?)),
        };
        r.finish()?;
        Ok(Sequence {
            id,
            name,
            increment,
            min,
            max,
            start,
            cycle,
            owned_by,
        })
    }
}

fn number(p: &mut Planner<'_, '_>, e: &ast::Expr) -> Result<i64> {
    match p.scalar(e, &Scope::default())? {
        Expr::Const(Value::Integer(v)) => Ok(v),
        _ => Err(Error::InvalidArgument(format!(
            "sequence option value {e} must be an integer"
        ))),
    }
}

fn optional(p: &mut Planner<'_, '_>, e: Option<&ast::Expr>) -> Result<Option<i64>> {
    e.map(|e| number(p, e)).transpose()
}

fn encode_position(pos: Position) -> Vec<u8> {
    let mut out = pos.value.to_le_bytes().to_vec();
    out.push(pos.called as u8);
    out
}

fn decode_position(bytes: &[u8]) -> Result<Position> {
    let mut r = Reader::new(bytes, "sequence state");
    let value = r.i64()?;
    let called = r.u8()? != 0;
    r.finish()?;
    Ok(Position { value, called })
}

/// The in-memory position of a committed sequence.
struct Counter {
    pos: Position,
    /// How many values after `pos` the stored state covers: handed out without writing.
    covered: u64,
}

/// The counters of a database's committed sequences, by sequence id, shared by all
/// its sessions. A counter is loaded from the stored state on first use. A dropped
/// sequence's counter stays (a rolled-back DROP finds it as it was, and the id of a
/// committed sequence is never given again): a few bytes per dropped sequence until the
/// database is closed.
#[derive(Default)]
pub struct Counters {
    counters: Mutex<HashMap<u32, Arc<Mutex<Counter>>>>,
}

impl Counters {
    fn get(&self, db: &TxnManager, seq: &Sequence) -> Result<Arc<Mutex<Counter>>> {
        let mut counters = self.counters.lock();
        if let Some(c) = counters.get(&seq.id) {
            return Ok(c.clone());
        }
        let txn = db.begin_read_only(IsolationLevel::ReadCommitted);
        let state = txn.get(&sequence_state_key(seq.id))?;
        txn.rollback();
        let state = state.ok_or_else(|| {
            Error::Corrupt(format!("sequence \"{}\" has no stored state", seq.name))
        })?;
        let counter = Arc::new(Mutex::new(Counter {
            pos: decode_position(&state)?,
            covered: 0,
        }));
        counters.insert(seq.id, counter.clone());
        Ok(counter)
    }
}

/// Writes a committed sequence's state in a transaction of its own, committed at once.
fn store(db: &TxnManager, seq: &Sequence, pos: Position) -> Result<()> {
    let mut txn = db.begin(IsolationLevel::ReadCommitted);
    txn.put(&sequence_state_key(seq.id), &encode_position(pos))?;
    txn.commit()?;
    Ok(())
}

/// What a session remembers of sequences: the last value `nextval` gave it of each
/// (`currval`), and which one it used last (`lastval`). Cheap to clone: the clones are
/// the same session's.
#[derive(Clone)]
pub struct SessionSequences {
    counters: Arc<Counters>,
    seen: Arc<Mutex<Seen>>,
}

#[derive(Default)]
struct Seen {
    current: HashMap<u32, i64>,
    last: Option<u32>,
}

impl SessionSequences {
    /// A session's sequence state on database `db`.
    pub fn new(db: &TxnManager) -> SessionSequences {
        SessionSequences {
            counters: db.extension::<Counters>(),
            seen: Arc::default(),
        }
    }
}

/// A sequence as a caller may use it: its definition, and whether it is committed
/// (false: created by the caller's own transaction, not yet committed).
struct Resolved {
    seq: Sequence,
    committed: bool,
}

/// The sequence named `name`, its definition locked shared by the caller's transaction
/// for changing it. 42P01 if there is none, 42809 if `name` is a table or an index. A
/// sequence the caller cannot see is not locked: a CREATE in progress elsewhere is not
/// waited for, as in PostgreSQL.
fn resolve_for_change(env: &Env<'_>, name: &str, function: &'static str) -> Result<Resolved> {
    if env.txn.borrow().is_read_only() {
        return Err(Error::ReadOnly(function));
    }
    let key = sequence_def_key(name);
    if env.txn.borrow().get(&key)?.is_none() {
        return Err(missing(env, name)?);
    }
    let mut txn = env.txn.borrow_mut();
    let lock = txn.lock(&key, LockMode::Shared)?;
    let bytes = if lock.changed {
        lock.value.clone()
    } else {
        txn.get(&key)?
    };
    drop(txn);
    let Some(bytes) = bytes else {
        return Err(missing(env, name)?);
    };
    Ok(Resolved {
        seq: Sequence::decode(&bytes)?,
        committed: lock
            .value
            .is_some_and(|committed| committed[..] == bytes[..]),
    })
}

/// The sequence named `name` as the caller's transaction sees it, unlocked.
fn resolve(env: &Env<'_>, name: &str) -> Result<Sequence> {
    let bytes = env.txn.borrow().get(&sequence_def_key(name))?;
    match bytes {
        Some(b) => Sequence::decode(&b),
        None => Err(missing(env, name)?),
    }
}

/// The error for a name that is no sequence.
fn missing(env: &Env<'_>, name: &str) -> Result<Error> {
    let txn = env.txn.borrow();
    let other =
        txn.get(&table_def_key(name))?.is_some() || txn.get(&index_name_key(name))?.is_some();
    Ok(if other {
        Error::WrongObjectType(format!("\"{name}\" is not a sequence"))
    } else {
        Error::UndefinedTable(name.to_string())
    })
}

/// Moves `r` to `pos` ([`setval`], a restart): through the caller's transaction if it
/// created the sequence, else written at once.
fn set_position(env: &Env<'_>, r: &Resolved, pos: Position) -> Result<()> {
    if !r.committed {
        let mut txn = env.txn.borrow_mut();
        txn.put(&sequence_state_key(r.seq.id), &encode_position(pos))?;
        return Ok(());
    }
    let counter = env.sequences.counters.get(env.db, &r.seq)?;
    let mut c = counter.lock();
    store(env.db, &r.seq, pos)?;
    c.pos = pos;
    c.covered = 0;
    Ok(())
}

/// `nextval(name)`: the sequence's next value, never handed out before.
pub fn nextval(env: &Env<'_>, name: &str) -> Result<i64> {
    let r = resolve_for_change(env, name, "nextval()")?;
    let value = if r.committed {
        let counter = env.sequences.counters.get(env.db, &r.seq)?;
        let mut c = counter.lock();
        if c.covered == 0 {
            let (ahead, n) = r.seq.ahead(c.pos)?;
            store(env.db, &r.seq, ahead)?;
            c.covered = n;
        }
        let value = r.seq.next(c.pos).ok_or_else(|| r.seq.limit())?;
        c.pos = Position {
            value,
            called: true,
        };
        c.covered -= 1;
        value
    } else {
        let key = sequence_state_key(r.seq.id);
        let mut txn = env.txn.borrow_mut();
        let stored = txn
            .get(&key)?
            .ok_or_else(|| Error::Corrupt(format!("sequence \"{name}\" has no stored state")))?;
        let value = r
            .seq
            .next(decode_position(&stored)?)
            .ok_or_else(|| r.seq.limit())?;
        let pos = Position {
            value,
            called: true,
        };
        txn.put(&key, &encode_position(pos))?;
        value
    };
    let mut seen = env.sequences.seen.lock();
    seen.current.insert(r.seq.id, value);
    seen.last = Some(r.seq.id);
    Ok(value)
}

/// `currval(name)`: the value the session's last `nextval` of the sequence returned.
pub fn currval(env: &Env<'_>, name: &str) -> Result<i64> {
    let seq = resolve(env, name)?;
    let value = env.sequences.seen.lock().current.get(&seq.id).copied();
    value.ok_or_else(|| {
        Error::NotInPrerequisiteState(format!(
            "currval of sequence \"{name}\" is not yet defined in this session"
        ))
    })
}

/// `lastval()`: the value the session's last `nextval` of any sequence returned.
pub fn lastval(env: &Env<'_>) -> Result<i64> {
    let seen = env.sequences.seen.lock();
    seen.last
        .and_then(|id| seen.current.get(&id).copied())
        .ok_or_else(|| {
            Error::NotInPrerequisiteState("lastval is not yet defined in this session".into())
        })
}

/// `setval(name, value [, is_called])`: the next `nextval` returns the value after
/// `value`, or `value` itself when `is_called` is false. Not undone by a rollback.
pub fn setval(env: &Env<'_>, name: &str, value: i64, called: bool) -> Result<i64> {
    let r = resolve_for_change(env, name, "setval()")?;
    if !(r.seq.min..=r.seq.max).contains(&value) {
        return Err(Error::OutOfRange(format!(
            "setval: value {value} is out of bounds for sequence \"{name}\" ({}..{})",
            r.seq.min, r.seq.max
        )));
    }
    set_position(env, &r, Position { value, called })?;
    if called {
        env.sequences.seen.lock().current.insert(r.seq.id, value);
    }
    Ok(value)
}

/// Starts sequence `name` again at its START value (`TRUNCATE ... RESTART IDENTITY`).
pub fn restart(env: &Env<'_>, name: &str) -> Result<()> {
    let r = resolve_for_change(env, name, "TRUNCATE TABLE")?;
    let pos = Position {
        value: r.seq.start,
        called: false,
    };
    set_position(env, &r, pos)
}

/// The definition of sequence `name` as the transaction sees it, or None.
pub fn get(env: &Env<'_>, name: &str) -> Result<Option<Sequence>> {
    let bytes = env.txn.borrow().get(&sequence_def_key(name))?;
    bytes.map(|b| Sequence::decode(&b)).transpose()
}

/// Sequence `name` locked exclusively in the statement's transaction (for DROP, or
/// its name for CREATE): waits for the transactions using it, then sees what they
/// committed. None if there is no such sequence.
pub fn lock(env: &Env<'_>, name: &str) -> Result<Option<Sequence>> {
    let key = sequence_def_key(name);
    let mut txn = env.txn.borrow_mut();
    let lock = txn.lock(&key, LockMode::Exclusive)?;
    let bytes = if lock.changed {
        lock.value
    } else {
        txn.get(&key)?
    };
    bytes.map(|b| Sequence::decode(&b)).transpose()
}

/// A sequence name given as text (`nextval('s')`), folded as PostgreSQL reads it: an
/// unquoted name in lower case, a double-quoted one as written.
pub fn fold_name(text: &str) -> String {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => text.to_lowercase(),
    }
}

/// Stores a new sequence (its id allocated here) in the statement's transaction, with
/// its state at START.
pub fn save(p: &mut Planner<'_, '_>, seq: &mut Sequence) -> Result<()> {
    let mut txn = p.env.txn.borrow_mut();
    seq.id = p.catalog.next_id(&mut txn)?;
    txn.put(&sequence_def_key(&seq.name), &seq.encode())?;
    let start = Position {
        value: seq.start,
        called: false,
    };
    txn.put(&sequence_state_key(seq.id), &encode_position(start))?;
    Ok(())
}

/// Stores the changed owner of sequence `seq` (its table or column renamed) in the
/// statement's transaction, whose name lock it must hold; its id and state stay.
pub fn set_owner(env: &Env<'_>, seq: &Sequence) -> Result<()> {
    let mut txn = env.txn.borrow_mut();
    txn.put(&sequence_def_key(&seq.name), &seq.encode())?;
    Ok(())
}

/// Deletes sequence `seq` in the statement's transaction, whose name lock it must hold.
pub fn delete(env: &Env<'_>, seq: &Sequence) -> Result<()> {
    let mut txn = env.txn.borrow_mut();
    txn.delete(&sequence_def_key(&seq.name))?;
    txn.delete(&sequence_state_key(seq.id))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sequence {
        Sequence {
            id: 9,
            name: "items_id_seq".into(),
            increment: -3,
            min: i64::MIN,
            max: 40,
            start: 40,
            cycle: true,
            owned_by: Some(("items".into(), "id".into())),
        }
    }

    #[test]
    fn definitions_and_positions_round_trip() {
        let s = sample();
        assert_eq!(Sequence::decode(&s.encode()).unwrap(), s);
        let pos = Position {
            value: -7,
            called: true,
        };
        assert_eq!(decode_position(&encode_position(pos)).unwrap(), pos);
    }

    #[test]
    fn truncated_definitions_and_states_are_corrupt_not_panics() {
        let bytes = sample().encode();
        for cut in 0..bytes.len() {
            assert_eq!(
                Sequence::decode(&bytes[..cut]).unwrap_err().sqlstate(),
                "XX001"
            );
        }
        let state = encode_position(Position {
            value: 1,
            called: false,
        });
        for cut in 0..state.len() {
            assert_eq!(
                decode_position(&state[..cut]).unwrap_err().sqlstate(),
                "XX001"
            );
        }
    }

    #[test]
    fn a_batch_stops_at_the_end_of_a_sequence_without_cycle() {
        let s = Sequence {
            increment: 1,
            min: 1,
            max: 10,
            start: 1,
            cycle: false,
            ..sample()
        };
        let at = |value, called| Position { value, called };
        assert_eq!(s.ahead(at(1, false)).unwrap(), (at(10, true), 10));
        assert_eq!(s.ahead(at(9, true)).unwrap(), (at(10, true), 1));
        assert_eq!(s.ahead(at(10, true)).unwrap_err().sqlstate(), "2200H");
        let ring = Sequence { cycle: true, ..s };
        // 10, 1, 2, ...: the 32nd value is 1.
        assert_eq!(ring.ahead(at(9, true)).unwrap(), (at(1, true), BATCH));
    }

    #[test]
    fn the_end_of_the_integer_range_is_the_end_of_the_sequence() {
        let s = Sequence {
            increment: i64::MAX,
            min: 1,
            max: i64::MAX,
            start: 1,
            cycle: false,
            ..sample()
        };
        let pos = Position {
            value: i64::MAX - 1,
            called: true,
        };
        assert_eq!(s.next(pos), None);
    }
}
