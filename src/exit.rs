//! How a run ends: the monitoring-plugin exit codes (0 ok, 1 warning, 2 critical, 3 unknown or
//! an error that prevents a verdict) and the one way errors and notes reach standard error.

use std::io::{self, Write};
use std::process::ExitCode;

/// Exit code for errors that prevent a verdict.
pub const UNKNOWN: u8 = 3;

/// Longest line [`say`] writes, in characters: a publisher's name or fault can be megabytes
/// long (docs/security.md, "Untrusted names and text").
pub const MAX_LINE_CHARS: usize = 4096;

/// Writes one line to standard error, ignoring a closed pipe: `eprintln!` panics there, and
/// nothing about the output may stop a run before its restore. Publisher text (fault strings,
/// error bodies, file names) reaches it escaped and cut to [`MAX_LINE_CHARS`].
pub fn say(line: &str) {
    let _ = writeln!(io::stderr(), "{}", shown(line));
}

/// `text` as it may reach a terminal: cut to [`MAX_LINE_CHARS`] (its start and its end, where
/// the advice is, kept), then with control characters escaped.
pub fn shown(text: &str) -> String {
    crate::untrusted::clean(&cut(text, MAX_LINE_CHARS))
}

/// At most `max` characters: the first half and the last quarter, the middle replaced by a
/// note of how much was left out.
fn cut(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max / 2).collect();
    let tail: String = text.chars().skip(count.saturating_sub(max / 4)).collect();
    let left_out = text.len().saturating_sub(head.len()).saturating_sub(tail.len());
    format!("{head} … ({left_out} bytes left out) … {tail}")
}

/// An error with its context and causes, each said once: a cause whose text the message
/// already holds is left out (the library's messages say their cause before the advice, so
/// `{e:#}` printed it twice).
pub fn chain_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

/// The exit of a command: its verdict's code, or the error printed with its context and 3.
pub fn finish(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            say(&format!("ils-doctor: error: {}", chain_text(&e)));
            ExitCode::from(UNKNOWN)
        }
    }
}

/// The exit of a command line clap rejected (3), or of `--help` and `--version` (0).
pub fn parse_failed(e: &clap::Error) -> ExitCode {
    let code = if e.use_stderr() { UNKNOWN } else { 0 };
    let _ = e.print();
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_the_message_already_says_is_not_repeated() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot open /x: {source}; move it away")]
        struct Open {
            source: std::io::Error,
        }
        let e = anyhow::Error::new(Open { source: std::io::Error::other("not a database") }).context("history");
        assert_eq!(chain_text(&e), "history: cannot open /x: not a database; move it away");
        let e = anyhow::Error::new(std::io::Error::other("refused")).context("ssh connect").context("check");
        assert_eq!(chain_text(&e), "check: ssh connect: refused", "causes not in the message are kept");
    }

    #[test]
    fn long_text_is_cut_keeping_its_start_and_its_advice() {
        let name = "n".repeat(10_000_000);
        let line = format!("ils-doctor: error: {name}: refused; run `ils-doctor restore`");
        let out = shown(&line);
        assert!(out.chars().count() <= MAX_LINE_CHARS + 64, "{}", out.len());
        assert!(out.starts_with("ils-doctor: error: nnn") && out.ends_with("run `ils-doctor restore`"), "{out}");
        assert!(out.contains("bytes left out"));
        assert_eq!(shown("short \u{1b}[2J"), "short \\x1b[2J");
    }
}
