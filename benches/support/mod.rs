//! What every benchmark shares.

/// The allocator the `isolde` binary ships with (see `src/main.rs`), so that the figures
/// measured here are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
