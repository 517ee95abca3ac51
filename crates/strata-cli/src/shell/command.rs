//! The shell's command language: one line in, one [`Command`] (or a [`ParseError`]) out.
//!
//! [`parse_line`] is a pure function — no database, no I/O — so the whole grammar is unit-tested
//! here. Grammar (SPEC §9.1):
//! - one command per line; the command word is case-insensitive; keys are whitespace-free tokens
//!   taken verbatim (case kept); extra tokens after a command's arguments are ignored;
//! - blank lines and lines whose first non-blank character is `#` are skipped (`Ok(None)`);
//! - `put K V`: `V` is a token or a double-quoted string (`""` = the empty value) with the
//!   escapes `\\ \" \n \r \t \0 \xNN`, so any byte string can be written.

use std::fmt;

/// One parsed shell command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `fill B E`: put decimal `i` → `value{i}@{epoch}` for every `i` in `B..=E` (`B <= E`).
    Fill {
        /// First number written.
        begin: u64,
        /// Last number written (inclusive).
        end: u64,
    },
    /// `put K V`: write one pair.
    Put {
        /// The key token.
        key: String,
        /// The value's bytes (quoted strings are unescaped).
        value: Vec<u8>,
    },
    /// `del K`: delete one key.
    Del {
        /// The key token.
        key: String,
    },
    /// `get K`: read one key.
    Get {
        /// The key token.
        key: String,
    },
    /// `scan` (everything) or `scan B E` (`B..=E`, bytewise). `scan B` alone scans everything.
    Scan {
        /// Inclusive `(begin, end)` bounds, or `None` for the whole key space.
        bounds: Option<(String, String)>,
    },
    /// `dump`: print the tree's shape.
    Dump,
    /// `flush`: write every memtable to L0.
    Flush,
    /// `full_compaction`: compact the whole tree.
    FullCompaction,
    /// `sync`: make every acknowledged write durable.
    Sync,
    /// `stats`: print the engine's counters.
    Stats,
    /// `help`: list the commands.
    Help,
    /// `begin`: start a transaction.
    Begin,
    /// `commit`: commit the open transaction.
    Commit,
    /// `rollback`: discard the open transaction.
    Rollback,
    /// `quit` / `close`: close the database and leave.
    Quit,
}

/// Why a line is not a valid command; shown to the user as `error: {message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(message.into()))
}

/// The command words with their argument synopsis and a one-line description, in help order.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "fill B E",
        "put i -> value{i}@{epoch} for each integer i in B..=E",
    ),
    (
        "put K V",
        "write one pair (V: a token or a \"quoted string\"; \"\" = empty value)",
    ),
    ("get K", "read one key"),
    ("del K", "delete one key"),
    (
        "scan [B E]",
        "list every pair, or those with B <= key <= E (bytewise)",
    ),
    ("dump", "show the files of each level"),
    ("flush", "write the memtables to L0"),
    ("full_compaction", "compact the whole tree"),
    ("sync", "make every acknowledged write durable"),
    (
        "stats",
        "show the engine's counters: tree, compactions, caches, gets",
    ),
    ("begin", "start a transaction: get/put/del/fill then use it"),
    (
        "commit / rollback",
        "end the transaction, keeping or discarding its writes",
    ),
    ("help", "this list"),
    ("quit / close", "close the database and exit"),
];

/// A cursor over the rest of a line.
struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    /// The next whitespace-delimited token, if any.
    fn next_token(&mut self) -> Option<&'a str> {
        let trimmed = self.rest.trim_start();
        if trimmed.is_empty() {
            self.rest = trimmed;
            return None;
        }
        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (token, rest) = trimmed.split_at(end);
        self.rest = rest;
        Some(token)
    }

    /// The next value: a double-quoted string (unescaped) or a plain token (verbatim).
    fn next_value(&mut self) -> Result<Option<Vec<u8>>, ParseError> {
        let trimmed = self.rest.trim_start();
        match trimmed.strip_prefix('"') {
            Some(quoted) => {
                let (value, rest) = unquote(quoted)?;
                self.rest = rest;
                Ok(Some(value))
            }
            None => {
                self.rest = trimmed;
                Ok(self.next_token().map(|t| t.as_bytes().to_vec()))
            }
        }
    }
}

/// Unescapes a quoted string whose opening quote is already consumed; returns the bytes and the
/// text after the closing quote.
fn unquote(text: &str) -> Result<(Vec<u8>, &str), ParseError> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &text[at + 1..])),
            '\\' => {
                let Some((_, escaped)) = chars.next() else {
                    break;
                };
                match escaped {
                    '\\' => out.push(b'\\'),
                    '"' => out.push(b'"'),
                    'n' => out.push(b'\n'),
                    'r' => out.push(b'\r'),
                    't' => out.push(b'\t'),
                    '0' => out.push(0),
                    'x' => {
                        let hi = chars.next().and_then(|(_, h)| h.to_digit(16));
                        let lo = chars.next().and_then(|(_, l)| l.to_digit(16));
                        match (hi, lo) {
                            // Two hex digits make at most 0xFF, so the cast is lossless.
                            (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                            _ => {
                                return err("bad escape in quoted value: \\x needs two hex digits");
                            }
                        }
                    }
                    other => return err(format!("unknown escape \\{other} in quoted value")),
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    err("unterminated quoted value (missing closing \")")
}

fn required<'a>(tokens: &mut Tokens<'a>, usage: &str) -> Result<&'a str, ParseError> {
    match tokens.next_token() {
        Some(token) => Ok(token),
        None => err(format!("usage: {usage}")),
    }
}

fn number(token: &str, what: &str) -> Result<u64, ParseError> {
    token.parse::<u64>().or_else(|_| {
        err(format!(
            "fill: {what} must be an unsigned integer, got {token:?}"
        ))
    })
}

/// Parses one line. `Ok(None)` for blank lines and `#` comments.
///
/// # Errors
/// A [`ParseError`] naming the problem: unknown command word, missing or malformed argument,
/// `fill` with `B > E`, a bad quoted value.
pub fn parse_line(line: &str) -> Result<Option<Command>, ParseError> {
    let mut tokens = Tokens { rest: line };
    let Some(word) = tokens.next_token() else {
        return Ok(None);
    };
    if word.starts_with('#') {
        return Ok(None);
    }
    let command = match word.to_ascii_lowercase().as_str() {
        "fill" => {
            let begin = number(required(&mut tokens, "fill BEGIN END")?, "BEGIN")?;
            let end = number(required(&mut tokens, "fill BEGIN END")?, "END")?;
            if begin > end {
                return err(format!(
                    "fill: BEGIN ({begin}) must not be greater than END ({end})"
                ));
            }
            Command::Fill { begin, end }
        }
        "put" => {
            let key = required(&mut tokens, "put KEY VALUE")?.to_string();
            let Some(value) = tokens.next_value()? else {
                return err("usage: put KEY VALUE");
            };
            Command::Put { key, value }
        }
        "del" => Command::Del {
            key: required(&mut tokens, "del KEY")?.to_string(),
        },
        "get" => Command::Get {
            key: required(&mut tokens, "get KEY")?.to_string(),
        },
        "scan" => {
            // `scan B` alone scans everything, as the course's parser does.
            let bounds = match (tokens.next_token(), tokens.next_token()) {
                (Some(begin), Some(end)) => Some((begin.to_string(), end.to_string())),
                _ => None,
            };
            Command::Scan { bounds }
        }
        "dump" => Command::Dump,
        "flush" => Command::Flush,
        "full_compaction" => Command::FullCompaction,
        "sync" => Command::Sync,
        "stats" => Command::Stats,
        "help" => Command::Help,
        "begin" => Command::Begin,
        "commit" => Command::Commit,
        "rollback" => Command::Rollback,
        "quit" | "close" => Command::Quit,
        _ => {
            return err(format!(
                "unknown command {word:?} (type `help` for the list)"
            ));
        }
    };
    Ok(Some(command))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Command {
        parse_line(line).unwrap().unwrap()
    }

    fn parse_err(line: &str) -> String {
        parse_line(line).unwrap_err().0
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        for line in ["", "   ", "\t", "# comment", "   #get 1", "#"] {
            assert_eq!(parse_line(line).unwrap(), None, "{line:?}");
        }
    }

    #[test]
    fn command_words_are_case_insensitive_and_keys_keep_case() {
        assert_eq!(parse("GET Key"), Command::Get { key: "Key".into() });
        assert_eq!(parse("Del aBc"), Command::Del { key: "aBc".into() });
        assert_eq!(parse("FULL_COMPACTION"), Command::FullCompaction);
        assert_eq!(parse("  DuMp  "), Command::Dump);
        assert_eq!(parse("Quit"), Command::Quit);
        assert_eq!(parse("close"), Command::Quit);
    }

    #[test]
    fn every_simple_word_parses() {
        let cases = [
            ("dump", Command::Dump),
            ("flush", Command::Flush),
            ("full_compaction", Command::FullCompaction),
            ("sync", Command::Sync),
            ("stats", Command::Stats),
            ("help", Command::Help),
            ("begin", Command::Begin),
            ("commit", Command::Commit),
            ("rollback", Command::Rollback),
        ];
        for (line, expected) in cases {
            assert_eq!(parse(line), expected);
        }
    }

    #[test]
    fn fill_takes_two_ordered_u64() {
        assert_eq!(
            parse("fill 1000 3000"),
            Command::Fill {
                begin: 1000,
                end: 3000
            }
        );
        assert_eq!(parse("fill 7 7"), Command::Fill { begin: 7, end: 7 });
        assert_eq!(
            parse("fill 0 18446744073709551615"),
            Command::Fill {
                begin: 0,
                end: u64::MAX
            }
        );
        assert!(parse_err("fill 5 1").contains("must not be greater"));
        assert!(parse_err("fill 1").starts_with("usage: fill"));
        assert!(parse_err("fill").starts_with("usage: fill"));
        assert!(parse_err("fill a 2").contains("BEGIN must be an unsigned integer"));
        assert!(parse_err("fill 1 -2").contains("END must be an unsigned integer"));
        assert!(parse_err("fill 1 18446744073709551616").contains("END"));
    }

    #[test]
    fn extra_tokens_are_ignored() {
        assert_eq!(parse("get a b c"), Command::Get { key: "a".into() });
        assert_eq!(parse("fill 1 2 3"), Command::Fill { begin: 1, end: 2 });
        assert_eq!(parse("flush now"), Command::Flush);
        assert_eq!(
            parse("scan a b c"),
            Command::Scan {
                bounds: Some(("a".into(), "b".into()))
            }
        );
        assert_eq!(
            parse("put k v extra"),
            Command::Put {
                key: "k".into(),
                value: b"v".to_vec()
            }
        );
    }

    #[test]
    fn scan_has_no_or_two_bounds() {
        assert_eq!(parse("scan"), Command::Scan { bounds: None });
        assert_eq!(parse("scan 1"), Command::Scan { bounds: None });
        assert_eq!(
            parse("scan 10 9"),
            Command::Scan {
                bounds: Some(("10".into(), "9".into()))
            }
        );
    }

    #[test]
    fn put_values_plain_and_quoted() {
        let put = |k: &str, v: &[u8]| Command::Put {
            key: k.into(),
            value: v.to_vec(),
        };
        assert_eq!(parse("put k v"), put("k", b"v"));
        assert_eq!(parse("put k \"\""), put("k", b""));
        assert_eq!(parse("put k \"hello world\""), put("k", b"hello world"));
        assert_eq!(parse(r#"put k "a\"b\\c""#), put("k", b"a\"b\\c"));
        assert_eq!(
            parse(r#"put k "\n\r\t\0\x7f\xFF""#),
            put("k", b"\n\r\t\0\x7f\xff")
        );
        assert_eq!(parse("put k \"é\""), put("k", "é".as_bytes()));
        assert_eq!(parse("put k \"x\" ignored"), put("k", b"x"));
        // A quote inside a plain token is just a byte.
        assert_eq!(parse("put k a\"b"), put("k", b"a\"b"));
    }

    #[test]
    fn put_errors() {
        assert!(parse_err("put").starts_with("usage: put"));
        assert!(parse_err("put k").starts_with("usage: put"));
        assert!(parse_err("put k \"open").contains("unterminated"));
        assert!(parse_err("put k \"a\\").contains("unterminated"));
        assert!(parse_err(r#"put k "\q""#).contains("unknown escape"));
        assert!(parse_err(r#"put k "\x4""#).contains("two hex digits"));
        assert!(parse_err(r#"put k "\xzz""#).contains("two hex digits"));
    }

    #[test]
    fn missing_keys_and_unknown_words_are_errors() {
        assert!(parse_err("get").starts_with("usage: get"));
        assert!(parse_err("del").starts_with("usage: del"));
        assert!(parse_err("frobnicate 1").contains("unknown command \"frobnicate\""));
        assert!(parse_err("exit").contains("unknown command"));
    }

    #[test]
    fn help_lists_every_command_word() {
        let words: Vec<&str> = COMMANDS.iter().map(|(synopsis, _)| *synopsis).collect();
        for word in [
            "fill",
            "put",
            "get",
            "del",
            "scan",
            "dump",
            "flush",
            "full_compaction",
        ] {
            assert!(words.iter().any(|w| w.starts_with(word)), "{word}");
        }
    }
}
