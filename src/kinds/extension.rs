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

// ---- Catalog, diff, changes ----

use tokio_postgres::Row;

use super::comment::comment;
use super::{KindChange, Sign, one};
use crate::diff::{Diff, Facts, ObjectKind, Options, Unmanaged, Verdict};
use crate::model::names::{quote_ident, quote_literal};
use crate::model::{QualName, Schema};
use crate::plan::Phase;

/// Every extension of the database but `plpgsql` (in every database, in `pg_catalog`), with
/// its schema, version and comment; column 4: the comment its control file gives (what
/// `CREATE EXTENSION` sets), column 5: whether its schema is managed.
pub const QUERY: &str = "
SELECT e.extname::text, n.nspname::text, e.extversion, obj_description(e.oid, 'pg_extension'),
       (SELECT a.comment FROM pg_available_extensions a WHERE a.name = e.extname),
       n.nspname = ANY($1)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'";

/// The rows of [`QUERY`] into `s`. A comment equal to the control file's is the extension's
/// own, read as none (a declaration without `comment` leaves it alone). Extensions outside
/// the managed schemas are read too (a declared one may live anywhere); they are only reported
/// as unmanaged when their schema is managed.
pub fn read(rows: &[Row], s: &mut Schema) {
    for r in rows {
        let name: String = r.get(0);
        let comment: Option<String> = r.get(3);
        let default: Option<String> = r.get(4);
        s.extensions.insert(
            name.clone(),
            Extension {
                name,
                schema: Some(r.get(1)),
                version: Some(r.get(2)),
                comment: comment.filter(|c| Some(c) != default.as_ref()),
            },
        );
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExtensionChange {
    /// `CREATE EXTENSION IF NOT EXISTS e [SCHEMA s] [VERSION v]`
    CreateExtension { def: Extension },
    /// `ALTER EXTENSION e UPDATE TO v`
    UpdateExtension {
        name: String,
        from: String,
        to: String,
    },
    /// `ALTER EXTENSION e SET SCHEMA s`: moves every object of the extension; whatever names
    /// them by their old schema breaks (refused unless `--allow-destructive`)
    SetExtensionSchema {
        name: String,
        from: String,
        to: String,
    },
    /// `COMMENT ON EXTENSION e IS ...`
    SetExtensionComment {
        name: String,
        comment: Option<String>,
    },
    /// `DROP EXTENSION e` (only with `--prune`; refused unless `--allow-destructive`)
    DropExtension { name: String },
}

/// Declared extensions: created, or compared with the live one. A declaration without
/// `schema`, `version` or `comment` accepts whatever the live extension has.
pub fn diff(desired: &Schema, live: &Schema, out: &mut Diff) {
    for (name, want) in &desired.extensions {
        let object = (ObjectKind::Extension, QualName::new("", name.clone()));
        let Some(have) = live.extensions.get(name) else {
            out.changes
                .push(ExtensionChange::CreateExtension { def: want.clone() }.into());
            continue;
        };
        let before = out.changes.len();
        if let (Some(to), Some(from)) = (&want.version, &have.version)
            && to != from
        {
            out.changes.push(
                ExtensionChange::UpdateExtension {
                    name: name.clone(),
                    from: from.clone(),
                    to: to.clone(),
                }
                .into(),
            );
        }
        if let (Some(to), Some(from)) = (&want.schema, &have.schema)
            && to != from
        {
            out.changes.push(
                ExtensionChange::SetExtensionSchema {
                    name: name.clone(),
                    from: from.clone(),
                    to: to.clone(),
                }
                .into(),
            );
        }
        if want.comment.is_some() && want.comment != have.comment {
            out.changes.push(
                ExtensionChange::SetExtensionComment {
                    name: name.clone(),
                    comment: want.comment.clone(),
                }
                .into(),
            );
        }
        if out.changes.len() == before {
            out.unchanged.push(object);
        }
    }
}

/// Live extensions in managed schemas that the declaration does not mention: unmanaged, or
/// dropped with `--prune` (and then refused unless `--allow-destructive`).
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for (name, e) in &live.extensions {
        if desired.extensions.contains_key(name)
            || !e.schema.as_ref().is_some_and(|s| live.schemas.contains(s))
        {
            continue;
        }
        if prune {
            out.changes
                .push(ExtensionChange::DropExtension { name: name.clone() }.into());
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::Extension,
                name: QualName::new("", name.clone()),
                kept: None,
                owned_by: None,
            });
        }
    }
}

impl ExtensionChange {
    fn name(&self) -> &str {
        match self {
            ExtensionChange::CreateExtension { def } => &def.name,
            ExtensionChange::UpdateExtension { name, .. }
            | ExtensionChange::SetExtensionSchema { name, .. }
            | ExtensionChange::SetExtensionComment { name, .. }
            | ExtensionChange::DropExtension { name } => name,
        }
    }
}

impl KindChange for ExtensionChange {
    fn object(&self) -> (ObjectKind, QualName) {
        (ObjectKind::Extension, QualName::new("", self.name()))
    }

    fn judge(&self, _facts: &Facts, opts: &Options) -> Verdict {
        match self {
            ExtensionChange::CreateExtension { .. } => Verdict::Create,
            ExtensionChange::UpdateExtension { .. }
            | ExtensionChange::SetExtensionComment { .. } => Verdict::change(),
            ExtensionChange::SetExtensionSchema { name, from, to } => {
                if opts.allow_destructive {
                    Verdict::note(format!(
                        "every object of extension {name} moves from schema {from} to {to}: whatever names them by their old schema breaks"
                    ))
                } else {
                    Verdict::refuse(format!(
                        "moving extension {name} from schema {from} to {to} moves its types and functions: columns, defaults and code that name them by schema break; pass --allow-destructive to allow it"
                    ))
                }
            }
            ExtensionChange::DropExtension { name } => {
                if opts.allow_destructive {
                    Verdict::note(format!(
                        "drops every object of extension {name}; it fails if a column or another object still uses one"
                    ))
                } else {
                    Verdict::refuse(format!(
                        "dropping extension {name} drops its types, functions and operators, and any data stored in its types with them; pass --allow-destructive to allow it"
                    ))
                }
            }
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            ExtensionChange::CreateExtension { def } => {
                let mut sql = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(&def.name));
                if let Some(s) = &def.schema {
                    sql.push_str(&format!(" SCHEMA {}", quote_ident(s)));
                }
                if let Some(v) = &def.version {
                    sql.push_str(&format!(" VERSION {}", quote_literal(v)));
                }
                let mut out = one(Phase::Extensions, sql);
                if def.comment.is_some() {
                    out.push((
                        Phase::Comments,
                        comment(
                            format!("EXTENSION {}", quote_ident(&def.name)),
                            &def.comment,
                        ),
                    ));
                }
                out
            }
            ExtensionChange::UpdateExtension { name, to, .. } => one(
                Phase::Extensions,
                format!(
                    "ALTER EXTENSION {} UPDATE TO {}",
                    quote_ident(name),
                    quote_literal(to)
                ),
            ),
            ExtensionChange::SetExtensionSchema { name, to, .. } => one(
                Phase::Extensions,
                format!(
                    "ALTER EXTENSION {} SET SCHEMA {}",
                    quote_ident(name),
                    quote_ident(to)
                ),
            ),
            ExtensionChange::SetExtensionComment { name, comment: c } => one(
                Phase::Comments,
                comment(format!("EXTENSION {}", quote_ident(name)), c),
            ),
            ExtensionChange::DropExtension { name } => one(
                Phase::DropExtensions,
                format!("DROP EXTENSION {}", quote_ident(name)),
            ),
        }
    }

    fn summary(&self) -> String {
        match self {
            ExtensionChange::CreateExtension { def } => {
                let mut parts = Vec::new();
                if let Some(s) = &def.schema {
                    parts.push(format!("schema {s}"));
                }
                if let Some(v) = &def.version {
                    parts.push(format!("version {v}"));
                }
                if parts.is_empty() {
                    "create extension".into()
                } else {
                    format!("create extension ({})", parts.join(", "))
                }
            }
            ExtensionChange::UpdateExtension { from, to, .. } => {
                format!("update extension: version {from} -> {to}")
            }
            ExtensionChange::SetExtensionSchema { from, to, .. } => {
                format!("move extension: schema {from} -> {to}")
            }
            ExtensionChange::SetExtensionComment { comment, .. } => match comment {
                Some(_) => "set extension comment".into(),
                None => "remove extension comment".into(),
            },
            ExtensionChange::DropExtension { .. } => "drop extension (not declared)".into(),
        }
    }

    fn drift(&self) -> Option<String> {
        matches!(self, ExtensionChange::CreateExtension { .. })
            .then(|| "declared but missing from the database".to_string())
    }

    fn sign(&self) -> Sign {
        match self {
            ExtensionChange::CreateExtension { .. } => Sign::Add,
            ExtensionChange::DropExtension { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn contended(&self, _created: &std::collections::BTreeSet<&QualName>) -> bool {
        !matches!(self, ExtensionChange::CreateExtension { .. })
    }
}
