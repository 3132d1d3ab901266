//! What `--rehearse` found (see `apply::rehearse`), as the plan file records it and as people
//! read it.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

/// What a rehearsal found; saved in the plan file (`plan --rehearse --out`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rehearsal {
    /// When it ran, by the server's clock (UTC, RFC 3339).
    pub at: String,
    /// The strongest table lock held before the first step (the tables whose rows the verdicts
    /// rest on are locked first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// The steps that ran, in order (up to and including a failed one).
    pub steps: Vec<RehearsedStep>,
    /// The step that failed: its 1-based number and the server's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<RehearsalFailure>,
    /// After every step ran: what a new plan would still change (empty: it converged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RehearsedStep {
    pub sql: String,
    /// Wall time of the statement, in milliseconds.
    pub millis: u64,
    /// The strongest lock held on a table that existed before the rehearsal, once the step
    /// ran (`ACCESS EXCLUSIVE on public.orders`): locks are kept until the end of the
    /// transaction, so this is what other sessions wait for from this step on. `None`: no lock
    /// on an existing table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RehearsalFailure {
    pub step: usize,
    pub message: String,
}

impl Rehearsal {
    /// Every step ran and a plan made afterwards would be empty.
    pub fn converged(&self) -> bool {
        self.failed.is_none() && self.left.is_empty()
    }
}

/// The report under the plan: each step with its time and lock, then the outcome.
pub fn text(r: &Rehearsal) -> String {
    let mut out = String::from(
        "\nRehearsal (the steps ran on this database in a transaction that was rolled back; nothing was changed):\n",
    );
    if let Some(l) = &r.before {
        let _ = writeln!(out, "  before the first step: holds {l}");
    }
    for (i, s) in r.steps.iter().enumerate() {
        let lock = s
            .lock
            .as_deref()
            .map_or("no lock on an existing table".to_string(), |l| {
                format!("holds {l}")
            });
        let first = s.sql.lines().next().unwrap_or("");
        let more = if s.sql.lines().nth(1).is_some() {
            " ..."
        } else {
            ""
        };
        let _ = writeln!(out, "  {:>3}. {:>6} ms  {lock}", i + 1, s.millis);
        let _ = writeln!(out, "       {first}{more}");
    }
    match (&r.failed, r.left.is_empty()) {
        (Some(f), _) => {
            let _ = writeln!(
                out,
                "\nThe rehearsal failed at step {} of the plan; apply would fail there too:\n  {}",
                f.step,
                f.message.replace('\n', "\n  ")
            );
        }
        (None, true) => {
            out.push_str("\nThe rehearsal converged: every step ran, and a plan made afterwards was empty.\n");
        }
        (None, false) => {
            out.push_str("\nThe rehearsal did not converge: after every step ran, a new plan would still change:\n");
            for l in &r.left {
                let _ = writeln!(out, "  {l}");
            }
        }
    }
    out
}
