//! Build information for `ils-doctor --version`: the git revision the binary was built from and
//! the build date (`SOURCE_DATE_EPOCH` when set, for reproducible builds). Outside a git
//! checkout (a crates.io download) the revision is `unknown`.

use std::path::Path;
use std::process::Command;
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

fn main() {
    tool_cfgs();
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
