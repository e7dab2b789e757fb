//! Views: `CREATE [OR REPLACE] VIEW`, `DROP VIEW`, and what a view is in the catalog.
//!
//! A view is a named query. Its definition lives under the same key as a table's
//! ([`table_def_key`]), because tables and views share one name space in PostgreSQL: the
//! claim that keeps two CREATE TABLEs of one name apart also keeps a CREATE TABLE and a
//! CREATE VIEW apart, and a view is, like a table, transactional, logged, checkpointed
//! and replicated as ordinary data. A definition whose first byte is [`VIEW_DEFINITION`]
//! is a view; a table's starts with its format version, counted up from 1, which will
//! never reach it. The stored fields, little-endian:
//!
//! | field | encoding |
//! |---|---|
//! | marker | u8 [`VIEW_DEFINITION`] |
//! | format version | u8 [`VIEW_FORMAT_VERSION`] |
//! | id | u32, from the catalog's object-id counter: the order views were created in |
//! | name | u32 length + UTF-8 |
//! | columns | u32 count, then each name as u32 length + UTF-8, a u8 1 if its type is known and then the type as a table column's is stored, else a u8 0 |
//! | query | u32 length + its SQL text, as sqlparser prints it |
//! | depends on | u32 count, then each table or view name the query reads directly |
//!
//! The query is kept as text and planned again at each use, as a subquery in FROM under
//! the view's column names (see `planner/view.rs`), so it reads through the statement's
//! transaction like any query: snapshots, locks and SERIALIZABLE read tracking are those
//! of the tables under it. A cached plan records the view's definition among the
//! definitions it read, so CREATE OR REPLACE VIEW makes it plan again.
//!
//! Simplifications, named: a view's `SELECT *` is expanded at each use, not at CREATE
//! VIEW (a column added to the table later is not shown: the view keeps its column
//! count); since the query is stored as text, ALTER TABLE renaming a table a view reads,
//! or renaming or dropping its columns, is refused while the view exists (PostgreSQL
//! rewrites the view on a rename); CREATE OR REPLACE checks that the old columns keep their names
//! and positions, not their types (isolde does not type a query's output statically); rows
//! are never written through a view (PostgreSQL updates simple views; isolde says 0A000).

use sqlparser::ast;

use isolde_txn::LockMode;

use crate::catalog::{decode_type, encode_type};
use crate::ddl::{check_writable, done, relation_exists};
use crate::encoding::{parse_key, put_bytes, table_def_key, table_def_prefix, Reader, StoredKey};
use crate::error::{Error, Result};
use crate::plan_cache::Recorder;
use crate::planner::{ident, object_name, output_types, Planner};
use crate::session::QueryResult;
use crate::types::DataType;

/// The first byte of a view's stored definition.
pub const VIEW_DEFINITION: u8 = 0xFF;
/// The format version of a view's definition, after [`VIEW_DEFINITION`]. Version 2 may
/// store a declared NUMERIC's precision among the column types (as table definitions
/// of format 5 do); definitions of version 1 still decode.
pub const VIEW_FORMAT_VERSION: u8 = 2;

/// A view's definition.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// Taken from the object-id counter at CREATE VIEW and kept by OR REPLACE: PostgreSQL
    /// lists dependent objects in the order they were created, and so does isolde.
    pub id: u32,
    pub name: String,
    /// The names of its columns: the query's, renamed by `CREATE VIEW v (a, b)`.
    pub columns: Vec<String>,
    /// Each column's type, where planning could tell it at CREATE VIEW (for `\d`).
    pub types: Vec<Option<DataType>>,
    /// Its query, as SQL text.
    pub query: String,
    /// The tables and views its query reads directly, which cannot be dropped without
    /// CASCADE while it exists.
    pub depends_on: Vec<String>,
}

/// True if stored definition `bytes` is a view's.
pub fn is_view(bytes: &[u8]) -> bool {
    bytes.first() == Some(&VIEW_DEFINITION)
}

impl View {
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![VIEW_DEFINITION, VIEW_FORMAT_VERSION];
        out.extend_from_slice(&self.id.to_le_bytes());
        put_bytes(&mut out, self.name.as_bytes());
        out.extend_from_slice(&(self.columns.len() as u32).to_le_bytes());
        for (i, name) in self.columns.iter().enumerate() {
            put_bytes(&mut out, name.as_bytes());
            match self.types.get(i).copied().flatten() {
                Some(ty) => {
                    out.push(1);
                    encode_type(ty, &mut out);
                }
                None => out.push(0),
            }
        }
        put_bytes(&mut out, self.query.as_bytes());
        put_strings(&mut out, &self.depends_on);
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<View> {
        let mut r = Reader::new(bytes, "view definition");
        if r.u8()? != VIEW_DEFINITION || !(1..=VIEW_FORMAT_VERSION).contains(&r.u8()?) {
            return Err(Error::Corrupt("view definition: unknown format".into()));
        }
        let id = r.u32()?;
        let name = r.string()?;
        let (mut columns, mut types) = (Vec::new(), Vec::new());
        for _ in 0..r.u32()? {
            columns.push(r.string()?);
            types.push(match r.u8()? {
                0 => None,
                _ => Some(decode_type(&mut r)?),
            });
        }
        let view = View {
            id,
            name,
            columns,
            types,
            query: r.string()?,
            depends_on: read_strings(&mut r)?,
        };
        r.finish()?;
        Ok(view)
    }

    /// The view's query, parsed back from its text.
    pub(crate) fn parse_query(&self) -> Result<ast::Query> {
        let dialect = sqlparser::dialect::PostgreSqlDialect {};
        let corrupt = || {
            Error::Corrupt(format!(
                "view definition: the query of \"{}\" does not parse",
                self.name
            ))
        };
        let mut parser = sqlparser::parser::Parser::new(&dialect)
            .try_with_sql(&self.query)
            .map_err(|_| corrupt())?;
        let query = parser.parse_query().map_err(|_| corrupt())?;
        parser
            .expect_token(&sqlparser::tokenizer::Token::EOF)
            .map_err(|_| corrupt())?;
        Ok(*query)
    }
}

fn put_strings(out: &mut Vec<u8>, strings: &[String]) {
    out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    for s in strings {
        put_bytes(out, s.as_bytes());
    }
}

fn read_strings(r: &mut Reader<'_>) -> Result<Vec<String>> {
    (0..r.u32()?).map(|_| r.string()).collect()
}

fn unsupported(what: &str) -> Error {
    Error::FeatureNotSupported(what.to_string())
}

/// CREATE [OR REPLACE] VIEW v [(col, ...)] AS query
pub(crate) fn create_view(p: &mut Planner<'_, '_>, cv: &ast::CreateView) -> Result<QueryResult> {
    if cv.materialized || cv.temporary || cv.or_alter || cv.to.is_some() || cv.params.is_some() {
        return Err(unsupported(
            "CREATE MATERIALIZED / TEMPORARY VIEW and view options",
        ));
    }
    if cv
        .columns
        .iter()
        .any(|c| c.data_type.is_some() || c.options.is_some())
    {
        return Err(unsupported("types or options on view columns"));
    }
    check_writable(p, "CREATE VIEW")?;
    let name = object_name(&cv.name)?;
    // Planned with a recorder, which notes the definitions the query reads directly.
    let outside = p.recorder.replace(Recorder::default());
    let planned = p.query(&cv.query);
    let recorder = std::mem::replace(&mut p.recorder, outside).unwrap_or_default();
    let planned = planned?;
    if cv.columns.len() > planned.columns.len() {
        return Err(Error::SyntaxRule(
            "CREATE VIEW specifies more column names than columns".into(),
        ));
    }
    let mut columns: Vec<String> = planned.columns.to_vec();
    for (c, given) in columns.iter_mut().zip(&cv.columns) {
        *c = ident(&given.name);
    }
    if let Some(twice) = (1..columns.len()).find(|&i| columns[..i].contains(&columns[i])) {
        return Err(Error::DuplicateColumn(columns[twice].clone()));
    }
    let depends_on = recorder.direct_reads();
    if depends_on.contains(&name) {
        return Err(Error::InvalidRecursion(format!(
            "infinite recursion detected in rules for relation \"{name}\""
        )));
    }
    let mut types = output_types(&planned.plan).unwrap_or_default();
    types.resize(columns.len(), None);
    let mut view = View {
        id: 0,
        name: name.clone(),
        columns,
        types,
        query: cv.query.to_string(),
        depends_on,
    };
    match lock_exclusively(p, &name)? {
        Some(bytes) if is_view(&bytes) && cv.or_replace => {
            let old = View::decode(&bytes)?;
            check_replacement(&old, &view)?;
            view.id = old.id;
        }
        Some(_) if cv.or_replace => {
            return Err(Error::WrongObjectType(format!("\"{name}\" is not a view")))
        }
        Some(_) => return Err(Error::DuplicateTable(name)),
        None if relation_exists(p, &name)? => return Err(Error::DuplicateTable(name)),
        None => view.id = p.catalog.next_id(&mut p.env.txn.borrow_mut())?,
    }
    lock_dependencies(p, &view)?;
    let mut txn = p.env.txn.borrow_mut();
    p.catalog.save_definition(&mut txn, &name, &view.encode())?;
    Ok(done("CREATE VIEW", None))
}

/// PostgreSQL's rule for CREATE OR REPLACE VIEW: the new query keeps the old columns, by
/// name and position, and may add columns after them.
fn check_replacement(old: &View, new: &View) -> Result<()> {
    if new.columns.len() < old.columns.len() {
        return Err(Error::InvalidTableDefinition(
            "cannot drop columns from view".into(),
        ));
    }
    for (o, n) in old.columns.iter().zip(&new.columns) {
        if o != n {
            return Err(Error::InvalidTableDefinition(format!(
                "cannot change name of view column \"{o}\" to \"{n}\""
            )));
        }
    }
    Ok(())
}

/// Locks the definition stored under `name` (a table's or a view's) exclusively, as DDL
/// on it does, and returns it.
fn lock_exclusively(p: &mut Planner<'_, '_>, name: &str) -> Result<Option<isolde_txn::Value>> {
    let mut txn = p.env.txn.borrow_mut();
    p.catalog
        .lock_definition(&mut txn, name, &table_def_key(name), LockMode::Exclusive)
}

/// Takes a shared lock on each definition the view reads, as a statement writing a table
/// does: a DROP TABLE in progress is waited for, and one that committed meanwhile is seen
/// (42P01), so a view is never stored over a table that is gone.
fn lock_dependencies(p: &mut Planner<'_, '_>, view: &View) -> Result<()> {
    let mut txn = p.env.txn.borrow_mut();
    for name in &view.depends_on {
        let key = table_def_key(name);
        if p.catalog
            .lock_definition(&mut txn, name, &key, LockMode::Shared)?
            .is_none()
        {
            return Err(Error::UndefinedTable(name.clone()));
        }
    }
    Ok(())
}

/// DROP VIEW [IF EXISTS] v, ... [CASCADE | RESTRICT]
pub(crate) fn drop_views(
    p: &mut Planner<'_, '_>,
    if_exists: bool,
    names: &[ast::ObjectName],
    cascade: bool,
) -> Result<QueryResult> {
    check_writable(p, "DROP VIEW")?;
    let mut notices = Vec::new();
    for n in names {
        let name = object_name(n)?;
        match lock_exclusively(p, &name)? {
            None if if_exists => {
                notices.push(format!("NOTICE:  view \"{name}\" does not exist, skipping"));
                continue;
            }
            None => return Err(Error::UndefinedView(name)),
            Some(bytes) if !is_view(&bytes) => {
                return Err(Error::WrongObjectType(format!("\"{name}\" is not a view")))
            }
            Some(_) => {}
        }
        notices.extend(drop_dependents(p, "view", &name, cascade)?);
        let mut txn = p.env.txn.borrow_mut();
        p.catalog.delete_definition(&mut txn, &name)?;
    }
    let mut r = done("DROP VIEW", None);
    r.notices = notices;
    Ok(r)
}

/// Before table or view `name` (of `kind`) is dropped: the views that depend on it,
/// directly or through other views. Without `cascade` any is 2BP01, as PostgreSQL says
/// it; with it they are dropped and the notice PostgreSQL gives is returned.
pub(crate) fn drop_dependents(
    p: &mut Planner<'_, '_>,
    kind: &str,
    name: &str,
    cascade: bool,
) -> Result<Vec<String>> {
    let mut views = all_views(p)?;
    views.sort_by_key(|v| v.id);
    let mut edges = Vec::new();
    dependents_of(&views, name, kind, &mut edges);
    if edges.is_empty() {
        return Ok(Vec::new());
    }
    if !cascade {
        let detail: Vec<String> = edges
            .iter()
            .map(|(d, on, on_kind)| format!("view {d} depends on {on_kind} {on}"))
            .collect();
        return Err(Error::DependentObjects {
            message: format!("cannot drop {kind} {name} because other objects depend on it"),
            detail: detail.join("\n"),
        });
    }
    let mut txn = p.env.txn.borrow_mut();
    for (d, ..) in &edges {
        let key = table_def_key(d);
        if p.catalog
            .lock_definition(&mut txn, d, &key, LockMode::Exclusive)?
            .is_some()
        {
            p.catalog.delete_definition(&mut txn, d)?;
        }
    }
    Ok(vec![match &edges[..] {
        [(d, ..)] => format!("NOTICE:  drop cascades to view {d}"),
        _ => {
            let lines: Vec<String> = edges
                .iter()
                .map(|(d, ..)| format!("drop cascades to view {d}"))
                .collect();
            format!(
                "NOTICE:  drop cascades to {} other objects\nDETAIL:  {}",
                edges.len(),
                lines.join("\n")
            )
        }
    }])
}

/// 0A000 if a view reads table `name`: for ALTER TABLE operations that would break the
/// view's stored query (PostgreSQL rewrites views on a rename and refuses to drop a column
/// a view uses; isolde keeps a view's query as text and asks for the view to go first).
pub(crate) fn refuse_if_read_by_views(p: &Planner<'_, '_>, name: &str) -> Result<()> {
    let views = all_views(p)?;
    match views.iter().find(|v| v.depends_on.iter().any(|d| d == name)) {
        Some(v) => Err(Error::FeatureNotSupported(format!(
            "renaming table \"{name}\", or renaming or dropping its columns, while view \"{}\" reads it",
            v.name
        ))),
        None => Ok(()),
    }
}

/// Appends the views that depend on `on` (of `on_kind`), depth first in the order they
/// were created, as PostgreSQL lists them: (dependent, what it depends on, its kind).
fn dependents_of(
    views: &[View],
    on: &str,
    on_kind: &str,
    edges: &mut Vec<(String, String, String)>,
) {
    for v in views
        .iter()
        .filter(|v| v.depends_on.iter().any(|d| d == on))
    {
        if edges.iter().any(|(d, ..)| *d == v.name) {
            continue;
        }
        edges.push((v.name.clone(), on.to_string(), on_kind.to_string()));
        dependents_of(views, &v.name, "view", edges);
    }
}

/// Every view the transaction sees.
pub(crate) fn all_views(p: &Planner<'_, '_>) -> Result<Vec<View>> {
    let txn = p.env.txn.borrow();
    let mut views = Vec::new();
    for (key, bytes) in txn.scan_prefix(&table_def_prefix())? {
        if let (Some(StoredKey::TableDef(_)), true) = (parse_key(&key), is_view(&bytes)) {
            views.push(View::decode(&bytes)?);
        }
    }
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> View {
        View {
            id: 12,
            name: "big_accounts".into(),
            columns: vec!["id".into(), "owner".into()],
            types: vec![Some(DataType::Integer), None],
            query: "SELECT id, owner FROM accounts WHERE balance > 100".into(),
            depends_on: vec!["accounts".into()],
        }
    }

    #[test]
    fn view_definitions_round_trip() {
        let v = sample();
        assert_eq!(View::decode(&v.encode()).unwrap(), v);
        assert!(is_view(&v.encode()));
    }

    #[test]
    fn view_definitions_keep_a_declared_numeric_precision() {
        let mut v = sample();
        v.types[1] = Some(DataType::Numeric {
            declared: Some((6, -2)),
        });
        assert_eq!(View::decode(&v.encode()).unwrap(), v);
    }

    /// Version 1 stored a NUMERIC's scale only, under type tag 3 with the scale as its
    /// argument: it comes back as `NUMERIC(38, s)`, what it enforced.
    #[test]
    fn definitions_of_view_format_version_1_still_decode() {
        let mut bytes = sample().encode();
        bytes[1] = 1;
        assert_eq!(View::decode(&bytes).unwrap(), sample());

        let mut bytes = vec![VIEW_DEFINITION, 1];
        bytes.extend_from_slice(&12u32.to_le_bytes());
        put_bytes(&mut bytes, b"amounts");
        bytes.extend_from_slice(&1u32.to_le_bytes());
        put_bytes(&mut bytes, b"amount");
        bytes.extend_from_slice(&[1, 3, 1, 2, 0, 0, 0]);
        put_bytes(&mut bytes, b"SELECT amount FROM accounts");
        put_strings(&mut bytes, &["accounts".to_string()]);
        let v = View::decode(&bytes).unwrap();
        assert_eq!(
            v.types,
            vec![Some(DataType::Numeric {
                declared: Some((38, 2))
            })]
        );
        assert_eq!(v.types[0].unwrap().to_string(), "numeric(38,2)");
    }

    #[test]
    fn truncated_view_definitions_are_corrupt_not_panics() {
        let bytes = sample().encode();
        for cut in 0..bytes.len() {
            assert_eq!(View::decode(&bytes[..cut]).unwrap_err().sqlstate(), "XX001");
        }
    }

    #[test]
    fn a_table_definition_is_never_taken_for_a_view() {
        // Table definitions start with their format version (1 to 5 so far).
        for version in 1..=5u8 {
            assert!(!is_view(&[version, 0, 0, 0, 0]));
        }
        assert!(!is_view(&[]));
    }

    #[test]
    fn a_view_whose_query_does_not_parse_is_corrupt() {
        let mut v = sample();
        v.query = "SELECT FROM WHERE )".into();
        assert_eq!(v.parse_query().unwrap_err().sqlstate(), "XX001");
    }
}
