//! The `isolde` command: parses the arguments and hands them to [`isolde::cli`].

use clap::Parser;

/// mimalloc rather than the system allocator: it packs each size of object (skip-list
/// nodes, chains, values) densely in its own pages, and with glibc's malloc the `kv`
/// benchmark read 20% fewer keys/s and scanned 30% fewer ranges/s (the bulk load ran
/// as fast). The benchmarks use the same allocator, so that their figures are this
/// binary's.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    isolde::cli::run(isolde::cli::Cli::parse())
}
