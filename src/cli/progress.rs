//! Progress bars for long operations, drawn on standard error only when a person is
//! watching: both standard output and standard error must be terminals. Otherwise the
//! bars are hidden and cost next to nothing, so scripts and logs see no escape codes.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar (known total) or spinner (unknown duration), cleared when finished or dropped.
pub(crate) struct Progress(ProgressBar);

/// Whether progress should be drawn.
pub(crate) fn interactive() -> bool {
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

impl Progress {
    /// A bar counting `what` up to `total`.
    pub(crate) fn bar(total: u64, message: &str, what: &str) -> Progress {
        let bar = if interactive() {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden()
        };
        let template =
            format!("{{msg}} [{{bar:40}}] {{human_pos}}/{{human_len}} {what} ({{eta}} left)");
        bar.set_style(style(&template, ProgressStyle::default_bar));
        bar.set_message(message.to_string());
        Progress(bar)
    }

    /// A spinner for one step whose length is unknown.
    pub(crate) fn spinner(message: &str) -> Progress {
        if !interactive() {
            return Progress(ProgressBar::hidden());
        }
        let spinner = ProgressBar::new_spinner();
        spinner.set_style(style(
            "{spinner} {msg} ({elapsed})",
            ProgressStyle::default_spinner,
        ));
        spinner.set_message(message.to_string());
        spinner.enable_steady_tick(Duration::from_millis(100));
        Progress(spinner)
    }

    /// Sets how far the bar has come.
    pub(crate) fn set(&self, position: u64) {
        self.0.set_position(position);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

fn style(template: &str, fallback: fn() -> ProgressStyle) -> ProgressStyle {
    // The templates are constants; a typo shows as the plain default style, not a panic.
    ProgressStyle::with_template(template).map_or_else(|_| fallback(), |s| s.progress_chars("=> "))
}
