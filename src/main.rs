//! The `isolde` command: parses the arguments and hands them to [`isolde::cli`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    isolde::cli::run(isolde::cli::Cli::parse())
}
