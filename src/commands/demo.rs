//! `ils-doctor demo`: a live session against embedded mock publishers, with no set-up.

use std::io::{self, Write};

use anyhow::Context;

use super::shared::{self, runtime};
use crate::cli::DemoArgs;
use crate::pipeline::{mock_pair, signals};
use crate::report::Format;

pub fn run(args: DemoArgs) -> anyhow::Result<u8> {
    if args.list {
        let mut out = io::stdout().lock();
        for (name, description) in mock_pair::scenarios() {
            if writeln!(out, "{name:<28} {description}").is_err() {
                break;
            }
        }
        return Ok(0);
    }
    // The run's folder: kept where the user says (the report cites its traces), else temporary.
    let (work, temporary) = match &args.keep {
        Some(dir) => {
            let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(true);
            if !empty {
                anyhow::bail!("demo --keep {}: the folder is not empty; give a new or empty folder", dir.display());
            }
            std::fs::create_dir_all(dir).with_context(|| format!("demo --keep {}: cannot create it", dir.display()))?;
            (dir.clone(), None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("ils-doctor-demo-")
                .tempdir()
                .context("demo: cannot create a work folder")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let scenario = args.name.as_deref().or(args.scenario.as_deref()).unwrap_or(mock_pair::DEFAULT_SCENARIO);
    let _ = writeln!(
        io::stderr(),
        "ils-doctor demo: scenario {scenario} on mock publishers (loopback); work folder {}",
        work.display()
    );
    let mut outcome = runtime()?
        .block_on(async {
            let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
            anyhow::Ok(mock_pair::run(scenario, &work, true, signals::wait(sig)).await?)
        })
        .context("demo")?;
    if temporary.is_some() {
        // The folder goes at the end: the report cites the traces relative to it, not by a path
        // that will not exist.
        relative_to(&mut outcome, &work);
    }
    let code = shared::report(&args.out, &outcome)?;
    if args.out.format == Format::Text {
        let kept = match &args.keep {
            Some(dir) => format!("the traces it cites are in {}", dir.display()),
            None => "the traces it cites were in a temporary folder, removed now; --keep DIR keeps them".into(),
        };
        let _ = writeln!(
            io::stderr(),
            "\n(exit code {code}: 0 ok, 1 warning, 2 critical, 3 unknown; {kept}; `ils-doctor demo --list` shows other scenarios)"
        );
    }
    drop(temporary);
    Ok(code)
}

/// Paths under the demo's temporary folder, relative to it (`traces/hub-.../SDL...`).
fn relative_to(o: &mut crate::pipeline::session::Outcome, work: &std::path::Path) {
    let prefix = format!("{}/", work.display());
    let strip = |p: &mut String| {
        if let Some(rest) = p.strip_prefix(&prefix) {
            *p = rest.to_string();
        }
    };
    for a in &mut o.analysis.attempts {
        for e in &mut a.evidence {
            strip(&mut e.file);
        }
    }
    for f in &mut o.analysis.files {
        strip(&mut f.path);
    }
    strip(&mut o.download_dir);
}
