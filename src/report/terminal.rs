//! The report for a person at a terminal: the verdict first, then one block per attempt with its
//! evidence lines (file:line) and the fix, then clock skew, traces and warnings.
//!
//! Trace text is untrusted: control characters (an ANSI escape in a crafted trace could rewrite
//! the terminal) are shown as `\xNN`. Colour comes from `anstream`, which drops it when the output
//! is not a terminal or `NO_COLOR` is set.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::analyze::model::{Activity, Analysis, Attempt};
use crate::analyze::{Outcome, Status};
use crate::report::model::{CertificateCheck, CheckParts, Finding, SideFacts};

const WIDTH: usize = 100;

fn bold() -> Style {
    Style::new().bold()
}
fn color(c: AnsiColor) -> Style {
    Style::new().fg_color(Some(c.into())).bold()
}
fn dim() -> Style {
    Style::new().dimmed()
}

fn status_style(s: Status) -> Style {
    match s {
        Status::Ok => color(AnsiColor::Green),
        Status::Warning => color(AnsiColor::Yellow),
        Status::Critical => color(AnsiColor::Red),
        Status::Unknown => color(AnsiColor::Magenta),
    }
}

fn write_finding(out: &mut dyn Write, f: &Finding) -> io::Result<()> {
    let fs = match f.severity.as_str() {
        "critical" => color(AnsiColor::Red),
        "warning" => color(AnsiColor::Yellow),
        _ => dim(),
    };
    let condition = f.condition.as_deref().map(|c| format!("{}: ", clean(c))).unwrap_or_default();
    wrap(out, &format!("{fs}{}{fs:#} {condition}{}", f.severity.to_uppercase(), clean(&f.message)), 2, 6)?;
    if let Some(fix) = &f.fix {
        wrap(out, &format!("fix: {}", clean(fix)), 6, 6)?;
    }
    Ok(())
}

pub fn write(out: &mut dyn Write, a: &Analysis) -> io::Result<()> {
    write_with(out, a, &[], &[])
}

/// The report with what `check` read of each side and its configuration findings.
pub fn write_with(out: &mut dyn Write, a: &Analysis, sides: &[SideFacts], findings: &[Finding]) -> io::Result<()> {
    write_sections(out, a, sides, findings, &[])
}

/// The report with everything `check` adds, the certificate check included.
pub fn write_full(out: &mut dyn Write, a: &Analysis, parts: &CheckParts) -> io::Result<()> {
    write_sections(out, a, &parts.sides, &parts.findings, &parts.certificates)
}

/// The certificate check before the capture: each side's verdict on the other's certificate,
/// then what that means per authentication method.
fn write_certificates(out: &mut dyn Write, checks: &[CertificateCheck]) -> io::Result<()> {
    for c in checks {
        writeln!(out, "  {b}Certificates{b:#} {}", clean(&c.pair), b = bold())?;
        for l in &c.checks {
            let st = match l.result.as_str() {
                "accepted" => color(AnsiColor::Green),
                "refused" => color(AnsiColor::Red),
                _ => color(AnsiColor::Yellow),
            };
            wrap(
                out,
                &format!("{}: {st}{}{st:#}: {}", clean(&l.who), l.result.to_uppercase(), clean(&l.detail)),
                6,
                8,
            )?;
        }
        for m in &c.methods {
            wrap(out, &format!("{}: {}: {}", clean(&m.method), m.prediction, clean(&m.why)), 6, 8)?;
        }
    }
    Ok(())
}

fn write_sections(
    out: &mut dyn Write,
    a: &Analysis,
    sides: &[SideFacts],
    findings: &[Finding],
    certificates: &[CertificateCheck],
) -> io::Result<()> {
    let st = status_style(a.status);
    writeln!(out, "{st}{}{st:#}", clean(&a.summary))?;
    for s in sides {
        writeln!(
            out,
            "  {b}{:<5}{b:#} {}  version {}  cluster ID {}  ILS role {}{}",
            s.side.map_or("?", |x| x.as_str()),
            clean(&s.host),
            clean(s.version.as_deref().unwrap_or("?")),
            clean(s.cluster_id.as_deref().unwrap_or("?")),
            clean(s.ils_role.as_deref().unwrap_or("?")),
            // A check that touched no level (`--preflight`) says nothing about levels.
            match (&s.trace_level_before, &s.trace_level_after) {
                (None, None) => String::new(),
                (before, after) => format!(
                    "  trace level {} -> {}",
                    clean(before.as_deref().unwrap_or("?")),
                    clean(after.as_deref().unwrap_or("?"))
                ),
            },
            b = bold()
        )?;
    }
    for f in findings.iter().filter(|f| f.condition.is_none()) {
        write_finding(out, f)?;
    }
    write_certificates(out, certificates)?;
    for p in &a.pairs {
        let ps = status_style(p.status);
        writeln!(
            out,
            "  {ps}{:<8}{ps:#} spoke {} -> hub {}: {} attempt(s), {} ok, {} failed",
            p.status.as_str().to_uppercase(),
            clean(p.spoke_name.as_deref().or(p.spoke.as_deref()).unwrap_or("?")),
            clean(p.hub_name.as_deref().or(p.hub.as_deref()).unwrap_or("?")),
            p.attempts,
            p.successes,
            p.failures
        )?;
        wrap(out, &clean(&p.reason), 11, 11)?;
        let m = &p.method;
        let method = match m.method {
            Some(x) => format!("method: {} ({})", x.title(), m.basis),
            None => format!("method: {}", m.basis),
        };
        wrap(out, &clean(&method), 11, 11)?;
        if let Some(d) = &m.decider {
            wrap(out, &format!("would decide: {}", clean(d)), 11, 11)?;
        }
        if let Some(act) = &p.activity {
            wrap(out, &format!("activity: {}", clean(&activity_text(act))), 11, 11)?;
        }
    }
    for attempt in &a.attempts {
        writeln!(out)?;
        write_attempt(out, attempt)?;
    }
    // Findings that matter only under some methods come after the diagnosis, saying which.
    let conditional: Vec<&Finding> = findings.iter().filter(|f| f.condition.is_some()).collect();
    if !conditional.is_empty() {
        writeln!(out)?;
        for f in conditional {
            write_finding(out, f)?;
        }
    }
    writeln!(out)?;
    for s in &a.clock_skew {
        writeln!(
            out,
            "{b}Clock skew{b:#}  hub {} minus spoke {} = {:+} ms ({} sample(s))",
            clean(s.hub.as_deref().unwrap_or("?")),
            clean(s.spoke.as_deref().unwrap_or("?")),
            s.hub_minus_spoke_ms,
            s.samples,
            b = bold()
        )?;
    }
    for t in &a.traces {
        let host = [t.host_ip.as_deref(), t.host_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        writeln!(
            out,
            "{b}Trace{b:#}  {:<5} {} {} file(s), {} .. {}",
            t.side.as_str(),
            clean(if host.is_empty() { "(no FileHead)" } else { &host }),
            t.files,
            t.first.as_deref().unwrap_or("?"),
            t.last.as_deref().unwrap_or("?"),
            b = bold()
        )?;
        if let Some(act) = &t.activity {
            wrap(out, &format!("activity naming no peer: {}", clean(&activity_text(act))), 7, 7)?;
        }
    }
    if !a.warnings.is_empty() {
        let w = color(AnsiColor::Yellow);
        writeln!(out, "{w}Warnings{w:#}")?;
        for warning in &a.warnings {
            wrap(out, &format!("- {}", clean(warning)), 2, 4)?;
        }
    }
    Ok(())
}

/// `1204 routine ILS line(s) (P23a 900, P23b 304), 09:00:01.000 .. 09:59:58.000`.
pub fn activity_text(act: &Activity) -> String {
    let kinds: Vec<String> = act.by_signature.iter().map(|(id, n)| format!("{id} {n}")).collect();
    format!(
        "{} routine ILS line(s) ({}), {} .. {}",
        act.count,
        kinds.join(", "),
        act.first.as_deref().unwrap_or("?"),
        act.last.as_deref().unwrap_or("?")
    )
}

fn write_attempt(out: &mut dyn Write, a: &Attempt) -> io::Result<()> {
    let (label, style) = match a.outcome {
        Outcome::Success => ("SUCCESS", color(AnsiColor::Green)),
        Outcome::Failure => ("FAILURE", color(AnsiColor::Red)),
        Outcome::Incomplete => ("INCOMPLETE", color(AnsiColor::Magenta)),
    };
    let when = a.at.as_deref().or(a.time_of_day.as_deref()).unwrap_or("time unknown");
    let transport = match (a.tls, a.port) {
        (Some(true), p) => format!("TLS{}", p.map(|p| format!(" :{p}")).unwrap_or_default()),
        (Some(false), p) => format!("non-TLS{}", p.map(|p| format!(" :{p}")).unwrap_or_default()),
        (None, _) => "transport unknown".into(),
    };
    writeln!(
        out,
        "{b}Attempt {}{b:#}  {when}  spoke {} -> hub {}  {transport}  {style}{label}{style:#}",
        a.id,
        clean(a.spoke_name.as_deref().or(a.spoke.as_deref()).unwrap_or("?")),
        clean(a.hub_name.as_deref().or(a.hub.as_deref()).unwrap_or("?")),
        b = bold()
    )?;
    wrap(out, &clean(&a.summary), 2, 2)?;
    let method = match a.method {
        Some(m) => format!(
            "{} (from the {})",
            m.title(),
            if matches!(a.method_source, crate::analyze::diagnose::MethodSource::Configuration) {
                "configuration given"
            } else {
                "traces"
            }
        ),
        None if a.method_candidates.is_empty() => "not determined".into(),
        None => format!(
            "not determined by the traces; possible: {}",
            a.method_candidates.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    writeln!(out, "  {d}method{d:#}    {method}", d = dim())?;
    if let Some(c) = a.root_cause {
        writeln!(out, "  {d}cause{d:#}     {}", c.as_str(), d = dim())?;
    }
    if let Some(v) = &a.verify_error {
        writeln!(
            out,
            "  {d}verify{d:#}    OpenSSL error {}: {} ({})",
            v.code,
            clean(v.text.as_deref().unwrap_or("")),
            v.meaning,
            d = dim()
        )?;
    }
    if matches!(a.confidence, crate::analyze::types::Confidence::Inferred) {
        writeln!(
            out,
            "  {d}confidence{d:#} inferred: the deciding lines or rule are not in Cisco's technote",
            d = dim()
        )?;
    }
    writeln!(out, "  {d}evidence{d:#}", d = dim())?;
    for e in &a.evidence {
        writeln!(out, "    {d}{} {}:{}{d:#}", e.side.as_str(), clean(&e.file), e.line_no, d = dim())?;
        writeln!(out, "      {}", clean(&e.text))?;
    }
    if let Some(fix) = &a.fix {
        writeln!(out, "  {b}fix{b:#}", b = bold())?;
        wrap(out, &clean(fix), 4, 4)?;
    }
    for n in &a.notes {
        wrap(out, &format!("note: {}", clean(n)), 2, 8)?;
    }
    Ok(())
}

/// Untrusted text made safe for a terminal: control characters become `\xNN`, and the
/// bidirectional controls, which reorder what the reader sees without being control characters
/// (Unicode Standard Annex #9, "Unicode Bidirectional Algorithm"; the "Trojan Source" attack),
/// become `\u{NNNN}`.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else if is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// The explicit bidirectional formatting characters and marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Word-wraps to [`WIDTH`] columns: `first` spaces before the first line, `rest` before others.
fn wrap(out: &mut dyn Write, text: &str, first: usize, rest: usize) -> io::Result<()> {
    let mut line = " ".repeat(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count().saturating_add(1).saturating_add(word.chars().count()) > WIDTH {
            writeln!(out, "{line}")?;
            line = " ".repeat(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("ok\x1b[2Jgone\r"), "ok\\x1b[2Jgone\\x0d");
        assert_eq!(clean("tab\tstays"), "tab\tstays");
        assert_eq!(clean("a\u{202e}cba\u{2066}x"), "a\\u{202e}cba\\u{2066}x");
        assert_eq!(clean("caf\u{e9} \u{2014}"), "caf\u{e9} \u{2014}", "other text is kept");
    }

    #[test]
    fn wrapping_keeps_words_and_indent() {
        let mut out = Vec::new();
        let text = "word ".repeat(60);
        wrap(&mut out, &text, 2, 4).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.lines().all(|l| l.len() <= WIDTH));
        assert!(s.lines().nth(1).unwrap().starts_with("    word"));
        assert_eq!(s.split_whitespace().count(), 60);
    }
}
