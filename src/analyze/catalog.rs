//! The signature catalog: loading, validating and matching the lines of `signatures/ils.toml`.
//!
//! The built-in catalog is compiled into the binary; `--signatures FILE` entries replace built-in
//! entries with the same id, add new ones, or remove one with `disabled = true`. Validation names
//! the file, the entry and the field, and checks every `examples` line against the entry's anchor
//! and regex, so a catalog cannot claim a line it does not match.

use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;
use serde::Deserialize;

use super::fields::{Capture, Fields};
use super::readers::Reader;
use super::types::{CauseSpec, Confidence, ConnRole, Fact, Method, MethodSet, OutcomeClass, SideSpec};
use crate::parse::Prefilter;

/// The built-in catalog's text.
pub const BUILTIN: &str = include_str!("../../signatures/ils.toml");

/// A catalog that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("signature catalog {origin}: not valid TOML: {message}")]
    Syntax { origin: String, message: String },
    #[error("signature catalog {origin}: entry {entry}: {message}")]
    Entry { origin: String, entry: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    #[serde(default)]
    signature: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: Option<String>,
    side: Option<SideSpec>,
    methods: Option<Vec<Method>>,
    outcome: Option<OutcomeClass>,
    role: Option<ConnRole>,
    fact: Option<Fact>,
    root_cause: Option<CauseSpec>,
    anchor: Option<String>,
    regex: Option<String>,
    confidence: Option<Confidence>,
    source: Option<String>,
    meaning: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    disabled: bool,
}

/// An entry's regex. An override file's regexes are compiled and checked when it loads; the
/// built-in catalog's (checked by this module's tests, every build) on first use, so that a run
/// pays only for the entries its traces need (compiling all of them was most of the start-up).
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn compiled(regex: Regex) -> Pattern {
        Pattern { text: regex.as_str().to_string(), compiled: OnceLock::from(Some(regex)) }
    }

    fn deferred(text: String) -> Pattern {
        Pattern { text, compiled: OnceLock::new() }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The regex; `None` only for a built-in pattern that does not compile, which the tests rule
    /// out (it then matches nothing rather than stopping a run).
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled.get_or_init(|| Regex::new(&self.text).ok()).as_ref()
    }
}

/// One compiled signature.
#[derive(Debug, Clone)]
pub struct Signature {
    pub id: String,
    pub side: SideSpec,
    pub methods: MethodSet,
    pub outcome: OutcomeClass,
    /// Whether the line opens, concludes or supports an attempt (default `supports`).
    pub role: ConnRole,
    pub fact: Fact,
    pub root_cause: Option<CauseSpec>,
    pub anchor: String,
    pub regex: Pattern,
    /// A hand-written reader of the same regex text, for the frequent shapes (`readers.rs`).
    pub reader: Option<Reader>,
    pub confidence: Confidence,
    pub source: String,
    pub meaning: String,
    pub examples: Vec<String>,
    /// Where the entry came from: `built-in` or the override file's path.
    pub origin: String,
}

/// The ordered list of signatures. For a line the scanner found, the entry whose anchor comes
/// first in the line wins when its regex matches; otherwise the first matching entry in order.
#[derive(Debug, Clone)]
pub struct Catalog {
    signatures: Vec<Signature>,
    /// Every anchor, overlapping matches: which entries a line can match, in one pass. Built on
    /// first use: the scan's hits go to their anchor's entry first, which settles most lines.
    anchors: OnceLock<AhoCorasick>,
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn builtin() -> Catalog {
        // The built-in file passes every check an override file gets in the unit tests below
        // (`the_built_in_catalog_passes_every_check`); here its regexes are compiled on first
        // use. Failing here is a build defect, never a user input problem.
        let mut cat = Catalog { signatures: Vec::new(), anchors: OnceLock::new() };
        match cat.load(BUILTIN, "built-in", Checks::Deferred) {
            Ok(()) => cat,
            Err(e) => unreachable!("the built-in catalog is invalid: {e}"),
        }
    }

    /// Parses a catalog file's text, every entry checked. `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Catalog, CatalogError> {
        let mut cat = Catalog { signatures: Vec::new(), anchors: OnceLock::new() };
        cat.apply(text, origin)?;
        Ok(cat)
    }

    /// Applies an override file: same id replaces (in place), a new id is appended, `disabled`
    /// removes. Every entry is checked (its regex compiled, its examples matched).
    pub fn apply(&mut self, text: &str, origin: &str) -> Result<(), CatalogError> {
        self.load(text, origin, Checks::Now)
    }

    fn load(&mut self, text: &str, origin: &str, checks: Checks) -> Result<(), CatalogError> {
        let file: FileFormat = toml::from_str(text)
            .map_err(|e| CatalogError::Syntax { origin: origin.to_string(), message: e.to_string() })?;
        let mut seen: HashMap<String, usize> = HashMap::new();
        // Entries are numbered from 1 in messages.
        for (i, raw) in (1_usize..).zip(file.signature) {
            let label = match &raw.id {
                Some(id) => format!("#{i} (id \"{id}\")"),
                None => format!("#{i}"),
            };
            let err =
                |message: String| CatalogError::Entry { origin: origin.to_string(), entry: label.clone(), message };
            let id =
                raw.id.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| err("field `id` is missing".into()))?;
            if let Some(first) = seen.insert(id.clone(), i) {
                return Err(err(format!("id is used again (first by entry #{first})")));
            }
            let pos = self.signatures.iter().position(|s| s.id == id);
            if raw.disabled {
                if let Some(p) = pos {
                    self.signatures.remove(p);
                }
                continue;
            }
            let sig = compile(raw, id, origin, checks).map_err(err)?;
            match pos.and_then(|p| self.signatures.get_mut(p)) {
                Some(slot) => *slot = sig,
                None => self.signatures.push(sig),
            }
        }
        self.anchors = OnceLock::new();
        Ok(())
    }

    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    pub fn get(&self, index: usize) -> Option<&Signature> {
        self.signatures.get(index)
    }

    /// The prefilter over every entry's anchor.
    pub fn prefilter(&self) -> Prefilter {
        match Prefilter::new(self.signatures.iter().map(|s| s.anchor.as_bytes())) {
            Ok(p) => p,
            // Anchors are short non-empty literals (checked in `compile`); aho-corasick only
            // refuses patterns sets far beyond any catalog's size.
            Err(e) => unreachable!("anchor automaton: {e}"),
        }
    }

    /// The signature of a line the scanner found by the anchor of entry `anchor` (the leftmost
    /// anchor in the line): that entry when its regex matches, otherwise the first matching entry
    /// in catalog order ([`Catalog::match_line`]). So the entry whose anchor comes first in the
    /// line wins, and catalog order settles the rest (docs/signatures.md).
    pub fn match_hit(&self, line: &[u8], anchor: usize) -> Option<(usize, Fields)> {
        if let Some(f) = self.signatures.get(anchor).and_then(|s| s.fields_of(line)) {
            return Some((anchor, f));
        }
        self.match_line(line)
    }

    /// The first signature matching the line, with its captured fields.
    ///
    /// One overlapping pass of the anchor automaton gives the entries whose anchor the line
    /// holds; their regexes are then tried in catalog order (the first match wins).
    pub fn match_line(&self, line: &[u8]) -> Option<(usize, Fields)> {
        let mut present: [usize; 8] = [usize::MAX; 8];
        let mut n = 0;
        let mut overflow = false;
        let anchors = self.anchors.get_or_init(|| anchor_automaton(&self.signatures));
        for m in anchors.find_overlapping_iter(line) {
            let id = m.pattern().as_usize();
            if present.get(..n).unwrap_or_default().contains(&id) {
                continue;
            }
            match present.get_mut(n) {
                Some(slot) => {
                    *slot = id;
                    // n < present.len(): a slot was free.
                    n = n.saturating_add(1);
                }
                None => {
                    overflow = true;
                    break;
                }
            }
        }
        if overflow {
            // More distinct anchors in one line than the fast path holds: the plain way.
            return self.signatures.iter().enumerate().find_map(|(i, s)| {
                memchr::memmem::find(line, s.anchor.as_bytes())?;
                let caps = s.regex.regex()?.captures(line)?;
                Some((i, Fields::from_captures(&caps)))
            });
        }
        let found = present.get_mut(..n).unwrap_or_default();
        found.sort_unstable();
        found.iter().find_map(|&i| Some((i, self.signatures.get(i)?.fields_of(line)?)))
    }
}

impl Signature {
    /// The fields of a line this entry matches: its hand-written reader where it has one and is
    /// sure of the line, else its regex (captures only when it has any).
    pub fn fields_of(&self, line: &[u8]) -> Option<Fields> {
        if let Some(answer) = self.reader.and_then(|r| r.read(line)) {
            return answer.map(|spans| spans.fields(line));
        }
        let regex = self.regex.regex()?;
        if regex.captures_len() == 1 {
            return regex.is_match(line).then(Fields::default);
        }
        regex.captures(line).map(|caps| Fields::from_captures(&caps))
    }

    /// [`Signature::fields_of`] by the regex alone: the reference the readers are held to.
    pub fn fields_by_regex(&self, line: &[u8]) -> Option<Fields> {
        self.regex.regex()?.captures(line).map(|caps| Fields::from_captures(&caps))
    }
}

impl Default for Catalog {
    /// The built-in catalog.
    fn default() -> Self {
        Catalog::builtin()
    }
}

fn anchor_automaton(signatures: &[Signature]) -> AhoCorasick {
    let built = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        // A full DFA: one table lookup per byte on the short lines it searches.
        .kind(Some(AhoCorasickKind::DFA))
        .build(signatures.iter().map(|s| s.anchor.as_bytes()));
    match built {
        Ok(ac) => ac,
        // Anchors are short non-empty literals (checked in `compile`); aho-corasick only refuses
        // pattern sets far beyond any catalog's size.
        Err(e) => unreachable!("anchor automaton: {e}"),
    }
}

/// When an entry's regex is compiled and its examples checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checks {
    /// On load (override files, and the built-in catalog in the tests).
    Now,
    /// The regex on first use, the examples never (the built-in catalog in a run).
    Deferred,
}

fn compile(raw: RawEntry, id: String, origin: &str, checks: Checks) -> Result<Signature, String> {
    fn need<T>(v: Option<T>, field: &str) -> Result<T, String> {
        v.ok_or_else(|| format!("field `{field}` is missing"))
    }
    let anchor = need(raw.anchor, "anchor")?;
    if anchor.trim().is_empty() {
        return Err("field `anchor` is empty: it must be a literal that every matching line contains".into());
    }
    let text = need(raw.regex, "regex")?;
    let methods = need(raw.methods, "methods")?;
    if methods.is_empty() {
        return Err("field `methods` is empty: list the methods under which the line can appear".into());
    }
    let regex = match checks {
        Checks::Deferred => Pattern::deferred(text),
        Checks::Now => {
            let regex = Regex::new(&text).map_err(|e| format!("field `regex` does not compile: {e}"))?;
            for name in regex.capture_names().flatten() {
                // Capture names the analyzer understands; any other name is an error.
                if !Capture::ALL.iter().any(|c| c.name() == name) {
                    let known: Vec<&str> = Capture::ALL.iter().map(|c| c.name()).collect();
                    return Err(format!("field `regex`: unknown capture name `{name}` (known: {})", known.join(", ")));
                }
            }
            for (n, ex) in raw.examples.iter().enumerate() {
                if !ex.contains(anchor.as_str()) {
                    return Err(format!("examples[{n}] does not contain the anchor {anchor:?}"));
                }
                if !regex.is_match(ex.as_bytes()) {
                    return Err(format!("examples[{n}] does not match the regex"));
                }
            }
            Pattern::compiled(regex)
        }
    };
    Ok(Signature {
        id,
        side: need(raw.side, "side")?,
        methods: MethodSet::of(&methods),
        outcome: need(raw.outcome, "outcome")?,
        role: raw.role.unwrap_or_default(),
        fact: raw.fact.unwrap_or(Fact::Other),
        root_cause: raw.root_cause,
        anchor,
        reader: Reader::for_regex(regex.as_str()),
        regex,
        confidence: raw.confidence.unwrap_or(Confidence::Inferred),
        source: raw.source.unwrap_or_else(|| origin.to_string()),
        meaning: raw.meaning.unwrap_or_default(),
        examples: raw.examples,
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_valid_and_complete() {
        let cat = Catalog::parse(BUILTIN, "built-in").unwrap();
        let ids: Vec<&str> = cat.signatures().iter().map(|s| s.id.as_str()).collect();
        for p in 1..=25 {
            let found = ids.iter().any(|id| {
                *id == format!("P{p}") || id.starts_with(&format!("P{p}")) && id.len() == format!("P{p}").len() + 1
            });
            assert!(found, "P{p} missing from the catalog");
        }
        assert!(cat
            .signatures()
            .iter()
            .any(|s| s.confidence == Confidence::Inferred && s.root_cause == Some(CauseSpec::HubUnreachable)));
    }

    /// A run loads the built-in catalog without its checks (regexes compiled on first use): it
    /// must be the same catalog that passes them above, and every deferred regex must compile.
    #[test]
    fn the_built_in_catalog_of_a_run_is_the_checked_one() {
        let checked = Catalog::parse(BUILTIN, "built-in").unwrap();
        let run = Catalog::builtin();
        assert_eq!(checked.signatures().len(), run.signatures().len());
        for (a, b) in checked.signatures().iter().zip(run.signatures()) {
            assert_eq!((&a.id, &a.anchor, a.regex.as_str()), (&b.id, &b.anchor, b.regex.as_str()));
            assert!(b.regex.regex().is_some(), "{} does not compile", b.id);
            assert_eq!(a.reader, b.reader);
        }
    }

    #[test]
    fn every_example_matches_its_own_entry_first() {
        let cat = Catalog::builtin();
        for (i, s) in cat.signatures().iter().enumerate() {
            assert!(!s.examples.is_empty(), "{} has no example", s.id);
            for ex in &s.examples {
                let (hit, _) = cat.match_line(ex.as_bytes()).unwrap();
                assert_eq!(hit, i, "{} example is claimed by {}", s.id, cat.signatures()[hit].id);
            }
        }
    }

    #[test]
    fn ipv6_and_host_names_in_ip_port_fields() {
        let cat = Catalog::builtin();
        let (i, f) = cat
            .match_line(b"00001821.000 |16:34:01.765 |AppInfo  |[1, 600, 17, 5]: HandleSSLError - Certificate verification failed:(Verification error:18)- self signed certificate for 2001:db8::20:7501")
            .unwrap();
        assert_eq!(cat.signatures()[i].id, "P13");
        assert_eq!((f.peer_ip.as_deref(), f.peer_port), (Some("2001:db8::20"), Some(7501)));
        let (i, f) = cat
            .match_line(b"00154618.012 |16:58:42.889 |AppInfo  |IlsD ::ConnectIndInner Server Connection to PeerId(f7f8), TCPPid([1, 600, 13, 5]), PeerIP/Port(2001:db8::1:37816), LocalIP/Port(hub.example.com:7502) TLSReq(f) established")
            .unwrap();
        assert_eq!(cat.signatures()[i].id, "P3");
        assert_eq!((f.peer_ip.as_deref(), f.peer_port), (Some("2001:db8::1"), Some(37816)));
        assert_eq!((f.local_ip.as_deref(), f.local_port), (Some("hub.example.com"), Some(7502)));
    }

    #[test]
    fn every_anchor_is_in_the_prefilter() {
        let cat = Catalog::builtin();
        let pf = cat.prefilter();
        for (i, s) in cat.signatures().iter().enumerate() {
            for ex in &s.examples {
                let mut n = 0;
                crate::parse::Scanner::new(&pf).scan_slice(ex.as_bytes(), |h| {
                    n += 1;
                    let claimed = cat.match_hit(h.line, h.anchor).map(|m| m.0);
                    assert_eq!(claimed, Some(i), "{}: the scanner's anchor leads to its own entry", s.id);
                });
                assert_eq!(n, 1, "{}", s.id);
            }
        }
    }

    #[test]
    fn overrides_replace_add_and_disable() {
        let mut cat = Catalog::builtin();
        let before = cat.signatures().len();
        let text = r#"
[[signature]]
id = "P18"
disabled = true

[[signature]]
id = "P17"
side = "spoke"
methods = ["tls"]
outcome = "failure"
fact = "connect_failed"
root_cause = "hub_unreachable"
anchor = "failed, ConnReason("
regex = 'ConnReason\((?P<conn_reason>\d+)\)'

[[signature]]
id = "X1"
side = "spoke"
methods = ["password"]
outcome = "failure"
root_cause = "hub_unreachable"
anchor = "No route to host"
regex = 'No route to host'
examples = ["00000001.000 |10:00:00.000 |AppInfo  |IlsD connect: No route to host"]
"#;
        cat.apply(text, "my.toml").unwrap();
        assert_eq!(cat.signatures().len(), before);
        assert!(!cat.signatures().iter().any(|s| s.id == "P18"));
        let p17 = cat.signatures().iter().find(|s| s.id == "P17").unwrap();
        assert_eq!(p17.origin, "my.toml");
        assert_eq!(p17.root_cause, Some(CauseSpec::HubUnreachable));
        let (i, _) = cat.match_line(b"00000001.000 |10:00:00.000 |AppInfo  |IlsD connect: No route to host").unwrap();
        assert_eq!(cat.signatures()[i].id, "X1");
        assert_eq!(cat.signatures()[i].fact, Fact::Other);
    }

    fn entry_error(text: &str) -> String {
        Catalog::parse(text, "bad.toml").unwrap_err().to_string()
    }

    #[test]
    fn bad_entries_are_named() {
        let base = "side = \"hub\"\nmethods = [\"tls\"]\noutcome = \"failure\"\n";
        let e = entry_error(&format!("[[signature]]\nid = \"B1\"\n{base}anchor = \"x\"\nregex = '(unclosed'\n"));
        assert!(e.contains("bad.toml") && e.contains("B1") && e.contains("`regex` does not compile"), "{e}");
        let e = entry_error(&format!("[[signature]]\nid = \"B2\"\n{base}regex = 'x'\n"));
        assert!(e.contains("B2") && e.contains("`anchor` is missing"), "{e}");
        let e = entry_error(&format!(
            "[[signature]]\nid = \"B3\"\n{base}anchor = \"abc\"\nregex = 'abc'\nexamples = [\"xyz\"]\n"
        ));
        assert!(e.contains("B3") && e.contains("examples[0]"), "{e}");
        let e = entry_error(&format!("[[signature]]\nid = \"B4\"\n{base}anchor = \"a\"\nregex = '(?P<who>a)'\n"));
        assert!(e.contains("unknown capture name `who`"), "{e}");
        let e = entry_error("[[signature]]\nid = \"B5\"\nsidee = \"hub\"\n");
        assert!(e.contains("not valid TOML") && e.contains("sidee"), "{e}");
        let e = entry_error(&format!("[[signature]]\nid = \"B6\"\n{base}anchor = \"a\"\nregex = 'a'\n[[signature]]\nid = \"B6\"\n{base}anchor = \"a\"\nregex = 'a'\n"));
        assert!(e.contains("used again"), "{e}");
        let e = entry_error("[[signature]]\nid = \"B7\"\nside = \"middle\"\n");
        assert!(e.contains("middle"), "{e}");
    }
}
