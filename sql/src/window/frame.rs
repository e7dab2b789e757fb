//! Window frames: which rows of its partition an aggregate, `first_value`,
//! `last_value` or `nth_value` reads for each row, as PostgreSQL 15 defines them.
//!
//! A frame runs from a *head* bound to a *tail* bound, counted in one of three units:
//!
//! - `ROWS`: rows; `n PRECEDING` is the row `n` before the current one.
//! - `GROUPS`: groups of peers (rows the ORDER BY ranks equal); `n PRECEDING` is the
//!   first row of the `n`th group before the current row's, `CURRENT ROW` its group.
//! - `RANGE`: values of the one ORDER BY column; `n PRECEDING` is the first row whose
//!   value is at least the current row's minus `n` (in the sort's direction, so with
//!   DESC it is the current value plus `n`). A NULL is only in range of the NULLs, which
//!   are peers; `CURRENT ROW` means the current row's first or last peer.
//!
//! Both bounds only move forwards as the current row does, so a frame is a window
//! sliding over the sorted partition: `FrameState` finds each row's `[head, tail)`
//! (ROWS and GROUPS by arithmetic on positions and peer groups, RANGE with an offset by
//! binary search), and the aggregates in `window` add rows at the tail and drop them at
//! the head. `EXCLUDE CURRENT ROW | GROUP | TIES` then cuts out the current row, its
//! peers, or its peers but itself, leaving at most three runs of rows
//! (`FrameState::runs`).
//!
//! sqlparser 0.63 does not parse `EXCLUDE`: [`rewrite_exclusions`] moves it, before
//! parsing, into the window specification's window name as a quoted marker
//! (`OVER ("EXCLUDE TIES" ORDER BY x ...)`; followed by the name of the window the
//! specification refines if it names one, `OVER ("EXCLUDE TIES w" ROWS ...)`), which
//! the planner reads back with [`Exclusion::from_marker`]. A view keeps the marker in its stored text,
//! which parses again without the rewrite. Simplification: a user who writes that
//! quoted name by hand gets the exclusion, where PostgreSQL reports an unknown window.

use std::cmp::Ordering;

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace, Word};

use crate::error::{Error, Result};
use crate::expression::{binary, BinaryOp, Expr};
use crate::numeric::Decimal;
use crate::plan::SortKey;
use crate::types::{DataType, Value};

/// The unit a frame's offsets count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUnits {
    Rows,
    Range,
    Groups,
}

impl FrameUnits {
    pub fn name(self) -> &'static str {
        match self {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
            FrameUnits::Groups => "GROUPS",
        }
    }
}

/// One end of a frame. The offsets are constant expressions, evaluated once a query.
#[derive(Debug)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

/// The rows `EXCLUDE` leaves out of the current row's frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exclusion {
    NoOthers,
    CurrentRow,
    /// The current row and its peers.
    Group,
    /// The current row's peers but not itself.
    Ties,
}

const MARKERS: [(&str, Exclusion); 4] = [
    ("EXCLUDE NO OTHERS", Exclusion::NoOthers),
    ("EXCLUDE CURRENT ROW", Exclusion::CurrentRow),
    ("EXCLUDE GROUP", Exclusion::Group),
    ("EXCLUDE TIES", Exclusion::Ties),
];

impl Exclusion {
    /// The exclusion a window name written by [`rewrite_exclusions`] stands for, and
    /// the (folded) name of the window the specification refines, if it names one.
    pub fn from_marker(name: &str) -> Option<(Exclusion, Option<&str>)> {
        MARKERS
            .iter()
            .find_map(|&(m, e)| match name.strip_prefix(m)? {
                "" => Some((e, None)),
                rest => Some((e, Some(rest.strip_prefix(' ')?))),
            })
    }
}

/// A window's frame.
#[derive(Debug)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: FrameBound,
    pub end: FrameBound,
    pub exclusion: Exclusion,
}

impl Frame {
    /// PostgreSQL's default: `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`, from
    /// the partition's start through the current row's last peer.
    pub fn default_frame() -> Frame {
        Frame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::CurrentRow,
            exclusion: Exclusion::NoOthers,
        }
    }

    /// Evaluates the offsets: 22004 for NULL, and for ROWS and GROUPS 22013 for a
    /// negative one (RANGE checks the sign when it first compares, as PostgreSQL's
    /// `in_range` functions do).
    pub(crate) fn resolve(&self, env: &crate::executor::Env<'_>) -> Result<Bounds> {
        let bound = |b: &FrameBound, which: &'static str| -> Result<Bound> {
            let (e, preceding) = match b {
                FrameBound::UnboundedPreceding => return Ok(Bound::Unbounded),
                FrameBound::UnboundedFollowing => return Ok(Bound::Unbounded),
                FrameBound::CurrentRow => return Ok(Bound::Current),
                FrameBound::Preceding(e) => (e, true),
                FrameBound::Following(e) => (e, false),
            };
            let v = e.eval(&[], env)?;
            if v.is_null() {
                return Err(Error::Frame {
                    sqlstate: "22004",
                    message: format!("frame {which} offset must not be null"),
                });
            }
            let v = match v {
                // A parameter's value, which planning could not type: ROWS and GROUPS
                // count in bigints.
                Value::Float(_) | Value::Numeric(_) | Value::Text(_)
                    if self.units != FrameUnits::Range =>
                {
                    v.cast(DataType::Integer)?
                }
                Value::Integer(_) => v,
                _ if self.units != FrameUnits::Range => {
                    return Err(Error::DatatypeMismatch(format!(
                        "argument of {} must be type bigint, not type {}",
                        self.units.name(),
                        v.data_type()
                    )))
                }
                _ => v,
            };
            let negative = matches!(v, Value::Integer(n) if n < 0);
            if negative && self.units != FrameUnits::Range {
                return Err(Error::Frame {
                    sqlstate: "22013",
                    message: format!("frame {which} offset must not be negative"),
                });
            }
            Ok(Bound::Offset(v, preceding))
        };
        Ok(Bounds {
            units: self.units,
            start: bound(&self.start, "starting")?,
            end: bound(&self.end, "ending")?,
            exclusion: self.exclusion,
        })
    }
}

static NULL: Value = Value::Null;

/// A frame bound with its offset evaluated.
#[derive(Debug)]
pub(crate) enum Bound {
    /// The partition's edge on the bound's side.
    Unbounded,
    Current,
    /// An offset, and whether it is PRECEDING.
    Offset(Value, bool),
}

/// A frame with its offsets evaluated: what one execution applies to every partition.
#[derive(Debug)]
pub(crate) struct Bounds {
    units: FrameUnits,
    start: Bound,
    end: Bound,
    pub(crate) exclusion: Exclusion,
}

/// One sorted partition, with its peer groups, as the frames see it.
pub(crate) struct FrameState<'a> {
    bounds: &'a Bounds,
    /// Each position's peer group, counted from 0.
    group_of: Vec<usize>,
    /// Where each peer group starts, and the partition's length after the last.
    group_start: Vec<usize>,
    /// RANGE with an offset: the ORDER BY value at each position, and its sort key.
    range: Option<(Vec<&'a Value>, SortKey)>,
}

impl<'a> FrameState<'a> {
    /// `keys` are the partition's ORDER BY values in sorted order.
    pub(crate) fn new(bounds: &'a Bounds, keys: &[&'a [Value]], order: &[SortKey]) -> Self {
        let mut group_of = Vec::with_capacity(keys.len());
        let mut group_start = Vec::new();
        for (p, key) in keys.iter().enumerate() {
            let new_group =
                p == 0 || crate::executor::compare_rows(order, keys[p - 1], key).is_ne();
            if new_group {
                group_start.push(p);
            }
            group_of.push(group_start.len() - 1);
        }
        group_start.push(keys.len());
        let offset = |b: &Bound| matches!(b, Bound::Offset(..));
        // The planner gives RANGE with an offset exactly one ORDER BY column.
        let range = match order.first() {
            Some(&key)
                if bounds.units == FrameUnits::Range
                    && (offset(&bounds.start) || offset(&bounds.end)) =>
            {
                Some((
                    keys.iter().map(|k| k.first().unwrap_or(&NULL)).collect(),
                    key,
                ))
            }
            _ => None,
        };
        FrameState {
            bounds,
            group_of,
            group_start,
            range,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.group_of.len()
    }

    /// The peer group of the row at `p`: `[first, end)`.
    pub(crate) fn peers(&self, p: usize) -> (usize, usize) {
        let g = self.group_of[p];
        (self.group_start[g], self.group_start[g + 1])
    }

    /// The number of the peer group of the row at `p`, from 0.
    pub(crate) fn group(&self, p: usize) -> usize {
        self.group_of[p]
    }

    /// The frame of the row at `p` before exclusion: `[head, tail)`, empty when the
    /// bounds cross. Both ends never decrease as `p` grows.
    pub(crate) fn extent(&self, p: usize) -> Result<(usize, usize)> {
        let head = self.position(p, &self.bounds.start, true)?;
        let tail = self.position(p, &self.bounds.end, false)?;
        Ok((head, tail.max(head)))
    }

    /// The frame of the row at `p` as at most three runs of positions, in order, with
    /// the excluded rows cut out.
    pub(crate) fn runs(&self, p: usize) -> Result<Vec<(usize, usize)>> {
        let (head, tail) = self.extent(p)?;
        let (first, end) = self.peers(p);
        let cut: &[(usize, usize)] = match self.bounds.exclusion {
            Exclusion::NoOthers => &[(head, tail)],
            Exclusion::CurrentRow => &[(head, p), (p + 1, tail)],
            Exclusion::Group => &[(head, first), (end, tail)],
            Exclusion::Ties => &[(head, first), (p, p + 1), (end, tail)],
        };
        Ok(cut
            .iter()
            .map(|&(a, b)| (a.max(head), b.min(tail)))
            .filter(|(a, b)| a < b)
            .collect())
    }

    /// Where a bound puts the head (`start`) or the tail (exclusive) for the row at `p`.
    fn position(&self, p: usize, bound: &Bound, start: bool) -> Result<usize> {
        let len = self.len();
        let (first, end) = self.peers(p);
        Ok(match (bound, self.bounds.units) {
            (Bound::Unbounded, _) => {
                if start {
                    0
                } else {
                    len
                }
            }
            (Bound::Current, FrameUnits::Rows) => {
                if start {
                    p
                } else {
                    p + 1
                }
            }
            (Bound::Current, _) => {
                if start {
                    first
                } else {
                    end
                }
            }
            (Bound::Offset(v, preceding), FrameUnits::Rows) => {
                let n = rows_offset(v);
                let row = if *preceding {
                    p as i128 - n
                } else {
                    p as i128 + n
                };
                let row = if start { row } else { row + 1 };
                row.clamp(0, len as i128) as usize
            }
            (Bound::Offset(v, preceding), FrameUnits::Groups) => {
                let n = rows_offset(v);
                let g = self.group_of[p] as i128;
                let g = if *preceding { g - n } else { g + n };
                let g = if start { g } else { g + 1 };
                let last = self.group_start.len() as i128 - 1;
                self.group_start[g.clamp(0, last) as usize]
            }
            (Bound::Offset(offset, preceding), FrameUnits::Range) => {
                self.range_position(p, offset, *preceding, start)?
            }
        })
    }

    /// RANGE with an offset: PostgreSQL's search, as a binary search over the sorted
    /// partition (its test is monotonic there): the head is the first row in range, the
    /// tail the first row past it.
    fn range_position(
        &self,
        p: usize,
        offset: &Value,
        preceding: bool,
        start: bool,
    ) -> Result<usize> {
        let Some((values, key)) = &self.range else {
            return Ok(0);
        };
        let current = values[p];
        if current.is_null() {
            // Only the NULLs, the current row's peers, are in range of a NULL.
            let (first, end) = self.peers(p);
            return Ok(if start { first } else { end });
        }
        // PostgreSQL's `in_range(value, current, offset, sub, less)`: whether `value` is
        // on the right side of `current -/+ offset`, flipped for a descending sort.
        let (mut sub, mut less) = (preceding, !start);
        if key.descending {
            sub = !sub;
            less = !less;
        }
        let mut failure = None;
        let mut test = |v: &Value| -> bool {
            if v.is_null() {
                // NULLs first: before every value (outside the head, inside the tail
                // search); NULLs last: after every value.
                return key.nulls_first;
            }
            match in_range(v, current, offset, sub, less) {
                Ok(inside) => {
                    if start {
                        !inside
                    } else {
                        inside
                    }
                }
                Err(e) => {
                    failure.get_or_insert(e);
                    false
                }
            }
        };
        let found = values.partition_point(|v| test(v));
        match failure {
            Some(e) => Err(e),
            None => Ok(found),
        }
    }
}

/// A ROWS or GROUPS offset, known not to be NULL or negative (see [`Frame::resolve`]).
fn rows_offset(v: &Value) -> i128 {
    match v {
        Value::Integer(n) => *n as i128,
        _ => 0,
    }
}

/// PostgreSQL's `in_range` support functions: is `value` at most (`less`) or at least
/// `current - offset` (`sub`) or `current + offset`? 22013 for a negative offset.
fn in_range(value: &Value, current: &Value, offset: &Value, sub: bool, less: bool) -> Result<bool> {
    let invalid = || Error::Frame {
        sqlstate: "22013",
        message: "invalid preceding or following size in window function".into(),
    };
    let side = |o: Ordering| if less { o.is_le() } else { o.is_ge() };
    match (value, current, offset) {
        (Value::Integer(v), Value::Integer(c), Value::Integer(n)) => {
            if *n < 0 {
                return Err(invalid());
            }
            let bound = if sub {
                *c as i128 - *n as i128
            } else {
                *c as i128 + *n as i128
            };
            Ok(side((*v as i128).cmp(&bound)))
        }
        (Value::Float(v), Value::Float(c), Value::Float(n)) => {
            if n.is_nan() || *n < 0.0 {
                return Err(invalid());
            }
            // NaN sorts after every number and is in range only of itself.
            if v.is_nan() {
                return Ok(c.is_nan() || !less);
            }
            if c.is_nan() {
                return Ok(less);
            }
            // +inf infinitely precedes +inf; -inf infinitely follows -inf.
            if n.is_infinite() && c.is_infinite() && (if sub { *c > 0.0 } else { *c < 0.0 }) {
                return Ok(true);
            }
            let bound = if sub { c - n } else { c + n };
            Ok(if less { *v <= bound } else { *v >= bound })
        }
        (Value::Numeric(v), Value::Numeric(c), Value::Numeric(n)) => {
            if n.is_negative() {
                return Err(invalid());
            }
            if let Some(o) = numeric_in_range(v, c, n, sub) {
                return Ok(side(o));
            }
            // The bound's integral part alone past the 38 digits of every value: below
            // them all for a subtraction, above for an addition (PostgreSQL's unbounded
            // numeric still compares). Else the arithmetic's error.
            let (c_whole, n_whole) = (c.truncated(), n.truncated());
            let whole = if sub {
                c_whole.checked_sub(&n_whole)
            } else {
                c_whole.checked_add(&n_whole)
            };
            if whole.is_none() {
                return Ok(sub != less);
            }
            let op = if sub { BinaryOp::Sub } else { BinaryOp::Add };
            binary(op, Value::Numeric(*c), Value::Numeric(*n))
                .map(|bound| side(Value::Numeric(*v).sort_cmp(&bound)))
        }
        (v, c, n) => {
            let zero = match n {
                Value::Interval(_) => Value::Interval(Default::default()),
                _ => Value::Integer(0),
            };
            if n.sort_cmp(&zero).is_lt() {
                return Err(invalid());
            }
            let op = if sub { BinaryOp::Sub } else { BinaryOp::Add };
            let bound = binary(op, c.clone(), n.clone())?;
            Ok(side(v.sql_cmp(&bound)?.unwrap_or(Ordering::Equal)))
        }
    }
}

/// How `v` compares with `c - n` (`sub`) or `c + n`, exactly, where that bound may
/// need more than the 38 digits a value holds: as `v - c` with `-n` or `n`, or `v + n`
/// or `v - n` with `c`, whichever can be computed; None when none can.
fn numeric_in_range(v: &Decimal, c: &Decimal, n: &Decimal, sub: bool) -> Option<Ordering> {
    let shifted = |x: &Decimal, by: &Decimal, sub: bool| {
        if sub {
            x.checked_sub(by)
        } else {
            x.checked_add(by)
        }
    };
    if let Some(bound) = shifted(c, n, sub) {
        return Some(v.cmp(&bound));
    }
    let signed_n = if sub { n.checked_neg()? } else { *n };
    if let Some(d) = v.checked_sub(c) {
        return Some(d.cmp(&signed_n));
    }
    if let Some(w) = shifted(v, n, !sub) {
        return Some(w.cmp(c));
    }
    None
}

/// Moves each `EXCLUDE ...` at the end of a window specification into a marker window
/// name at its start (see the module's docs), so that sqlparser, which knows no
/// EXCLUDE, parses it. A specification that starts with the name of a window it
/// refines (`OVER (w ROWS ... EXCLUDE TIES)`) has that name, folded, replaced by the
/// marker followed by it (`"EXCLUDE TIES w"`). One pass to find the clauses, keeping
/// the open parentheses on a stack, and one to copy the tokens: a statement of many
/// windows costs no more per window than one.
pub fn rewrite_exclusions(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    // For each token, the marker to insert after it (an opening parenthesis), and
    // whether it is dropped (a clause's, or a window name the marker takes in).
    let mut markers: Vec<Option<(String, TokenWithSpan)>> = vec![None; tokens.len()];
    let mut dropped = vec![false; tokens.len()];
    let mut open = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].token {
            Token::LParen => open.push(i),
            Token::RParen => {
                open.pop();
            }
            _ => {}
        }
        if let (Some((marker, len)), Some(&paren)) = (exclusion_at(&tokens, i), open.last()) {
            let marker = match name_at(&tokens, paren + 1) {
                Some((at, name)) => {
                    dropped[at] = true;
                    format!("{marker} {name}")
                }
                None => marker.to_string(),
            };
            markers[paren] = Some((marker, tokens[i].clone()));
            dropped[i..i + len].fill(true);
            i += len;
            continue;
        }
        i += 1;
    }
    if !dropped.contains(&true) {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len() + 2 * markers.len());
    for ((t, marker), dropped) in tokens.into_iter().zip(markers).zip(dropped) {
        if !dropped {
            out.push(t);
        }
        if let Some((marker, clause)) = marker {
            let word = Token::Word(Word {
                value: marker,
                quote_style: Some('"'),
                keyword: Keyword::NoKeyword,
            });
            let space = Token::Whitespace(Whitespace::Space);
            out.extend([word, space].map(|t| TokenWithSpan::new(t, clause.span)));
        }
    }
    out
}

/// At `i`, `EXCLUDE <option>` followed by `)`: the option's marker and how many tokens
/// the clause takes, up to the `)`.
fn exclusion_at(tokens: &[TokenWithSpan], i: usize) -> Option<(&'static str, usize)> {
    if !is_keyword(tokens.get(i), Keyword::EXCLUDE) {
        return None;
    }
    let mut words = Vec::new();
    let mut j = i + 1;
    while let Some(t) = tokens.get(j) {
        match &t.token {
            Token::Whitespace(_) => {}
            Token::Word(w) if w.quote_style.is_none() && words.len() < 2 => {
                words.push(w.value.to_ascii_uppercase())
            }
            Token::RParen => break,
            _ => return None,
        }
        j += 1;
    }
    if !matches!(tokens.get(j).map(|t| &t.token), Some(Token::RParen)) {
        return None;
    }
    let text = format!("EXCLUDE {}", words.join(" "));
    let (marker, _) = MARKERS.iter().find(|(m, _)| *m == text)?;
    Some((marker, j - i))
}

/// The window name a specification starts with (a word that is no keyword, as
/// sqlparser reads one), from `from`: its position and its name folded as PostgreSQL
/// folds it.
fn name_at(tokens: &[TokenWithSpan], from: usize) -> Option<(usize, String)> {
    let at = from
        + tokens[from..]
            .iter()
            .position(|t| !matches!(t.token, Token::Whitespace(_)))?;
    match &tokens[at].token {
        Token::Word(w) if w.keyword == Keyword::NoKeyword => {
            Some((at, crate::planner::ident(&w.to_ident(tokens[at].span))))
        }
        _ => None,
    }
}

fn is_keyword(t: Option<&TokenWithSpan>, k: Keyword) -> bool {
    matches!(t.map(|t| &t.token), Some(Token::Word(w)) if w.keyword == k && w.quote_style.is_none())
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::Tokenizer;

    use super::*;

    fn rewritten(sql: &str) -> String {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
            .tokenize_with_location()
            .expect("tokenizes");
        rewrite_exclusions(tokens)
            .iter()
            .map(|t| t.token.to_string())
            .collect()
    }

    #[test]
    fn an_exclusion_moves_to_the_start_of_its_window_specification() {
        assert_eq!(
            rewritten("SELECT f(x) OVER (ORDER BY (x) ROWS 1 PRECEDING exclude no others ) FROM t"),
            "SELECT f(x) OVER (\"EXCLUDE NO OTHERS\" ORDER BY (x) ROWS 1 PRECEDING ) FROM t"
        );
        assert_eq!(
            rewritten("SELECT f() OVER (ROWS CURRENT ROW EXCLUDE TIES), g() OVER (ROWS CURRENT ROW EXCLUDE GROUP)"),
            "SELECT f() OVER (\"EXCLUDE TIES\" ROWS CURRENT ROW ), g() OVER (\"EXCLUDE GROUP\" ROWS CURRENT ROW )"
        );
    }

    #[test]
    fn a_statement_of_many_exclusions_is_rewritten_in_one_pass() {
        // Found by random testing: moving tokens for each clause took 49 s for this.
        let window = "count(*) OVER (ROWS CURRENT ROW EXCLUDE TIES)";
        let sql = format!("SELECT {}", vec![window; 20_000].join(", "));
        let started = std::time::Instant::now();
        let out = rewritten(&sql);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(
            out.matches("(\"EXCLUDE TIES\" ROWS CURRENT ROW )").count(),
            20_000
        );
    }

    #[test]
    fn an_exclusion_in_a_window_refining_another_takes_in_its_folded_name() {
        assert_eq!(
            rewritten("SELECT f() OVER (W ROWS CURRENT ROW EXCLUDE TIES), g() OVER (\"V\" ROWS 1 PRECEDING EXCLUDE GROUP)"),
            "SELECT f() OVER (\"EXCLUDE TIES w\"  ROWS CURRENT ROW ), g() OVER (\"EXCLUDE GROUP V\"  ROWS 1 PRECEDING )"
        );
        assert_eq!(
            Exclusion::from_marker("EXCLUDE GROUP V"),
            Some((Exclusion::Group, Some("V")))
        );
        assert_eq!(
            Exclusion::from_marker("EXCLUDE TIES"),
            Some((Exclusion::Ties, None))
        );
        assert_eq!(Exclusion::from_marker("EXCLUDE TIESw"), None);
    }

    #[test]
    fn other_uses_of_exclude_are_left_alone() {
        for sql in [
            "CREATE TABLE t (a int, EXCLUDE USING gist (a WITH =))",
            "SELECT exclude FROM t",
            "SELECT f() OVER (ROWS CURRENT ROW EXCLUDE SOMETHING)",
            "SELECT (EXCLUDE TIES)",
            "EXCLUDE TIES)",
        ] {
            let expected = if sql == "SELECT (EXCLUDE TIES)" {
                "SELECT (\"EXCLUDE TIES\" )"
            } else {
                sql
            };
            assert_eq!(rewritten(sql), expected);
        }
    }
}
