//! The `isolde` command: parses the arguments and hands them to [`isolde::cli`].

use clap::Parser;

/// mimalloc rather than the system allocator: every write allocates a value, a skip-list
/// node and a chain, and glibc's malloc cost 10-30% of the write and scan throughput in
/// the benchmarks (`benches/`, which use the same allocator so that their figures are
/// this binary's).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    isolde::cli::run(isolde::cli::Cli::parse())
}
