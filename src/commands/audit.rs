//! `ils-doctor audit`: many clusters from an inventory, compared with the history, rendered for
//! people and monitoring systems.

use std::sync::Arc;

use anyhow::Context;

use super::shared::{conn_options, duration, runtime};
use crate::audit::discover::{self, credentials::Credentials, resolve::Resolver};
use crate::audit::history::History;
use crate::audit::model::{AuditReport, Depth};
use crate::audit::paths::{default_cache, default_history};
use crate::audit::run::{self as audit_run, DeepOptions, Request};
use crate::audit::{changes, inventory, junit, page, prometheus, trends};
use crate::cli::{AuditArgs, AuditFormat};
use crate::exit::say;
use crate::pipeline::live::ConnOptions;
use crate::pipeline::{catalog, output, signals};

pub fn run(args: AuditArgs) -> anyhow::Result<u8> {
    let conn = conn_options(&args.conn, args.redact)?;
    let record = conn.record.clone();
    let rt = runtime()?;
    let inventory = match &args.inventory {
        Some(path) => inventory::load(path)?,
        None => rt.block_on(discovered(&args, conn.clone()))?,
    };
    let req = request(&args, conn, inventory)?;
    let report = rt.block_on(async {
        let rx = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
        audit_run::run(&req, rx).await.context("audit")
    });
    if let Some(rec) = &record {
        crate::pipeline::record::finish(rec, None)?;
    }
    let mut report = report?;
    let mut trends = None;
    if !args.no_history {
        let path = args.history.clone().unwrap_or_else(default_history);
        // The verdict stands without the history: say so, do not fail the audit.
        if let Err(e) = remember(&path, &mut report) {
            say(&format!("ils-doctor: warning: history {}: {e:#}", path.display()));
        } else if matches!(args.format, AuditFormat::Html | AuditFormat::Markdown) {
            match History::open(&path).and_then(|h| trends::load(&h, trends::RUNS)) {
                Ok(t) => trends = Some(t),
                Err(e) => say(&format!("ils-doctor: warning: history {}: trends: {e:#}", path.display())),
            }
        }
    }
    let bytes = render_with(args.format, &report, trends.as_ref())?;
    output::emit(args.output.as_deref(), |out| out.write_all(&bytes))?;
    if args.summary {
        say(&report.summary);
    }
    Ok(report.exit_code)
}

/// `--discover`: the networks found from the start hosts, written with `--write-inventory`,
/// and parsed back as the audit's inventory (so the file and the audit agree).
async fn discovered(args: &AuditArgs, conn: ConnOptions) -> anyhow::Result<inventory::Inventory> {
    let credentials = match &args.discover_credentials {
        Some(path) => Credentials::load(path)?,
        None => Credentials::default(),
    }
    .with_users(&conn.admin_user, &conn.app_user);
    let opts = discover::Options {
        starts: args.discover.clone(),
        depth: usize::from(args.discover_depth),
        max: usize::from(args.discover_max),
        resolver: Resolver::new(&args.resolve, args.discover_follow_names)?,
        credentials,
        conn: conn.clone(),
        jobs: usize::from(args.jobs),
        host_timeout: duration(&args.host_timeout, "--host-timeout")?,
    };
    let found = discover::discover(&opts).await;
    say(&crate::untrusted::clean(&found.summary()));
    let text = found.inventory_text();
    if let Some(path) = &args.write_inventory {
        output::emit(Some(path), |out| out.write_all(text.as_bytes()))
            .with_context(|| format!("--write-inventory {}", path.display()))?;
    }
    let mut inv = inventory::parse(&text, "the discovered inventory").map_err(|e| {
        anyhow::anyhow!("{e}; discovery found nothing to audit (see the messages above), or give --inventory FILE")
    })?;
    for c in inv.networks.iter_mut().flat_map(|n| n.clusters.iter_mut()) {
        c.discovered = !found.is_start(c, &conn);
    }
    Ok(inv)
}

/// The validated request.
pub fn request(args: &AuditArgs, conn: ConnOptions, inventory: inventory::Inventory) -> anyhow::Result<Request> {
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
    render_with(format, r, None)
}

/// The report in the chosen format; HTML and Markdown show the trends when given.
pub fn render_with(format: AuditFormat, r: &AuditReport, t: Option<&trends::Trends>) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        AuditFormat::Text => crate::audit::text::write(&mut out, r)?,
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &r.document())?;
            out.push(b'\n');
        }
        AuditFormat::Summary => {
            out.extend_from_slice(crate::untrusted::clean(&r.summary).as_bytes());
            out.push(b'\n');
        }
        AuditFormat::Junit => out.extend_from_slice(junit::render(r).as_bytes()),
        AuditFormat::Prometheus => out.extend_from_slice(prometheus::render(r).as_bytes()),
        AuditFormat::Html => out.extend_from_slice(page::render_with(page::Kind::Html, r, t)?.as_bytes()),
        AuditFormat::Markdown => out.extend_from_slice(page::render_with(page::Kind::Markdown, r, t)?.as_bytes()),
    }
    Ok(out)
}
