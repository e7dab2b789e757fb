//! psql's describe commands: `\d` lists the tables and views, `\dt` the tables, `\di` the
//! indexes (with the table of each), `\dv` the views, and `\d PATTERN` describes every
//! table, index and view whose name matches, in the layout of psql 15: a centred title
//! (`Table "public.t"`), the columns with their types, nullability and defaults, then the
//! table's `Indexes:`. A view's column whose type isolde could not tell at CREATE VIEW
//! shows the type `unknown`.
//!
//! The catalog is read on the session's own thread, in its transaction
//! ([`isolde_sql::Session::relations`]), so a describe inside a block sees the block's
//! own uncommitted CREATE TABLE and changes nothing about the block. isolde has one
//! schema, `public`, and no roles: every relation is listed as owned by [`OWNER`].
//!
//! Patterns are psql's, minus regular expressions: `*` matches any run of characters and
//! `?` any one, letters fold to lower case except inside double quotes (where `*` and `?`
//! are literal and `""` is a quote), and an optional `schema.` prefix must match
//! `public`.

use std::fmt;

use isolde_sql::{
    ColumnDescription, Description, IndexDescription, IndexKind, QueryResult, Relation,
    RelationKind, Session, TableDescription, Value, ViewDescription,
};

use super::output::{titled_table, Output};

/// The owner every relation is listed with: isolde has no roles.
pub const OWNER: &str = "isolde";

/// The only schema.
const SCHEMA: &str = "public";

/// Which relations a describe command lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// `\d`: the tables and views (psql adds sequences, which isolde does not list);
    /// with a pattern, describes every matching table, index and view.
    Relations,
    /// `\dt`: the tables.
    Tables,
    /// `\di`: the indexes, primary keys included.
    Indexes,
    /// `\dv`: the views.
    Views,
}

/// A describe command: `\d`, `\dt`, `\di` or `\dv`, with an optional name pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Describe {
    /// What it lists.
    pub listing: Listing,
    /// The names it keeps; None keeps every one.
    pub pattern: Option<Pattern>,
}

/// One element of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Any,
    One,
    Char(char),
}

/// A psql name pattern (see the module's documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    schema: Option<Vec<Piece>>,
    name: Vec<Piece>,
}

/// What a describe command found in the catalog.
#[derive(Debug)]
pub enum Found {
    /// Relations to list.
    List(Vec<Relation>),
    /// Relations described in full.
    Described(Vec<Description>),
}

impl Pattern {
    /// Compiles `text`, as typed after the command.
    pub fn new(text: &str) -> Pattern {
        let mut parts = vec![Vec::new()];
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let piece = match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    Piece::Char('"')
                }
                '"' => {
                    quoted = !quoted;
                    continue;
                }
                _ if quoted => Piece::Char(c),
                '*' => Piece::Any,
                '?' => Piece::One,
                '.' => {
                    parts.push(Vec::new());
                    continue;
                }
                c => Piece::Char(c.to_ascii_lowercase()),
            };
            if let Some(part) = parts.last_mut() {
                part.push(piece);
            }
        }
        let name = parts.pop().unwrap_or_default();
        Pattern {
            text: text.to_string(),
            // `a.b.c` names a database too; a schema part that cannot be `public` then
            // keeps nothing, as a database other than the current one would in psql.
            schema: parts.into_iter().reduce(|mut a, b| {
                a.push(Piece::Char('.'));
                a.extend(b);
                a
            }),
            name,
        }
    }

    /// True if a relation called `name` (in schema `public`) matches.
    pub fn matches(&self, name: &str) -> bool {
        let schema_ok = self.schema.as_ref().is_none_or(|s| glob(s, SCHEMA));
        schema_ok && glob(&self.name, name)
    }
}

impl fmt::Display for Pattern {
    /// The pattern as typed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// True if `pieces` match all of `text`.
fn glob(pieces: &[Piece], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    // matched[j]: the pieces so far match text[..j].
    let mut matched = vec![false; text.len() + 1];
    matched[0] = true;
    for piece in pieces {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            next[j] = match piece {
                Piece::Any => matched[j] || (j > 0 && next[j - 1]),
                Piece::One => j > 0 && matched[j - 1],
                Piece::Char(c) => j > 0 && matched[j - 1] && text[j - 1] == *c,
            };
        }
        matched = next;
    }
    matched[text.len()]
}

impl Describe {
    /// Parses the argument of `\d`, `\dt` or `\di`: at most one pattern, which may be
    /// double-quoted (and so hold spaces).
    pub fn parse(listing: Listing, argument: &str) -> Result<Describe, String> {
        let words = words(argument);
        if words.len() > 1 {
            return Err(format!("extra argument \"{}\": give one pattern", words[1]));
        }
        Ok(Describe {
            listing,
            pattern: words.first().map(|w| Pattern::new(w)),
        })
    }

    /// Reads what the command shows, with `session`, on the session's thread.
    pub fn read(&self, session: &mut Session) -> Result<Found, isolde_sql::Error> {
        let kept = |r: &Relation| match &self.pattern {
            Some(p) => p.matches(&r.name),
            None => true,
        };
        let relations = session.relations()?.into_iter().filter(kept);
        let found = match (self.listing, &self.pattern) {
            (Listing::Relations, Some(_)) => {
                let mut described = Vec::new();
                for relation in relations {
                    // Dropped since the listing (at READ COMMITTED): nothing to show.
                    described.extend(session.describe_relation(&relation.name)?);
                }
                Found::Described(described)
            }
            (Listing::Relations, None) => Found::List(
                relations
                    .filter(|r| r.kind != RelationKind::Index)
                    .collect(),
            ),
            (Listing::Tables, _) => Found::List(
                relations
                    .filter(|r| r.kind == RelationKind::Table)
                    .collect(),
            ),
            (Listing::Views, _) => {
                Found::List(relations.filter(|r| r.kind == RelationKind::View).collect())
            }
            (Listing::Indexes, _) => Found::List(
                relations
                    .filter(|r| r.kind == RelationKind::Index)
                    .collect(),
            ),
        };
        Ok(found)
    }

    /// Prints what [`Describe::read`] found as psql does; false if that is an error
    /// (`\d PATTERN` matching nothing: psql's describe then fails, where an empty list
    /// is only reported).
    pub fn print(&self, found: Found, out: &mut Output) -> bool {
        let not_found = match &self.pattern {
            Some(p) => format!("Did not find any relation named \"{p}\".\n"),
            None => "Did not find any relations.\n".to_string(),
        };
        match found {
            Found::List(relations) if relations.is_empty() => out.err(&not_found),
            Found::List(relations) => out.out(&list(&relations, self.listing)),
            Found::Described(described) if described.is_empty() => {
                out.err(&not_found);
                return false;
            }
            Found::Described(described) => {
                for d in described {
                    out.out(&match d {
                        Description::Table(t) => table(&t),
                        Description::Index(i) => index(&i),
                        Description::View(v) => view(&v),
                    });
                }
            }
        }
        true
    }
}

/// The words of an argument, double quotes kept (they matter to the pattern).
fn words(argument: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in argument.chars() {
        if c.is_whitespace() && !quoted {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            continue;
        }
        quoted ^= c == '"';
        word.push(c);
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

fn text(s: &str) -> Value {
    Value::from(s)
}

fn rows(columns: &[&str], rows: Vec<Vec<Value>>) -> QueryResult {
    QueryResult {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        tag: format!("SELECT {}", rows.len()),
        rows,
        notices: Vec::new(),
    }
}

/// psql's "List of relations"; `\di` adds each index's table.
fn list(relations: &[Relation], listing: Listing) -> String {
    let mut columns = vec!["Schema", "Name", "Type", "Owner"];
    if listing == Listing::Indexes {
        columns.push("Table");
    }
    let listed = relations.iter().map(|r| {
        let kind = match r.kind {
            RelationKind::Table => "table",
            RelationKind::Index => "index",
            RelationKind::View => "view",
        };
        let mut row = vec![text(SCHEMA), text(&r.name), text(kind), text(OWNER)];
        if listing == Listing::Indexes {
            row.push(text(r.table.as_deref().unwrap_or_default()));
        }
        row
    });
    let result = rows(&columns, listed.collect());
    format!("{}\n", titled_table("List of relations", &result, None))
}

/// psql's `Table "public.t"`: the columns, then the indexes and CHECK constraints.
fn table(t: &TableDescription) -> String {
    let listed = t.columns.iter().map(|c| {
        vec![
            text(&c.name),
            text(&c.ty.to_string()),
            text(""),
            text(if c.nullable { "" } else { "not null" }),
            text(c.default.as_deref().unwrap_or_default()),
        ]
    });
    let columns = ["Column", "Type", "Collation", "Nullable", "Default"];
    let mut footers = Vec::new();
    if !t.indexes.is_empty() {
        footers.push("Indexes:".to_string());
    }
    for i in &t.indexes {
        let what = match i.kind {
            IndexKind::PrimaryKey => "PRIMARY KEY, ",
            IndexKind::UniqueConstraint => "UNIQUE CONSTRAINT, ",
            IndexKind::Unique => "UNIQUE, ",
            IndexKind::Plain => "",
        };
        let keys: Vec<String> = i.columns.iter().map(quoted_name).collect();
        footers.push(format!(
            "    \"{}\" {what}btree ({})",
            i.name,
            keys.join(", ")
        ));
    }
    if !t.checks.is_empty() {
        footers.push("Check constraints:".to_string());
    }
    for (name, definition) in &t.checks {
        footers.push(format!("    \"{name}\" {definition}"));
    }
    let title = format!("Table \"{SCHEMA}.{}\"", t.name);
    let result = rows(&columns, listed.collect());
    format!("{}\n", titled_table(&title, &result, Some(&footers)))
}

/// psql's `View "public.v"`: the columns and their types.
fn view(v: &ViewDescription) -> String {
    let listed = v.columns.iter().map(|(name, ty)| {
        let ty = ty.map_or_else(|| "unknown".to_string(), |t| t.to_string());
        vec![text(name), text(&ty), text(""), text(""), text("")]
    });
    let columns = ["Column", "Type", "Collation", "Nullable", "Default"];
    let title = format!("View \"{SCHEMA}.{}\"", v.name);
    let result = rows(&columns, listed.collect());
    format!("{}\n", titled_table(&title, &result, Some(&[])))
}

/// psql's `Index "public.t_pkey"`: the key columns, then what the index is for.
fn index(i: &IndexDescription) -> String {
    let listed = i.columns.iter().map(|c| {
        vec![
            text(&c.name),
            text(&c.ty.to_string()),
            text("yes"),
            text(&quoted_name(c)),
        ]
    });
    let what = match i.kind {
        IndexKind::PrimaryKey => "primary key, ",
        IndexKind::UniqueConstraint | IndexKind::Unique => "unique, ",
        IndexKind::Plain => "",
    };
    let footer = format!("{what}btree, for table \"{SCHEMA}.{}\"", i.table);
    let title = format!("Index \"{SCHEMA}.{}\"", i.name);
    let result = rows(&["Column", "Type", "Key?", "Definition"], listed.collect());
    format!("{}\n", titled_table(&title, &result, Some(&[footer])))
}

/// A column's name as SQL text: in double quotes unless it is a plain lower-case
/// identifier (psql also quotes key words, which isolde does not check for).
fn quoted_name(c: &ColumnDescription) -> String {
    let plain = c
        .name
        .starts_with(|ch: char| ch.is_ascii_lowercase() || ch == '_')
        && (c.name.chars()).all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    match plain {
        true => c.name.clone(),
        false => format!("\"{}\"", c.name.replace('"', "\"\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_psqls_do() {
        let matches = |pattern: &str, name: &str| Pattern::new(pattern).matches(name);
        assert!(matches("t", "t"));
        assert!(!matches("t", "t2"));
        assert!(matches("T", "t"), "unquoted letters fold");
        assert!(!matches("\"T\"", "t"));
        assert!(matches("\"Mixed\"Case", "Mixedcase"));
        assert!(matches("t*", "t_pkey") && matches("t*", "t"));
        assert!(matches("*_?ey", "t_key") && !matches("*_?ey", "t_pkey"));
        assert!(matches("\"a*\"", "a*") && !matches("\"a*\"", "ab"));
        assert!(matches("\"say \"\"hi\"\"\"", "say \"hi\""));
        assert!(matches("public.t", "t") && matches("*.t", "t"));
        assert!(!matches("other.t", "t") && !matches("db.public.t", "t"));
    }

    #[test]
    fn a_describe_takes_one_pattern_quotes_and_spaces_included() {
        let d = Describe::parse(Listing::Tables, " \"a b\" ").unwrap();
        assert!(d.pattern.is_some_and(|p| p.matches("a b")));
        assert!(Describe::parse(Listing::Tables, "a b").is_err());
        assert_eq!(Describe::parse(Listing::Indexes, "").unwrap().pattern, None);
    }

    #[test]
    fn column_names_are_quoted_where_sql_needs_it() {
        let name = |n: &str| {
            quoted_name(&ColumnDescription {
                name: n.into(),
                ty: isolde_sql::DataType::Boolean,
                nullable: true,
                default: None,
            })
        };
        assert_eq!(name("id_2"), "id_2");
        assert_eq!(name("Id"), "\"Id\"");
        assert_eq!(name("a b\""), "\"a b\"\"\"");
        assert_eq!(name("2x"), "\"2x\"");
    }
}
