//! Routine traffic, summed: per pair where the lines name the peer, per trace where they do not.
//!
//! Lines come from two places: the counts each file's filter kept while scanning (routine lines
//! never leave the scanner as lines), and the lines the whole-trace pass found to belong to no
//! attempt. A count covers a whole file; with `--from`/`--to` a file's count is used when its
//! first-to-last range meets the window (the counts are not cut at the window's edges).

use std::collections::BTreeMap;

use super::event::{self, FileDate, When};
use super::model::Activity;
use super::types::Side;
use super::{Catalog, Event, Options, ScannedFile, TraceInfo};

/// Who the routine lines of one trace and role were exchanged with.
pub(crate) type Key = (usize, Side, Option<String>);

#[derive(Debug, Default)]
pub(crate) struct Sum {
    pub count: u64,
    pub first: Option<When>,
    pub last: Option<When>,
    pub by_signature: BTreeMap<String, u64>,
}

impl Sum {
    fn add(&mut self, n: u64, first: Option<When>, last: Option<When>, id: String) {
        self.count = self.count.saturating_add(n);
        let per = self.by_signature.entry(id).or_default();
        *per = per.saturating_add(n);
        if let Some(f) = first {
            if self.first.is_none_or(|cur| f.order_key() < cur.order_key()) {
                self.first = Some(f);
            }
        }
        if let Some(l) = last {
            if self.last.is_none_or(|cur| l.order_key() > cur.order_key()) {
                self.last = Some(l);
            }
        }
    }

    pub fn merge(&mut self, other: &Sum) {
        self.count = self.count.saturating_add(other.count);
        for (k, v) in &other.by_signature {
            let per = self.by_signature.entry(k.clone()).or_default();
            *per = per.saturating_add(*v);
        }
        if let Some(f) = other.first {
            if self.first.is_none_or(|cur| f.order_key() < cur.order_key()) {
                self.first = Some(f);
            }
        }
        if let Some(l) = other.last {
            if self.last.is_none_or(|cur| l.order_key() > cur.order_key()) {
                self.last = Some(l);
            }
        }
    }

    pub fn model(&self) -> Activity {
        let show = |w: &When| w.rfc3339().unwrap_or_else(|| w.time_of_day());
        Activity {
            count: self.count,
            first: self.first.as_ref().map(show),
            last: self.last.as_ref().map(show),
            by_signature: self.by_signature.clone(),
        }
    }
}

/// The id a count is reported under.
fn id_of(catalog: &Catalog, sig: usize) -> String {
    match catalog.get(sig) {
        Some(s) => s.id.clone(),
        None => "attempt_overflow".to_string(),
    }
}

pub(crate) fn sum(
    catalog: &Catalog,
    files: &[ScannedFile],
    traces: &[TraceInfo],
    dates: &[FileDate],
    events: &[Event<'_>],
    routine: &[(usize, Option<String>)],
    options: &Options,
) -> BTreeMap<Key, Sum> {
    let mut out: BTreeMap<Key, Sum> = BTreeMap::new();
    for (ti, t) in traces.iter().enumerate() {
        for &fi in &t.files {
            let (Some(f), Some(date)) = (files.get(fi), dates.get(fi)) else { continue };
            for a in &f.activity {
                let first = a.first.map(|s| event::when(date, s));
                let last = a.last.map(|s| event::when(date, s));
                if outside(options, first, last) {
                    continue;
                }
                let key = (ti, a.role, a.peer.clone());
                out.entry(key).or_default().add(a.count, first, last, id_of(catalog, a.sig));
            }
        }
    }
    for (i, peer) in routine {
        let Some(e) = events.get(*i) else { continue };
        let key = (e.trace, e.role, peer.clone());
        out.entry(key).or_default().add(1, e.when, e.when, id_of(catalog, e.hit.sig));
    }
    out
}

/// Whether a count's whole range is outside the window.
fn outside(options: &Options, first: Option<When>, last: Option<When>) -> bool {
    let ends_before = match (options.from, last) {
        (Some(from), Some(l)) => from.line_is_before(&l) == Some(true),
        _ => false,
    };
    let starts_after = match (options.to, first) {
        (Some(to), Some(f)) => to.line_is_before(&f) == Some(false),
        _ => false,
    };
    ends_before || starts_after
}
