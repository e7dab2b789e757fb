//! psql's aligned output format.

use crate::error::{psql_lines, Error};
use crate::session::QueryResult;

/// Renders a result as psql does: for row-returning statements a header of centred
/// column names, a `---+---` rule, the rows (numbers right-aligned, other values
/// left-aligned, NULL empty) and `(N rows)`, then the command tag if they changed rows
/// (`RETURNING`); for other statements the command tag. Notices come first, one per line.
pub fn format_psql(r: &QueryResult) -> String {
    let mut out = String::new();
    for n in &r.notices {
        out.push_str(n);
        out.push('\n');
    }
    if !r.has_rows() {
        out.push_str(&r.tag);
        out.push('\n');
        return out;
    }
    let cells: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| row.iter().map(|v| v.to_string()).collect())
        .collect();
    let n = r.columns.len();
    let mut widths: Vec<usize> = r.columns.iter().map(|c| c.chars().count()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    // psql aligns by column type: a column of numbers is right-aligned, NULLs included.
    let numeric: Vec<bool> = (0..n)
        .map(|i| {
            r.rows
                .iter()
                .any(|row| row.get(i).is_some_and(|v| v.is_number()))
        })
        .collect();
    let header: Vec<String> = r
        .columns
        .iter()
        .zip(&widths)
        .map(|(c, &w)| {
            let len = c.chars().count();
            let left = (w - len) / 2;
            format!(" {}{}{} ", " ".repeat(left), c, " ".repeat(w - len - left))
        })
        .collect();
    out.push_str(&header.join("|"));
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    out.push_str(&rule.join("+"));
    out.push('\n');
    for row in &cells {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            let w = widths[i];
            let pad = " ".repeat(w - c.chars().count());
            let last = i + 1 == n;
            if i > 0 {
                line.push('|');
            }
            if numeric[i] {
                line.push_str(&format!(" {pad}{c}"));
                if !last {
                    line.push(' ');
                }
            } else if last {
                line.push_str(&format!(" {c}"));
            } else {
                line.push_str(&format!(" {c}{pad} "));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    let count = r.rows.len();
    out.push_str(&format!(
        "({count} row{})\n",
        if count == 1 { "" } else { "s" }
    ));
    if r.tag_follows_rows() {
        out.push('\n');
        out.push_str(&r.tag);
        out.push('\n');
    }
    out
}

/// psql's rendering of an error with its SQLSTATE: `ERROR:  message [40001]`, then
/// `DETAIL:  detail` on a second line when there is one.
pub fn format_error_with_state(e: &Error) -> String {
    psql_lines(e, Some(e.sqlstate()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;

    #[test]
    fn aligned_output_matches_psql() {
        let r = QueryResult {
            columns: ["id".to_string(), "name".to_string()].into(),
            rows: vec![
                vec![Value::Integer(1), Value::from("alice")],
                vec![Value::Integer(10), Value::Null],
            ],
            tag: "SELECT 2".into(),
            notices: Vec::new(),
        };
        assert_eq!(
            format_psql(&r),
            " id | name  \n----+-------\n  1 | alice\n 10 | \n(2 rows)\n"
        );
    }
}
