//! The report for a person at a terminal: the verdict first, then one block per attempt with its
//! evidence lines (file:line) and the fix, then clock skew, traces and warnings.
//!
//! Trace text is untrusted: control characters (an ANSI escape in a crafted trace could rewrite
//! the terminal) are shown as `\xNN`. Colour comes from `anstream`, which drops it when the output
//! is not a terminal or `NO_COLOR` is set.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use std::collections::BTreeSet;

use crate::analyze::model::{Activity, Analysis, Attempt};
use crate::analyze::{Outcome, Status};
use crate::report::model::{CertificateCheck, CheckParts, SideFacts};
use crate::report::view::{EvidenceView, FindingView, PairView, View};
use crate::untrusted::clean;

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

pub fn write(out: &mut dyn Write, a: &Analysis) -> io::Result<()> {
    write_report(out, a, &CheckParts::default(), false)
}

/// The report with everything `check` adds, the certificate check included: the short form.
pub fn write_full(out: &mut dyn Write, a: &Analysis, parts: &CheckParts) -> io::Result<()> {
    write_report(out, a, parts, false)
}

/// The report: the verdict, each judged pair's cause with its deciding lines and fix, the
/// findings that count, the clusters, then pointers to the rest; with `verbose`, the rest too
/// (every attempt, the certificate check, findings that depend on the method, traces, clocks).
pub fn write_report(out: &mut dyn Write, a: &Analysis, parts: &CheckParts, verbose: bool) -> io::Result<()> {
    let view = View::build(a, parts);
    let mut printed: BTreeSet<usize> = BTreeSet::new();
    let st = status_style(a.status);
    let (head, rest) = a.summary.split_once(": ").unwrap_or((a.summary.as_str(), ""));
    wrap(out, &format!("{st}{}{st:#}: {}", clean(head), clean(rest)), 0, 2)?;
    let shown = if verbose { view.pairs.len() } else { view.pairs.len().min(MAX_PAIRS_SHOWN) };
    for p in view.pairs.iter().take(shown) {
        writeln!(out)?;
        write_pair(out, p, &view, &mut printed, verbose)?;
    }
    if let Some(rest) = view.pairs.get(shown..).filter(|r| !r.is_empty()) {
        writeln!(out)?;
        wrap(out, &more_pairs(rest), 0, 2)?;
    }
    // A check that read no traces (`--preflight`): the certificate check is the answer.
    let certificates_first = a.pairs.is_empty() && !parts.certificates.is_empty();
    if certificates_first {
        writeln!(out)?;
        write_certificates(out, &parts.certificates)?;
    }
    if !view.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "{b}Findings{b:#}", b = bold())?;
        for f in &view.findings {
            write_finding_view(out, f, &view, &mut printed, 2)?;
        }
    }
    if !parts.sides.is_empty() {
        writeln!(out)?;
        writeln!(out, "{b}Clusters{b:#}", b = bold())?;
        for s in &parts.sides {
            write_side(out, s)?;
        }
    }
    let shown = CheckParts {
        certificates: if certificates_first { Vec::new() } else { parts.certificates.clone() },
        ..parts.clone()
    };
    if verbose {
        write_details(out, a, &shown, &view, &mut printed)?;
    } else {
        write_pointers(out, a, &shown, &view)?;
    }
    Ok(())
}

/// Pair blocks the report shows without `--verbose`: as many as one hub can have spokes (Cisco
/// gives ILS up to 20 spokes per hub), so that a hub's own answer is never cut, and traces that
/// name hundreds of peers still give a page, worst first, not thousands of lines.
pub const MAX_PAIRS_SHOWN: usize = 20;

/// The line that stands for the pairs not shown: how many, by status, and where they are.
fn more_pairs(rest: &[PairView]) -> String {
    let by_status: Vec<String> = [Status::Critical, Status::Unknown, Status::Warning, Status::Ok]
        .into_iter()
        .filter_map(|st| {
            let n = rest.iter().filter(|p| p.status == st).count();
            (n > 0).then(|| format!("{n} {}", st.as_str()))
        })
        .collect();
    format!(
        "… and {} more pair(s) ({}): `--verbose` shows them all, `--format json` lists them",
        rest.len(),
        by_status.join(", ")
    )
}

fn write_pair(
    out: &mut dyn Write,
    p: &PairView,
    view: &View,
    printed: &mut BTreeSet<usize>,
    verbose: bool,
) -> io::Result<()> {
    let ps = status_style(p.status);
    let link = p.link.as_deref().map(|l| format!("  ({l})")).unwrap_or_default();
    writeln!(out, "{ps}{:<8}{ps:#} {b}{}{b:#}{link}", p.status.as_str().to_uppercase(), clean(&p.title), b = bold())?;
    let label = |out: &mut dyn Write, name: &str, text: &str| labelled(out, 2, name, &clean(text));
    // A healthy pair whose method nobody doubts: one line.
    let plain = p.status == Status::Ok
        && p.findings.is_empty()
        && p.inferred.is_none()
        && p.method_conflict.is_none()
        && !verbose;
    if plain {
        label(out, "state", &p.state)?;
        return label(out, "method", &p.method);
    }
    match &p.cause {
        Some(c) => label(out, "cause", c)?,
        None => label(out, "state", &p.state)?,
    }
    if p.cause.is_some() && p.basis.len() > 1 {
        label(out, "from", &p.basis.join("; "))?;
    }
    if let Some(i) = &p.inferred {
        label(out, "note", i)?;
    }
    label(out, "method", &p.method)?;
    if let Some(c) = &p.method_conflict {
        label(out, "conflict", c)?;
    }
    if let Some(s) = &p.story {
        label(out, "attempts", s)?;
    }
    if p.status != Status::Ok || verbose {
        if let Some(id) = p.evidence_attempt {
            writeln!(out, "  {d}lines{d:#}    of attempt #{id}", d = dim())?;
            write_evidence(out, &p.evidence, if verbose { usize::MAX } else { SHORT_EVIDENCE })?;
        }
        // The first of a run of the same failure: its first deciding line tells when it began.
        if let (Some(id), false) = (p.first_attempt, p.first_evidence.is_empty()) {
            writeln!(out, "  {d}first{d:#}    attempt #{id} of the same run", d = dim())?;
            write_evidence(out, &p.first_evidence, if verbose { usize::MAX } else { 1 })?;
        }
    }
    if let Some(n) = p.fix {
        write_fix(out, n, view, printed, 2)?;
    }
    for f in &p.findings {
        write_finding_view(out, f, view, printed, 2)?;
    }
    Ok(())
}

/// Deciding lines shown per attempt in the short report (`--verbose` shows them all).
const SHORT_EVIDENCE: usize = 3;

fn write_evidence(out: &mut dyn Write, lines: &[EvidenceView], at_most: usize) -> io::Result<()> {
    let shown = at_most.min(lines.len());
    let verbose = at_most == usize::MAX;
    for e in lines.iter().take(shown) {
        let location = if verbose { e.location.clone() } else { base_name(&e.location).to_string() };
        writeln!(out, "    {d}{} {}{d:#}", e.side, clean(&location), d = dim())?;
        writeln!(out, "      {}", clean(&e.text))?;
    }
    if shown < lines.len() {
        writeln!(out, "    {d}({} more line(s): --verbose){d:#}", lines.len().saturating_sub(shown), d = dim())?;
    }
    Ok(())
}

/// `/tmp/x/traces/hub-…/SDL001_600_000001.txt.gzo:12` → `SDL001_600_000001.txt.gzo:12`.
fn base_name(location: &str) -> &str {
    location.rsplit(['/', '\\']).next().unwrap_or(location)
}

/// A fix at its first mention; a reference to it after.
fn write_fix(
    out: &mut dyn Write,
    n: usize,
    view: &View,
    printed: &mut BTreeSet<usize>,
    indent: usize,
) -> io::Result<()> {
    let Some(text) = n.checked_sub(1).and_then(|i| view.fixes.get(i)) else { return Ok(()) };
    if printed.insert(n) {
        labelled(out, indent, &format!("fix [{n}]"), &clean(text))
    } else {
        labelled(out, indent, "fix", &format!("as [{n}] above"))
    }
}

/// `  label    text that wraps under itself`: a dimmed label padded to 9 columns.
fn labelled(out: &mut dyn Write, indent: usize, label: &str, text: &str) -> io::Result<()> {
    const LABEL: usize = 9;
    let pad = LABEL.saturating_sub(label.chars().count()).max(1);
    let mut lines = Vec::new();
    let width = WIDTH.saturating_sub(indent.saturating_add(LABEL));
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count().saturating_add(1).saturating_add(word.chars().count()) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    for (i, l) in lines.iter().enumerate() {
        if i == 0 {
            writeln!(out, "{}{d}{label}{d:#}{}{l}", " ".repeat(indent), " ".repeat(pad), d = dim())?;
        } else {
            writeln!(out, "{}{l}", " ".repeat(indent.saturating_add(LABEL)))?;
        }
    }
    Ok(())
}

fn write_finding_view(
    out: &mut dyn Write,
    f: &FindingView,
    view: &View,
    printed: &mut BTreeSet<usize>,
    indent: usize,
) -> io::Result<()> {
    let fs = match f.severity.as_str() {
        "critical" => color(AnsiColor::Red),
        "warning" => color(AnsiColor::Yellow),
        _ => dim(),
    };
    let condition = f.condition.as_deref().map(|c| format!("{}: ", clean(c))).unwrap_or_default();
    wrap(
        out,
        &format!("{fs}{}{fs:#} {condition}{}", f.severity.to_uppercase(), clean(&f.message)),
        indent,
        indent.saturating_add(9),
    )?;
    if let Some(n) = f.fix {
        write_fix(out, n, view, printed, indent.saturating_add(9))?;
    }
    Ok(())
}

fn write_side(out: &mut dyn Write, s: &SideFacts) -> io::Result<()> {
    let mut parts = vec![
        clean(s.version.as_deref().unwrap_or("version ?")),
        format!("cluster ID {}", clean(s.cluster_id.as_deref().unwrap_or("?"))),
        clean(s.ils_role.as_deref().unwrap_or("ILS role ?")),
    ];
    if let Some(svc) = &s.ils_service {
        parts.push(format!("ILS {}", clean(svc)));
    }
    // A check that touched no level (`--preflight`) says nothing about levels.
    if let (Some(_), Some(after)) = (&s.trace_level_before, &s.trace_level_after) {
        parts.push(format!("trace level {}", clean(after)));
    }
    labelled(out, 2, s.side.map_or("?", |x| x.as_str()), &format!("{}: {}", clean(&s.host), parts.join(", ")))
}

/// What the short form leaves out, and the flag that shows it.
fn write_pointers(out: &mut dyn Write, a: &Analysis, parts: &CheckParts, view: &View) -> io::Result<()> {
    let mut more = Vec::new();
    if !view.conditional.is_empty() {
        more.push(format!(
            "{} finding(s) that matter only under another authentication method",
            view.conditional.len()
        ));
    }
    if !view.context.is_empty() {
        more.push(format!("{} other pair(s) in the traces", view.context.len()));
    }
    if !parts.certificates.is_empty() {
        more.push("the certificate check".into());
    }
    if !a.attempts.is_empty() {
        more.push(format!("{} attempt(s) line by line", a.attempts.len()));
    }
    let notes = a.warnings.len();
    if notes > 0 {
        more.push(format!("{notes} note(s)"));
    }
    if !more.is_empty() {
        writeln!(out)?;
        wrap(out, &format!("{d}--verbose shows: {}{d:#}", more.join("; "), d = dim()), 0, 2)?;
    }
    Ok(())
}

/// The certificate check before the capture: each side's verdict on the other's certificate,
/// then what that means per authentication method.
fn write_certificates(out: &mut dyn Write, checks: &[CertificateCheck]) -> io::Result<()> {
    for c in checks {
        writeln!(out, "{b}Certificates{b:#} {}", clean(&c.pair.replace(" -> ", " → ")), b = bold())?;
        for l in &c.checks {
            let st = match l.result.as_str() {
                "accepted" => color(AnsiColor::Green),
                "refused" => color(AnsiColor::Red),
                _ => color(AnsiColor::Yellow),
            };
            wrap(
                out,
                &format!("{}: {st}{}{st:#}: {}", clean(&l.who), l.result.to_uppercase(), clean(&l.detail)),
                2,
                4,
            )?;
        }
        for m in &c.methods {
            wrap(out, &format!("{}: {}: {}", clean(&m.method), m.prediction, clean(&m.why)), 2, 4)?;
        }
    }
    Ok(())
}

/// Everything else, for `--verbose`.
fn write_details(
    out: &mut dyn Write,
    a: &Analysis,
    parts: &CheckParts,
    view: &View,
    printed: &mut BTreeSet<usize>,
) -> io::Result<()> {
    if !view.conditional.is_empty() {
        writeln!(out)?;
        writeln!(out, "{b}Findings that depend on the method{b:#}", b = bold())?;
        for f in &view.conditional {
            write_finding_view(out, f, view, printed, 2)?;
        }
    }
    if !view.context.is_empty() {
        writeln!(out)?;
        writeln!(out, "{b}Other pairs in the traces{b:#} (not judged)", b = bold())?;
        for c in &view.context {
            let ps = status_style(c.status);
            wrap(
                out,
                &format!("{ps}{:<8}{ps:#} {}: {}", c.status.as_str().to_uppercase(), clean(&c.title), clean(&c.state)),
                2,
                11,
            )?;
        }
    }
    if !parts.certificates.is_empty() {
        writeln!(out)?;
        write_certificates(out, &parts.certificates)?;
    }
    for p in &a.pairs {
        if let Some(act) = &p.activity {
            wrap(
                out,
                &format!("activity {}: {}", clean(&super::view::pair_title(p)), clean(&activity_text(act))),
                0,
                2,
            )?;
        }
    }
    write_attempts(out, a)?;
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
        writeln!(out, "{w}Notes{w:#}")?;
        for warning in &a.warnings {
            wrap(out, &format!("- {}", clean(warning)), 2, 4)?;
        }
    }
    Ok(())
}

/// Every attempt, grouped by runs: a run of the same failure shows its first and last attempt in
/// full and the ones between as one line.
fn write_attempts(out: &mut dyn Write, a: &Analysis) -> io::Result<()> {
    for p in &a.pairs {
        let list: Vec<&Attempt> = a.attempts.iter().filter(|x| x.hub == p.hub && x.spoke == p.spoke).collect();
        for r in &p.runs {
            let run: Vec<&&Attempt> = list.iter().filter(|x| x.id >= r.first && x.id <= r.last).collect();
            let between: Vec<usize> = run.iter().map(|x| x.id).filter(|&id| id != r.first && id != r.last).collect();
            for x in run.iter().filter(|x| x.id == r.first || x.id == r.last) {
                writeln!(out)?;
                write_attempt(out, x)?;
                if x.id == r.first && !between.is_empty() {
                    writeln!(out)?;
                    wrap(
                        out,
                        &format!(
                            "{d}Attempts #{} to #{}: {} more, the same as #{} (same outcome, cause and method){d:#}",
                            between.first().copied().unwrap_or(0),
                            between.last().copied().unwrap_or(0),
                            between.len(),
                            r.first,
                            d = dim()
                        ),
                        0,
                        2,
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// `1204 routine ILS line(s), 09:00:01.000 .. 09:59:58.000` (the kinds, by catalog entry, are in
/// the JSON).
pub fn activity_text(act: &Activity) -> String {
    format!(
        "{} routine ILS line(s), {} .. {}",
        act.count,
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
            a.method_candidates.iter().map(|m| m.title()).collect::<Vec<_>>().join(", ")
        ),
    };
    writeln!(out, "  {d}method{d:#}    {method}", d = dim())?;
    if let Some(c) = a.root_cause {
        writeln!(out, "  {d}cause{d:#}     {}", c.words(), d = dim())?;
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
