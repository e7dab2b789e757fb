//! isolde
pub mod pubsub;
