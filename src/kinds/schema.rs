//! PostgreSQL schemas (namespaces): created when a declaration uses one, their comment managed
//! when declared as `[schema.NAME]`, dropped with `--prune` only when empty of everything
//! tableform cannot see.

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::{CommentChange, CommentOn};
use super::{KindChange, Sign, one};
use crate::diff::{Diff, Facts, ObjectKind, Options, Unmanaged, Verdict, bookkeeping_tool};
use crate::model::names::quote_ident;
use crate::model::{QualName, Schema};
use crate::plan::Phase;

/// The managed schemas and their comments.
pub const QUERY: &str = "SELECT nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = ANY($1)";

/// The rows of [`QUERY`] into `s`.
pub fn read(rows: &[Row], s: &mut Schema) {
    s.schemas = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    for r in rows {
        if let Some(c) = r.get::<_, Option<String>>(1) {
            s.schema_comments.insert(r.get(0), Some(c));
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SchemaChange {
    /// `CREATE SCHEMA s`
    CreateSchema { schema: String },
    /// `DROP SCHEMA s` (only with `--prune`, and only when it holds nothing else)
    DropSchema { schema: String },
}

/// Declared schemas the database lacks, and declared comments that differ.
pub fn diff(desired: &Schema, live: &Schema, out: &mut Diff) {
    for s in desired.schemas.difference(&live.schemas) {
        out.changes
            .push(SchemaChange::CreateSchema { schema: s.clone() }.into());
    }
    // Only schemas declared as `[schema.NAME]` have their comment managed.
    for (s, want) in &desired.schema_comments {
        let have = live.schema_comments.get(s).cloned().flatten();
        if *want != have {
            out.changes.push(
                CommentChange::SetComment {
                    target: CommentOn::Schema { schema: s.clone() },
                    comment: want.clone(),
                }
                .into(),
            );
        }
    }
}

/// With `--prune`, live schemas the declaration does not use are dropped, unless they hold what
/// `DROP SCHEMA` (without `CASCADE`) would fail on: objects tableform cannot see, ignored ones,
/// another tool's bookkeeping. `public` is where everything lands by default; it is never dropped.
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    if !prune {
        return;
    }
    for s in (live.schemas.difference(&desired.schemas)).filter(|s| *s != "public") {
        let mut held: Vec<String> = live.unmodelled.get(s).cloned().unwrap_or_default();
        if let Some(n) = live.ignored.get(s) {
            held.push(format!(
                "{n} ignored object{}",
                if *n == 1 { "" } else { "s" }
            ));
        }
        let kept_tables: Vec<String> = (live.tables.keys())
            .filter(|t| t.schema == *s && bookkeeping_tool(&t.name).is_some())
            .map(|t| t.name.clone())
            .collect();
        if !kept_tables.is_empty() {
            held.push(format!(
                "the migration bookkeeping of another tool ({})",
                kept_tables.join(", ")
            ));
        }
        if held.is_empty() {
            out.changes
                .push(SchemaChange::DropSchema { schema: s.clone() }.into());
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::Schema,
                name: QualName::new(s.clone(), ""),
                kept: Some(format!(
                    "holds {} that tableform does not manage",
                    held.join(", ")
                )),
                owned_by: None,
            });
        }
    }
}

impl KindChange for SchemaChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let (SchemaChange::CreateSchema { schema } | SchemaChange::DropSchema { schema }) = self;
        (ObjectKind::Schema, QualName::new(schema.clone(), ""))
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        match self {
            SchemaChange::CreateSchema { .. } => Verdict::Create,
            SchemaChange::DropSchema { .. } => Verdict::change(),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            SchemaChange::CreateSchema { schema } => one(
                Phase::CreateSchemas,
                format!("CREATE SCHEMA {}", quote_ident(schema)),
            ),
            SchemaChange::DropSchema { schema } => one(
                Phase::DropSchemas,
                format!("DROP SCHEMA {}", quote_ident(schema)),
            ),
        }
    }

    fn summary(&self) -> String {
        match self {
            SchemaChange::CreateSchema { schema } => {
                format!("create schema {}", quote_ident(schema))
            }
            SchemaChange::DropSchema { .. } => "drop schema (declares nothing)".into(),
        }
    }

    fn drift(&self) -> Option<String> {
        match self {
            SchemaChange::CreateSchema { .. } => {
                Some("declared but missing from the database".into())
            }
            SchemaChange::DropSchema { .. } => None,
        }
    }

    fn sign(&self) -> Sign {
        match self {
            SchemaChange::CreateSchema { .. } => Sign::Add,
            SchemaChange::DropSchema { .. } => Sign::Remove,
        }
    }

    fn contended(&self, _created: &std::collections::BTreeSet<&QualName>) -> bool {
        !matches!(self, SchemaChange::CreateSchema { .. })
    }
}
