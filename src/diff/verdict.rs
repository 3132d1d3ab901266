//! Verdicts: which changes may run, and why not. Each kind's rules are its `judge`
//! ([`crate::kinds::KindChange::judge`]); `docs/verdicts.md` is their table in prose, and the
//! two must agree. This module holds what they share: the verdict type, facts and counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Change, Question};

/// Counts above this are reported as "more than".
pub const FACT_CAP: u64 = 1_000_000;

/// Answers to [`Question`]s.
pub type Facts = BTreeMap<Question, u64>;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Turn refusals of drops and type changes into changes.
    pub allow_destructive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// A missing object is created.
    Create,
    /// Closed in place without losing data; `note` says what it costs (a table rewrite).
    Change { note: Option<String> },
    /// Would lose or rewrite data, or needs a human decision.
    Refuse { reason: String },
}

impl Verdict {
    pub(crate) fn change() -> Self {
        Verdict::Change { note: None }
    }

    pub(crate) fn note(note: impl Into<String>) -> Self {
        Verdict::Change {
            note: Some(note.into()),
        }
    }

    pub(crate) fn refuse(reason: impl Into<String>) -> Self {
        Verdict::Refuse {
            reason: reason.into(),
        }
    }

    pub fn is_refusal(&self) -> bool {
        matches!(self, Verdict::Refuse { .. })
    }
}

/// "3 rows", "more than 1000000 rows".
pub fn count(n: u64, what: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    if n > FACT_CAP {
        format!("more than {FACT_CAP} {what}s")
    } else {
        format!("{n} {what}{plural}")
    }
}

/// What a backfill will do, with the count labelled as what it was when the plan was made.
pub(crate) fn backfill_note(column: &str, e: &crate::model::SqlExpr, n: u64) -> String {
    format!(
        "backfill: `{column}` is set to {} where it is NULL ({} at plan time; apply fills every NULL row it finds once the table is locked), then NOT NULL is set",
        e.sql,
        count(n.min(FACT_CAP + 1), "row")
    )
}

/// Decides whether one change may run: the change's kind decides (see [`crate::kinds`]).
/// `facts` must answer the change's questions ([`super::Diff::questions`]); a missing answer is
/// treated as "has rows", the safe side.
pub fn judge(change: &Change, facts: &Facts, opts: &Options) -> Verdict {
    change.as_kind().judge(facts, opts)
}

/// The note of a sequence (standalone or an identity's) whose new bounds exclude its current
/// value `v`: it restarts at its start.
pub(crate) fn restart_note(o: &crate::model::SequenceOptions, v: i64) -> Verdict {
    // Back to or past values it handed out, in its own direction.
    let repeats = if o.increment > 0 {
        o.start <= v
    } else {
        o.start >= v
    };
    Verdict::note(format!(
        "its current value {v} is outside the new bounds ({} to {}): it restarts at {}{}",
        o.min_value,
        o.max_value,
        o.start,
        if repeats {
            ", and may hand out values it handed out before"
        } else {
            ""
        }
    ))
}
