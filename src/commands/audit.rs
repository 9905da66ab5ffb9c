//! `ils-doctor audit` and `ils-doctor history`: from the command line to an audit run, its
//! history and its output formats.

use std::path::PathBuf;

use anyhow::Context;
use tokio::sync::watch;

use crate::audit::history::{History, TrendRow};
use crate::audit::model::{AuditReport, Depth};
use crate::audit::run::{self, DeepOptions, Request};
use crate::audit::{changes, inventory, junit, prometheus};
use crate::cli::{AuditArgs, AuditFormat};
use crate::commands::live::{self, ConnOptions};

fn xdg(var: &str, fallback: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))
        .unwrap_or_else(std::env::temp_dir)
        .join("ils-doctor")
}

/// `$XDG_DATA_HOME/ils-doctor/history.sqlite` (`~/.local/share/...`).
pub fn default_history() -> PathBuf {
    xdg("XDG_DATA_HOME", ".local/share").join("history.sqlite")
}

/// `$XDG_CACHE_HOME/ils-doctor/audit` (`~/.cache/...`): downloaded traces, reused between runs.
pub fn default_cache() -> PathBuf {
    xdg("XDG_CACHE_HOME", ".cache").join("audit")
}

/// The validated request.
pub fn request(args: &AuditArgs, conn: ConnOptions) -> anyhow::Result<Request> {
    let inventory = inventory::load(&args.inventory)?;
    let dur =
        |s: &str, flag: &str| live::parse_duration(s).map_err(anyhow::Error::msg).with_context(|| flag.to_string());
    Ok(Request {
        inventory,
        depth: if args.deep { Depth::Deep } else { Depth::Light },
        since: dur(&args.since, "--since")?,
        jobs: usize::from(args.jobs),
        host_timeout: dur(&args.host_timeout, "--host-timeout")?,
        conn,
        cache: args.cache_dir.clone().unwrap_or_else(default_cache),
        progress: true,
        deep: DeepOptions {
            capture: dur(&args.capture, "--capture")?,
            max_raised: usize::from(args.max_raised),
            // The same journal `check` writes and `restore` reads: a killed deep audit is restored
            // by `ils-doctor restore` or the next run.
            journal: args.journal.clone().unwrap_or_else(crate::collect::trace_level::default_journal_path),
            force_registration: args.force_registration,
        },
        catalog: std::sync::Arc::new(crate::commands::analyze::load_catalog(args.signatures.as_ref())?),
    })
}

/// Runs the audit; `cancel` turning true (Ctrl-C, SIGTERM) stops it cleanly.
pub async fn execute(req: &Request, cancel: watch::Receiver<bool>) -> anyhow::Result<AuditReport> {
    run::run(req, cancel).await.context("audit")
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

/// `ils-doctor history`: the trend per cluster and link.
pub fn trend(
    history_path: &std::path::Path,
    cluster: Option<&str>,
    since: Option<&str>,
) -> anyhow::Result<Vec<TrendRow>> {
    if !history_path.exists() {
        anyhow::bail!(
            "no history at {}: run `ils-doctor audit --inventory FILE` first (or pass --history FILE)",
            history_path.display()
        );
    }
    let since = match since {
        Some(s) => {
            let d = live::parse_duration(s).map_err(anyhow::Error::msg).context("--since")?;
            Some(chrono::Utc::now() - chrono::Duration::from_std(d).unwrap_or_default())
        }
        None => None,
    };
    Ok(History::open(history_path)?.trend(cluster, since)?)
}

/// The trend as text: one block per subject, its runs oldest first, and the state changes.
pub fn write_trend(out: &mut dyn std::io::Write, rows: &[TrendRow]) -> std::io::Result<()> {
    use crate::report::terminal::clean;
    if rows.is_empty() {
        return writeln!(out, "no recorded run matches");
    }
    let mut last: Option<(&str, &str)> = None;
    for r in rows {
        if last != Some((r.network.as_str(), r.subject.as_str())) {
            writeln!(out, "\n{} {}/{}", r.kind, clean(&r.network), clean(&r.subject))?;
            last = Some((r.network.as_str(), r.subject.as_str()));
        }
        writeln!(out, "  {}  {:<8} {}", r.started, r.status.as_str(), clean(&r.detail))?;
    }
    Ok(())
}

/// The report in the chosen format.
pub fn render(format: AuditFormat, r: &AuditReport) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        AuditFormat::Text => crate::audit::text::write(&mut out, r)?,
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut out, r)?;
            out.push(b'\n');
        }
        AuditFormat::Summary => {
            out.extend_from_slice(crate::report::terminal::clean(&r.summary).as_bytes());
            out.push(b'\n');
        }
        AuditFormat::Junit => out.extend_from_slice(junit::render(r).as_bytes()),
        AuditFormat::Prometheus => out.extend_from_slice(prometheus::render(r).as_bytes()),
    }
    Ok(out)
}
