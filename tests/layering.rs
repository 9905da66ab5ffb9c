//! The crate's modules follow the data flow and use only those below them (`src/lib.rs`):
//! a module that reaches upwards (the analysis importing collection, a parser importing the
//! report) fails here, with the file and line. Test code counts too: a test that needs a higher
//! layer belongs to that layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and its rank: a module may use only modules of a lower rank, so no two
/// can import each other, and no circle can form.
const RANKS: &[(&str, u8)] = &[
    ("untrusted", 0),
    ("secret", 0),
    ("values", 0),
    ("exit", 1),
    ("connect", 1),
    ("parse", 2),
    ("collect", 3),
    ("analyze", 4),
    ("report", 5),
    ("configure", 5),
    ("bundle", 6),
    ("credentials", 6),
    ("pipeline", 7),
    ("audit", 8),
    ("cli", 9),
    ("generate", 10),
    ("commands", 11),
];

/// The pure layers (no I/O; fuzzed) take plain values: they may use only these, whatever their
/// rank. `parse` reads SOAP bodies with `connect::envelope`, itself pure; `values` holds the
/// command line's value types (plain enums and constants).
const PURE: &[(&str, &[&str])] = &[
    ("parse", &["connect", "untrusted"]),
    ("analyze", &["parse", "untrusted", "values"]),
    ("report", &["analyze", "parse", "untrusted", "values"]),
];

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to: `src/analyze/judge.rs` → `analyze`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// Every `crate::<module>` a line of code names (comments skipped): the modules it uses.
fn used_modules(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.push((n + 1, name));
            }
            rest = after;
        }
    }
    found
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut unranked = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "main" || module == "lib" {
            continue; // the binary and the crate root sit above every module
        }
        let Some(own) = rank(&module) else {
            unranked.push(module);
            continue;
        };
        let code = std::fs::read_to_string(file).unwrap();
        for (line, used) in used_modules(&code) {
            if used == module || used.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue; // its own items, or the crate root's (`crate::VERSION`)
            }
            edges.entry(module.clone()).or_default().insert(used.clone());
            let pure_allows =
                PURE.iter().find(|(m, _)| *m == module).map(|(_, allowed)| allowed.contains(&used.as_str()));
            match (rank(&used), pure_allows) {
                (_, Some(false)) => wrong.push(format!("{}:{line}: {module} (pure) uses {used}", file.display())),
                (Some(r), _) if r < own => {}
                _ => wrong.push(format!("{}:{line}: {module} uses {used}", file.display())),
            }
        }
    }
    assert!(unranked.is_empty(), "modules without a layer in RANKS: {unranked:?}");
    assert!(wrong.is_empty(), "modules reaching up or sideways:\n{}", wrong.join("\n"));
    // The analysis takes plain values, never collection: it and collection each use parse.
    let analyze = edges.get("analyze").cloned().unwrap_or_default();
    assert!(!analyze.contains("collect") && !analyze.contains("connect"), "analyze uses {analyze:?}");
    assert!(edges.get("collect").is_some_and(|c| c.contains("parse")), "collect builds parse's values");
}

#[test]
fn the_checker_sees_a_module_reaching_up() {
    // The checker itself: a line naming a higher layer is found, a comment is not.
    let found = used_modules("use crate::collect::facts::Facts;\n// crate::report is named in a comment\n");
    assert_eq!(found, vec![(1, "collect".to_string())]);
    assert!(rank("collect") > rank("parse"), "collect sits above parse");
    assert!(rank("analyze") > rank("collect"));
    assert_eq!(rank("nonexistent"), None);
    let analyze_may = PURE.iter().find(|(m, _)| *m == "analyze").map(|(_, a)| *a).unwrap();
    assert!(!analyze_may.contains(&"collect"), "analyze's rank is above collect's, but it may not use it");
}
