//! One place that turns a result into the chosen format: text, JSON, Markdown or HTML.

use serde::Serialize;

use super::session::Outcome;
use crate::analyze::model::Analysis;
use crate::report::model::{Finding, Report, SideFacts};
use crate::report::template::{self, Kind, TemplateError};
use crate::report::{terminal, Format};

/// The report-model view of a check's configuration and findings.
pub fn check_parts(o: &Outcome) -> (Vec<SideFacts>, Vec<Finding>) {
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
                certificates: Vec::new(),
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
            condition: f
                .code
                .starts_with("peer_certificate_")
                .then(|| "if this pair uses TLS (authentication methods 2 to 4)".to_string()),
        })
        .collect();
    (sides, findings)
}

/// Renders `analysis` (with the live facts when there are some). `json_value` is what
/// `--format json` prints (the analysis itself, or a check outcome that extends it).
pub fn render<T: Serialize>(
    format: Format,
    analysis: &Analysis,
    sides: Vec<SideFacts>,
    findings: Vec<Finding>,
    json_value: &T,
    template_dir: Option<&std::path::Path>,
    generated_at: String,
) -> Result<Vec<u8>, TemplateError> {
    let mut out = Vec::new();
    match format {
        Format::Json => {
            let mut text = serde_json::to_vec_pretty(json_value).unwrap_or_default();
            text.push(b'\n');
            out = text;
        }
        Format::Text => {
            let _ = terminal::write_with(&mut out, analysis, &sides, &findings);
        }
        Format::Markdown | Format::Html => {
            let mut r = Report::new(analysis, generated_at);
            r.sides = sides;
            r.findings = findings;
            let kind = if format == Format::Html { Kind::Html } else { Kind::Markdown };
            out = template::render(kind, &r, template_dir)?.into_bytes();
        }
    }
    Ok(out)
}
