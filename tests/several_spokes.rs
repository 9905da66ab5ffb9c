//! `check` with several spokes on one hub (mock scenarios multi-two-spokes and
//! multi-three-spokes): the capture waits for each spoke asked for, the verdict judges the spokes
//! asked for (others are context), and --force-registration forces a registration even when the
//! level already was Detailed.

mod support;

use std::time::Duration;

use ils_doctor::analyze::{Outcome, Status};
use ils_doctor::pipeline::session as check;
use mock_server::decision::Outcome as Truth;
use mock_server::scenario::TraceLevel;
use support::live::{self, Net};

/// The scenario IP of a spoke: what the hub's traces name it by.
fn ip(net: &Net, name: &str) -> String {
    net.mock.with_world(|w| w.scenario.cluster(name).map(|c| c.ip.clone()).unwrap_or_default())
}

fn wait_for_failure_of(net: &Net, spoke: &str) {
    let seen = net.mock.wait_for(Duration::from_secs(30), |w| {
        w.engine
            .attempts()
            .iter()
            .any(|a| a.spoke == spoke && a.written_hub && !matches!(a.outcome, Truth::Registered(_)))
    });
    assert!(seen, "{spoke} failed at least once in the hub's traces");
}

/// Two spokes asked for; a third, not asked for, fails in the hub's traces all along. The
/// capture must not stop on that one's attempts: it waits until each spoke asked for has a
/// decided attempt. spoke-c's ILS is stopped: `--force-registration` leaves it stopped (and
/// the verdict says so); `--start-stopped` starts it, and the capture waits for its attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_spoke_stays_stopped_unless_asked() {
    let mut net = live::start("multi-three-spokes");
    wait_for_failure_of(&net, "spoke-b");
    let c = net.access("spoke-c").clone();
    let a = net.access("spoke-a").clone();
    net.spokes = vec![a, c];
    net.names = vec!["hub".into(), "spoke-a".into(), "spoke-c".into()];
    let out = check::run(&net.request(30), std::future::pending()).await.unwrap();
    let stopped = net.mock.with_world(|w| w.engine.service("spoke-c"));
    assert_eq!(stopped, Some(mock_server::scenario::ServiceState::Stopped), "left stopped");
    let c_ip = ip(&net, "spoke-c");
    let pair = out.analysis.pairs.iter().find(|p| p.spoke.as_deref() == Some(c_ip.as_str())).unwrap();
    assert_eq!(pair.cause.as_ref().map(|c| c.code.as_str()), Some("client_service_stopped"), "{pair:?}");
    assert!(pair.reason.contains("--start-stopped"), "{}", pair.reason);
    let c_key = ils_doctor::analyze::cause::publisher_key(&out.config[2].facts.host, out.config[2].facts.https_port);
    assert!(!out.run.restarted.contains(&c_key), "{:?}", out.run);
    assert_eq!(out.run.left_stopped, vec![c_key]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_capture_waits_for_each_requested_spoke() {
    let mut net = live::start("multi-three-spokes");
    wait_for_failure_of(&net, "spoke-b");
    let a_ok = net.mock.wait_for(Duration::from_secs(30), |w| w.engine.is_registered("spoke-a"));
    assert!(a_ok);
    let c = net.access("spoke-c").clone();
    let a = net.access("spoke-a").clone();
    net.spokes = vec![a, c];
    net.names = vec!["hub".into(), "spoke-a".into(), "spoke-c".into()];
    let before = net.levels();
    let mut req = net.request(30);
    req.start_stopped = true;
    let out = check::run(&req, std::future::pending()).await.unwrap();
    assert_eq!(net.levels(), before);
    let decided = |ip: &str| {
        out.analysis.attempts.iter().any(|x| x.outcome != Outcome::Incomplete && x.spoke.as_deref() == Some(ip))
    };
    assert!(decided(&ip(&net, "spoke-a")), "spoke-a decided: {}", out.analysis.summary);
    assert!(
        decided(&ip(&net, "spoke-c")),
        "the capture waited for spoke-c (not stopped by spoke-b's attempts): {} / {:?}",
        out.analysis.summary,
        out.analysis.attempts.iter().map(|x| (&x.spoke, x.outcome)).collect::<Vec<_>>()
    );
}

/// `check --spoke spoke-a` judges spoke-a: spoke-b's failures in the hub's traces are listed as
/// context, not the verdict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verdict_judges_the_requested_spoke() {
    let mut net = live::start("multi-two-spokes");
    wait_for_failure_of(&net, "spoke-b");
    net.spokes.truncate(1);
    net.names.truncate(2);
    assert_eq!(net.names[1], "spoke-a");
    let out = check::run(&net.request(30), std::future::pending()).await.unwrap();
    let a = &out.analysis;
    let b_ip = ip(&net, "spoke-b");
    assert!(
        a.attempts.iter().any(|x| x.spoke.as_deref() == Some(b_ip.as_str()) && x.outcome == Outcome::Failure),
        "spoke-b's failures are in the hub's traces: {:?}",
        a.attempts.iter().map(|x| (&x.spoke, x.outcome)).collect::<Vec<_>>()
    );
    assert_eq!(a.status, Status::Ok, "judged on spoke-a: {}", a.summary);
    assert!(a.warnings.iter().any(|w| w.contains("not given") && w.contains(&b_ip)), "{:?}", a.warnings);
    let context = a.pairs.iter().find(|p| p.spoke.as_deref() == Some(b_ip.as_str())).unwrap();
    assert!(!context.judged, "spoke-b's pair is context: {context:?}");
}

/// The level already Detailed everywhere: --force-registration still restarts the spoke's ILS
/// and captures the new attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_registration_works_when_the_level_already_is_detailed() {
    let s = mock_server::bundled::load("multi-two-spokes").unwrap().unwrap().with_trace_level(TraceLevel::Detailed);
    let mut net = live::start_scenario(s);
    assert!(net.mock.wait_for(Duration::from_secs(30), |w| w.engine.is_registered("spoke-a")));
    net.spokes.truncate(1);
    net.names.truncate(2);
    let started = chrono::Utc::now();
    let out = check::run(&net.request(30), std::future::pending()).await.unwrap();
    assert!(out.trace_levels.iter().all(|l| l.before == l.during), "nothing raised");
    let forced = net.mock.with_world(|w| w.engine.attempts().iter().any(|a| a.spoke == "spoke-a" && a.time >= started));
    assert!(forced, "spoke-a registered again after the check started");
    assert_eq!(out.analysis.status, Status::Ok, "{}", out.analysis.summary);
}
