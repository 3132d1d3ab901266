//! Triggers, on tables (`[[table.NAME.triggers]]`) and on views (`[[view.NAME.triggers]]`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::{QualName, SqlExpr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

impl TriggerTiming {
    pub fn sql(self) -> &'static str {
        match self {
            TriggerTiming::Before => "BEFORE",
            TriggerTiming::After => "AFTER",
            TriggerTiming::InsteadOf => "INSTEAD OF",
        }
    }
}

/// In the order `pg_get_triggerdef` prints them (`INSERT OR DELETE OR UPDATE OR TRUNCATE`), which
/// is also the order of a trigger's [`Trigger::events`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEvent {
    Insert,
    Delete,
    Update,
    Truncate,
}

impl TriggerEvent {
    pub fn sql(self) -> &'static str {
        match self {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Delete => "DELETE",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Truncate => "TRUNCATE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerLevel {
    Row,
    Statement,
}

/// `pg_trigger.tgenabled`: `O` origin (the default: fires unless `session_replication_role` is
/// `replica`), `A` always, `R` replica (only then), `D` disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEnabled {
    Origin,
    Always,
    Replica,
    Disabled,
}

impl TriggerEnabled {
    /// The `ALTER TABLE ... ENABLE|DISABLE TRIGGER` form that sets this state.
    pub fn alter_sql(self) -> &'static str {
        match self {
            TriggerEnabled::Origin => "ENABLE TRIGGER",
            TriggerEnabled::Always => "ENABLE ALWAYS TRIGGER",
            TriggerEnabled::Replica => "ENABLE REPLICA TRIGGER",
            TriggerEnabled::Disabled => "DISABLE TRIGGER",
        }
    }
}

/// `CREATE CONSTRAINT TRIGGER`: its deferral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConstraintTrigger {
    pub deferrable: bool,
    pub initially_deferred: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub timing: TriggerTiming,
    /// At least one; a set, so `["update", "insert"]` and `["insert", "update"]` are one trigger.
    pub events: BTreeSet<TriggerEvent>,
    /// `UPDATE OF col, ...` (with the `update` event only), in declared order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update_of: Vec<String>,
    pub level: TriggerLevel,
    /// `WHEN (condition)`, a boolean expression over `OLD` and `NEW` (row level only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<SqlExpr>,
    /// `EXECUTE FUNCTION s.f(...)`: always schema-qualified here.
    pub function: QualName,
    /// The literal arguments passed to the function (`TG_ARGV`), as strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    pub enabled: TriggerEnabled,
    /// `Some`: a constraint trigger (`AFTER ... FOR EACH ROW` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<ConstraintTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Declared side only: the trigger's old name (`ALTER TRIGGER ... RENAME TO`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}
