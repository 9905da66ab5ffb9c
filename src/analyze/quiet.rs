//! A pair with no registration attempt in the capture: judged from what both sides report of
//! their configuration, so that a registered, healthy pair (which is quiet) gets a verdict.
//!
//! What each rule rests on:
//! - `remotecluster` on the spoke listing the hub's cluster ID: the table is documented, but its
//!   rows can come from the Cluster View configuration rather than a registration
//!   (docs/cucm-notes.md#remotecluster), so it is not enough alone;
//! - the spoke's ILS synchronization status reading "Up to Date": the status strings have no
//!   public sample (docs/cucm-notes.md#axl-ils), so this rule is inferred and says so;
//! - the ILS service state from `utils service list` (documented output).

use crate::analyze::cause::RunNotes;
use crate::analyze::Status;
use crate::parse::facts::Facts;

/// A quiet pair's verdict and the reason a reader is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietVerdict {
    pub status: Status,
    pub reason: String,
    /// The verdict rests on an undocumented value (the synchronization status strings).
    pub inferred: bool,
}

fn verdict(status: Status, reason: String, inferred: bool) -> QuietVerdict {
    QuietVerdict { status, reason, inferred }
}

/// What to suggest to test a fresh join: never what the run itself already did.
fn fresh_join_hint(run: &RunNotes) -> String {
    if run.restarted.is_empty() {
        "use --force-registration to test a fresh join".into()
    } else {
        format!("ils-doctor restarted the ILS service to force a registration and saw none within {} s", run.capture_s)
    }
}

/// Judges a hub and spoke that showed no registration attempt, from their facts.
pub fn judge(hub: &Facts, spoke: &Facts, run: &RunNotes) -> QuietVerdict {
    let hint = fresh_join_hint(run);
    let spoke_name = spoke.node_name.as_deref().unwrap_or(&spoke.host);
    if let Some(state) = spoke.ils_service.as_deref().filter(|s| !s.to_ascii_uppercase().starts_with("STARTED")) {
        return verdict(
            Status::Critical,
            format!("the spoke {spoke_name}'s Cisco Intercluster Lookup Service is not running ({state})"),
            false,
        );
    }
    let Some(hub_id) = hub.cluster_id.as_deref() else {
        return verdict(
            Status::Unknown,
            "no registration attempt in the capture, and the hub's cluster ID could not be read to check the spoke's remotecluster".into(),
            false,
        );
    };
    let read_remote = spoke.cluster_id.is_some() || !spoke.remote_clusters.is_empty();
    if !read_remote {
        return verdict(
            Status::Unknown,
            format!(
                "no registration attempt in the capture, and the spoke {spoke_name}'s configuration could not be read"
            ),
            false,
        );
    }
    let listed = spoke.remote_clusters.iter().any(|(id, _)| id.eq_ignore_ascii_case(hub_id));
    let sync = spoke.ils_sync_status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (listed, sync) {
        (true, Some(s)) if s.to_ascii_lowercase().contains("up to date") => verdict(
            Status::Ok,
            format!(
                "registered; no new registration observed ({hint}): the spoke {spoke_name}'s remotecluster lists the hub {hub_id} and its ILS synchronization status reads \"{s}\" (that status string is inferred: no public sample)"
            ),
            true,
        ),
        (true, Some(s)) => verdict(
            Status::Warning,
            format!(
                "no registration attempt in the capture; the spoke {spoke_name}'s remotecluster lists the hub {hub_id}, but its ILS synchronization status reads \"{s}\", not \"Up to Date\" (the status strings are inferred: no public sample)"
            ),
            true,
        ),
        (true, None) => verdict(
            Status::Unknown,
            format!(
                "no registration attempt in the capture; the spoke {spoke_name}'s remotecluster lists the hub {hub_id}, but those rows can come from the Cluster View configuration and no synchronization status confirms a registration; {hint}"
            ),
            false,
        ),
        (false, _) => verdict(
            Status::Warning,
            format!(
                "the spoke {spoke_name}'s remotecluster does not list the hub {hub_id}: not registered to it, and no attempt was seen in the capture (the spoke retries on its own interval; {hint})"
            ),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: &str) -> Facts {
        Facts { host: format!("{id}.example.com"), cluster_id: Some(id.into()), ..Facts::default() }
    }

    fn spoke(listed: &[&str], sync: Option<&str>, service: Option<&str>) -> Facts {
        let mut s = facts("SPOKE-CL");
        s.remote_clusters = listed.iter().map(|id| (id.to_string(), format!("{id}.example.com"))).collect();
        s.ils_sync_status = sync.map(str::to_string);
        s.ils_service = service.map(str::to_string);
        s
    }

    #[test]
    fn registered_and_up_to_date_is_ok_and_says_it_is_inferred() {
        let v = judge(&facts("HUB-CL"), &spoke(&["HUB-CL"], Some("Up to Date"), Some("STARTED")), &RunNotes::default());
        assert_eq!(v.status, Status::Ok, "{v:?}");
        assert!(v.inferred && v.reason.contains("--force-registration") && v.reason.contains("HUB-CL"), "{v:?}");
    }

    #[test]
    fn each_disagreement_has_its_own_status() {
        let hub = facts("HUB-CL");
        let stopped = judge(
            &hub,
            &spoke(&["HUB-CL"], Some("Up to Date"), Some("STOPPED  Commanded Out of Service")),
            &RunNotes::default(),
        );
        assert_eq!(stopped.status, Status::Critical, "{stopped:?}");
        let stale = judge(&hub, &spoke(&["HUB-CL"], Some("Sync in Progress"), Some("STARTED")), &RunNotes::default());
        assert_eq!(stale.status, Status::Warning, "{stale:?}");
        let absent = judge(&hub, &spoke(&["OTHER-CL"], Some("Up to Date"), Some("STARTED")), &RunNotes::default());
        assert_eq!(absent.status, Status::Warning, "{absent:?}");
        assert!(absent.reason.contains("does not list the hub HUB-CL"), "{absent:?}");
        let no_sync = judge(&hub, &spoke(&["HUB-CL"], None, None), &RunNotes::default());
        assert_eq!(no_sync.status, Status::Unknown, "{no_sync:?}");
    }

    #[test]
    fn nothing_read_is_unknown() {
        let v = judge(&Facts::default(), &spoke(&["HUB-CL"], Some("Up to Date"), None), &RunNotes::default());
        assert_eq!(v.status, Status::Unknown);
        let v = judge(&facts("HUB-CL"), &Facts::default(), &RunNotes::default());
        assert_eq!(v.status, Status::Unknown);
    }
}
