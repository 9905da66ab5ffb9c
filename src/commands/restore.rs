//! `ils-doctor restore`: put back the ILS trace levels a run left raised, from the journal.

use std::io::{self, Write};
use std::time::Duration;

use anyhow::Context;

use super::shared::{conn_options, runtime};
use crate::cli::RestoreArgs;
use crate::collect::trace_level::Entry;
use crate::collect::trace_level::{self, Journal};
use crate::connect::soap::{HttpsTarget, SoapClient};
use crate::connect::tls::TlsMode;
use crate::credentials::{self, Kind};
use crate::exit::{say, shown, UNKNOWN};
use crate::parse::levels;
use crate::pipeline::live::ConnOptions;
use crate::pipeline::{session, signals};
use crate::secret::Secret;

/// The user, password and HTTPS trust for one entry: what the run that raised it used (the
/// journal keeps the user, the credential reference and the pin, never the password), else
/// the command line's. An explicit `--pin`, `--ca-file` or `--insecure` for the host wins over
/// the journalled pin.
fn reach(opts: &ConnOptions, entry: &Entry) -> anyhow::Result<(String, Secret, TlsMode)> {
    let Some(r) = &entry.reach else {
        return Ok(opts.app_access(&entry.host, entry.https_port)?);
    };
    let password = credentials::by_reference(&r.app_credential, Kind::App, &entry.host)?;
    let tls = match (opts.tls_for(&entry.host, entry.https_port)?, &r.tls_pin) {
        (TlsMode::Verify { extra_roots_pem: None }, Some(pin)) => TlsMode::Pin(pin.clone()),
        (chosen, _) => chosen,
    };
    Ok((r.app_user.clone(), password, tls))
}

/// Puts back every level no live run holds, from the journal. Needs only what restoring uses:
/// the application user (AXL) and the HTTPS trust, never the SSH password. A signal lets the
/// entry being written finish, then stops (the rest stays in the journal).
pub fn run(args: RestoreArgs) -> anyhow::Result<u8> {
    let opts = conn_options(&args.conn, args.redact)?;
    let path = args.journal.unwrap_or_else(trace_level::default_journal_path);
    let journal = Journal::load(&path)?;
    if journal.entries.is_empty() {
        let _ = writeln!(io::stdout(), "nothing to restore: the journal {} is empty", path.display());
        return Ok(0);
    }
    let rt = runtime()?;
    let code = rt.block_on(async {
        let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
        let mut failed: usize = 0;
        for (key, entry) in journal.entries {
            if *sig.borrow() {
                // Between two entries: the one being written was finished.
                let left = Journal::load(&path).map(|j| j.entries.len()).unwrap_or_default();
                say(&format!(
                    "ils-doctor: interrupted: {left} entr(ies) left in {} for the next `ils-doctor restore`",
                    path.display()
                ));
                failed = failed.saturating_add(1);
                break;
            }
            if entry.held_by_live_run() {
                say(&format!(
                    "ils-doctor: {key}: held by a running ils-doctor (pid {}), which restores it itself; not touched",
                    entry.owner.as_ref().map_or(0, |o| o.pid)
                ));
                continue;
            }
            let (user, password, tls) = reach(&opts, &entry)?;
            let client = SoapClient::new(&HttpsTarget {
                host: entry.host.clone(),
                port: entry.https_port,
                user,
                password,
                tls,
                connect_timeout: Duration::from_secs(10),
                request_timeout: opts.command_timeout,
            })?
            .with_recorder(opts.record.as_ref().map(|r| {
                r.note_host(&entry.host, "host");
                r.publisher(&entry.host, 0, entry.https_port)
            }));
            let put_back = trace_level::restore_with(
                &client,
                &entry.host,
                entry.https_port,
                &path,
                trace_level::Whose::Leftover,
            );
            match tokio::time::timeout(session::RESTORE_LIMIT, put_back).await {
                Ok(Ok(Some(orig))) => {
                    // The level by name and number, as the publisher names it (`Significant
                    // (15)`), as check says it (docs/cucm-notes.md#trace-level).
                    let names = tokio::time::timeout(session::RESTORE_LIMIT, trace_level::level_names(&client))
                        .await
                        .unwrap_or_default();
                    let level = levels::describe(&orig.trace_level, &names);
                    // Both came from a file and a publisher: escaped and cut.
                    let _ = writeln!(io::stdout(), "{}", shown(&format!("{key}: ILS trace level restored to {level}")));
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => {
                    failed = failed.saturating_add(1);
                    say(&format!("ils-doctor: error: {key}: {e}"));
                }
                Err(_) => {
                    failed = failed.saturating_add(1);
                    say(&format!(
                        "ils-doctor: error: {key}: no answer within {} s; the journal keeps the entry, run `ils-doctor restore` again",
                        session::RESTORE_LIMIT.as_secs()
                    ));
                }
            }
        }
        anyhow::Ok(if failed == 0 { 0 } else { UNKNOWN })
    });
    if let Some(rec) = &opts.record {
        crate::pipeline::record::finish(rec, None)?;
    }
    code
}
