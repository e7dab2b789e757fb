//! The interactive shell: rustyline for line editing and history, and a watcher thread
//! that prints results of waiting statements the moment they finish.
//!
//! The [`Shell`] sits behind a mutex. The main thread takes it to run a line and to
//! draw the prompt, and lets go of it while the user types. The watcher takes it a few
//! times a second to collect finished statements and prints them with rustyline's
//! external printer, which redraws the prompt and the half-typed line below them. The
//! watcher prints after letting go of the shell: the printer may have to wait for the
//! editor, and the editor must never wait for the shell. Where there is no external
//! printer (output not a terminal), finished statements are printed before the next
//! prompt instead.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use parking_lot::Mutex;
use rustyline::error::ReadlineError;
use rustyline::{Config, DefaultEditor, ExternalPrinter};

use super::dispatch::{Flow, Shell};
use super::output::Output;

/// How often the watcher looks for finished statements.
const WATCH_INTERVAL: Duration = Duration::from_millis(50);

/// The environment variable naming the history file; empty turns history off.
pub const HISTORY_ENV: &str = "ISOLDE_HISTORY";

/// The history file: `$ISOLDE_HISTORY`, else `~/.isolde_history`.
pub fn history_path() -> Option<PathBuf> {
    match std::env::var_os(HISTORY_ENV) {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)),
        None => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".isolde_history")),
    }
}

/// Reads and runs lines until `\q` or end of input. `banner` is printed first.
pub fn run(shell: Shell, banner: &str) -> Result<(), ReadlineError> {
    let config = Config::builder().auto_add_history(false).build();
    let mut editor = DefaultEditor::with_config(config)?;
    let history = history_path();
    if let Some(path) = &history {
        // A missing or unreadable history file only means no history.
        let _ = editor.load_history(path);
    }
    let shell = Arc::new(Mutex::new(shell));
    let watcher = editor
        .create_external_printer()
        .ok()
        .map(|printer| Watcher::start(shell.clone(), printer));
    println!("{banner}");
    let result = read_loop(&mut editor, &shell);
    if let Some(watcher) = watcher {
        watcher.stop();
    }
    if let Some(path) = &history {
        // Like psql, never fail (or complain) because the history cannot be written.
        let _ = editor.save_history(path);
    }
    result
}

fn read_loop(editor: &mut DefaultEditor, shell: &Mutex<Shell>) -> Result<(), ReadlineError> {
    loop {
        let prompt = {
            let mut shell = shell.lock();
            let mut out = Output::default();
            shell.take_completions(&mut out);
            out.print()?;
            shell.prompt()
        };
        match editor.readline(&prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let mut shell = shell.lock();
                let mut out = Output::default();
                let flow = shell.feed_line(&line, &mut out);
                out.print()?;
                if flow == Flow::Quit {
                    return Ok(());
                }
            }
            // psql: Ctrl-C forgets the half-typed statement and keeps the shell.
            Err(ReadlineError::Interrupted) => shell.lock().clear_input(),
            Err(ReadlineError::Eof) => {
                println!();
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}

/// The thread that prints finished statements while the user is at the prompt.
struct Watcher {
    stop: Arc<AtomicBool>,
}

impl Watcher {
    fn start(shell: Arc<Mutex<Shell>>, mut printer: impl ExternalPrinter + Send + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        // Never joined: it may sit in `print` until an editor that is gone reads the
        // message. The flag ends it otherwise, and the process's exit in any case.
        thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                thread::sleep(WATCH_INTERVAL);
                let mut out = Output::default();
                shell.lock().take_completions(&mut out);
                if !out.is_empty() && printer.print(out.into_text()).is_err() {
                    return;
                }
            }
        });
        Watcher { stop }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
