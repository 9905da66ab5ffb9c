//! The `admin:` CLI dialog, sans I/O: bytes from the SSH channel in, events out.
//!
//! What the CUCM CLI does (docs/cucm-notes.md#cli-dialog, from Cisco's unicon `vos` plugin): the prompt
//! is `admin:`, possibly after CR/LF or an ANSI erase-line `ESC[K`; the pager asks
//! `Press <enter> for 1 line, <space> for one page, or <q> to quit` (bold) until
//! `set cli pagination off`; long views ask `options: q=quit, n=next, ... :`; some commands ask
//! `Continue (y/n)?`; `set cert import trust` asks for the certificate to be pasted
//! (docs/cucm-notes.md#cert-import). Output carries ANSI codes and backspaces, which are removed
//! here. The caller answers pagers (space / `n`), and refuses confirmations except for the one
//! change the user approved (`ssh::Answers`).

use regex::Regex;
use std::sync::LazyLock;

/// What the CLI is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The `admin:` prompt: the text before it is the previous command's output (cleaned).
    Prompt(String),
    /// The one-page pager: answer with a space.
    Pager,
    /// The line-view pager (`options: q=quit, n=next ...`): answer `n`.
    ViewPager,
    /// A yes/no question: answered `n` unless the command is a change the user approved.
    Confirm(String),
    /// `set cert import trust ...` waits for the certificate to be pasted
    /// (docs/cucm-notes.md#cert-import) [3P].
    Paste,
}

static PROMPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\n)admin:[ \t]*$").unwrap_or_else(|_| unreachable!()));
static CONFIRM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\((?:y/n|yes/no|yes\|no)\)\??[ \t]*:?[ \t]*$").unwrap_or_else(|_| unreachable!()));
const PAGER: &str = "Press <enter> for 1 line, <space> for one page, or <q> to quit";
const VIEW_PAGER: &str = "options: q=quit, n=next";
/// What the CLI prints before it reads a pasted certificate [3P: public automation waits for it].
const PASTE: &str = "Paste the Certificate and Hit Enter";

/// Output beyond this is dropped (a command that never stops printing).
pub const MAX_OUTPUT: usize = 16 << 20;

/// Accumulates cleaned CLI text and reports when it waits for input.
#[derive(Debug, Default)]
pub struct Dialog {
    text: String,
    /// Unfinished escape sequence or UTF-8 bytes carried to the next feed.
    pending: Vec<u8>,
    /// A CR was seen: a following LF ends the line, anything else overwrites it (the CLI erases
    /// its pager prompt with `\r   \r`).
    after_cr: bool,
    truncated: bool,
}

impl Dialog {
    pub fn new() -> Dialog {
        Dialog::default()
    }

    /// Adds bytes from the channel; returns what the CLI now waits for, if anything.
    pub fn feed(&mut self, bytes: &[u8]) -> Option<Event> {
        self.pending.extend_from_slice(bytes);
        let (clean, rest) = clean(&self.pending);
        self.pending = rest;
        for c in clean.chars() {
            if std::mem::take(&mut self.after_cr) && c != '\n' && c != '\r' {
                let line_start = self.text.rfind('\n').map_or(0, |i| i.saturating_add(1));
                self.text.truncate(line_start);
            }
            match c {
                '\u{8}' => {
                    self.text.pop();
                }
                '\r' => self.after_cr = true,
                c if self.text.len() < MAX_OUTPUT => self.text.push(c),
                _ => self.truncated = true,
            }
        }
        self.waiting()
    }

    /// Whether the output was cut at [`MAX_OUTPUT`].
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    fn waiting(&mut self) -> Option<Event> {
        let tail_start = self.text.len().saturating_sub(300);
        let tail_start =
            (tail_start..self.text.len()).find(|&i| self.text.is_char_boundary(i)).unwrap_or(self.text.len());
        let tail = &self.text[tail_start..];
        if let Some(m) = PROMPT.find(tail) {
            let out_end = tail_start.saturating_add(m.start());
            let output = self.text[..out_end].to_string();
            self.text.clear();
            return Some(Event::Prompt(output));
        }
        let last_line = tail.rsplit('\n').next().unwrap_or("");
        if last_line.contains(PAGER) {
            // The last line is a suffix of the text.
            let keep = self.text.len().saturating_sub(last_line.len());
            self.text.truncate(keep);
            return Some(Event::Pager);
        }
        if last_line.trim_start().starts_with(VIEW_PAGER) && last_line.trim_end().ends_with(':') {
            let keep = self.text.len().saturating_sub(last_line.len());
            self.text.truncate(keep);
            return Some(Event::ViewPager);
        }
        if let Some(at) = tail.find(PASTE) {
            // Said once: the text from the request on is dropped, so the pasted lines the CLI
            // echoes next do not ask again.
            self.text.truncate(tail_start.saturating_add(at));
            return Some(Event::Paste);
        }
        if CONFIRM.is_match(last_line) {
            let q = last_line.trim().to_string();
            return Some(Event::Confirm(q));
        }
        None
    }
}

/// Removes ANSI escape sequences (CSI and two-byte ESC sequences) and other control bytes but
/// CR, LF, TAB and backspace; returns the clean text and the unfinished tail to keep.
fn clean(bytes: &[u8]) -> (String, Vec<u8>) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&b, after)) = rest.split_first() {
        if b == 0x1b {
            match after.split_first() {
                None => break,
                Some((b'[', params)) => {
                    // CSI: parameters and intermediates, then a final byte 0x40..=0x7e.
                    match params.iter().position(|&c| (0x40..=0x7e).contains(&c)) {
                        Some(p) => rest = params.get(p..).and_then(|f| f.get(1..)).unwrap_or_default(),
                        None if rest.len() > 32 => rest = params, // not a real sequence
                        None => break,
                    }
                }
                Some((_, after)) => rest = after,
            }
            continue;
        }
        rest = after;
        if b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x08) || b == 0x7f {
            continue;
        }
        out.push(b);
    }
    let rest = rest.to_vec();
    // Keep an unfinished UTF-8 sequence for the next feed.
    let valid = match std::str::from_utf8(&out) {
        Ok(_) => out.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => out.len(),
    };
    let mut tail = out.split_off(valid);
    tail.extend_from_slice(&rest);
    (String::from_utf8_lossy(&out).into_owned(), tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(d: &mut Dialog, chunks: &[&[u8]]) -> Vec<Event> {
        chunks.iter().filter_map(|c| d.feed(c)).collect()
    }

    #[test]
    fn login_banner_then_prompt_with_erase_line() {
        let mut d = Dialog::new();
        let ev = feed_all(&mut d, &[b"Command Line Interface is starting up, please wait ...\r\n\r\n   Welcome to the Platform Command Line Interface\r\n\r\nVMware Installation:\r\n", b"\x1b[Kadm", b"in: "]);
        assert!(matches!(&ev[..], [Event::Prompt(banner)] if banner.contains("Welcome")), "{ev:?}");
    }

    #[test]
    fn command_output_pager_and_backspaces() {
        let mut d = Dialog::new();
        assert_eq!(d.feed(b"show version active\r\nActive Master Version: 14.0.1.13900-155\r\n"), None);
        assert_eq!(
            d.feed(b"\x1b[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\x1b[0m"),
            Some(Event::Pager)
        );
        let ev = d.feed(b"\r          \rActive Version Installed Software Options:\r\nNo Installed Software Options Fooo\x08\x08und.\r\n\r\nadmin:");
        let expected = "show version active\nActive Master Version: 14.0.1.13900-155\nActive Version Installed Software Options:\nNo Installed Software Options Found.\n";
        assert_eq!(ev, Some(Event::Prompt(expected.into())));
    }

    #[test]
    fn view_pager_and_confirmation() {
        let mut d = Dialog::new();
        assert_eq!(
            d.feed(b"line\n\x1b[1moptions: q=quit, n=next, p=prev, b=begin, e=end (lines 1 - 20 of 300) : \x1b[0m"),
            Some(Event::ViewPager)
        );
        let mut d = Dialog::new();
        assert_eq!(
            d.feed(b"This command can take up to 3 minutes to complete.\nContinue (y/n)?"),
            Some(Event::Confirm("Continue (y/n)?".into()))
        );
    }

    #[test]
    fn a_paste_request_is_said_once() {
        let mut d = Dialog::new();
        assert_eq!(
            d.feed(b"set cert import trust tomcat\r\nPaste the Certificate and Hit Enter\r\n"),
            Some(Event::Paste)
        );
        assert_eq!(d.feed(b"-----BEGIN CERTIFICATE-----\r\nMIIB\r\n"), None);
        let ev = d.feed(b"-----END CERTIFICATE-----\r\nSuccessfully imported certificate for tomcat.\r\n\r\nadmin:");
        assert!(matches!(ev, Some(Event::Prompt(o)) if o.contains("Successfully imported") && !o.contains("Paste")));
    }

    #[test]
    fn split_escape_and_utf8_across_feeds() {
        let mut d = Dialog::new();
        assert_eq!(d.feed(b"caf\xc3"), None);
        assert_eq!(d.feed(b"\xa9 \x1b"), None);
        assert_eq!(d.feed(b"[0m\nadmin:"), Some(Event::Prompt("caf\u{e9} ".into())));
    }

    #[test]
    fn admin_inside_output_is_not_a_prompt() {
        let mut d = Dialog::new();
        assert_eq!(d.feed(b"user admin: locked\n"), None);
    }
}
