//! `ils-doctor undo`: take back what the last `join --apply` changed, from the join journal.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;

use super::shared::{confirm, conn_options, runtime};
use crate::cli::UndoArgs;
use crate::configure::journal::{self, Apply, Change, Reached};
use crate::connect::tls::TlsMode;
use crate::credentials::{self, Kind};
use crate::exit::{say, shown, UNKNOWN};
use crate::pipeline::live::{ConnOptions, HostSpec};
use crate::pipeline::signals;
use crate::pipeline::undo::{self, UndoRequest};

pub fn run(args: UndoArgs) -> anyhow::Result<u8> {
    let opts = conn_options(&args.conn, false)?;
    let path = args.journal.clone().unwrap_or_else(journal::default_path);
    let Some(apply) = undo::pending(&path)? else {
        let _ =
            writeln!(std::io::stdout(), "nothing to undo: the join journal {} records no change left", path.display());
        return Ok(0);
    };
    consent(&args, &apply)?;
    let hub = apply.publishers.first().map(|r| r.host.clone()).unwrap_or_default();
    let needs_password = apply.to_undo().any(|e| matches!(e.change, Change::IlsConfig { .. }));
    let ils_password = match (&apply.password_source, needs_password) {
        (Some(reference), true) => credentials::by_reference(reference, Kind::Ils, &hub).ok(),
        _ => None,
    };
    let previous_passwords: BTreeMap<String, crate::secret::Secret> = apply
        .publishers
        .iter()
        .filter_map(|r| credentials::previous_ils_password(&r.host).map(|p| (r.key.clone(), p)))
        .collect();
    let req = UndoRequest { journal: path, ils_password, previous_passwords, progress: true };
    let done = runtime()?.block_on(async {
        let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
        anyhow::Ok(undo::undo(&req, |r| reach(&opts, r), sig).await?)
    })?;
    let mut out = std::io::stdout();
    let head = if done.complete { "UNDONE" } else { "NOT COMPLETELY UNDONE" };
    let _ = writeln!(out, "{}", shown(&format!("{head}: {}", done.link)));
    for line in &done.undone {
        let _ = writeln!(out, "  undone: {}", shown(line));
    }
    for line in &done.kept {
        let _ = writeln!(out, "  not put back: {}", shown(line));
    }
    for line in &done.failed {
        let _ = writeln!(out, "  FAILED: {}", shown(line));
    }
    if let Some(rec) = &opts.record {
        crate::pipeline::record::finish(rec, None)?;
    }
    Ok(if done.complete { 0 } else { UNKNOWN })
}

/// A journalled publisher's access: its users, ports and pin from the journal, the passwords
/// from the environment, the keyring or a prompt, the rest from the command line.
fn reach(opts: &ConnOptions, r: &Reached) -> Result<crate::collect::publisher::Access, String> {
    let mut o = opts.clone();
    o.admin_user = r.admin_user.clone();
    o.app_user = r.app_user.clone();
    let spec = HostSpec { host: r.host.clone(), ssh_port: Some(r.ssh_port), https_port: Some(r.https_port) };
    let mut a = o.access(&spec).map_err(|e| format!("{}: {e}", r.name))?;
    if r.app_credential != "auto" {
        a.app_password = credentials::by_reference(&r.app_credential, Kind::App, &r.host).map_err(|e| e.to_string())?;
        a.app_credential = r.app_credential.clone();
    }
    if let (TlsMode::Verify { extra_roots_pem: None }, Some(pin)) = (&a.tls, &r.tls_pin) {
        a.tls = TlsMode::Pin(pin.clone());
    }
    Ok(a)
}

/// What undo will do, on standard error, and a question on the terminal (`--yes` skips it).
fn consent(args: &UndoArgs, apply: &Apply) -> anyhow::Result<()> {
    say(&format!("the last join: {} ({}, started {})", apply.link, apply.method.title(), apply.started));
    for e in apply.to_undo().collect::<Vec<_>>().iter().rev() {
        let what = match &e.change {
            Change::TrustImport { subject, .. } => format!("delete the tomcat-trust entry it imported ({subject})"),
            Change::IlsConfig { before, .. } => format!(
                "write back the ILS settings known from before (role {})",
                before.role.as_deref().unwrap_or("unknown")
            ),
            Change::ServiceStart { state_before } => format!("stop the ILS service again (it was {state_before})"),
            Change::ServiceRestart => continue,
        };
        say(&format!("  step {} on {}: {what}", e.n, e.publisher));
    }
    if args.yes {
        return Ok(());
    }
    confirm("Undo these changes?", "undo")
}
