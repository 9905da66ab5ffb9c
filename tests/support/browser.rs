//! Headless Chromium for the page tests: found on PATH, or the test skips, except under
//! `CI=true`, where a missing browser fails it (.ci/run installs chromium).

use std::path::Path;
use std::process::Command;

pub fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// The browser, or None after saying why the test skips (a failure under CI). The usual case, a
/// browser the build did not see, makes the test ignored (build.rs: `missing_chromium`).
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

/// The page's DOM after its scripts ran; asserts that the browser succeeded and that the page
/// logged nothing to the console.
pub fn dump_dom(browser: &str, profile: &Path, url: &str) -> String {
    let out = headless(browser, profile).arg("--dump-dom").arg(url).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A screenshot of the page at `size` (`1100,1400`) into `shot`; asserts it is a real PNG.
pub fn screenshot(browser: &str, profile: &Path, size: &str, url: &str, shot: &Path) {
    let out = headless(browser, profile)
        .arg(format!("--window-size={size}"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real screenshot ({} bytes)", png.len());
}
