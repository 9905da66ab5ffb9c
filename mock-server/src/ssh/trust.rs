//! Changing tomcat-trust from the `admin:` CLI: `set cert import trust tomcat` (the pasted
//! certificate) and `set cert delete tomcat-trust <file>` (after a yes/no question).
//!
//! Follows docs/cucm-notes.md#cert-import: the import's success text is Cisco's [C]; the paste
//! prompt is what public automation waits for [3P]; the delete command's unit and file name
//! are third-party, its question and every error text invented [I]. A change is saved at once
//! (`show cert list trust` shows it) but the ILS service uses it only after a restart
//! (docs/cucm-notes.md#join-restart) [I].

use crate::db::World;
use crate::tls::serial_hex;

/// What the CLI prints before it reads the certificate [3P].
pub const PASTE_PROMPT: &str = "Paste the Certificate and Hit Enter";

/// The file name `show cert list trust` gives a cluster's imported Tomcat certificate.
pub fn cert_file(fqdn: &str) -> String {
    format!("{}_{}.pem", fqdn, serial_hex(fqdn).to_ascii_lowercase())
}

/// The file name of a root CA in tomcat-trust.
pub fn ca_file(ca: &str) -> String {
    format!("{}.pem", ca.replace(' ', "_"))
}

/// The base64 body of a PEM, whitespace removed: two pastes of one certificate compare equal.
fn body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.trim_start().starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// What a pasted certificate is: a cluster's Tomcat certificate, or a CA's.
enum Known {
    Tomcat(String),
    Ca(String),
}

fn identify(w: &World, pem: &str) -> Option<Known> {
    let b = body(pem);
    if b.is_empty() {
        return None;
    }
    for (name, cert) in &w.tomcat {
        if body(&cert.cert_pem) == b {
            return Some(Known::Tomcat(name.clone()));
        }
        if cert.ca_pem.as_deref().is_some_and(|ca| body(ca) == b) {
            let ca = w.scenario.cluster(name).map(|c| c.tomcat.ca.clone())?;
            return Some(Known::Ca(ca));
        }
    }
    None
}

/// `set cert import trust tomcat` once the certificate was pasted: the output to print.
pub fn import(w: &mut World, cluster: &str, pem: &str) -> String {
    if w.faults.refuse_cert_import {
        return "Import of the certificate failed.\nThe certificate could not be validated; check the file and try again."
            .into();
    }
    let Some(known) = identify(w, pem) else {
        return "Import of the certificate failed.\nInvalid certificate.".into();
    };
    let Some(c) = w.scenario.clusters.iter_mut().find(|c| c.name == cluster) else {
        return "Executed command unsuccessfully".into();
    };
    let added = match known {
        Known::Tomcat(name) if !c.trust.tomcat_certs.contains(&name) => {
            c.trust.tomcat_certs.push(name);
            true
        }
        Known::Ca(ca) if !c.trust.ca_roots.contains(&ca) => {
            c.trust.ca_roots.push(ca);
            true
        }
        _ => false,
    };
    if !added {
        // docs/cucm-notes.md#cert-import: the same certificate again is refused [C]; the text [I].
        return "Import of the certificate failed.\nThe certificate already exists in tomcat-trust.".into();
    }
    "Successfully imported certificate for tomcat.\nPlease restart services related to tomcat for the new certificate to\nbecome active.".into()
}

/// The question `set cert delete` asks before it deletes [I], or the error when there is no
/// such file.
pub fn delete_question(w: &World, cluster: &str, unit: &str, file: &str) -> Result<String, String> {
    if unit != "tomcat-trust" || find(w, cluster, file).is_none() {
        return Err(format!("Executed command unsuccessfully\nCertificate {unit}/{file} not found"));
    }
    Ok(format!("Deleting the certificate {unit}/{file} cannot be undone.\nContinue (yes|no)?"))
}

enum Entry {
    Tomcat(String),
    Ca(String),
}

fn find(w: &World, cluster: &str, file: &str) -> Option<Entry> {
    let c = w.scenario.cluster(cluster)?;
    let want = file.trim_start_matches("tomcat-trust/").to_ascii_lowercase();
    for name in &c.trust.tomcat_certs {
        if let Some(p) = w.scenario.cluster(name) {
            if cert_file(&p.fqdn).to_ascii_lowercase() == want {
                return Some(Entry::Tomcat(name.clone()));
            }
        }
    }
    c.trust.ca_roots.iter().find(|ca| ca_file(ca).to_ascii_lowercase() == want).map(|ca| Entry::Ca(ca.clone()))
}

/// `set cert delete` after the answer: deletes on `yes`.
pub fn delete(w: &mut World, cluster: &str, file: &str, yes: bool) -> String {
    if !yes {
        return "Certificate deletion cancelled".into();
    }
    let entry = find(w, cluster, file);
    let Some(c) = w.scenario.clusters.iter_mut().find(|c| c.name == cluster) else {
        return "Executed command unsuccessfully".into();
    };
    match entry {
        Some(Entry::Tomcat(name)) => c.trust.tomcat_certs.retain(|n| n != &name),
        Some(Entry::Ca(ca)) => c.trust.ca_roots.retain(|n| n != &ca),
        None => return format!("Executed command unsuccessfully\nCertificate {file} not found"),
    }
    format!("Successfully deleted certificate {}", file.trim_start_matches("tomcat-trust/"))
}
