//! Stack depth limits: a statement that nests too deeply fails with 54001 ("stack
//! depth limit exceeded") instead of overflowing the thread's stack, which would abort
//! the whole process.
//!
//! Planning, constant folding and evaluation recurse over the expression tree, and a
//! flat chain such as `1+1+...+1` parses into a tree as deep as it is long. As in
//! PostgreSQL's `check_stack_depth`, the session notes where the stack was when it began
//! the statement ([`StackGuard`]), and every recursive step over an expression calls
//! [`check`], which compares the current stack position with that base: one
//! thread-local read and a comparison. How far the stack may grow is the session's
//! *max stack depth* ([`DEFAULT_MAX_STACK_DEPTH`] unless the session's owner, knowing the
//! size of its thread's stack, sets another).
//!
//! sqlparser builds such a chain without recursing, but drops (and clones) the tree
//! recursively, so the session refuses to parse a statement whose expressions could
//! be deeper than [`MAX_PARSE_DEPTH`]: [`nesting_bound`] bounds the depth from the
//! tokens, before any tree exists.

use std::cell::Cell;

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::error::{Error, Result};

/// How far the stack may grow during one statement unless the session is told
/// otherwise: half of the 2 MiB a Rust thread gets by default, leaving room for the
/// frames below the statement and for work that does not check (sorting, printing).
pub const DEFAULT_MAX_STACK_DEPTH: usize = 1 << 20;

/// The deepest expression nesting the session parses. sqlparser drops a tree of this
/// depth in well under a megabyte of stack (about 70 bytes a level in a debug build),
/// and PostgreSQL stops at about half of it (5,000 terms of `1+1+...`) by default.
pub const MAX_PARSE_DEPTH: usize = 10_000;

thread_local! {
    /// The stack position when the running statement began, and how far the stack may
    /// grow from there; (0, 0) when no statement runs on this thread.
    static BASE: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// The stack position of the caller (the address of one of its locals).
#[inline(always)]
fn position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Marks the start of a statement on this thread until dropped. A statement that runs
/// inside another (a nested call) keeps the outer base, so the limit covers both.
pub(crate) struct StackGuard {
    previous: (usize, usize),
}

impl StackGuard {
    /// Starts measuring from here, allowing the stack to grow by `max_depth` bytes.
    pub(crate) fn enter(max_depth: usize) -> StackGuard {
        let previous = BASE.get();
        if previous.0 == 0 {
            BASE.set((position(), max_depth));
        }
        StackGuard { previous }
    }
}

impl Drop for StackGuard {
    fn drop(&mut self) {
        BASE.set(self.previous);
    }
}

/// 54001 once the stack has grown beyond the running statement's limit. Called at each
/// recursive step over an expression; outside a statement it never fails.
#[inline]
pub(crate) fn check() -> Result<()> {
    let (base, max_depth) = BASE.get();
    if base != 0 && base.abs_diff(position()) > max_depth {
        return Err(Error::StackDepthExceeded);
    }
    Ok(())
}

/// An upper bound of how deeply the expressions parsed from `tokens` nest.
///
/// sqlparser limits its own recursion (to 50 levels of parentheses, function calls or
/// subqueries), so depth beyond that comes from chains of operators, each of which
/// wraps what came before it (`1+1+1` is `(1+1)+1`). Within one pair of brackets, the
/// items a comma separates are siblings: their depths do not add up. So the bound of a
/// bracketed group is the largest, over its comma-separated runs, of the run's
/// operators (any token but a name, a literal, a bracket or a separator; keywords are
/// counted too, which only makes the bound looser) plus the deepest group inside the
/// run, plus one for the group itself. `CASE ... END` is such a group too, with `WHEN`,
/// `THEN` and `ELSE` separating its runs: its branches are siblings in the tree.
pub fn nesting_bound(tokens: &[TokenWithSpan]) -> usize {
    let mut groups = vec![Run::default()];
    for t in tokens {
        let closes = matches!(t.token, Token::RParen | Token::RBracket | Token::RBrace)
            || keyword(&t.token) == Some(Keyword::END);
        if closes && groups.len() > 1 {
            close_group(&mut groups);
            continue;
        }
        let Some(run) = groups.last_mut() else {
            break;
        };
        match &t.token {
            Token::LParen | Token::LBracket | Token::LBrace => groups.push(Run::default()),
            t if keyword(t) == Some(Keyword::CASE) => groups.push(Run::default()),
            Token::Comma | Token::SemiColon => run.end(),
            t if matches!(
                keyword(t),
                Some(Keyword::WHEN | Keyword::THEN | Keyword::ELSE)
            ) =>
            {
                run.end()
            }
            Token::Whitespace(_) | Token::EOF | Token::Number(..) => {}
            Token::Word(w) if w.quote_style.is_some() || w.keyword == Keyword::NoKeyword => {}
            t if is_literal(t) => {}
            _ => run.operators += 1,
        }
    }
    while groups.len() > 1 {
        close_group(&mut groups);
    }
    groups.pop().map_or(0, Run::finish)
}

/// The keyword `t` is, if it is an unquoted one.
fn keyword(t: &Token) -> Option<Keyword> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    }
}

/// Ends the innermost group: its depth, plus one, counts in the run that holds it.
fn close_group(groups: &mut Vec<Run>) {
    let inner = groups.pop().map_or(0, Run::finish);
    if let Some(outer) = groups.last_mut() {
        outer.deepest_group = outer.deepest_group.max(inner + 1);
    }
}

fn is_literal(t: &Token) -> bool {
    matches!(
        t,
        Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::TripleSingleQuotedString(_)
            | Token::TripleDoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::Placeholder(_)
    )
}

/// The open bracketed group's current comma-separated run, and the deepest run so far.
#[derive(Default)]
struct Run {
    operators: usize,
    deepest_group: usize,
    deepest_run: usize,
}

impl Run {
    fn end(&mut self) {
        self.deepest_run = self.deepest_run.max(self.operators + self.deepest_group);
        self.operators = 0;
        self.deepest_group = 0;
    }

    fn finish(mut self) -> usize {
        self.end();
        self.deepest_run
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn bound(sql: &str) -> usize {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
            .tokenize_with_location()
            .expect("tokenizes");
        nesting_bound(&tokens)
    }

    #[test]
    fn a_chain_of_operators_is_as_deep_as_it_is_long() {
        assert!(bound(&format!("SELECT {}1", "1+".repeat(3000))) >= 3000);
        assert!(bound(&format!("SELECT {}1 FROM t", "a || ".repeat(3000))) >= 3000);
    }

    #[test]
    fn depths_add_up_through_brackets_but_not_across_commas() {
        let chain = "1+".repeat(1000);
        let nested = bound(&format!("SELECT {chain}({chain}1)"));
        assert!(nested >= 2000, "{nested}");
        let siblings = bound(&format!("SELECT {chain}1, {chain}1"));
        assert!((1000..1100).contains(&siblings), "{siblings}");
        // A comma inside a group does not end the run outside it.
        let args = bound(&format!("SELECT {chain}abs(1, {chain}1)"));
        assert!(args >= 2000, "{args}");
    }

    #[test]
    fn case_branches_are_siblings_but_depth_around_a_case_adds_up() {
        let branches = "WHEN a = 1 THEN 1 ".repeat(5_000);
        let wide = bound(&format!("SELECT CASE {branches}ELSE 0 END FROM t"));
        assert!(wide < 20, "{wide}");
        let chain = "1+".repeat(1000);
        let around = bound(&format!(
            "SELECT {chain}CASE WHEN {chain}1 = 1 THEN 1 END + {chain}1"
        ));
        assert!(around >= 3000, "{around}");
    }

    #[test]
    fn many_rows_of_values_stay_shallow() {
        let rows = vec!["(1, -2, 'x')"; 20_000].join(", ");
        assert!(bound(&format!("INSERT INTO t VALUES {rows}")) < 20);
    }

    #[test]
    fn unbalanced_brackets_do_not_panic() {
        assert!(bound(")))(((1+") < 10);
    }

    #[test]
    fn the_check_fails_only_beyond_the_limit() {
        fn recurse(n: usize) -> Result<usize> {
            check()?;
            let pad = std::hint::black_box([0u8; 256]);
            Ok(if n == 0 {
                pad[0] as usize
            } else {
                recurse(n - 1)? + 1
            })
        }
        assert_eq!(recurse(1_000).ok(), Some(1_000), "no statement, no limit");
        let _guard = StackGuard::enter(64 << 10);
        assert_eq!(recurse(10).ok(), Some(10));
        let deep = recurse(100_000).unwrap_err();
        assert_eq!(deep.sqlstate(), "54001");
    }
}
