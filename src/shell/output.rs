//! What the shell prints, kept in order across standard output and standard error.
//!
//! Results go to standard output and errors to standard error, as in psql. The shell
//! collects both for one input line and writes them in the order they happened,
//! flushing at every switch of stream, so that `2>&1` gives a faithful transcript.

use std::io::{self, Write};

use isolde_sql::{format_psql, QueryResult};

/// Which stream a piece of text belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Out,
    Err,
}

/// Text for standard output and standard error, in the order it was produced.
#[derive(Debug, Default)]
pub struct Output {
    pieces: Vec<(Stream, String)>,
}

impl Output {
    /// Appends text for standard output.
    pub fn out(&mut self, text: &str) {
        self.push(Stream::Out, text);
    }

    /// Appends text for standard error.
    pub fn err(&mut self, text: &str) {
        self.push(Stream::Err, text);
    }

    fn push(&mut self, stream: Stream, text: &str) {
        match self.pieces.last_mut() {
            Some((last, pending)) if *last == stream => pending.push_str(text),
            _ => self.pieces.push((stream, text.to_string())),
        }
    }

    /// True when nothing was printed.
    pub fn is_empty(&self) -> bool {
        self.pieces.iter().all(|(_, text)| text.is_empty())
    }

    /// Everything, both streams, in order (for a terminal, where they meet anyway).
    pub fn into_text(self) -> String {
        self.pieces.into_iter().map(|(_, text)| text).collect()
    }

    /// Writes each piece to its stream, flushing at every switch.
    pub fn write_to(self, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<()> {
        for (stream, text) in self.pieces {
            let sink: &mut dyn Write = match stream {
                Stream::Out => stdout,
                Stream::Err => stderr,
            };
            sink.write_all(text.as_bytes())?;
            sink.flush()?;
        }
        Ok(())
    }

    /// Writes to the process's standard output and standard error.
    pub fn print(self) -> io::Result<()> {
        self.write_to(&mut io::stdout().lock(), &mut io::stderr().lock())
    }
}

/// A table with a title centred over it, as psql's describe commands print one
/// (`List of relations`, `Table "public.t"`): `footers` None keeps the `(N rows)` line,
/// Some puts these lines in its place, as psql does for a table's description.
pub fn titled_table(title: &str, result: &QueryResult, footers: Option<&[String]>) -> String {
    let table = format_psql(result);
    let mut lines: Vec<&str> = table.lines().collect();
    // The header line is as wide as the table.
    let width = lines.first().map_or(0, |header| header.chars().count());
    let title_width = title.chars().count();
    let indent = " ".repeat(width.saturating_sub(title_width) / 2);
    let mut out = format!("{indent}{title}\n");
    if let Some(footers) = footers {
        // The last line is the row count.
        lines.pop();
        lines.extend(footers.iter().map(String::as_str));
    }
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use isolde_sql::Value;

    #[test]
    fn titles_are_centred_and_footers_replace_the_row_count() {
        let result = QueryResult {
            columns: ["Column".to_string(), "Type".to_string()].into(),
            rows: vec![vec![Value::from("id"), Value::from("bigint")]],
            tag: "SELECT 1".into(),
            notices: Vec::new(),
        };
        assert_eq!(
            titled_table("T", &result, None),
            "        T\n Column |  Type  \n--------+--------\n id     | bigint\n(1 row)\n"
        );
        let footers = ["Indexes:".to_string()];
        assert_eq!(
            titled_table("A title wider than the table", &result, Some(&footers)),
            "A title wider than the table\n Column |  Type  \n--------+--------\n id     | bigint\nIndexes:\n"
        );
    }

    #[test]
    fn pieces_keep_their_order_and_their_stream() {
        let mut output = Output::default();
        output.out("a");
        output.out("b");
        output.err("c");
        output.out("d");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        output.write_to(&mut out, &mut err).unwrap();
        assert_eq!((&out[..], &err[..]), (&b"abd"[..], &b"c"[..]));
    }
}
