//! Domains (`CREATE DOMAIN`): a base type with a default, `NOT NULL` and named checks. Default,
//! `NOT NULL`, checks and comment change in place (`ALTER DOMAIN`); a new check is added
//! `NOT VALID` and validated after, so PostgreSQL checks the columns using it once. Another base
//! type or collation cannot be changed in place: the domain is dropped and created again when
//! no column uses it, and refused otherwise (the data may not convert).

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::CommentOn;
use super::{KindChange, Sign, one};
use crate::diff::{Diff, Facts, ObjectKind, Options, Unmanaged, Verdict};
use crate::model::names::quote_ident;
use crate::model::{BaseType, DataType, QualName, Schema, SqlExpr};
use crate::plan::Phase;

// ---- Model ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Domain {
    pub name: QualName,
    /// The base type (`typbasetype`, with its modifiers).
    pub base: DataType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<SqlExpr>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null: bool,
    /// `COLLATE name`, when it is not the base type's default collation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// Its checks, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<DomainCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `CONSTRAINT name CHECK (expr)` of a domain; `VALUE` is the value checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainCheck {
    pub name: String,
    pub expr: SqlExpr,
    /// False for a check added `NOT VALID` and not validated since.
    #[serde(
        default = "crate::model::yes",
        skip_serializing_if = "crate::model::is_true"
    )]
    pub valid: bool,
}

impl Domain {
    fn check(&self, name: &str) -> Option<&DomainCheck> {
        self.checks.iter().find(|c| c.name == name)
    }
}

// ---- Catalog ----

/// Every domain of the managed schemas (members of extensions are the extension's), with its
/// base type spelled as a column's type is read, default, collation and checks.
pub const QUERY: &str = "
SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod),
       CASE WHEN et.typtype IN ('e', 'd', 'c') OR etn.nspname NOT IN ('pg_catalog', 'information_schema')
            THEN etn.nspname END,
       et.typname, bt.typcategory = 'A',
       pg_get_expr(t.typdefaultbin, 0), t.typnotnull,
       CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation THEN coll.collname::text END,
       ARRAY(SELECT con.conname::text FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       ARRAY(SELECT pg_get_expr(con.conbin, 0) FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       ARRAY(SELECT con.convalidated FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       obj_description(t.oid, 'pg_type')
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = t.typbasetype
JOIN pg_type et ON et.oid = CASE WHEN bt.typcategory = 'A' AND bt.typelem <> 0 THEN bt.typelem ELSE bt.oid END
JOIN pg_namespace etn ON etn.oid = et.typnamespace
LEFT JOIN pg_collation coll ON coll.oid = t.typcollation
WHERE t.typtype = 'd' AND n.nspname = ANY($1)
  AND (t.tableoid, t.oid) NOT IN (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
ORDER BY 1, 2";

/// A type as the catalog gives it: a type defined in the database by its name, any other by
/// its `format_type()` spelling (as a column's type is read).
pub(crate) fn catalog_type(
    formatted: String,
    schema: Option<String>,
    name: String,
    array: bool,
) -> DataType {
    match schema {
        Some(schema) => DataType {
            base: BaseType::Named(QualName::new(schema, name)),
            array,
        },
        None => DataType::from_catalog(&formatted),
    }
}

/// The rows of [`QUERY`] into `s`.
pub fn read(rows: &[Row], s: &mut Schema) {
    for r in rows {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let base = catalog_type(r.get(2), r.get(3), r.get(4), r.get(5));
        let names: Vec<String> = r.get(9);
        let exprs: Vec<String> = r.get(10);
        let valid: Vec<bool> = r.get(11);
        let checks = (names.into_iter().zip(exprs).zip(valid))
            .map(|((name, expr), valid)| DomainCheck {
                name,
                expr: SqlExpr::raw(expr),
                valid,
            })
            .collect();
        s.domains.insert(
            name.clone(),
            Domain {
                name,
                base,
                default: r.get::<_, Option<String>>(6).map(SqlExpr::raw),
                not_null: r.get(7),
                collation: r.get(8),
                checks,
                comment: r.get(12),
            },
        );
    }
}

// ---- Diff ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DomainChange {
    /// `CREATE DOMAIN d AS base [COLLATE c] [DEFAULT e] [NOT NULL] [CONSTRAINT k CHECK (...)]`
    CreateDomain {
        def: Box<Domain>,
        /// How deep it nests other domains and composite types ([`type_depth`]); absent: 1.
        #[serde(default = "one_deep", skip_serializing_if = "is_one_deep")]
        depth: i64,
    },
    /// `DROP DOMAIN d` (only with `--prune`); refused while a column uses it.
    DropDomain {
        name: QualName,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<String>,
        #[serde(default = "one_deep", skip_serializing_if = "is_one_deep")]
        depth: i64,
    },
    /// Another base type or collation: `DROP DOMAIN` and `CREATE DOMAIN` when nothing uses it,
    /// refused otherwise.
    RecreateDomain {
        from: Box<Domain>,
        def: Box<Domain>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<String>,
        #[serde(default = "one_deep", skip_serializing_if = "is_one_deep")]
        depth: i64,
    },
    /// `ALTER DOMAIN d SET DEFAULT e` / `DROP DEFAULT`
    SetDomainDefault {
        name: QualName,
        default: Option<SqlExpr>,
    },
    /// `ALTER DOMAIN d SET NOT NULL` (PostgreSQL checks every column using it) / `DROP NOT NULL`
    SetDomainNotNull { name: QualName, not_null: bool },
    /// `ALTER DOMAIN d ADD CONSTRAINT k CHECK (...) NOT VALID`, then `VALIDATE CONSTRAINT k`
    AddDomainCheck { name: QualName, check: DomainCheck },
    /// `ALTER DOMAIN d VALIDATE CONSTRAINT k` (a live check not validated yet)
    ValidateDomainCheck { name: QualName, check: String },
    /// `ALTER DOMAIN d DROP CONSTRAINT k`
    DropDomainCheck {
        name: QualName,
        check: DomainCheck,
        /// Dropped to be added again with another expression.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        replaced: bool,
    },
}

pub(crate) fn one_deep() -> i64 {
    1
}

pub(crate) fn is_one_deep(d: &i64) -> bool {
    *d == 1
}

/// Declared domains: created, or compared part by part.
pub fn diff(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for (name, d) in &desired.domains {
        let Some(l) = live.domains.get(name) else {
            out.changes.push(
                DomainChange::CreateDomain {
                    def: Box::new(d.clone()),
                    depth: depth_of(name, desired),
                }
                .into(),
            );
            continue;
        };
        let before = out.changes.len();
        if d.base != l.base || d.collation != l.collation {
            out.changes.push(
                DomainChange::RecreateDomain {
                    from: Box::new(l.clone()),
                    def: Box::new(d.clone()),
                    users: users(name, desired, live, prune, false),
                    depth: depth_of(name, desired),
                }
                .into(),
            );
            continue;
        }
        let same_default = match (&d.default, &l.default) {
            (None, None) => true,
            (Some(a), Some(b)) => a.equivalent(b, Some(&d.base)),
            _ => false,
        };
        if !same_default {
            out.changes.push(
                DomainChange::SetDomainDefault {
                    name: name.clone(),
                    default: d.default.clone(),
                }
                .into(),
            );
        }
        if d.not_null != l.not_null {
            out.changes.push(
                DomainChange::SetDomainNotNull {
                    name: name.clone(),
                    not_null: d.not_null,
                }
                .into(),
            );
        }
        for lc in &l.checks {
            match d.check(&lc.name) {
                None => out.changes.push(
                    DomainChange::DropDomainCheck {
                        name: name.clone(),
                        check: lc.clone(),
                        replaced: false,
                    }
                    .into(),
                ),
                Some(dc) if !dc.expr.equivalent(&lc.expr, None) => {
                    out.changes.push(
                        DomainChange::DropDomainCheck {
                            name: name.clone(),
                            check: lc.clone(),
                            replaced: true,
                        }
                        .into(),
                    );
                    out.changes.push(
                        DomainChange::AddDomainCheck {
                            name: name.clone(),
                            check: dc.clone(),
                        }
                        .into(),
                    );
                }
                Some(_) if !lc.valid => out.changes.push(
                    DomainChange::ValidateDomainCheck {
                        name: name.clone(),
                        check: lc.name.clone(),
                    }
                    .into(),
                ),
                Some(_) => {}
            }
        }
        for dc in d.checks.iter().filter(|c| l.check(&c.name).is_none()) {
            out.changes.push(
                DomainChange::AddDomainCheck {
                    name: name.clone(),
                    check: dc.clone(),
                }
                .into(),
            );
        }
        if d.comment != l.comment {
            out.changes.push(
                super::comment::CommentChange::SetComment {
                    target: CommentOn::Domain { name: name.clone() },
                    comment: d.comment.clone(),
                }
                .into(),
            );
        }
        if out.changes.len() == before {
            out.unchanged.push((ObjectKind::Domain, name.clone()));
        }
    }
}

/// Live domains the declaration does not mention: unmanaged, or dropped with `--prune` (refused
/// while a column uses one).
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for name in (live.domains.keys()).filter(|n| !desired.domains.contains_key(*n)) {
        if prune {
            out.changes.push(
                DomainChange::DropDomain {
                    name: name.clone(),
                    users: users(name, desired, live, prune, true),
                    depth: depth_of(name, live),
                }
                .into(),
            );
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::Domain,
                name: name.clone(),
                kept: None,
                owned_by: None,
            });
        }
    }
}

/// What uses the type `name` (a domain or composite type) and stays while the plan's drops of
/// types run: the live columns of tables that stay (`--prune` drops undeclared ones) that the
/// declaration keeps, the attributes of composite types and the domains over it that stay.
/// `dropping`: the type is dropped, so a column the declaration moves to another type (in an
/// earlier phase) no longer counts.
pub(crate) fn users(
    name: &QualName,
    desired: &Schema,
    live: &Schema,
    prune: bool,
    dropping: bool,
) -> Vec<String> {
    let uses = |t: &DataType| matches!(&t.base, BaseType::Named(q) if q == name);
    let mut out = Vec::new();
    for (tn, t) in &live.tables {
        let declared = desired.tables.get(tn);
        if declared.is_none() && prune {
            continue;
        }
        for c in t.columns.iter().filter(|c| uses(&c.ty)) {
            let stays = match declared.map(|d| d.column(&c.name)) {
                None => true,
                Some(None) => false,
                Some(Some(w)) => !dropping || uses(&w.ty),
            };
            if stays {
                out.push(format!("column {}.{}", tn, quote_ident(&c.name)));
            }
        }
    }
    out.extend(type_users(name, desired, live, prune));
    out
}

/// The composite types (by an attribute) and domains (by their base) of `live` that use the type
/// `name` and stay (`--prune` drops undeclared ones).
pub(crate) fn type_users(
    name: &QualName,
    desired: &Schema,
    live: &Schema,
    prune: bool,
) -> Vec<String> {
    let uses = |t: &DataType| matches!(&t.base, BaseType::Named(q) if q == name);
    let mut out = Vec::new();
    for (cn, c) in &live.composites {
        if !desired.composites.contains_key(cn) && prune {
            continue;
        }
        for a in c.attributes.iter().filter(|a| uses(&a.ty)) {
            out.push(format!(
                "attribute {} of composite type {cn}",
                quote_ident(&a.name)
            ));
        }
    }
    for (dn, d) in &live.domains {
        if dn != name && uses(&d.base) && (desired.domains.contains_key(dn) || !prune) {
            out.push(format!("domain {dn}"));
        }
    }
    out
}

/// "column public.t.c", "column public.t.c and domain public.d", "a, b, c and 2 more".
pub(crate) fn used_by(users: &[String]) -> String {
    match users {
        [] => String::new(),
        [one] => one.clone(),
        [most @ .., last] if most.len() < 3 => format!("{} and {last}", most.join(", ")),
        [first @ .., _] => format!("{} and {} more", first[..3].join(", "), users.len() - 3),
    }
}

// ---- SQL ----

fn check_sql(c: &DomainCheck) -> String {
    format!("CONSTRAINT {} CHECK ({})", quote_ident(&c.name), c.expr.sql)
}

/// `CREATE DOMAIN ...`, with its comment.
fn create(def: &Domain) -> Vec<(Phase, String)> {
    let mut s = format!("CREATE DOMAIN {} AS {}", def.name.sql(), def.base);
    if let Some(c) = &def.collation {
        s.push_str(&format!(" COLLATE {}", quote_ident(c)));
    }
    if let Some(d) = &def.default {
        s.push_str(&format!(" DEFAULT {}", d.sql));
    }
    if def.not_null {
        s.push_str(" NOT NULL");
    }
    for c in &def.checks {
        s.push(' ');
        s.push_str(&check_sql(c));
    }
    let mut out = one(Phase::Types, s);
    if def.comment.is_some() {
        let on = CommentOn::Domain {
            name: def.name.clone(),
        };
        out.push(super::comment::set(&on, &def.comment));
    }
    out
}

fn alter(name: &QualName) -> String {
    format!("ALTER DOMAIN {}", name.sql())
}

/// The statements creating the domains and composite types of `live` that `missing` says a
/// scratch server lacks (without comments), each with its schema, by depth.
pub(crate) fn create_sql(live: &Schema, missing: impl Fn(&QualName) -> bool) -> Vec<String> {
    let schema = |q: &QualName| format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(&q.schema));
    let mut made: Vec<(i64, &QualName, String)> = Vec::new();
    for d in live.domains.values().filter(|d| missing(&d.name)) {
        made.push((depth_of(&d.name, live), &d.name, create(d).remove(0).1));
    }
    for c in live.composites.values().filter(|c| missing(&c.name)) {
        made.push((
            depth_of(&c.name, live),
            &c.name,
            super::composite::create_sql(c),
        ));
    }
    made.sort_by_key(|(depth, _, _)| *depth);
    (made.into_iter())
        .flat_map(|(_, name, sql)| [schema(name), sql])
        .collect()
}

/// How deep a domain or composite type nests the other domains and composite types of `schema`:
/// 1 for one over PostgreSQL's types and enums only, one more than the deepest it uses
/// otherwise. Types are created by depth (after the enums, rank 0) and dropped deepest first.
/// `None`: it contains itself.
pub fn type_depth(name: &QualName, schema: &Schema) -> Option<i64> {
    fn walk(name: &QualName, schema: &Schema, path: &mut Vec<QualName>) -> Option<i64> {
        if path.contains(name) || path.len() > 64 {
            return None;
        }
        let used: Vec<&DataType> = if let Some(d) = schema.domains.get(name) {
            vec![&d.base]
        } else if let Some(c) = schema.composites.get(name) {
            c.attributes.iter().map(|a| &a.ty).collect()
        } else {
            return Some(0);
        };
        path.push(name.clone());
        let mut deepest = 0;
        for t in used {
            if let BaseType::Named(q) = &t.base {
                deepest = deepest.max(walk(q, schema, path)?);
            }
        }
        path.pop();
        Some(deepest + 1)
    }
    walk(name, schema, &mut Vec::new())
}

/// [`type_depth`], 1 for one that contains itself (the loader refuses those; a live one cannot).
pub(crate) fn depth_of(name: &QualName, schema: &Schema) -> i64 {
    type_depth(name, schema).unwrap_or(1)
}

/// The rank of the changes of a type of depth `depth` in `phase`: created by depth after the enums,
/// altered after every type is created, dropped deepest first (before the enums).
pub(crate) fn type_rank(phase: Phase, depth: i64, creates: bool) -> i64 {
    match phase {
        Phase::DropTypes => -depth,
        _ if creates => depth,
        _ => 1000,
    }
}

impl KindChange for DomainChange {
    fn object(&self) -> (ObjectKind, QualName) {
        use DomainChange::*;
        let name = match self {
            CreateDomain { def, .. } | RecreateDomain { def, .. } => &def.name,
            DropDomain { name, .. }
            | SetDomainDefault { name, .. }
            | SetDomainNotNull { name, .. }
            | AddDomainCheck { name, .. }
            | ValidateDomainCheck { name, .. }
            | DropDomainCheck { name, .. } => name,
        };
        (ObjectKind::Domain, name.clone())
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        use DomainChange::*;
        match self {
            CreateDomain { .. } => Verdict::Create,
            DropDomain { users, .. } if !users.is_empty() => Verdict::refuse(format!(
                "domain is used by {}: change or drop what uses it first",
                used_by(users)
            )),
            RecreateDomain {
                from, def, users, ..
            } if !users.is_empty() => Verdict::refuse(format!(
                "the base type of a domain cannot be changed in place ({}{} -> {}{}), and it is used by {}: the data may not convert; change it by hand",
                from.base,
                collate_label(&from.collation),
                def.base,
                collate_label(&def.collation),
                used_by(users)
            )),
            RecreateDomain { .. } => Verdict::note("no column uses it: dropped and created again"),
            SetDomainNotNull { not_null: true, .. } => Verdict::note(
                "PostgreSQL checks every column using the domain: if one holds NULL, the statement fails and apply changes nothing",
            ),
            AddDomainCheck { .. } | ValidateDomainCheck { .. } => Verdict::note(
                "validated against every column using the domain: if a value breaks the check, the statement fails and apply changes nothing",
            ),
            _ => Verdict::change(),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        use DomainChange::*;
        match self {
            CreateDomain { def, .. } => create(def),
            DropDomain { name, .. } => one(Phase::DropTypes, format!("DROP DOMAIN {}", name.sql())),
            RecreateDomain { def, .. } => {
                let mut out = one(Phase::Types, format!("DROP DOMAIN {}", def.name.sql()));
                out.extend(create(def));
                out
            }
            SetDomainDefault { name, default } => one(
                Phase::Types,
                match default {
                    Some(e) => format!("{} SET DEFAULT {}", alter(name), e.sql),
                    None => format!("{} DROP DEFAULT", alter(name)),
                },
            ),
            SetDomainNotNull { name, not_null } => one(
                Phase::Types,
                format!(
                    "{} {} NOT NULL",
                    alter(name),
                    if *not_null { "SET" } else { "DROP" }
                ),
            ),
            AddDomainCheck { name, check } => vec![
                (
                    Phase::Types,
                    format!("{} ADD {} NOT VALID", alter(name), check_sql(check)),
                ),
                (
                    Phase::Constraints,
                    format!(
                        "{} VALIDATE CONSTRAINT {}",
                        alter(name),
                        quote_ident(&check.name)
                    ),
                ),
            ],
            ValidateDomainCheck { name, check } => one(
                Phase::Constraints,
                format!("{} VALIDATE CONSTRAINT {}", alter(name), quote_ident(check)),
            ),
            DropDomainCheck { name, check, .. } => one(
                Phase::DropConstraints,
                format!(
                    "{} DROP CONSTRAINT {}",
                    alter(name),
                    quote_ident(&check.name)
                ),
            ),
        }
    }

    fn summary(&self) -> String {
        use DomainChange::*;
        match self {
            CreateDomain { def, .. } => format!("create domain ({})", def.base),
            DropDomain { .. } => "drop domain (not declared)".into(),
            RecreateDomain { from, def, .. } => format!(
                "base type {}{} -> {}{}",
                from.base,
                collate_label(&from.collation),
                def.base,
                collate_label(&def.collation)
            ),
            SetDomainDefault {
                default: Some(e), ..
            } => format!("set default {}", e.sql),
            SetDomainDefault { default: None, .. } => "drop default".into(),
            SetDomainNotNull { not_null: true, .. } => "set not null".into(),
            SetDomainNotNull {
                not_null: false, ..
            } => "drop not null".into(),
            AddDomainCheck { check, .. } => format!(
                "add check {} ({}), NOT VALID then validated",
                quote_ident(&check.name),
                check.expr.sql
            ),
            ValidateDomainCheck { check, .. } => {
                format!("validate check {}", quote_ident(check))
            }
            DropDomainCheck {
                check,
                replaced: true,
                ..
            } => format!(
                "drop check {} ({}), to add it again as declared",
                quote_ident(&check.name),
                check.expr.sql
            ),
            DropDomainCheck { check, .. } => format!(
                "drop check {} ({})",
                quote_ident(&check.name),
                check.expr.sql
            ),
        }
    }

    fn drift(&self) -> Option<String> {
        matches!(self, DomainChange::CreateDomain { .. })
            .then(|| "declared but missing from the database".to_string())
    }

    fn sign(&self) -> Sign {
        use DomainChange::*;
        match self {
            CreateDomain { .. } | AddDomainCheck { .. } => Sign::Add,
            DropDomain { .. } | DropDomainCheck { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn rank(&self, phase: Phase) -> i64 {
        use DomainChange::*;
        match self {
            CreateDomain { depth, .. } | RecreateDomain { depth, .. } => {
                type_rank(phase, *depth, true)
            }
            DropDomain { depth, .. } => type_rank(phase, *depth, false),
            _ => type_rank(phase, 1, false),
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        use DomainChange::*;
        match self {
            CreateDomain { def, .. } | RecreateDomain { def, .. } => {
                let mut out = Vec::new();
                if let Some(d) = &def.default {
                    out.push((format!("domain {} default", def.name), d));
                }
                for c in &def.checks {
                    out.push((format!("domain {} check {}", def.name, c.name), &c.expr));
                }
                out
            }
            SetDomainDefault {
                name,
                default: Some(d),
            } => vec![(format!("domain {name} default"), d)],
            AddDomainCheck { name, check } => {
                vec![(format!("domain {name} check {}", check.name), &check.expr)]
            }
            _ => Vec::new(),
        }
    }

    fn contended(&self, _created: &std::collections::BTreeSet<&QualName>) -> bool {
        !matches!(self, DomainChange::CreateDomain { .. })
    }
}

fn collate_label(c: &Option<String>) -> String {
    c.as_ref()
        .map(|c| format!(" COLLATE {}", quote_ident(c)))
        .unwrap_or_default()
}

// ---- Probe ----

/// Has the server spell each declared default and check of a domain that differs from the live
/// one only in its text: in a transaction that always rolls back, one temporary domain per
/// declared domain (with the live base type), each statement on its own (declared text is never
/// part of a multi-statement string), pipelined, read back in one query. A declared expression
/// PostgreSQL spells as the live one takes the live spelling. Returns the round trips.
pub async fn reconcile(
    client: &mut tokio_postgres::Client,
    desired: &mut Schema,
    live: &Schema,
    on: crate::inspect::ProbeOn,
) -> Result<usize, crate::inspect::InspectError> {
    use crate::inspect::session;
    let mut asks: Vec<QualName> = Vec::new();
    for (name, d) in &desired.domains {
        let Some(l) = live.domains.get(name) else {
            continue;
        };
        if d.base != l.base {
            continue;
        }
        let default_differs = match (&d.default, &l.default) {
            (Some(a), Some(b)) => !a.equivalent(b, Some(&d.base)),
            _ => false,
        };
        let check_differs = d.checks.iter().any(|c| {
            l.check(&c.name)
                .is_some_and(|lc| !c.expr.equivalent(&lc.expr, None))
        });
        if default_differs || check_differs {
            asks.push(name.clone());
        }
    }
    if asks.is_empty() {
        return Ok(0);
    }
    let mut probes = Vec::new();
    for (k, name) in asks.iter().enumerate() {
        let d = &desired.domains[name];
        let probe = Domain {
            name: QualName::new("pg_temp", format!("tableform_probe_d{k}")),
            base: live.domains[name].base.clone(),
            collation: None,
            not_null: false,
            comment: None,
            ..d.clone()
        };
        probes.push(create(&probe).remove(0).1);
    }
    let scratch = on == crate::inspect::ProbeOn::Scratch;
    let home = desired.home.clone();
    let mut tx = client.transaction().await?;
    session::declared_path(tx.client(), home.as_deref()).await?;
    let mut trips = 4; // BEGIN, the batch, the read-back, ROLLBACK
    if scratch {
        trips += crate::inspect::probe::missing_types(tx.client(), live).await?;
    }
    let all: Vec<&str> = probes.iter().map(String::as_str).collect();
    if let Err(e) = session::pipeline(tx.client(), &all).await {
        // A connection that may not create temporary objects: say so, as the other probes do.
        if let Some(reason) = session::temp_refused(&e) {
            return Err(crate::inspect::InspectError::ReadOnly {
                count: probes.len(),
                reason,
            });
        }
        tx.rollback().await?;
        tx = client.transaction().await?;
        session::declared_path(tx.client(), home.as_deref()).await?;
        if scratch {
            trips += crate::inspect::probe::missing_types(tx.client(), live).await?;
        }
        trips += session::each_in_savepoint(tx.client(), &probes).await?;
    }
    session::catalog_path(tx.client(), home.as_deref()).await?;
    let rows = tx
        .client()
        .query(
            "SELECT t.typname::text, pg_get_expr(t.typdefaultbin, 0),
                    ARRAY(SELECT con.conname::text FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
                    ARRAY(SELECT pg_get_expr(con.conbin, 0) FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname)
             FROM pg_type t
             WHERE t.typnamespace = pg_my_temp_schema() AND t.typtype = 'd'
               AND t.typname LIKE 'tableform\\_probe\\_d%'",
            &[],
        )
        .await?;
    tx.rollback().await?;
    for r in &rows {
        let probe: String = r.get(0);
        let Some(k) =
            (probe.strip_prefix("tableform_probe_d")).and_then(|k| k.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(name) = asks.get(k) else { continue };
        let l = &live.domains[name];
        let default: Option<String> = r.get(1);
        let names: Vec<String> = r.get(2);
        let exprs: Vec<String> = r.get(3);
        let Some(d) = desired.domains.get_mut(name) else {
            continue;
        };
        if default.is_some() && default == l.default.as_ref().map(|e| e.sql.clone()) {
            d.default = l.default.clone();
        }
        for (n, e) in names.iter().zip(&exprs) {
            if let (Some(dc), Some(lc)) = (d.checks.iter_mut().find(|c| &c.name == n), l.check(n))
                && lc.expr.sql == *e
            {
                dc.expr = lc.expr.clone();
            }
        }
    }
    Ok(trips)
}
