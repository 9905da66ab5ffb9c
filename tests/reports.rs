//! Markdown and HTML reports: snapshots, escaping of hostile trace text, custom templates, a real
//! browser rendering the HTML, and the example report in docs/ kept current.

mod support;

use ils_doctor::analyze::Analysis;
use ils_doctor::pipeline::offline::Request;
use ils_doctor::report::model::Report;
use ils_doctor::report::template::{render, Kind};
use support::browser::{chromium_or_skip, dump_dom, screenshot};
use support::*;

const FIXED_TIME: &str = "2026-11-25T00:00:00+00:00";

/// Analyzes with paths relative to the package root, so snapshots do not depend on the checkout.
fn analyze_rel(hub: &[&str], spoke: &[&str]) -> Analysis {
    analyze_with(Request {
        hub: hub.iter().map(Into::into).collect(),
        spoke: spoke.iter().map(Into::into).collect(),
        ..Request::default()
    })
}

fn both(a: &Analysis) -> (String, String) {
    let r = Report::new(a, FIXED_TIME.into());
    (render(Kind::Markdown, &r, None).unwrap(), render(Kind::Html, &r, None).unwrap())
}

fn scenario(name: &str) -> Analysis {
    let dir = format!("tests/fixtures/sdl/{name}");
    analyze_rel(&[&format!("{dir}/hub.txt")], &[&format!("{dir}/spoke.txt")])
}

#[test]
fn snapshots() {
    for name in ["m1_password_success", "m2_spoke_cert_not_in_hub", "m3_hub_self_signed"] {
        let (md, html) = both(&scenario(name));
        insta::assert_snapshot!(format!("{name}.md"), md);
        insta::assert_snapshot!(format!("{name}.html"), html);
    }
}

#[test]
fn the_three_formats_tell_the_same_story_in_the_same_order() {
    let a = analyze_rel(&["examples/traces/hub"], &["examples/traces/spoke-a", "examples/traces/spoke-b"]);
    let (md, html) = both(&a);
    let mut text = Vec::new();
    ils_doctor::report::terminal::write(&mut text, &a).unwrap();
    let text = String::from_utf8(text).unwrap();
    // The verdict; then the failing pair with its cause, its deciding lines and its fix; then
    // the healthy pair; details last.
    let failing = a.pairs.iter().find(|p| p.status == ils_doctor::analyze::Status::Critical).unwrap();
    let cause = failing.cause.as_ref().unwrap();
    let fix_start: String = cause.fix.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    let healthy = a.pairs.iter().find(|p| p.status == ils_doctor::analyze::Status::Ok).unwrap();
    let healthy_spoke = healthy.spoke.clone().unwrap();
    let cause_words = cause.text.split(" (").next().unwrap().to_string();
    // The page as a reader sees its text (the entities HTML escaping writes, undone).
    let html = html.replace("&#x27;", "'").replace("&#x2f;", "/").replace("&quot;", "\"").replace("&amp;", "&");
    for (format, doc) in [("text", &text), ("markdown", &md), ("html", &html)] {
        let at = |needle: &str| doc.find(needle).unwrap_or_else(|| panic!("{format} lacks {needle:?}:\n{doc}"));
        let verdict = at("CRITICAL");
        let cause_at = at(&cause_words);
        let fix_at = at(&fix_start);
        let healthy_at = doc.rfind(&healthy_spoke).unwrap_or_else(|| panic!("{format} lacks the healthy pair"));
        assert!(verdict < cause_at && cause_at < fix_at && fix_at < healthy_at, "{format}: order\n{doc}");
        // Said once: the fix is printed once, however many attempts failed with it.
        assert_eq!(doc.matches(&fix_start).count(), 1, "{format}: the fix once\n{doc}");
        // Human formats name causes and lines in words, never by code or catalog id.
        for code in ["spoke_rejects_hub_certificate", "password_mismatch", "P13", "P23a", "one_side"] {
            assert!(!doc.contains(code), "{format} says {code}:\n{doc}");
        }
    }
    // A run of the same failure is one story in every format.
    let story = "5 attempts from 09:00:00 to 09:04:00, every 60 s, all failed the same way";
    for (format, doc) in [("text", &text), ("markdown", &md), ("html", &html)] {
        assert!(doc.contains(story), "{format}: {story:?}\n{doc}");
    }
}

#[test]
fn hostile_trace_text_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+00:00", "hub<script>", "192.0.2.1", t(8, 0, 0, 0));
    let evil = "<script>alert(1)</script></svg>{{ 7*7 }}``` `|*x*|";
    hub.app(t(8, 0, 1, 0), &format!("IlsD IlsHandler: wait_SdlDataInd EncrUtil:: decryptData failed . DeviceName={evil}, TCPPid = [1.600.13.7], IPAddr=198.51.100.7, Port=40001, Controller=[1,20,1]"));
    hub.app(t(8, 0, 1, 0), "IlsD wait_SdlDataInd sending ILSPwdAuthenticationFailed alarm with IPAddress= 198.51.100.7<b>; mAlarmedConnections count= 1");
    let a = analyze(&[&hub.write(dir.path(), "hub.txt")], &[]);
    // The altered alarm names another peer (`198.51.100.7<b>`), so it is an attempt of its own.
    assert_eq!(a.attempts.len(), 2);
    let (md, html) = both(&a);
    assert!(!html.contains("<script>") && !html.contains("alert(1)</script>"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped"
    );
    assert_eq!(html.matches("</svg>").count(), 1, "only the timeline's own </svg>");
    assert!(html.contains("{{ 7*7 }}") && !html.contains(">49<"), "template syntax in a value is text");
    assert!(!html.contains("<b>"));
    // Markdown: the evidence is fenced with a longer fence than the ``` inside it.
    assert!(md.contains("````text\n"), "{md}");
    // Outside the fences (where Markdown would render HTML) no tag survives.
    let mut outside = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`').collect();
        match &fence {
            None if ticks.len() >= 3 => fence = Some(ticks),
            Some(f) if line == f.as_str() => fence = None,
            None => outside.push_str(line),
            Some(_) => {}
        }
    }
    assert!(fence.is_none(), "every fence is closed");
    // Inline, a value's `<` is escaped with Markdown's backslash, never an HTML entity (a ticket
    // system that does not read entities would show `&lt;` as it is).
    assert!(outside.contains("198.51.100.7\\<b>"), "the peer name is escaped inline: {outside}");
    let bare = outside.replace("\\<", "");
    assert!(!bare.contains("<script>") && !bare.contains("<b>") && !outside.contains("&lt;"), "{outside}");
}

#[test]
fn a_team_template_replaces_the_built_in_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("report.md"),
        "ACME ILS {{ analysis.status }} {% for a in analysis.attempts %}[{{ a.id }}:{{ a.root_cause }}]{% endfor %}",
    )
    .unwrap();
    let a = scenario("password_mismatch");
    let r = Report::new(&a, FIXED_TIME.into());
    assert_eq!(render(Kind::Markdown, &r, Some(dir.path())).unwrap(), "ACME ILS critical [1:password_mismatch]");
    // No report.html there: the built-in one is used.
    assert!(render(Kind::Html, &r, Some(dir.path())).unwrap().starts_with("<!DOCTYPE html>"));
    std::fs::write(dir.path().join("report.md"), "{{ analysis.no_such_field }}").unwrap();
    let e = render(Kind::Markdown, &r, Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("report.md") && e.contains("no_such_field") || e.contains("undefined"), "{e}");
}

#[test]
#[cfg_attr(missing_chromium, ignore = "no chromium on this machine: apt-get install chromium (CI installs it)")]
fn the_html_report_renders_in_a_real_browser() {
    let Some(browser) = chromium_or_skip() else { return };
    let a = analyze_rel(&["examples/traces/hub"], &["examples/traces/spoke-a", "examples/traces/spoke-b"]);
    let (_, html) = both(&a);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());

    let dom = dump_dom(browser, &dir.path().join("p1"), &url);
    assert!(dom.contains("id=\"timeline\""), "the page loaded");
    assert_eq!(dom.matches("class=\"mark mark-").count(), a.attempts.len(), "one timeline mark per attempt");
    assert_eq!(dom.matches("class=\"mark mark-failure\"").count(), 5);
    assert_eq!(dom.matches("class=\"mark mark-success\"").count(), 1);
    // Every timeline mark links to an element of the page (the attempts of a run's middle too).
    for x in &a.attempts {
        assert!(dom.contains(&format!("id=\"attempt-{}\"", x.id)), "attempt {} has an anchor", x.id);
    }
    screenshot(browser, &dir.path().join("p2"), "1100,1400", &url, &dir.path().join("report.png"));
}

/// The page reads at 1300 px without horizontal scroll (and at 1000 px too). The report forbids
/// scripts (its Content-Security-Policy); the test's copy allows one that writes the page's
/// scroll width into the DOM.
#[test]
#[cfg_attr(missing_chromium, ignore = "no chromium on this machine: apt-get install chromium (CI installs it)")]
fn the_html_report_needs_no_horizontal_scroll() {
    let Some(browser) = chromium_or_skip() else { return };
    let a = analyze_rel(&["examples/traces/hub"], &["examples/traces/spoke-a", "examples/traces/spoke-b"]);
    let (_, html) = both(&a);
    let probe = "<script>addEventListener('load', () => { const d = document.documentElement; \
                 document.body.setAttribute('data-overflow', String(d.scrollWidth - d.clientWidth)); });</script>";
    let measured = html
        .replace(
            "default-src 'none'; style-src 'unsafe-inline'",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
        )
        .replace("</body>", &format!("{probe}</body>"));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("measured.html");
    std::fs::write(&page, measured).unwrap();
    for width in [1300, 1000] {
        let out = support::browser::headless(browser, &dir.path().join(format!("p{width}")))
            .arg(format!("--window-size={width},900"))
            .arg("--dump-dom")
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        let dom = String::from_utf8_lossy(&out.stdout);
        let overflow = dom.split("data-overflow=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("?");
        assert_eq!(overflow, "0", "{width} px: the page scrolls sideways by {overflow} px");
    }
}

#[test]
fn the_example_report_in_docs_is_current() {
    let a = analyze_rel(&["examples/traces/hub"], &["examples/traces/spoke-a", "examples/traces/spoke-b"]);
    let r = Report::new(&a, FIXED_TIME.into());
    for (kind, path) in [(Kind::Html, "docs/example-report.html"), (Kind::Markdown, "docs/example-report.md")] {
        let fresh = render(kind, &r, None).unwrap();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &fresh).unwrap();
        }
        let kept = std::fs::read_to_string(path).unwrap_or_default();
        assert!(kept == fresh, "{path} is stale: run UPDATE_DOCS=1 cargo test --test reports");
    }
}
