//! Composite types (`CREATE TYPE t AS (...)`): attributes added in place (`ADD ATTRIBUTE`);
//! dropped or retyped in place too (`DROP ATTRIBUTE`, `ALTER ATTRIBUTE ... TYPE`) when no table
//! column uses the type, and refused otherwise (the values stored in those columns would lose or
//! convert a field).

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::CommentOn;
use super::domain::{catalog_type, depth_of, is_one_deep, one_deep, type_rank, used_by, users};
use super::{KindChange, Sign, one};
use crate::diff::{Diff, Facts, ObjectKind, Options, Unmanaged, Verdict};
use crate::model::names::quote_ident;
use crate::model::{DataType, QualName, Schema};
use crate::plan::Phase;

// ---- Model ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Composite {
    pub name: QualName,
    pub attributes: Vec<Attribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One attribute (field) of a composite type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub ty: DataType,
    /// `COLLATE name`, when it is not the type's default collation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
}

// ---- Catalog ----

/// Every attribute of the composite types (standalone: their relation is of kind `c`) of the
/// managed schemas, in order; a type without attributes has one row of NULLs.
pub const QUERY: &str = "
SELECT n.nspname, t.typname, a.attname::text, format_type(a.atttypid, a.atttypmod),
       CASE WHEN et.typtype IN ('e', 'd', 'c') OR etn.nspname NOT IN ('pg_catalog', 'information_schema')
            THEN etn.nspname END,
       et.typname::text, at.typcategory = 'A',
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation THEN coll.collname::text END,
       obj_description(t.oid, 'pg_type')
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type at ON at.oid = a.atttypid
LEFT JOIN pg_type et ON et.oid = CASE WHEN at.typcategory = 'A' AND at.typelem <> 0 THEN at.typelem ELSE at.oid END
LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace
LEFT JOIN pg_collation coll ON coll.oid = a.attcollation
WHERE t.typtype = 'c' AND n.nspname = ANY($1)
  AND (t.tableoid, t.oid) NOT IN (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
ORDER BY n.nspname, t.typname, a.attnum";

/// The rows of [`QUERY`] into `s`.
pub fn read(rows: &[Row], s: &mut Schema) {
    for r in rows {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let c = s
            .composites
            .entry(name.clone())
            .or_insert_with(|| Composite {
                name,
                attributes: Vec::new(),
                comment: r.get(8),
            });
        let Some(attr) = r.get::<_, Option<String>>(2) else {
            continue;
        };
        c.attributes.push(Attribute {
            name: attr,
            ty: catalog_type(r.get(3), r.get(4), r.get(5), r.get(6)),
            collation: r.get(7),
        });
    }
}

// ---- Diff ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CompositeChange {
    /// `CREATE TYPE t AS (a type, ...)`
    CreateComposite {
        def: Composite,
        /// How deep it nests domains and other composite types ([`super::domain::type_depth`]); absent: 1.
        #[serde(default = "one_deep", skip_serializing_if = "is_one_deep")]
        depth: i64,
    },
    /// `DROP TYPE t` (only with `--prune`); refused while something uses it.
    DropComposite {
        name: QualName,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<String>,
        #[serde(default = "one_deep", skip_serializing_if = "is_one_deep")]
        depth: i64,
    },
    /// `ALTER TYPE t ADD ATTRIBUTE a type`
    AddAttribute {
        name: QualName,
        attribute: Attribute,
    },
    /// `ALTER TYPE t DROP ATTRIBUTE a`; refused while a column uses the type.
    DropAttribute {
        name: QualName,
        attribute: Attribute,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<String>,
    },
    /// `ALTER TYPE t ALTER ATTRIBUTE a TYPE new [COLLATE c]`; refused while a column uses the
    /// type.
    AlterAttribute {
        name: QualName,
        from: Attribute,
        to: Attribute,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<String>,
    },
}

/// Declared composite types: created, or compared attribute by attribute. Attributes are
/// matched by name; a new one is added at the end (its position among the others is not
/// compared: PostgreSQL cannot insert one elsewhere).
pub fn diff(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for (name, c) in &desired.composites {
        let Some(l) = live.composites.get(name) else {
            out.changes.push(
                CompositeChange::CreateComposite {
                    def: c.clone(),
                    depth: depth_of(name, desired),
                }
                .into(),
            );
            continue;
        };
        let before = out.changes.len();
        let used = || users(name, desired, live, prune, false);
        for la in &l.attributes {
            match c.attributes.iter().find(|a| a.name == la.name) {
                None => out.changes.push(
                    CompositeChange::DropAttribute {
                        name: name.clone(),
                        attribute: la.clone(),
                        users: used(),
                    }
                    .into(),
                ),
                Some(a) if a.ty != la.ty || a.collation != la.collation => out.changes.push(
                    CompositeChange::AlterAttribute {
                        name: name.clone(),
                        from: la.clone(),
                        to: a.clone(),
                        users: used(),
                    }
                    .into(),
                ),
                Some(_) => {}
            }
        }
        for a in (c.attributes.iter()).filter(|a| !l.attributes.iter().any(|la| la.name == a.name))
        {
            out.changes.push(
                CompositeChange::AddAttribute {
                    name: name.clone(),
                    attribute: a.clone(),
                }
                .into(),
            );
        }
        if c.comment != l.comment {
            out.changes.push(
                super::comment::CommentChange::SetComment {
                    target: CommentOn::Composite { name: name.clone() },
                    comment: c.comment.clone(),
                }
                .into(),
            );
        }
        if out.changes.len() == before {
            out.unchanged.push((ObjectKind::Composite, name.clone()));
        }
    }
}

/// Live composite types the declaration does not mention: unmanaged, or dropped with
/// `--prune` (refused while something uses one).
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for name in (live.composites.keys()).filter(|n| !desired.composites.contains_key(*n)) {
        if prune {
            out.changes.push(
                CompositeChange::DropComposite {
                    name: name.clone(),
                    users: users(name, desired, live, prune, true),
                    depth: depth_of(name, live),
                }
                .into(),
            );
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::Composite,
                name: name.clone(),
                kept: None,
                owned_by: None,
            });
        }
    }
}

// ---- SQL ----

fn attribute_sql(a: &Attribute) -> String {
    let mut s = format!("{} {}", quote_ident(&a.name), a.ty);
    if let Some(c) = &a.collation {
        s.push_str(&format!(" COLLATE {}", quote_ident(c)));
    }
    s
}

/// `CREATE TYPE t AS (...)`.
pub(crate) fn create_sql(def: &Composite) -> String {
    let attrs: Vec<String> = def.attributes.iter().map(attribute_sql).collect();
    format!("CREATE TYPE {} AS ({})", def.name.sql(), attrs.join(", "))
}

fn alter(name: &QualName) -> String {
    format!("ALTER TYPE {}", name.sql())
}

impl KindChange for CompositeChange {
    fn object(&self) -> (ObjectKind, QualName) {
        use CompositeChange::*;
        let name = match self {
            CreateComposite { def, .. } => &def.name,
            DropComposite { name, .. }
            | AddAttribute { name, .. }
            | DropAttribute { name, .. }
            | AlterAttribute { name, .. } => name,
        };
        (ObjectKind::Composite, name.clone())
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        use CompositeChange::*;
        match self {
            CreateComposite { .. } => Verdict::Create,
            DropComposite { users, .. } if !users.is_empty() => Verdict::refuse(format!(
                "composite type is used by {}: change or drop what uses it first",
                used_by(users)
            )),
            DropAttribute {
                attribute, users, ..
            } if !users.is_empty() => Verdict::refuse(format!(
                "dropping attribute {} would lose it from every value of the type stored in {}",
                quote_ident(&attribute.name),
                used_by(users)
            )),
            AlterAttribute { from, users, .. } if !users.is_empty() => Verdict::refuse(format!(
                "changing the type of attribute {} would convert every value of the type stored in {}; change it by hand",
                quote_ident(&from.name),
                used_by(users)
            )),
            _ => Verdict::change(),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        use CompositeChange::*;
        match self {
            CreateComposite { def, .. } => {
                let mut out = one(Phase::Types, create_sql(def));
                if def.comment.is_some() {
                    let on = CommentOn::Composite {
                        name: def.name.clone(),
                    };
                    out.push(super::comment::set(&on, &def.comment));
                }
                out
            }
            DropComposite { name, .. } => {
                one(Phase::DropTypes, format!("DROP TYPE {}", name.sql()))
            }
            AddAttribute { name, attribute } => one(
                Phase::Types,
                format!("{} ADD ATTRIBUTE {}", alter(name), attribute_sql(attribute)),
            ),
            DropAttribute {
                name, attribute, ..
            } => one(
                Phase::Types,
                format!(
                    "{} DROP ATTRIBUTE {}",
                    alter(name),
                    quote_ident(&attribute.name)
                ),
            ),
            AlterAttribute { name, to, .. } => {
                let mut s = format!(
                    "{} ALTER ATTRIBUTE {} TYPE {}",
                    alter(name),
                    quote_ident(&to.name),
                    to.ty
                );
                if let Some(c) = &to.collation {
                    s.push_str(&format!(" COLLATE {}", quote_ident(c)));
                }
                one(Phase::Types, s)
            }
        }
    }

    fn summary(&self) -> String {
        use CompositeChange::*;
        match self {
            CreateComposite { def, .. } => {
                let attrs: Vec<String> = def.attributes.iter().map(attribute_sql).collect();
                format!("create composite type ({})", attrs.join(", "))
            }
            DropComposite { .. } => "drop composite type (not declared)".into(),
            AddAttribute { attribute, .. } => {
                format!("add attribute {}", attribute_sql(attribute))
            }
            DropAttribute { attribute, .. } => {
                format!("drop attribute {}", attribute_sql(attribute))
            }
            AlterAttribute { from, to, .. } => format!(
                "attribute {}: {} -> {}",
                quote_ident(&from.name),
                attribute_sql(from),
                attribute_sql(to)
            ),
        }
    }

    fn drift(&self) -> Option<String> {
        matches!(self, CompositeChange::CreateComposite { .. })
            .then(|| "declared but missing from the database".to_string())
    }

    fn sign(&self) -> Sign {
        use CompositeChange::*;
        match self {
            CreateComposite { .. } | AddAttribute { .. } => Sign::Add,
            DropComposite { .. } | DropAttribute { .. } => Sign::Remove,
            AlterAttribute { .. } => Sign::Alter,
        }
    }

    fn rank(&self, phase: Phase) -> i64 {
        match self {
            CompositeChange::CreateComposite { depth, .. } => type_rank(phase, *depth, true),
            CompositeChange::DropComposite { depth, .. } => type_rank(phase, *depth, false),
            _ => type_rank(phase, 1, false),
        }
    }

    fn contended(&self, _created: &std::collections::BTreeSet<&QualName>) -> bool {
        !matches!(self, CompositeChange::CreateComposite { .. })
    }
}
