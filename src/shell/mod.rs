//! `isolde shell`: a psql-like SQL shell with several named sessions at once, to watch
//! transactions at different isolation levels meet.
//!
//! Every session is a SQL [`crate::Session`] on its own thread ([`crate::sessions`]), so
//! a statement that waits for a row lock does not hold up the shell: it is reported
//! (`b: waiting for a lock held by session a`), the prompt returns, and its result is
//! printed, tagged with its session, when the other transaction ends. The same language
//! runs from a terminal ([`repl`], with line editing and history) and from scripts
//! ([`script`]: `-f FILE`, `-c TEXT`), where the shell waits after each line until
//! every statement has finished or is waiting, so output is deterministic and a
//! two-session demo is one file.
//!
//! The pieces: [`input`] cuts lines into statements at `;`, [`meta`] parses backslash
//! commands and holds the help text, [`describe`] reads and prints `\d` and its kin,
//! [`prompt`] draws `a:RR*> `, [`output`] keeps
//! results (standard output) and errors (standard error) in order, and [`Shell`] ties
//! them to the sessions.

pub mod describe;
mod dispatch;
pub mod input;
pub mod meta;
pub mod output;
pub mod prompt;
pub mod repl;
pub mod script;

pub use dispatch::{Flow, Shell, FIRST_SESSION};
pub use output::Output;
pub use script::ScriptOptions;
