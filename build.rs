//! Build information for `ils-doctor --version`: the git revision the binary was built from and
//! the build date (`SOURCE_DATE_EPOCH` when set, for reproducible builds). Outside a git
//! checkout (a crates.io download) the revision is `unknown`.
//!
//! And the files the Debian package installs besides the binary: the man pages and the bash,
//! zsh and fish completions, written into `generated/` next to the binary
//! (`target/release/generated/` for `cargo build --release`), so that `cargo deb` alone builds
//! a complete package (docs/packaging.md). They are made from the command line's own
//! definition: this script compiles `src/cli.rs`, `src/values.rs` and `src/generate.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `cmd ARG` runs and succeeds on this machine.
fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd).args(args).output().is_ok_and(|o| o.status.success())
}

/// A test that needs a tool this machine lacks is compiled as ignored, with the reason
/// (`#[cfg_attr(missing_chromium, ignore = "...")]`), so that a local `cargo test` counts it as
/// ignored, not passed. Under `CI=true` none is: the test runs and fails if its tool is missing
/// (`.ci/run` installs them). Installing a tool later takes a rebuild of the tests
/// (`touch build.rs`).
fn tool_cfgs() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let chromium = ["chromium", "chromium-browser", "google-chrome"].iter().any(|c| runs(c, &["--version"]));
    for (cfg, present) in [
        ("missing_chromium", chromium),
        ("missing_zsh", runs("zsh", &["--version"])),
        ("missing_fish", runs("fish", &["--version"])),
        ("missing_lxml", runs("python3", &["-c", "import lxml.etree"])),
        ("missing_man", runs("man", &["--version"])),
    ] {
        println!("cargo:rustc-check-cfg=cfg({cfg})");
        if !present && !ci {
            println!("cargo:rustc-cfg={cfg}");
        }
    }
    println!("cargo:rerun-if-env-changed=CI");
}

#[allow(dead_code)]
#[path = "src/values.rs"]
mod values;

#[allow(dead_code)]
#[path = "src/cli.rs"]
mod cli;

#[allow(dead_code)]
#[path = "src/generate.rs"]
mod generate;

/// `cli.rs` names the version `--version` prints; the pages show the package version alone
/// (`generate::man_pages`), so this one is never seen.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The folder of the scenario files the demo compiles in (`mock_server::bundled::ALL`).
const SCENARIO_DIR: &str = "mock-server/scenarios";

/// The demo's scenarios as the crate's `SCENARIOS` lists them (name, TOML text; sorted by name),
/// read from their folder: `values::scenario_hints` reads them through this.
static SCENARIOS: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
    let mut files: Vec<(&'static str, &'static str)> = std::fs::read_dir(SCENARIO_DIR)
        .unwrap_or_else(|e| panic!("{SCENARIO_DIR}: {e}"))
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_stem()?.to_str()?.to_string();
            (path.extension()? == "toml").then_some(())?;
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Some((&*name.leak(), &*text.leak()))
        })
        .collect();
    files.sort();
    files
});

/// `generated/` beside the binary: OUT_DIR is `<target>/<profile>/build/<package>-<hash>/out`
/// (with `--target`, `<target>/<triple>/<profile>/...`), and cargo-deb reads an asset under
/// `target/release/` from the profile folder it packages.
fn generated_dir() -> PathBuf {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    out.ancestors().nth(3).expect("OUT_DIR is <profile>/build/<package>/out").join("generated")
}

/// `bytes` gzipped at the best level, with no file name and time 0 in the header.
fn gzipped(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).and_then(|()| gz.finish()).expect("gzip into memory")
}

/// Writes the man pages into `generated/man/` and the completions into `generated/completions/`
/// (the names `[package.metadata.deb]` assets list; the pages gzipped in `generated/man-gz/`),
/// each only when its content changed.
fn generated_files() {
    let dir = generated_dir();
    let write = |path: PathBuf, bytes: &[u8]| {
        if std::fs::read(&path).ok().as_deref() != Some(bytes) {
            std::fs::create_dir_all(path.parent().expect("a file in a folder"))
                .and_then(|()| std::fs::write(&path, bytes))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    };
    let pages = generate::man_pages().unwrap_or_else(|e| panic!("man pages: {e:#}"));
    let man = dir.join("man");
    // A page of a subcommand that no longer exists would be packaged too.
    if let Ok(old) = std::fs::read_dir(&man) {
        for e in old.flatten() {
            if !pages.iter().any(|(name, _)| e.file_name().to_str() == Some(name.as_str())) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    // Debian policy wants man pages gzipped, and cargo-deb compresses only assets outside
    // `target/release/`: the package takes these copies (gzip without a name or time, so that
    // a build is reproducible).
    let man_gz = dir.join("man-gz");
    if let Ok(old) = std::fs::read_dir(&man_gz) {
        for e in old.flatten() {
            if !pages.iter().any(|(name, _)| e.file_name().to_str() == Some(&format!("{name}.gz"))) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    for (name, roff) in &pages {
        write(man.join(name), roff);
        write(man_gz.join(format!("{name}.gz")), &gzipped(roff));
    }
    let completions = dir.join("completions");
    for (shell, name) in [
        (clap_complete::Shell::Bash, "ils-doctor.bash"),
        (clap_complete::Shell::Zsh, "_ils-doctor"),
        (clap_complete::Shell::Fish, "ils-doctor.fish"),
    ] {
        write(completions.join(name), &generate::completion_script(shell));
    }
    for source in ["src/cli.rs", "src/values.rs", "src/generate.rs", "src/generate/examples.rs", SCENARIO_DIR] {
        println!("cargo:rerun-if-changed={source}");
    }
}

fn main() {
    tool_cfgs();
    generated_files();
    let revision = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=ILS_DOCTOR_GIT_REVISION={revision}");

    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64));
    let (y, m, d) = civil(seconds.div_euclid(86_400));
    println!("cargo:rustc-env=ILS_DOCTOR_BUILD_DATE={y:04}-{m:02}-{d:02}");

    // Run again when the checked-out commit changes (and only then: a path that does not exist
    // would make cargo run this script, and rebuild the crate, every time).
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name]) {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
}
