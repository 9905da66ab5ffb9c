//! A plan as an engineer reads it on a terminal or in a change ticket: the summary, each step
//! (publisher, request or command, the GUI equivalent, why, what undoes it), what the plan
//! cannot know, what stops it, and the command that applies it.

use std::fmt::Write;

use super::model::{Plan, PlanStatus};

/// The plan in words. `apply_hint` is the command line that applies it (said after the steps).
pub fn render(plan: &Plan, apply_hint: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", plan.summary);
    let _ = writeln!(
        out,
        "link: {} {} registers to {} {}",
        plan.link.registering.role,
        plan.link.registering.name,
        plan.link.registered_to.role,
        plan.link.registered_to.name
    );
    if !plan.refusals.is_empty() {
        let _ = writeln!(out, "\nWhy no plan can work:");
        for r in &plan.refusals {
            let _ = writeln!(out, "  - {}", r.reason);
            let _ = writeln!(out, "    fix: {}", r.fix);
        }
    }
    if !plan.steps.is_empty() {
        let _ = writeln!(out, "\nSteps:");
        let two_phases = plan.steps.iter().any(|s| s.phase > 1);
        let mut phase = 0;
        for s in &plan.steps {
            if two_phases && s.phase != phase {
                phase = s.phase;
                let title = if phase == 1 { "first, the password join" } else { "then, the switch to TLS" };
                let _ = writeln!(out, "  Phase {phase}: {title}");
            }
            let _ = writeln!(out, "  {}. on {}: {}", s.n, s.publisher, s.how);
            if !s.gui.is_empty() {
                let _ = writeln!(out, "     GUI:  {}", s.gui);
            }
            let _ = writeln!(out, "     why:  {}", s.why);
            let _ = writeln!(out, "     undo: {}", s.undo);
        }
    }
    if !plan.unknowns.is_empty() {
        let _ = writeln!(out, "\nWhat the plan cannot know:");
        for u in &plan.unknowns {
            let _ = writeln!(out, "  - {u}");
        }
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for n in &plan.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    if let (PlanStatus::Changes, Some(cmd)) = (plan.status, apply_hint) {
        let _ = writeln!(out, "\nNothing was changed. To make these changes: {cmd}");
    }
    // Names and certificate subjects come from the publishers: control characters escaped.
    out.lines().map(crate::untrusted::clean).collect::<Vec<_>>().join("\n") + "\n"
}
