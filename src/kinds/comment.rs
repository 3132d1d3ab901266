//! Comments (`COMMENT ON`) of the objects whose kinds have no comment change of their own:
//! schemas, enum types, domains, composite types, sequences, indexes and constraints. Tables and columns have theirs
//! ([`super::table`], [`super::column`]). The kinds' diffs say when a comment differs; this module
//! says how it is set.

use serde::{Deserialize, Serialize};

use super::{KindChange, one};
use crate::diff::{Facts, ObjectKind, Options, Verdict};
use crate::model::QualName;
use crate::model::names::{quote_ident, quote_literal};
use crate::plan::Phase;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CommentChange {
    /// `COMMENT ON SCHEMA|TYPE|SEQUENCE|INDEX|CONSTRAINT ... IS ...` (tables and columns have
    /// their own changes)
    SetComment {
        target: CommentOn,
        comment: Option<String>,
    },
}

/// What a [`CommentChange::SetComment`] comments on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum CommentOn {
    Schema { schema: String },
    Enum { name: QualName },
    Domain { name: QualName },
    Composite { name: QualName },
    Sequence { name: QualName },
    Index { table: QualName, index: String },
    Constraint { table: QualName, constraint: String },
}

/// `COMMENT ON <target> IS 'text'` (or `NULL`).
pub(crate) fn comment(target: String, text: &Option<String>) -> String {
    let value = text.as_deref().map_or("NULL".to_string(), quote_literal);
    format!("COMMENT ON {target} IS {value}")
}

/// What `COMMENT ON` names for a [`CommentOn`].
pub(crate) fn comment_target(on: &CommentOn) -> String {
    match on {
        CommentOn::Schema { schema } => format!("SCHEMA {}", quote_ident(schema)),
        CommentOn::Enum { name } | CommentOn::Composite { name } => {
            format!("TYPE {}", name.sql())
        }
        CommentOn::Domain { name } => format!("DOMAIN {}", name.sql()),
        CommentOn::Sequence { name } => format!("SEQUENCE {}", name.sql()),
        CommentOn::Index { table, index } => {
            format!(
                "INDEX {}",
                QualName::new(table.schema.clone(), index.clone()).sql()
            )
        }
        CommentOn::Constraint { table, constraint } => {
            format!("CONSTRAINT {} ON {}", quote_ident(constraint), table.sql())
        }
    }
}

/// The statement setting `text` on `on`, in the comments phase.
pub(crate) fn set(on: &CommentOn, text: &Option<String>) -> (Phase, String) {
    (Phase::Comments, comment(comment_target(on), text))
}

impl KindChange for CommentChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let CommentChange::SetComment { target, .. } = self;
        match target {
            CommentOn::Schema { schema } => (ObjectKind::Schema, QualName::new(schema.clone(), "")),
            CommentOn::Enum { name } => (ObjectKind::Enum, name.clone()),
            CommentOn::Domain { name } => (ObjectKind::Domain, name.clone()),
            CommentOn::Composite { name } => (ObjectKind::Composite, name.clone()),
            CommentOn::Sequence { name } => (ObjectKind::Sequence, name.clone()),
            CommentOn::Index { table, .. } | CommentOn::Constraint { table, .. } => {
                (ObjectKind::Table, table.clone())
            }
        }
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        Verdict::change()
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        let CommentChange::SetComment {
            target,
            comment: text,
        } = self;
        one(Phase::Comments, comment(comment_target(target), text))
    }

    fn summary(&self) -> String {
        let CommentChange::SetComment { target, comment } = self;
        let what = match target {
            CommentOn::Schema { .. } => "schema comment".to_string(),
            CommentOn::Enum { .. } => "enum type comment".to_string(),
            CommentOn::Domain { .. } => "domain comment".to_string(),
            CommentOn::Composite { .. } => "composite type comment".to_string(),
            CommentOn::Sequence { .. } => "sequence comment".to_string(),
            CommentOn::Index { index, .. } => {
                format!("comment on index {}", quote_ident(index))
            }
            CommentOn::Constraint { constraint, .. } => {
                format!("comment on constraint {}", quote_ident(constraint))
            }
        };
        match comment {
            Some(_) => format!("set {what}"),
            None => format!("remove {what}"),
        }
    }
}
