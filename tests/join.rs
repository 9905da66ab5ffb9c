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
    steps: &'static [&'static str],
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

const HUB_SPOKE: (&[&str], &[&str]) = (&["hub"], &["spoke"]);

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

case!(
    m1_password_mismatch,
    Case {
        scenario: "m1-password-mismatch",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Password,
        password: Some("ils-Secret1"),
        previous: &[("spoke", "wrong-Secret2")],
        check_first: false,
        steps: PASSWORD_STEPS,
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "password_mismatch",
        failing_to: None,
        restores_all: true,
    }
);

const TLS_STEPS_HUB_TRUSTS_SPOKE: &[&str] = &[
    "spoke:import(cucm-hub.example.com)",
    "hub:settings(Hub Cluster, \"\", tls true, password false)",
    "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls true, password false)",
    "hub:restart",
    "spoke:restart",
    "spoke:check(tls)",
];

case!(
    m2_hub_cert_not_on_spoke,
    Case {
        scenario: "m2-hub-cert-not-on-spoke",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Tls,
        password: None,
        previous: &[],
        check_first: false,
        steps: TLS_STEPS_HUB_TRUSTS_SPOKE,
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "spoke_rejects_hub_certificate",
        failing_to: None,
        restores_all: true,
    }
);

case!(
    m2_spoke_cert_not_on_hub,
    Case {
        scenario: "m2-spoke-cert-not-on-hub",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Tls,
        password: None,
        previous: &[],
        check_first: false,
        steps: &[
            "hub:import(cucm-spoke.example.com)",
            "hub:settings(Hub Cluster, \"\", tls true, password false)",
            "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls true, password false)",
            "hub:restart",
            "spoke:restart",
            "spoke:check(tls)",
        ],
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "hub_rejects_spoke_certificate",
        failing_to: None,
        restores_all: true,
    }
);

/// Method 2 for a pair whose neither side holds the other's certificate itself.
const TLS_STEPS_EXCHANGE: &[&str] = &[
    "spoke:import(cucm-hub.example.com)",
    "hub:import(cucm-spoke.example.com)",
    "hub:settings(Hub Cluster, \"\", tls true, password false)",
    "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls true, password false)",
    "hub:restart",
    "spoke:restart",
    "spoke:check(tls)",
];

// Methods 3 and 4 with a self-signed Tomcat certificate: refused (the technote wants CA-signed
// certificates); method 2, which the refusal suggests, joins them. Its settings drop Use Password,
// which the undo cannot put back (not readable), so the undo's failure is the certificate's under
// method 2: the same refusal, the same cause.
case!(
    m3_hub_self_signed,
    Case {
        scenario: "m3-hub-self-signed",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Tls,
        password: None,
        previous: &[],
        check_first: false,
        steps: TLS_STEPS_EXCHANGE,
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "spoke_rejects_hub_certificate",
        failing_to: None,
        restores_all: false,
    }
);

case!(
    m3_spoke_self_signed,
    Case {
        scenario: "m3-spoke-self-signed",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Tls,
        password: None,
        previous: &[],
        check_first: false,
        steps: TLS_STEPS_EXCHANGE,
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "hub_rejects_spoke_certificate",
        failing_to: None,
        restores_all: false,
    }
);

case!(
    m3_both_self_signed,
    Case {
        scenario: "m3-both-self-signed",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Tls,
        password: None,
        previous: &[],
        check_first: false,
        steps: TLS_STEPS_EXCHANGE,
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "spoke_rejects_hub_certificate",
        failing_to: None,
        restores_all: false,
    }
);

// Method 4's pairs already use TLS only (the scenario's Use Password is off): method 2's settings
// are theirs, so the undo puts everything back.
case!(
    m4_hub_self_signed,
    Case {
        scenario: "m4-hub-self-signed",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Tls,
        password: None,
        previous: &[],
        check_first: false,
        steps: TLS_STEPS_EXCHANGE,
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "spoke_rejects_hub_certificate",
        failing_to: None,
        restores_all: true,
    }
);

case!(
    m4_spoke_self_signed,
    Case {
        scenario: "m4-spoke-self-signed",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Tls,
        password: None,
        previous: &[],
        check_first: false,
        steps: TLS_STEPS_EXCHANGE,
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "hub_rejects_spoke_certificate",
        failing_to: None,
        restores_all: true,
    }
);

case!(
    multi_two_spokes_spoke_b,
    Case {
        scenario: "multi-two-spokes",
        hub: "hub",
        registering: "spoke-b",
        hub_to_hub: false,
        method: Method::Password,
        password: Some("ils-Secret1"),
        previous: &[("spoke-b", "not-the-hubs")],
        check_first: false,
        steps: &[
            "hub:settings(Hub Cluster, \"\", tls false, password true, set)",
            "spoke-b:settings(Spoke Cluster, \"cucm-hub.example.com\", tls false, password true, set)",
            "hub:restart",
            "spoke-b:restart",
            "spoke-b:check(password)",
        ],
        check_hubs: &["hub"],
        check_spokes: &["spoke-a", "spoke-b"],
        cause_after_undo: "password_mismatch",
        failing_to: None,
        restores_all: true,
    }
);

case!(
    multi_three_spokes_spoke_b,
    Case {
        scenario: "multi-three-spokes",
        hub: "hub",
        registering: "spoke-b",
        hub_to_hub: false,
        method: Method::Password,
        password: Some("ils-Secret1"),
        previous: &[("spoke-b", "not-the-hubs")],
        check_first: false,
        steps: &[
            "hub:settings(Hub Cluster, \"\", tls false, password true, set)",
            "spoke-b:settings(Spoke Cluster, \"cucm-hub.example.com\", tls false, password true, set)",
            "hub:restart",
            "spoke-b:restart",
            "spoke-b:check(password)",
        ],
        check_hubs: &["hub"],
        check_spokes: &["spoke-a", "spoke-b"],
        cause_after_undo: "password_mismatch",
        failing_to: None,
        restores_all: true,
    }
);

case!(
    hc_ils_stopped,
    Case {
        scenario: "hc-ils-stopped",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Password,
        password: Some("ils-Secret1"),
        previous: &[],
        check_first: false,
        steps: &[
            "hub:settings(Hub Cluster, \"\", tls false, password true, set)",
            "spoke:settings(Spoke Cluster, \"cucm-hub.example.com\", tls false, password true, set)",
            "hub:start",
            "spoke:restart",
            "spoke:check(password)",
        ],
        check_hubs: HUB_SPOKE.0,
        check_spokes: HUB_SPOKE.1,
        cause_after_undo: "ils_service_stopped",
        failing_to: None,
        restores_all: true,
    }
);

// The spoke's Registration Server names another spoke: only the traces tell (`--check-first`),
// and they let the undo point it there again.
case!(
    hc_spoke_to_spoke,
    Case {
        scenario: "hc-spoke-to-spoke",
        hub: "hub",
        registering: "spoke",
        hub_to_hub: false,
        method: Method::Password,
        password: Some("ils-Secret1"),
        previous: &[],
        check_first: true,
        steps: PASSWORD_STEPS,
        check_hubs: &["hub"],
        check_spokes: &["spoke", "spoke-b"],
        cause_after_undo: "registered_to_spoke",
        failing_to: Some("spoke-b"),
        restores_all: true,
    }
);

case!(
    mesh_hub_password_mismatch,
    Case {
        scenario: "mesh-hub-password-mismatch",
        hub: "hub-a",
        registering: "hub-b",
        hub_to_hub: true,
        method: Method::Password,
        password: Some("ils-Secret1"),
        previous: &[("hub-b", "other-Secret2")],
        check_first: false,
        steps: &[
            "hub-a:settings(Hub Cluster, \"\", tls false, password true, set)",
            "hub-b:settings(Hub Cluster, \"cucm-hub-a.example.com\", tls false, password true, set)",
            "hub-a:restart",
            "hub-b:restart",
            "hub-b:check(password)",
        ],
        check_hubs: &["hub-a", "hub-b"],
        check_spokes: &[],
        cause_after_undo: "password_mismatch",
        failing_to: None,
        restores_all: true,
    }
);

/// Methods 3 and 4 refuse a self-signed Tomcat certificate, naming it and the way out.
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
        let expected = method
            .map(|m| format!("`ils-doctor join --hub {} --spoke {} --method {m}`", lab.spec("hub"), lab.spec("spoke")));
        match expected {
            Some(cmd) => assert!(fix.contains(&cmd), "{scenario}: the fix does not end with {cmd}: {fix}"),
            None => assert!(!fix.contains("ils-doctor join"), "{scenario}: no join fixes this: {fix}"),
        }
    }
}
