//! Views and materialized views. A query is kept as the SQL text it was declared with: the
//! server, not tableform, reads and deparses it (`pg_get_viewdef`) to compare it with the live
//! one.

use serde::{Deserialize, Serialize};

use super::trigger::Trigger;
use crate::model::{Index, QualName};

/// `WITH [LOCAL | CASCADED] CHECK OPTION` of an updatable view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOption {
    Local,
    Cascaded,
}

impl CheckOption {
    pub fn sql(self) -> &'static str {
        match self {
            CheckOption::Local => "LOCAL",
            CheckOption::Cascaded => "CASCADED",
        }
    }
}

/// `[view.NAME]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub name: QualName,
    /// The `SELECT` (or `VALUES`, `WITH ...`) as declared, trimmed, without a final `;`.
    pub query: String,
    /// `CREATE VIEW v (a, b, ...)`: the names of the output columns; empty: the query's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub security_barrier: bool,
    /// `security_invoker` (PostgreSQL 15+): the base tables are accessed with the caller's
    /// privileges rather than the view owner's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub security_invoker: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_option: Option<CheckOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Triggers on the view (`INSTEAD OF` row triggers, `BEFORE`/`AFTER` statement triggers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    /// Declared side only: the view's old name (`ALTER VIEW ... RENAME TO`, then `SET SCHEMA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<QualName>,
}

/// `[materialized_view.NAME]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterializedView {
    pub name: QualName,
    /// As [`View::query`].
    pub query: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// `WITH DATA` (the default) or `WITH NO DATA` when created: the view is populated, or left
    /// unscannable until `REFRESH MATERIALIZED VIEW`. It says how the view is created, not a
    /// state to converge to.
    pub with_data: bool,
    /// Indexes on the materialized view, named as on a table (`<view>_<columns>_idx`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Declared side only: the materialized view's old name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<QualName>,
}
