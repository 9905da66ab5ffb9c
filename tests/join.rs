//! `join` and `undo` against every bundled scenario whose failure is configuration: the plan
//! (its steps written here from technote 200694's configuration section and the scenario's own
//! configuration, never from ils-doctor's output), a plan changes nothing, the apply ends with
//! the link OK, and the undo brings the scenario's original failure back (the cause its golden
//! verdict names, tests/golden/verdicts.toml). Scenarios whose failure no join can fix get a
//! refusal with the reason. Each case prints one line of the table in docs/join.md:
//! `cargo test --test join -- --nocapture 2>&1 | grep '^| '`.

mod support;

use std::collections::BTreeMap;
use std::time::Instant;

use ils_doctor::analyze::{Method, Status};
use ils_doctor::configure::model::{Operation, PlanStatus};
use ils_doctor::pipeline::join;
use ils_doctor::pipeline::undo::{self, UndoRequest};
use ils_doctor::secret::Secret;
use support::join::{lab, no_signal, Lab};

/// One scenario: who joins whom, how, the plan's steps (`side:what`), and the failure the undo
/// must bring back.
struct Case {
    scenario: &'static str,
    hub: &'static str,
    registering: &'static str,
    hub_to_hub: bool,
    method: Method,
    /// The ILS password to set (the hub's, from the scenario).
    password: Option<&'static str>,
    /// Old passwords the undo is given (from the scenario), per cluster.
    previous: &'static [(&'static str, &'static str)],
    check_first: bool,
    steps: Vec<&'static str>,
    /// The clusters the check after the undo is given (as the golden verdict's check).
    check_hubs: &'static [&'static str],
    check_spokes: &'static [&'static str],
    /// The cause of the registering cluster's link after the undo (to `hub`, or to the cluster
    /// it registered to before, `failing_to`).
    cause_after_undo: &'static str,
    failing_to: Option<&'static str>,
    /// The undo puts every setting back (else it says what it could not).
    restores_all: bool,
}

/// `side:what` of each step, `side` the cluster's name.
fn steps(lab: &Lab, plan: &ils_doctor::configure::Plan) -> Vec<String> {
    let names: BTreeMap<(String, u16), String> =
        lab.mock.publishers().iter().map(|p| (("127.0.0.1".to_string(), p.https.port()), p.name.clone())).collect();
    plan.steps
        .iter()
        .map(|s| {
            let side = names.get(&(s.host.clone(), s.https_port)).cloned().unwrap_or_default();
            let what = match &s.operation {
                Operation::SetIlsConfig { settings, password, .. } => format!(
                    "settings({}, \"{}\", tls {}, password {}{})",
                    settings.role,
                    settings.registration_server,
                    settings.use_tls,
                    settings.use_password,
                    if *password { ", set" } else { "" }
                ),
                Operation::ImportTrust { certificate } => format!("import({})", certificate.file_cn),
                Operation::StartIls { .. } => "start".into(),
                Operation::RestartIls => "restart".into(),
                Operation::Verify { method } => format!("check({})", method.as_str()),
            };
            format!("{side}:{what}")
        })
        .collect()
}

fn cause(out: &ils_doctor::pipeline::session::Outcome, lab: &Lab, from: &str, to: &str) -> String {
    let fqdn = |c: &str| lab.mock.publisher(c).unwrap().fqdn.clone();
    let first = |n: &Option<String>| n.as_deref().unwrap_or("").split(' ').next().unwrap_or("").to_string();
    out.analysis
        .pairs
        .iter()
        .filter(|p| p.judged)
        .find(|p| first(&p.spoke_name) == fqdn(from) && first(&p.hub_name) == fqdn(to))
        .map(|p| p.cause.as_ref().map_or("none".to_string(), |c| c.code.clone()))
        .unwrap_or_else(|| format!("no judged pair {from} -> {to}: {}", out.analysis.summary))
}

async fn run(c: Case) {
    let lab = lab(c.scenario);
    let before = lab.state();
    let mut req = lab.request(c.hub, c.registering, c.hub_to_hub, c.method);
    req.check_first = c.check_first;

    // The plan: its steps, and nothing changed.
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    assert_eq!(planned.plan.status, PlanStatus::Changes, "{}: {}", c.scenario, planned.plan.summary);
    assert_eq!(steps(&lab, &planned.plan), c.steps, "{}: the plan's steps", c.scenario);
    assert_eq!(lab.state(), before, "{}: the plan changed the publishers", c.scenario);

    // Apply: every step made, the link OK.
    let password = c.password.map(Secret::new);
    let t = Instant::now();
    let applied =
        join::apply(&req, &planned, password.as_ref(), Some("env:ILS_DOCTOR_ILS_PASSWORD"), no_signal()).await.unwrap();
    let apply_s = t.elapsed().as_secs_f64();
    assert!(
        applied.done(),
        "{}: the apply did not end OK: {:?} {:?}",
        c.scenario,
        applied.stopped,
        applied.link_status
    );
    let journal = std::fs::read_to_string(lab.journal()).unwrap();
    if let Some(p) = c.password {
        assert!(!journal.contains(p), "{}: the ILS password is in the journal", c.scenario);
    }

    // Undo: the original failure again.
    let previous = c
        .previous
        .iter()
        .map(|(cluster, pw)| {
            let a = lab.access(cluster);
            (format!("{}:{}", a.host, a.https_port), Secret::new(*pw))
        })
        .collect();
    let undo_req = UndoRequest {
        journal: lab.journal(),
        ils_password: password.clone(),
        previous_passwords: previous,
        progress: false,
    };
    let undone = undo::undo(&undo_req, lab.reach(), no_signal()).await.unwrap();
    assert!(undone.complete, "{}: undo failed: {:?}", c.scenario, undone.failed);
    if c.restores_all {
        assert_eq!(lab.state(), before, "{}: undo did not put everything back", c.scenario);
    } else {
        assert!(undone.kept.iter().any(|k| k.contains("Use TLS Certificates")), "{}: {:?}", c.scenario, undone.kept);
    }
    let out = lab.check(c.check_hubs, c.check_spokes).await;
    let after = cause(&out, &lab, c.registering, c.failing_to.unwrap_or(c.hub));
    assert_eq!(after, c.cause_after_undo, "{}: after the undo", c.scenario);
    assert!(undo::pending(&lab.journal()).unwrap().is_none(), "{}: the journal still has changes to undo", c.scenario);
    let changes = planned.plan.changes().count();
    println!(
        "| {} | `--method {}`{} | {changes} changes + {} check(s) | {apply_s:.1} s | {} | {after} |",
        c.scenario,
        c.method.as_str(),
        if c.check_first { " `--check-first`" } else { "" },
        planned.plan.steps.len() - changes,
        applied.link_status.map_or("-", Status::as_str),
    );
}

/// A spoke joining its hub, checked as the scenario's golden verdict checks it, fully undone.
fn hub_spoke(scenario: &'static str, method: Method, steps: Vec<&'static str>, cause: &'static str) -> Case {
    Case {
        scenario,
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method,
        password: None,
        previous: &[],
        check_first: false,
        steps,
        check_hubs: &["hub"],
        check_spokes: &["spoke"],
        cause_after_undo: cause,
        failing_to: None,
        restores_all: true,
    }
}

/// Method 1 with the hub's password, the registering side's old one given to the undo.
fn password(scenario: &'static str, steps: Vec<&'static str>, old: &'static [(&'static str, &'static str)]) -> Case {
    Case {
        password: Some("ils-Secret1"),
        previous: old,
        ..hub_spoke(scenario, Method::Password, steps, "password_mismatch")
    }
}

macro_rules! case {
    ($test:ident, $case:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            run($case).await;
        }
    };
}

const PASSWORD_STEPS: &[&str] = &[
    "hub:settings(Hub Cluster, \"\", tls false, password true, set)",
    "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls false, password true, set)",
    "hub:restart",
    "spoke:restart",
    "spoke:check(password)",
];

const SPOKE_B_PASSWORD_STEPS: &[&str] = &[
    "hub:settings(Hub Cluster, \"\", tls false, password true, set)",
    "spoke-b:settings(Spoke Cluster, \"cucm-hub.example.com\", tls false, password true, set)",
    "hub:restart",
    "spoke-b:restart",
    "spoke-b:check(password)",
];

/// Method 2's steps after the imports the scenario needs (technote 200694: the certificates
/// exchanged, then Use TLS Certificates on both sides).
fn tls(imports: &[&'static str]) -> Vec<&'static str> {
    let rest = [
        "hub:settings(Hub Cluster, \"\", tls true, password false)",
        "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls true, password false)",
        "hub:restart",
        "spoke:restart",
        "spoke:check(tls)",
    ];
    imports.iter().chain(rest.iter()).copied().collect()
}

case!(m1_password_mismatch, password("m1-password-mismatch", PASSWORD_STEPS.to_vec(), &[("spoke", "wrong-Secret2")]));

/// spoke-b of a hub with several spokes: its password differs from the hub's.
fn spoke_b(scenario: &'static str) -> Case {
    Case {
        registering: "spoke-b",
        check_spokes: &["spoke-a", "spoke-b"],
        ..password(scenario, SPOKE_B_PASSWORD_STEPS.to_vec(), &[("spoke-b", "not-the-hubs")])
    }
}

case!(multi_two_spokes_spoke_b, spoke_b("multi-two-spokes"));
case!(multi_three_spokes_spoke_b, spoke_b("multi-three-spokes"));

case!(
    mesh_hub_password_mismatch,
    Case {
        hub: "hub-a",
        registering: "hub-b",
        hub_to_hub: true,
        check_hubs: &["hub-a", "hub-b"],
        check_spokes: &[],
        ..password(
            "mesh-hub-password-mismatch",
            vec![
                "hub-a:settings(Hub Cluster, \"\", tls false, password true, set)",
                "hub-b:settings(Hub Cluster, \"cucm-hub-a.example.com\", tls false, password true, set)",
                "hub-a:restart",
                "hub-b:restart",
                "hub-b:check(password)",
            ],
            &[("hub-b", "other-Secret2")],
        )
    }
);

case!(
    m2_hub_cert_not_on_spoke,
    hub_spoke(
        "m2-hub-cert-not-on-spoke",
        Method::Tls,
        tls(&["spoke:import(cucm-hub.example.com)"]),
        "spoke_rejects_hub_certificate",
    )
);

case!(
    m2_spoke_cert_not_on_hub,
    hub_spoke(
        "m2-spoke-cert-not-on-hub",
        Method::Tls,
        tls(&["hub:import(cucm-spoke.example.com)"]),
        "hub_rejects_spoke_certificate",
    )
);

/// Method 2 for a pair whose neither side holds the other's certificate itself: both are
/// exchanged. Methods 3 and 4 with a self-signed Tomcat certificate are refused (the technote
/// wants CA-signed certificates, see below); method 2, which the refusal suggests, joins them.
fn exchange(scenario: &'static str, cause: &'static str) -> Case {
    hub_spoke(
        scenario,
        Method::Tls,
        tls(&["spoke:import(cucm-hub.example.com)", "hub:import(cucm-spoke.example.com)"]),
        cause,
    )
}

// Method 3's pairs use Use Password, which method 2's settings turn off and the undo cannot put
// back (not readable): the failure after the undo is the certificate's under method 2, the same
// refusal with the same cause.
case!(
    m3_hub_self_signed,
    Case { restores_all: false, ..exchange("m3-hub-self-signed", "spoke_rejects_hub_certificate") }
);
case!(
    m3_spoke_self_signed,
    Case { restores_all: false, ..exchange("m3-spoke-self-signed", "hub_rejects_spoke_certificate") }
);
case!(
    m3_both_self_signed,
    Case { restores_all: false, ..exchange("m3-both-self-signed", "spoke_rejects_hub_certificate") }
);
// Method 4's pairs use TLS only already: method 2's settings are theirs, the undo puts all back.
case!(m4_hub_self_signed, exchange("m4-hub-self-signed", "spoke_rejects_hub_certificate"));
case!(m4_spoke_self_signed, exchange("m4-spoke-self-signed", "hub_rejects_spoke_certificate"));

case!(
    hc_ils_stopped,
    Case {
        password: Some("ils-Secret1"),
        ..hub_spoke(
            "hc-ils-stopped",
            Method::Password,
            vec![
                "hub:settings(Hub Cluster, \"\", tls false, password true, set)",
                "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls false, password true, set)",
                "hub:start",
                "spoke:restart",
                "spoke:check(password)",
            ],
            "ils_service_stopped",
        )
    }
);

// The spoke's Registration Server names another spoke: only the traces tell (`--check-first`),
// and they let the undo point it there again.
case!(
    hc_spoke_to_spoke,
    Case {
        password: Some("ils-Secret1"),
        check_first: true,
        check_spokes: &["spoke", "spoke-b"],
        failing_to: Some("spoke-b"),
        ..hub_spoke("hc-spoke-to-spoke", Method::Password, PASSWORD_STEPS.to_vec(), "registered_to_spoke")
    }
);

/// Methods 3 and 4 refuse self-signed Tomcat certificates, naming it and the way out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_3_and_4_refuse_self_signed_certificates_and_suggest_method_2() {
    for (scenario, method, whose) in [
        ("m3-hub-self-signed", Method::TlsWithPassword, "cucm-hub"),
        ("m3-spoke-self-signed", Method::TlsWithPassword, "cucm-spoke"),
        ("m3-both-self-signed", Method::TlsWithPassword, "cucm-hub"),
        ("m4-hub-self-signed", Method::TlsAfterPassword, "cucm-hub"),
        ("m4-spoke-self-signed", Method::TlsAfterPassword, "cucm-spoke"),
    ] {
        let lab = lab(scenario);
        let before = lab.state();
        let planned = join::plan(&lab.request("hub", "spoke", false, method), std::future::pending()).await.unwrap();
        let p = &planned.plan;
        assert_eq!((p.status, p.exit_code), (PlanStatus::Refused, 3), "{scenario}: {}", p.summary);
        assert!(p.steps.is_empty());
        let r = p
            .refusals
            .iter()
            .find(|r| r.code == "self_signed_tomcat")
            .unwrap_or_else(|| panic!("{scenario}: {:?}", p.refusals));
        assert!(r.publisher.as_deref().unwrap_or("").starts_with(whose), "{scenario}: {r:?}");
        assert!(r.reason.contains("CA") && r.fix.contains("--method tls"), "{scenario}: {r:?}");
        assert_eq!(lab.state(), before);
        let applied =
            join::apply(&lab.request("hub", "spoke", false, method), &planned, None, None, no_signal()).await.unwrap();
        assert!(applied.steps.is_empty() && applied.stopped.is_some(), "{scenario}: a refused plan applies nothing");
        assert!(!lab.journal().exists(), "{scenario}: nothing journalled");
    }
}

/// What no join fixes: a duplicate or default Cluster ID, an expired certificate under TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_no_join_can_fix_are_refused_with_the_reason() {
    for (scenario, hub, registering, method, code) in [
        ("hc-duplicate-cluster-id", "hub", "spoke", Method::Password, "duplicate_cluster_id"),
        ("hc-standalone-cluster-id", "hub", "spoke", Method::Password, "cluster_id_default"),
        ("hc-expired-tomcat", "hub", "spoke", Method::Tls, "tomcat_expired"),
        ("mesh-hub-cert-expired", "hub-a", "hub-b", Method::TlsWithPassword, "tomcat_expired"),
    ] {
        let lab = lab(scenario);
        let before = lab.state();
        let req = lab.request(hub, registering, hub.starts_with("hub-"), method);
        let p = join::plan(&req, std::future::pending()).await.unwrap().plan;
        assert_eq!(p.status, PlanStatus::Refused, "{scenario}: {}", p.summary);
        assert!(p.refusals.iter().any(|r| r.code == code), "{scenario}: {:?}", p.refusals);
        assert_eq!(lab.state(), before);
    }
}

/// A link that a check saw register with the method needs nothing: an empty plan, exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joined_link_gets_an_empty_plan_after_a_check() {
    for (scenario, method) in [
        ("m1-password-success", Method::Password),
        ("m2-tls-success", Method::Tls),
        ("m3-tls-password-success", Method::TlsWithPassword),
    ] {
        let lab = lab(scenario);
        let mut req = lab.request("hub", "spoke", false, method);
        req.check_first = true;
        let p = join::plan(&req, std::future::pending()).await.unwrap().plan;
        assert_eq!((p.status, p.exit_code), (PlanStatus::NothingToDo, 0), "{scenario}: {}", p.summary);
        // Without the check the configuration cannot tell: the settings are written.
        req.check_first = false;
        let p = join::plan(&req, std::future::pending()).await.unwrap().plan;
        assert_eq!(p.status, PlanStatus::Changes, "{scenario}");
        assert!(p.notes.iter().any(|n| n.contains("--check-first")), "{scenario}: {:?}", p.notes);
    }
}

/// A failing check whose cause is configuration ends its fix with the `join` command that plans
/// the change (the cases above apply those plans); causes no join fixes get no command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_check_points_at_its_plan() {
    for (scenario, spokes, method) in [
        ("m1-password-mismatch", &["spoke"][..], Some("password")),
        ("hc-spoke-to-spoke", &["spoke", "spoke-b"][..], Some("password")),
        ("hc-ils-stopped", &["spoke"][..], Some("password")),
        ("m2-spoke-cert-not-on-hub", &["spoke"][..], Some("tls")),
        ("hc-hub-unreachable", &["spoke"][..], None),
        ("hc-expired-tomcat", &["spoke"][..], None),
    ] {
        let lab = lab(scenario);
        let out = lab.check(&["hub"], spokes).await;
        let fqdn = lab.mock.publisher("spoke").unwrap().fqdn.clone();
        let pair = out
            .analysis
            .pairs
            .iter()
            .find(|p| p.judged && p.spoke_name.as_deref().unwrap_or("").starts_with(&fqdn))
            .unwrap_or_else(|| panic!("{scenario}: no judged pair of the spoke"));
        let fix = &pair.cause.as_ref().unwrap().fix;
        // Named as the clusters know their publishers, as every report names them; the mock's
        // ports are not the defaults, which the hint says.
        let expected = method.map(|m| {
            format!("`ils-doctor join --hub cucm-hub.example.com --spoke {fqdn} --method {m}` (with the ports")
        });
        match expected {
            Some(cmd) => assert!(fix.contains(&cmd), "{scenario}: the fix does not end with {cmd}: {fix}"),
            None => assert!(!fix.contains("ils-doctor join"), "{scenario}: no join fixes this: {fix}"),
        }
    }
}

/// Method 4 from two clusters that are not joined (CA-signed Tomcat certificates, the CA in both
/// tomcat-trust stores, Use Password with different passwords): the password join first, checked,
/// then the switch to TLS, checked; the link ends registered with TLS after the password join.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_4_joins_with_the_password_then_switches_to_tls() {
    let mut s = mock_server::bundled::load("m3-tls-password-success").unwrap().unwrap();
    for c in &mut s.clusters {
        c.ils.use_tls = false;
        c.ils.use_password = true;
    }
    if let Some(spoke) = s.clusters.iter_mut().find(|c| c.name == "spoke") {
        spoke.ils.password = "not-yet-Secret".into();
    }
    let lab = support::join::lab_of(s);
    let req = lab.request("hub", "spoke", false, Method::TlsAfterPassword);
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    assert_eq!(
        steps(&lab, &planned.plan),
        [
            PASSWORD_STEPS,
            &[
                "hub:settings(Hub Cluster, \"\", tls true, password false)",
                "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls true, password false)",
                "hub:restart",
                "spoke:restart",
                "spoke:check(tls_after_password)",
            ][..],
        ]
        .concat()
    );
    let applied = join::apply(&req, &planned, Some(&Secret::new("ils-Secret1")), None, no_signal()).await.unwrap();
    assert!(applied.done(), "{:?}", applied.stopped);
    let out = applied.check.as_ref().unwrap();
    let pair = out.analysis.pairs.iter().find(|p| p.judged).unwrap();
    assert_eq!(pair.method.method, Some(Method::TlsAfterPassword), "{}", pair.method.basis);
    // Each FQDN is in the other's PeerInfoVector: what lets TLS work without exchanged certificates.
    let piv = lab.mock.with_world(|w| w.engine.peer_info_vector("hub"));
    assert!(piv.contains(&"cucm-spoke.example.com".to_string()), "{piv:?}");
}

/// Method 3 needs the CA in each tomcat-trust: without it the plan is refused and asks for
/// `--ca-cert`; given the CA, the plan imports it where it is missing and the link registers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_3_imports_the_ca_it_is_given_where_it_is_missing() {
    let mut s = mock_server::bundled::load("m3-tls-password-success").unwrap().unwrap();
    if let Some(spoke) = s.clusters.iter_mut().find(|c| c.name == "spoke") {
        spoke.trust.ca_roots.clear();
    }
    let lab = support::join::lab_of(s);
    let before = lab.state();
    let mut req = lab.request("hub", "spoke", false, Method::TlsWithPassword);
    let p = join::plan(&req, std::future::pending()).await.unwrap().plan;
    assert_eq!(p.status, PlanStatus::Refused);
    assert!(
        p.refusals.iter().any(|r| r.code == "ca_certificate_needed" && r.fix.contains("--ca-cert")),
        "{:?}",
        p.refusals
    );
    let ca_pem = lab.mock.publisher("hub").unwrap().ca_pem.clone().unwrap();
    let der = rustls_pemfile::certs(&mut ca_pem.as_bytes()).next().unwrap().unwrap();
    req.ca_certs = vec![ils_doctor::parse::cert::from_der(&der).unwrap()];
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    assert_eq!(
        steps(&lab, &planned.plan),
        [
            "spoke:import(Example_Enterprise_Root_CA)",
            "hub:settings(Hub Cluster, \"\", tls true, password true, set)",
            "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls true, password true, set)",
            "hub:restart",
            "spoke:restart",
            "spoke:check(tls_with_password)",
        ]
    );
    let applied = join::apply(&req, &planned, Some(&Secret::new("ils-Secret1")), None, no_signal()).await.unwrap();
    assert!(applied.done(), "{:?}", applied.stopped);
    let r = UndoRequest {
        journal: lab.journal(),
        ils_password: Some(Secret::new("ils-Secret1")),
        previous_passwords: Default::default(),
        progress: false,
    };
    assert!(undo::undo(&r, lab.reach(), no_signal()).await.unwrap().complete);
    assert_eq!(lab.state(), before, "the CA imported is deleted again");
}
