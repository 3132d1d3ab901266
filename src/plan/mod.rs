//! Typed changes -> a plan: per-object verdicts, ordered SQL steps, and its renderings.
//!
//! A plan is data. It is built from a [`Diff`](crate::diff::Diff) and the facts its verdicts
//! needed, without touching the database, and can be rendered, saved, and applied later.

pub mod render;
pub mod sql;

use serde::{Deserialize, Serialize};

use crate::diff::{Change, Diff, Facts, ObjectKind, Options, Verdict, judge};
use crate::model::QualName;
pub use sql::Phase;

/// What happens to one object as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Change,
    Skip,
    Refuse,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectPlan {
    pub kind: ObjectKind,
    pub name: QualName,
    pub action: Action,
    pub changes: Vec<PlannedChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedChange {
    pub change: Change,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// One line for people: "add column status character varying NOT NULL DEFAULT 'active'".
    pub summary: String,
}

/// One SQL statement of the plan, pointing back at the object it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub phase: Phase,
    pub object: QualName,
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Fingerprint of the live schema the plan was computed against (see `model::fingerprint`).
    pub live_fingerprint: String,
    /// Fingerprint of the declared schema.
    pub desired_fingerprint: String,
    pub objects: Vec<ObjectPlan>,
    /// Tables in the managed schemas the declaration does not mention; never touched.
    pub unmanaged: Vec<QualName>,
    /// Statements in the order they run. Empty when any change is refused.
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub change: usize,
    pub unchanged: usize,
    pub refused: usize,
}

impl Plan {
    /// Judges every change and orders the statements of the allowed ones.
    pub fn build(
        diff: &Diff,
        facts: &Facts,
        opts: &Options,
        fingerprints: (String, String),
    ) -> Plan {
        let mut objects: Vec<ObjectPlan> = Vec::new();
        for change in &diff.changes {
            let (kind, name) = change.object();
            let planned = PlannedChange {
                verdict: judge(change, facts, opts),
                summary: render::summarise(change),
                change: change.clone(),
            };
            match objects
                .iter_mut()
                .find(|o| o.kind == kind && o.name == name)
            {
                Some(o) => o.changes.push(planned),
                None => objects.push(ObjectPlan {
                    kind,
                    name,
                    action: Action::Skip,
                    changes: vec![planned],
                }),
            }
        }
        for name in &diff.unchanged {
            objects.push(ObjectPlan {
                kind: ObjectKind::Table,
                name: name.clone(),
                action: Action::Skip,
                changes: Vec::new(),
            });
        }
        for o in &mut objects {
            o.action = object_action(&o.changes);
        }
        objects.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        let refused = objects.iter().any(|o| o.action == Action::Refuse);
        let steps = if refused {
            Vec::new()
        } else {
            order_steps(&objects)
        };
        Plan {
            live_fingerprint: fingerprints.0,
            desired_fingerprint: fingerprints.1,
            objects,
            unmanaged: diff.unmanaged.clone(),
            steps,
        }
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for o in &self.objects {
            match o.action {
                Action::Create => s.create += 1,
                Action::Change => s.change += 1,
                Action::Skip => s.unchanged += 1,
                Action::Refuse => s.refused += 1,
            }
        }
        s
    }

    pub fn has_refusals(&self) -> bool {
        self.objects.iter().any(|o| o.action == Action::Refuse)
    }

    /// Whether applying would change anything.
    pub fn has_changes(&self) -> bool {
        self.objects
            .iter()
            .any(|o| matches!(o.action, Action::Create | Action::Change))
    }
}

fn object_action(changes: &[PlannedChange]) -> Action {
    if changes.iter().any(|c| c.verdict.is_refusal()) {
        Action::Refuse
    } else if changes.iter().any(|c| c.verdict == Verdict::Create) {
        Action::Create
    } else if changes.is_empty() {
        Action::Skip
    } else {
        Action::Change
    }
}

/// Statements sorted by phase; within a phase, in object order and then in change order.
fn order_steps(objects: &[ObjectPlan]) -> Vec<Step> {
    let mut steps: Vec<(Phase, usize, Step)> = Vec::new();
    for o in objects {
        for c in &o.changes {
            for (phase, sql) in sql::statements(&c.change) {
                let n = steps.len();
                steps.push((
                    phase,
                    n,
                    Step {
                        phase,
                        object: o.name.clone(),
                        sql,
                    },
                ));
            }
        }
    }
    steps.sort_by_key(|(phase, n, _)| (*phase, *n));
    steps.into_iter().map(|(_, _, s)| s).collect()
}
