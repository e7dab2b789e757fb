//! The prompt: which session statements go to, its isolation level, and the state of
//! its transaction, like psql's `db=*>` but with the session in front.
//!
//! | prompt | meaning |
//! |---|---|
//! | `a:RC> ` | session `a`, no transaction open, new ones at READ COMMITTED |
//! | `a:RR*> ` | a transaction is open, at REPEATABLE READ |
//! | `a:RR!> ` | the open transaction failed: only ROLLBACK is accepted |
//! | `a:RC-> ` | continuation line of an unfinished statement |
//! | `b:RC(waiting)> ` | b's statement waits for a lock; b takes no new statement |

use crate::sessions::Status;

/// What the prompt shows besides the session's own status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// A new statement starts here.
    First,
    /// The statement typed so far has no `;` yet.
    Continuation,
}

/// The prompt for a session in `status`.
pub fn render(status: &Status, line: Line, waiting: bool) -> String {
    let mark = match (status.failed, status.in_transaction) {
        (true, _) => "!",
        (false, true) => "*",
        (false, false) => "",
    };
    let end = match (waiting, line) {
        (true, _) => "(waiting)>",
        (false, Line::First) => ">",
        (false, Line::Continuation) => "->",
    };
    format!("{}:{}{mark}{end} ", status.name, status.level.short_name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IsolationLevel;

    fn status(in_transaction: bool, failed: bool) -> Status {
        Status {
            name: "a".into(),
            level: IsolationLevel::RepeatableRead,
            in_transaction,
            failed,
            running: None,
        }
    }

    #[test]
    fn the_prompt_marks_open_and_failed_transactions() {
        assert_eq!(render(&status(false, false), Line::First, false), "a:RR> ");
        assert_eq!(render(&status(true, false), Line::First, false), "a:RR*> ");
        assert_eq!(render(&status(true, true), Line::First, false), "a:RR!> ");
        assert_eq!(
            render(&status(true, false), Line::Continuation, false),
            "a:RR*-> "
        );
        assert_eq!(
            render(&status(true, false), Line::First, true),
            "a:RR*(waiting)> "
        );
    }
}
