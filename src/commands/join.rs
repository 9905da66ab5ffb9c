//! `ils-doctor join`: the plan of one ILS link, and with `--apply` (after consent) its changes
//! and the check that proves them.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use serde::Serialize;

use super::shared::{confirm, conn_options, download_dir, duration, runtime, spec};
use crate::analyze::Status;
use crate::cli::{JoinArgs, PlanFormat};
use crate::collect::trace_level;
use crate::configure::model::{Plan, PlanStatus};
use crate::configure::{journal, text};
use crate::exit::{say, UNKNOWN};
use crate::parse::cert::CertInfo;
use crate::pipeline::join::{self, Applied, JoinRequest};
use crate::pipeline::live::HostSpec;
use crate::pipeline::{catalog, output, signals};

/// The plan and, after an apply, what it did: the JSON of `join` (`ils-doctor/join-plan/1`).
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<&'a Applied>,
}

pub fn run(args: JoinArgs) -> anyhow::Result<u8> {
    let (registered_to, registering, hub_to_hub) = match (args.hub.as_slice(), &args.spoke) {
        ([hub], Some(spoke)) => (hub, spoke, false),
        ([first, second], None) => (first, second, true),
        ([_], None) => bail!("give the spoke (--spoke HOST), or --hub twice to join a second hub to the first"),
        (_, Some(_)) => bail!("one --hub with --spoke: a spoke joins one hub"),
        _ => bail!("--hub at most twice: a plan joins one link (the second hub to the first)"),
    };
    let opts = conn_options(&args.conn, false)?;
    let access = |s: &HostSpec| opts.access(s).map_err(anyhow::Error::from);
    let req = JoinRequest {
        registered_to: access(&spec(registered_to, "--hub")?)?,
        registering: access(&spec(registering, if hub_to_hub { "--hub" } else { "--spoke" })?)?,
        hub_to_hub,
        method: args.method,
        ca_certs: ca_certs(&args.ca_cert)?,
        check_first: args.check_first,
        sync_minutes: args.sync_minutes,
        journal: args.journal.clone().unwrap_or_else(journal::default_path),
        trace_journal: args.trace_journal.clone().unwrap_or_else(trace_level::default_journal_path),
        download_dir: download_dir(args.download_dir.clone()),
        capture: duration(&args.capture, "--capture")?,
        poll: duration(&args.poll, "--poll")?,
        progress: true,
        catalog: Arc::new(catalog::load_catalog(None)?),
    };
    let rt = runtime()?;
    let code = rt.block_on(async {
        let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
        let planned =
            join::plan(&req, signals::wait(sig.clone())).await.context("join: reading both publishers for the plan")?;
        let plan = &planned.plan;
        if !args.apply || plan.status != PlanStatus::Changes {
            print(&args, plan, None)?;
            return anyhow::Ok(plan.exit_code);
        }
        consent(&args, plan)?;
        let password = if plan
            .steps
            .iter()
            .any(|s| matches!(s.operation, crate::configure::model::Operation::SetIlsConfig { password: true, .. }))
        {
            Some(crate::credentials::ils_password(&req.registered_to.host).context("the ILS password to set")?)
        } else {
            None
        };
        let applied = join::apply(
            &req,
            &planned,
            password.as_ref().map(|(p, _)| p),
            password.as_ref().map(|(_, r)| r.as_str()),
            sig,
        )
        .await
        .context("join --apply")?;
        print(&args, plan, Some(&applied))?;
        anyhow::Ok(exit_code(&applied))
    });
    if let Some(rec) = &opts.record {
        crate::pipeline::record::finish(rec, None)?;
    }
    code
}

/// 0 done and OK, 1 the check warns, 2 it says critical, 3 stopped otherwise.
fn exit_code(a: &Applied) -> u8 {
    match (&a.stopped, a.link_status) {
        (None, Some(Status::Ok)) => 0,
        (_, Some(Status::Warning)) => 1,
        (_, Some(Status::Critical)) => 2,
        _ => UNKNOWN,
    }
}

/// The CA certificates of `--ca-cert` files (PEM, several per file).
fn ca_certs(files: &[std::path::PathBuf]) -> anyhow::Result<Vec<CertInfo>> {
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("--ca-cert {}", f.display()))?;
        let mut n = 0usize;
        for der in rustls_pemfile::certs(&mut bytes.as_slice()) {
            let der = der.with_context(|| format!("--ca-cert {}: not a PEM certificate", f.display()))?;
            let c = crate::parse::cert::from_der(&der)
                .with_context(|| format!("--ca-cert {}: a certificate that does not parse", f.display()))?;
            out.push(c);
            n = n.saturating_add(1);
        }
        if n == 0 {
            bail!("--ca-cert {}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)", f.display());
        }
    }
    Ok(out)
}

/// The plan on standard error and a question on the terminal; `--yes` skips the question.
fn consent(args: &JoinArgs, plan: &Plan) -> anyhow::Result<()> {
    for line in text::render(plan, None).lines() {
        say(line);
    }
    if args.yes {
        return Ok(());
    }
    confirm(&format!("Make these {} changes?", plan.changes().count()), "join --apply")
}

fn apply_hint(args: &JoinArgs) -> String {
    let mut cmd = String::from("ils-doctor join");
    for h in &args.hub {
        cmd.push_str(&format!(" --hub {h}"));
    }
    if let Some(s) = &args.spoke {
        cmd.push_str(&format!(" --spoke {s}"));
    }
    cmd.push_str(&format!(" --method {}", args.method.as_str()));
    if args.check_first {
        cmd.push_str(" --check-first");
    }
    for c in &args.ca_cert {
        cmd.push_str(&format!(" --ca-cert {}", c.display()));
    }
    cmd.push_str(" --apply");
    cmd
}

fn print(args: &JoinArgs, plan: &Plan, applied: Option<&Applied>) -> anyhow::Result<()> {
    let bytes = match args.format {
        PlanFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&Document { plan, applied })?;
            v.push(b'\n');
            v
        }
        PlanFormat::Text => match applied {
            None => text::render(plan, Some(&apply_hint(args))).into_bytes(),
            Some(a) => result_text(plan, a).into_bytes(),
        },
    };
    output::emit(args.output.as_deref().map(Path::new), |w| w.write_all(&bytes))?;
    Ok(())
}

/// What an apply did, in words: each step, why it stopped, the check's verdict of the link.
fn result_text(plan: &Plan, a: &Applied) -> String {
    let mut out = String::new();
    let verdict = match (&a.stopped, a.link_status) {
        (None, Some(Status::Ok)) => format!("JOINED: {}", plan.summary.trim_start_matches("CHANGES: ")),
        (Some(why), _) => format!("STOPPED: {why}"),
        (None, status) => format!("NOT JOINED: the check says {}", status.map_or("nothing", Status::as_str)),
    };
    out.push_str(&verdict);
    out.push('\n');
    for r in &a.steps {
        let step = plan.steps.iter().find(|s| s.n == r.n);
        let what = step.map_or(String::new(), |s| format!("on {}: {}", s.publisher, s.how));
        let state = match r.state {
            journal::State::Done => "done",
            journal::State::Refused => "REFUSED (not made)",
            journal::State::Started => "UNKNOWN (counted as made)",
            journal::State::Undone => "undone",
        };
        out.push_str(&format!("  {}. {state} in {:.1} s: {what}\n", r.n, r.seconds));
        if let Some(note) = &r.note {
            out.push_str(&format!("     {note}\n"));
        }
    }
    let made = a.steps.iter().filter(|r| matches!(r.state, journal::State::Done | journal::State::Started)).count();
    if a.stopped.is_some() && made > 0 {
        out.push_str("The journal records every change made: `ils-doctor undo` takes them back; `ils-doctor join ... --apply` again continues.\n");
    } else if a.done() {
        out.push_str("`ils-doctor undo` takes these changes back.\n");
    }
    out.lines().map(crate::untrusted::clean).collect::<Vec<_>>().join("\n") + "\n"
}
