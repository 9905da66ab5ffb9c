//! Nothing a user sees cites a document they do not have: the project's research notes live
//! outside the repository. Every string literal of the crate (comments are skipped), the
//! catalog's fields and the report templates are searched for references to them.

use std::path::Path;

const FORBIDDEN: &[&str] =
    &["research §", "cucm-ils.md", "cucm-apis.md", "cucm-facts", "field-notes", "shared/research"];

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
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
    for t in ["templates/report.md", "templates/report.html"] {
        let text = std::fs::read_to_string(root.join(t)).unwrap();
        if FORBIDDEN.iter().any(|x| text.contains(x)) {
            hits.push(t.to_string());
        }
    }
    assert!(hits.is_empty(), "user-facing text cites notes outside the repository:\n{}", hits.join("\n"));
}
