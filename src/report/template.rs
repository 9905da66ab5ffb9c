//! Markdown and HTML reports from the templates in `templates/` (minijinja).
//!
//! The built-in templates are compiled in; `--template DIR` takes `report.md` / `report.html`
//! from DIR instead, so a team can brand or trim its own copies. Escaping is on for HTML (every
//! value from a trace or a remote host is escaped by the engine), and the Markdown template
//! passes untrusted text through the `md` and `codeblock` filters defined here. A template's own
//! syntax is never applied to values: a trace line holding `{{` stays text.

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::model::Report;

pub const BUILTIN_MD: &str = include_str!("../../templates/report.md");
pub const BUILTIN_HTML: &str = include_str!("../../templates/report.html");

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the template {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("template {name}: {source:#}; fix the template or drop --template to use the built-in one")]
    Render { name: String, source: minijinja::Error },
}

/// The two template formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Markdown,
    Html,
}

impl Kind {
    fn file_name(self) -> &'static str {
        match self {
            Kind::Markdown => "report.md",
            Kind::Html => "report.html",
        }
    }
}

/// Renders the report with the built-in template, or with `dir`'s copy when it has one.
pub fn render(kind: Kind, report: &Report<'_>, dir: Option<&Path>) -> Result<String, TemplateError> {
    let name = kind.file_name();
    let (source, shown) = match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
        Some(path) => (read(&path)?, path.display().to_string()),
        None => (builtin(kind).to_string(), format!("built-in {name}")),
    };
    render_source(name, &shown, source, report)
}

/// Renders `source` as the template `name` (its extension decides the escaping: HTML for
/// `.html`), with the `md` and `codeblock` filters; `shown` names it in errors.
pub fn render_source<S: serde::Serialize>(
    name: &str,
    shown: &str,
    source: String,
    ctx: &S,
) -> Result<String, TemplateError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
    env.add_filter("md", md);
    env.add_filter("codeblock", codeblock);
    // Characters that reorder or hide text (bidirectional overrides, zero-width marks) come
    // from remote hosts and traces: shown as U+FFFD, so a value cannot disguise itself or the
    // text around it.
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(s) if s.chars().any(invisible) => {
            let cleaned: String = s.chars().map(|c| if invisible(c) { '\u{fffd}' } else { c }).collect();
            let v = if value.is_safe() {
                minijinja::Value::from_safe_string(cleaned)
            } else {
                minijinja::Value::from(cleaned)
            };
            minijinja::escape_formatter(out, state, &v)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    let err = |source| TemplateError::Render { name: shown.to_string(), source };
    env.add_template_owned(name.to_string(), source).map_err(err)?;
    env.get_template(name).and_then(|t| t.render(ctx)).map_err(err)
}

/// Bidirectional controls and invisible formatting characters.
pub fn invisible(c: char) -> bool {
    matches!(u32::from(c), 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF | 0xFFF9..=0xFFFB)
}

fn builtin(kind: Kind) -> &'static str {
    match kind {
        Kind::Markdown => BUILTIN_MD,
        Kind::Html => BUILTIN_HTML,
    }
}

fn read(path: &PathBuf) -> Result<String, TemplateError> {
    std::fs::read_to_string(path).map_err(|source| TemplateError::Read { path: path.display().to_string(), source })
}

/// Untrusted text for inline Markdown (GitHub-flavoured): no HTML, no emphasis, links or table
/// breaks; one line. Escapes are Markdown's own backslash escapes (CommonMark, "Backslash
/// escapes"), never HTML entities: a ticket system that renders Markdown but not entities
/// shows `&gt;` as it is. `<` and `&` are escaped (a tag or an entity could start there); `>`
/// cannot start a quote in the middle of a line, so it stays.
pub fn md(value: String) -> String {
    let mut out = String::with_capacity(value.len().saturating_add(8));
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '{' | '}' | '<' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text as a fenced code block: the fence is longer than any backtick run inside, so
/// the text cannot close it.
pub fn codeblock(value: String) -> String {
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2).saturating_add(1));
    let body: String =
        value.chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{fffd}' } else { c }).collect();
    format!("{fence}text\n{body}\n{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_inline_escaping() {
        assert_eq!(md("<script>|*x*|".into()), "\\<script>\\|\\*x\\*\\|");
        assert_eq!(md("A -> B > C & D".into()), "A -> B > C \\& D");
        assert_eq!(md("a\nb {{ x }}".into()), "a b \\{\\{ x \\}\\}");
    }

    #[test]
    fn code_fences_outgrow_the_content() {
        assert_eq!(codeblock("plain".into()), "```text\nplain\n```");
        let c = codeblock("a ```` b".into());
        assert!(c.starts_with("`````text\n") && c.ends_with("\n`````"), "{c}");
    }
}
