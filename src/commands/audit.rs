//! `ils-doctor audit` and `ils-doctor history`: from the command line to an audit run, its
//! history and its output formats.

use std::path::PathBuf;

use anyhow::Context;
use tokio::sync::watch;

use crate::audit::inventory;
use crate::audit::model::{AuditReport, Depth};
use crate::audit::run::{self, DeepOptions, Request};
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
            journal: args.journal.clone().unwrap_or_else(|| live::default_config_dir().join("journal.json")),
            force_registration: args.force_registration,
        },
    })
}

/// Runs the audit; `cancel` turning true (Ctrl-C, SIGTERM) stops it cleanly.
pub async fn execute(req: &Request, cancel: watch::Receiver<bool>) -> anyhow::Result<AuditReport> {
    run::run(req, cancel).await.context("audit")
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
        AuditFormat::Junit | AuditFormat::Prometheus => {
            anyhow::bail!("this output format is not built yet")
        }
    }
    Ok(out)
}
