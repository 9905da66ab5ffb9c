//! `ils-doctor signatures`: the catalog the analyzer uses, for people writing overrides.

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::types::{Confidence, Fact, Method, OutcomeClass, SideSpec};
use crate::analyze::Catalog;
use crate::cli::SignaturesArgs;
use crate::pipeline::{catalog, output};
use crate::report::Format;
use crate::untrusted::clean;

#[derive(Serialize)]
struct Entry<'a> {
    id: &'a str,
    side: SideSpec,
    methods: Vec<Method>,
    outcome: OutcomeClass,
    fact: Fact,
    anchor: &'a str,
    regex: &'a str,
    confidence: Confidence,
    source: &'a str,
    meaning: &'a str,
    origin: &'a str,
}

pub fn run(args: SignaturesArgs) -> anyhow::Result<u8> {
    let catalog = catalog::load_catalog(args.signatures.as_ref())?;
    output::emit(None, |out| write(out, &catalog, args.format == Format::Json))?;
    Ok(0)
}

pub fn write(out: &mut dyn Write, catalog: &Catalog, json: bool) -> io::Result<()> {
    let entries: Vec<Entry<'_>> = catalog
        .signatures()
        .iter()
        .map(|s| Entry {
            id: &s.id,
            side: s.side,
            methods: s.methods.members(),
            outcome: s.outcome,
            fact: s.fact,
            anchor: &s.anchor,
            regex: s.regex.as_str(),
            confidence: s.confidence,
            source: &s.source,
            meaning: &s.meaning,
            origin: &s.origin,
        })
        .collect();
    if json {
        let mut text = serde_json::to_vec_pretty(&entries).map_err(io::Error::other)?;
        text.push(b'\n');
        return out.write_all(&text);
    }
    for e in &entries {
        let side = serde_json::to_string(&e.side).unwrap_or_default();
        let outcome = serde_json::to_string(&e.outcome).unwrap_or_default();
        let methods: Vec<&str> = e.methods.iter().map(|m| m.as_str()).collect();
        writeln!(
            out,
            "{:<5} {:<6} {:<8} {:<10} {}",
            e.id,
            side.trim_matches('"'),
            outcome.trim_matches('"'),
            format!("{:?}", e.confidence).to_lowercase(),
            clean(e.anchor)
        )?;
        writeln!(out, "      methods: {}; {}", methods.join(", "), clean(e.meaning))?;
    }
    Ok(())
}
