//! isolde-wal
