//! The `admin:` dialog without I/O: bytes in, bytes out. Line editing with echo, the prompt, and
//! the pager.
//!
//! Follows docs/cucm-notes.md#cli-dialog: the prompt is `admin:` after CRLF
//! and `ESC[K` (unicon's pattern `([\r\n]|\x1b\[K)admin:\s*`); pagination is on by default with the
//! bold pager prompt `Press <enter> for 1 line, <space> for one page, or <q> to quit`, answered by
//! Enter (one line), space (one page) or `q`, until `set cli pagination off` (a fault keeps the
//! pager on). Output lines end with CRLF.

use crate::db::{lock, Shared};
use crate::ssh::commands::{run, Effect};

/// The pager prompt, bold (docs/cucm-notes.md#cli-dialog).
pub const PAGER: &str = "\x1b[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\x1b[0m";
/// What precedes `admin:`.
pub const PROMPT: &str = "\r\n\x1b[Kadmin:";
const MAX_LINE: usize = 4096;

/// What the session should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Send these bytes.
    Send(Vec<u8>),
    /// Close the channel.
    Close,
}

#[derive(Debug)]
enum Mode {
    Line,
    Paging(Vec<String>),
    Hung,
    /// Reading a pasted certificate, line by line, up to its `-----END CERTIFICATE-----`.
    Paste(Vec<String>),
    /// Waiting for the answer to `set cert delete`'s question.
    Confirm(String),
}

/// Most lines a pasted certificate may have (a 4096-bit PEM has about 30).
const MAX_PASTE_LINES: usize = 200;

/// One CLI session.
#[derive(Debug)]
pub struct Cli {
    world: Shared,
    cluster: String,
    line: Vec<u8>,
    pagination: bool,
    rows: usize,
    mode: Mode,
    last_cr: bool,
}

fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

impl Cli {
    /// A session on `cluster`'s publisher with a terminal of `rows` lines.
    pub fn new(world: Shared, cluster: String, rows: u32) -> Cli {
        Cli {
            world,
            cluster,
            line: Vec::new(),
            pagination: true,
            rows: (rows as usize).clamp(5, 500),
            mode: Mode::Line,
            last_cr: false,
        }
    }

    /// Sets the terminal height (window-change).
    pub fn set_rows(&mut self, rows: u32) {
        self.rows = (rows as usize).clamp(5, 500);
    }

    /// The text shown once the CLI has started, ending with the first prompt.
    pub fn welcome(&self) -> Vec<u8> {
        let text = "\r\n   Welcome to the Platform Command Line Interface\r\n\r\nVMware Installation:\r\n\t2 vCPU: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\r\n\tDisk 1: 110GB, Partitions aligned\r\n\t8192 Mbytes RAM\r\n";
        format!("{text}{PROMPT}").into_bytes()
    }

    fn page_len(&self) -> usize {
        self.rows.saturating_sub(1).max(1)
    }

    /// Output of a finished command: paged or whole, then the prompt.
    fn emit(&mut self, text: &str, out: &mut Vec<Out>) {
        let pager_on = self.pagination || lock(&self.world).faults.pager_ignores_off;
        let lines: Vec<String> = crlf(text).split("\r\n").map(str::to_string).collect();
        if pager_on && lines.len() > self.page_len() {
            let rest = lines.get(self.page_len()..).map(<[String]>::to_vec).unwrap_or_default();
            let first = lines.get(..self.page_len()).unwrap_or(&[]).join("\r\n");
            out.push(Out::Send(format!("\r\n{first}\r\n{PAGER}").into_bytes()));
            self.mode = Mode::Paging(rest);
        } else {
            let body = if text.is_empty() { String::new() } else { format!("\r\n{}", lines.join("\r\n")) };
            out.push(Out::Send(format!("{body}{PROMPT}").into_bytes()));
        }
    }

    fn page(&mut self, key: u8, out: &mut Vec<Out>) {
        let Mode::Paging(rest) = &mut self.mode else {
            return;
        };
        let n = match key {
            b' ' => self.rows.saturating_sub(1).max(1),
            b'\r' | b'\n' => 1,
            b'q' | b'Q' => {
                self.mode = Mode::Line;
                out.push(Out::Send(format!("\r\x1b[K{PROMPT}").into_bytes()));
                return;
            }
            _ => return,
        };
        let take = n.min(rest.len());
        let chunk: Vec<String> = rest.drain(..take).collect();
        let mut s = String::from("\r\x1b[K");
        s.push_str(&chunk.join("\r\n"));
        if rest.is_empty() {
            self.mode = Mode::Line;
            s.push_str(PROMPT);
        } else {
            s.push_str("\r\n");
            s.push_str(PAGER);
        }
        out.push(Out::Send(s.into_bytes()));
    }

    /// A line typed while the CLI waits for a pasted certificate or an answer: consumed here
    /// (true), or an ordinary command line (false).
    fn answer(&mut self, line: &str, out: &mut Vec<Out>) -> bool {
        match std::mem::replace(&mut self.mode, Mode::Line) {
            Mode::Paste(mut lines) => {
                lines.push(line.to_string());
                if line.trim() == "-----END CERTIFICATE-----" || lines.len() >= MAX_PASTE_LINES {
                    let text = {
                        let mut w = lock(&self.world);
                        super::trust::import(&mut w, &self.cluster, &lines.join("\n"))
                    };
                    self.emit(&text, out);
                } else {
                    out.push(Out::Send(b"\r\n".to_vec()));
                    self.mode = Mode::Paste(lines);
                }
                true
            }
            Mode::Confirm(file) => {
                let yes = matches!(line.trim().to_ascii_lowercase().as_str(), "yes" | "y");
                let text = {
                    let mut w = lock(&self.world);
                    super::trust::delete(&mut w, &self.cluster, &file, yes)
                };
                self.emit(&text, out);
                true
            }
            other => {
                self.mode = other;
                false
            }
        }
    }

    /// Feeds client bytes; returns what to send.
    pub fn feed(&mut self, data: &[u8]) -> Vec<Out> {
        let mut out = Vec::new();
        for &b in data {
            match self.mode {
                Mode::Hung => return out,
                Mode::Paging(_) => {
                    self.page(b, &mut out);
                    continue;
                }
                Mode::Line | Mode::Paste(_) | Mode::Confirm(_) => {}
            }
            match b {
                b'\r' | b'\n' => {
                    if b == b'\n' && self.last_cr {
                        self.last_cr = false;
                        continue;
                    }
                    self.last_cr = b == b'\r';
                    let line = String::from_utf8_lossy(&self.line).into_owned();
                    self.line.clear();
                    if self.answer(&line, &mut out) {
                        continue;
                    }
                    let effect = {
                        let mut w = lock(&self.world);
                        run(&mut w, &self.cluster, &line)
                    };
                    match effect {
                        Effect::Print(t) => self.emit(&t, &mut out),
                        Effect::Pagination(on, t) => {
                            self.pagination = on;
                            self.emit(&t, &mut out);
                        }
                        Effect::Quit => {
                            out.push(Out::Send(b"\r\n".to_vec()));
                            out.push(Out::Close);
                            return out;
                        }
                        Effect::Hang => {
                            out.push(Out::Send(b"\r\n".to_vec()));
                            self.mode = Mode::Hung;
                            return out;
                        }
                        Effect::Paste(prompt) => {
                            out.push(Out::Send(format!("\r\n{prompt}\r\n").into_bytes()));
                            self.mode = Mode::Paste(Vec::new());
                        }
                        Effect::ConfirmDelete { question, file } => {
                            out.push(Out::Send(format!("\r\n{}", crlf(&question)).into_bytes()));
                            self.mode = Mode::Confirm(file);
                        }
                    }
                    continue;
                }
                0x7f | 0x08 => out.extend(self.line.pop().map(|_| Out::Send(b"\x08 \x08".to_vec()))),
                0x03 => {
                    self.line.clear();
                    self.mode = Mode::Line;
                    out.push(Out::Send(format!("^C{PROMPT}").into_bytes()));
                }
                0x04 if self.line.is_empty() => {
                    out.push(Out::Close);
                    return out;
                }
                b if (b >= 0x20 || b == b'\t') && self.line.len() < MAX_LINE => {
                    self.line.push(b);
                    out.push(Out::Send(vec![b]));
                }
                _ => {}
            }
            self.last_cr = false;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::db::World;

    fn cli(rows: u32) -> Cli {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/m1-password-success.toml"))
            .unwrap();
        let w = World::new(crate::Scenario::from_toml(&text, "t").unwrap(), chrono::Utc::now());
        Cli::new(Arc::new(Mutex::new(w)), "hub".into(), rows)
    }

    fn text(v: &[Out]) -> String {
        v.iter()
            .filter_map(|o| match o {
                Out::Send(b) => Some(String::from_utf8_lossy(b).into_owned()),
                Out::Close => None,
            })
            .collect()
    }

    #[test]
    fn echo_backspace_and_prompt() {
        let mut c = cli(24);
        assert!(String::from_utf8_lossy(&c.welcome()).ends_with("\r\n\x1b[Kadmin:"));
        let o = text(&c.feed(b"shoX\x7f"));
        assert_eq!(o, "shoX\x08 \x08");
        let o = text(&c.feed(b"w version active\r\n"));
        assert!(o.contains("\r\nActive Master Version: 14.0.1.11900-132\r\n"), "{o:?}");
        assert!(o.ends_with("\r\n\x1b[Kadmin:"));
        // The LF after CR does not run an empty command.
        assert_eq!(text(&c.feed(b"x")), "x");
    }

    #[test]
    fn pager_until_pagination_off() {
        let mut c = cli(6);
        let o = text(&c.feed(b"utils service list\r"));
        assert!(o.ends_with(PAGER), "{o:?}");
        assert!(!o.contains("admin:"));
        // Enter: one more line, pager again.
        let o = text(&c.feed(b"\r"));
        assert_eq!(o.matches("\r\n").count(), 1, "{o:?}");
        assert!(o.ends_with(PAGER));
        // Space: a page.
        let o = text(&c.feed(b" "));
        assert!(o.ends_with(PAGER));
        // q: back to the prompt.
        let o = text(&c.feed(b"q"));
        assert!(o.ends_with("admin:"));
        let o = text(&c.feed(b"set cli pagination off\r"));
        assert!(o.contains("Automatic pagination is turned off"));
        let o = text(&c.feed(b"utils service list\r"));
        assert!(o.contains("Command successful") && o.ends_with("admin:"), "{o:?}");
        assert!(!o.contains(PAGER));
    }

    #[test]
    fn pager_fault_ignores_pagination_off() {
        let mut c = cli(6);
        lock(&c.world).faults.pager_ignores_off = true;
        c.feed(b"set cli pagination off\r");
        let o = text(&c.feed(b"utils service list\r"));
        assert!(o.ends_with(PAGER));
        // Spaces page through to the end.
        let mut last = String::new();
        for _ in 0..20 {
            last = text(&c.feed(b" "));
            if last.ends_with("admin:") {
                break;
            }
        }
        assert!(last.ends_with("admin:"));
    }

    #[test]
    fn quit_hang_and_garbage() {
        let mut c = cli(24);
        assert!(c.feed(b"quit\r").contains(&Out::Close));
        let mut c = cli(24);
        lock(&c.world).faults.hang_command = Some("show".into());
        let o = text(&c.feed(b"show version active\r"));
        assert!(!o.contains("admin:"));
        assert!(text(&c.feed(b"\r\r\r")).is_empty());
        let mut c = cli(24);
        let junk: Vec<u8> = (0u8..=255).cycle().take(10_000).collect();
        let _ = c.feed(&junk);
    }

    #[test]
    fn a_pasted_certificate_is_imported_and_a_deletion_asks_first() {
        let mut c = cli(24);
        let spoke_cert = {
            let mut w = lock(&c.world);
            let spoke = w.scenario.cluster("spoke").unwrap().clone();
            let cert = crate::tls::Pki::default().tomcat(&spoke, None).unwrap();
            let pem = cert.cert_pem.clone();
            w.tomcat.insert("spoke".into(), cert);
            pem
        };
        let o = text(&c.feed(b"set cert import trust tomcat\r"));
        assert!(o.contains("Paste the Certificate and Hit Enter"), "{o:?}");
        assert!(!o.contains("admin:"));
        let mut last = String::new();
        for line in spoke_cert.lines() {
            last = text(&c.feed(format!("{line}\r").as_bytes()));
        }
        assert!(last.contains("Successfully imported certificate for tomcat.") && last.ends_with("admin:"), "{last:?}");
        let file = super::super::trust::cert_file("cucm-spoke.example.com");
        assert!(text(&c.feed(b"show cert list trust\r")).contains(&file));
        // The same certificate again is refused.
        c.feed(b"set cert import trust tomcat\r");
        for line in spoke_cert.lines() {
            last = text(&c.feed(format!("{line}\r").as_bytes()));
        }
        assert!(last.contains("already exists"), "{last:?}");
        // Deleting asks; `no` keeps it, `yes` deletes it.
        let o = text(&c.feed(format!("set cert delete tomcat-trust {file}\r").as_bytes()));
        assert!(o.ends_with("Continue (yes|no)?"), "{o:?}");
        assert!(text(&c.feed(b"no\r")).contains("cancelled"));
        assert!(text(&c.feed(b"show cert list trust\r")).contains(&file));
        c.feed(format!("set cert delete tomcat-trust {file}\r").as_bytes());
        assert!(text(&c.feed(b"yes\r")).contains("Successfully deleted"));
        assert!(!text(&c.feed(b"show cert list trust\r")).contains(&file));
        // A paste of something else is refused; Ctrl-C leaves the paste.
        c.feed(b"set cert import trust tomcat\r");
        c.feed(b"-----BEGIN CERTIFICATE-----\rAAAA\r");
        assert!(text(&c.feed(b"-----END CERTIFICATE-----\r")).contains("Invalid certificate"));
        c.feed(b"set cert import trust tomcat\r");
        assert!(text(&c.feed(b"\x03")).ends_with("admin:"));
        assert!(text(&c.feed(b"show version active\r")).contains("Active Master Version"));
    }
}
