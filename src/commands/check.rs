//! `ils-doctor check`: a live session with the hub and its spokes, reported.

use std::sync::Arc;

use anyhow::Context;

use super::shared::{self, accesses, duration, runtime};
use crate::cli::CheckArgs;
use crate::collect::trace_level;
use crate::pipeline::{catalog, session, signals};

pub fn run(args: CheckArgs) -> anyhow::Result<u8> {
    let shared::Targets { hubs, spokes, method, record } =
        accesses(&args.conn, args.redact, &args.cluster, &args.config, &args.hub, &args.spoke)?;
    let req = session::Request {
        hubs,
        spokes,
        capture: duration(&args.capture, "--capture")?,
        since: duration(&args.since, "--since")?,
        keep_trace_level: args.keep_trace_level,
        detailed_value: args.detailed_value.map(|v| v.to_string()),
        force_registration: args.force_registration,
        start_stopped: args.start_stopped,
        method: args.method.or(method),
        download_dir: shared::download_dir(args.download_dir),
        journal: args.journal.unwrap_or_else(trace_level::default_journal_path),
        progress: true,
        poll: duration(&args.poll, "--poll")?,
        catalog: Arc::new(catalog::load_catalog(args.signatures.as_ref())?),
        preflight_only: args.preflight,
    };
    let outcome = runtime()?.block_on(async {
        let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
        anyhow::Ok(session::run(&req, signals::wait(sig)).await?)
    });
    // What a failed run recorded is worth keeping too: it shows where it failed.
    if let Some(rec) = &record {
        crate::pipeline::record::finish(rec, None)?;
    }
    shared::report(&args.out, &outcome.context("check: no verdict")?)
}
