//! The audit as Prometheus metrics (text exposition format 0.0.4), written to a file for
//! node_exporter's textfile collector.
//!
//! All families are gauges named `ils_doctor_*`; statuses are the exit-code numbers (0 ok,
//! 1 warning, 2 critical, 3 unknown) so that `max(...) >= 2` alerts on critical. No sample has a
//! timestamp (the textfile collector refuses them); `ils_doctor_audit_last_run_timestamp_seconds`
//! tells how old the file is. Label values come from inventories and remote hosts: backslash,
//! double quote and line feed are escaped as the format requires.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::DateTime;

use super::model::AuditReport;
use crate::analyze::Status;

const STATES: [Status; 4] = [Status::Ok, Status::Warning, Status::Critical, Status::Unknown];

/// Finding codes that mean an ILS trace level stays raised: one a check could not put back, and
/// one that reads differently after the restore.
const RAISED_CODES: [&str; 2] = ["trace_level_still_raised", "trace_level_not_restored"];

/// A label value as the format wants it: `\` → `\\`, `"` → `\"`, line feed → `\n`.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Collects one family's samples so that its `# HELP`/`# TYPE` come once, before them.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family { name, help, samples: Vec::new() }
    }

    fn add(&mut self, labels: &[(&'static str, &str)], value: f64) {
        self.samples.push((labels.iter().map(|(k, v)| (*k, v.to_string())).collect(), value));
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        for (labels, value) in &self.samples {
            out.push_str(self.name);
            if !labels.is_empty() {
                let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape_label(v))).collect();
                let _ = write!(out, "{{{}}}", parts.join(","));
            }
            let _ = writeln!(out, " {}", number(*value));
        }
    }
}

/// Integers without a fraction, the rest as Rust prints them (both valid Go floats).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn status_value(s: Status) -> f64 {
    f64::from(s.exit_code())
}

/// The report as a Prometheus text exposition (0.0.4).
pub fn render(report: &AuditReport) -> String {
    let mut cluster_status =
        Family::new("ils_doctor_cluster_status", "Cluster status: 0 ok, 1 warning, 2 critical, 3 unknown.");
    let mut cluster_up = Family::new("ils_doctor_cluster_up", "1 when the cluster could be assessed, 0 when not.");
    let mut pair_status = Family::new(
        "ils_doctor_pair_status",
        "Spoke to hub registration status: 0 ok, 1 warning, 2 critical, 3 unknown.",
    );
    let mut pair_attempts =
        Family::new("ils_doctor_pair_attempts", "Registration attempts of the pair seen in the traces read.");
    let mut pair_failures =
        Family::new("ils_doctor_pair_failures", "Failed registration attempts of the pair, by root cause.");
    let mut cert_expiry = Family::new(
        "ils_doctor_certificate_expiry_timestamp_seconds",
        "When the cluster's Tomcat certificate expires, in seconds since the epoch.",
    );
    let mut findings = Family::new("ils_doctor_findings", "Configuration findings of the cluster, by severity.");
    let mut raised = Family::new(
        "ils_doctor_trace_level_raised",
        "1 when the cluster's ILS trace level was left raised (not put back after a check), else 0.",
    );
    let mut duration = Family::new("ils_doctor_audit_duration_seconds", "How long the audit took.");
    let mut audit_status =
        Family::new("ils_doctor_audit_status", "The audit's overall status: 0 ok, 1 warning, 2 critical, 3 unknown.");
    let mut last_run = Family::new(
        "ils_doctor_audit_last_run_timestamp_seconds",
        "When the audit started, in seconds since the epoch.",
    );
    let mut clusters_by_state = Family::new("ils_doctor_audit_clusters", "Clusters of the audit by status.");

    for c in &report.clusters {
        let labels =
            [("network", c.network.as_str()), ("cluster", &c.name), ("role", c.role.as_str()), ("host", &c.host)];
        cluster_status.add(&labels, status_value(c.status));
        cluster_up.add(&labels, if c.status == Status::Unknown { 0.0 } else { 1.0 });
        if let Some(t) = c.cert_expires.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
            cert_expiry.add(&[("network", &c.network), ("cluster", &c.name)], t.timestamp() as f64);
        }
        // Every severity, zeros included, so that a series does not vanish when it is fixed.
        let mut counts: BTreeMap<Status, usize> = STATES.iter().map(|s| (*s, 0)).collect();
        for f in &c.findings {
            let n = counts.entry(f.severity).or_default();
            *n = n.saturating_add(1);
        }
        for (severity, n) in counts {
            findings.add(&[("network", &c.network), ("cluster", &c.name), ("severity", severity.as_str())], n as f64);
        }
        let left_raised = c.findings.iter().any(|f| RAISED_CODES.contains(&f.code.as_str()));
        raised.add(&labels, if left_raised { 1.0 } else { 0.0 });
    }
    for p in &report.pairs {
        let labels = [("network", p.network.as_str()), ("hub", &p.hub), ("spoke", &p.spoke)];
        pair_status.add(&labels, status_value(p.status));
        pair_attempts.add(&labels, p.attempts as f64);
        for (cause, n) in &p.failures_by_cause {
            pair_failures.add(&[labels[0], labels[1], labels[2], ("cause", cause)], *n as f64);
        }
    }
    duration.add(&[], report.duration_ms as f64 / 1000.0);
    audit_status.add(&[], status_value(report.status));
    if let Ok(t) = DateTime::parse_from_rfc3339(&report.started) {
        last_run.add(&[], t.timestamp_millis() as f64 / 1000.0);
    }
    for state in STATES {
        let n = report.clusters.iter().filter(|c| c.status == state).count();
        clusters_by_state.add(&[("state", state.as_str())], n as f64);
    }

    let mut out = String::new();
    for family in [
        &cluster_status,
        &cluster_up,
        &pair_status,
        &pair_attempts,
        &pair_failures,
        &cert_expiry,
        &findings,
        &raised,
        &duration,
        &audit_status,
        &last_run,
        &clusters_by_state,
    ] {
        if !family.samples.is_empty() {
            family.write(&mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use openmetrics_parser::prometheus::parse_prometheus;
    use openmetrics_parser::{PrometheusType, PrometheusValue};

    use super::*;
    use crate::audit::model::Role;
    use crate::audit::testdata::{cluster, pair, report, simple};

    type Labels = BTreeMap<String, String>;

    /// Parses with a real text-format parser (openmetrics-parser's Prometheus grammar) and
    /// returns every sample as (family, labels, value); all families must be gauges.
    fn scrape(text: &str) -> Vec<(String, Labels, f64)> {
        let exposition = parse_prometheus(text).unwrap_or_else(|e| panic!("{e:?} in\n{text}"));
        let mut out = Vec::new();
        for (name, family) in &exposition.families {
            assert_eq!(family.family_type, PrometheusType::Gauge, "{name}");
            assert!(!family.help.is_empty(), "{name}");
            for sample in family.iter_samples() {
                let labels = sample.get_labelset().unwrap();
                let labels: Labels = labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                let PrometheusValue::Gauge(v) = &sample.value else { panic!("{name}: not a gauge") };
                out.push((name.clone(), labels, v.as_f64()));
            }
        }
        out
    }

    fn value(samples: &[(String, Labels, f64)], name: &str, labels: &[(&str, &str)]) -> f64 {
        let matching: Vec<f64> = samples
            .iter()
            .filter(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
            .map(|(_, _, v)| *v)
            .collect();
        assert_eq!(matching.len(), 1, "{name} {labels:?}: {matching:?}");
        matching[0]
    }

    #[test]
    fn families_and_values() {
        let mut r = simple("2026-01-01T10:00:00Z", Status::Ok, Status::Unknown, Status::Critical, Status::Warning);
        r.clusters[0].cert_expires = Some("2025-12-30T10:00:00Z".into());
        r.clusters[1].cert_expires = None;
        r.clusters[2].findings.push(crate::audit::model::FindingRow {
            severity: Status::Warning,
            code: "x".into(),
            message: "m".into(),
            fix: String::new(),
        });
        let text = render(&r);
        // HELP and TYPE once per family.
        assert_eq!(text.matches("# TYPE ils_doctor_cluster_status gauge\n").count(), 1);
        assert_eq!(text.matches("# HELP ").count(), text.matches("# TYPE ").count());
        let s = scrape(&text);

        let hub = [("network", "net1"), ("cluster", "hub-a"), ("role", "hub"), ("host", "hub-a.example.com")];
        assert_eq!(value(&s, "ils_doctor_cluster_status", &hub), 0.0);
        assert_eq!(value(&s, "ils_doctor_cluster_up", &hub), 1.0);
        assert_eq!(value(&s, "ils_doctor_cluster_status", &[("cluster", "spoke-1"), ("role", "spoke")]), 3.0);
        assert_eq!(value(&s, "ils_doctor_cluster_up", &[("cluster", "spoke-1")]), 0.0);

        let p1 = [("network", "net1"), ("hub", "hub-a"), ("spoke", "spoke-1")];
        assert_eq!(value(&s, "ils_doctor_pair_status", &p1), 2.0);
        assert_eq!(value(&s, "ils_doctor_pair_status", &[("spoke", "spoke-2")]), 1.0);
        assert_eq!(value(&s, "ils_doctor_pair_attempts", &p1), 4.0);
        assert_eq!(
            value(&s, "ils_doctor_pair_failures", &[("spoke", "spoke-1"), ("cause", "spoke_rejects_hub_certificate")]),
            2.0
        );
        assert_eq!(s.iter().filter(|(n, _, _)| n == "ils_doctor_pair_failures").count(), 2);

        let expiry = "ils_doctor_certificate_expiry_timestamp_seconds";
        assert_eq!(value(&s, expiry, &[("cluster", "hub-a")]), 1_767_088_800.0);
        assert_eq!(value(&s, expiry, &[("cluster", "spoke-2")]), 1_784_541_600.0);
        // Unknown expiry: no sample rather than a made-up number.
        assert_eq!(s.iter().filter(|(n, _, _)| n == expiry).count(), 2);

        assert_eq!(value(&s, "ils_doctor_findings", &[("cluster", "spoke-2"), ("severity", "warning")]), 1.0);
        assert_eq!(value(&s, "ils_doctor_findings", &[("cluster", "spoke-2"), ("severity", "critical")]), 0.0);

        assert_eq!(value(&s, "ils_doctor_audit_duration_seconds", &[]), 12.345);
        assert_eq!(value(&s, "ils_doctor_audit_status", &[]), 2.0);
        assert_eq!(value(&s, "ils_doctor_audit_last_run_timestamp_seconds", &[]), 1_767_261_600.0);
        assert_eq!(value(&s, "ils_doctor_audit_clusters", &[("state", "ok")]), 2.0);
        assert_eq!(value(&s, "ils_doctor_audit_clusters", &[("state", "unknown")]), 1.0);
        assert_eq!(value(&s, "ils_doctor_audit_clusters", &[("state", "critical")]), 0.0);
        assert!(text.lines().all(|l| l.starts_with("# ") || l.starts_with("ils_doctor_")), "{text}");
    }

    #[test]
    fn a_trace_level_left_raised_is_one_for_its_cluster_only() {
        let mut r = simple("2026-01-01T10:00:00Z", Status::Critical, Status::Ok, Status::Ok, Status::Ok);
        let finding = |severity, code: &str| crate::audit::model::FindingRow {
            severity,
            code: code.into(),
            message: "m".into(),
            fix: String::new(),
        };
        r.clusters[0].findings.push(finding(Status::Critical, "trace_level_still_raised"));
        r.clusters[1].findings.push(finding(Status::Warning, "trace_level_not_restored"));
        r.clusters[2].findings.push(finding(Status::Warning, "tomcat_certificate_expiring"));
        let s = scrape(&render(&r));
        let hub = [("network", "net1"), ("cluster", "hub-a"), ("role", "hub"), ("host", "hub-a.example.com")];
        assert_eq!(value(&s, "ils_doctor_trace_level_raised", &hub), 1.0);
        assert_eq!(value(&s, "ils_doctor_trace_level_raised", &[("cluster", "spoke-1")]), 1.0);
        // Every cluster has the series, so an alert resolves when the level is put back.
        assert_eq!(value(&s, "ils_doctor_trace_level_raised", &[("cluster", "spoke-2")]), 0.0);
        assert_eq!(s.iter().filter(|(n, _, _)| n == "ils_doctor_trace_level_raised").count(), 3);
    }

    #[test]
    fn hostile_label_values_are_escaped() {
        let hostile = "a\\b\"c\nd}e,f=\"g\" 1\n# TYPE x counter";
        let mut c = cluster("net\"1", hostile, Role::Hub, Status::Ok);
        c.host = "h\\".to_string();
        let mut p = pair("net\"1", hostile, "s{p}", Status::Critical);
        p.failures_by_cause = [(hostile.to_string(), 7)].into_iter().collect();
        let text = render(&report("2026-01-01T10:00:00Z", vec![c], vec![p]));
        // The line feed never reaches the output as such: one line per sample.
        assert_eq!(text.lines().filter(|l| l.starts_with("ils_doctor_cluster_status")).count(), 1);
        let s = scrape(&text);
        assert_eq!(
            value(&s, "ils_doctor_cluster_status", &[("network", "net\"1"), ("cluster", hostile), ("host", "h\\")]),
            0.0
        );
        assert_eq!(
            value(&s, "ils_doctor_pair_failures", &[("hub", hostile), ("spoke", "s{p}"), ("cause", hostile)]),
            7.0
        );
        assert!(!s.iter().any(|(n, _, _)| n == "x"));
    }

    #[test]
    fn label_escaping() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_label("plain é"), "plain é");
    }

    #[test]
    fn numbers_are_valid_for_the_format() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-2.0), "-2");
        assert_eq!(number(12.345), "12.345");
        assert_eq!(number(1_767_261_600.5), "1767261600.5");
    }

    /// `promtool check metrics` is the reference linter. Outside CI the test skips, and says so,
    /// when promtool is not on PATH (the parser tests above always run); under `CI=true` a
    /// missing promtool fails it (`.ci/run` installs it from Debian's prometheus package).
    #[test]
    fn promtool_accepts_the_output() {
        use std::io::Write;
        use std::process::{Command, Stdio};

        let r = simple("2026-01-01T10:00:00Z", Status::Ok, Status::Unknown, Status::Critical, Status::Warning);
        let text = render(&r);
        let child = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "promtool is not on PATH ({e}); under CI=true a missing promtool fails"
                );
                println!(
                    "promtool_accepts_the_output ... skipped: promtool is not on PATH ({e}); the openmetrics-parser tests cover the format"
                );
                return;
            }
        };
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        // promtool exits 1 for lint problems (e.g. naming advice) and 3 for invalid input; print
        // its findings either way and fail on any of them.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "promtool: {stdout}{stderr}\n{text}");
    }
}
