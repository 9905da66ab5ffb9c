//! One place that turns a result into the chosen format: text, JSON, Markdown or HTML.

use serde::Serialize;

use super::session::Outcome;
use crate::analyze::model::Analysis;
use crate::analyze::preflight::{Direction, Handshake, PairPreflight, Prediction};
use crate::report::model::{CertificateCheck, CertificateLine, CheckParts, Finding, MethodLine, Report, SideFacts};
use crate::report::template::{self, Kind, TemplateError};
use crate::report::{terminal, Format};

/// The report-model view of a check's configuration, findings and certificate check.
pub fn check_parts(o: &Outcome) -> CheckParts {
    let sides = o
        .config
        .iter()
        .map(|c| {
            let level = o.trace_levels.iter().find(|l| l.host == c.facts.host && l.https_port == c.facts.https_port);
            SideFacts {
                side: Some(c.side),
                host: c.facts.label(),
                version: c.facts.version.clone(),
                ils_role: c.facts.ils_role.clone(),
                cluster_id: c.facts.cluster_id.clone(),
                use_tls: None,
                use_password: None,
                trace_level_before: level.map(|l| l.describe(&l.before)),
                trace_level_after: level.map(|l| l.story()),
                ils_service: c.facts.ils_service.clone(),
                certificates: side_certificates(&c.facts),
            }
        })
        .collect::<Vec<_>>();
    let findings = o
        .findings
        .iter()
        .map(|f| Finding {
            severity: f.severity.as_str().to_string(),
            code: f.code.to_string(),
            message: f.message.clone(),
            fix: (!f.fix.is_empty()).then(|| f.fix.clone()),
            condition: f.condition.clone(),
            pair: f.pair.clone(),
            part_of_cause: f.part_of_cause,
        })
        .collect();
    CheckParts { sides, findings, certificates: o.preflight.iter().map(certificate_check).collect() }
}

/// A side's Tomcat certificate and trust list in a line each, for the Clusters table.
fn side_certificates(f: &crate::parse::facts::Facts) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &f.tomcat_certificate {
        let kind = if c.self_issued() {
            "self-signed".to_string()
        } else {
            format!("issued by {}", c.issuer_cn().unwrap_or_else(|| c.issuer.clone()))
        };
        let to = c.not_after.map(|t| format!(", valid to {}", t.format("%Y-%m-%d"))).unwrap_or_default();
        out.push(format!("{} ({kind}{to})", c.subject_cn().unwrap_or_else(|| c.subject.clone())));
    }
    if !f.tomcat_trust.is_empty() {
        let n = f.tomcat_trust.len();
        out.push(format!("tomcat-trust: {n} {}", if n == 1 { "entry" } else { "entries" }));
    }
    out
}

fn certificate_check(p: &PairPreflight) -> CertificateCheck {
    CertificateCheck {
        pair: format!("spoke {} -> hub {}", p.spoke, p.hub),
        checks: [&p.spoke_checks_hub, &p.hub_checks_spoke].into_iter().map(certificate_line).collect(),
        methods: merge_same(
            p.methods
                .iter()
                .map(|m| MethodLine {
                    method: m.method.title().to_string(),
                    prediction: match m.prediction {
                        Prediction::Succeeds => "succeeds",
                        Prediction::Fails => "fails",
                        Prediction::Depends => "depends",
                        Prediction::NotUsed => "no certificate check",
                        Prediction::Unknown => "unknown",
                    }
                    .to_string(),
                    why: m.why.clone(),
                })
                .collect(),
        ),
    }
}

/// Methods with the same prediction for the same reason, on one line: `TLS certificates
/// (method 2), TLS with password (method 3): fails: ...`.
fn merge_same(lines: Vec<MethodLine>) -> Vec<MethodLine> {
    let mut out: Vec<MethodLine> = Vec::new();
    for l in lines {
        match out.last_mut() {
            Some(last) if last.prediction == l.prediction && last.why == l.why => {
                last.method = format!("{}, {}", last.method, l.method);
            }
            _ => out.push(l),
        }
    }
    out
}

fn certificate_line(d: &Direction) -> CertificateLine {
    let (result, detail) = match &d.handshake {
        Handshake::Accepted { anchor, chain, signatures_verified } => (
            "accepted",
            format!(
                "through {}{}{}",
                if chain.len() > 1 { chain.join(" -> ") } else { anchor.clone() },
                if *signatures_verified {
                    "; signatures verified"
                } else {
                    "; matched on the decoded fields (names, serial, dates; no PEM to verify the signature)"
                },
                match d.imported {
                    Some(true) => "; the certificate itself is imported",
                    Some(false) => "; only its CA is imported, not the certificate itself",
                    None => "",
                }
            ),
        ),
        Handshake::Refused { code, reason } => ("refused", format!("{reason} (OpenSSL error {code})")),
        Handshake::Uncertain { reason } => ("uncertain", reason.clone()),
        Handshake::Unknown { reason } => ("unknown", reason.clone()),
    };
    let certificate = d.peer_certificate.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
    CertificateLine {
        who: format!("the {} checks the {}'s Tomcat certificate{certificate}", d.verifier_role, d.peer_role),
        result: result.to_string(),
        detail,
    }
}

/// Renders `analysis` (with the live facts when there are some). `json_value` is what
/// `--format json` prints (the analysis itself, or a check outcome that extends it); `verbose`
/// puts everything in the text report.
pub fn render<T: Serialize>(
    format: Format,
    analysis: &Analysis,
    parts: CheckParts,
    json_value: &T,
    template_dir: Option<&std::path::Path>,
    generated_at: String,
    verbose: bool,
) -> Result<Vec<u8>, TemplateError> {
    let mut out = Vec::new();
    match format {
        Format::Json => {
            let mut text = serde_json::to_vec_pretty(json_value).unwrap_or_default();
            text.push(b'\n');
            out = text;
        }
        Format::Text => {
            let _ = terminal::write_report(&mut out, analysis, &parts, verbose);
        }
        Format::Markdown | Format::Html => {
            let mut r = Report::new(analysis, generated_at);
            r.view = crate::report::view::View::build(analysis, &parts);
            r.sides = parts.sides;
            r.findings = parts.findings;
            r.certificates = parts.certificates;
            let kind = if format == Format::Html { Kind::Html } else { Kind::Markdown };
            out = template::render(kind, &r, template_dir)?.into_bytes();
        }
    }
    Ok(out)
}
