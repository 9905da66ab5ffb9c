//! `ils-doctor history`: the trend per cluster and link from the audit history.

use std::io::{self, Write};

use anyhow::Context;

use super::shared::duration;
use crate::audit::history::{History, TrendRow};
use crate::audit::paths::default_history;
use crate::cli::HistoryArgs;
use crate::pipeline::output;
use crate::report::Format;

pub fn run(args: HistoryArgs) -> anyhow::Result<u8> {
    let path = args.history.clone().unwrap_or_else(default_history);
    let rows = trend(&path, args.cluster.as_deref(), args.since.as_deref())?;
    match args.format {
        Format::Json => output::emit(None, |out| {
            serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
            writeln!(out)
        })?,
        _ => output::emit(None, |out| write_trend(out, &rows))?,
    }
    Ok(0)
}

/// The recorded runs of each cluster and link, since a time if given.
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
            let d = duration(s, "--since")?;
            // A span reaching before the calendar's start is no limit.
            chrono::Utc::now().checked_sub_signed(chrono::Duration::from_std(d).unwrap_or_default())
        }
        None => None,
    };
    History::open(history_path).and_then(|h| h.trend(cluster, since)).context("history")
}

/// The trend as text: one block per subject, its runs oldest first, and the state changes.
pub fn write_trend(out: &mut dyn Write, rows: &[TrendRow]) -> io::Result<()> {
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
