//! isolde
