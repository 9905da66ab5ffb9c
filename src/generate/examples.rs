//! The examples of a command (its `--help` text after the options, `cli.rs`) as man page
//! sections: EXAMPLES, each description a paragraph and each command line in no-fill mode, so
//! that man neither reflows nor hyphenates it and a reader can copy it as printed; the prose
//! after the examples as EXIT STATUS (when it starts with the exit codes) or NOTES.
//!
//! The text's layout (`cli.rs`): a first line `Examples:`; descriptions indented by two spaces;
//! command lines by four (continuation lines by more); a blank line between examples; prose not
//! indented.

/// The example command lines of an after-help text, without their four spaces of indentation:
/// what a man page must show intact.
pub fn example_lines(after_help: &str) -> Vec<&str> {
    after_help.lines().filter_map(|l| l.strip_prefix("    ")).filter(|l| !l.trim().is_empty()).collect()
}

/// One line of text as roff input: backslashes, minus signs and quotes as the characters typed
/// (a hyphen `-` would print as U+2010 in a UTF-8 locale and could not be pasted into a shell),
/// and a leading dot or apostrophe kept as text, not a request.
fn escape(line: &str) -> String {
    let mut out = String::with_capacity(line.len().saturating_add(8));
    if line.starts_with(['.', '\'']) {
        out.push_str("\\&");
    }
    for c in line.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            '\'' => out.push_str("\\(aq"),
            '`' => out.push_str("\\(ga"),
            '~' => out.push_str("\\(ti"),
            '^' => out.push_str("\\(ha"),
            c => out.push(c),
        }
    }
    out
}

/// The roff of `after_help`: `.SH EXAMPLES` and, when prose follows, its section.
pub fn roff(after_help: &str) -> String {
    let mut out = String::from(".SH EXAMPLES\n");
    let mut in_commands = false;
    let mut prose = false;
    let mut paragraph_open = false;
    for line in after_help.lines() {
        if line.trim() == "Examples:" && !prose {
            continue;
        }
        let command = if prose { None } else { line.strip_prefix("    ").filter(|l| !l.trim().is_empty()) };
        if in_commands && command.is_none() {
            out.push_str(".fi\n.RE\n");
            in_commands = false;
        }
        if line.trim().is_empty() {
            paragraph_open = false;
            continue;
        }
        if let Some(command) = command {
            if !in_commands {
                out.push_str(".RS 4\n.nf\n");
                in_commands = true;
            }
            out.push_str(&escape(command));
            out.push('\n');
            continue;
        }
        if !line.starts_with(' ') && !prose {
            prose = true;
            let title = if line.starts_with("Exit code") { "EXIT STATUS" } else { "NOTES" };
            out.push_str(&format!(".SH \"{title}\"\n"));
            paragraph_open = false;
        }
        if !paragraph_open {
            out.push_str(".PP\n");
            paragraph_open = true;
        }
        out.push_str(&escape(line.trim()));
        out.push('\n');
    }
    if in_commands {
        out.push_str(".fi\n.RE\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
Examples:
  A report to attach (one HTML file):
    ils-doctor check --hub hub --app-user axladmin --format html -o re-port.html
    ils-doctor audit --discover hub \\
      --resolve a=10.0.0.1

  Quoted: 'it'
    ils-doctor analyze --from '2026-11-25 09:00'

Exit codes: 0 ok, 3 unknown.";

    #[test]
    fn commands_are_no_fill_with_every_character_escaped() {
        let roff = roff(TEXT);
        let expected = "\
.SH EXAMPLES
.PP
A report to attach (one HTML file):
.RS 4
.nf
ils\\-doctor check \\-\\-hub hub \\-\\-app\\-user axladmin \\-\\-format html \\-o re\\-port.html
ils\\-doctor audit \\-\\-discover hub \\e
  \\-\\-resolve a=10.0.0.1
.fi
.RE
.PP
Quoted: \\(aqit\\(aq
.RS 4
.nf
ils\\-doctor analyze \\-\\-from \\(aq2026\\-11\\-25 09:00\\(aq
.fi
.RE
.SH \"EXIT STATUS\"
.PP
Exit codes: 0 ok, 3 unknown.
";
        assert_eq!(roff, expected);
    }

    #[test]
    fn the_example_lines_are_the_four_space_indented_ones() {
        assert_eq!(
            example_lines(TEXT),
            [
                "ils-doctor check --hub hub --app-user axladmin --format html -o re-port.html",
                "ils-doctor audit --discover hub \\",
                "  --resolve a=10.0.0.1",
                "ils-doctor analyze --from '2026-11-25 09:00'",
            ]
        );
    }

    #[test]
    fn a_line_that_would_be_a_request_stays_text() {
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("'quoted"), "\\&\\(aqquoted");
    }
}
