//! `CREATE TABLE [IF NOT EXISTS] t [(col, ...)] AS query [WITH [NO] DATA]`: a new table
//! shaped like the query's output and filled with its rows, in the statement's
//! transaction like any DDL (a ROLLBACK takes table and rows away; at SERIALIZABLE the
//! query's reads are tracked as a SELECT's are, since it runs through the same executor).
//!
//! As in PostgreSQL 15 the columns are named after the query's output (`?column?` for
//! an unnamed expression) or the list given, which may name fewer columns than the
//! query has; the table has no primary key (a hidden row id keys it), no constraint and
//! no default; the query is planned before the name is looked at, so an error in it
//! comes first even with IF NOT EXISTS; the tag is `SELECT n`, or `CREATE TABLE AS`
//! when no rows were asked for (WITH NO DATA) or the table existed (IF NOT EXISTS).
//!
//! A column's type is the one planning gives the output column (a table column's
//! declared type, `NUMERIC(10,2)` or `VARCHAR(5)` included, or an expression's), or the
//! type a select item casts to (`1.50::numeric(5,1)`, a constant planning folds). Where
//! planning cannot tell (a sum or an average, a column of a subquery in FROM) the type
//! is that of the values the query returned, numbers widened to the widest kind among
//! them; with no value to go by (only NULLs, no rows, WITH NO DATA) it is `text`,
//! PostgreSQL's type for an unknown-typed output and not always the type PostgreSQL
//! would give. Integers are all 64-bit here, so `count(*)` makes an `integer` column
//! where PostgreSQL makes a `bigint`, and `sum` of integers (a NUMERIC here) a `numeric`
//! one where PostgreSQL makes a `bigint`.

use std::borrow::Cow;

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace, Word};

use crate::catalog::{Column, Table};
use crate::ddl::{check_writable, claim_relation_name, done};
use crate::dml::column_value;
use crate::error::{Error, Result};
use crate::executor::{self, insert_row, next_row_id};
use crate::planner::{data_type, ident, object_name, output_types, Planner};
use crate::session::QueryResult;
use crate::types::{DataType, Value};

/// Runs CREATE TABLE ... AS for `ct`, whose `query` is `query`.
pub(crate) fn create_table_as(
    p: &mut Planner<'_, '_>,
    ct: &ast::CreateTable,
    query: &ast::Query,
) -> Result<QueryResult> {
    check_writable(p, "CREATE TABLE AS")?;
    let name = object_name(&ct.name)?;
    let planned = p.query(query)?;
    let names = column_names(ct, &planned.columns)?;
    if claim_relation_name(p, &name)? {
        if ct.if_not_exists {
            let notice = format!("NOTICE:  relation \"{name}\" already exists, skipping");
            return Ok(done("CREATE TABLE AS", Some(notice)));
        }
        return Err(Error::DuplicateTable(name));
    }
    let with_data = ct.with_data.as_ref().is_none_or(|w| w.data);
    let rows = match with_data {
        true => executor::run(&planned.plan, p.env)?,
        false => Vec::new(),
    };
    let mut planned_types = output_types(&planned.plan).unwrap_or_default();
    for (i, ty) in cast_types(query)? {
        if let Some(planned) = planned_types.get_mut(i) {
            *planned = Some(ty);
        }
    }
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| Column {
            name,
            ty: planned_types
                .get(i)
                .copied()
                .flatten()
                .unwrap_or_else(|| type_of_values(&rows, i)),
            nullable: true,
            default: None,
            default_sequence: None,
            identity: None,
            default_clock: None,
        })
        .collect();
    let mut table = Table {
        id: 0,
        name,
        columns,
        primary_key: Vec::new(),
        indexes: Vec::new(),
        checks: Vec::new(),
        primary_key_name: None,
    };
    {
        let mut txn = p.env.txn.borrow_mut();
        table.id = p.catalog.next_id(&mut txn)?;
        p.catalog.save_table(&mut txn, &table)?;
    }
    let count = rows.len();
    for row in rows {
        insert(&table, row, p)?;
    }
    Ok(match with_data {
        true => QueryResult {
            tag: QueryResult::count_tag("SELECT ", count),
            ..QueryResult::default()
        },
        false => done("CREATE TABLE AS", None),
    })
}

/// The types a plain SELECT's items cast their values to (`1.50::numeric(5,1)`), by
/// position: planning folds a cast of a constant into the constant, whose type has no
/// precision or length, where the column must keep the declared one.
fn cast_types(query: &ast::Query) -> Result<Vec<(usize, DataType)>> {
    let ast::SetExpr::Select(select) = query.body.as_ref() else {
        return Ok(Vec::new());
    };
    let mut types = Vec::new();
    for (i, item) in select.projection.iter().enumerate() {
        let expr = match item {
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => e,
            // A wildcard's width is not known here: positions after it would be wrong.
            _ => break,
        };
        if let ast::Expr::Cast { data_type: t, .. } = expr {
            types.push((i, data_type(t)?));
        }
    }
    Ok(types)
}

/// The new table's column names: the query's, renamed from the left by the list given.
/// 42601 for a list longer than the query's output, 42701 for a name twice.
fn column_names(ct: &ast::CreateTable, output: &[String]) -> Result<Vec<String>> {
    if ct.columns.len() > output.len() {
        return Err(Error::SyntaxRule(
            "too many column names were specified".into(),
        ));
    }
    let mut names = output.to_vec();
    for (name, def) in names.iter_mut().zip(&ct.columns) {
        let name_only = matches!(&def.data_type, ast::DataType::Custom(n, args)
            if args.is_empty() && n.to_string() == format!("\"{NAME_ONLY}\""));
        if !name_only || !def.options.is_empty() {
            return Err(Error::Syntax(format!(
                "CREATE TABLE ... AS takes column names only, not \"{def}\""
            )));
        }
        *name = ident(&def.name);
    }
    if let Some(twice) = (1..names.len()).find(|&i| names[..i].contains(&names[i])) {
        return Err(Error::DuplicateColumn(names[twice].clone()));
    }
    Ok(names)
}

/// The type of column `i` from its values: the first non-NULL value's kind, numbers
/// widened to the widest kind among them; `text` without a value.
fn type_of_values(rows: &[Vec<Value>], i: usize) -> DataType {
    let mut ty: Option<DataType> = None;
    for v in rows
        .iter()
        .filter_map(|r| r.get(i))
        .filter(|v| !v.is_null())
    {
        let next = v.data_type();
        ty = Some(match ty {
            None => next,
            Some(t) => match (t.widening_rank(), next.widening_rank()) {
                (Some(a), Some(b)) if b > a => next,
                _ => t,
            },
        });
    }
    ty.unwrap_or(DataType::Text { max_len: None })
}

/// Stores one row of the query's output, each value coerced to its column's type.
fn insert(table: &Table, row: Vec<Value>, p: &Planner<'_, '_>) -> Result<()> {
    let values = row
        .into_iter()
        .enumerate()
        .map(|(col, v)| column_value(table, col, Cow::Owned(v)).map(Cow::into_owned))
        .collect::<Result<Vec<Value>>>()?;
    insert_row(table, &values, Some(next_row_id()), p.env)
}

/// The type name [`rewrite_column_names`] gives a bare column name: a quoted identifier
/// no type has.
const NAME_ONLY: &str = "CREATE TABLE AS column";

/// Gives each bare name of a `CREATE TABLE name (a, b, ...) AS` column list the
/// [`NAME_ONLY`] type, so that sqlparser, which wants a type after each column name,
/// parses the list. Only a list of plain names followed by `AS` is touched.
pub(crate) fn rewrite_column_names(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let at = |k: usize| significant.get(k).map(|&i| &tokens[i].token);
    let mut names = Vec::new();
    for k in 0..significant.len() {
        if is_keyword(at(k), Keyword::CREATE) {
            names.extend(column_list(&at, k + 1).into_iter().map(|k| significant[k]));
        }
    }
    if names.is_empty() {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len() + 2 * names.len());
    for (i, t) in tokens.into_iter().enumerate() {
        let span = t.span;
        out.push(t);
        if names.contains(&i) {
            let marker = Token::Word(Word {
                value: NAME_ONLY.into(),
                quote_style: Some('"'),
                keyword: Keyword::NoKeyword,
            });
            let space = Token::Whitespace(Whitespace::Space);
            out.extend([space, marker].map(|t| TokenWithSpan::new(t, span)));
        }
    }
    out
}

/// After `CREATE` at significant token `k`: the positions of the names of a column list
/// of plain names followed by `AS` (`[...] TABLE [IF NOT EXISTS] name (a, b) AS`).
fn column_list<'t>(at: &impl Fn(usize) -> Option<&'t Token>, mut k: usize) -> Vec<usize> {
    while !is_keyword(at(k), Keyword::TABLE) {
        match at(k) {
            Some(Token::Word(_)) => k += 1,
            _ => return Vec::new(),
        }
    }
    k += 1;
    if is_keyword(at(k), Keyword::IF) {
        k += 3;
    }
    k += 1;
    while at(k) == Some(&Token::Period) {
        k += 2;
    }
    if at(k) != Some(&Token::LParen) {
        return Vec::new();
    }
    let mut names = Vec::new();
    loop {
        k += 1;
        let Some(Token::Word(_)) = at(k) else {
            return Vec::new();
        };
        names.push(k);
        k += 1;
        match at(k) {
            Some(Token::Comma) => continue,
            Some(Token::RParen) if is_keyword(at(k + 1), Keyword::AS) => return names,
            _ => return Vec::new(),
        }
    }
}

fn is_keyword(t: Option<&Token>, keyword: Keyword) -> bool {
    matches!(t, Some(Token::Word(w)) if w.keyword == keyword && w.quote_style.is_none())
}
