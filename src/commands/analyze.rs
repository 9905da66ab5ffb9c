//! `ils-doctor analyze`: SDL traces on disk, an RTMT download or a support bundle, diagnosed.

use anyhow::Context;

use super::shared::{self, now};
use crate::cli::AnalyzeArgs;
use crate::exit::say;
use crate::pipeline::offline::{self, Request};
use crate::pipeline::{output, render};

pub fn run(args: AnalyzeArgs) -> anyhow::Result<u8> {
    let request = Request {
        hub: args.hub,
        spoke: args.spoke,
        from: args.from,
        to: args.to,
        signatures: args.signatures,
        method: args.method,
        jobs: args.jobs.map(usize::from),
        inputs: args.inputs,
    };
    let offline = offline::run_offline(&request).context("analyze: no verdict")?;
    for note in &offline.notes {
        say(&format!("ils-doctor: {note}"));
    }
    if let Some(outcome) = &offline.bundle {
        return shared::report(&args.out, outcome);
    }
    let analysis = offline.analysis;
    let bytes = render::render(
        args.out.format,
        &analysis,
        Default::default(),
        &analysis,
        args.out.template.as_deref(),
        now(),
        args.out.verbose,
    )
    .context("analyze: report")?;
    output::emit(args.out.output.as_deref(), |out| out.write_all(&bytes))?;
    Ok(analysis.exit_code)
}
