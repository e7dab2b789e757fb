//! isolde-txn
