//! `ils-doctor history`: the trend per cluster and link from the audit history.

use std::io::{self, Write};

use anyhow::Context;

use super::shared::duration;
use crate::audit::history::{History, TrendRow};
use crate::audit::page;
use crate::audit::paths::default_history;
use crate::cli::HistoryArgs;
use crate::pipeline::output;
use crate::report::Format;

pub fn run(args: HistoryArgs) -> anyhow::Result<u8> {
    let path = args.history.clone().unwrap_or_else(default_history);
    let out_path = args.output.as_deref();
    if let Some(kind) = match args.format {
        Format::Html => Some(page::Kind::Html),
        Format::Markdown => Some(page::Kind::Markdown),
        _ => None,
    } {
        let t = trends(&path, args.cluster.as_deref(), args.since.as_deref())?;
        let text = page::render_history(kind, &t)?;
        output::emit(out_path, |out| out.write_all(text.as_bytes()))?;
        return Ok(0);
    }
    let rows = trend(&path, args.cluster.as_deref(), args.since.as_deref())?;
    match args.format {
        Format::Json => output::emit(out_path, |out| {
            serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
            writeln!(out)
        })?,
        _ => output::emit(out_path, |out| write_trend(out, &rows))?,
    }
    Ok(0)
}

/// The sparklines and failing-link counts of the last runs (`trends::RUNS`).
pub fn trends(
    history_path: &std::path::Path,
    cluster: Option<&str>,
    since: Option<&str>,
) -> anyhow::Result<crate::audit::trends::Trends> {
    let h = open(history_path)?;
    let since = since_time(since)?;
    crate::audit::trends::load_filtered(&h, crate::audit::trends::RUNS, cluster, since).context("history")
}

fn open(history_path: &std::path::Path) -> anyhow::Result<History> {
    if !history_path.exists() {
        anyhow::bail!(
            "no history at {}: run `ils-doctor audit --inventory FILE` first (or pass --history FILE)",
            history_path.display()
        );
    }
    History::open(history_path).context("history")
}

fn since_time(since: Option<&str>) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(match since {
        Some(s) => {
            let d = duration(s, "--since")?;
            // A span reaching before the calendar's start is no limit.
            chrono::Utc::now().checked_sub_signed(chrono::Duration::from_std(d).unwrap_or_default())
        }
        None => None,
    })
}

/// The recorded runs of each cluster and link, since a time if given.
pub fn trend(
    history_path: &std::path::Path,
    cluster: Option<&str>,
    since: Option<&str>,
) -> anyhow::Result<Vec<TrendRow>> {
    let since = since_time(since)?;
    open(history_path)?.trend(cluster, since).context("history")
}

/// The trend as text: one block per subject, its runs oldest first, and the state changes.
pub fn write_trend(out: &mut dyn Write, rows: &[TrendRow]) -> io::Result<()> {
    use crate::untrusted::clean;
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
