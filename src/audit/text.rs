//! The audit for a person: the summary line, what changed, then per network its links and the
//! clusters with findings or errors. Text from remote hosts is cleaned of control characters
//! (a trace or a CLI answer must not drive the terminal).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::model::{AuditReport, ChangeKind};
use crate::analyze::Status;
use crate::untrusted::clean;

fn style(s: Status) -> Style {
    let c = match s {
        Status::Ok => AnsiColor::Green,
        Status::Warning => AnsiColor::Yellow,
        Status::Critical => AnsiColor::Red,
        Status::Unknown => AnsiColor::Magenta,
    };
    Style::new().fg_color(Some(c.into())).bold()
}

fn tag(s: Status) -> String {
    let st = style(s);
    format!("{st}{:<8}{st:#}", s.as_str().to_uppercase())
}

pub fn write(out: &mut dyn Write, r: &AuditReport) -> io::Result<()> {
    writeln!(out, "{}", clean(&r.summary))?;
    writeln!(
        out,
        "{} audit, {} s, traces of the last {} s; ils-doctor {}",
        r.depth.as_str(),
        r.duration_ms / 1000,
        r.since_s,
        r.tool_version
    )?;
    if !r.changes.is_empty() {
        writeln!(out, "\nChanges since the previous run:")?;
        for c in &r.changes {
            let word = match c.kind {
                ChangeKind::NewFailure => "new failure",
                ChangeKind::Recovery => "recovered",
                ChangeKind::NewUnknown => "unknown",
                ChangeKind::CertificateExpiring => "certificate",
                ChangeKind::Flapping => "flapping",
            };
            writeln!(out, "  {word:<12} {}/{}: {}", clean(&c.network), clean(&c.subject), clean(&c.message))?;
        }
    }
    let mut networks: Vec<&str> = r.clusters.iter().map(|c| c.network.as_str()).collect();
    networks.dedup();
    for n in networks {
        writeln!(out, "\nNetwork {}", clean(n))?;
        for p in r.pairs.iter().filter(|p| p.network == n) {
            writeln!(out, "  {} {}", tag(p.status), clean(&p.summary))?;
        }
        for c in r.clusters.iter().filter(|c| c.network == n) {
            if let Some(e) = &c.error {
                writeln!(out, "  {} {} ({}): {}", tag(c.status), clean(&c.name), clean(&c.host), clean(e))?;
            }
            for f in &c.findings {
                writeln!(out, "  {} {}: {}", tag(f.severity), clean(&c.name), clean(&f.message))?;
                if !f.fix.is_empty() {
                    writeln!(out, "           fix: {}", clean(&f.fix))?;
                }
            }
        }
    }
    Ok(())
}
