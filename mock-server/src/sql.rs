//! A tiny SQL evaluator for `run sql` and AXL `executeSQLQuery` / `executeSQLUpdate`.
//!
//! Supports what ILS tooling sends (docs/cucm-notes.md#run-sql, docs/cucm-notes.md#trace-level,
//! docs/cucm-notes.md#axl-sql):
//! `SELECT [SKIP n] [FIRST n] cols|*|count(*) FROM t [alias], t2 ... [INNER JOIN t3 ON a = b]
//! [WHERE p AND p ...] [ORDER BY col [ASC|DESC]]` with predicates `=`, `!=`, `<>`, `LIKE`,
//! `IN (subquery | literals)`, `IS [NOT] NULL`; and `UPDATE t SET c = v, ... [WHERE ...]`.
//! Errors carry Informix's codes and texts (-201 syntax, -206 unknown table, -217 unknown column),
//! which CUCM passes through [I: the texts are Informix's; how CUCM frames them is not documented].
//! Input is never trusted: every path returns an error instead of panicking, and statement size
//! and result size are bounded.

use std::collections::BTreeMap;

/// A cell: `None` is SQL NULL.
pub type Value = Option<String>;

/// A table of rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// Column names (lower case, or the alias).
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Value>>,
}

/// The database: tables by lower-case name.
pub type Db = BTreeMap<String, Rows>;

/// An Informix-style error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SqlError {
    /// Informix error code (negative).
    pub code: i32,
    /// Message text.
    pub message: String,
}

fn syntax() -> SqlError {
    SqlError { code: -201, message: "A syntax error has occurred.".into() }
}

fn no_table(t: &str) -> SqlError {
    SqlError { code: -206, message: format!("The specified table ({t}) is not in the database.") }
}

fn no_column(c: &str) -> SqlError {
    SqlError { code: -217, message: format!("Column ({c}) not found in any table in the query (or SLV is undefined).") }
}

const MAX_SQL: usize = 64 * 1024;
const MAX_ROWS: usize = 100_000;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(i64),
    Sym(&'static str),
}

fn lex(s: &str) -> Result<Vec<Tok>, SqlError> {
    if s.len() > MAX_SQL {
        return Err(syntax());
    }
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((_, c)) = it.next() {
        match c {
            c if c.is_whitespace() => {}
            '\'' | '"' => {
                let q = c;
                let mut v = String::new();
                loop {
                    match it.next() {
                        Some((_, ch)) if ch == q => {
                            if it.peek().map(|p| p.1) == Some(q) {
                                it.next();
                                v.push(q);
                            } else {
                                break;
                            }
                        }
                        Some((_, ch)) => v.push(ch),
                        None => return Err(syntax()),
                    }
                }
                out.push(Tok::Str(v));
            }
            c if c.is_ascii_digit() || (c == '-' && it.peek().is_some_and(|p| p.1.is_ascii_digit())) => {
                let mut v = String::from(c);
                while let Some(&(_, d)) = it.peek() {
                    if d.is_ascii_digit() {
                        v.push(d);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Num(v.parse().map_err(|_| syntax())?));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut v = String::from(c);
                while let Some(&(_, d)) = it.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        v.push(d);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(v.to_ascii_lowercase()));
            }
            ',' => out.push(Tok::Sym(",")),
            '(' => out.push(Tok::Sym("(")),
            ')' => out.push(Tok::Sym(")")),
            '*' => out.push(Tok::Sym("*")),
            '.' => out.push(Tok::Sym(".")),
            '=' => out.push(Tok::Sym("=")),
            ';' => {}
            '!' | '<' => {
                let next = it.next().map(|p| p.1);
                match (c, next) {
                    ('!', Some('=')) | ('<', Some('>')) => out.push(Tok::Sym("!=")),
                    _ => return Err(syntax()),
                }
            }
            _ => return Err(syntax()),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct ColRef {
    qual: Option<String>,
    name: String,
}

#[derive(Debug, Clone)]
enum Operand {
    Col(ColRef),
    Lit(Value),
}

#[derive(Debug, Clone)]
enum Pred {
    Cmp(ColRef, bool, Operand),
    Like(ColRef, bool, String),
    In(ColRef, InList),
    Null(ColRef, bool),
}

#[derive(Debug, Clone)]
enum InList {
    Values(Vec<Value>),
    Query(Box<Select>),
}

#[derive(Debug, Clone)]
enum Proj {
    Star,
    Count(String),
    Col(ColRef, String),
}

#[derive(Debug, Clone)]
struct Select {
    skip: usize,
    first: Option<usize>,
    proj: Vec<Proj>,
    from: Vec<(String, String)>,
    preds: Vec<Pred>,
    order: Option<(ColRef, bool)>,
}

/// A parsed statement.
#[derive(Debug, Clone)]
pub struct Statement(Stmt);

#[derive(Debug, Clone)]
enum Stmt {
    Select(Select),
    Update { table: String, sets: Vec<(String, Value)>, preds: Vec<Pred> },
}

struct P {
    toks: Vec<Tok>,
    pos: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn kw(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(x)) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(x)) if *x == s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_kw(&mut self, w: &str) -> Result<(), SqlError> {
        if self.kw(w) {
            Ok(())
        } else {
            Err(syntax())
        }
    }
    fn word(&mut self) -> Result<String, SqlError> {
        match self.next() {
            Some(Tok::Word(w)) => Ok(w),
            _ => Err(syntax()),
        }
    }
    fn num(&mut self) -> Result<usize, SqlError> {
        match self.next() {
            Some(Tok::Num(n)) if n >= 0 => Ok(n as usize),
            _ => Err(syntax()),
        }
    }
    fn colref(&mut self) -> Result<ColRef, SqlError> {
        let a = self.word()?;
        if self.sym(".") {
            let b = self.word()?;
            Ok(ColRef { qual: Some(a), name: b })
        } else {
            Ok(ColRef { qual: None, name: a })
        }
    }
    fn literal(&mut self) -> Result<Value, SqlError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Some(s)),
            Some(Tok::Num(n)) => Ok(Some(n.to_string())),
            Some(Tok::Word(w)) if w == "null" => Ok(None),
            Some(Tok::Word(w)) if w == "true" || w == "false" => Ok(Some(w[..1].to_string())),
            _ => Err(syntax()),
        }
    }
    fn operand(&mut self) -> Result<Operand, SqlError> {
        match self.peek() {
            Some(Tok::Word(w)) if w != "null" && w != "true" && w != "false" => Ok(Operand::Col(self.colref()?)),
            _ => Ok(Operand::Lit(self.literal()?)),
        }
    }
    fn preds(&mut self) -> Result<Vec<Pred>, SqlError> {
        let mut v = vec![self.pred()?];
        while self.kw("and") {
            v.push(self.pred()?);
        }
        if self.kw("or") {
            // OR is not needed by any ILS query; refuse it rather than answer wrongly.
            return Err(syntax());
        }
        Ok(v)
    }
    fn pred(&mut self) -> Result<Pred, SqlError> {
        let c = self.colref()?;
        if self.sym("=") {
            return Ok(Pred::Cmp(c, true, self.operand()?));
        }
        if self.sym("!=") {
            return Ok(Pred::Cmp(c, false, self.operand()?));
        }
        let not = self.kw("not");
        if self.kw("like") {
            return match self.next() {
                Some(Tok::Str(s)) => Ok(Pred::Like(c, !not, s)),
                _ => Err(syntax()),
            };
        }
        if self.kw("in") {
            if not || !self.sym("(") {
                return Err(syntax());
            }
            let list = if matches!(self.peek(), Some(Tok::Word(w)) if w == "select") {
                self.pos += 1;
                InList::Query(Box::new(self.select()?))
            } else {
                let mut v = vec![self.literal()?];
                while self.sym(",") {
                    v.push(self.literal()?);
                }
                InList::Values(v)
            };
            if !self.sym(")") {
                return Err(syntax());
            }
            return Ok(Pred::In(c, list));
        }
        if self.kw("is") {
            let not = self.kw("not");
            self.expect_kw("null")?;
            return Ok(Pred::Null(c, !not));
        }
        Err(syntax())
    }
    fn table_ref(&mut self) -> Result<(String, String), SqlError> {
        let t = self.word()?;
        let alias = if self.kw("as") {
            self.word()?
        } else {
            match self.peek() {
                Some(Tok::Word(w)) if !matches!(w.as_str(), "where" | "inner" | "join" | "on" | "order" | "left") => {
                    self.word()?
                }
                _ => t.clone(),
            }
        };
        Ok((t, alias))
    }
    fn select(&mut self) -> Result<Select, SqlError> {
        let mut s = Select { skip: 0, first: None, proj: Vec::new(), from: Vec::new(), preds: Vec::new(), order: None };
        if self.kw("skip") {
            s.skip = self.num()?;
        }
        if self.kw("first") {
            s.first = Some(self.num()?);
        }
        loop {
            if self.sym("*") {
                s.proj.push(Proj::Star);
            } else if matches!(self.peek(), Some(Tok::Word(w)) if w == "count")
                && matches!(self.toks.get(self.pos + 1), Some(Tok::Sym("(")))
            {
                self.pos += 2;
                if !self.sym("*") || !self.sym(")") {
                    return Err(syntax());
                }
                let alias = if self.kw("as") { self.word()? } else { "count".into() };
                s.proj.push(Proj::Count(alias));
            } else {
                let c = self.colref()?;
                let alias = if self.kw("as") || matches!(self.peek(), Some(Tok::Word(w)) if w != "from") {
                    self.word()?
                } else {
                    c.name.clone()
                };
                s.proj.push(Proj::Col(c, alias));
            }
            if !self.sym(",") {
                break;
            }
        }
        self.expect_kw("from")?;
        s.from.push(self.table_ref()?);
        loop {
            if self.sym(",") {
                s.from.push(self.table_ref()?);
            } else if self.kw("inner") || matches!(self.peek(), Some(Tok::Word(w)) if w == "join") {
                self.expect_kw("join")?;
                s.from.push(self.table_ref()?);
                self.expect_kw("on")?;
                s.preds.extend(self.preds()?);
            } else {
                break;
            }
        }
        if self.kw("where") {
            s.preds.extend(self.preds()?);
        }
        if self.kw("order") {
            self.expect_kw("by")?;
            let c = self.colref()?;
            let desc = self.kw("desc");
            if !desc {
                self.kw("asc");
            }
            s.order = Some((c, desc));
        }
        Ok(s)
    }
}

/// Parses one statement.
pub fn parse(sql: &str) -> Result<Statement, SqlError> {
    let mut p = P { toks: lex(sql)?, pos: 0 };
    let st = if p.kw("select") {
        Stmt::Select(p.select()?)
    } else if p.kw("update") {
        let table = p.word()?;
        p.expect_kw("set")?;
        let mut sets = Vec::new();
        loop {
            let c = p.word()?;
            if !p.sym("=") {
                return Err(syntax());
            }
            sets.push((c, p.literal()?));
            if !p.sym(",") {
                break;
            }
        }
        let preds = if p.kw("where") { p.preds()? } else { Vec::new() };
        Stmt::Update { table, sets, preds }
    } else {
        return Err(syntax());
    };
    if p.pos != p.toks.len() {
        return Err(syntax());
    }
    Ok(Statement(st))
}

impl Statement {
    /// True for SELECT.
    pub fn is_query(&self) -> bool {
        matches!(self.0, Stmt::Select(_))
    }
}

/// A row binding: (alias, table columns, row values).
type Bound<'a> = Vec<(&'a str, &'a [String], &'a [Value])>;

fn resolve<'a>(b: &Bound<'a>, c: &ColRef) -> Result<Option<&'a Value>, SqlError> {
    let mut found = None;
    let mut unresolved_qual = false;
    for (alias, cols, vals) in b {
        if let Some(q) = &c.qual {
            if q != alias {
                unresolved_qual = true;
                continue;
            }
        }
        if let Some(i) = cols.iter().position(|x| *x == c.name) {
            if found.is_some() {
                return Err(SqlError { code: -324, message: format!("Ambiguous column ({}).", c.name) });
            }
            found = vals.get(i);
        }
    }
    if found.is_none() && !unresolved_qual {
        return Err(no_column(&c.name));
    }
    Ok(found)
}

fn like(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    // Iterative wildcard match with backtracking on the last '%'.
    let (mut i, mut j, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while j < t.len() {
        match p.get(i) {
            Some('%') => {
                star = Some(i);
                mark = j;
                i += 1;
            }
            Some(&c) if c == '_' || Some(&c) == t.get(j) => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some(si) => {
                    i = si + 1;
                    mark += 1;
                    j = mark;
                }
                None => return false,
            },
        }
    }
    p.get(i..).is_some_and(|rest| rest.iter().all(|&c| c == '%'))
}

/// Evaluates `pred`; `Ok(None)` when it refers to tables not bound yet.
fn eval(db: &Db, b: &Bound<'_>, pred: &Pred) -> Result<Option<bool>, SqlError> {
    let get = |c: &ColRef| -> Result<Option<Value>, SqlError> {
        let in_scope = c.qual.as_ref().is_none_or(|q| b.iter().any(|(a, _, _)| a == q));
        if !in_scope {
            return Ok(None);
        }
        match resolve(b, c) {
            Ok(v) => Ok(v.cloned()),
            Err(e) if c.qual.is_none() && e.code == -217 => Ok(None),
            Err(e) => Err(e),
        }
    };
    Ok(match pred {
        Pred::Cmp(c, eq, op) => {
            let Some(l) = get(c)? else { return Ok(None) };
            let r = match op {
                Operand::Lit(v) => v.clone(),
                Operand::Col(rc) => match get(rc)? {
                    Some(v) => v,
                    None => return Ok(None),
                },
            };
            match (l, r) {
                (Some(l), Some(r)) => Some((l == r) == *eq),
                _ => Some(false),
            }
        }
        Pred::Like(c, yes, pat) => {
            let Some(l) = get(c)? else { return Ok(None) };
            Some(l.is_some_and(|l| like(pat, &l)) == *yes)
        }
        Pred::Null(c, yes) => {
            let Some(l) = get(c)? else { return Ok(None) };
            Some(l.is_none() == *yes)
        }
        Pred::In(c, list) => {
            let Some(l) = get(c)? else { return Ok(None) };
            let vals: Vec<Value> = match list {
                InList::Values(v) => v.clone(),
                InList::Query(q) => select(db, q)?.rows.into_iter().filter_map(|r| r.into_iter().next()).collect(),
            };
            Some(l.is_some() && vals.contains(&l))
        }
    })
}

fn select(db: &Db, s: &Select) -> Result<Rows, SqlError> {
    let mut tables = Vec::new();
    for (t, a) in &s.from {
        let rows = db.get(t.as_str()).ok_or_else(|| no_table(t))?;
        tables.push((a.as_str(), rows));
    }
    // Nested-loop join, filtering as soon as a predicate's tables are bound.
    let mut partial: Vec<Bound<'_>> = vec![Vec::new()];
    for (alias, rows) in &tables {
        let mut next = Vec::new();
        for b in &partial {
            for r in &rows.rows {
                let mut nb = b.clone();
                nb.push((alias, rows.columns.as_slice(), r.as_slice()));
                let mut keep = true;
                for p in &s.preds {
                    if eval(db, &nb, p)? == Some(false) {
                        keep = false;
                        break;
                    }
                }
                if keep {
                    next.push(nb);
                    if next.len() > MAX_ROWS {
                        return Err(SqlError {
                            code: -208,
                            message: "Memory allocation failed during query processing.".into(),
                        });
                    }
                }
            }
        }
        partial = next;
    }
    // Unresolvable predicates are errors (unknown columns).
    if let Some(b) = partial.first() {
        for p in &s.preds {
            if eval(db, b, p)?.is_none() {
                let c = match p {
                    Pred::Cmp(c, _, _) | Pred::Like(c, _, _) | Pred::In(c, _) | Pred::Null(c, _) => c,
                };
                return Err(no_column(&c.name));
            }
        }
    }
    if let Some((c, desc)) = &s.order {
        let mut keyed = Vec::with_capacity(partial.len());
        for b in partial {
            let k = resolve(&b, c)?.cloned().flatten();
            keyed.push((k, b));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if *desc {
            keyed.reverse();
        }
        partial = keyed.into_iter().map(|(_, b)| b).collect();
    }
    let mut out = Rows::default();
    if s.proj.iter().any(|p| matches!(p, Proj::Count(_))) {
        for p in &s.proj {
            match p {
                Proj::Count(a) => out.columns.push(a.clone()),
                _ => return Err(syntax()),
            }
        }
        out.rows.push(vec![Some(partial.len().to_string()); out.columns.len()]);
        return Ok(out);
    }
    for p in &s.proj {
        match p {
            Proj::Star => {
                for (_, rows) in &tables {
                    out.columns.extend(rows.columns.iter().cloned());
                }
            }
            Proj::Col(c, alias) => {
                // Validate the column against the tables even with no rows.
                let known = tables
                    .iter()
                    .any(|(a, rows)| c.qual.as_ref().is_none_or(|q| q == a) && rows.columns.contains(&c.name));
                if !known {
                    return Err(no_column(&c.name));
                }
                out.columns.push(alias.clone());
            }
            Proj::Count(_) => {}
        }
    }
    let take = s.first.unwrap_or(usize::MAX);
    for b in partial.into_iter().skip(s.skip).take(take) {
        let mut row = Vec::with_capacity(out.columns.len());
        for p in &s.proj {
            match p {
                Proj::Star => {
                    for (_, _, vals) in &b {
                        row.extend(vals.iter().cloned());
                    }
                }
                Proj::Col(c, _) => row.push(resolve(&b, c)?.cloned().flatten()),
                Proj::Count(_) => {}
            }
        }
        out.rows.push(row);
    }
    Ok(out)
}

/// Runs a SELECT.
pub fn query(db: &Db, st: &Statement) -> Result<Rows, SqlError> {
    match &st.0 {
        Stmt::Select(s) => select(db, s),
        Stmt::Update { .. } => Err(SqlError { code: -201, message: "A syntax error has occurred.".into() }),
    }
}

/// What an UPDATE would change: table, row indexes, new values.
pub type UpdatePlan = (String, Vec<usize>, Vec<(String, Value)>);

/// Plans an UPDATE without applying it.
pub fn plan_update(db: &Db, st: &Statement) -> Result<UpdatePlan, SqlError> {
    let Stmt::Update { table, sets, preds } = &st.0 else {
        return Err(syntax());
    };
    let rows = db.get(table.as_str()).ok_or_else(|| no_table(table))?;
    for (c, _) in sets {
        if !rows.columns.contains(c) {
            return Err(no_column(c));
        }
    }
    let mut hit = Vec::new();
    for (i, r) in rows.rows.iter().enumerate() {
        let b: Bound<'_> = vec![(table.as_str(), rows.columns.as_slice(), r.as_slice())];
        let mut keep = true;
        for p in preds {
            match eval(db, &b, p)? {
                Some(true) => {}
                Some(false) => keep = false,
                None => {
                    let c = match p {
                        Pred::Cmp(c, _, _) | Pred::Like(c, _, _) | Pred::In(c, _) | Pred::Null(c, _) => c,
                    };
                    return Err(no_column(&c.name));
                }
            }
        }
        if keep {
            hit.push(i);
        }
    }
    Ok((table.clone(), hit, sets.clone()))
}

/// Formats rows the way `run sql` prints them (docs/cucm-notes.md#run-sql): header padded to the column
/// width, a run of `=` per column, values padded; NULL prints `NULL`. Lines end with `\n`.
pub fn format_table(rows: &Rows) -> String {
    let cell = |v: &Value| v.clone().unwrap_or_else(|| "NULL".into());
    let widths: Vec<usize> = rows
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.rows
                .iter()
                .map(|r| r.get(i).map_or(0, |v| cell(v).chars().count()))
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: Vec<String>| -> String {
        let mut s = vals.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect::<Vec<_>>().join(" ");
        let trimmed = s.trim_end().len();
        s.truncate(trimmed);
        s.push('\n');
        s
    };
    let mut out = line(rows.columns.clone());
    out.push_str(&line(widths.iter().map(|w| "=".repeat(*w)).collect()));
    for r in &rows.rows {
        out.push_str(&line(r.iter().map(cell).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(cols: &[&str], rows: &[&[&str]]) -> Rows {
        Rows {
            columns: cols.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| if *v == "NULL" { None } else { Some(v.to_string()) }).collect())
                .collect(),
        }
    }

    fn db() -> Db {
        let mut d = Db::new();
        d.insert(
            "typeservice".into(),
            t(
                &["enum", "name", "nameforcontrol", "tktracelevelgroups"],
                &[
                    &["0", "Cisco CallManager", "Cisco CallManager", "1"],
                    &["48", "Cisco Intercluster Lookup Service", "Cisco Intercluster Lookup Service", "1"],
                ],
            ),
        );
        d.insert(
            "typetracelevelgrouping".into(),
            t(&["tktracelevelgroups", "name", "value"], &[&["1", "Significant", "15"], &["1", "Detailed", "127"]]),
        );
        d.insert(
            "processnodeservice".into(),
            t(
                &["pkid", "tkservice", "tracelevel", "enable", "servername"],
                &[&["a", "0", "127", "t", "PUB"], &["b", "48", "15", "t", "PUB"]],
            ),
        );
        d
    }

    #[test]
    fn the_trace_level_join_of_7_11() {
        let sql = "select ts.nameforcontrol as service, ttlg.name as trace_level, pns.enable, pns.servername from typeservice as ts, typetracelevelgrouping as ttlg, processnodeservice as pns where ts.enum=pns.tkservice and ttlg.tktracelevelgroups=ts.tktracelevelgroups and pns.tracelevel=ttlg.value";
        let r = query(&db(), &parse(sql).unwrap()).unwrap();
        assert_eq!(r.columns, ["service", "trace_level", "enable", "servername"]);
        assert_eq!(r.rows.len(), 2);
        let f = format_table(&r);
        assert!(f.contains("Cisco Intercluster Lookup Service Significant t      PUB\n"), "{f}");
        assert!(f.lines().nth(1).unwrap().starts_with("================================= ==========="));
    }

    #[test]
    fn inner_join_like_and_update_with_subquery() {
        let sql = "SELECT ts.name, pns.tracelevel, pns.enable, pns.servername FROM processnodeservice pns INNER JOIN typeservice ts ON pns.tkservice = ts.enum WHERE ts.name LIKE '%Cisco Intercluster Lookup Service%'";
        let r = query(&db(), &parse(sql).unwrap()).unwrap();
        assert_eq!(
            r.rows,
            vec![vec![
                Some("Cisco Intercluster Lookup Service".into()),
                Some("15".into()),
                Some("t".into()),
                Some("PUB".into())
            ]]
        );
        let up = "UPDATE processnodeservice SET tracelevel = 127, enable = 't' WHERE tkservice IN (SELECT enum FROM typeservice WHERE name LIKE '%Intercluster%')";
        let (table, hit, sets) = plan_update(&db(), &parse(up).unwrap()).unwrap();
        assert_eq!(table, "processnodeservice");
        assert_eq!(hit, [1]);
        assert_eq!(sets[0], ("tracelevel".into(), Some("127".into())));
    }

    #[test]
    fn count_star_first_skip_order() {
        let d = db();
        let r = query(&d, &parse("select count(*) from processnodeservice where enable = 't'").unwrap()).unwrap();
        assert_eq!(r.columns, ["count"]);
        assert_eq!(r.rows, vec![vec![Some("2".into())]]);
        let r = query(&d, &parse("select skip 1 first 1 pkid from processnodeservice order by pkid").unwrap()).unwrap();
        assert_eq!(r.rows, vec![vec![Some("b".into())]]);
        let r = query(&d, &parse("select pkid from processnodeservice order by pkid desc").unwrap()).unwrap();
        assert_eq!(r.rows[0], vec![Some("b".into())]);
        let r = query(&d, &parse("select * from typetracelevelgrouping where value = 127").unwrap()).unwrap();
        assert_eq!(r.rows.len(), 1);
    }

    #[test]
    fn errors_are_informix_style_and_never_panic() {
        let d = db();
        let e = query(&d, &parse("select * from nosuch").unwrap()).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (-206, "The specified table (nosuch) is not in the database."));
        let e = query(&d, &parse("select bogus from typeservice").unwrap()).unwrap_err();
        assert_eq!(e.code, -217);
        let e = query(&d, &parse("select name from typeservice where bogus = 1").unwrap()).unwrap_err();
        assert_eq!(e.code, -217);
        for bad in [
            "",
            "select",
            "select * from",
            "drop table x",
            "select * from t where a = 'x",
            "select ((((",
            "\u{0}\u{1}",
            "select * from typeservice where a = 1 or b = 2",
        ] {
            assert!(parse(bad).is_err() || query(&d, &parse(bad).unwrap()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn like_matches_wildcards() {
        assert!(like("%Lookup%", "Cisco Intercluster Lookup Service"));
        assert!(like("Cisco_Call%", "Cisco CallManager"));
        assert!(!like("%Lookup", "Lookup Service"));
        assert!(like("%", ""));
        assert!(like("a%b%c", "a-x-b-y-c"));
    }

    #[test]
    fn empty_result_prints_header_and_rule_only() {
        let r = Rows { columns: vec!["pkid".into(), "name".into()], rows: vec![] };
        assert_eq!(format_table(&r), "pkid name\n==== ====\n");
        let r = t(&["a", "description"], &[&["NULL", ""]]);
        assert_eq!(format_table(&r), "a    description\n==== ===========\nNULL\n");
    }
}
