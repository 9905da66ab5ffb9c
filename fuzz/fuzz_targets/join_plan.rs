//! The join planner on facts built from arbitrary CLI outputs (`show cert own tomcat`, `show
//! cert list trust`, `utils service list`) and arbitrary roles, Cluster IDs and sync states,
//! under every method: a plan always comes back, numbered in order, its exit code its status's,
//! no step when refused, the check last when there are changes.
#![no_main]
use ils_doctor::analyze::Method;
use ils_doctor::configure::model::{Operation, PlanStatus};
use ils_doctor::configure::plan::{plan, Found, Input};
use ils_doctor::parse::cert;
use ils_doctor::parse::{facts, trust as certs};
use libfuzzer_sys::fuzz_target;

fn side(parts: &[&str], host: &str, port: u16) -> facts::Facts {
    let get = |i: usize| parts.get(i).copied().unwrap_or("");
    let mut f = facts::Facts { host: host.into(), https_port: port, ..facts::Facts::default() };
    f.tomcat_certificate = cert::from_cli(get(0));
    f.tomcat_trust = certs::trust_list(get(1));
    f.tomcat_trust_checked = !f.tomcat_trust.is_empty();
    f.ils_service = facts::service_state(get(2), facts::ILS_SERVICE);
    f.ils_role = Some(get(3).to_string()).filter(|r| !r.is_empty());
    f.cluster_id = Some(get(4).to_string()).filter(|r| !r.is_empty());
    f.ils_sync_status = Some(get(5).to_string());
    f.nodes = facts::network_cluster(get(6));
    f
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\u{0}').collect();
    let (a, b) = parts.split_at(parts.len().min(7));
    let hub = side(a, "h", 1);
    let spoke = side(b, "s", 2);
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default().naive_utc();
    let cas: Vec<cert::CertInfo> = b.get(7).and_then(|t| cert::from_cli(t)).into_iter().collect();
    for method in Method::ALL {
        let found = Found::default();
        let p = plan(&Input {
            method,
            hub_to_hub: data.first().is_some_and(|x| x & 1 == 1),
            registering: &spoke,
            registered_to: &hub,
            found: &found,
            ca_certs: &cas,
            sync_minutes: 10,
            now,
        });
        assert_eq!(p.exit_code, p.status.exit_code());
        assert!(p.steps.iter().enumerate().all(|(i, s)| s.n == i + 1));
        match p.status {
            PlanStatus::Refused => assert!(p.steps.is_empty() && !p.refusals.is_empty()),
            PlanStatus::NothingToDo => assert!(p.steps.is_empty()),
            PlanStatus::Changes => {
                assert!(
                    matches!(p.steps.last().map(|s| &s.operation), Some(Operation::Verify { method: m }) if *m == method)
                )
            }
        }
    }
});
