//! Nothing a user sees cites a document they do not have: the project's research notes live
//! outside the repository, and so does its issue tracker. The facts the code relies on are in
//! `docs/cucm-notes.md`, which comments, docs and the catalog cite as `docs/cucm-notes.md#anchor`.
//!
//! - Every string literal of the crate (comments are skipped), the catalog's fields and the report
//!   templates are searched for references to the notes.
//! - Every source file, comments included, and every doc is searched for the same references and
//!   for issue numbers (what is not done belongs in the docs' "Limits" sections).
//! - Every `cucm-notes.md#anchor` cited anywhere in the repository names an anchor that
//!   `docs/cucm-notes.md` defines.

use std::path::{Path, PathBuf};

use regex::Regex;

const FORBIDDEN: &[&str] = &[
    "research §",
    "cucm-ils.md",
    "cucm-apis.md",
    "cucm-configure",
    "cucm-facts",
    "field-notes",
    "shared/research",
    "style-anchors",
    "notes §",
];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with(dir, &["rs"], out);
}

/// Files under `dir` (recursively) whose name ends in one of `exts`; build output and VCS
/// folders are skipped.
fn files_with(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if p.is_dir() {
            if !matches!(name.as_ref(), "target" | ".git" | "node_modules") {
                files_with(&p, exts, out);
            }
        } else if p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
}

/// The string literals of a Rust source, roughly: the text between double quotes on lines that
/// are not comments.
fn literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        let code = match t.find(" // ") {
            Some(i) => &t[..i],
            None => t,
        };
        let mut parts = code.split('"');
        parts.next();
        while let Some(lit) = parts.next() {
            out.push(lit.to_string());
            parts.next();
        }
    }
    out
}

#[test]
fn no_user_facing_text_cites_internal_notes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rs_files(&root.join("src"), &mut files);
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for lit in literals(&text) {
            if FORBIDDEN.iter().any(|x| lit.contains(x)) {
                hits.push(format!("{}: {lit}", f.display()));
            }
        }
    }
    let catalog = std::fs::read_to_string(root.join("signatures/ils.toml")).unwrap();
    for line in catalog.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if FORBIDDEN.iter().any(|x| line.contains(x)) {
            hits.push(format!("signatures/ils.toml: {line}"));
        }
    }
    for t in ["templates/report.md", "templates/report.html", "templates/audit.md", "templates/audit.html"] {
        let text = std::fs::read_to_string(root.join(t)).unwrap();
        if FORBIDDEN.iter().any(|x| text.contains(x)) {
            hits.push(t.to_string());
        }
    }
    assert!(hits.is_empty(), "user-facing text cites notes outside the repository:\n{}", hits.join("\n"));
}

/// The files whose every line (comments included) must cite only what the repository holds.
fn cited_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["src", "mock-server/src", "mock-server/tests", "tests", "benches", "fuzz/fuzz_targets", "examples"] {
        files_with(&root.join(dir), &["rs", "py", "md"], &mut files);
    }
    for dir in ["signatures", "mock-server/scenarios"] {
        files_with(&root.join(dir), &["toml"], &mut files);
    }
    files_with(&root.join("templates"), &["md", "html"], &mut files);
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")));
    }
    files.push(root.join("README.md"));
    files.push(root.join("mock-server/README.md"));
    // This file names what it forbids.
    let me = root.join(file!());
    files.retain(|f| f.canonicalize().ok() != me.canonicalize().ok() && f.is_file());
    files.sort();
    files
}

#[test]
fn no_comment_or_doc_cites_internal_notes_or_issues() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // "issue 5", "Issue 3's", "issue #12", "issues 4 and 5"; not "issues/35" in a URL.
    let issue = Regex::new(r"(?i)\bissues?\s*#?\d").unwrap();
    let files = cited_files(root);
    assert!(files.len() > 50, "too few files found: {}", files.len());
    let mut hits = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
        for (n, line) in text.lines().enumerate() {
            if let Some(x) = FORBIDDEN.iter().find(|x| line.contains(*x)) {
                hits.push(format!("{rel}:{}: cites {x:?}: {}", n + 1, line.trim()));
            } else if let Some(m) = issue.find(line) {
                hits.push(format!("{rel}:{}: names {:?}: {}", n + 1, m.as_str(), line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "{} line(s) cite notes outside the repository or issue numbers (cite docs/cucm-notes.md#anchor; \
         put what is not done in a docs \"Limits\" section):\n{}",
        hits.len(),
        hits.join("\n")
    );
}

#[test]
fn every_cited_cucm_notes_anchor_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let notes = std::fs::read_to_string(root.join("docs/cucm-notes.md")).unwrap();
    let id = Regex::new(r#"<a id="([A-Za-z0-9_-]+)"></a>"#).unwrap();
    let mut anchors: Vec<&str> = id.captures_iter(&notes).map(|c| c.get(1).unwrap().as_str()).collect();
    let defined = anchors.len();
    anchors.sort_unstable();
    anchors.dedup();
    assert_eq!(anchors.len(), defined, "docs/cucm-notes.md defines an anchor twice");
    assert!(defined > 20, "docs/cucm-notes.md defines only {defined} anchors");

    let cite = Regex::new(r"cucm-notes\.md#([A-Za-z0-9_-]+)").unwrap();
    let mut files = Vec::new();
    files_with(root, &["rs", "md", "toml", "py", "html", "sh"], &mut files);
    let mut cited = 0;
    let mut missing = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
        for (n, line) in text.lines().enumerate() {
            for c in cite.captures_iter(line) {
                let a = c.get(1).unwrap().as_str();
                if a == "anchor" && rel == "tests/no_internal_refs.rs" {
                    continue; // the placeholder in this file's own documentation
                }
                cited += 1;
                if anchors.binary_search(&a).is_err() {
                    missing.push(format!("{rel}:{}: #{a}", n + 1));
                }
            }
        }
    }
    assert!(cited > 50, "only {cited} citations of docs/cucm-notes.md found");
    assert!(missing.is_empty(), "cited anchors that docs/cucm-notes.md does not define:\n{}", missing.join("\n"));
}
