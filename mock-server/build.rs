//! A fidelity test whose client this machine lacks (OpenSSH's `ssh`, python3 with zeep,
//! requests or netmiko) is compiled as ignored, with the reason, so that a local `cargo test`
//! counts it as ignored, not passed. Under `CI=true` none is: the test runs and fails if its
//! client is missing (`mock-server/ci-setup.sh` installs them). Installing a client later takes a
//! rebuild of the tests (`touch mock-server/build.rs`).

use std::process::Command;

fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd).args(args).output().is_ok_and(|o| o.status.success())
}

fn main() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let python = |module: &str| runs("python3", &["-c", &format!("import {module}")]);
    for (cfg, present) in [
        ("missing_openssh", runs("ssh", &["-V"])),
        ("missing_zeep", python("zeep")),
        ("missing_requests", python("requests")),
        ("missing_netmiko", python("netmiko")),
    ] {
        println!("cargo:rustc-check-cfg=cfg({cfg})");
        if !present && !ci {
            println!("cargo:rustc-cfg={cfg}");
        }
    }
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-changed=build.rs");
}
