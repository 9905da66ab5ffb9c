//! The document a machine-readable format gets when the run ends in an error: status
//! `unknown`, exit code 3, and the error with its host and operation (docs/json-contract.md,
//! "Error document"), written where the verdict would have gone, so that a monitoring system
//! never reads the previous run's verdict as this run's.

use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};

use super::failure::Failure;
use crate::analyze::{Analysis, Status};
use crate::audit::model::{AuditReport, Depth, SCHEMA as AUDIT_SCHEMA};
use crate::audit::{junit, prometheus};
use crate::pipeline::output::{self, OutputError};

/// The schema of the error document of commands whose output is not a verdict (`join`'s plan,
/// `history`, `signatures`, `transcript summarize`).
pub const SCHEMA: &str = "ils-doctor/error/1";

/// Which document a command's machine-readable format has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `ils-doctor/analysis/2` (analyze, check, demo, collect's report).
    Analysis,
    /// `ils-doctor/audit/1`.
    AuditJson,
    Junit,
    Prometheus,
    /// `ils-doctor/error/1`.
    Error,
}

/// Where the error document of a run goes, and which one it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sink {
    pub kind: Kind,
    /// `-o FILE`; standard output when None.
    pub path: Option<PathBuf>,
}

impl Sink {
    /// The sink of `command` (`check`, `transcript summarize`, ...) run with `--format format`
    /// and `-o output`; None when the format is for people (text, HTML, Markdown, summary).
    /// `collect`'s `-o` is its bundle: its report, and so its error document, goes to standard
    /// output.
    pub fn of(command: &str, format: &str, output: Option<PathBuf>) -> Option<Sink> {
        let kind = match (command, format) {
            ("analyze" | "check" | "demo" | "collect", "json") => Kind::Analysis,
            ("audit", "json") => Kind::AuditJson,
            ("audit", "junit") => Kind::Junit,
            ("audit", "prometheus") => Kind::Prometheus,
            ("history" | "join" | "signatures" | "transcript summarize", "json") => Kind::Error,
            _ => return None,
        };
        let path = if command == "collect" { None } else { output };
        Some(Sink { kind, path })
    }

    /// Writes the document (atomically to a file, as every report).
    pub fn write(&self, f: &Failure, started: DateTime<Utc>) -> Result<(), OutputError> {
        let bytes = render(self.kind, f, started);
        output::emit(self.path.as_deref(), |w| w.write_all(&bytes))
    }
}

/// The one line for a person or a monitoring system, starting with the status in capitals as
/// every document's `summary` does.
fn summary(f: &Failure) -> String {
    format!("UNKNOWN: {} failed: {}", f.command, f.message)
}

/// The document of `kind` for the failure `f` of a run started at `started`.
pub fn render(kind: Kind, f: &Failure, started: DateTime<Utc>) -> Vec<u8> {
    match kind {
        Kind::Analysis => {
            let mut a = Analysis::empty(Status::Unknown, summary(f));
            a.warnings.push(f.message.clone());
            json_with_error(&a, f)
        }
        Kind::AuditJson => json_with_error(&audit_report(f, started).document(), f),
        Kind::Junit => junit_doc(f, started).into_bytes(),
        Kind::Prometheus => prometheus_doc(f, started).into_bytes(),
        Kind::Error => {
            let doc = ErrorDocument {
                schema: SCHEMA,
                status: Status::Unknown,
                exit_code: Status::Unknown.exit_code(),
                summary: summary(f),
                tool: crate::analyze::model::Tool::this(),
            };
            json_with_error(&doc, f)
        }
    }
}

/// `ils-doctor/error/1` before its `error`: the fields every document starts with.
#[derive(serde::Serialize)]
struct ErrorDocument {
    schema: &'static str,
    status: Status,
    exit_code: u8,
    summary: String,
    tool: crate::analyze::model::Tool,
}

/// `doc` as pretty JSON, its fields in their order, with the `error` object added last.
fn json_with_error(doc: &impl serde::Serialize, f: &Failure) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct WithError<'a, T> {
        #[serde(flatten)]
        doc: &'a T,
        error: &'a Failure,
    }
    let mut out = serde_json::to_vec_pretty(&WithError { doc, error: f }).unwrap_or_default();
    out.push(b'\n');
    out
}

/// An audit that assessed nothing: no cluster, no pair, status unknown.
fn audit_report(f: &Failure, started: DateTime<Utc>) -> AuditReport {
    let tool = crate::analyze::model::Tool::this();
    AuditReport {
        schema: AUDIT_SCHEMA.to_string(),
        status: Status::Unknown,
        exit_code: Status::Unknown.exit_code(),
        summary: summary(f),
        tool_version: tool.version.to_string(),
        tool_revision: tool.revision.to_string(),
        tool_built: tool.built.to_string(),
        started: started.to_rfc3339_opts(SecondsFormat::Secs, true),
        duration_ms: u64::try_from(Utc::now().signed_duration_since(started).num_milliseconds()).unwrap_or(0),
        depth: Depth::Light,
        since_s: 0,
        clusters: Vec::new(),
        pairs: Vec::new(),
        changes: Vec::new(),
    }
}

/// The audit's metrics without a cluster (its status 3, when it ran, how long), and
/// `ils_doctor_audit_error` with the operation and the host, which the alert rules act on.
fn prometheus_doc(f: &Failure, started: DateTime<Utc>) -> String {
    let mut out = prometheus::render(&audit_report(f, started));
    out.push_str(
        "# HELP ils_doctor_audit_error 1 when the audit stopped on an error (its operation and host, empty when none, as labels); absent after an audit that ran.\n",
    );
    out.push_str("# TYPE ils_doctor_audit_error gauge\n");
    out.push_str(&format!(
        "ils_doctor_audit_error{{operation=\"{}\",host=\"{}\"}} 1\n",
        prometheus::escape_label(&f.operation),
        prometheus::escape_label(f.host.as_deref().unwrap_or(""))
    ));
    out
}

/// One test suite with one test case in error: a CI dashboard shows the audit as broken, not
/// as passed with no test.
fn junit_doc(f: &Failure, started: DateTime<Utc>) -> String {
    let report = audit_report(f, started);
    let seconds = format!("{}.{:03}", report.duration_ms / 1000, report.duration_ms % 1000);
    let where_ = match &f.host {
        Some(h) => format!("{} on {h}", f.operation),
        None => f.operation.clone(),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"ils-doctor audit\" tests=\"1\" failures=\"0\" errors=\"1\" time=\"{seconds}\" timestamp=\"{ts}\">\n  \
         <testsuite name=\"ils-doctor\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"{seconds}\" timestamp=\"{ts}\">\n    \
         <testcase classname=\"ils.audit\" name=\"audit\" time=\"{seconds}\">\n      \
         <error message=\"{message}\" type=\"{operation}\">{body}</error>\n    \
         </testcase>\n  \
         </testsuite>\n\
         </testsuites>\n",
        ts = junit::attr(&report.started),
        message = junit::attr(&f.message),
        operation = junit::attr(&where_),
        body = junit::text(&report.summary),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure() -> Failure {
        Failure {
            command: "audit".into(),
            message: "https hub\"a: TLS probe: refused\nnext".into(),
            host: Some("hub\"a".into()),
            operation: "https TLS probe".into(),
        }
    }

    #[test]
    fn only_machine_formats_get_a_sink_and_collect_s_goes_to_standard_output() {
        assert_eq!(Sink::of("check", "text", Some("r.txt".into())), None);
        assert_eq!(Sink::of("audit", "summary", None), None);
        assert_eq!(Sink::of("audit", "html", None), None);
        assert_eq!(Sink::of("check", "junit", None), None);
        let s = Sink::of("audit", "prometheus", Some("x.prom".into())).unwrap();
        assert_eq!((s.kind, s.path.as_deref()), (Kind::Prometheus, Some(std::path::Path::new("x.prom"))));
        assert_eq!(Sink::of("collect", "json", Some("case.tar.gz".into())).unwrap().path, None);
        assert_eq!(Sink::of("transcript summarize", "json", None).unwrap().kind, Kind::Error);
    }

    #[test]
    fn every_json_document_is_unknown_with_exit_code_3_and_the_error() {
        for (kind, schema) in
            [(Kind::Analysis, "ils-doctor/analysis/2"), (Kind::AuditJson, "ils-doctor/audit/1"), (Kind::Error, SCHEMA)]
        {
            let v: serde_json::Value = serde_json::from_slice(&render(kind, &failure(), Utc::now())).unwrap();
            assert_eq!(v["schema"], schema);
            assert_eq!(v["status"], "unknown");
            assert_eq!(v["exit_code"], 3);
            assert!(v["summary"].as_str().unwrap().starts_with("UNKNOWN: audit failed: https hub"), "{v}");
            assert_eq!(v["error"]["host"], "hub\"a");
            assert_eq!(v["error"]["operation"], "https TLS probe");
            assert_eq!(v["error"]["command"], "audit");
        }
    }

    #[test]
    fn the_metrics_parse_and_say_unknown_with_the_error() {
        let text = render(Kind::Prometheus, &failure(), Utc::now());
        let text = String::from_utf8(text).unwrap();
        let parsed =
            openmetrics_parser::prometheus::parse_prometheus(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert!(parsed.families.contains_key("ils_doctor_audit_error"), "{text}");
        assert!(text.contains("ils_doctor_audit_status 3\n"), "{text}");
        assert!(text.contains("ils_doctor_audit_error{operation=\"https TLS probe\",host=\"hub\\\"a\"} 1\n"), "{text}");
        assert!(!text.contains("ils_doctor_cluster_status"), "no cluster was assessed: {text}");
    }

    #[test]
    fn the_junit_document_has_one_case_in_error() {
        use quick_xml::events::Event;
        let xml = String::from_utf8(render(Kind::Junit, &failure(), Utc::now())).unwrap();
        let mut reader = quick_xml::Reader::from_str(&xml);
        let (mut cases, mut error) = (0, None);
        loop {
            match reader.read_event().unwrap_or_else(|e| panic!("{e}\n{xml}")) {
                Event::Start(e) if e.name().as_ref() == "testcase" => cases += 1,
                Event::Start(e) if e.name().as_ref() == "error" => {
                    let get = |k: &str| {
                        let a = e.try_get_attribute(k).unwrap().unwrap();
                        a.normalized_value(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned()
                    };
                    error = Some((get("message"), get("type")));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(cases, 1, "{xml}");
        let (message, kind) = error.unwrap();
        assert_eq!(message, "https hub\"a: TLS probe: refused\nnext");
        assert_eq!(kind, "https TLS probe on hub\"a");
    }
}
