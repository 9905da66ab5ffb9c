//! Man pages and shell completion scripts, generated from the clap definition in [`crate::cli`]
//! (clap_mangen, clap_complete) so that they always describe the options this binary takes.
//! `ils-doctor man DIR` and `ils-doctor completions SHELL` print them, and build.rs writes the
//! same files at build time for the Debian package (docs/packaging.md): it compiles this file
//! with `cli.rs` and `values.rs`, so nothing here may name another part of the crate.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

// A path build.rs resolves as the crate does (it compiles this file too).
#[path = "generate/examples.rs"]
mod examples;

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name.clone(), &mut out);
    if shell == Shell::Bash {
        out = bash_state_labels(&out, &name);
    }
    out
}

/// clap_complete's bash script tracks the subcommand typed in a state `ils__doctor__subcmd__audit`
/// but labels the case arm that completes its options `ils__subcmd__doctor__subcmd__audit` when
/// the program name has a hyphen: no arm matches, and no subcommand's options complete. Spell
/// the arms as the state is spelled (a no-op once clap_complete does).
fn bash_state_labels(script: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let wrong = format!("{}__subcmd__", name.replace('-', "__subcmd__"));
    let right = format!("{}__subcmd__", name.replace('-', "__"));
    if wrong == right {
        return script.to_vec();
    }
    text.replace(&wrong, &right).into_bytes()
}

/// The man pages as (file name, roff text): `ils-doctor.1`, then `ils-doctor-SUB.1` for each
/// visible subcommand, depth first (`ils-doctor-credentials-set.1`).
pub fn man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    // The package version only: build.rs writes the same pages before the revision and the
    // build date of `--version` exist.
    let mut cmd = Cli::command().version(env!("CARGO_PKG_VERSION"));
    // Building sets each subcommand's display name (`ils-doctor-audit`), the pages' titles.
    cmd.build();
    let mut pages = Vec::new();
    add_pages(&cmd, &mut pages)?;
    Ok(pages)
}

fn add_pages(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name()).to_string();
    let roff = page(cmd).with_context(|| format!("man page of {name}"))?;
    pages.push((format!("{name}.1"), roff));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        add_pages(sub, pages)?;
    }
    Ok(())
}

/// One page: clap_mangen's sections, in its order, except that the text after the options
/// (`after_help`) becomes EXAMPLES with its command lines in no-fill mode ([`examples`]), not
/// clap_mangen's EXTRA, which fills and hyphenates them.
fn page(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    // Every page's footer names the program and its version (subcommands have no version).
    let man = clap_mangen::Man::new(cmd.clone()).source(format!("ils-doctor {}", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    man.render_title(&mut roff)?;
    man.render_name_section(&mut roff)?;
    man.render_synopsis_section(&mut roff)?;
    man.render_description_section(&mut roff)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut roff)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut roff)?;
    }
    if let Some(text) = cmd.get_after_help() {
        roff.extend_from_slice(examples::roff(&text.to_string()).as_bytes());
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut roff)?;
    }
    Ok(roff)
}

/// Each page's file name with the example command lines of its command, as `--help` prints them:
/// what the page must show intact.
pub fn man_examples() -> Vec<(String, Vec<String>)> {
    fn add(cmd: &clap::Command, out: &mut Vec<(String, Vec<String>)>) {
        let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name()).to_string();
        let text = cmd.get_after_help().map(|t| t.to_string()).unwrap_or_default();
        out.push((format!("{name}.1"), examples::example_lines(&text).into_iter().map(str::to_string).collect()));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            add(sub, out);
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    add(&cmd, &mut out);
    out
}

/// `ils-doctor completions SHELL`: the script on standard output.
pub fn print_completions(shell: Shell) -> anyhow::Result<u8> {
    let mut out = io::stdout().lock();
    match out.write_all(&completion_script(shell)).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("cannot write to standard output"),
        _ => Ok(0),
    }
}

/// `ils-doctor man DIR`: writes every page into `dir` (created when missing) and prints each
/// path written.
pub fn write_man_pages(dir: &Path) -> anyhow::Result<u8> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (file, roff) in man_pages()? {
        let path = dir.join(file);
        std::fs::write(&path, roff).with_context(|| format!("cannot write {}", path.display()))?;
        let _ = writeln!(io::stdout(), "{}", path.display());
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_visible_subcommand() {
        let pages = man_pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "ils-doctor.1");
        for sub in Cli::command().get_subcommands() {
            let file = format!("ils-doctor-{}.1", sub.get_name());
            assert!(names.contains(&file.as_str()), "{file} missing from {names:?}");
        }
        assert!(names.contains(&"ils-doctor-credentials-set.1"), "{names:?}");
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    }

    #[test]
    fn a_subcommand_page_has_its_title_and_every_long_option() {
        let roff = page("ils-doctor-audit.1");
        assert!(roff.contains(".TH ils-doctor-audit 1"), "{roff}");
        let cli = Cli::command();
        let audit = cli.find_subcommand("audit").unwrap();
        for arg in audit.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                // roff writes a hyphen as `\-`.
                let escaped = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(roff.contains(&escaped), "--{long} missing from the audit page");
            }
        }
    }

    fn page(name: &str) -> String {
        let pages = man_pages().unwrap();
        let (_, roff) = pages.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name}"));
        String::from_utf8(roff.clone()).unwrap()
    }

    /// The NAME line of a page: what `apropos` and `whatis` show.
    fn name_line(roff: &str) -> &str {
        roff.lines().skip_while(|l| *l != ".SH NAME").nth(1).unwrap()
    }

    #[test]
    fn each_page_describes_its_own_subcommand() {
        assert!(name_line(&page("ils-doctor-audit.1")).contains("from an inventory"));
        assert!(name_line(&page("ils-doctor-history.1")).contains("trend"));
        assert!(name_line(&page("ils-doctor-restore.1")).contains("Put back the ILS trace levels"));
        let top = page("ils-doctor.1");
        assert!(top.contains(&format!("ils-doctor {}", env!("CARGO_PKG_VERSION"))), "{top}");
        assert!(page("ils-doctor-audit.1").contains(&format!("\"ils-doctor {}\"", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = String::from_utf8(completion_script(shell)).unwrap();
            for sub in ["analyze", "audit", "check", "completions", "man"] {
                assert!(script.contains(sub), "{shell}: {sub} missing");
            }
        }
    }
}
