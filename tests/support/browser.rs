//! Headless Chromium for the page tests: found on PATH, or the test skips, except under
//! `CI=true`, where a missing browser fails it (.ci/run installs chromium).

use std::path::Path;
use std::process::Command;

pub fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// The browser, or None after saying why the test skips (a failure under CI).
pub fn chromium_or_skip() -> Option<&'static str> {
    let found = chromium();
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (.ci/run does)");
        eprintln!("skipped: no chromium on this machine (apt-get install chromium)");
    }
    found
}

pub fn headless(browser: &str, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}
