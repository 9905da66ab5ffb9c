//! The audit report for people: HTML (with an SVG map per ILS network) and Markdown (with a
//! Mermaid diagram per network), from `templates/audit.html` and `templates/audit.md`.
//!
//! Every value comes from inventories, remote hosts and traces: the HTML template escapes it
//! (minijinja's HTML auto-escaping), the Markdown one through the `md` filter, the map through
//! [`map::xml`], the Mermaid text through [`mermaid_text`]. Section ids are built from indices
//! only.

use std::fmt::Write as _;

use serde::Serialize;

use super::map::{self, Map};
use super::model::{AuditReport, ClusterResult, PairResult, Role};
use super::trends::{NetworkTrend, PairTrend, Trends};
use crate::analyze::Status;
use crate::report::template::{render_source, TemplateError};

pub const BUILTIN_HTML: &str = include_str!("../../templates/audit.html");
pub const BUILTIN_MD: &str = include_str!("../../templates/audit.md");

/// A certificate this close to expiry is flagged.
const CERT_WARN_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Html,
    Markdown,
}

#[derive(Debug, Serialize)]
struct View<'a> {
    report: &'a AuditReport,
    clusters_by_status: Counts,
    links_by_status: Counts,
    networks: Vec<NetView<'a>>,
    /// Runs the trends cover (0 without a history).
    trend_runs: usize,
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    ok: usize,
    warning: usize,
    critical: usize,
    unknown: usize,
}

impl Counts {
    fn of(statuses: impl Iterator<Item = Status>) -> Counts {
        let mut c = Counts::default();
        for s in statuses {
            match s {
                Status::Ok => c.ok = c.ok.saturating_add(1),
                Status::Warning => c.warning = c.warning.saturating_add(1),
                Status::Critical => c.critical = c.critical.saturating_add(1),
                Status::Unknown => c.unknown = c.unknown.saturating_add(1),
            }
        }
        c
    }
}

#[derive(Debug, Serialize)]
struct NetView<'a> {
    name: &'a str,
    anchor: String,
    status: Status,
    /// The SVG map (HTML only; built here and escaped by `map::svg`).
    svg: String,
    /// The Mermaid flowchart (Markdown only).
    mermaid: String,
    omitted_labels: usize,
    hubs: usize,
    spokes: usize,
    clusters: Vec<ClusterView<'a>>,
    pairs: Vec<PairView<'a>>,
    /// Failing links per run, from the history.
    trend: Option<&'a NetworkTrend>,
}

#[derive(Debug, Serialize)]
struct ClusterView<'a> {
    cluster: &'a ClusterResult,
    anchor: String,
    findings_anchor: String,
    cert_anchor: String,
    /// `expired`, `expiring` or `ok`; None when the days are not known.
    cert_state: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct PairView<'a> {
    pair: &'a PairResult,
    anchor: String,
    hub_anchor: Option<String>,
    spoke_anchor: Option<String>,
    /// Method and last successful sync, as the map labels the link.
    label: Option<String>,
    failures_by_cause: String,
    /// The pair's status in the last runs, from the history.
    trend: Option<&'a PairTrend>,
    /// The method as the technote names it (`TLS with password (method 3)`).
    method: Option<&'static str>,
    /// The latest root cause in words.
    latest_cause: Option<&'static str>,
    /// `hub to hub` for a link between meshed hubs.
    link: Option<&'static str>,
}

/// A JSON root cause name in words (an unknown name as it is).
fn cause_words(code: &str) -> &'static str {
    use crate::analyze::RootCause;
    [
        RootCause::PasswordMismatch,
        RootCause::SpokeRejectsHubCertificate,
        RootCause::HubRejectsSpokeCertificate,
        RootCause::HubUnreachable,
        RootCause::Unknown,
    ]
    .into_iter()
    .find(|c| c.as_str() == code)
    .map_or("a failure the lines do not explain", |c| c.words())
}

fn cert_state(days: Option<i64>) -> Option<&'static str> {
    days.map(|d| {
        if d < 0 {
            "expired"
        } else if d < CERT_WARN_DAYS {
            "expiring"
        } else {
            "ok"
        }
    })
}

fn view<'a>(r: &'a AuditReport, kind: Kind, t: Option<&'a Trends>) -> View<'a> {
    let maps = map::maps(&r.clusters, &r.pairs);
    let networks = maps
        .into_iter()
        .enumerate()
        .map(|(k, m)| {
            let name = r
                .clusters
                .iter()
                .map(|c| c.network.as_str())
                .chain(r.pairs.iter().map(|p| p.network.as_str()))
                .find(|n| *n == m.network)
                .unwrap_or_default();
            net_view(r, name, k, &m, kind, t)
        })
        .collect();
    View {
        report: r,
        clusters_by_status: Counts::of(r.clusters.iter().map(|c| c.status)),
        links_by_status: Counts::of(r.pairs.iter().map(|p| p.status)),
        networks,
        trend_runs: t.map_or(0, |t| t.runs.len()),
    }
}

fn net_view<'a>(
    r: &'a AuditReport,
    name: &'a str,
    k: usize,
    m: &Map,
    kind: Kind,
    t: Option<&'a Trends>,
) -> NetView<'a> {
    let anchor_of = |network: &str, cluster: &str| {
        r.clusters.iter().position(|c| c.network == network && c.name == cluster).map(map::cluster_anchor)
    };
    let clusters: Vec<ClusterView<'a>> = r
        .clusters
        .iter()
        .enumerate()
        .filter(|(_, c)| c.network == name)
        .map(|(i, c)| ClusterView {
            cluster: c,
            anchor: map::cluster_anchor(i),
            findings_anchor: map::findings_anchor(i),
            cert_anchor: map::cert_anchor(i),
            cert_state: cert_state(c.cert_days_left),
        })
        .collect();
    let pairs: Vec<PairView<'a>> = r
        .pairs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.network == name)
        .map(|(i, p)| PairView {
            pair: p,
            anchor: map::pair_anchor(i),
            hub_anchor: anchor_of(&p.network, &p.hub),
            spoke_anchor: anchor_of(&p.network, &p.spoke),
            label: map::edge_text(p.method.as_deref(), p.last_success_at.as_deref()),
            failures_by_cause: p
                .failures_by_cause
                .iter()
                .map(|(c, n)| format!("{n}: {}", cause_words(c)))
                .collect::<Vec<_>>()
                .join(", "),
            trend: t.and_then(|t| t.pair(&p.network, &p.hub, &p.spoke)),
            method: p.method.as_deref().and_then(|m| m.parse::<crate::analyze::Method>().ok()).map(|m| m.title()),
            latest_cause: p.latest_root_cause.as_deref().map(cause_words),
            link: match p.link {
                Some(crate::analyze::network::LinkKind::HubToHub) => Some("hub to hub"),
                Some(crate::analyze::network::LinkKind::SpokeToSpoke) => Some("spoke to spoke"),
                _ => None,
            },
        })
        .collect();
    let status = clusters
        .iter()
        .map(|c| c.cluster.status)
        .chain(pairs.iter().map(|p| p.pair.status))
        .max()
        .unwrap_or(Status::Unknown);
    NetView {
        name,
        anchor: format!("network-{k}"),
        status,
        svg: if kind == Kind::Html { map::svg(m) } else { String::new() },
        mermaid: if kind == Kind::Markdown { mermaid(m) } else { String::new() },
        omitted_labels: m.omitted_labels,
        hubs: clusters.iter().filter(|c| c.cluster.role == Role::Hub).count(),
        spokes: clusters.iter().filter(|c| c.cluster.role == Role::Spoke).count(),
        clusters,
        pairs,
        trend: t.and_then(|t| t.network(name)),
    }
}

/// Untrusted text inside a quoted Mermaid label: everything but plain ASCII letters, digits,
/// spaces and `-._:/+,()` becomes a numeric entity code (`#60;`), so it can close neither the
/// label nor the code fence.
pub fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_add(8));
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " -._:/+,()".contains(c) {
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            let _ = write!(out, "#{};", c as u32);
        }
    }
    out
}

/// A Mermaid flowchart of the map's nodes and links (GitHub and GitLab render it).
fn mermaid(m: &Map) -> String {
    let mut s = String::from("flowchart LR\n");
    for (i, n) in m.nodes.iter().enumerate() {
        let label = mermaid_text(&n.name);
        let badge = if n.findings > 0 { format!(" #91;{} finding(s)#93;", n.findings) } else { String::new() };
        let (open, close) = if n.role == Role::Hub { ("((\"", "\"))") } else { ("[\"", "\"]") };
        let _ = writeln!(s, "  n{i}{open}{label}{badge}{close}:::{}", n.status.as_str());
    }
    for &(a, b) in &m.mesh {
        let _ = writeln!(s, "  n{a} -.- n{b}");
    }
    for e in &m.edges {
        match map::edge_text(e.method.as_deref(), e.last_success_at.as_deref()) {
            Some(t) => {
                let _ = writeln!(s, "  n{} ---|\"{}\"| n{}", e.spoke, mermaid_text(&t), e.hub);
            }
            None => {
                let _ = writeln!(s, "  n{} --- n{}", e.spoke, e.hub);
            }
        }
    }
    // Mesh lines come first in Mermaid's link numbering.
    for (k, e) in (m.mesh.len()..).zip(&m.edges) {
        let dash = if e.status == Status::Unknown { ",stroke-dasharray:5 4" } else { "" };
        let _ = writeln!(s, "  linkStyle {} stroke:{},stroke-width:2px{dash}", k, map::colour(e.status));
    }
    for st in [Status::Ok, Status::Warning, Status::Critical, Status::Unknown] {
        let _ = writeln!(s, "  classDef {} fill:{},color:#ffffff,stroke:#ffffff", st.as_str(), map::colour(st));
    }
    s
}

/// The report rendered with the built-in template.
pub fn render(kind: Kind, r: &AuditReport) -> Result<String, TemplateError> {
    render_with(kind, r, None)
}

/// The report with the trends from the history (a sparkline per link, failing links per
/// network), when given.
pub fn render_with(kind: Kind, r: &AuditReport, t: Option<&Trends>) -> Result<String, TemplateError> {
    let (name, source) = match kind {
        Kind::Html => ("audit.html", BUILTIN_HTML),
        Kind::Markdown => ("audit.md", BUILTIN_MD),
    };
    render_source(name, &format!("built-in {name}"), source.to_string(), &view(r, kind, t))
}

pub const HISTORY_HTML: &str = include_str!("../../templates/history.html");
pub const HISTORY_MD: &str = include_str!("../../templates/history.md");

#[derive(Debug, Serialize)]
struct HistoryView<'a> {
    trends: &'a Trends,
    networks: Vec<HistoryNet<'a>>,
    first: Option<&'a str>,
    last: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct HistoryNet<'a> {
    trend: &'a NetworkTrend,
    anchor: String,
    pairs: Vec<&'a PairTrend>,
}

/// `ils-doctor history --format html|markdown`: the trends of the history alone.
pub fn render_history(kind: Kind, t: &Trends) -> Result<String, TemplateError> {
    let (name, source) = match kind {
        Kind::Html => ("history.html", HISTORY_HTML),
        Kind::Markdown => ("history.md", HISTORY_MD),
    };
    let networks = t
        .networks
        .iter()
        .enumerate()
        .map(|(k, n)| HistoryNet {
            trend: n,
            anchor: format!("network-{k}"),
            pairs: t.pairs.iter().filter(|p| p.network == n.network).collect(),
        })
        .collect();
    let view = HistoryView {
        trends: t,
        networks,
        first: t.runs.first().map(String::as_str),
        last: t.runs.last().map(String::as_str),
    };
    render_source(name, &format!("built-in {name}"), source.to_string(), &view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::Change;
    use crate::audit::model::ChangeKind;
    use crate::audit::testdata;

    const HOSTILE: &str = "<script>alert(1)</script>\"|`*{{ x }}";

    fn hostile_report() -> AuditReport {
        let mut r =
            testdata::simple("2026-01-01T10:00:00Z", Status::Ok, Status::Critical, Status::Critical, Status::Ok);
        r.clusters[1].name = HOSTILE.to_string();
        r.pairs[0].spoke = HOSTILE.to_string();
        r.pairs[0].method = Some("<img src=x>".to_string());
        r.clusters[0].cert_days_left = Some(-3);
        r.changes.push(Change {
            kind: ChangeKind::NewFailure,
            network: "net1".into(),
            subject: format!("hub-a <- {HOSTILE}"),
            message: format!("net1: hub-a <- {HOSTILE}: ok → critical"),
        });
        r
    }

    /// Every element of the SVG fragments is well-formed XML.
    fn assert_well_formed_svgs(html: &str) -> usize {
        let mut n = 0;
        let mut rest = html;
        while let Some(start) = rest.find("<svg") {
            let end = rest[start..].find("</svg>").map(|e| start + e + 6).expect("a closed svg");
            let mut reader = quick_xml::Reader::from_str(&rest[start..end]);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("SVG not well-formed: {e}"),
                }
            }
            n += 1;
            rest = &rest[end..];
        }
        n
    }

    #[test]
    fn html_has_a_map_per_network_linking_every_cluster_and_link_to_its_section() {
        let (mut c, mut p) = testdata::network("east", 2, 6);
        let (c2, p2) = testdata::network("west", 1, 3);
        c.extend(c2);
        p.extend(p2);
        let r = testdata::report("2026-01-01T10:00:00Z", c, p);
        let html = render(Kind::Html, &r).unwrap();
        assert_eq!(assert_well_formed_svgs(&html), 2);
        for (i, c) in r.clusters.iter().enumerate() {
            assert!(html.contains(&format!("href=\"#cluster-{i}\"")), "no link to {}", c.name);
            assert!(html.contains(&format!("id=\"cluster-{i}\"")), "no section for {}", c.name);
            assert!(html.contains(&format!(">{}</text>", c.name)), "{} not on the map", c.name);
            if !c.findings.is_empty() {
                assert!(
                    html.contains(&format!("href=\"#cluster-{i}-findings\""))
                        && html.contains(&format!("id=\"cluster-{i}-findings\""))
                );
                assert!(html.contains(&c.findings[0].fix));
            }
            assert!(html.contains(&format!("id=\"cluster-{i}-cert\"")));
        }
        for (i, p) in r.pairs.iter().enumerate() {
            assert!(html.contains(&format!("<a href=\"#pair-{i}\" class=\"link {}\">", p.status.as_str())));
            assert!(html.contains(&format!("<tr id=\"pair-{i}\"")));
        }
        // Lines coloured by status.
        for st in [Status::Ok, Status::Warning, Status::Critical, Status::Unknown] {
            assert!(html.contains(&format!("stroke=\"{}\"", map::colour(st))), "{st:?}");
        }
        assert!(html.contains("tls+password · synced"));
        assert!(html.contains("id=\"changes\"") && html.contains("id=\"summary\""));
    }

    #[test]
    fn html_escapes_hostile_names_in_the_map_and_the_sections() {
        let html = render(Kind::Html, &hostile_report()).unwrap();
        assert_well_formed_svgs(&html);
        assert!(!html.contains("<script") && !html.contains("<img"), "unescaped markup");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"), "the map's text");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;&quot;"), "the page's text");
        assert!(html.contains("expired 3 day(s) ago"));
        assert!(html.contains("new failure"));
    }

    #[test]
    fn markdown_has_tables_and_a_mermaid_diagram_per_network() {
        let r = hostile_report();
        let md = render(Kind::Markdown, &r).unwrap();
        assert!(md.starts_with("# ILS audit\n\n**CRITICAL**"), "{md}");
        assert_eq!(md.matches("```mermaid\nflowchart LR\n").count(), 1);
        // The fence closes once, after the diagram.
        let body = md.split("```mermaid\n").nth(1).and_then(|b| b.split("```").next()).unwrap();
        assert!(body.contains("n0((\"hub-a\")):::ok") && body.contains("linkStyle"), "{body}");
        assert!(body.contains("#60;script#62;alert(1)#60;/script#62;#34;"), "{body}");
        // Every `<` of a value is escaped with Markdown's own backslash (never an HTML entity,
        // which a ticket system that does not read entities would show as it is).
        let bare = md.replace("\\<", "");
        assert!(!bare.contains("<script") && !bare.contains("<img") && !md.contains("&lt;"), "{md}");
        assert!(md.contains("\\<script>alert(1)\\</script>\"\\|\\`\\*\\{\\{ x \\}\\}"), "{md}");
        assert!(md.contains("| hub-a ← spoke-2 | OK | TLS certificates (method 2) |"), "{md}");
        assert!(md.contains("Fix: Set the ILS password."));
        assert!(md.contains("| new failure | net1 |"));
    }

    #[test]
    fn two_hundred_clusters_lay_out_and_render_quickly() {
        let (c, p) = testdata::network("big", 10, 190);
        let r = testdata::report("2026-01-01T10:00:00Z", c, p);
        let t = std::time::Instant::now();
        let m = map::layout("big", &r.clusters, &r.pairs);
        let laid = t.elapsed();
        let html = render(Kind::Html, &r).unwrap();
        let total = t.elapsed();
        let md = render(Kind::Markdown, &r).unwrap();
        println!(
            "200 clusters: layout {:.1} ms, layout + HTML {:.1} ms ({} KiB), Markdown {:.1} ms; map {:.0}x{:.0}",
            laid.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3,
            html.len() / 1024,
            (t.elapsed() - total).as_secs_f64() * 1e3,
            m.width,
            m.height
        );
        assert_eq!(m.omitted_labels, 0);
        assert!(total < std::time::Duration::from_secs(2), "{total:?}");
        assert!(md.len() > 1000);
    }
}
