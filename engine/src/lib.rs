//! isolde-engine
