//! isolde-sql
mod encoding;
mod error;
mod numeric;
mod types;
