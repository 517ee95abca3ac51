//! The fuzz oracle for the shell's command parser ([`crate::command::parse_line`]).
//!
//! [`shell_command`] takes one fuzz input; its first byte picks a mode:
//! - arbitrary text (lossily decoded as UTF-8), every line parsed: never a panic;
//! - a command generated from the input, rendered as a line the way a user would type it
//!   (random case for the command word, random blanks, quoted values with escapes for every
//!   byte that needs one): parsing it gives back exactly that command.
//!
//! It panics only when the parser breaks that contract. Threading: a pure function.

#![allow(
    clippy::panic,
    reason = "a fuzz oracle reports a broken contract by panicking"
)]

use std::fmt::Write as _;

use crate::command::{Command, parse_line};

/// A tiny cursor over the input: a byte at a time, zeros past the end.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, _| v << 8 | u64::from(self.byte()))
    }
}

/// A key token: 1..=12 printable, non-blank ASCII characters (the first is not `#`, which
/// would not matter for a key but keeps the line's meaning obvious).
fn key(input: &mut Bytes<'_>) -> String {
    let len = usize::from(input.byte() % 12) + 1;
    (0..len)
        .map(|_| char::from(b'!' + input.byte() % 94))
        .collect()
}

/// `value` as a double-quoted string with the parser's escapes.
fn quote(value: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in value {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02X}");
            }
        }
    }
    out.push('"');
    out
}

fn blanks(input: &mut Bytes<'_>) -> &'static str {
    [" ", "  ", "\t", " \t "][usize::from(input.byte() % 4)]
}

/// The command word in a random mix of cases.
fn word(input: &mut Bytes<'_>, word: &str) -> String {
    let mask = input.byte();
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 8) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// A command and a line a user could type for it.
fn generated(input: &mut Bytes<'_>) -> (Command, String) {
    let choice = input.byte() % 15;
    let sep = blanks(input);
    let simple = [
        ("dump", Command::Dump),
        ("flush", Command::Flush),
        ("full_compaction", Command::FullCompaction),
        ("sync", Command::Sync),
        ("stats", Command::Stats),
        ("help", Command::Help),
        ("begin", Command::Begin),
        ("commit", Command::Commit),
        ("rollback", Command::Rollback),
        ("quit", Command::Quit),
    ];
    match choice {
        0 => {
            let (a, b) = (input.u64(), input.u64());
            let (begin, end) = (a.min(b), a.max(b));
            let line = format!("{}{sep}{begin}{sep}{end}", word(input, "fill"));
            (Command::Fill { begin, end }, line)
        }
        1 => {
            let key = key(input);
            let len = usize::from(input.byte() % 48);
            let value: Vec<u8> = (0..len).map(|_| input.byte()).collect();
            let line = format!("{}{sep}{key}{sep}{}", word(input, "put"), quote(&value));
            (Command::Put { key, value }, line)
        }
        2 => {
            let key = key(input);
            let line = format!("{}{sep}{key}", word(input, "del"));
            (Command::Del { key }, line)
        }
        3 => {
            let key = key(input);
            let line = format!("{}{sep}{key}", word(input, "get"));
            (Command::Get { key }, line)
        }
        4 => {
            let (b, e) = (key(input), key(input));
            let line = format!("{}{sep}{b}{sep}{e}", word(input, "scan"));
            (
                Command::Scan {
                    bounds: Some((b, e)),
                },
                line,
            )
        }
        _ => {
            let (text, command) = simple[usize::from(choice - 5)].clone();
            (command, word(input, text))
        }
    }
}

/// Fuzz oracle for the shell's command parser (modes in the module doc).
pub fn shell_command(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        for line in String::from_utf8_lossy(rest).lines() {
            let _ = parse_line(line);
        }
        return;
    }
    let mut input = Bytes(rest);
    while !input.0.is_empty() {
        let (command, line) = generated(&mut input);
        let padded = format!("{}{line}{}", blanks(&mut input), blanks(&mut input));
        match parse_line(&padded) {
            Ok(Some(parsed)) => assert_eq!(parsed, command, "line {padded:?} parsed wrongly"),
            other => panic!("line {padded:?} for {command:?} parsed as {other:?}"),
        }
    }
}
