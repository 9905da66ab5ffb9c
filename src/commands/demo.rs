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
    let work =
        tempfile::Builder::new().prefix("ils-doctor-demo-").tempdir().context("demo: cannot create a work folder")?;
    let _ = writeln!(
        io::stderr(),
        "ils-doctor demo: scenario {} on mock publishers (loopback); work folder {}",
        args.scenario,
        work.path().display()
    );
    let outcome = runtime()?
        .block_on(async {
            let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
            anyhow::Ok(mock_pair::run(&args.scenario, work.path(), true, signals::wait(sig)).await?)
        })
        .context("demo")?;
    let code = shared::report(&args.out, &outcome)?;
    if args.out.format == Format::Text {
        let _ = writeln!(
            io::stderr(),
            "\n(exit code {code}: 0 ok, 1 warning, 2 critical, 3 unknown; `ils-doctor demo --list` shows other scenarios)"
        );
    }
    Ok(code)
}
