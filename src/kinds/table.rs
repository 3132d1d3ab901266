//! Tables as a whole: created with their columns, keys, checks and indexes; renamed
//! (`renamed_from`); their comment; dropped with `--prune` (never a migration tool's bookkeeping).
//! What is inside an existing table is compared by its parts' kinds: [`super::column`],
//! [`super::constraint`], [`super::index`].

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
    Check, Column, ForeignKey, Index, PrimaryKey, QualName, Schema, SqlExpr, Unique,
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
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    /// Declared only: never drop or rewrite this table or its columns.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
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
        out.extend((self.checks.iter()).map(|c| (format!("check {}", c.name), &c.expr)));
        out.extend(self.indexes.iter().flat_map(Index::expressions));
        out
    }
}

// ---- Catalog, diff, changes ----

/// The managed schemas' tables. The last column lists what a table has that the model does not
/// carry, spelled as in DDL.
pub const QUERY: &str = "
SELECT n.nspname, c.relname, obj_description(c.oid, 'pg_class'),
       array_remove(ARRAY[
         CASE WHEN c.relpersistence = 'u' THEN 'UNLOGGED' END,
         CASE WHEN c.reloptions IS NOT NULL THEN 'WITH (' || array_to_string(c.reloptions, ', ') || ')' END,
         CASE WHEN c.relkind = 'r' AND am.amname <> 'heap' THEN 'USING ' || quote_ident(am.amname) END,
         CASE WHEN c.reltablespace <> 0 THEN 'TABLESPACE ' || quote_ident(ts.spcname) END,
         CASE WHEN c.relrowsecurity THEN 'ENABLE ROW LEVEL SECURITY' END,
         CASE WHEN c.relforcerowsecurity THEN 'FORCE ROW LEVEL SECURITY' END,
         CASE c.relreplident WHEN 'n' THEN 'REPLICA IDENTITY NOTHING' WHEN 'f' THEN 'REPLICA IDENTITY FULL'
                             WHEN 'i' THEN 'REPLICA IDENTITY USING INDEX' END,
         (SELECT 'INHERITS (' || string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) || ')'
          FROM pg_inherits i WHERE i.inhrelid = c.oid),
         CASE WHEN c.relkind = 'p' THEN 'PARTITION BY ' || pg_get_partkeydef(c.oid) END
       ]::text[], NULL)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
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
                name,
                columns: Vec::new(),
                primary_key: None,
                uniques: Vec::new(),
                foreign_keys: Vec::new(),
                checks: Vec::new(),
                indexes: Vec::new(),
                comment: r.get(2),
                prevent_destroy: false,
                triggers: Vec::new(),
            },
        );
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TableChange {
    /// `CREATE TABLE t (...)` with its primary key, unique and check constraints, then its indexes
    CreateTable { def: Table },
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
}

/// Declared tables: created (their foreign keys added once every table exists), or compared
/// part by part.
pub fn diff(desired: &Schema, live: &Schema, out: &mut Diff) {
    for (name, t) in &desired.tables {
        let Some(l) = live.tables.get(name) else {
            out.changes
                .push(TableChange::CreateTable { def: t.clone() }.into());
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
        super::constraint::diff(&mut out.changes, t, l);
        super::index::diff(&mut out.changes, name, &t.indexes, &l.indexes);
        super::trigger::diff(&mut out.changes, name, &t.triggers, &l.triggers);
        if out.changes.len() == before {
            out.unchanged.push((ObjectKind::Table, name.clone()));
        }
    }
}

/// Live tables the declaration does not mention: a migration tool's bookkeeping is reported as
/// that tool's and never dropped (declared, it is managed like any other table); the others are
/// unmanaged, or dropped with `--prune`.
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for name in (live.tables.keys()).filter(|n| !desired.tables.contains_key(*n)) {
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
    let mut out = vec![(
        Phase::CreateTables,
        format!("CREATE TABLE {} ({body})", t.name.sql()),
    )];
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
            TableChange::DropTable { table } | TableChange::SetTableComment { table, .. } => table,
        };
        (ObjectKind::Table, name.clone())
    }

    fn questions(&self) -> Vec<Question> {
        match self {
            TableChange::DropTable { table } => vec![Question::Rows(table.clone())],
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
            TableChange::SetTableComment { .. } => Verdict::change(),
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
        }
    }

    fn drift(&self) -> Option<String> {
        matches!(self, TableChange::CreateTable { .. })
            .then(|| "declared but missing from the database".to_string())
    }

    fn sign(&self) -> Sign {
        match self {
            TableChange::CreateTable { .. } => Sign::Add,
            TableChange::DropTable { .. } => Sign::Remove,
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
