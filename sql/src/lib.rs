//! isolde-sql
