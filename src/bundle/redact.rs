//! Pseudonyms for what identifies a customer: host names, domains, IPv4 addresses and cluster
//! IDs. Pure (bytes in, bytes out) and consistent: one original always becomes the same
//! pseudonym, so the redacted traces pair and diagnose exactly as the originals (the SDL line
//! format is kept: only the tokens change, never a separator or a line break).
//!
//! Rules (docs/bundles.md): hosts become `hub-1`, `spoke-1`, ... (their other names
//! `hub-1-alias2`, other hosts `host-N`), domains `domain-N.invalid`, cluster IDs
//! `<side>-cluster` or `cluster-N`, every IPv4 address but 0.0.0.0 becomes `10.0.x.y` in order of
//! first appearance. Names match whole DNS labels, case-insensitively. CUCM's default cluster ID
//! `StandAloneCluster` is kept (it identifies nobody and a finding depends on it). IPv6 addresses
//! and names that were never seen in the facts or a FileHead are not recognised.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

/// Names shorter than this, or in this list, are never redacted (they would hit ordinary text).
const MIN_NAME: usize = 3;
const KEEP: &[&str] = &["standalonecluster", "localhost", "hub", "spoke", "none", "null", "true", "false"];

#[derive(Debug, Clone, Default)]
pub struct Pseudonyms {
    /// Lower-case original → pseudonym (labels, domains, cluster IDs).
    names: BTreeMap<String, (String, &'static str)>,
    ips: BTreeMap<Ipv4Addr, Ipv4Addr>,
    counters: BTreeMap<String, usize>,
    matcher: Option<(AhoCorasick, Vec<String>)>,
}

/// The mapping written next to the bundle, for the sender only.
#[derive(Debug, Serialize)]
pub struct Mapping {
    pub schema: &'static str,
    pub names: BTreeMap<String, String>,
    pub addresses: BTreeMap<String, String>,
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

impl Pseudonyms {
    fn next(&mut self, prefix: &str) -> usize {
        let n = self.counters.entry(prefix.to_string()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }

    fn insert(&mut self, original: &str, pseudonym: String, kind: &'static str) -> String {
        self.matcher = None;
        self.names.entry(original.to_ascii_lowercase()).or_insert((pseudonym, kind)).0.clone()
    }

    fn skip(name: &str) -> bool {
        name.len() < MIN_NAME || KEEP.contains(&name.to_ascii_lowercase().as_str())
    }

    /// The pseudonym of an address.
    pub fn ip(&mut self, ip: Ipv4Addr) -> Ipv4Addr {
        if ip.is_unspecified() {
            return ip;
        }
        // 10.0.0.1 .. 10.0.0.254, 10.0.1.1, ...: never .0 or .255.
        let k = self.ips.len() as u32;
        *self
            .ips
            .entry(ip)
            .or_insert_with(|| Ipv4Addr::new(10, 0, (k / 254) as u8, ((k % 254) as u8).saturating_add(1)))
    }

    /// Registers a host of `side_id` (`hub-1`, `spoke-1`; `host` for others): an address, a name
    /// or an FQDN (its first label is the host, the rest the domain).
    pub fn host(&mut self, name: &str, side_id: &str) {
        let name = name.trim().trim_end_matches('.');
        if let Ok(ip) = name.parse::<Ipv4Addr>() {
            self.ip(ip);
            return;
        }
        let (label, domain) = name.split_once('.').map_or((name, None), |(l, d)| (l, Some(d)));
        if !Self::skip(label) && !self.names.contains_key(&label.to_ascii_lowercase()) {
            let pseudo = if side_id == "host" {
                format!("host-{}", self.next("host"))
            } else {
                let taken = self.names.values().any(|(p, _)| p == side_id);
                if taken {
                    format!("{side_id}-alias{}", self.next(side_id).saturating_add(1))
                } else {
                    side_id.to_string()
                }
            };
            self.insert(label, pseudo, "host");
        }
        if let Some(d) = domain {
            self.domain(d);
        }
    }

    fn domain(&mut self, d: &str) {
        if Self::skip(d) || self.names.contains_key(&d.to_ascii_lowercase()) || d.parse::<Ipv4Addr>().is_ok() {
            return;
        }
        let n = self.next("domain");
        self.insert(d, format!("domain-{n}.invalid"), "domain");
    }

    /// Registers a cluster ID (`side_id` names the side it belongs to, or `None`).
    pub fn cluster_id(&mut self, id: &str, side_id: Option<&str>) {
        let id = id.trim();
        if Self::skip(id) || self.names.contains_key(&id.to_ascii_lowercase()) {
            return;
        }
        let pseudo = match side_id {
            Some(s) => format!("{s}-cluster"),
            None => format!("cluster-{}", self.next("cluster")),
        };
        self.insert(id, pseudo, "cluster_id");
    }

    /// Learns from text: every address, and the domain after a known host label
    /// (`cucm11.adfs.example.com` once `cucm11` is known).
    pub fn learn(&mut self, text: &[u8]) {
        for (_, _, ip) in ipv4s(text) {
            self.ip(ip);
        }
        let Some((ac, originals)) = self.matcher() else { return };
        let mut domains = Vec::new();
        for m in ac.find_iter(text) {
            if !bounded(text, m.start(), m.end())
                || originals.get(m.pattern().as_usize()).and_then(|o| self.names.get(o)).map(|v| v.1) != Some("host")
            {
                continue;
            }
            if let Some(rest) = text.get(m.end()..).and_then(|r| r.strip_prefix(b".")) {
                let len = rest.iter().take_while(|&&b| is_label_byte(b) || b == b'.').count();
                let d = String::from_utf8_lossy(rest.get(..len).unwrap_or_default()).trim_end_matches('.').to_string();
                if d.contains('.') && d.bytes().any(|b| b.is_ascii_alphabetic()) {
                    domains.push(d);
                }
            }
        }
        for d in domains {
            self.domain(&d);
        }
    }

    /// The automaton over the known names, built once per set of names. `None` when it cannot
    /// be built (far more names than any bundle holds): then no name matches, as with an empty
    /// automaton.
    fn matcher(&mut self) -> Option<(AhoCorasick, Vec<String>)> {
        if self.matcher.is_none() {
            let originals: Vec<String> = self.names.keys().cloned().collect();
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&originals)
                .ok()?;
            self.matcher = Some((ac, originals));
        }
        self.matcher.clone()
    }

    /// Replaces every known name and every IPv4 address (new addresses get the next pseudonym).
    pub fn apply(&mut self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        let mut at = 0;
        // The matches are in order and inside the text, so the slices between them exist.
        for (start, end, ip) in ipv4s(text) {
            out.extend_from_slice(text.get(at..start).unwrap_or_default());
            out.extend_from_slice(self.ip(ip).to_string().as_bytes());
            at = end;
        }
        out.extend_from_slice(text.get(at..).unwrap_or_default());
        let Some((ac, originals)) = self.matcher() else { return out };
        let mut result = Vec::with_capacity(out.len());
        let mut at = 0;
        for m in ac.find_iter(&out) {
            if m.start() < at || !bounded(&out, m.start(), m.end()) {
                continue;
            }
            let Some((pseudo, _)) = originals.get(m.pattern().as_usize()).and_then(|o| self.names.get(o)) else {
                continue;
            };
            result.extend_from_slice(out.get(at..m.start()).unwrap_or_default());
            result.extend_from_slice(pseudo.as_bytes());
            at = m.end();
        }
        result.extend_from_slice(out.get(at..).unwrap_or_default());
        result
    }

    /// The same, for text.
    pub fn apply_str(&mut self, text: &str) -> String {
        String::from_utf8_lossy(&self.apply(text.as_bytes())).into_owned()
    }

    pub fn mapping(&self) -> Mapping {
        Mapping {
            schema: "ils-doctor/bundle-mapping/1",
            names: self.names.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect(),
            addresses: self.ips.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// The originals (names and addresses) that must not appear in a redacted bundle.
    pub fn originals(&self) -> Vec<String> {
        self.names.keys().cloned().chain(self.ips.keys().map(|i| i.to_string())).collect()
    }
}

/// Whether `text[start..end]` is a whole DNS label sequence (not inside a longer word).
fn bounded(text: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).and_then(|i| text.get(i).copied());
    let after = text.get(end).copied();
    !before.is_some_and(is_label_byte) && !after.is_some_and(is_label_byte)
}

/// The dotted-quad IPv4 addresses of `text`: (start, end, address). A quad inside a longer
/// dotted number (`11.5.1.10000`, `1.2.3.4.5`) is not an address.
fn ipv4s(text: &[u8]) -> Vec<(usize, usize, Ipv4Addr)> {
    let mut out = Vec::new();
    let mut i = 0;
    // `i` stays at most `text.len()`, so the sums below cannot overflow.
    while let Some(rest) = text.get(i..).filter(|r| !r.is_empty()) {
        let prev = i.checked_sub(1).and_then(|p| text.get(p)).copied();
        if !rest.first().is_some_and(u8::is_ascii_digit)
            || prev.is_some_and(|p| p.is_ascii_digit() || p == b'.' || p.is_ascii_alphabetic())
        {
            i = i.saturating_add(1);
            continue;
        }
        let len = rest.iter().take_while(|&&b| b.is_ascii_digit() || b == b'.').count();
        let whole = rest.get(..len).unwrap_or_default();
        // A sentence may end with the address: `... 10.1.1.1.`
        let token = whole.strip_suffix(b".").unwrap_or(whole);
        let next_alpha = rest.get(len).is_some_and(|b| b.is_ascii_alphabetic());
        if !next_alpha {
            if let Some(ip) = std::str::from_utf8(token).ok().and_then(|s| s.parse::<Ipv4Addr>().ok()) {
                out.push((i, i.saturating_add(token.len()), ip));
            }
        }
        i = i.saturating_add(len.max(1));
    }
    out
}

/// `text` with each PEM certificate block replaced by a note: a certificate names its host
/// inside its base64 (subject, SAN), where no pseudonym reaches.
pub fn without_pem(text: &str) -> String {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(BEGIN) {
        let (before, block) = rest.split_at(i);
        out.push_str(before);
        out.push_str("(certificate removed by redaction: it names the host)");
        rest = match block.find(END) {
            Some(j) => block.get(j.saturating_add(END.len())..).unwrap_or_default(),
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_certificate_blocks() {
        let t = "]-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\nadmin:";
        assert_eq!(without_pem(t), "](certificate removed by redaction: it names the host)\nadmin:");
        assert_eq!(
            without_pem("-----BEGIN CERTIFICATE-----MIIB"),
            "(certificate removed by redaction: it names the host)"
        );
        assert_eq!(without_pem("no block"), "no block");
    }

    fn p() -> Pseudonyms {
        let mut p = Pseudonyms::default();
        p.host("cucm1150", "hub-1");
        p.host("10.106.104.220", "hub-1");
        p.host("cucm11", "spoke-1");
        p.cluster_id("HUB-CL", Some("hub-1"));
        p.cluster_id("StandAloneCluster", Some("spoke-1"));
        p
    }

    #[test]
    fn names_and_addresses_are_replaced_consistently() {
        let mut p = p();
        let line = b"00001.001 |16:34:01.765 |AppInfo  |IlsD Connection to ipAddr(10.106.104.220) ipPort(7501) from 10.106.104.201:51000 host cucm11 and CUCM1150, cluster HUB-CL StandAloneCluster Build=11.5.1.10000-6\n";
        let out = String::from_utf8(p.apply(line)).unwrap();
        assert_eq!(
            out,
            "00001.001 |16:34:01.765 |AppInfo  |IlsD Connection to ipAddr(10.0.0.1) ipPort(7501) from 10.0.0.2:51000 host spoke-1 and hub-1, cluster hub-1-cluster StandAloneCluster Build=11.5.1.10000-6\n"
        );
        assert_eq!(p.apply(b"10.106.104.201"), b"10.0.0.2", "the same address again");
    }

    #[test]
    fn labels_inside_longer_words_stay() {
        let mut p = p();
        assert_eq!(p.apply(b"cucm11x xcucm11 cucm11-b cucm11.txt"), b"cucm11x xcucm11 cucm11-b spoke-1.txt");
    }

    #[test]
    fn domains_after_known_hosts_are_learned() {
        let mut p = p();
        p.learn(b"CN=cucm11.adfs.ucce.com, O=x");
        let out = p.apply(b"tomcat-trust/cucm11.adfs.ucce.com_3a5f.pem and adfs.ucce.com");
        assert_eq!(out, b"tomcat-trust/spoke-1.domain-1.invalid_3a5f.pem and domain-1.invalid");
        let m = p.mapping();
        assert_eq!(m.names["adfs.ucce.com"], "domain-1.invalid");
        assert!(!serde_json::to_string(&m).unwrap().is_empty());
    }

    #[test]
    fn aliases_of_one_side() {
        let mut p = Pseudonyms::default();
        p.host("cucm-hub.example.com", "hub-1");
        p.host("HUBPUB", "hub-1");
        p.host("other", "host");
        assert_eq!(p.apply(b"cucm-hub HUBPUB other example.com"), b"hub-1 hub-1-alias2 host-1 domain-1.invalid");
    }

    #[test]
    fn version_numbers_are_not_addresses() {
        let mut p = Pseudonyms::default();
        assert_eq!(p.apply(b"14.0.1.11900-132 1.2.3.4.5 v1.2.3.4"), b"14.0.1.11900-132 1.2.3.4.5 v1.2.3.4");
        assert_eq!(p.apply(b"at 192.168.1.1."), b"at 10.0.0.1.");
    }
}
