//! `ils-doctor collect`: a live session written as one support bundle.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::shared::{self, accesses, duration, runtime};
use crate::bundle::ArchiveFormat;
use crate::cli::{CollectArgs, OutputArgs};
use crate::collect::trace_level;
use crate::exit::say;
use crate::pipeline::{catalog, session, signals, support_bundle};

pub fn run(args: CollectArgs) -> anyhow::Result<u8> {
    let shared::Targets { mut hubs, mut spokes, method, record } =
        accesses(&args.conn, args.redact, &args.cluster, &args.config, &args.hub, &args.spoke)?;
    // The bundle always carries the transcript (`transcript/`); `--record DIR` keeps a copy.
    let record_dir = record.is_some();
    let record = record.unwrap_or_else(|| crate::connect::record::Recording::beside(&args.output, args.redact, false));
    for a in hubs.iter_mut().chain(spokes.iter_mut()) {
        a.record = Some(record.clone());
    }
    let check = session::Request {
        hubs,
        spokes,
        capture: duration(&args.capture, "--capture")?,
        since: duration(&args.since, "--since")?,
        keep_trace_level: false,
        detailed_value: args.detailed_value.map(|v| v.to_string()),
        force_registration: args.force_registration,
        start_stopped: args.start_stopped,
        method: args.method.or(method),
        download_dir: shared::download_dir(args.download_dir),
        journal: args.journal.unwrap_or_else(trace_level::default_journal_path),
        progress: true,
        poll: Duration::from_secs(10),
        catalog: Arc::new(catalog::load_catalog(args.signatures.as_ref())?),
        preflight_only: false,
    };
    let req = support_bundle::Request {
        check,
        format: args.archive.unwrap_or_else(|| ArchiveFormat::for_path(&args.output)),
        output: args.output,
        redact: args.redact,
        record: Some(record),
        record_dir,
        command_line: std::env::args().collect(),
    };
    let started = Instant::now();
    let done = runtime()?
        .block_on(async {
            let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
            anyhow::Ok(support_bundle::run(&req, signals::wait(sig)).await?)
        })
        .context("collect: no bundle")?;
    let out = OutputArgs { format: args.format, output: None, template: None, verbose: false };
    let code = shared::report(&out, &done.live)?;
    say(&format!(
        "ils-doctor: bundle {} written: {} files, {} bytes, in {:.1} s; the receiver runs `ils-doctor analyze {}`",
        done.bundle.display(),
        done.files,
        done.bytes,
        started.elapsed().as_secs_f64(),
        done.bundle.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    if let Some(m) = &done.mapping {
        say(&format!("ils-doctor: the pseudonym mapping is in {} (0600): keep it, do not send it", m.display()));
    }
    Ok(code)
}
