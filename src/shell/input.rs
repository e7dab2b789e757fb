//! The query buffer: lines in, complete statements out.
//!
//! As in psql, a statement ends at a `;` outside quotes and comments, so one statement
//! may span several lines and one line may hold several statements. `--` comments are
//! dropped from the statement text (a line of only a comment adds nothing); `/* */`
//! comments, which may span lines, are kept and left to the SQL parser. Dollar quoting
//! is not recognised: isolde's SQL has no function bodies that would need it.

/// Where the lexer stands at the end of the text seen so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Normal,
    /// Inside a quoted string or identifier, closed by this character.
    Quoted(char),
    /// Inside `/* */` comments, nested this deep (PostgreSQL nests them).
    BlockComment(u32),
}

/// Text typed since the last complete statement.
#[derive(Debug)]
pub struct Buffer {
    text: String,
    state: State,
}

impl Default for Buffer {
    fn default() -> Self {
        Buffer {
            text: String::new(),
            state: State::Normal,
        }
    }
}

impl Buffer {
    /// True when nothing but white space waits for a `;`.
    pub fn is_empty(&self) -> bool {
        self.state == State::Normal && self.text.trim().is_empty()
    }

    /// Forgets the incomplete statement (Ctrl-C at a continuation prompt).
    pub fn clear(&mut self) {
        *self = Buffer::default();
    }

    /// Adds one line and returns the statements it completed, without their `;`.
    pub fn push_line(&mut self, line: &str) -> Vec<String> {
        let mut done = Vec::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (self.state, c) {
                (State::Normal, '-') if chars.peek() == Some(&'-') => break,
                (State::Normal, '/') if chars.peek() == Some(&'*') => {
                    chars.next();
                    self.text.push_str("/*");
                    self.state = State::BlockComment(1);
                }
                (State::Normal, '\'' | '"') => {
                    self.text.push(c);
                    self.state = State::Quoted(c);
                }
                (State::Normal, ';') => {
                    let statement = std::mem::take(&mut self.text);
                    if !statement.trim().is_empty() {
                        done.push(statement.trim().to_string());
                    }
                }
                (State::Quoted(q), c) => {
                    self.text.push(c);
                    // A doubled quote is an escaped quote: leaving and re-entering the
                    // string at once gives the same result.
                    if c == q {
                        self.state = State::Normal;
                    }
                }
                (State::BlockComment(depth), '*') if chars.peek() == Some(&'/') => {
                    chars.next();
                    self.text.push_str("*/");
                    self.state = match depth {
                        1 => State::Normal,
                        _ => State::BlockComment(depth - 1),
                    };
                }
                (State::BlockComment(depth), '/') if chars.peek() == Some(&'*') => {
                    chars.next();
                    self.text.push_str("/*");
                    self.state = State::BlockComment(depth + 1);
                }
                (_, c) => self.text.push(c),
            }
        }
        if !self.text.trim().is_empty() || self.state != State::Normal {
            self.text.push('\n');
        }
        done
    }

    /// The unterminated statement left at the end of the input, if any: psql runs it
    /// too, so `-c "SELECT 1"` needs no `;`.
    pub fn take_rest(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.text);
        self.state = State::Normal;
        Some(rest.trim().to_string()).filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[&str]) -> (Vec<String>, Buffer) {
        let mut buffer = Buffer::default();
        let statements = input.iter().flat_map(|l| buffer.push_line(l)).collect();
        (statements, buffer)
    }

    #[test]
    fn a_statement_ends_at_a_semicolon_and_may_span_lines() {
        let (statements, buffer) = lines(&["SELECT 1,", "  2;", "SELECT 3; SELECT 4;"]);
        assert_eq!(statements, ["SELECT 1,\n  2", "SELECT 3", "SELECT 4"]);
        assert!(buffer.is_empty());
    }

    #[test]
    fn semicolons_in_strings_identifiers_and_comments_do_not_end_a_statement() {
        let (statements, mut buffer) = lines(&[
            "SELECT 'a;''b', \"x;y\" -- c;d",
            "/* e; /* nested; */ f; */ FROM t",
        ]);
        assert!(statements.is_empty());
        assert!(!buffer.is_empty());
        assert_eq!(buffer.push_line(";").len(), 1);
        assert!(buffer.is_empty());
    }

    #[test]
    fn comment_and_blank_lines_leave_the_buffer_empty() {
        let (statements, buffer) = lines(&["-- only a comment", "", "   "]);
        assert!(statements.is_empty());
        assert!(buffer.is_empty());
    }

    #[test]
    fn an_open_string_keeps_the_buffer_open_across_lines() {
        let (statements, mut buffer) = lines(&["INSERT INTO t VALUES ('two", "lines');"]);
        assert_eq!(statements, ["INSERT INTO t VALUES ('two\nlines')"]);
        assert_eq!(buffer.take_rest(), None);
    }

    #[test]
    fn the_unterminated_rest_is_returned_once() {
        let (_, mut buffer) = lines(&["SELECT 1; SELECT", "2"]);
        assert_eq!(buffer.take_rest().as_deref(), Some("SELECT\n2"));
        assert_eq!(buffer.take_rest(), None);
    }
}
