//! `ils-doctor audit`: many clusters from an inventory, compared with the history, rendered for
//! people and monitoring systems.

use std::sync::Arc;

use anyhow::Context;

use super::shared::{conn_options, duration, runtime};
use crate::audit::history::History;
use crate::audit::model::{AuditReport, Depth};
use crate::audit::paths::{default_cache, default_history};
use crate::audit::run::{self as audit_run, DeepOptions, Request};
use crate::audit::{changes, inventory, junit, page, prometheus};
use crate::cli::{AuditArgs, AuditFormat};
use crate::exit::say;
use crate::pipeline::live::ConnOptions;
use crate::pipeline::{catalog, output, signals};

pub fn run(args: AuditArgs) -> anyhow::Result<u8> {
    let conn = conn_options(&args.conn, args.redact)?;
    let record = conn.record.clone();
    let req = request(&args, conn)?;
    let report = runtime()?.block_on(async {
        let rx = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
        audit_run::run(&req, rx).await.context("audit")
    });
    if let Some(rec) = &record {
        crate::pipeline::record::finish(rec, None)?;
    }
    let mut report = report?;
    if !args.no_history {
        let path = args.history.clone().unwrap_or_else(default_history);
        // The verdict stands without the history: say so, do not fail the audit.
        if let Err(e) = remember(&path, &mut report) {
            say(&format!("ils-doctor: warning: history {}: {e:#}", path.display()));
        }
    }
    let bytes = render(args.format, &report)?;
    output::emit(args.output.as_deref(), |out| out.write_all(&bytes))?;
    if args.summary {
        say(&report.summary);
    }
    Ok(report.exit_code)
}

/// The validated request.
pub fn request(args: &AuditArgs, conn: ConnOptions) -> anyhow::Result<Request> {
    let inventory = inventory::load(&args.inventory)?;
    Ok(Request {
        inventory,
        depth: if args.deep { Depth::Deep } else { Depth::Light },
        since: duration(&args.since, "--since")?,
        jobs: usize::from(args.jobs),
        host_timeout: duration(&args.host_timeout, "--host-timeout")?,
        conn,
        cache: args.cache_dir.clone().unwrap_or_else(default_cache),
        progress: true,
        deep: DeepOptions {
            capture: duration(&args.capture, "--capture")?,
            max_raised: usize::from(args.max_raised),
            // The same journal `check` writes and `restore` reads: a killed deep audit is restored
            // by `ils-doctor restore` or the next run.
            journal: args.journal.clone().unwrap_or_else(crate::collect::trace_level::default_journal_path),
            force_registration: args.force_registration,
        },
        catalog: Arc::new(catalog::load_catalog(args.signatures.as_ref())?),
    })
}

/// Compares with the history's previous run (the report's `changes`), then records this run.
pub fn remember(history_path: &std::path::Path, report: &mut AuditReport) -> anyhow::Result<()> {
    let mut h = History::open(history_path)?;
    let previous = h.latest_run()?;
    report.changes = changes::changes(
        previous.as_ref(),
        |network, subject, limit| h.recent_statuses(network, subject, limit).unwrap_or_default(),
        report,
    );
    h.record(report)?;
    Ok(())
}

/// The report in the chosen format.
pub fn render(format: AuditFormat, r: &AuditReport) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        AuditFormat::Text => crate::audit::text::write(&mut out, r)?,
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &r.document())?;
            out.push(b'\n');
        }
        AuditFormat::Summary => {
            out.extend_from_slice(crate::report::terminal::clean(&r.summary).as_bytes());
            out.push(b'\n');
        }
        AuditFormat::Junit => out.extend_from_slice(junit::render(r).as_bytes()),
        AuditFormat::Prometheus => out.extend_from_slice(prometheus::render(r).as_bytes()),
        AuditFormat::Html => out.extend_from_slice(page::render(page::Kind::Html, r)?.as_bytes()),
        AuditFormat::Markdown => out.extend_from_slice(page::render(page::Kind::Markdown, r)?.as_bytes()),
    }
    Ok(out)
}
