//! PostgreSQL isolation-tester spec files: the syntax and its parser.
//!
//! A spec is, in this order: any number of `setup { SQL }` blocks, an optional
//! `teardown { SQL }`, one or more `session NAME` parts (each an optional `setup`, one or
//! more `step NAME { SQL }`, an optional `teardown`), and any number of
//! `permutation STEP ...` lines. Names are bare identifiers or double-quoted (`"s1"`,
//! with `""` for a quote inside). A permutation step may carry blockers in parentheses,
//! separated by commas: `(*)` (report the step as waiting once, whatever happens),
//! `(other)` (the step counts as blocked while step `other` is running in its session)
//! and `(other notices N)` (blocked until `other`'s session has printed N notices). `#`
//! starts a comment that runs to the end of the line. A SQL block runs from the first
//! non-blank character after `{` to the last one before the first `}`.
//!
//! Comment lines of the form `# key: value` are also *directives* that tools built on
//! the runner read ([`Spec::directives`]); the tester itself ignores them.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// A parsed spec file.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The file it came from, for messages.
    pub file: String,
    /// The global setup blocks, run in their own session before each permutation.
    pub setup: Vec<String>,
    /// The global teardown, run after each permutation.
    pub teardown: Option<String>,
    /// The `session` parts, in file order.
    pub sessions: Vec<SessionSpec>,
    /// The permutations the file names; empty means every interleaving.
    pub permutations: Vec<Vec<PermutationStep>>,
    /// Every `#` comment, without the `#`, with its line number.
    pub comments: Vec<(usize, String)>,
}

/// One `session` part.
#[derive(Clone, Debug)]
pub struct SessionSpec {
    /// The session's name, which transcripts and lock-wait messages show.
    pub name: String,
    /// SQL run in this session after the global setup, before any step; a failure stops
    /// the spec.
    pub setup: Option<String>,
    /// The session's steps, in file order (the order every interleaving keeps).
    pub steps: Vec<Step>,
    /// SQL run in this session after each permutation, before the global teardown; its
    /// errors are printed, not fatal.
    pub teardown: Option<String>,
}

/// One `step NAME { SQL }`.
#[derive(Clone, Debug)]
pub struct Step {
    /// The name permutations and the transcript use; unique in the spec.
    pub name: String,
    /// The block's SQL, trimmed; it may hold several statements.
    pub sql: String,
}

/// A step as a permutation names it, with its blockers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermutationStep {
    /// The name of the step to run.
    pub step: String,
    /// The conditions in parentheses after it, in the order written; empty when none.
    pub blockers: Vec<Blocker>,
}

/// A condition that keeps a permutation step reported as waiting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// `(*)`: the step is reported as waiting when it starts, even if it completes at
    /// once; its completion is reported at the next check.
    Once,
    /// `(step)`: the step counts as blocked while that step is running.
    Step(String),
    /// `(step notices N)`: blocked until the session of that step printed N notices.
    Notices(String, usize),
}

/// A syntax or naming error, with the place it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The file name given to [`Spec::parse`].
    pub file: String,
    /// The line, counted from 1.
    pub line: usize,
    /// The column in characters (not bytes), counted from 1.
    pub column: usize,
    /// What was expected or what is wrong with the name.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

impl Spec {
    /// Parses spec text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Spec, ParseError> {
        let (tokens, comments) = lex(file, text)?;
        let mut parser = Parser {
            file,
            tokens,
            pos: 0,
            end: end_position(text),
        };
        let mut spec = parser.spec()?;
        spec.comments = comments;
        spec.check(&parser)?;
        Ok(spec)
    }

    /// The step called `name` and the index of its session.
    pub fn step(&self, name: &str) -> Option<(usize, &Step)> {
        self.sessions.iter().enumerate().find_map(|(i, s)| {
            let step = s.steps.iter().find(|st| st.name == name)?;
            Some((i, step))
        })
    }

    /// The permutations to run: the named ones, else every interleaving of the sessions'
    /// steps that keeps each session's order (in the order PostgreSQL's tester makes them).
    pub fn permutations(&self) -> Vec<Vec<PermutationStep>> {
        if !self.permutations.is_empty() {
            return self.permutations.clone();
        }
        let mut out = Vec::new();
        let mut taken = vec![0; self.sessions.len()];
        self.interleave(&mut taken, &mut Vec::new(), &mut out);
        out
    }

    fn interleave(
        &self,
        taken: &mut [usize],
        prefix: &mut Vec<PermutationStep>,
        out: &mut Vec<Vec<PermutationStep>>,
    ) {
        let mut any = false;
        for (i, session) in self.sessions.iter().enumerate() {
            let Some(step) = session.steps.get(taken[i]) else {
                continue;
            };
            any = true;
            taken[i] += 1;
            prefix.push(PermutationStep {
                step: step.name.clone(),
                blockers: Vec::new(),
            });
            self.interleave(taken, prefix, out);
            prefix.pop();
            taken[i] -= 1;
        }
        if !any {
            out.push(prefix.clone());
        }
    }

    /// The values of every `# key: value` comment, in file order.
    pub fn directives(&self, key: &str) -> Vec<&str> {
        self.comments
            .iter()
            .filter_map(|(_, c)| {
                let (k, v) = c.trim().split_once(':')?;
                (k.trim() == key).then_some(v.trim())
            })
            .collect()
    }

    /// The comment lines at the top of the file that are not directives: what the spec
    /// is about, in the author's words.
    pub fn description(&self) -> String {
        let mut lines = Vec::new();
        for (i, (line, text)) in self.comments.iter().enumerate() {
            if *line != i + 1 {
                break;
            }
            let t = text.trim();
            let directive = t
                .split_once(':')
                .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(is_directive_char));
            if !directive {
                lines.push(t.to_string());
            }
        }
        let text = lines.join("\n");
        text.trim().to_string()
    }

    /// Names are unique, permutations name existing steps, blockers are steps of other
    /// sessions.
    fn check(&self, parser: &Parser<'_>) -> Result<(), ParseError> {
        let mut sessions = HashSet::new();
        let mut steps = HashMap::new();
        for (i, s) in self.sessions.iter().enumerate() {
            if !sessions.insert(s.name.as_str()) {
                return Err(parser.error_at_name(&s.name, 1, "session", "is defined twice"));
            }
            for st in &s.steps {
                if steps.insert(st.name.as_str(), i).is_some() {
                    return Err(parser.error_at_name(&st.name, 1, "step", "is defined twice"));
                }
            }
        }
        for permutation in &self.permutations {
            for p in permutation {
                let Some(&session) = steps.get(p.step.as_str()) else {
                    return Err(parser.error_at_name(
                        &p.step,
                        0,
                        "step",
                        "is named in a permutation but not defined",
                    ));
                };
                for b in &p.blockers {
                    let other = match b {
                        Blocker::Once => continue,
                        Blocker::Step(s) | Blocker::Notices(s, _) => s,
                    };
                    match steps.get(other.as_str()) {
                        None => {
                            return Err(parser.error_at_name(
                                other,
                                0,
                                "step",
                                "is named as a blocker but not defined",
                            ))
                        }
                        Some(&s) if s == session => {
                            return Err(parser.error_at_name(
                                other,
                                usize::MAX,
                                "blocker",
                                "is in the same session as the step it blocks (a step cannot wait for its own session)",
                            ))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        Ok(())
    }
}

fn is_directive_char(c: char) -> bool {
    c.is_ascii_lowercase() || c == '-'
}

/// A token and where it starts (line and column, from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Keyword(&'static str),
    /// A bare or quoted name.
    Name(String),
    Integer(usize),
    Sql(String),
    Punct(char),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Keyword(k) => write!(f, "\"{k}\""),
            Token::Name(n) => write!(f, "name \"{n}\""),
            Token::Integer(n) => write!(f, "number {n}"),
            Token::Sql(_) => write!(f, "SQL block"),
            Token::Punct(c) => write!(f, "\"{c}\""),
        }
    }
}

const KEYWORDS: [&str; 6] = [
    "setup",
    "teardown",
    "session",
    "step",
    "permutation",
    "notices",
];

type Located = (Token, usize, usize);

/// A comment's line and text.
type Comment = (usize, String);

fn end_position(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Splits spec text into tokens, and collects the comments.
fn lex(file: &str, text: &str) -> Result<(Vec<Located>, Vec<Comment>), ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line, mut col) = (0, 1, 1);
    let mut tokens = Vec::new();
    let mut comments = Vec::new();
    let error = |line, column, message: String| ParseError {
        file: file.to_string(),
        line,
        column,
        message,
    };
    // Moves past chars[i], keeping line and column.
    let advance = |i: &mut usize, line: &mut usize, col: &mut usize| {
        if chars[*i] == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = chars[i];
        let (start_line, start_col) = (line, col);
        if c.is_whitespace() {
            advance(&mut i, &mut line, &mut col);
        } else if c == '#' {
            let mut comment = String::new();
            advance(&mut i, &mut line, &mut col);
            while i < chars.len() && chars[i] != '\n' {
                comment.push(chars[i]);
                advance(&mut i, &mut line, &mut col);
            }
            comments.push((start_line, comment));
        } else if c == '{' {
            advance(&mut i, &mut line, &mut col);
            let mut sql = String::new();
            loop {
                match chars.get(i) {
                    None => {
                        return Err(error(
                            start_line,
                            start_col,
                            "SQL block is not closed by \"}\"".into(),
                        ))
                    }
                    Some('}') => break,
                    Some(&d) => sql.push(d),
                }
                advance(&mut i, &mut line, &mut col);
            }
            advance(&mut i, &mut line, &mut col);
            tokens.push((Token::Sql(sql.trim().to_string()), start_line, start_col));
        } else if c == '"' {
            advance(&mut i, &mut line, &mut col);
            let mut name = String::new();
            loop {
                match chars.get(i) {
                    None | Some('\n') => {
                        return Err(error(
                            start_line,
                            start_col,
                            "quoted name is not closed on its line".into(),
                        ))
                    }
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        name.push('"');
                        advance(&mut i, &mut line, &mut col);
                    }
                    Some('"') => break,
                    Some(&d) => name.push(d),
                }
                advance(&mut i, &mut line, &mut col);
            }
            advance(&mut i, &mut line, &mut col);
            tokens.push((Token::Name(name), start_line, start_col));
        } else if c.is_ascii_digit() {
            let mut digits = String::new();
            while i < chars.len() && chars[i].is_ascii_digit() {
                digits.push(chars[i]);
                advance(&mut i, &mut line, &mut col);
            }
            let n = digits.parse().map_err(|_| {
                error(
                    start_line,
                    start_col,
                    format!("number {digits} is too large"),
                )
            })?;
            tokens.push((Token::Integer(n), start_line, start_col));
        } else if c.is_alphabetic() || c == '_' {
            let mut word = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                word.push(chars[i]);
                advance(&mut i, &mut line, &mut col);
            }
            let token = match KEYWORDS.iter().find(|k| **k == word) {
                Some(k) => Token::Keyword(k),
                None => Token::Name(word),
            };
            tokens.push((token, start_line, start_col));
        } else if matches!(c, '(' | ')' | ',' | '*') {
            advance(&mut i, &mut line, &mut col);
            tokens.push((Token::Punct(c), start_line, start_col));
        } else {
            return Err(error(
                start_line,
                start_col,
                format!("unexpected character {c:?}"),
            ));
        }
    }
    Ok((tokens, comments))
}

struct Parser<'a> {
    file: &'a str,
    tokens: Vec<Located>,
    pos: usize,
    /// Line and column just past the end, for errors at the end of the file.
    end: (usize, usize),
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _, _)| t)
    }

    fn at_keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Token::Keyword(w)) if *w == k)
    }

    fn error(&self, message: String) -> ParseError {
        let (line, column) = self
            .tokens
            .get(self.pos)
            .map_or(self.end, |(_, l, c)| (*l, *c));
        ParseError {
            file: self.file.to_string(),
            line,
            column,
            message,
        }
    }

    /// An error placed at the `nth` token that is this name (the last one if there are
    /// fewer), for the checks made after parsing.
    fn error_at_name(&self, name: &str, nth: usize, what: &str, problem: &str) -> ParseError {
        let places: Vec<&Located> = self
            .tokens
            .iter()
            .filter(|(t, _, _)| matches!(t, Token::Name(n) if n == name))
            .collect();
        let place = places.get(nth).or(places.last());
        let (line, column) = place.map_or(self.end, |(_, l, c)| (*l, *c));
        ParseError {
            file: self.file.to_string(),
            line,
            column,
            message: format!("{what} \"{name}\" {problem}"),
        }
    }

    fn unexpected(&self, wanted: &str) -> ParseError {
        match self.peek() {
            Some(t) => self.error(format!("expected {wanted}, found {t}")),
            None => self.error(format!("expected {wanted}, found the end of the file")),
        }
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).map(|(t, _, _)| t.clone());
        self.pos += 1;
        t
    }

    fn name(&mut self, what: &str) -> Result<String, ParseError> {
        match self.peek() {
            Some(Token::Name(n)) => {
                let n = n.clone();
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn sql(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Token::Sql(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.unexpected("a SQL block in braces")),
        }
    }

    /// `keyword { SQL }` if the next token is the keyword.
    fn block(&mut self, keyword: &str) -> Result<Option<String>, ParseError> {
        if !self.at_keyword(keyword) {
            return Ok(None);
        }
        self.pos += 1;
        self.sql().map(Some)
    }

    fn spec(&mut self) -> Result<Spec, ParseError> {
        let mut setup = Vec::new();
        while let Some(sql) = self.block("setup")? {
            setup.push(sql);
        }
        let teardown = self.block("teardown")?;
        let mut sessions = Vec::new();
        while self.at_keyword("session") {
            sessions.push(self.session()?);
        }
        if sessions.is_empty() {
            return Err(self.unexpected("\"session\""));
        }
        let mut permutations = Vec::new();
        while self.at_keyword("permutation") {
            self.pos += 1;
            permutations.push(self.permutation()?);
        }
        if self.peek().is_some() {
            return Err(self.unexpected("\"permutation\" or the end of the file"));
        }
        Ok(Spec {
            file: self.file.to_string(),
            setup,
            teardown,
            sessions,
            permutations,
            comments: Vec::new(),
        })
    }

    fn session(&mut self) -> Result<SessionSpec, ParseError> {
        self.pos += 1;
        let name = self.name("a session name")?;
        let setup = self.block("setup")?;
        let mut steps = Vec::new();
        while self.at_keyword("step") {
            self.pos += 1;
            let name = self.name("a step name")?;
            let sql = self.sql()?;
            steps.push(Step { name, sql });
        }
        if steps.is_empty() {
            return Err(self.unexpected("\"step\""));
        }
        let teardown = self.block("teardown")?;
        Ok(SessionSpec {
            name,
            setup,
            steps,
            teardown,
        })
    }

    fn permutation(&mut self) -> Result<Vec<PermutationStep>, ParseError> {
        let mut steps = Vec::new();
        while let Some(Token::Name(_)) = self.peek() {
            let step = self.name("a step name")?;
            let mut blockers = Vec::new();
            if self.peek() == Some(&Token::Punct('(')) {
                self.pos += 1;
                loop {
                    blockers.push(self.blocker()?);
                    match self.next() {
                        Some(Token::Punct(',')) => continue,
                        Some(Token::Punct(')')) => break,
                        _ => {
                            self.pos -= 1;
                            return Err(self.unexpected("\",\" or \")\""));
                        }
                    }
                }
            }
            steps.push(PermutationStep { step, blockers });
        }
        if steps.is_empty() {
            return Err(self.unexpected("a step name"));
        }
        Ok(steps)
    }

    fn blocker(&mut self) -> Result<Blocker, ParseError> {
        if self.peek() == Some(&Token::Punct('*')) {
            self.pos += 1;
            return Ok(Blocker::Once);
        }
        let step = self.name("\"*\" or a step name")?;
        if !self.at_keyword("notices") {
            return Ok(Blocker::Step(step));
        }
        self.pos += 1;
        match self.next() {
            Some(Token::Integer(n)) => Ok(Blocker::Notices(step, n)),
            _ => {
                self.pos -= 1;
                Err(self.unexpected("a number of notices"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"# Two sessions update one row.
# levels: rc
setup { CREATE TABLE t (id int primary key); }
setup { INSERT INTO t VALUES (1); }
teardown { DROP TABLE t; }
session "s1"
setup { BEGIN; }
step "s1u" { UPDATE t SET id = 2 WHERE id = 1; }
step s1c { COMMIT; }
session s2
step s2u
{
    UPDATE t SET id = 3
    WHERE id = 1;
}
permutation s1u s2u(s1c) s1c
permutation "s1u" s2u(*, s1c notices 2) s1c
"#;

    #[test]
    fn a_full_spec_parses_into_its_parts() {
        let spec = Spec::parse("t.spec", SPEC).unwrap();
        assert_eq!(spec.setup.len(), 2);
        assert_eq!(spec.teardown.as_deref(), Some("DROP TABLE t;"));
        assert_eq!(spec.sessions[0].setup.as_deref(), Some("BEGIN;"));
        assert_eq!(
            spec.sessions[1].steps[0].sql,
            "UPDATE t SET id = 3\n    WHERE id = 1;"
        );
        assert_eq!(
            spec.permutations[1][1].blockers,
            vec![Blocker::Once, Blocker::Notices("s1c".into(), 2)]
        );
        assert_eq!(spec.directives("levels"), vec!["rc"]);
        assert_eq!(spec.description(), "Two sessions update one row.");
    }

    #[test]
    fn without_permutations_every_interleaving_keeps_session_order() {
        let spec = Spec::parse(
            "t.spec",
            "session a step a1 {x} step a2 {x} session b step b1 {x}",
        )
        .unwrap();
        let names: Vec<String> = spec
            .permutations()
            .iter()
            .map(|p| {
                p.iter()
                    .map(|s| s.step.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(names, vec!["a1 a2 b1", "a1 b1 a2", "b1 a1 a2"]);
    }

    #[test]
    fn parse_error_names_file_line_and_column() {
        let err = Spec::parse(
            "bad.spec",
            "session s1\nstep x { SELECT 1; }\nstep y SELECT",
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (3, 8));
        assert!(err
            .to_string()
            .starts_with("bad.spec:3:8: expected a SQL block"));
    }

    #[test]
    fn unknown_step_in_a_permutation_is_an_error() {
        let err = Spec::parse("t.spec", "session s1 step a {x}\npermutation a b").unwrap_err();
        assert_eq!((err.line, err.column), (2, 15));
        assert!(err
            .message
            .contains("\"b\" is named in a permutation but not defined"));
    }

    #[test]
    fn unclosed_sql_block_is_reported_where_it_opens() {
        let err = Spec::parse("t.spec", "session s1\n step a { SELECT 1;").unwrap_err();
        assert_eq!((err.line, err.column), (2, 9));
    }

    #[test]
    fn a_blocker_in_the_same_session_is_refused() {
        let err = Spec::parse(
            "t.spec",
            "session s1 step a {x} step b {x}\npermutation a b(a)",
        )
        .unwrap_err();
        assert!(err.message.contains("same session"), "{err}");
    }

    #[test]
    fn quoted_names_may_hold_doubled_quotes() {
        let spec = Spec::parse("t.spec", r#"session "a""b" step "x y" {z}"#).unwrap();
        assert_eq!(spec.sessions[0].name, "a\"b");
        assert_eq!(spec.sessions[0].steps[0].name, "x y");
    }
}
