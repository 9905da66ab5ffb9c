//! `ils-doctor transcript summarize DIR`: what a `--record` folder shows.

use std::io::{self, Write};

use crate::cli::{TranscriptAction, TranscriptArgs};
use crate::pipeline::transcript::{self, RecordSummary};
use crate::pipeline::{catalog, output};
use crate::report::Format;
use crate::untrusted::clean;

pub fn run(args: TranscriptArgs) -> anyhow::Result<u8> {
    match args.action {
        TranscriptAction::Summarize(a) => {
            let catalog = catalog::load_catalog(a.signatures.as_ref())?;
            let summary = transcript::summarize(&a.dir, &catalog)?;
            output::emit(None, |out| match a.format {
                Format::Json => {
                    let mut text = serde_json::to_vec_pretty(&summary).unwrap_or_default();
                    text.push(b'\n');
                    out.write_all(&text)
                }
                _ => write_text(out, &summary),
            })?;
            Ok(0)
        }
    }
}

/// Record text is untrusted: every value goes through `clean` (control characters escaped).
fn write_text(out: &mut dyn Write, s: &RecordSummary) -> io::Result<()> {
    writeln!(out, "Record {}: {} transcript(s), {} trace file(s)", clean(&s.dir), s.transcripts.len(), s.trace_files)?;
    for (file, t) in &s.transcripts {
        writeln!(out)?;
        writeln!(
            out,
            "{} ({}){}{}",
            clean(t.publisher.as_deref().unwrap_or("?")),
            clean(t.role.as_deref().unwrap_or("role not recorded")),
            t.cucm_version.as_deref().map(|v| format!(", CUCM {}", clean(v))).unwrap_or_default(),
            if t.synthetic == Some(true) { ", synthetic" } else { "" }
        )?;
        writeln!(out, "  file {}", clean(file))?;
        for ssh in &t.ssh {
            writeln!(
                out,
                "  SSH {}: agreed {}",
                clean(ssh.server_id.as_deref().unwrap_or("?")),
                clean(&ssh.agreed.to_string())
            )?;
            if !ssh.server_offer.is_null() {
                writeln!(out, "      server offer {}", clean(&ssh.server_offer.to_string()))?;
            }
        }
        for ms in &t.cli_start_ms {
            writeln!(out, "  CLI start {ms} ms")?;
        }
        for c in t.commands.iter().chain(&t.requests) {
            writeln!(
                out,
                "  {:<44} x{:<4} median {:>6} ms  (min {}, max {})",
                clean(&c.what),
                c.count,
                c.median_ms,
                c.min_ms,
                c.max_ms
            )?;
        }
        for v in &t.version_lines {
            writeln!(out, "  version line: {}", clean(v))?;
        }
        for v in &t.sync_status {
            writeln!(out, "  ILS synchronization status: {}", clean(v))?;
        }
        if !t.level_names.is_empty() {
            let names: Vec<String> =
                t.level_names.iter().map(|(n, v)| format!("{} = {}", clean(n), clean(v))).collect();
            writeln!(out, "  trace level names: {}", names.join(", "))?;
        }
        if !t.trace_levels.is_empty() {
            writeln!(out, "  trace level values: {}", clean(&t.trace_levels.join(", ")))?;
        }
        for f in &t.faults {
            writeln!(out, "  SOAP fault: {}", clean(f))?;
        }
        if t.unreadable_lines > 0 {
            writeln!(out, "  {} damaged line(s) skipped", t.unreadable_lines)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "ILS lines the signature catalog does not know ({} ILS line(s) read):", s.ils_lines)?;
    for sh in &s.unknown_lines {
        writeln!(out, "  {:>6}x {}", sh.count, clean(&sh.shape))?;
        writeln!(out, "          e.g. {}", clean(&sh.example))?;
    }
    writeln!(out)?;
    writeln!(out, "What this record settles:")?;
    for l in &s.settles {
        writeln!(out, "  - {}", clean(l))?;
    }
    for p in &s.problems {
        writeln!(out, "  ! {}", clean(p))?;
    }
    Ok(())
}
