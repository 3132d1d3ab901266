//! Extensions (`CREATE EXTENSION`): database-wide, so keyed by name alone, not by schema.

use serde::{Deserialize, Serialize};

/// `[extension.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub name: String,
    /// `SCHEMA s`: where a relocatable extension puts its objects; `None`: PostgreSQL's choice
    /// (the first schema of the search path, or the extension's own fixed schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `VERSION v`; `None`: the default version, and any installed version is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}
