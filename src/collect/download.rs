//! Downloading a publisher's ILS trace files of a time window.
//!
//! Field facts (docs/cucm-notes.md#select-log-files, docs/cucm-notes.md#get-one-file): `selectLogFiles` lists
//! the files (minute resolution, a client time-zone string); `GetOneFile` has no offset, so a
//! dropped transfer restarts the file; completeness is checked by the listed size (the `.gzo`
//! being written has no final size); a missing file while CUCM rolls it over is a fault.
//! Files stream to `<name>.part` and are renamed only when complete, so no half file ever has a
//! final name; a file already complete is not fetched again. Remote names are untrusted: only a
//! plain base name of safe characters is used locally.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::publisher::Publisher;
use crate::connect::envelope::RemoteFile;
use crate::connect::soap::SoapError;
use crate::parse::facts::ILS_SERVICE;

/// Files fetched at once from one publisher.
pub const CONCURRENCY: usize = 3;
/// Most files one listing of one publisher may bring: an ILS window holds a handful
/// (docs/cucm-notes.md#trace-dir); a listing of thousands is a fault or a hostile publisher.
pub const MAX_FILES: usize = 200;
/// Most bytes one listing of one publisher may bring (listed sizes; a file without one counts
/// as the largest file allowed, so a listing cannot pass the budget by saying nothing).
pub const MAX_LISTED_BYTES: u64 = 4 << 30;

/// selectLogFiles dates are minutes in the zone named; UTC keeps it unambiguous. The exact zone
/// strings CUCM accepts are third-party knowledge [3P]; this one follows their `(GMT±H:M)Name`
/// form.
pub const UTC_ZONE: &str = "Client: (GMT+0:0)Greenwich Mean Time-Etc/UTC";

pub fn cucm_date(t: DateTime<Utc>) -> String {
    t.format("%m/%d/%y %I:%M %p").to_string()
}

/// A local file name for a remote one, or None when the name is not a plain safe base name.
pub fn safe_name(remote: &str) -> Option<String> {
    let base = remote.rsplit(['/', '\\']).next()?;
    let ok = !base.is_empty()
        && base.len() <= 255
        && !base.starts_with('.')
        && base.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    ok.then(|| base.to_string())
}

/// The local name of each listed file: its safe base name, or None when it has none. Two files
/// of one listing with the same base name (from two folders) get distinct names, the second
/// prefixed with a hash of its remote path (stable from one poll to the next), so that they never
/// share a `.part` or a final file.
pub fn local_names(listed: &[RemoteFile]) -> Vec<Option<String>> {
    use sha2::Digest;
    let mut used = std::collections::BTreeSet::new();
    let mut paths = std::collections::BTreeSet::new();
    listed
        .iter()
        .map(|f| {
            let base = safe_name(&f.name).or_else(|| safe_name(&f.absolute_path))?;
            if !paths.insert(f.absolute_path.as_str()) {
                // Listed twice: fetched once.
                return None;
            }
            if used.insert(base.clone()) {
                return Some(base);
            }
            let digest = sha2::Sha256::digest(f.absolute_path.as_bytes());
            let tag: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
            let unique = format!("{tag}-{base}");
            used.insert(unique.clone()).then_some(unique)
        })
        .collect()
}

/// What a fetch produced.
#[derive(Debug, Default)]
pub struct Fetched {
    pub files: Vec<PathBuf>,
    pub bytes: u64,
    pub skipped: usize,
    pub warnings: Vec<String>,
}

/// The progress display shared by all publishers of a run.
pub struct Progress {
    multi: MultiProgress,
    tty: bool,
    /// Says nothing at all (audits report per cluster, not per file).
    quiet: bool,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        let tty = enabled && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let target = if tty { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        Progress { multi: MultiProgress::with_draw_target(target), tty, quiet: false }
    }

    /// No bars, no lines.
    pub fn quiet() -> Progress {
        Progress { multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()), tty: false, quiet: true }
    }

    /// A line for the user: above the bars on a TTY, plain on stderr otherwise.
    pub fn say(&self, line: &str) {
        // Lines can carry publisher text (host names, file names, fault strings): escaped.
        let line = &crate::untrusted::clean(line);
        if self.quiet {
        } else if self.tty {
            let _ = self.multi.println(line);
        } else {
            // Never `eprintln!`: it panics on a closed pipe (`2>&1 | head`), and a run must get
            // to its restore whatever happens to its output.
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }

    pub fn spinner(&self, msg: String) -> ProgressBar {
        let pb = self.multi.add(ProgressBar::new_spinner());
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_message(msg);
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }

    fn bar(&self, len: Option<u64>, label: String) -> ProgressBar {
        let pb = self.multi.add(match len {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::new_spinner(),
        });
        let style =
            ProgressStyle::with_template("{prefix:>28} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        pb.set_style(style);
        pb.set_prefix(label);
        pb
    }
}

/// The ILS service log's name as this publisher lists it (no published listing shows it,
/// docs/cucm-notes.md#list-node-logs: match "intercluster lookup", fall back to the service name).
pub async fn ils_log_name(p: &Publisher) -> String {
    match p.soap.service_logs().await {
        Ok(names) => names
            .into_iter()
            .find(|n| n.to_ascii_lowercase().contains("intercluster lookup"))
            .unwrap_or_else(|| ILS_SERVICE.to_string()),
        Err(_) => ILS_SERVICE.to_string(),
    }
}

/// Lists and downloads the ILS traces of `[from, to]` into `dir`.
pub async fn fetch(
    p: &mut Publisher,
    log_name: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    dir: &Path,
    progress: &Progress,
) -> Result<Fetched, SoapError> {
    let mut out = Fetched::default();
    let listed = match p.soap.select_log_files(log_name, &cucm_date(from), &cucm_date(to), UTC_ZONE).await {
        Ok(listed) => listed,
        // Log collection refused (a fault, a service name this release spells differently):
        // the CLI lists the same directory; GetOneFile still downloads.
        Err(soap) => match p.ssh.run(&format!("file list activelog {ILS_DIR} detail")).await {
            Ok(text) => {
                out.warnings.push(format!(
                    "{}: selectLogFiles failed ({soap}); listed the traces with `file list activelog {ILS_DIR} detail` instead",
                    p.access.host
                ));
                let margin = chrono::Duration::hours(15); // any UTC offset: the listing is server-local time
                file_list_detail(&text)
                    .into_iter()
                    .filter(|(t, _)| {
                        t.is_none_or(|t| {
                            from.checked_sub_signed(margin).is_none_or(|f| t >= f.naive_utc())
                                && to.checked_add_signed(margin).is_none_or(|e| t <= e.naive_utc())
                        })
                    })
                    .map(|(_, f)| f)
                    .collect()
            }
            Err(ssh) => return Err(with_cli_failure(soap, &ssh.to_string())),
        },
    };
    std::fs::create_dir_all(dir).map_err(|e| SoapError::Write {
        host: p.access.host.clone(),
        op: "saving traces".into(),
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut todo: Vec<(RemoteFile, PathBuf)> = Vec::new();
    let names = local_names(&listed);
    let (mut count, mut listed_bytes, mut over) = (0usize, 0u64, 0usize);
    for (f, name) in listed.into_iter().zip(names) {
        let Some(name) = name else {
            if safe_name(&f.name).or_else(|| safe_name(&f.absolute_path)).is_none() {
                out.warnings.push(format!("{}: skipped a file with an unsafe name {:?}", p.access.host, f.name));
            }
            continue;
        };
        let size = f.size.unwrap_or(crate::connect::soap::MAX_FILE_BYTES);
        if count >= MAX_FILES || listed_bytes.saturating_add(size) > MAX_LISTED_BYTES {
            over = over.saturating_add(1);
            continue;
        }
        count = count.saturating_add(1);
        listed_bytes = listed_bytes.saturating_add(size);
        let dest = dir.join(&name);
        let done =
            !name.ends_with(".gzo") && f.size.is_some() && std::fs::metadata(&dest).ok().map(|m| m.len()) == f.size;
        if done {
            out.skipped = out.skipped.saturating_add(1);
            out.files.push(dest);
        } else {
            todo.push((f, dest));
        }
    }
    if over > 0 {
        out.warnings.push(format!(
            "{}: {over} listed file(s) left out: one listing brings at most {MAX_FILES} files and {} GiB (listed sizes); narrow the window with --since or --capture",
            p.access.host,
            MAX_LISTED_BYTES >> 30
        ));
    }
    let p = &*p;
    let results: Vec<Result<(PathBuf, u64), String>> = futures_util::stream::iter(todo)
        .map(|(f, dest)| async move { one(p, &f, &dest, progress).await.map(|n| (dest, n)) })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for r in results {
        match r {
            Ok((path, n)) => {
                out.bytes = out.bytes.saturating_add(n);
                out.files.push(path);
            }
            Err(w) => out.warnings.push(w),
        }
    }
    out.files.sort();
    Ok(out)
}

/// The ILS trace directory under `activelog` (docs/cucm-notes.md#trace-dir).
pub const ILS_DIR: &str = "cm/trace/ils/sdl";

fn with_cli_failure(e: SoapError, cli: &str) -> SoapError {
    match e {
        SoapError::Fault { host, op, message, code } => {
            SoapError::Fault { host, op, message: format!("{message}; the CLI fallback failed too: {cli}"), code }
        }
        other => other,
    }
}

/// The files of `file list activelog <dir> detail`: lines like ` 25 Jul,2019 13:12:01
/// 559,502  cdrrepmgr00073.log` (docs/cucm-notes.md#file-list, third-party), with their server-local time.
/// Lines of another shape (the `dir count` footer, `<dir>` entries) are skipped.
pub fn file_list_detail(text: &str) -> Vec<(Option<chrono::NaiveDateTime>, RemoteFile)> {
    text.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let [day, mon_year, time, size, name] = words.as_slice() else { return None };
            let size: u64 = size.replace(',', "").parse().ok()?;
            safe_name(name).filter(|n| n == name)?;
            let when =
                chrono::NaiveDateTime::parse_from_str(&format!("{day} {mon_year} {time}"), "%d %b,%Y %H:%M:%S").ok();
            when?;
            let file = RemoteFile {
                name: name.to_string(),
                absolute_path: format!("/var/log/active/{ILS_DIR}/{name}"),
                size: Some(size),
                modified: format!("{day} {mon_year} {time}"),
            };
            Some((when, file))
        })
        .collect()
}

/// One file, with one restart if the transfer was cut or its size is wrong.
async fn one(p: &Publisher, f: &RemoteFile, dest: &Path, progress: &Progress) -> Result<u64, String> {
    let part = dest.with_file_name(format!("{}.part", dest.file_name().and_then(|n| n.to_str()).unwrap_or("file")));
    let active = f.name.ends_with(".gzo");
    let label = format!("{} {}", p.access.host, f.name);
    let mut last_err = String::new();
    for _attempt in 0..2 {
        let pb = progress.bar(f.size, label.chars().rev().take(28).collect::<Vec<_>>().into_iter().rev().collect());
        let got = p.soap.get_one_file_sized(&f.absolute_path, &part, f.size, |n| pb.set_position(n)).await;
        pb.finish_and_clear();
        match got {
            Ok(n) if active || f.size.is_none() || Some(n) == f.size => {
                std::fs::rename(&part, dest)
                    .map_err(|e| format!("{}: cannot rename {}: {e}", p.access.host, part.display()))?;
                if !progress.tty {
                    progress.say(&format!("downloaded {} from {} ({n} bytes)", f.name, p.name()));
                }
                return Ok(n);
            }
            Ok(n) => {
                last_err =
                    format!("{}: {} came with {n} bytes instead of {}", p.access.host, f.name, f.size.unwrap_or(0))
            }
            Err(e) => last_err = e.to_string(),
        }
    }
    let _ = std::fs::remove_file(&part);
    Err(format!("{last_err}; the file was skipped (GetOneFile cannot resume, it was restarted once)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_files_with_one_base_name_get_distinct_local_names() {
        let f = |path: &str| RemoteFile {
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            absolute_path: path.to_string(),
            size: Some(1),
            modified: String::new(),
        };
        let listed = [
            f("/var/log/active/cm/trace/ils/sdl/SDL001_600_000001.txt.gz"),
            f("/var/log/inactive/cm/trace/ils/sdl/SDL001_600_000001.txt.gz"),
            f("/var/log/active/cm/trace/ils/sdl/SDL001_600_000002.txt.gz"),
            f("/var/log/active/cm/trace/ils/sdl/SDL001_600_000001.txt.gz"),
            f("../.."),
        ];
        let names = local_names(&listed);
        assert_eq!(names[0].as_deref(), Some("SDL001_600_000001.txt.gz"));
        let second = names[1].clone().unwrap();
        assert!(second.ends_with("-SDL001_600_000001.txt.gz") && second != "SDL001_600_000001.txt.gz", "{second}");
        assert_eq!(names[2].as_deref(), Some("SDL001_600_000002.txt.gz"));
        assert_eq!(names[3], None, "the same remote file twice is fetched once");
        assert_eq!(names[4], None);
        assert_eq!(local_names(&listed), names, "stable from one poll to the next");
        let parts: std::collections::BTreeSet<_> = names.iter().flatten().map(|n| format!("{n}.part")).collect();
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn remote_names_are_untrusted() {
        assert_eq!(safe_name("SDL001_600_000012.txt.gz").as_deref(), Some("SDL001_600_000012.txt.gz"));
        assert_eq!(
            safe_name("/var/log/active/cm/trace/ils/sdl/SDL001_600_000012.txt.gzo").as_deref(),
            Some("SDL001_600_000012.txt.gzo")
        );
        assert_eq!(safe_name("../../etc/passwd").as_deref(), Some("passwd"), "only the base name is used");
        for bad in ["..", ".hidden", "a b", "x;rm", "", "dir/"] {
            assert_eq!(safe_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cli_listing_with_detail() {
        let text = "file list activelog cm/trace/ils/sdl detail\r\n 25 Jul,2019 13:12:01      559,502  SDL001_600_000012.txt.gz\n 25 Jul,2019 13:20:00          120  SDL001_600_000013.txt.gzo\n 25 Jul,2019 13:20:00          120  ../x\n<dir>    sdl\ndir count = 0, file count = 2\n";
        let files = file_list_detail(text);
        assert_eq!(files.len(), 2, "{files:?}");
        assert_eq!(files[0].1.size, Some(559_502));
        assert_eq!(files[0].1.absolute_path, "/var/log/active/cm/trace/ils/sdl/SDL001_600_000012.txt.gz");
        assert_eq!(files[1].0.unwrap().to_string(), "2019-07-25 13:20:00");
        assert!(file_list_detail("Executed command unsuccessfully\n").is_empty());
    }

    #[test]
    fn dates_for_select_log_files() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T17:05:59Z").unwrap().with_timezone(&Utc);
        assert_eq!(cucm_date(t), "11/24/26 05:05 PM");
    }
}
