//! Finishing a `--record` recording (docs/transcript.md): what the run learned about each side
//! (host names, addresses, cluster IDs, the CUCM version) is noted while it runs, and at the end
//! every transcript is written, redacted with the bundle's pseudonyms when asked.

use std::path::PathBuf;

use crate::bundle::redact::Pseudonyms;
use crate::collect::publisher::Access;
use crate::connect::record::{RecordError, Recording, Redactor};
use crate::parse::facts::Facts;

impl Redactor for Pseudonyms {
    fn learn(&mut self, text: &[u8]) {
        Pseudonyms::learn(self, text);
    }
    fn apply(&mut self, text: &[u8]) -> Vec<u8> {
        let out = Pseudonyms::apply(self, text);
        // Certificates name their host inside their base64: removed, as in a redacted bundle.
        match std::str::from_utf8(&out) {
            Ok(t) if t.contains("-----BEGIN CERTIFICATE-----") => crate::bundle::redact::without_pem(t).into_bytes(),
            _ => out,
        }
    }
}

/// Notes one side's names for the redaction and its role and version for the header.
pub fn note_facts(access: &Access, side_id: &str, role: &str, f: &Facts) {
    let Some(rec) = &access.record else { return };
    let r = access.recorder();
    if let Some(r) = &r {
        r.set_role(role);
        if let Some(v) = &f.version {
            r.set_version(v);
        }
    }
    rec.note_host(&access.host, side_id);
    for h in [Some(&f.host), f.node_name.as_ref()].into_iter().flatten().filter(|h| !h.is_empty()) {
        rec.note_host(h, side_id);
    }
    if let Some(id) = &f.cluster_id {
        rec.note_cluster_id(id, side_id);
    }
    for (ip, fqdn, _) in &f.nodes {
        rec.note_host(ip, "host");
        rec.note_host(fqdn, "host");
    }
    for (id, fqdn) in &f.remote_clusters {
        rec.note_cluster_id(id, "");
        rec.note_host(fqdn, "host");
    }
    for cert in [&f.tomcat_cert].into_iter().flatten() {
        for cn in [&cert.subject_cn, &cert.issuer_cn].into_iter().flatten().filter(|cn| !cn.contains(' ')) {
            rec.note_host(cn, "host");
        }
    }
}

/// The pseudonyms of a recording's notes, in the order noted (the hub first, as in a bundle).
pub fn pseudonyms(rec: &Recording) -> Pseudonyms {
    let mut p = Pseudonyms::default();
    for (name, kind, side) in rec.notes() {
        match kind {
            "cluster_id" => p.cluster_id(&name, (!side.is_empty()).then_some(side.as_str())),
            _ => p.host(&name, &side),
        }
    }
    p
}

/// Writes the recording into its folder (redacted when it was asked for, with `pseudo` when
/// given, else the recording's own pseudonyms) and says where.
pub fn finish(rec: &Recording, pseudo: Option<&mut Pseudonyms>) -> Result<Vec<PathBuf>, RecordError> {
    let mut own;
    let redactor: Option<&mut dyn Redactor> = match (rec.redact(), pseudo) {
        (false, _) => None,
        (true, Some(p)) => Some(p),
        (true, None) => {
            own = pseudonyms(rec);
            Some(&mut own)
        }
    };
    let written = rec.finish(redactor)?;
    crate::exit::say(&format!(
        "ils-doctor: recorded {} transcript(s) in {}{}",
        written.iter().filter(|p| p.extension().is_some_and(|e| e == "jsonl")).count(),
        rec.dir().display(),
        if rec.redact() {
            " (redacted: check it before sending, see docs/transcript.md)"
        } else {
            " (not redacted; owner-only)"
        }
    ));
    Ok(written)
}
