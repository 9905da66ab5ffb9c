//! The table `run sql` prints on the `admin:` CLI.
//!
//! Format (docs/cucm-notes.md#run-sql, from Cisco's DB replication technote): a header line of
//! column names, a rule line of one `=` run per column separated by single spaces (the run's length
//! is the column's width), then one line per row padded to those widths. Columns are cut by the
//! `=` runs, not by whitespace, because values can be empty or hold spaces. SQL NULL prints as
//! `NULL`, booleans as `t`/`f`. A query with no rows prints only the header and the rule [I].

/// A parsed result table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The value of `column` in `row`, if both exist.
    pub fn get(&self, row: usize, column: &str) -> Option<&str> {
        let c = self.columns.iter().position(|n| n.eq_ignore_ascii_case(column))?;
        self.rows.get(row)?.get(c).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("no `run sql` result table (header line and `=` rule) in the output; the CLI said: {0}")]
    NoTable(String),
}

/// Parses `run sql` output (the text between the command and the next prompt).
pub fn parse(output: &str) -> Result<Table, TableError> {
    let lines: Vec<&str> = output.lines().map(|l| l.trim_end_matches('\r')).collect();
    let rule_at = lines.iter().position(|l| is_rule(l)).filter(|&i| i > 0).ok_or_else(|| {
        let said: String = output.trim().chars().take(200).collect();
        TableError::NoTable(said)
    })?;
    let spans = spans(lines.get(rule_at).copied().unwrap_or_default());
    let cut = |line: &str| -> Vec<String> {
        let chars: Vec<char> = line.chars().collect();
        spans
            .iter()
            .enumerate()
            .map(|(i, &(start, end))| {
                // The last column takes the rest of the line (a wider value never breaks it).
                let end = if i.saturating_add(1) == spans.len() { chars.len() } else { end.min(chars.len()) };
                chars
                    .get(start.min(chars.len())..end.max(start).min(chars.len()))
                    .map_or(String::new(), |s| s.iter().collect::<String>().trim().to_string())
            })
            .collect()
    };
    let columns = cut(lines.get(rule_at.saturating_sub(1)).copied().unwrap_or_default());
    let rows = lines
        .get(rule_at.saturating_add(1)..)
        .unwrap_or_default()
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| cut(l))
        .collect();
    Ok(Table { columns, rows })
}

fn is_rule(line: &str) -> bool {
    let t = line.trim_end();
    !t.is_empty() && t.starts_with('=') && t.chars().all(|c| c == '=' || c == ' ')
}

/// Character spans `[start, end)` of the `=` runs.
fn spans(rule: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in rule.chars().enumerate() {
        match (c, start) {
            ('=', None) => start = Some(i),
            ('=', Some(_)) => {}
            (_, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, rule.chars().count()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cisco_processnode_sample() {
        let out = "pkid                                 name               mac systemnode description isactive nodeid tknodeusage ipv6name fklbmhubgroup tkprocessnoderole tkssomode\n\
==================================== ================== === ========== =========== ======== ====== =========== ======== ============= ================= =========\n\
00000000-1111-0000-0000-000000000000 EnterpriseWideData     t                      t        1      1                    NULL          1                 0        \n\
\n";
        let t = parse(out).unwrap();
        assert_eq!(t.columns.len(), 12);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.get(0, "name"), Some("EnterpriseWideData"));
        assert_eq!(t.get(0, "mac"), Some(""));
        assert_eq!(t.get(0, "systemnode"), Some("t"));
        assert_eq!(t.get(0, "fklbmhubgroup"), Some("NULL"));
        assert_eq!(t.get(0, "tkssomode"), Some("0"));
    }

    #[test]
    fn values_with_spaces_and_no_rows() {
        let out = "service                           trace_level enable\n================================= =========== ======\nCisco Intercluster Lookup Service Significant t     \n";
        let t = parse(out).unwrap();
        assert_eq!(t.get(0, "service"), Some("Cisco Intercluster Lookup Service"));
        assert_eq!(t.get(0, "trace_level"), Some("Significant"));
        let t = parse("a b\n= =\n").unwrap();
        assert_eq!((t.columns.len(), t.rows.len()), (2, 0));
    }

    #[test]
    fn cli_errors_are_reported() {
        let e = parse("The specified table (remoteclusterx) is not in the database.\n").unwrap_err();
        assert!(e.to_string().contains("remoteclusterx"));
        assert!(parse("").is_err());
        assert!(parse("====\n").is_err(), "a rule without a header");
    }
}
