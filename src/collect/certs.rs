//! Reads the tomcat-trust certificates a peer's chain could use (`show cert trust <file>`);
//! the parsing and matching are pure and live in `parse::trust`.

use super::facts::cli;
use super::publisher::Publisher;
use crate::parse::cert::{self as x509, CertInfo};
use crate::parse::facts::Facts;
use crate::parse::trust::file_cn;
use crate::parse::trust::TrustedCert;

/// At most this many `show cert trust` reads per publisher: each takes a second or more on a
/// real publisher, and a tomcat-trust list holds dozens of CAs.
const MAX_TRUST_READS: usize = 8;

/// Reads (`show cert trust <file>`) the tomcat-trust entries of `f` that a chain from one of
/// `peers` could use: those named after the certificate's CN or an issuer's CN, following
/// issuers upwards, at most [`MAX_TRUST_READS`]. The file name is the CN with spaces as `_`
/// (docs/cucm-notes.md#cert-cli), so a chain is followed by name, then verified on the
/// certificates themselves (`analyze::preflight`). Nothing is changed on the publisher.
pub async fn read_trust_details(p: &mut Publisher, f: &mut Facts, peers: &[CertInfo]) {
    if f.tomcat_trust.is_empty() {
        return; // the list itself was not read (its error is recorded)
    }
    f.tomcat_trust_checked = true;
    let mut wanted: Vec<String> = Vec::new();
    for c in peers {
        wanted.extend(c.subject_cn().map(|cn| file_cn(&cn)));
        wanted.extend(c.issuer_cn().map(|cn| file_cn(&cn)));
    }
    let mut read = 0usize;
    let mut looked: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    while let Some(cn) = wanted.pop() {
        if !looked.insert(cn.clone()) {
            continue;
        }
        let files: Vec<String> =
            f.tomcat_trust.iter().filter(|e| e.cn.to_ascii_lowercase() == cn).map(|e| e.file.clone()).collect();
        for file in files {
            if read >= MAX_TRUST_READS {
                f.errors.push(format!(
                    "show cert trust: more than {MAX_TRUST_READS} tomcat-trust entries to read; the certificate check falls back to the trust file names"
                ));
                // A chain read in part could miss its anchor and predict a refusal wrongly.
                f.tomcat_trust_checked = false;
                return;
            }
            read = read.saturating_add(1);
            match cli(p, f, &format!("show cert trust {file}")).await {
                Ok(out) => match x509::from_cli(&out) {
                    Some(mut cert) => {
                        // No serial in the output: the one the file name carries (N29's
                        // `<CN>_<serial>.pem`) still identifies the certificate.
                        if cert.serial.is_none() {
                            cert.serial = f
                                .tomcat_trust
                                .iter()
                                .find(|e| e.file == file)
                                .and_then(|e| e.serial.as_deref())
                                .map(|s| s.trim_start_matches('0').to_ascii_uppercase())
                                .filter(|s| !s.is_empty());
                        }
                        if !cert.self_issued() {
                            wanted.extend(cert.issuer_cn().map(|cn| file_cn(&cn)));
                        }
                        f.tomcat_trust_certs.push(TrustedCert { file, cert });
                    }
                    None => f.errors.push(format!("show cert trust {file}: no certificate in the output")),
                },
                Err(e) => f.errors.push(format!("show cert trust {file}: {e}")),
            }
        }
    }
}
