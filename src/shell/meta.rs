//! Backslash commands: parsing, and the help text that documents them.

use super::describe::{Describe, Listing};

/// A parsed backslash command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meta {
    /// `\q`: leave the shell (or end the script).
    Quit,
    /// `\?`, `\help`, `\h`: print [`HELP`].
    Help,
    /// `\timing [on|off]`: set or toggle printing each statement's time.
    Timing(Option<bool>),
    /// `\sessions`: list the sessions and what each is doing.
    Sessions,
    /// `\session [NAME]`, `\s [NAME]`: switch to (creating if needed) session NAME, or
    /// print the current one.
    Session(Option<String>),
    /// `\echo TEXT`: print TEXT (for narrating scripts).
    Echo(String),
    /// `\d [PATTERN]`, `\dt [PATTERN]`, `\di [PATTERN]`, `\dv [PATTERN]`: list or
    /// describe tables, indexes and views ([`super::describe`]).
    Describe(Describe),
}

/// Why a backslash line is not a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetaError {
    /// No such command: psql's wording, `invalid command \foo. Try \? for help.`
    Unknown(String),
    /// A command with arguments it does not take.
    BadArgument {
        /// The command as typed, without the backslash (`timing`, `s`, ...).
        command: String,
        /// What is wrong with the argument, and what the command expects.
        message: String,
    },
}

impl std::fmt::Display for MetaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetaError::Unknown(name) => write!(f, "invalid command \\{name}. Try \\? for help."),
            MetaError::BadArgument { command, message } => write!(f, "\\{command}: {message}"),
        }
    }
}

/// The longest session name accepted (PostgreSQL's identifier limit).
pub const MAX_SESSION_NAME: usize = 63;

/// Parses a line that starts with a backslash (leading white space allowed).
pub fn parse(line: &str) -> Result<Meta, MetaError> {
    let line = line.trim().trim_start_matches('\\');
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let bad = |message: &str| MetaError::BadArgument {
        command: name.to_string(),
        message: message.to_string(),
    };
    let no_argument = |meta: Meta| match rest {
        "" => Ok(meta),
        _ => Err(bad("takes no argument")),
    };
    match name {
        "q" | "quit" => no_argument(Meta::Quit),
        "?" | "h" | "help" => Ok(Meta::Help),
        "sessions" => no_argument(Meta::Sessions),
        "echo" => Ok(Meta::Echo(rest.to_string())),
        "d" | "dt" | "di" | "dv" => {
            let listing = match name {
                "d" => Listing::Relations,
                "dt" => Listing::Tables,
                "dv" => Listing::Views,
                _ => Listing::Indexes,
            };
            Describe::parse(listing, rest)
                .map(Meta::Describe)
                .map_err(|m| bad(&m))
        }
        "timing" => match rest.to_ascii_lowercase().as_str() {
            "" => Ok(Meta::Timing(None)),
            "on" => Ok(Meta::Timing(Some(true))),
            "off" => Ok(Meta::Timing(Some(false))),
            _ => Err(bad("expected on or off")),
        },
        "s" | "session" => match rest {
            "" => Ok(Meta::Session(None)),
            name if is_session_name(name) => Ok(Meta::Session(Some(name.to_string()))),
            _ => Err(bad(&format!(
                "invalid session name \"{rest}\": use letters, digits and _, \
                 at most {MAX_SESSION_NAME} characters"
            ))),
        },
        _ => Err(MetaError::Unknown(name.to_string())),
    }
}

fn is_session_name(name: &str) -> bool {
    name.len() <= MAX_SESSION_NAME && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// What `\?` prints.
pub const HELP: &str = r"isolde shell: SQL statements end with ';' and may span lines.

Sessions (each is its own connection, running on its own thread)
  \session NAME, \s NAME  switch to session NAME, creating it if needed
  \session, \s            print the current session's name
  \sessions               list sessions: isolation level, state, running statement

Describing (psql's; PATTERN is a name, with * and ? as wildcards)
  \d                      list tables and views
  \d PATTERN              describe each matching table (columns, indexes), index or view
  \dt [PATTERN]           list tables
  \di [PATTERN]           list indexes, primary keys included
  \dv [PATTERN]           list views
  Describes read the catalog in the session's transaction (its own uncommitted
  CREATE TABLE included) and leave that transaction as it was.

Other
  \timing [on|off]        toggle or set printing each statement's time
  \echo TEXT              print TEXT
  \? or \help             this help
  \q                      quit (Ctrl-D too; Ctrl-C clears a half-typed statement)

The prompt is SESSION:LEVEL then a mark: a:RC> idle, a:RR*> in a transaction,
a:RR!> in a failed transaction (only ROLLBACK is accepted), a:RC-> continues a
statement, b:RC(waiting)> when b's statement waits for a lock. LEVEL is RU, RC, RR
or SER: the open transaction's level, else the session's default.

Errors are printed as psql does, with the SQLSTATE at the end:
  ERROR:  could not serialize access due to concurrent update ... [40001]

A statement that waits for a row lock held by another session prints
  b: waiting for a lock held by session a
and the prompt returns, so that another session can release the lock; when the
statement finishes its result is printed, each line prefixed with 'b: '. A session
takes no new statement while one is waiting: switch sessions with \session.

Scripts (isolde shell -f FILE, -c TEXT, or standard input) are read the same way,
backslash commands included. After each line the shell waits until every running
statement has finished or is waiting for a lock, so output is deterministic. -f
echoes each line with its prompt (--echo / --no-echo change that). A script stops at
its first error with exit status 1 unless --continue is given; a statement still
waiting at the end of a script is reported and the exit status is 1.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(parse("\\q"), Ok(Meta::Quit));
        assert_eq!(parse("  \\timing ON "), Ok(Meta::Timing(Some(true))));
        assert_eq!(parse("\\timing"), Ok(Meta::Timing(None)));
        assert_eq!(parse("\\s b"), Ok(Meta::Session(Some("b".into()))));
        assert_eq!(parse("\\session"), Ok(Meta::Session(None)));
        assert_eq!(
            parse("\\echo  two  words"),
            Ok(Meta::Echo("two  words".into()))
        );
        assert_eq!(parse("\\?"), Ok(Meta::Help));
        let listing = |meta| match meta {
            Ok(Meta::Describe(d)) => Some((d.listing, d.pattern.map(|p| p.to_string()))),
            _ => None,
        };
        assert_eq!(listing(parse("\\d")), Some((Listing::Relations, None)));
        assert_eq!(
            listing(parse("\\dt  t*")),
            Some((Listing::Tables, Some("t*".into())))
        );
        assert_eq!(
            listing(parse("\\di \"T\"")),
            Some((Listing::Indexes, Some("\"T\"".into())))
        );
        assert_eq!(listing(parse("\\dv")), Some((Listing::Views, None)));
    }

    #[test]
    fn unknown_commands_get_psqls_message() {
        let err = parse("\\foo bar").unwrap_err();
        assert_eq!(err.to_string(), "invalid command \\foo. Try \\? for help.");
        assert_eq!(
            parse("\\").unwrap_err().to_string(),
            "invalid command \\. Try \\? for help."
        );
    }

    #[test]
    fn bad_arguments_are_refused_with_the_command_named() {
        assert!(parse("\\timing maybe").is_err());
        assert!(parse("\\q now").is_err());
        assert!(parse("\\dt a b").is_err());
        let err = parse("\\session a-b").unwrap_err().to_string();
        assert!(
            err.starts_with("\\session: invalid session name \"a-b\""),
            "{err}"
        );
    }
}
