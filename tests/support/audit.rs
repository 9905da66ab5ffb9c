//! A light audit request against mock publishers (pins and known_hosts in a temporary folder).

use std::path::Path;
use std::time::Duration;

use ils_doctor::audit::inventory::Inventory;
use ils_doctor::audit::model::Depth;
use ils_doctor::audit::run::{DeepOptions, Request};
use ils_doctor::pipeline::live::ConnOptions;

pub fn conn(dir: &Path, pins: &[String]) -> ConnOptions {
    ConnOptions {
        ssh_port: 22,
        https_port: 8443,
        admin_user: "admin".into(),
        app_user: "administrator".into(),
        ca_file: None,
        pins: pins.to_vec(),
        pins_file: dir.join("pins"),
        insecure: false,
        known_hosts: dir.join("known_hosts"),
        accept_new_host_key: false,
        legacy_ssh: false,
        // Longer than the tests' host timeouts: a hanging command is cut by the host timeout.
        command_timeout: Duration::from_secs(30),
        record: None,
    }
}

pub fn light(inventory: Inventory, dir: &Path, pins: &[String], jobs: usize, host_timeout: Duration) -> Request {
    Request {
        inventory,
        depth: Depth::Light,
        since: Duration::from_secs(7200),
        jobs,
        host_timeout,
        conn: conn(dir, pins),
        cache: dir.join("cache"),
        progress: false,
        deep: DeepOptions {
            capture: Duration::from_secs(10),
            max_raised: 1,
            journal: dir.join("journal.json"),
            force_registration: false,
        },
        catalog: Default::default(),
    }
}
