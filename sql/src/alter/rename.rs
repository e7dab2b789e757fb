//! Renaming a column or table inside a stored CHECK condition.
//!
//! A CHECK condition is stored as its SQL text ([`crate::catalog::Check`]), and names
//! columns by name, so RENAME COLUMN must rename them in it (PostgreSQL stores column
//! numbers and has nothing to do). The condition is split into sqlparser tokens, the
//! words that name the column are replaced, and the text is parsed again. A word names
//! a column unless it names a function (a `(` follows it), a type (a `::` precedes it)
//! or a table (a `.` follows it); a table qualifier is the word before a `.`.
//! Simplification: a keyword spelt like the column inside a construct
//! (`CASE ... END` with a column named `end`) would be renamed too.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::{Keyword, ALL_KEYWORDS};
use sqlparser::tokenizer::{Token, Tokenizer, Word};

use crate::catalog::parse_condition;
use crate::error::{Error, Result};

/// What the renamed name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A column: the words that name it alone or after a qualifier.
    Column,
    /// A table: the words that qualify a column (`t.a`).
    Qualifier,
}

/// `condition` with the words that name `from` in `role` naming `to`.
pub fn words(condition: &ast::Expr, from: &str, to: &str, role: Role) -> Result<ast::Expr> {
    let text = condition.to_string();
    let failed = || {
        Error::FeatureNotSupported(format!(
            "renaming \"{from}\" to \"{to}\" in CHECK condition {text}"
        ))
    };
    let mut tokens = Tokenizer::new(&PostgreSqlDialect {}, &text)
        .tokenize()
        .map_err(|_| failed())?;
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i], Token::Whitespace(_)))
        .collect();
    for (n, &i) in significant.iter().enumerate() {
        let Token::Word(w) = &tokens[i] else {
            continue;
        };
        let next = significant.get(n + 1).map(|&j| &tokens[j]);
        let before = n.checked_sub(1).map(|m| &tokens[significant[m]]);
        let names = match role {
            Role::Column => {
                !matches!(next, Some(Token::LParen | Token::Period))
                    && !matches!(before, Some(Token::DoubleColon))
            }
            Role::Qualifier => matches!(next, Some(Token::Period)),
        };
        if names && folded(w) == from {
            tokens[i] = Token::Word(word(to));
        }
    }
    let renamed: String = tokens.iter().map(Token::to_string).collect();
    parse_condition(&renamed).ok_or_else(failed)
}

/// The name a word stands for: as written if quoted, else in lower case.
fn folded(w: &Word) -> String {
    match w.quote_style {
        Some(_) => w.value.clone(),
        None => w.value.to_lowercase(),
    }
}

/// The word for name `name`, quoted unless it reads back as itself unquoted.
fn word(name: &str) -> Word {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !ALL_KEYWORDS.contains(&name.to_uppercase().as_str());
    Word {
        value: name.to_string(),
        quote_style: (!plain).then_some('"'),
        keyword: Keyword::NoKeyword,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renamed(text: &str, from: &str, to: &str, role: Role) -> String {
        let expr = parse_condition(text).unwrap();
        words(&expr, from, to, role).unwrap().to_string()
    }

    #[test]
    fn column_references_are_renamed_and_functions_types_and_tables_are_not() {
        assert_eq!(
            renamed(
                "length(length) > 0 AND t.length::text <> 'length'",
                "length",
                "n",
                Role::Column
            ),
            "length(n) > 0 AND t.n::TEXT <> 'length'"
        );
    }

    #[test]
    fn a_name_that_needs_quotes_is_quoted() {
        assert_eq!(
            renamed("a > 0", "a", "Big A", Role::Column),
            "\"Big A\" > 0"
        );
        assert_eq!(
            renamed("\"X\" > 0", "X", "select", Role::Column),
            "\"select\" > 0"
        );
    }

    #[test]
    fn a_table_rename_changes_qualifiers_only() {
        assert_eq!(
            renamed("t.t > 0 AND t > 1", "t", "u", Role::Qualifier),
            "u.t > 0 AND t > 1"
        );
    }
}
