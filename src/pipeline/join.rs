//! `join`: read both sides, plan, and, with consent, apply the plan step by step: each change
//! journalled before it is made (`configure::journal`), made, read back; then the check with a
//! forced registration. Ctrl-C, SIGTERM, a timeout or an error stop at a step boundary: the step
//! under way ends (each is bounded by the command timeout), the journal says what was made, and
//! `ils-doctor undo` takes it back (docs/security.md, "Join").

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::session::{self, CheckError, Outcome, Request};
use super::signals::Interrupted;
use crate::analyze::model::Pair;
use crate::analyze::network::identities;
use crate::analyze::{Catalog, Method, Status};
use crate::collect::download::Progress;
use crate::collect::publisher::{Access, Publisher, PublisherError};
use crate::collect::trace_level::{Owner, Reach};
use crate::configure::journal::{self, Apply, Change, Entry, Journal, JournalError, Reached, State};
use crate::configure::model::{Operation, Plan, PlanStatus, Step};
use crate::configure::plan::{self, Found, Input};
use crate::connect::envelope;
use crate::parse::cert::CertInfo;
use crate::parse::facts::Facts;
use crate::secret::Secret;

/// Everything `join` needs, validated.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// The cluster registered to: the hub (the first `--hub`).
    pub registered_to: Access,
    /// The registering cluster: the spoke, or the second `--hub`.
    pub registering: Access,
    pub hub_to_hub: bool,
    pub method: Method,
    /// `--ca-cert`: CA certificates for methods 3 and 4.
    pub ca_certs: Vec<CertInfo>,
    /// Run the full check first, so the plan knows what the traces show.
    pub check_first: bool,
    pub sync_minutes: u32,
    /// The join journal.
    pub journal: PathBuf,
    /// The check's trace-level journal.
    pub trace_journal: PathBuf,
    pub download_dir: PathBuf,
    pub capture: Duration,
    pub poll: Duration,
    pub progress: bool,
    pub catalog: Arc<Catalog>,
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Publisher(#[from] PublisherError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Read(String),
    #[error("an ILS password is needed to apply this plan (methods 1, 3 and 4 set it on both sides); give ILS_DOCTOR_ILS_PASSWORD, `ils-doctor credentials set HUB --kind ils`, or run on a terminal to be asked")]
    NoPassword,
}

/// A plan with what it was made from.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub plan: Plan,
    #[serde(skip)]
    pub registering: Facts,
    #[serde(skip)]
    pub registered_to: Facts,
    /// The check of `--check-first`.
    #[serde(skip)]
    pub check: Option<Outcome>,
}

impl JoinRequest {
    /// The check of this link: both publishers, a forced registration, the method asked for.
    pub fn check_request(&self, method: Method, preflight_only: bool) -> Request {
        let (hubs, spokes) = if self.hub_to_hub {
            (vec![self.registered_to.clone(), self.registering.clone()], Vec::new())
        } else {
            (vec![self.registered_to.clone()], vec![self.registering.clone()])
        };
        Request {
            hubs,
            spokes,
            capture: self.capture,
            since: Duration::from_secs(2 * 3600),
            keep_trace_level: false,
            detailed_value: None,
            force_registration: !preflight_only,
            start_stopped: false,
            method: Some(method),
            download_dir: self.download_dir.clone(),
            journal: self.trace_journal.clone(),
            progress: self.progress,
            poll: self.poll,
            catalog: self.catalog.clone(),
            preflight_only,
        }
    }
}

/// Reads both sides (the certificate check's reading: roles, cluster IDs, remotecluster,
/// certificates, tomcat-trust; with `check_first` the full check) and plans. Changes nothing
/// (`check_first` raises and restores the trace level and restarts the registering side's ILS).
pub async fn plan(req: &JoinRequest, cancel: impl std::future::Future<Output = ()>) -> Result<Planned, JoinError> {
    let out = session::run(&req.check_request(req.method, !req.check_first), cancel).await?;
    let side = |i: usize, what: &str| {
        out.config.get(i).map(|c| c.facts.clone()).ok_or_else(|| JoinError::Read(format!("the {what} was not read")))
    };
    let registered_to = side(0, "publisher registered to")?;
    let registering = side(1, "registering publisher")?;
    let found = if req.check_first { found(&out, &registering, &registered_to) } else { Found::default() };
    let plan = plan::plan(&Input {
        method: req.method,
        hub_to_hub: req.hub_to_hub,
        registering: &registering,
        registered_to: &registered_to,
        found: &found,
        ca_certs: &req.ca_certs,
        sync_minutes: req.sync_minutes,
        now: chrono::Utc::now().naive_utc(),
    });
    Ok(Planned { plan, registering, registered_to, check: req.check_first.then_some(out) })
}

/// The judged pair of this link in a check's outcome.
pub fn link_pair<'a>(out: &'a Outcome, registering: &Facts, registered_to: &Facts) -> Option<&'a Pair> {
    let named = |name: &Option<String>, f: &Facts| {
        let first = name.as_deref().and_then(|n| n.split_whitespace().next()).unwrap_or("").to_ascii_lowercase();
        !first.is_empty() && identities(f).contains(&first)
    };
    out.analysis
        .pairs
        .iter()
        .find(|p| p.judged && named(&p.spoke_name, registering) && named(&p.hub_name, registered_to))
}

/// What a check's traces say about the link (`configure::plan::Found`): the address each side's
/// latest decided attempt dialed, the method of the registering side's, the link's verdict.
pub fn found(out: &Outcome, registering: &Facts, registered_to: &Facts) -> Found {
    let mut f = Found::default();
    for side in [registering, registered_to] {
        let ids = identities(side);
        let latest = out.analysis.attempts.iter().rev().find(|a| {
            a.outcome != crate::analyze::Outcome::Incomplete
                && a.spoke.as_deref().is_some_and(|s| ids.contains(&s.to_ascii_lowercase()))
        });
        if let Some(a) = latest {
            if let Some(hub) = a.hub.clone() {
                f.dialed.insert(plan::key(side), hub);
            }
            if std::ptr::eq(side, registering) {
                f.method_in_use = a.method;
            }
        }
    }
    f.link_ok = link_pair(out, registering, registered_to).map(|p| p.status == Status::Ok);
    f
}

/// How one applied step ended.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub n: usize,
    pub state: State,
    pub note: Option<String>,
    pub seconds: f64,
}

/// What `join --apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    /// The journal's id of this apply.
    pub id: String,
    pub steps: Vec<StepResult>,
    /// Why it stopped before its end (an interruption, an error, a failed check).
    pub stopped: Option<String>,
    /// The final check's verdict of the link (`ok` means the plan is done).
    pub link_status: Option<Status>,
    pub seconds: f64,
    /// The last check (the final one, or the one that stopped method 4's first half).
    #[serde(skip)]
    pub check: Option<Outcome>,
}

impl Applied {
    /// Done only when the link checked OK.
    pub fn done(&self) -> bool {
        self.stopped.is_none() && self.link_status == Some(Status::Ok)
    }
}

/// The publishers, opened when a step needs them and closed for each check (one session per
/// publisher at a time).
struct Open {
    pubs: Vec<Publisher>,
}

impl Open {
    async fn get<'a>(&'a mut self, req: &JoinRequest, key: &str) -> Result<&'a mut Publisher, JoinError> {
        if self.pubs.is_empty() {
            let (a, b) = futures_util::future::join(
                Publisher::open(req.registered_to.clone()),
                Publisher::open(req.registering.clone()),
            )
            .await;
            self.pubs = vec![a?, b?];
        }
        let k = |p: &Publisher| format!("{}:{}", p.access.host, p.access.https_port);
        self.pubs
            .iter_mut()
            .find(|p| k(p) == key)
            .ok_or_else(|| JoinError::Read(format!("{key}: not a publisher of this join")))
    }

    async fn close(&mut self) {
        for p in self.pubs.drain(..) {
            p.close().await;
        }
    }
}

fn reached(a: &Access, name: &str) -> Reached {
    let r = Reach::of(a);
    Reached {
        key: format!("{}:{}", a.host, a.https_port),
        name: name.to_string(),
        host: a.host.clone(),
        ssh_port: a.ssh_port,
        https_port: a.https_port,
        admin_user: a.admin_user.clone(),
        app_user: r.app_user,
        app_credential: r.app_credential,
        tls_pin: r.tls_pin,
    }
}

/// Applies `planned`: journal, step, read back, one step at a time; the check after the last
/// one. `password` is the ILS password (needed when a step sets it) and `password_source` where
/// it came from (journalled instead of it). A signal is honoured at the next step boundary.
pub async fn apply(
    req: &JoinRequest,
    planned: &Planned,
    password: Option<&Secret>,
    password_source: Option<&str>,
    sig: Interrupted,
) -> Result<Applied, JoinError> {
    let plan = &planned.plan;
    if plan.status != PlanStatus::Changes {
        return Ok(Applied {
            id: String::new(),
            steps: Vec::new(),
            stopped: (plan.status == PlanStatus::Refused).then(|| plan.summary.clone()),
            link_status: None,
            seconds: 0.0,
            check: None,
        });
    }
    let needs_password =
        plan.steps.iter().any(|s| matches!(s.operation, Operation::SetIlsConfig { password: true, .. }));
    if needs_password && password.is_none() {
        return Err(JoinError::NoPassword);
    }
    let progress = Progress::new(req.progress);
    let started = Instant::now();
    let now = chrono::Utc::now();
    let id = format!("{}-{}", now.format("%Y%m%dT%H%M%S%.3fZ"), std::process::id());
    let me = Owner::new_run();
    Journal::begin(
        &req.journal,
        Apply {
            id: id.clone(),
            started: now.to_rfc3339(),
            owner: Some(me),
            method: plan.method,
            link: format!(
                "{} {} -> {} {}",
                plan.link.registering.role,
                plan.link.registering.name,
                plan.link.registered_to.role,
                plan.link.registered_to.name
            ),
            password_source: if needs_password { password_source.map(str::to_string) } else { None },
            publishers: vec![
                reached(&req.registered_to, &plan.link.registered_to.name),
                reached(&req.registering, &plan.link.registering.name),
            ],
            steps: Vec::new(),
            ended: None,
            undone: None,
        },
    )?;
    let mut open = Open { pubs: Vec::new() };
    let mut result =
        Applied { id: id.clone(), steps: Vec::new(), stopped: None, link_status: None, seconds: 0.0, check: None };
    let total = plan.steps.len();
    for step in &plan.steps {
        if *sig.borrow() {
            result.stopped = Some(format!("interrupted before step {} of {total}", step.n));
            break;
        }
        progress.say(&format!("step {}/{total}: on {}: {}", step.n, step.publisher, step.how));
        let t = Instant::now();
        let ran = match &step.operation {
            Operation::Verify { method } => {
                open.close().await;
                verify(req, planned, *method, &sig, &mut result).await
            }
            _ => change(req, &mut open, &id, step, password).await,
        };
        let seconds = t.elapsed().as_secs_f64();
        match ran {
            Ok(note) => result.steps.push(StepResult { n: step.n, state: State::Done, note, seconds }),
            Err(Stop { state, why }) => {
                result.steps.push(StepResult { n: step.n, state, note: Some(why.clone()), seconds });
                result.stopped = Some(format!("step {} of {total} on {}: {why}", step.n, step.publisher));
                break;
            }
        }
    }
    open.close().await;
    result.seconds = started.elapsed().as_secs_f64();
    let ended = match &result.stopped {
        Some(why) => format!("stopped: {why}"),
        None => "done".to_string(),
    };
    Journal::apply(&req.journal, &id, |a| {
        a.ended = Some(ended);
        a.owner = None;
    })?;
    Ok(result)
}

/// Why a step stopped the apply, and how its journal entry stands.
struct Stop {
    state: State,
    why: String,
}

impl Stop {
    /// The publisher refused: nothing was made.
    fn refused(why: impl Into<String>) -> Stop {
        Stop { state: State::Refused, why: why.into() }
    }
    /// It may have been made (no answer): undo treats it as made.
    fn unknown(why: impl Into<String>) -> Stop {
        Stop { state: State::Started, why: why.into() }
    }
}

/// A SOAP error on a write: a refusal (fault, HTTP error, authentication) made nothing; a lost
/// answer (timeout, broken connection) may have.
fn write_failed(e: &crate::connect::soap::SoapError) -> Stop {
    use crate::connect::soap::SoapError as E;
    match e {
        E::Auth { status: 401, .. } => Stop::refused(format!(
            "{e}. A user with only the Standard AXL Read Only API Access role cannot write: use an application user with Standard AXL API Access"
        )),
        E::Fault { .. } | E::Http { .. } | E::Auth { .. } | E::Throttled { .. } | E::Tls { .. } | E::TlsSetup(..) => {
            Stop::refused(e.to_string())
        }
        E::Connect { .. } | E::Timeout { .. } | E::Response { .. } | E::Write { .. } => Stop::unknown(format!(
            "{e}; whether the publisher saved the change is not known: the journal counts it as made"
        )),
    }
}

/// An SSH error during a change: the command may have run.
fn ssh_failed(e: &crate::connect::ssh::SshError) -> Stop {
    Stop::unknown(format!("{e}; whether the command ran is not known: the journal counts it as made"))
}

async fn journal_entry(req: &JoinRequest, id: &str, step: &Step, change: Change) -> Result<(), Stop> {
    Journal::record(
        &req.journal,
        id,
        Entry {
            n: step.n,
            key: format!("{}:{}", step.host, step.https_port),
            publisher: step.publisher.clone(),
            change,
            state: State::Started,
            note: None,
        },
    )
    // Not journalled: not made.
    .map_err(|e| Stop::refused(format!("{e}; the step was not made")))
}

fn mark(req: &JoinRequest, id: &str, n: usize, state: State, note: Option<String>) -> Result<(), Stop> {
    journal::Journal::step(&req.journal, id, n, |e| {
        e.state = state;
        e.note = note;
    })
    .map_err(|e| Stop::unknown(format!("{e}: the step was made but its journal entry still says started")))
}

/// One change: journalled, made, read back.
async fn change(
    req: &JoinRequest,
    open: &mut Open,
    id: &str,
    step: &Step,
    password: Option<&Secret>,
) -> Result<Option<String>, Stop> {
    let key = format!("{}:{}", step.host, step.https_port);
    let p = open.get(req, &key).await.map_err(|e| Stop::refused(format!("{e}; nothing was changed by this step")))?;
    let result = match &step.operation {
        Operation::SetIlsConfig { settings, password: sends, before } => {
            let change = Change::IlsConfig { before: before.clone(), after: settings.clone(), password_set: *sends };
            journal_entry(req, id, step, change).await?;
            let pw = if *sends { password } else { None };
            match p.soap.update_ils_config(settings, pw).await {
                Err(e) => Err(write_failed(&e)),
                Ok(()) => read_role(p, &settings.role).await,
            }
        }
        Operation::ImportTrust { certificate } => {
            let before = p.trust_entries().await.map_err(|e| Stop::refused(format!("show cert list trust: {e}")))?;
            let cn = certificate.file_cn.to_ascii_lowercase();
            let present = before.iter().any(|e| {
                e.cn.to_ascii_lowercase() == cn
                    && match (&e.serial, &certificate.serial) {
                        (Some(a), Some(b)) => a.trim_start_matches('0').eq_ignore_ascii_case(b.trim_start_matches('0')),
                        _ => true,
                    }
            });
            if present {
                return Ok(Some("already in tomcat-trust: nothing imported".into()));
            }
            let change = Change::TrustImport {
                subject: certificate.subject.clone(),
                serial: certificate.serial.clone(),
                file_cn: certificate.file_cn.clone(),
                files_before: before.iter().map(|e| e.file.clone()).collect(),
                file: None,
            };
            journal_entry(req, id, step, change).await?;
            match p.import_trust(&certificate.pem).await {
                Err(e) => Err(ssh_failed(&e)),
                Ok(Err(said)) => Err(Stop::refused(format!(
                    "the publisher refused the certificate: {}",
                    said.trim().lines().take(4).collect::<Vec<_>>().join(" / ")
                ))),
                Ok(Ok(_)) => match p.trust_entries().await {
                    Err(e) => Err(ssh_failed(&e)),
                    Ok(after) => {
                        let added: Vec<String> = after
                            .iter()
                            .filter(|e| e.cn.to_ascii_lowercase() == cn && !before.iter().any(|b| b.file == e.file))
                            .map(|e| e.file.clone())
                            .collect();
                        match added.first() {
                            Some(file) => {
                                let file = file.clone();
                                journal::Journal::step(&req.journal, id, step.n, |e| {
                                    if let Change::TrustImport { file: f, .. } = &mut e.change {
                                        *f = Some(file.clone());
                                    }
                                })
                                .map_err(|e| Stop::unknown(e.to_string()))?;
                                Ok(Some(format!("added {file}")))
                            }
                            None => Err(Stop::unknown(format!(
                                "the publisher said the certificate was imported, but show cert list trust lists no new entry named {}…",
                                certificate.file_cn
                            ))),
                        }
                    }
                },
            }
        }
        Operation::StartIls { state_before } => {
            journal_entry(req, id, step, Change::ServiceStart { state_before: state_before.clone() }).await?;
            match p.start_ils().await {
                Err(e) => Err(ssh_failed(&e)),
                Ok(_) => read_started(p).await,
            }
        }
        Operation::RestartIls => {
            journal_entry(req, id, step, Change::ServiceRestart).await?;
            match p.restart_ils().await {
                Err(e) => Err(ssh_failed(&e)),
                Ok(_) => read_started(p).await,
            }
        }
        Operation::Verify { .. } => Ok(None),
    };
    match result {
        Ok(note) => {
            mark(req, id, step.n, State::Done, note.clone())?;
            Ok(note)
        }
        Err(stop) => {
            let _ = mark(req, id, step.n, stop.state, Some(stop.why.clone()));
            Err(stop)
        }
    }
}

/// The role `getIlsConfig` reads back after a write (the only setting it returns).
async fn read_role(p: &Publisher, want: &str) -> Result<Option<String>, Stop> {
    let xml = p
        .soap
        .axl("getIlsConfig", "<returnedTags><role/></returnedTags>", true)
        .await
        .map_err(|e| Stop::unknown(format!("saved, but reading it back failed: {e}")))?;
    match envelope::first_text(&xml, "role") {
        Some(r) if r.trim().eq_ignore_ascii_case(want) => Ok(None),
        other => Err(Stop::unknown(format!(
            "saved, but getIlsConfig reads the role back as {:?}, not {want:?}",
            other.unwrap_or_default()
        ))),
    }
}

async fn read_started(p: &mut Publisher) -> Result<Option<String>, Stop> {
    match p.ils_state().await {
        Ok(Some(s)) if s.trim().to_ascii_uppercase().starts_with("STARTED") => Ok(None),
        Ok(s) => Err(Stop::unknown(format!(
            "the Cisco Intercluster Lookup Service reads {} afterwards, not STARTED",
            s.unwrap_or_else(|| "nothing".into())
        ))),
        Err(e) => Err(Stop::unknown(format!("utils service list: {e}"))),
    }
}

/// The check with a forced registration: the link must be OK with `method`.
async fn verify(
    req: &JoinRequest,
    planned: &Planned,
    method: Method,
    sig: &Interrupted,
    result: &mut Applied,
) -> Result<Option<String>, Stop> {
    let out = session::run(&req.check_request(method, false), super::signals::wait(sig.clone()))
        .await
        .map_err(|e| Stop { state: State::Done, why: format!("the check: {e}") })?;
    let pair = link_pair(&out, &planned.registering, &planned.registered_to);
    let status = pair.map(|p| p.status);
    let words = pair.map_or_else(
        || {
            format!(
                "the check judged no link {} -> {}",
                planned.plan.link.registering.name, planned.plan.link.registered_to.name
            )
        },
        |p| {
            let cause = p.cause.as_ref().map(|c| format!(": {}", c.text)).unwrap_or_default();
            format!("the check says the link is {}{cause} ({})", p.status.as_str(), p.method.basis)
        },
    );
    result.link_status = status;
    result.check = Some(out);
    match status {
        Some(Status::Ok) => Ok(Some(words)),
        _ => Err(Stop { state: State::Done, why: words }),
    }
}
