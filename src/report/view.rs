//! What a reader needs first, in the order they need it: the verdict; per pair its cause with
//! the lines that show it and the fix; the findings that matter for that pair's method; then
//! the rest. Every human format (terminal, Markdown, HTML) renders this view; `--verbose` and
//! the detail sections add everything else. Pure: the analysis and what `check` read in.
//!
//! Said once: a fix is listed once and referred to by its number after; a finding that is a
//! pair's cause is said with the pair; a certificate finding that matters only under another
//! method is listed under its condition, after the diagnosis.

use serde::Serialize;

use super::model::{CheckParts, Finding};
use crate::analyze::model::{Analysis, Attempt, AttemptRun, Evidence, Pair};
use crate::analyze::network::LinkKind;
use crate::analyze::{Outcome, Status};

/// The view of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct View {
    /// The pairs the verdict judges, the worst first.
    pub pairs: Vec<PairView>,
    /// Other pairs the traces show (a hub's other spokes): one line each.
    pub context: Vec<ContextPair>,
    /// Findings that count toward the verdict and belong to no judged pair (a cluster's own).
    pub findings: Vec<FindingView>,
    /// Findings that matter only under another method, with their condition.
    pub conditional: Vec<FindingView>,
    /// Every fix, once; pairs and findings refer to them by number (1-based).
    pub fixes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    pub status: Status,
    /// `spoke cucm-br1 (10.1.1.1) → hub cucm-hq (10.1.1.2)`.
    pub title: String,
    /// `hub to hub` for a hub mesh link, `spoke to spoke` for a misconfiguration; none for the
    /// usual spoke to hub.
    pub link: Option<String>,
    /// The one cause, in words (none when healthy).
    pub cause: Option<String>,
    /// What the cause rests on.
    pub basis: Vec<String>,
    /// The state in words when there is no cause (registered, registered before the window).
    pub state: String,
    /// How the pair's ends are known, when that is a guess: said as inferred.
    pub inferred: Option<String>,
    /// The method and its basis in a sentence.
    pub method: String,
    /// The method alone (`password (method 1)`, or the candidates).
    pub method_short: String,
    /// The sources that disagree about the method, when they do.
    pub method_conflict: Option<String>,
    /// The attempts as one story: counts, times, interval, turning points.
    pub story: Option<String>,
    /// The lines that decide the latest attempt.
    pub evidence: Vec<EvidenceView>,
    /// Which attempt `evidence` comes from.
    pub evidence_attempt: Option<usize>,
    /// When the latest attempt repeats a run of the same failure: the first of the run, its
    /// deciding lines.
    pub first_evidence: Vec<EvidenceView>,
    pub first_attempt: Option<usize>,
    /// The fix's number in [`View::fixes`].
    pub fix: Option<usize>,
    /// This is the fix's first mention (print it; after, refer to its number).
    pub fix_first: bool,
    /// Findings about this pair that count (not its cause, not conditional).
    pub findings: Vec<FindingView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContextPair {
    pub status: Status,
    pub title: String,
    pub state: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub severity: String,
    pub message: String,
    pub condition: Option<String>,
    pub pair: Option<String>,
    /// The fix's number in [`View::fixes`].
    pub fix: Option<usize>,
    /// This is the fix's first mention.
    pub fix_first: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    /// `spoke` or `hub`: whose trace holds the line.
    pub side: String,
    /// `file:line`.
    pub location: String,
    pub text: String,
    pub meaning: String,
}

/// Numbers fixes, each text once.
#[derive(Default)]
struct Fixes(Vec<String>);

impl Fixes {
    /// The fix's number, and whether this is its first mention.
    fn number(&mut self, text: &str) -> (Option<usize>, bool) {
        let t = text.trim();
        if t.is_empty() {
            return (None, false);
        }
        let (i, first) = match self.0.iter().position(|f| f == t) {
            Some(i) => (i, false),
            None => {
                self.0.push(t.to_string());
                (self.0.len().saturating_sub(1), true)
            }
        };
        (Some(i.saturating_add(1)), first)
    }
}

/// `spoke X → hub Y` with the roles the pair's link says.
pub fn pair_title(p: &Pair) -> String {
    let s = p.spoke_name.as_deref().or(p.spoke.as_deref()).unwrap_or("?");
    let h = p.hub_name.as_deref().or(p.hub.as_deref()).unwrap_or("?");
    let (sr, hr) = match p.link {
        Some(LinkKind::HubToHub) => ("hub", "hub"),
        Some(LinkKind::SpokeToSpoke) => ("spoke", "spoke"),
        _ => ("spoke", "hub"),
    };
    format!("{sr} {s} → {hr} {h}")
}

/// The label `findings` give a pair (`spoke X -> hub Y`, the clusters' own names).
fn finding_label(p: &Pair) -> Option<String> {
    let s = p.spoke_name.as_deref()?;
    let h = p.hub_name.as_deref()?;
    let (sr, hr) = match p.link {
        Some(LinkKind::HubToHub) => ("hub", "hub"),
        Some(LinkKind::SpokeToSpoke) => ("spoke", "spoke"),
        _ => ("spoke", "hub"),
    };
    Some(format!("{sr} {s} -> {hr} {h}"))
}

/// `2026-11-24T09:00:00.012+01:00` → `09:00:00`; a bare time of day loses its milliseconds.
pub fn short_time(t: &str) -> String {
    let tod = t.split_once('T').map_or(t, |(_, r)| r);
    tod.get(..8).unwrap_or(tod).to_string()
}

fn outcome_words(o: Outcome, n: usize) -> &'static str {
    match (o, n) {
        (Outcome::Success, 1) => "registered",
        (Outcome::Success, _) => "all registered",
        (Outcome::Failure, 1) => "failed",
        (Outcome::Failure, _) => "all failed the same way",
        (Outcome::Incomplete, 1) => "outcome not in the traces",
        (Outcome::Incomplete, _) => "outcomes not in the traces",
    }
}

fn cause_words(r: &AttemptRun) -> String {
    match (r.outcome, r.root_cause) {
        (Outcome::Failure, Some(c)) => c.words().to_string(),
        (Outcome::Failure, None) => "a cause the lines do not give".into(),
        (Outcome::Success, _) => "registered".into(),
        (Outcome::Incomplete, _) => "no outcome in the traces".into(),
    }
}

fn when(t: &Option<String>) -> String {
    t.as_deref().map_or_else(|| "an unknown time".into(), short_time)
}

/// The attempts of a pair as one story.
pub fn story(runs: &[AttemptRun]) -> Option<String> {
    let total: usize = runs.iter().map(|r| r.count).sum();
    match runs {
        [] => None,
        [r] if r.count == 1 => Some(format!("1 attempt, at {}: {}", when(&r.first_at), outcome_words(r.outcome, 1))),
        [r] => {
            let every = r.interval_s.map(|s| format!(", every {s} s")).unwrap_or_default();
            let words = match r.outcome {
                Outcome::Failure => format!("{}: {}", outcome_words(r.outcome, r.count), cause_words(r)),
                _ => outcome_words(r.outcome, r.count).to_string(),
            };
            Some(format!("{} attempts from {} to {}{every}, {words}", r.count, when(&r.first_at), when(&r.last_at)))
        }
        many => {
            let last = many.last()?;
            let failed_before: usize = many
                .iter()
                .take(many.len().saturating_sub(1))
                .filter(|r| r.outcome == Outcome::Failure)
                .map(|r| r.count)
                .sum();
            let mut parts: Vec<String> = Vec::new();
            let mut prev: Option<&AttemptRun> = None;
            for r in many {
                let piece = match (prev, r.outcome) {
                    (None, _) => format!("{} from {} ({} attempt(s))", cause_words(r), when(&r.first_at), r.count),
                    (Some(_), Outcome::Success) => format!("registered at {}", when(&r.first_at)),
                    (Some(_), _) => {
                        format!("then {} from {} ({} attempt(s))", cause_words(r), when(&r.first_at), r.count)
                    }
                };
                parts.push(piece);
                prev = Some(r);
            }
            let tail = if last.outcome == Outcome::Success && failed_before > 0 {
                format!("; registered at {} after {failed_before} failed attempt(s)", when(&last.first_at))
            } else {
                String::new()
            };
            Some(format!("{total} attempts: {}{tail}", parts.join(", ")))
        }
    }
}

fn evidence(e: &Evidence) -> EvidenceView {
    EvidenceView {
        side: e.side.as_str().to_string(),
        location: format!("{}:{}", e.file, e.line_no),
        text: e.text.clone(),
        meaning: e.meaning.clone(),
    }
}

/// The deciding lines of an attempt (all of them when none is marked).
fn key_lines(a: &Attempt) -> Vec<EvidenceView> {
    let key: Vec<EvidenceView> = a.evidence.iter().filter(|e| e.key).map(evidence).collect();
    if key.is_empty() {
        a.evidence.iter().map(evidence).collect()
    } else {
        key
    }
}

fn finding_view(f: &Finding, fixes: &mut Fixes) -> FindingView {
    let (fix, fix_first) = fixes.number(f.fix.as_deref().unwrap_or(""));
    FindingView {
        severity: f.severity.clone(),
        message: f.message.clone(),
        condition: f.condition.clone(),
        pair: f.pair.clone(),
        fix,
        fix_first,
    }
}

impl View {
    pub fn build(a: &Analysis, parts: &CheckParts) -> View {
        let mut fixes = Fixes::default();
        let mut judged: Vec<&Pair> = a.pairs.iter().filter(|p| p.judged).collect();
        judged.sort_by_key(|p| std::cmp::Reverse(p.status));
        let mut pairs = Vec::new();
        let mut claimed: Vec<&str> = Vec::new();
        for p in judged {
            let list: Vec<&Attempt> = a.attempts.iter().filter(|x| x.hub == p.hub && x.spoke == p.spoke).collect();
            let latest = list.iter().rev().find(|x| x.outcome != Outcome::Incomplete).or(list.last()).copied();
            let (cause, basis, (fix, fix_first)) = match &p.cause {
                Some(c) => (Some(c.text.clone()), c.basis.clone(), fixes.number(&c.fix)),
                None => (None, Vec::new(), (None, false)),
            };
            let label = finding_label(p);
            let mine: Vec<FindingView> = parts
                .findings
                .iter()
                .filter(|f| f.condition.is_none() && !f.part_of_cause && f.pair.is_some() && f.pair == label)
                .map(|f| finding_view(f, &mut fixes))
                .collect();
            if let Some(l) = parts.findings.iter().find(|f| f.pair.is_some() && f.pair == label) {
                claimed.extend(l.pair.as_deref());
            }
            // The first attempt of the latest run, when the run repeats one failure.
            let run = p.runs.last().filter(|r| r.count > 1);
            let first = run.and_then(|r| list.iter().find(|x| x.id == r.first)).copied();
            let inferred = p.membership.filter(|m| m.inferred()).map(|_| {
                "which hub this pair's ends belong to is inferred (no attempt in the traces shows it)".to_string()
            });
            pairs.push(PairView {
                status: p.status,
                title: pair_title(p),
                link: match p.link {
                    Some(LinkKind::HubToHub) => Some("hub to hub".into()),
                    Some(LinkKind::SpokeToSpoke) => Some("spoke to spoke".into()),
                    _ => None,
                },
                cause,
                basis,
                state: p.reason.clone(),
                inferred,
                method: crate::analyze::method::sentence(&p.method),
                method_short: match p.method.method {
                    Some(m) => m.title().to_string(),
                    None => format!("method not decided ({})", crate::analyze::method::numbers(&p.method.candidates)),
                },
                method_conflict: p.method.conflict.clone(),
                story: story(&p.runs),
                evidence: latest.map(key_lines).unwrap_or_default(),
                evidence_attempt: latest.map(|x| x.id),
                first_evidence: first.filter(|f| Some(f.id) != latest.map(|x| x.id)).map(key_lines).unwrap_or_default(),
                first_attempt: first.map(|f| f.id).filter(|id| Some(*id) != latest.map(|x| x.id)),
                fix,
                fix_first,
                findings: mine,
            });
        }
        let context = a
            .pairs
            .iter()
            .filter(|p| !p.judged)
            .map(|p| ContextPair { status: p.status, title: pair_title(p), state: p.reason.clone() })
            .collect();
        let findings = parts
            .findings
            .iter()
            .filter(|f| f.condition.is_none() && !f.part_of_cause)
            .filter(|f| f.pair.as_deref().is_none_or(|l| !claimed.contains(&l)))
            .map(|f| finding_view(f, &mut fixes))
            .collect();
        let conditional =
            parts.findings.iter().filter(|f| f.condition.is_some()).map(|f| finding_view(f, &mut fixes)).collect();
        View { pairs, context, findings, conditional, fixes: fixes.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::RootCause;

    fn run(count: usize, outcome: Outcome, cause: Option<RootCause>, first: &str, last: &str) -> AttemptRun {
        AttemptRun {
            count,
            outcome,
            root_cause: cause,
            method: None,
            first: 1,
            last: count,
            first_at: Some(first.into()),
            last_at: Some(last.into()),
            interval_s: (count > 1).then_some(60),
        }
    }

    #[test]
    fn a_retry_storm_is_one_sentence() {
        let s = story(&[run(
            15,
            Outcome::Failure,
            Some(RootCause::SpokeRejectsHubCertificate),
            "2026-11-24T12:36:00.100+01:00",
            "2026-11-24T12:50:00.100+01:00",
        )])
        .unwrap();
        assert_eq!(
            s,
            "15 attempts from 12:36:00 to 12:50:00, every 60 s, all failed the same way: the spoke refuses the hub's Tomcat certificate"
        );
    }

    #[test]
    fn a_change_of_cause_and_a_recovery_are_turning_points() {
        let s = story(&[
            run(5, Outcome::Failure, Some(RootCause::PasswordMismatch), "12:36:00", "12:40:00"),
            run(4, Outcome::Failure, Some(RootCause::SpokeRejectsHubCertificate), "12:41:00", "12:44:00"),
            run(1, Outcome::Success, None, "12:51:00.500", "12:51:00.500"),
        ])
        .unwrap();
        assert!(
            s.starts_with("10 attempts: the ILS passwords differ from 12:36:00 (5 attempt(s)), then the spoke refuses"),
            "{s}"
        );
        assert!(s.ends_with("registered at 12:51:00 after 9 failed attempt(s)"), "{s}");
    }

    #[test]
    fn fixes_are_numbered_once() {
        let mut f = Fixes::default();
        assert_eq!(f.number("Do this."), (Some(1), true));
        assert_eq!(f.number("Do that."), (Some(2), true));
        assert_eq!(f.number(" Do this. "), (Some(1), false));
        assert_eq!(f.number(""), (None, false));
        assert_eq!(f.0.len(), 2);
    }
}
