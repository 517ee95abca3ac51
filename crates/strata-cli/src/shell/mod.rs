//! `strata shell`: the course's interactive LSM shell (SPEC §9.1).
//!
//! One thread. A terminal on stdin gets a banner (on stderr), the prompt `strata> ` and line
//! history (rustyline, kept in `~/.strata_history` when `HOME` is set); piped stdin gets neither,
//! so stdout carries result lines only. Every bad line or engine error prints `error: …` on
//! stderr and the loop goes on. At `quit`/`close` or end of input the database is closed; the
//! exit status is 1 if any command failed (or the close did), else 0 — except that `quit` exits 0
//! as the spec's table says, unless closing fails.

pub use strata_cli::command;
pub mod render;
pub mod session;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use rustyline::error::ReadlineError;

use crate::options::ShellArgs;
use command::parse_line;
use session::{Flow, Session};

/// The interactive prompt.
pub const PROMPT: &str = "strata> ";

/// How the input ended.
enum End {
    /// End of input (or a fatal input error).
    Eof,
    /// `quit` / `close`.
    Quit,
}

/// Runs the shell to completion.
///
/// # Errors
/// Opening the database failed (nothing was read from stdin).
pub fn run(args: &ShellArgs) -> Result<ExitCode> {
    let db = crate::open::open_db(
        &args.path,
        args.options(),
        crate::open::Mode::CreateIfMissing,
    )?;
    let mut session = Session::new(db);
    let mut failed = false;
    let end = if std::io::stdin().is_terminal() {
        eprintln!("{}", render::banner(&args.path));
        interactive(&mut session, &mut failed)
    } else {
        piped(&mut session, &mut failed)
    };
    if let Err(error) = session.close() {
        eprintln!("error: {error:#}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(match end {
        End::Quit => ExitCode::SUCCESS,
        End::Eof if failed => ExitCode::FAILURE,
        End::Eof => ExitCode::SUCCESS,
    })
}

/// Parses and runs one line; prints its error on stderr. `None` means "stop reading".
fn handle_line(session: &mut Session, line: &str, failed: &mut bool) -> Option<End> {
    let command = match parse_line(line) {
        Ok(Some(command)) => command,
        Ok(None) => return None,
        Err(error) => {
            eprintln!("error: {error}");
            *failed = true;
            return None;
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = session.execute(&command, &mut out);
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(Flow::Quit), _) => Some(End::Quit),
        (Ok(Flow::Continue), Ok(())) => None,
        (Err(error), _) if is_broken_pipe(&error) => {
            *failed = true;
            Some(End::Eof)
        }
        (_, Err(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            *failed = true;
            Some(End::Eof)
        }
        (Err(error), _) => {
            eprintln!("error: {error:#}");
            *failed = true;
            None
        }
        (Ok(Flow::Continue), Err(error)) => {
            eprintln!("error: writing the result: {error}");
            *failed = true;
            None
        }
    }
}

/// Nobody reads stdout any more: stop instead of printing an error per line.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Reads commands from a non-terminal stdin, line by line (LF or CRLF).
fn piped(session: &mut Session, failed: &mut bool) -> End {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match input.read_until(b'\n', &mut buffer) {
            Ok(0) => return End::Eof,
            Ok(_) => {}
            Err(error) => {
                eprintln!("error: reading stdin: {error}");
                *failed = true;
                return End::Eof;
            }
        }
        let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(line) = std::str::from_utf8(line) else {
            eprintln!("error: line is not valid UTF-8 (use \\xNN escapes in a quoted value)");
            *failed = true;
            continue;
        };
        if let Some(end) = handle_line(session, line, failed) {
            return end;
        }
    }
}

fn history_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".strata_history"))
}

/// Reads commands from a terminal with a prompt and history.
fn interactive(session: &mut Session, failed: &mut bool) -> End {
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(editor) => editor,
        Err(error) => {
            eprintln!("warning: no line editing ({error}); reading plain lines");
            return piped(session, failed);
        }
    };
    let history = history_file();
    if let Some(path) = &history {
        // A missing history file is normal on first use.
        let _ = editor.load_history(path);
    }
    let end = loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if let Some(end) = handle_line(session, &line, failed) {
                    break end;
                }
            }
            // Ctrl-C abandons the line being typed, as in other shells.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break End::Eof,
            Err(error) => {
                eprintln!("error: reading the terminal: {error}");
                *failed = true;
                break End::Eof;
            }
        }
    };
    if let Some(path) = &history
        && let Err(error) = editor.save_history(path)
    {
        eprintln!(
            "warning: could not save history to {}: {error}",
            path.display()
        );
    }
    end
}
