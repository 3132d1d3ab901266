//! Tables as a whole: created with their columns, keys, checks and indexes; renamed
//! (`renamed_from`); their comment; dropped with `--prune` (never a migration tool's bookkeeping).
//! What is inside an existing table is compared by its parts' kinds: [`super::column`],
//! [`super::constraint`], [`super::index`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::comment;
use super::constraint::{Constraint, ConstraintChange};
use super::{KindChange, Sign, alter, one};
use crate::diff::verdict::count;
use crate::diff::{
    Diff, Facts, ObjectKind, Options, Question, Unmanaged, Verdict, bookkeeping_tool,
};
use crate::inspect::catalog::Live;
use crate::model::names::quote_ident;
use crate::model::{
    Check, Column, ForeignKey, Index, PrimaryKey, QualName, Schema, SqlExpr, StorageParams, Unique,
};
use crate::plan::Phase;

// ---- Model ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: QualName,
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<Unique>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
    /// Exclusion constraints (`EXCLUDE USING gist (...)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<super::constraint::Exclusion>,
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    /// Declared only: never drop or rewrite this table or its columns.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
    /// `UNLOGGED`: not written to the write-ahead log (faster writes; emptied after a crash,
    /// not replicated).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlogged: bool,
    /// `WITH (fillfactor = 70, autovacuum_enabled = false, ...)`: its storage parameters.
    #[serde(default, skip_serializing_if = "StorageParams::is_empty")]
    pub with: StorageParams,
    /// `ENABLE ROW LEVEL SECURITY`: rows are visible and writable only through policies (to
    /// roles other than the owner, superusers and `BYPASSRLS` roles).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub row_level_security: bool,
    /// `FORCE ROW LEVEL SECURITY`: the policies bind the table's owner too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_row_level_security: bool,
    /// Its row level security policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<super::policy::Policy>,
    /// `PARTITION BY RANGE (created_at)`: the strategy and key, as declared (live: as
    /// `pg_get_partkeydef` spells them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// Its partitions (only with `partition_by`), in the parent's schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<Partition>,
    /// Part of the fingerprint with the table (an empty list serialises to nothing, so digests of
    /// tables without triggers are unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<crate::kinds::trigger::Trigger>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl Table {
    /// Every SQL expression the table holds, each with where it is (for messages).
    pub fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        let mut out: Vec<(String, &SqlExpr)> = self
            .columns
            .iter()
            .filter_map(Column::default_expr)
            .collect();
        out.extend((self.columns.iter()).filter_map(|c| {
            let g = c.generated.as_ref()?;
            Some((format!("column {} generated", c.name), g))
        }));
        out.extend((self.checks.iter()).map(|c| (format!("check {}", c.name), &c.expr)));
        out.extend(self.indexes.iter().flat_map(Index::expressions));
        out
    }
}

impl Table {
    /// A table of this name with nothing in it.
    pub fn empty(name: QualName) -> Table {
        Table {
            name,
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            exclusions: Vec::new(),
            indexes: Vec::new(),
            comment: None,
            prevent_destroy: false,
            unlogged: false,
            with: StorageParams::default(),
            row_level_security: false,
            force_row_level_security: false,
            policies: Vec::new(),
            triggers: Vec::new(),
            partition_by: None,
            partitions: Vec::new(),
        }
    }
}

/// A partition of a partitioned table: `CREATE TABLE p PARTITION OF t FOR VALUES ...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub name: String,
    /// `FOR VALUES FROM (...) TO (...)`, `FOR VALUES IN (...)`, `FOR VALUES WITH (MODULUS m,
    /// REMAINDER r)` or `DEFAULT`, as declared (live: as `pg_get_expr(relpartbound)` spells it;
    /// the probe has the server spell the declared one).
    pub bound: String,
}

/// Whether two partition keys are the same: the same words, case aside where unquoted
/// (`range (created_at)` and `RANGE (created_at)`).
pub fn same_partition_key(a: &str, b: &str) -> bool {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let words = |s: &str| -> Option<Vec<String>> {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, s).tokenize().ok()?;
        Some(
            tokens
                .into_iter()
                .filter(|t| !matches!(t, Token::Whitespace(_)))
                .map(|t| match t {
                    Token::Word(w) if w.quote_style.is_none() => w.value.to_lowercase(),
                    Token::Word(w) => w.value,
                    t => t.to_string(),
                })
                .collect(),
        )
    };
    match (words(a), words(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The partitions of the managed schemas' partitioned tables, with their bounds.
pub const PARTITIONS: &str = "
SELECT pn.nspname, p.relname, c.relname, pg_get_expr(c.relpartbound, c.oid)
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid AND c.relispartition
JOIN pg_class p ON p.oid = i.inhparent AND p.relkind = 'p'
JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE pn.nspname = ANY($1)
ORDER BY 1, 2, 3";

/// The rows of [`PARTITIONS`] into the tables of `s`.
pub fn read_partitions(rows: &[Row], s: &mut Schema) {
    for r in rows {
        let parent = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        if let Some(t) = s.tables.get_mut(&parent) {
            t.partitions.push(Partition {
                name: r.get(2),
                bound: r.get(3),
            });
        }
    }
}

// ---- Catalog, diff, changes ----

/// The managed schemas' tables. The last column lists what a table has that the model does not
/// carry, spelled as in DDL.
pub const QUERY: &str = "
SELECT n.nspname, c.relname, dsc.description,
       array_remove(ARRAY[
         CASE WHEN c.relkind = 'r' AND am.amname <> 'heap' THEN 'USING ' || quote_ident(am.amname) END,
         CASE WHEN c.reltablespace <> 0 THEN 'TABLESPACE ' || quote_ident(ts.spcname) END,
         CASE c.relreplident WHEN 'n' THEN 'REPLICA IDENTITY NOTHING' WHEN 'f' THEN 'REPLICA IDENTITY FULL'
                             WHEN 'i' THEN 'REPLICA IDENTITY USING INDEX' END,
         (SELECT 'INHERITS (' || string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) || ')'
          FROM pg_inherits i WHERE i.inhrelid = c.oid),
         NULL
       ]::text[], NULL),
       c.relpersistence = 'u', COALESCE(c.reloptions, '{}'), c.relrowsecurity, c.relforcerowsecurity,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = c.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0
LEFT JOIN pg_am am ON am.oid = c.relam
LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)";

/// The rows of [`QUERY`] into `live`: empty tables, which their parts' readers fill.
pub fn read(rows: &[Row], live: &mut Live) {
    for r in rows {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let extra: Vec<String> = r.get(3);
        if !extra.is_empty() {
            live.not_carried.push(crate::model::NotCarried {
                object: format!("table {name}"),
                table: name.clone(),
                name: String::new(),
                live: extra.join(", "),
                modelled: "none of these (the model does not carry them)".into(),
            });
        }
        live.schema.tables.insert(
            name.clone(),
            Table {
                comment: r.get(2),
                unlogged: r.get(4),
                with: StorageParams::from_reloptions(&r.get::<_, Vec<String>>(5)),
                row_level_security: r.get(6),
                force_row_level_security: r.get(7),
                partition_by: r.get(8),
                ..Table::empty(name)
            },
        );
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TableChange {
    /// `CREATE TABLE t (...)` with its primary key, unique and check constraints, then its indexes
    CreateTable { def: Box<Table> },
    /// `DROP TABLE t` (only with `--prune`)
    DropTable { table: QualName },
    /// `renamed_from` on a table: `ALTER TABLE from RENAME TO to` (then `SET SCHEMA` when the
    /// schema differs), before everything else. Rows, indexes, constraints and the foreign keys
    /// of other tables that reference it follow.
    RenameTable { from: QualName, to: QualName },
    /// `COMMENT ON TABLE t IS ...`
    SetTableComment {
        table: QualName,
        comment: Option<String>,
    },
    /// `ALTER TABLE t SET UNLOGGED` / `SET LOGGED`: rewrites the table. `protected` when it has
    /// `prevent_destroy`.
    SetLogged {
        table: QualName,
        unlogged: bool,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        protected: bool,
    },
    /// `ALTER TABLE t ENABLE | DISABLE ROW LEVEL SECURITY` and/or `[NO] FORCE ROW LEVEL
    /// SECURITY`, for whichever of the two differs.
    SetRowSecurity {
        table: QualName,
        from: RowSecurity,
        to: RowSecurity,
    },
    /// The partition key differs: refused, as it cannot change in place (every row would have
    /// to move into a table built again).
    SetPartitionKey {
        table: QualName,
        from: Option<String>,
        to: Option<String>,
    },
    /// `CREATE TABLE p PARTITION OF t FOR VALUES ...`
    AddPartition {
        table: QualName,
        partition: Partition,
    },
    /// `ALTER TABLE t ATTACH PARTITION p FOR VALUES ...`: a declared partition that exists as a
    /// table of its own. `mismatch` says why PostgreSQL would not take it (refused): the
    /// columns, their types or the parent's checks differ.
    AttachPartition {
        table: QualName,
        partition: Partition,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mismatch: Option<String>,
        /// The parent has a default partition, which PostgreSQL scans too.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        default_partition: bool,
    },
    /// `ALTER TABLE t DETACH PARTITION p`: a partition the declaration now declares as a table
    /// of its own. Its rows stay in it (and leave the parent's queries); what it then is, is
    /// compared with its declaration on the next plan.
    DetachPartition {
        table: QualName,
        partition: Partition,
    },
    /// A declared table that is a partition of a table the declaration does not manage:
    /// refused (detaching it is the parent's business).
    PartitionOfUnmanaged { table: QualName, parent: QualName },
    /// `DROP TABLE p`: a partition not declared (its rows go with it), or whose bounds change
    /// (`because`; refused, as its rows would have to move).
    DropPartition {
        table: QualName,
        partition: Partition,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        because: Option<String>,
    },
    /// `ALTER TABLE t SET (k = v, ...)` for parameters set or changed, `RESET (k, ...)` for
    /// those removed. Applies to what is written from then on; no rewrite.
    SetStorage {
        table: QualName,
        from: StorageParams,
        to: StorageParams,
    },
}

/// Declared tables: created (their foreign keys added once every table exists), or compared
/// part by part.
pub fn diff(desired: &Schema, live: &Schema, out: &mut Diff) {
    let partition_of = live_partitions(live);
    for (name, t) in &desired.tables {
        if let Some(parent) = partition_of.get(name).copied() {
            // Detached by its parent's diff when the parent is declared without it.
            if !desired.tables.contains_key(parent) {
                out.changes.push(
                    TableChange::PartitionOfUnmanaged {
                        table: name.clone(),
                        parent: parent.clone(),
                    }
                    .into(),
                );
            }
            continue;
        }
        let Some(l) = live.tables.get(name) else {
            out.changes.push(
                TableChange::CreateTable {
                    def: Box::new(t.clone()),
                }
                .into(),
            );
            super::policy::create_all(&mut out.changes, t, live);
            super::trigger::create_all(&mut out.changes, name, &t.triggers);
            for fk in &t.foreign_keys {
                out.changes.push(
                    ConstraintChange::AddConstraint {
                        table: name.clone(),
                        constraint: Constraint::ForeignKey(fk.clone()),
                    }
                    .into(),
                );
            }
            continue;
        };
        let before = out.changes.len();
        let none = Default::default();
        let upgrades = desired.upgrades.get(name).unwrap_or(&none);
        super::column::diff(&mut out.changes, t, l, upgrades);
        if t.comment != l.comment {
            out.changes.push(
                TableChange::SetTableComment {
                    table: name.clone(),
                    comment: t.comment.clone(),
                }
                .into(),
            );
        }
        if t.unlogged != l.unlogged {
            out.changes.push(
                TableChange::SetLogged {
                    table: name.clone(),
                    unlogged: t.unlogged,
                    protected: t.prevent_destroy,
                }
                .into(),
            );
        }
        partitions(&mut out.changes, (t, l), (desired, live));
        let (want, have) = (RowSecurity::of(t), RowSecurity::of(l));
        if want != have {
            out.changes.push(
                TableChange::SetRowSecurity {
                    table: name.clone(),
                    from: have,
                    to: want,
                }
                .into(),
            );
        }
        if !t.with.same_as(&l.with) {
            out.changes.push(
                TableChange::SetStorage {
                    table: name.clone(),
                    from: l.with.clone(),
                    to: t.with.clone(),
                }
                .into(),
            );
        }
        super::constraint::diff(&mut out.changes, t, l);
        super::index::diff(&mut out.changes, name, &t.indexes, &l.indexes);
        super::policy::diff(&mut out.changes, t, l, live);
        super::policy::rebuild_around_columns(&mut out.changes, t, l, live);
        super::column::rebuild_for_generated(&mut out.changes, t, l);
        super::trigger::diff(&mut out.changes, name, &t.triggers, &l.triggers);
        if out.changes.len() == before {
            out.unchanged.push((ObjectKind::Table, name.clone()));
        }
    }
}

/// Every live partition, with the table it is a partition of (built once per diff: looking each
/// declared table up in every live table's partitions would be quadratic).
fn live_partitions(live: &Schema) -> BTreeMap<QualName, &QualName> {
    (live.tables.values())
        .flat_map(|t| {
            (t.partitions.iter()).map(move |p| {
                (
                    QualName::new(t.name.schema.clone(), p.name.clone()),
                    &t.name,
                )
            })
        })
        .collect()
}

/// The names of the tables the declaration lists as partitions (existing tables among them are
/// attached, not unmanaged).
fn declared_partitions(desired: &Schema) -> BTreeSet<QualName> {
    (desired.tables.values())
        .flat_map(|t| {
            (t.partitions.iter()).map(|p| QualName::new(t.name.schema.clone(), p.name.clone()))
        })
        .collect()
}

/// Why PostgreSQL would refuse to attach `table` to `parent` (as they are before the plan): a
/// partition has exactly its parent's columns, of the same types and collations, NOT NULL where
/// the parent's are, and the parent's (inherited) checks.
fn attach_mismatch(parent: &Table, table: &Table) -> Option<String> {
    let mut why = Vec::new();
    for c in &parent.columns {
        match table.columns.iter().find(|k| k.name == c.name) {
            None => why.push(format!("it has no column {}", quote_ident(&c.name))),
            Some(k) if k.ty != c.ty || k.collation != c.collation => why.push(format!(
                "column {} is {} where {} has {}",
                quote_ident(&c.name),
                k.ty,
                parent.name,
                c.ty
            )),
            Some(k) if k.nullable && !c.nullable => why.push(format!(
                "column {} allows NULL where {} has NOT NULL",
                quote_ident(&c.name),
                parent.name
            )),
            Some(_) => {}
        }
    }
    for k in (table.columns.iter()).filter(|k| !parent.columns.iter().any(|c| c.name == k.name)) {
        why.push(format!(
            "it has column {}, which {} has not",
            quote_ident(&k.name),
            parent.name
        ));
    }
    for c in parent.checks.iter().filter(|c| !c.no_inherit) {
        if !(table.checks.iter()).any(|k| k.name == c.name && k.expr.sql == c.expr.sql) {
            why.push(format!(
                "it lacks {}'s check {} ({})",
                parent.name,
                quote_ident(&c.name),
                c.expr.sql
            ));
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// The partition key and partitions of a declared table that exists: partitions added (created,
/// or attached when a table of that name exists), dropped, or detached when the declaration now
/// has them as tables of their own.
fn partitions(
    out: &mut Vec<super::Change>,
    (t, l): (&Table, &Table),
    (desired, live): (&Schema, &Schema),
) {
    let same_key = match (&t.partition_by, &l.partition_by) {
        (Some(a), Some(b)) => same_partition_key(a, b),
        (a, b) => a.is_none() && b.is_none(),
    };
    if !same_key {
        out.push(
            TableChange::SetPartitionKey {
                table: t.name.clone(),
                from: l.partition_by.clone(),
                to: t.partition_by.clone(),
            }
            .into(),
        );
        return;
    }
    for p in &t.partitions {
        let existing = QualName::new(t.name.schema.clone(), p.name.clone());
        match l.partitions.iter().find(|h| h.name == p.name) {
            None => match live.tables.get(&existing) {
                Some(standalone) => out.push(
                    TableChange::AttachPartition {
                        table: t.name.clone(),
                        partition: p.clone(),
                        mismatch: attach_mismatch(l, standalone),
                        default_partition: l.partitions.iter().any(|h| h.bound == "DEFAULT"),
                    }
                    .into(),
                ),
                None => out.push(
                    TableChange::AddPartition {
                        table: t.name.clone(),
                        partition: p.clone(),
                    }
                    .into(),
                ),
            },
            Some(h) if h.bound != p.bound => out.push(
                TableChange::DropPartition {
                    table: t.name.clone(),
                    partition: h.clone(),
                    because: Some(format!("its bounds change to {}", p.bound)),
                }
                .into(),
            ),
            Some(_) => {}
        }
    }
    for h in (l.partitions.iter()).filter(|h| !t.partitions.iter().any(|p| p.name == h.name)) {
        if desired
            .tables
            .contains_key(&QualName::new(t.name.schema.clone(), h.name.clone()))
        {
            out.push(
                TableChange::DetachPartition {
                    table: t.name.clone(),
                    partition: h.clone(),
                }
                .into(),
            );
            continue;
        }
        out.push(
            TableChange::DropPartition {
                table: t.name.clone(),
                partition: h.clone(),
                because: None,
            }
            .into(),
        );
    }
}

/// Live tables the declaration does not mention: a migration tool's bookkeeping is reported as
/// that tool's and never dropped (declared, it is managed like any other table); the others are
/// unmanaged, or dropped with `--prune`.
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    let attached = declared_partitions(desired);
    for name in
        (live.tables.keys()).filter(|n| !desired.tables.contains_key(*n) && !attached.contains(*n))
    {
        let owned_by = bookkeeping_tool(&name.name);
        if prune && owned_by.is_none() {
            out.changes.push(
                TableChange::DropTable {
                    table: name.clone(),
                }
                .into(),
            );
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::Table,
                name: name.clone(),
                kept: None,
                owned_by: owned_by.map(str::to_string),
            });
        }
    }
}

/// `CREATE TABLE` with its columns, primary key, unique and (valid) check constraints inline,
/// then its `NOT VALID` checks, indexes and comments.
fn create(t: &Table) -> Vec<(Phase, String)> {
    use super::constraint::{constraint_comment, constraint_def};
    let mut lines: Vec<String> = t.columns.iter().map(super::column::column_def).collect();
    let inline = t
        .primary_key
        .clone()
        .map(Constraint::PrimaryKey)
        .into_iter()
        .chain(t.uniques.iter().cloned().map(Constraint::Unique))
        .chain(t.exclusions.iter().cloned().map(Constraint::Exclusion))
        // CREATE TABLE ignores NOT VALID (the table is empty): such a check is added after it.
        .chain(
            t.checks
                .iter()
                .filter(|c| c.valid)
                .cloned()
                .map(Constraint::Check),
        );
    let inline: Vec<Constraint> = inline.collect();
    lines.extend(inline.iter().map(constraint_def));
    // A table without columns (nor constraints) is `CREATE TABLE t ()`.
    let body = if lines.is_empty() {
        String::new()
    } else {
        format!("\n    {}\n", lines.join(",\n    "))
    };
    let partitioned = t
        .partition_by
        .as_ref()
        .map_or(String::new(), |k| format!(" PARTITION BY {k}"));
    let mut out = vec![(
        Phase::CreateTables,
        format!(
            "CREATE {}TABLE {} ({body}){partitioned}{}",
            if t.unlogged { "UNLOGGED " } else { "" },
            t.name.sql(),
            t.with.sql()
        ),
    )];
    for p in &t.partitions {
        out.push((Phase::CreateTables, add_partition(&t.name, p)));
    }
    if t.row_level_security {
        out.push((
            Phase::CreateTables,
            format!("{} ENABLE ROW LEVEL SECURITY", alter(&t.name)),
        ));
    }
    if t.force_row_level_security {
        out.push((
            Phase::CreateTables,
            format!("{} FORCE ROW LEVEL SECURITY", alter(&t.name)),
        ));
    }
    for c in t.checks.iter().filter(|c| !c.valid) {
        let c = Constraint::Check(c.clone());
        out.push((
            Phase::Constraints,
            format!("{} ADD {}", alter(&t.name), constraint_def(&c)),
        ));
        out.extend(constraint_comment(&t.name, &c));
    }
    for c in &inline {
        out.extend(constraint_comment(&t.name, c));
    }
    for i in &t.indexes {
        out.push((Phase::Constraints, super::index::create_index(&t.name, i)));
        out.extend(super::index::index_comment(&t.name, i, Phase::Comments));
    }
    if t.comment.is_some() {
        out.push((
            Phase::Comments,
            comment(format!("TABLE {}", t.name.sql()), &t.comment),
        ));
    }
    for c in t.columns.iter().filter(|c| c.comment.is_some()) {
        let target = format!("COLUMN {}.{}", t.name.sql(), quote_ident(&c.name));
        out.push((Phase::Comments, comment(target, &c.comment)));
    }
    out
}

/// `CREATE TABLE p PARTITION OF t FOR VALUES ...` (or `DEFAULT`).
fn add_partition(table: &QualName, p: &Partition) -> String {
    format!(
        "CREATE TABLE {} PARTITION OF {} {}",
        QualName::new(table.schema.clone(), p.name.clone()).sql(),
        table.sql(),
        p.bound
    )
}

/// Whether a table's rows are guarded by its policies, and whether its owner is too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowSecurity {
    pub enabled: bool,
    pub forced: bool,
}

impl RowSecurity {
    fn of(t: &Table) -> Self {
        RowSecurity {
            enabled: t.row_level_security,
            forced: t.force_row_level_security,
        }
    }

    fn describe(self) -> &'static str {
        match (self.enabled, self.forced) {
            (false, false) => "off",
            (true, false) => "enabled",
            (true, true) => "enabled and forced",
            (false, true) => "forced (not enabled)",
        }
    }
}

/// `SET (...)` for the parameters `to` sets or changes, then `RESET (...)` for those it drops.
fn storage(table: &QualName, from: &StorageParams, to: &StorageParams) -> Vec<(Phase, String)> {
    let mut out = Vec::new();
    let changed: std::collections::BTreeMap<String, String> = (to.0.iter())
        .filter(|(k, v)| {
            !from.0.get(*k).is_some_and(|f| {
                StorageParams([((*k).clone(), f.clone())].into())
                    .same_as(&StorageParams([((*k).clone(), (*v).clone())].into()))
            })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !changed.is_empty() {
        // ` WITH (a = 1, ...)`, whose list is what `SET` takes.
        let list = StorageParams(changed).sql();
        let list = list.trim_start().trim_start_matches("WITH ");
        out.push((Phase::AlterColumns, format!("{} SET {list}", alter(table))));
    }
    let gone: Vec<String> = (from.0.keys())
        .filter(|k| !to.0.contains_key(*k))
        .map(|k| quote_ident(k))
        .collect();
    if !gone.is_empty() {
        out.push((
            Phase::AlterColumns,
            format!("{} RESET ({})", alter(table), gone.join(", ")),
        ));
    }
    out
}

/// "create table: 3 columns, primary key (id), 1 foreign key, 2 indexes".
fn create_summary(def: &Table) -> String {
    let cols = def.columns.len();
    let mut parts = vec![format!("{cols} column{}", if cols == 1 { "" } else { "s" })];
    if let Some(pk) = &def.primary_key {
        parts.push(format!("primary key ({})", pk.columns.join(", ")));
    }
    let n = |k: usize, what: &str| match (k, what) {
        (1, _) => format!("1 {what}"),
        (_, "index") => format!("{k} indexes"),
        _ => format!("{k} {what}s"),
    };
    if !def.uniques.is_empty() {
        parts.push(n(def.uniques.len(), "unique constraint"));
    }
    if !def.foreign_keys.is_empty() {
        parts.push(n(def.foreign_keys.len(), "foreign key"));
    }
    if !def.checks.is_empty() {
        parts.push(n(def.checks.len(), "check"));
    }
    if !def.indexes.is_empty() {
        parts.push(n(def.indexes.len(), "index"));
    }
    format!("create table: {}", parts.join(", "))
}

impl KindChange for TableChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let name = match self {
            TableChange::CreateTable { def } => &def.name,
            TableChange::RenameTable { to, .. } => to,
            TableChange::DropTable { table }
            | TableChange::SetTableComment { table, .. }
            | TableChange::SetLogged { table, .. }
            | TableChange::SetRowSecurity { table, .. }
            | TableChange::SetPartitionKey { table, .. }
            | TableChange::AddPartition { table, .. }
            | TableChange::AttachPartition { table, .. }
            | TableChange::DetachPartition { table, .. }
            | TableChange::PartitionOfUnmanaged { table, .. }
            | TableChange::DropPartition { table, .. }
            | TableChange::SetStorage { table, .. } => table,
        };
        (ObjectKind::Table, name.clone())
    }

    fn questions(&self) -> Vec<Question> {
        match self {
            TableChange::DropTable { table } | TableChange::SetLogged { table, .. } => {
                vec![Question::Rows(table.clone())]
            }
            TableChange::DropPartition {
                table, partition, ..
            }
            | TableChange::AttachPartition {
                table, partition, ..
            }
            | TableChange::DetachPartition { table, partition } => vec![Question::Rows(
                QualName::new(table.schema.clone(), partition.name.clone()),
            )],
            _ => Vec::new(),
        }
    }

    fn judge(&self, facts: &Facts, opts: &Options) -> Verdict {
        match self {
            TableChange::CreateTable { .. } => Verdict::Create,
            TableChange::DropTable { table } => {
                match facts
                    .get(&Question::Rows(table.clone()))
                    .copied()
                    .unwrap_or(u64::MAX)
                {
                    0 => Verdict::note("the table is empty"),
                    n if opts.allow_destructive => {
                        Verdict::note(format!("drops {}", count(n, "row")))
                    }
                    n => Verdict::refuse(format!(
                        "dropping {table} would delete {}; pass --allow-destructive to allow it",
                        count(n, "row")
                    )),
                }
            }
            TableChange::RenameTable { from, .. } => Verdict::note(format!(
                "renamed_from: its rows, indexes, constraints and the foreign keys that reference it follow; whatever still says {from} (views, functions, the application) must change with it"
            )),
            TableChange::SetLogged {
                table,
                protected: true,
                ..
            } => Verdict::refuse(format!(
                "{table} has prevent_destroy: changing whether it is logged would rewrite it"
            )),
            TableChange::SetLogged {
                table, unlogged, ..
            } => {
                let n = facts
                    .get(&Question::Rows(table.clone()))
                    .copied()
                    .unwrap_or(u64::MAX)
                    .min(crate::diff::verdict::FACT_CAP + 1);
                let what = if *unlogged {
                    "; an unlogged table is emptied after a crash and not replicated"
                } else {
                    ", and writes it all to the write-ahead log"
                };
                Verdict::note(format!(
                    "rewrites the table ({}) under an ACCESS EXCLUSIVE lock{what}",
                    count(n, "row")
                ))
            }
            TableChange::SetRowSecurity { from, to, .. } => match (from.enabled, to.enabled) {
                (false, true) => Verdict::note(
                    "from now on only its policies let roles other than the owner (and superusers, BYPASSRLS roles) see or change rows: with no policy for a role, that role sees none",
                ),
                (true, false) => Verdict::note(
                    "its policies stop applying: every role with privileges on it sees and changes every row",
                ),
                _ => Verdict::change(),
            },
            TableChange::SetPartitionKey { from, to, .. } => Verdict::refuse(format!(
                "the partition key cannot change in place ({} -> {}): the table would be built again and every row moved; do it by hand",
                from.as_deref().unwrap_or("not partitioned"),
                to.as_deref().unwrap_or("not partitioned")
            )),
            TableChange::AddPartition { .. } => Verdict::change(),
            TableChange::AttachPartition {
                partition,
                mismatch: Some(why),
                ..
            } => Verdict::refuse(format!(
                "table {} cannot become a partition of {} as it is: {why}; make it match (or declare it as a table of its own) first",
                quote_ident(&partition.name),
                self.object().1
            )),
            TableChange::AttachPartition {
                table,
                partition,
                default_partition,
                ..
            } => {
                let q = Question::Rows(QualName::new(table.schema.clone(), partition.name.clone()));
                let n = (facts.get(&q).copied().unwrap_or(u64::MAX))
                    .min(crate::diff::verdict::FACT_CAP + 1);
                let default = match default_partition {
                    true => ", and scans the default partition for rows that now belong to it",
                    false => "",
                };
                Verdict::note(format!(
                    "attaches the existing table with its {}: PostgreSQL reads them all to check they fit the bound{default}, holding an ACCESS EXCLUSIVE lock on it and SHARE UPDATE EXCLUSIVE on {table} (a valid CHECK constraint that implies the bound spares the scan); its indexes that match the parent's are attached, the others stay on it",
                    count(n, "row")
                ))
            }
            TableChange::DetachPartition {
                table, partition, ..
            } => {
                let q = Question::Rows(QualName::new(table.schema.clone(), partition.name.clone()));
                let n = (facts.get(&q).copied().unwrap_or(u64::MAX))
                    .min(crate::diff::verdict::FACT_CAP + 1);
                Verdict::note(format!(
                    "{} stays in {} and no longer shows in queries on {table}; takes an ACCESS EXCLUSIVE lock on {table}; {} is compared with its own declaration on the next plan",
                    count(n, "row"),
                    quote_ident(&partition.name),
                    quote_ident(&partition.name)
                ))
            }
            TableChange::PartitionOfUnmanaged { table, parent } => Verdict::refuse(format!(
                "{table} is a partition of {parent}, which the declaration does not manage: declare {parent} (without this partition) to detach it"
            )),
            TableChange::DropPartition {
                because: Some(why),
                partition,
                ..
            } => Verdict::refuse(format!(
                "partition {} cannot change its bounds in place ({why}): its rows would have to move; detach and move them by hand",
                quote_ident(&partition.name)
            )),
            TableChange::DropPartition {
                table, partition, ..
            } => {
                let q = Question::Rows(QualName::new(table.schema.clone(), partition.name.clone()));
                match facts.get(&q).copied().unwrap_or(u64::MAX) {
                    0 => Verdict::note("the partition is empty"),
                    n if opts.allow_destructive => {
                        Verdict::note(format!("drops the partition's {}", count(n, "row")))
                    }
                    n => Verdict::refuse(format!(
                        "dropping partition {} would delete {}; pass --allow-destructive to allow it",
                        quote_ident(&partition.name),
                        count(n, "row")
                    )),
                }
            }
            TableChange::SetTableComment { .. } | TableChange::SetStorage { .. } => {
                Verdict::change()
            }
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            TableChange::CreateTable { def } => create(def),
            TableChange::DropTable { table } => {
                one(Phase::DropTables, format!("DROP TABLE {}", table.sql()))
            }
            TableChange::RenameTable { from, to } => {
                let mut out = vec![(
                    Phase::Renames,
                    format!("{} RENAME TO {}", alter(from), quote_ident(&to.name)),
                )];
                if from.schema != to.schema {
                    // The schema may be new: renames run before `CREATE SCHEMA`.
                    out.push((
                        Phase::Renames,
                        format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(&to.schema)),
                    ));
                    out.push((
                        Phase::Renames,
                        format!(
                            "{} SET SCHEMA {}",
                            alter(&QualName::new(from.schema.clone(), to.name.clone())),
                            quote_ident(&to.schema)
                        ),
                    ));
                }
                out
            }
            TableChange::SetTableComment {
                table,
                comment: text,
            } => one(
                Phase::Comments,
                comment(format!("TABLE {}", table.sql()), text),
            ),
            TableChange::SetLogged {
                table, unlogged, ..
            } => one(
                Phase::AlterColumns,
                format!(
                    "{} SET {}",
                    alter(table),
                    if *unlogged { "UNLOGGED" } else { "LOGGED" }
                ),
            ),
            TableChange::SetStorage { table, from, to } => storage(table, from, to),
            // Refused: never runs.
            TableChange::SetPartitionKey { .. } => Vec::new(),
            TableChange::AddPartition { table, partition } => {
                one(Phase::CreateTables, add_partition(table, partition))
            }
            // Before the parent's columns and constraints change, so that changes to the
            // parent reach an attached table as they reach its other partitions, and never a
            // detached one.
            TableChange::AttachPartition {
                table,
                partition,
                mismatch: None,
                ..
            } => one(
                Phase::CreateTables,
                format!(
                    "{} ATTACH PARTITION {} {}",
                    alter(table),
                    QualName::new(table.schema.clone(), partition.name.clone()).sql(),
                    partition.bound
                ),
            ),
            TableChange::DetachPartition { table, partition } => one(
                Phase::DropForeignKeys,
                format!(
                    "{} DETACH PARTITION {}",
                    alter(table),
                    QualName::new(table.schema.clone(), partition.name.clone()).sql()
                ),
            ),
            // Refused: never run.
            TableChange::AttachPartition { .. } | TableChange::PartitionOfUnmanaged { .. } => {
                Vec::new()
            }
            TableChange::DropPartition {
                table, partition, ..
            } => one(
                Phase::DropTables,
                format!(
                    "DROP TABLE {}",
                    QualName::new(table.schema.clone(), partition.name.clone()).sql()
                ),
            ),
            TableChange::SetRowSecurity { table, from, to } => {
                let mut out = Vec::new();
                if from.enabled != to.enabled {
                    let what = if to.enabled { "ENABLE" } else { "DISABLE" };
                    out.push((
                        Phase::AlterColumns,
                        format!("{} {what} ROW LEVEL SECURITY", alter(table)),
                    ));
                }
                if from.forced != to.forced {
                    let what = if to.forced { "FORCE" } else { "NO FORCE" };
                    out.push((
                        Phase::AlterColumns,
                        format!("{} {what} ROW LEVEL SECURITY", alter(table)),
                    ));
                }
                out
            }
        }
    }

    fn summary(&self) -> String {
        match self {
            TableChange::CreateTable { def } => create_summary(def),
            TableChange::DropTable { .. } => "drop table".into(),
            TableChange::RenameTable { from, to } => {
                format!("rename table {from} to {to} (renamed_from)")
            }
            TableChange::SetTableComment { comment, .. } => match comment {
                Some(_) => "set table comment".into(),
                None => "remove table comment".into(),
            },
            TableChange::SetRowSecurity { from, to, .. } => {
                format!(
                    "row level security: {} -> {}",
                    from.describe(),
                    to.describe()
                )
            }
            TableChange::SetPartitionKey { from, to, .. } => format!(
                "partition key: {} -> {}",
                from.as_deref().unwrap_or("none"),
                to.as_deref().unwrap_or("none")
            ),
            TableChange::AddPartition { partition, .. } => format!(
                "add partition {} {}",
                quote_ident(&partition.name),
                partition.bound
            ),
            TableChange::AttachPartition { partition, .. } => format!(
                "attach table {} as partition {}",
                quote_ident(&partition.name),
                partition.bound
            ),
            TableChange::DetachPartition { partition, .. } => format!(
                "detach partition {} {} (declared as a table of its own)",
                quote_ident(&partition.name),
                partition.bound
            ),
            TableChange::PartitionOfUnmanaged { parent, .. } => {
                format!("is a partition of {parent} (not managed)")
            }
            TableChange::DropPartition {
                partition, because, ..
            } => format!(
                "drop partition {} {} ({})",
                quote_ident(&partition.name),
                partition.bound,
                because.as_deref().unwrap_or("not declared")
            ),
            TableChange::SetLogged { unlogged: true, .. } => "set UNLOGGED".into(),
            TableChange::SetLogged { .. } => "set LOGGED".into(),
            TableChange::SetStorage { from, to, .. } => {
                let show = |w: &StorageParams| match w.is_empty() {
                    true => "none".to_string(),
                    false => w.describe(),
                };
                format!("storage parameters: {} -> {}", show(from), show(to))
            }
        }
    }

    fn drift(&self) -> Option<String> {
        matches!(self, TableChange::CreateTable { .. })
            .then(|| "declared but missing from the database".to_string())
    }

    fn sign(&self) -> Sign {
        match self {
            TableChange::CreateTable { .. } | TableChange::AddPartition { .. } => Sign::Add,
            TableChange::DropTable { .. } | TableChange::DropPartition { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        match self {
            TableChange::CreateTable { def } => def.expressions(),
            _ => Vec::new(),
        }
    }

    fn contended(&self, _created: &std::collections::BTreeSet<&QualName>) -> bool {
        !matches!(self, TableChange::CreateTable { .. })
    }
}
