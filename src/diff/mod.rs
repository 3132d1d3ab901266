//! Model x model -> typed changes.
//!
//! [`diff`] compares the desired schema with the live one and lists every difference as a
//! [`Change`]; it decides nothing about safety. Whether a change may run is [`verdict::judge`]'s
//! business, which may need facts about the data ("does this table have rows?"): [`Diff::questions`]
//! lists them, the caller answers them from the database, and the verdicts are pure functions of
//! the changes, the answers and the options. Nothing here does I/O.

pub mod rename;
pub mod verdict;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{
    Check, Column, ColumnDefault, ColumnUpgrade, DataType, EnumType, ForeignKey, Identity, Index,
    IndexPart, PrimaryKey, QualName, Schema, Sequence, SequenceOptions, Table, Unique,
};

pub use verdict::{Facts, Options, Verdict, judge};

/// One difference between the declaration and the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// `CREATE SCHEMA s`
    CreateSchema { schema: String },
    /// `CREATE TYPE t AS ENUM (...)`
    CreateEnum { def: EnumType },
    /// `ALTER TYPE t ADD VALUE 'v' BEFORE 'w'` (or at the end)
    AddEnumValue {
        name: QualName,
        value: String,
        before: Option<String>,
    },
    /// Values removed or reordered: no statement can do that in place. With
    /// `--allow-destructive` the type is recreated: `ALTER TYPE t RENAME TO t__old`,
    /// `CREATE TYPE t AS ENUM (...)`, every column using it converted through its text, then
    /// `DROP TYPE t__old` once no column (not even one dropped by this plan) uses it.
    ReshapeEnum {
        name: QualName,
        from: Vec<String>,
        to: Vec<String>,
        /// The columns converted to the new type.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        uses: Vec<EnumUse>,
        /// The declared comment, set again on the new type.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `CREATE TABLE t (...)` with its primary key, unique and check constraints, then its indexes
    CreateTable { def: Table },
    /// `DROP TABLE t` (only with `--prune`)
    DropTable { table: QualName },
    /// `ALTER TABLE t ADD COLUMN c ...`. With a `backfill` (a NOT NULL column without a
    /// default, added to a table with rows): added nullable, filled with
    /// `UPDATE t SET c = <backfill> WHERE c IS NULL`, then `SET NOT NULL`.
    AddColumn {
        table: QualName,
        column: Column,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backfill: Option<crate::model::SqlExpr>,
    },
    /// `ALTER TABLE t DROP COLUMN c`; `protected` when the table has `prevent_destroy`.
    DropColumn {
        table: QualName,
        column: String,
        #[serde(default)]
        protected: bool,
    },
    /// `ALTER TABLE t ALTER COLUMN c TYPE new`; `protected` when the table has `prevent_destroy`.
    ///
    /// A column with a default gets `DROP DEFAULT` first (PostgreSQL cannot always cast it:
    /// `text` to an enum) and the declared default set again afterwards, in its final spelling
    /// for the new type.
    AlterType {
        table: QualName,
        column: String,
        from: DataType,
        to: DataType,
        #[serde(default)]
        protected: bool,
        /// The live column has an expression default, dropped before the type changes.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        drops_default: bool,
        /// The declared default, set after the type changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sets_default: Option<crate::model::SqlExpr>,
        /// The column's declared collation, which the new type keeps (`ALTER ... TYPE` without
        /// `COLLATE` would give the column the new type's default).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<String>,
        /// A serial column's own sequence, whose `AS` type follows the column's
        /// (`serial` <-> `bigserial` / `smallserial`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        serial_sequence: Option<QualName>,
        /// The declared conversion (`using`): `TYPE new USING <expr>`, in place of the
        /// built-in cast.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        using: Option<crate::model::SqlExpr>,
    },
    /// `ALTER TABLE t ALTER COLUMN c TYPE ty COLLATE x` (same type, other collation; `None` is
    /// the type's default)
    SetCollation {
        table: QualName,
        column: String,
        #[serde(rename = "type")]
        ty: DataType,
        from: Option<String>,
        to: Option<String>,
    },
    /// `ALTER TABLE t ALTER COLUMN c ADD GENERATED ... AS IDENTITY` / `SET GENERATED ...` /
    /// `DROP IDENTITY`
    SetIdentity {
        table: QualName,
        column: String,
        from: Option<Identity>,
        to: Option<Identity>,
        /// When adding an identity: its sequence options that differ from the defaults.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<String>,
        /// When adding an identity to a table with rows: its sequence is then set past the
        /// column's largest value, read once the table is locked.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        past_max: bool,
    },
    /// `ALTER TABLE t ALTER COLUMN c SET START WITH ... SET INCREMENT BY ...` (identity sequence)
    AlterIdentity {
        table: QualName,
        column: String,
        from: SequenceOptions,
        to: SequenceOptions,
        /// The sequence's current value, when the new bounds exclude it: it `RESTART`s.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restart: Option<i64>,
    },
    /// `CREATE SEQUENCE s AS t INCREMENT BY ... CACHE ... [NO] CYCLE`
    CreateSequence { def: Sequence },
    /// `ALTER SEQUENCE s ...` with every option (its current value is left alone), and
    /// `OWNED BY` when the owner differs
    AlterSequence {
        from: Box<Sequence>,
        to: Box<Sequence>,
        /// The current value, when the new bounds exclude it: the sequence is restarted
        /// (`RESTART`, at its start), as PostgreSQL refuses bounds that exclude it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restart: Option<i64>,
    },
    /// `DROP SEQUENCE s` (only with `--prune`)
    DropSequence { name: QualName },
    /// `DROP TYPE t` (only with `--prune`)
    DropEnum { name: QualName },
    /// `DROP SCHEMA s` (only with `--prune`, for a managed schema that declares nothing)
    DropSchema { schema: String },
    /// `ALTER TABLE t ALTER COLUMN c SET DEFAULT e` / `DROP DEFAULT`. A column that becomes
    /// serial gets its sequence first (`CREATE SEQUENCE s AS type OWNED BY t.c`), then
    /// `nextval('s')` as its default; a serial column that stops being one loses its sequence
    /// after its default (`DROP SEQUENCE s`).
    SetDefault {
        table: QualName,
        column: String,
        from: Option<ColumnDefault>,
        to: Option<ColumnDefault>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        creates_sequence: Option<SerialSequence>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drops_sequence: Option<QualName>,
        /// The created sequence is set past the column's largest value (the table has rows),
        /// read once the table is locked.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        past_max: bool,
    },
    /// `ALTER TABLE t ALTER COLUMN c SET NOT NULL` / `DROP NOT NULL`. Setting NOT NULL with a
    /// `backfill`: `UPDATE t SET c = <backfill> WHERE c IS NULL` first.
    SetNullable {
        table: QualName,
        column: String,
        nullable: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backfill: Option<crate::model::SqlExpr>,
    },
    /// `COMMENT ON COLUMN t.c IS ...`
    SetColumnComment {
        table: QualName,
        column: String,
        comment: Option<String>,
    },
    /// `COMMENT ON TABLE t IS ...`
    SetTableComment {
        table: QualName,
        comment: Option<String>,
    },
    /// `ALTER TABLE t ADD CONSTRAINT ...`
    AddConstraint {
        table: QualName,
        constraint: Constraint,
    },
    /// `ALTER TABLE t DROP CONSTRAINT n`
    DropConstraint {
        table: QualName,
        constraint: Constraint,
        /// Why a constraint that is not going away is dropped (a foreign key out of the way of
        /// the key it references, added again afterwards); none for an undeclared one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        because: Option<String>,
    },
    /// `ALTER TABLE t VALIDATE CONSTRAINT n`: a check or foreign key that is live `NOT VALID`
    /// and declared valid
    ValidateConstraint { table: QualName, name: String },
    /// `COMMENT ON SCHEMA|TYPE|SEQUENCE|INDEX|CONSTRAINT ... IS ...` (tables and columns have
    /// their own changes)
    SetComment {
        target: CommentOn,
        comment: Option<String>,
    },
    /// `ALTER TABLE t RENAME CONSTRAINT a TO b` (same definition, other name; or `declared`:
    /// its `renamed_from`, run before everything else)
    RenameConstraint {
        table: QualName,
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        declared: bool,
    },
    /// `CREATE INDEX n ON t ...`
    CreateIndex { table: QualName, index: Index },
    /// `DROP INDEX n`: not declared, or `because` it is created again (redefined, or out of the
    /// way of a type being recreated).
    DropIndex {
        table: QualName,
        index: Index,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        because: Option<String>,
    },
    /// `ALTER INDEX a RENAME TO b` (same definition, other name; or `declared`: its
    /// `renamed_from`, run before everything else)
    RenameIndex {
        table: QualName,
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        declared: bool,
    },
    /// `renamed_from` on a table: `ALTER TABLE from RENAME TO to` (then `SET SCHEMA` when the
    /// schema differs), before everything else. Rows, indexes, constraints and the foreign keys
    /// of other tables that reference it follow.
    RenameTable { from: QualName, to: QualName },
    /// `renamed_from` on a column: `ALTER TABLE t RENAME COLUMN from TO to`, first.
    RenameColumn {
        table: QualName,
        from: String,
        to: String,
    },
    /// `renamed_values` of an enum: `ALTER TYPE t RENAME VALUE 'from' TO 'to'`, first.
    RenameEnumValue {
        name: QualName,
        from: String,
        to: String,
    },
    /// A `renamed_from` whose old and new objects both exist: which one is meant cannot be
    /// told, so it is refused. `what` is "table", "column", "index", "constraint" or "value";
    /// `object` the table (or enum type) the plan lists it under.
    AmbiguousRename {
        #[serde(rename = "object_kind")]
        kind: ObjectKind,
        object: QualName,
        what: String,
        from: String,
        to: String,
    },
}

/// The sequence created for a column that becomes serial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SerialSequence {
    pub name: QualName,
    #[serde(rename = "type")]
    pub data_type: DataType,
}

/// A live column whose type is an enum being recreated (or an array of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumUse {
    pub table: QualName,
    pub column: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub array: bool,
    /// The live column has an expression default, dropped before the type changes (it is
    /// bound to the old type).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drops_default: bool,
    /// The default set again afterwards: the declared one when it is the live one, or the live
    /// one when the column is not declared (a changed default is its own change, after this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sets_default: Option<crate::model::SqlExpr>,
    /// Its table has `prevent_destroy` (the conversion rewrites it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protected: bool,
    /// The column's declared conversion (`using`), in place of `c::text::new`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<crate::model::SqlExpr>,
}

impl Change {
    /// For a [`Change::ReshapeEnum`]: the values the database has that the declaration drops.
    pub fn removed_enum_values(&self) -> Vec<String> {
        match self {
            Change::ReshapeEnum { from, to, .. } => {
                (from.iter()).filter(|v| !to.contains(v)).cloned().collect()
            }
            _ => Vec::new(),
        }
    }
}

/// What a [`Change::SetComment`] comments on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum CommentOn {
    Schema { schema: String },
    Enum { name: QualName },
    Sequence { name: QualName },
    Index { table: QualName, index: String },
    Constraint { table: QualName, constraint: String },
}

/// A table constraint, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(Unique),
    ForeignKey(ForeignKey),
    Check(Check),
}

impl Constraint {
    pub fn name(&self) -> &str {
        match self {
            Constraint::PrimaryKey(c) => &c.name,
            Constraint::Unique(c) => &c.name,
            Constraint::ForeignKey(c) => &c.name,
            Constraint::Check(c) => &c.name,
        }
    }

    pub fn comment(&self) -> &Option<String> {
        match self {
            Constraint::PrimaryKey(c) => &c.comment,
            Constraint::Unique(c) => &c.comment,
            Constraint::ForeignKey(c) => &c.comment,
            Constraint::Check(c) => &c.comment,
        }
    }

    /// Whether it is `NOT VALID` (only checks and foreign keys can be).
    pub fn valid(&self) -> bool {
        match self {
            Constraint::ForeignKey(c) => c.valid,
            Constraint::Check(c) => c.valid,
            Constraint::PrimaryKey(_) | Constraint::Unique(_) => true,
        }
    }

    /// The same constraint, marked valid.
    fn validated(&self) -> Constraint {
        let mut c = self.clone();
        match &mut c {
            Constraint::ForeignKey(f) => f.valid = true,
            Constraint::Check(k) => k.valid = true,
            Constraint::PrimaryKey(_) | Constraint::Unique(_) => {}
        }
        c
    }

    /// Same definition, whatever the name and the comment (validity, `NO INHERIT` and `MATCH`
    /// count).
    fn same_definition(&self, other: &Constraint) -> bool {
        match (self, other) {
            (Constraint::PrimaryKey(a), Constraint::PrimaryKey(b)) => a.columns == b.columns,
            (Constraint::Unique(a), Constraint::Unique(b)) => a.same_definition(b),
            (Constraint::ForeignKey(a), Constraint::ForeignKey(b)) => {
                let bare = |f: &ForeignKey| ForeignKey {
                    name: String::new(),
                    comment: None,
                    ..f.clone()
                };
                bare(a) == bare(b)
            }
            (Constraint::Check(a), Constraint::Check(b)) => {
                a.valid == b.valid
                    && a.no_inherit == b.no_inherit
                    && a.expr.equivalent(&b.expr, None)
            }
            _ => false,
        }
    }
}

/// The kind of object a change belongs to, for grouping in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Schema,
    Enum,
    Sequence,
    Table,
}

impl Change {
    /// The SQL expressions this change writes into a statement, each with where it is.
    pub fn expressions(&self) -> Vec<(String, &crate::model::SqlExpr)> {
        use crate::model::ColumnDefault;
        match self {
            Change::CreateTable { def } => def.expressions(),
            Change::AddColumn {
                column, backfill, ..
            } => {
                let mut out: Vec<_> = column.default_expr().into_iter().collect();
                out.extend(
                    backfill
                        .iter()
                        .map(|e| (format!("column {} backfill", column.name), e)),
                );
                out
            }
            Change::SetNullable {
                column,
                backfill: Some(e),
                ..
            } => vec![(format!("column {column} backfill"), e)],
            Change::AlterType {
                column,
                using: Some(e),
                ..
            } => vec![(format!("column {column} using"), e)],
            Change::ReshapeEnum { uses, .. } => (uses.iter())
                .filter_map(|u| {
                    let e = u.using.as_ref()?;
                    Some((format!("table {}, column {} using", u.table, u.column), e))
                })
                .collect(),
            Change::SetDefault {
                column,
                to: Some(ColumnDefault::Expr(e)),
                ..
            } => vec![(format!("column {column} default"), e)],
            Change::AddConstraint {
                constraint: Constraint::Check(c),
                ..
            } => vec![(format!("check {}", c.name), &c.expr)],
            Change::CreateIndex { index, .. } => index.expressions(),
            _ => Vec::new(),
        }
    }

    /// The object this change is about.
    pub fn object(&self) -> (ObjectKind, QualName) {
        use Change::*;
        match self {
            CreateSchema { schema } | DropSchema { schema } => {
                (ObjectKind::Schema, QualName::new(schema.clone(), ""))
            }
            SetComment { target, .. } => match target {
                CommentOn::Schema { schema } => {
                    (ObjectKind::Schema, QualName::new(schema.clone(), ""))
                }
                CommentOn::Enum { name } => (ObjectKind::Enum, name.clone()),
                CommentOn::Sequence { name } => (ObjectKind::Sequence, name.clone()),
                CommentOn::Index { table, .. } | CommentOn::Constraint { table, .. } => {
                    (ObjectKind::Table, table.clone())
                }
            },
            CreateSequence { def } => (ObjectKind::Sequence, def.name.clone()),
            AlterSequence { to, .. } => (ObjectKind::Sequence, to.name.clone()),
            DropSequence { name } => (ObjectKind::Sequence, name.clone()),
            DropEnum { name } => (ObjectKind::Enum, name.clone()),
            CreateEnum { def } => (ObjectKind::Enum, def.name.clone()),
            AddEnumValue { name, .. } | ReshapeEnum { name, .. } | RenameEnumValue { name, .. } => {
                (ObjectKind::Enum, name.clone())
            }
            RenameTable { to, .. } => (ObjectKind::Table, to.clone()),
            AmbiguousRename { kind, object, .. } => (*kind, object.clone()),
            CreateTable { def } => (ObjectKind::Table, def.name.clone()),
            DropTable { table }
            | AddColumn { table, .. }
            | DropColumn { table, .. }
            | AlterType { table, .. }
            | SetCollation { table, .. }
            | ValidateConstraint { table, .. }
            | SetIdentity { table, .. }
            | AlterIdentity { table, .. }
            | SetDefault { table, .. }
            | SetNullable { table, .. }
            | SetColumnComment { table, .. }
            | SetTableComment { table, .. }
            | AddConstraint { table, .. }
            | DropConstraint { table, .. }
            | RenameConstraint { table, .. }
            | CreateIndex { table, .. }
            | DropIndex { table, .. }
            | RenameIndex { table, .. }
            | RenameColumn { table, .. } => (ObjectKind::Table, table.clone()),
        }
    }
}

/// An object in a managed schema that the declaration does not mention: reported, never touched
/// (unless `--prune`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unmanaged {
    pub kind: ObjectKind,
    pub name: QualName,
    /// Why it is kept although `--prune` is on: a schema holding objects tableform does not
    /// manage ("holds 2 views").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<String>,
    /// The migration tool whose bookkeeping table this is ("Alembic"): never drift, never
    /// pruned (see [`bookkeeping_tool`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
}

/// The bookkeeping tables of migration tools, by exact name (in any schema), with the tool that
/// writes them. A database upgraded by one of these holds such a table next to the tables
/// tableform manages; it is the tool's, not drift.
pub const BOOKKEEPING_TABLES: &[(&str, &str)] = &[
    ("alembic_version", "Alembic"),
    ("flyway_schema_history", "Flyway"),
    ("schema_migrations", "Rails, golang-migrate or dbmate"),
    ("ar_internal_metadata", "Rails"),
    ("_prisma_migrations", "Prisma"),
    ("__drizzle_migrations", "Drizzle"),
    ("atlas_schema_revisions", "Atlas"),
    ("goose_db_version", "goose"),
    ("knex_migrations", "Knex"),
    ("knex_migrations_lock", "Knex"),
    ("django_migrations", "Django"),
    ("databasechangelog", "Liquibase"),
    ("databasechangeloglock", "Liquibase"),
    ("__EFMigrationsHistory", "Entity Framework"),
    ("_sqlx_migrations", "SQLx"),
    ("__diesel_schema_migrations", "Diesel"),
    ("refinery_schema_history", "Refinery"),
    ("seaql_migrations", "SeaORM"),
    ("SequelizeMeta", "Sequelize"),
];

/// The migration tool a table of this exact name belongs to, if any.
pub fn bookkeeping_tool(table: &str) -> Option<&'static str> {
    (BOOKKEEPING_TABLES.iter())
        .find(|(name, _)| *name == table)
        .map(|(_, tool)| *tool)
}

/// A fact about the data that a verdict depends on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    /// How many rows the table has.
    Rows(QualName),
    /// How many rows have NULL in the column.
    Nulls(QualName, String),
    /// Whether the sequence has handed out a value (1) or not (0): its position is data.
    SequenceUsed(QualName),
    /// How many rows hold one of `values` in the column (of an enum type recreated without
    /// them; `array`: an array of it, holding one of them).
    EnumValues {
        table: QualName,
        column: String,
        array: bool,
        values: Vec<String>,
    },
    /// A question about a table or column this plan renames: asked of the database by the
    /// names it has until apply renames them (`live`; apply locks and counts before any step),
    /// answered for the names the verdicts use (`judged`) too.
    Renamed {
        live: Box<Question>,
        judged: Box<Question>,
    },
}

impl Question {
    /// The question as the database can answer it now.
    pub fn asked(&self) -> &Question {
        match self {
            Question::Renamed { live, .. } => live,
            q => q,
        }
    }

    /// The table apply locks before asking again (a sequence cannot be locked).
    pub fn table(&self) -> Option<&QualName> {
        match self.asked() {
            Question::Rows(t) | Question::Nulls(t, _) | Question::EnumValues { table: t, .. } => {
                Some(t)
            }
            Question::SequenceUsed(_) | Question::Renamed { .. } => None,
        }
    }

    /// Why a plan that relied on a zero answer no longer holds.
    pub fn no_longer_zero(&self, now: u64) -> String {
        match self.asked() {
            Question::Rows(t) => format!(
                "it relied on {t} being empty, and it now has {}",
                verdict::count(now, "row")
            ),
            Question::Nulls(t, c) => format!(
                "it relied on `{c}` of {t} holding no NULL, and it now is NULL in {}",
                verdict::count(now, "row")
            ),
            Question::SequenceUsed(t) => {
                format!("it relied on sequence {t} never having been used, and it has been")
            }
            Question::EnumValues {
                table,
                column,
                values,
                ..
            } => format!(
                "it relied on no row of {table} holding {} in `{column}`, and {} now do",
                values.join(", "),
                verdict::count(now, "row")
            ),
            Question::Renamed { .. } => String::new(),
        }
    }
}

/// The answer to a [`Question`] when the plan was made (saved with the plan, so apply can tell
/// whether what the verdicts relied on still holds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub question: Question,
    pub count: u64,
}

/// Everything that differs, plus what the database has that the declaration does not manage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    pub changes: Vec<Change>,
    /// Live tables in the managed schemas that the declaration does not mention.
    pub unmanaged: Vec<Unmanaged>,
    /// Declared objects that exist and match exactly.
    pub unchanged: Vec<(ObjectKind, QualName)>,
    /// Notes on declared objects that are not changes: `renamed_from` keys whose rename was done
    /// already.
    pub notes: BTreeMap<(ObjectKind, QualName), Vec<String>>,
    /// The live model as the changes after the renames see it (the renames applied), when the
    /// plan renames anything.
    pub renamed_live: Option<Schema>,
}

impl Diff {
    /// The facts [`judge`] needs for these changes.
    pub fn questions(&self) -> Vec<Question> {
        questions(&self.changes)
    }
}

/// The facts [`judge`] needs for `changes`, asked of the database as it is before the plan:
/// a table or column the plan renames is asked about by its old name.
pub fn questions<'a>(changes: impl IntoIterator<Item = &'a Change> + Clone) -> Vec<Question> {
    let names = LiveNames::of(changes.clone());
    let qs: BTreeSet<Question> = (judged_questions(changes).into_iter())
        .map(|q| {
            let live = names.live(&q);
            if live == q {
                q
            } else {
                Question::Renamed {
                    live: Box::new(live),
                    judged: Box::new(q),
                }
            }
        })
        .collect();
    qs.into_iter().collect()
}

/// `facts` with each answer to a [`Question::Renamed`] also under the question it answers for
/// (the names the verdicts use).
pub fn judged_facts(facts: &Facts) -> Facts {
    let mut out = facts.clone();
    for (q, n) in facts {
        if let Question::Renamed { judged, .. } = q {
            out.insert((**judged).clone(), *n);
        }
    }
    out
}

/// What the plan's renames renamed: new names to old ones.
#[derive(Default)]
struct LiveNames {
    tables: BTreeMap<QualName, QualName>,
    columns: BTreeMap<(QualName, String), String>,
}

impl LiveNames {
    fn of<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Self {
        let mut n = LiveNames::default();
        for c in changes {
            match c {
                Change::RenameTable { from, to } => {
                    n.tables.insert(to.clone(), from.clone());
                }
                Change::RenameColumn { table, from, to } => {
                    n.columns.insert((table.clone(), to.clone()), from.clone());
                }
                _ => {}
            }
        }
        n
    }

    fn live(&self, q: &Question) -> Question {
        let table = |t: &QualName| self.tables.get(t).unwrap_or(t).clone();
        let column = |t: &QualName, c: &String| {
            (self.columns.get(&(t.clone(), c.clone())))
                .unwrap_or(c)
                .clone()
        };
        match q {
            Question::Rows(t) => Question::Rows(table(t)),
            Question::Nulls(t, c) => Question::Nulls(table(t), column(t, c)),
            Question::SequenceUsed(_) | Question::Renamed { .. } => q.clone(),
            Question::EnumValues {
                table: t,
                column: c,
                array,
                values,
            } => Question::EnumValues {
                table: table(t),
                column: column(t, c),
                array: *array,
                values: values.clone(),
            },
        }
    }
}

/// The facts [`judge`] needs for `changes`, by the names the plan gives.
fn judged_questions<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Vec<Question> {
    let mut qs = BTreeSet::new();
    for c in changes {
        match c {
            Change::AddColumn { table, column, .. }
                if !column.nullable && column.default.is_none() =>
            {
                qs.insert(Question::Rows(table.clone()));
            }
            Change::SetNullable {
                table,
                column,
                nullable: false,
                ..
            } => {
                qs.insert(Question::Nulls(table.clone(), column.clone()));
            }
            Change::DropSequence { name } => {
                qs.insert(Question::SequenceUsed(name.clone()));
            }
            Change::ReshapeEnum { uses, .. } => {
                let values = c.removed_enum_values();
                if !values.is_empty() {
                    qs.extend(uses.iter().map(|u| Question::EnumValues {
                        table: u.table.clone(),
                        column: u.column.clone(),
                        array: u.array,
                        values: values.clone(),
                    }));
                }
            }
            Change::SetDefault {
                table,
                creates_sequence: Some(_),
                ..
            }
            | Change::AlterType { table, .. }
            | Change::DropColumn { table, .. }
            | Change::DropTable { table }
            | Change::SetIdentity {
                table, from: None, ..
            } => {
                qs.insert(Question::Rows(table.clone()));
            }
            _ => {}
        }
    }
    qs.into_iter().collect()
}

/// Lists the changes that turn `live` into `desired`. With `prune`, live tables the declaration
/// does not mention are dropped; otherwise they are reported as unmanaged.
pub fn diff(desired: &Schema, live: &Schema, prune: bool) -> Diff {
    // Renamed first, so that a serial of a renamed table or column is adopted too.
    let renamed = rename::renames(desired, live);
    let live = renamed.live.as_ref().unwrap_or(live);
    let adopted = adopt_serials(desired, live);
    let live = adopted.as_ref().unwrap_or(live);
    let mut out = Diff {
        changes: renamed.changes.clone(),
        notes: renamed.notes.clone(),
        ..Diff::default()
    };
    for s in desired.schemas.difference(&live.schemas) {
        out.changes.push(Change::CreateSchema { schema: s.clone() });
    }
    // Only schemas declared as `[schema.NAME]` have their comment managed.
    for (s, want) in &desired.schema_comments {
        let have = live.schema_comments.get(s).cloned().flatten();
        if *want != have {
            out.changes.push(Change::SetComment {
                target: CommentOn::Schema { schema: s.clone() },
                comment: want.clone(),
            });
        }
    }
    for (name, e) in &desired.enums {
        match live.enums.get(name) {
            None => out.changes.push(Change::CreateEnum { def: e.clone() }),
            Some(l) => {
                let before = out.changes.len();
                diff_enum(&mut out.changes, e, l, desired, live, prune);
                let reshaped = matches!(out.changes.last(), Some(Change::ReshapeEnum { .. }));
                if e.comment != l.comment && !reshaped {
                    out.changes.push(Change::SetComment {
                        target: CommentOn::Enum { name: name.clone() },
                        comment: e.comment.clone(),
                    });
                }
                if out.changes.len() == before {
                    out.unchanged.push((ObjectKind::Enum, name.clone()));
                }
            }
        }
    }
    for (name, t) in &desired.tables {
        match live.tables.get(name) {
            None => {
                out.changes.push(Change::CreateTable { def: t.clone() });
                for fk in &t.foreign_keys {
                    out.changes.push(Change::AddConstraint {
                        table: name.clone(),
                        constraint: Constraint::ForeignKey(fk.clone()),
                    });
                }
            }
            Some(l) => {
                let before = out.changes.len();
                let none = BTreeMap::new();
                let upgrades = desired.upgrades.get(name).unwrap_or(&none);
                diff_table(&mut out.changes, t, l, upgrades);
                if out.changes.len() == before {
                    out.unchanged.push((ObjectKind::Table, name.clone()));
                }
            }
        }
    }
    for (name, want) in &desired.sequences {
        match live.sequences.get(name) {
            None => out
                .changes
                .push(Change::CreateSequence { def: want.clone() }),
            Some(have) => {
                let before = out.changes.len();
                if (&have.data_type, &have.options, &have.owned_by)
                    != (&want.data_type, &want.options, &want.owned_by)
                {
                    let restart = (live.sequence_values.get(name).copied())
                        .filter(|v| *v < want.options.min_value || *v > want.options.max_value);
                    out.changes.push(Change::AlterSequence {
                        from: Box::new(have.clone()),
                        to: Box::new(want.clone()),
                        restart,
                    });
                }
                if have.comment != want.comment {
                    out.changes.push(Change::SetComment {
                        target: CommentOn::Sequence { name: name.clone() },
                        comment: want.comment.clone(),
                    });
                }
                if out.changes.len() == before {
                    out.unchanged.push((ObjectKind::Sequence, name.clone()));
                }
            }
        }
    }
    for name in live.tables.keys() {
        if !desired.tables.contains_key(name) {
            // A migration tool's bookkeeping: reported as its, never dropped (declared, it is
            // managed like any other table).
            if let Some(tool) = bookkeeping_tool(&name.name) {
                out.unmanaged.push(Unmanaged {
                    kind: ObjectKind::Table,
                    name: name.clone(),
                    kept: None,
                    owned_by: Some(tool.to_string()),
                });
            } else if prune {
                out.changes.push(Change::DropTable {
                    table: name.clone(),
                });
            } else {
                out.unmanaged.push(Unmanaged {
                    kind: ObjectKind::Table,
                    name: name.clone(),
                    kept: None,
                    owned_by: None,
                });
            }
        }
    }
    if !prune {
        let sequences = live
            .sequences
            .keys()
            .filter(|n| !desired.sequences.contains_key(*n));
        let enums = live
            .enums
            .keys()
            .filter(|n| !desired.enums.contains_key(*n));
        out.unmanaged.extend(sequences.map(|n| Unmanaged {
            kind: ObjectKind::Sequence,
            name: n.clone(),
            kept: None,
            owned_by: None,
        }));
        out.unmanaged.extend(enums.map(|n| Unmanaged {
            kind: ObjectKind::Enum,
            name: n.clone(),
            kept: None,
            owned_by: None,
        }));
    }
    if prune {
        for name in live
            .sequences
            .keys()
            .filter(|n| !desired.sequences.contains_key(*n))
        {
            out.changes
                .push(Change::DropSequence { name: name.clone() });
        }
        for name in live
            .enums
            .keys()
            .filter(|n| !desired.enums.contains_key(*n))
        {
            out.changes.push(Change::DropEnum { name: name.clone() });
        }
        // `public` is where everything lands by default; it is never dropped.
        for s in live
            .schemas
            .difference(&desired.schemas)
            .filter(|s| *s != "public")
        {
            // DROP SCHEMA (without CASCADE) would fail on what tableform cannot see; say why
            // the schema stays instead of planning a drop that cannot run.
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
                out.changes.push(Change::DropSchema { schema: s.clone() });
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
    make_drops_possible(&mut out.changes, desired, live);
    make_enum_recreation_possible(&mut out.changes, desired, live);
    // An identity whose new bounds exclude its sequence's current value restarts, as a
    // standalone sequence does (PostgreSQL refuses the bounds otherwise).
    for c in &mut out.changes {
        if let Change::AlterIdentity {
            table,
            column,
            to,
            restart,
            ..
        } = c
        {
            *restart = (live
                .identity_values
                .get(&(table.clone(), column.clone()))
                .copied())
            .filter(|v| *v < to.min_value || *v > to.max_value);
        }
    }
    not_unchanged(&mut out);
    out.renamed_live = renamed.live.as_ref().map(|_| live.clone());
    out
}

/// PostgreSQL refuses to drop what something else depends on. Two cases a plan meets:
/// - a primary key or unique constraint that is dropped (and added again with its new
///   definition) while foreign keys reference its columns: those foreign keys are dropped first
///   and added again afterwards (as declared, or as they are when their table is not declared);
/// - tables dropped by `--prune` that reference each other (in a cycle, too): the foreign keys
///   between them are dropped before any table.
///
/// Foreign keys are dropped in the first phase and added in the last, so the order holds.
fn make_drops_possible(changes: &mut Vec<Change>, desired: &Schema, live: &Schema) {
    let dropped_fk = |changes: &[Change], table: &QualName, name: &str| {
        changes.iter().any(|c| {
            matches!(c, Change::DropConstraint { table: t, constraint: Constraint::ForeignKey(f), .. }
                if t == table && f.name == name)
        })
    };
    let mut extra = Vec::new();
    for c in changes.iter() {
        let Change::DropConstraint {
            table, constraint, ..
        } = c
        else {
            continue;
        };
        let key: BTreeSet<&String> = match constraint {
            Constraint::PrimaryKey(k) => k.columns.iter().collect(),
            Constraint::Unique(u) => u.columns.iter().collect(),
            _ => continue,
        };
        for (from, t) in &live.tables {
            for fk in &t.foreign_keys {
                let refs: BTreeSet<&String> = fk.ref_columns.iter().collect();
                if &fk.ref_table != table || refs != key || dropped_fk(changes, from, &fk.name) {
                    continue;
                }
                let again = match desired.tables.get(from) {
                    Some(d) => d.foreign_keys.iter().find(|f| f.name == fk.name).cloned(),
                    None => Some(fk.clone()),
                };
                extra.push(Change::DropConstraint {
                    table: from.clone(),
                    constraint: Constraint::ForeignKey(fk.clone()),
                    because: Some(format!(
                        "out of the way of {table}'s {}, then added again",
                        constraint.name()
                    )),
                });
                if let Some(again) = again {
                    extra.push(Change::AddConstraint {
                        table: from.clone(),
                        constraint: Constraint::ForeignKey(again),
                    });
                }
            }
        }
    }
    let pruned: BTreeSet<&QualName> = (changes.iter())
        .filter_map(|c| match c {
            Change::DropTable { table } => Some(table),
            _ => None,
        })
        .collect();
    for t in &pruned {
        for fk in live.tables.get(*t).map_or(&[][..], |t| &t.foreign_keys) {
            if pruned.contains(&fk.ref_table) && !dropped_fk(changes, t, &fk.name) {
                extra.push(Change::DropConstraint {
                    table: (*t).clone(),
                    constraint: Constraint::ForeignKey(fk.clone()),
                    because: Some(format!(
                        "before the tables are dropped: {} is dropped too",
                        fk.ref_table
                    )),
                });
            }
        }
    }
    changes.extend(extra);
}

/// A recreated enum type converts its columns with `ALTER COLUMN ... TYPE`, which PostgreSQL
/// cannot do while a check or an index expression or predicate on the column compares it with
/// a value of the old type (`operator does not exist: st = st__old`). Such checks and indexes
/// are dropped first and created again after, from the declaration (or as they were, when the
/// table is not declared); ones the diff already drops or creates are left to it.
fn make_enum_recreation_possible(changes: &mut Vec<Change>, desired: &Schema, live: &Schema) {
    let uses: Vec<(QualName, QualName, String)> = (changes.iter())
        .filter_map(|c| match c {
            Change::ReshapeEnum { name, uses, .. } => Some((name, uses)),
            _ => None,
        })
        .flat_map(|(name, uses)| {
            uses.iter()
                .map(move |u| (name.clone(), u.table.clone(), u.column.clone()))
        })
        .collect();
    let mut extra = Vec::new();
    for (enum_name, table, column) in uses {
        let Some(lt) = live.tables.get(&table) else {
            continue;
        };
        let dt = desired.tables.get(&table);
        let names = |e: &crate::model::SqlExpr| mentions(&e.sql, &column);
        for ck in lt.checks.iter().filter(|c| names(&c.expr)) {
            let handled = changes.iter().chain(&extra).any(|c| {
                matches!(c, Change::DropConstraint { table: t, constraint, .. } | Change::AddConstraint { table: t, constraint }
                    if *t == table && constraint.name() == ck.name)
            });
            if handled {
                continue;
            }
            extra.push(Change::DropConstraint {
                table: table.clone(),
                constraint: Constraint::Check(ck.clone()),
                because: Some(format!(
                    "out of the way of the recreation of {enum_name}, then added again"
                )),
            });
            let again = match dt {
                Some(d) => d.checks.iter().find(|c| c.name == ck.name).cloned(),
                None => Some(ck.clone()),
            };
            if let Some(again) = again {
                extra.push(Change::AddConstraint {
                    table: table.clone(),
                    constraint: Constraint::Check(again),
                });
            }
        }
        let by_expression = |i: &&Index| {
            i.predicate.as_ref().is_some_and(names)
                || i.keys.iter().any(|k| match &k.part {
                    IndexPart::Expr(e) => names(e),
                    IndexPart::Column(_) => false,
                })
        };
        for ix in lt.indexes.iter().filter(by_expression) {
            let handled = changes.iter().chain(&extra).any(|c| {
                matches!(c, Change::DropIndex { table: t, index, .. } | Change::CreateIndex { table: t, index }
                    if *t == table && index.name == ix.name)
            });
            if handled {
                continue;
            }
            extra.push(Change::DropIndex {
                table: table.clone(),
                index: ix.clone(),
                because: Some(format!(
                    "out of the way of the recreation of {enum_name}, then created again"
                )),
            });
            let again = match dt {
                Some(d) => d.indexes.iter().find(|i| i.name == ix.name).cloned(),
                None => Some(ix.clone()),
            };
            if let Some(again) = again {
                extra.push(Change::CreateIndex {
                    table: table.clone(),
                    index: again,
                });
            }
        }
    }
    changes.extend(extra);
}

/// Whether `sql` names `column` (as a whole word, or quoted): conservative, since a check or
/// index dropped and created again needlessly costs a scan, never a row.
fn mentions(sql: &str, column: &str) -> bool {
    let quoted = format!("\"{}\"", column.replace('"', "\"\""));
    if sql.contains(&quoted) {
        return true;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    sql.match_indices(column).any(|(at, _)| {
        let before = sql[..at].chars().next_back();
        let after = sql[at + column.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// Objects that [`make_drops_possible`] gave changes to are no longer unchanged.
fn not_unchanged(out: &mut Diff) {
    let changed: BTreeSet<(ObjectKind, QualName)> =
        out.changes.iter().map(Change::object).collect();
    out.unchanged.retain(|o| !changed.contains(o));
}

/// New values may be added anywhere; removing or reordering values cannot be done in place (the
/// type is recreated, see [`Change::ReshapeEnum`]).
fn diff_enum(
    out: &mut Vec<Change>,
    want: &EnumType,
    have: &EnumType,
    desired: &Schema,
    live: &Schema,
    prune: bool,
) {
    let kept: Vec<&String> = want
        .values
        .iter()
        .filter(|v| have.values.contains(v))
        .collect();
    let reshaped =
        kept.len() != have.values.len() || kept.iter().zip(&have.values).any(|(a, b)| *a != b);
    if reshaped {
        out.push(Change::ReshapeEnum {
            name: want.name.clone(),
            from: have.values.clone(),
            to: want.values.clone(),
            uses: enum_uses(&want.name, desired, live, prune),
            comment: want.comment.clone(),
        });
        return;
    }
    for (i, v) in want.values.iter().enumerate() {
        if !have.values.contains(v) {
            // Place it before the next value that already exists, or at the end.
            let before = want.values[i + 1..]
                .iter()
                .find(|n| have.values.contains(n))
                .cloned();
            out.push(Change::AddEnumValue {
                name: want.name.clone(),
                value: v.clone(),
                before,
            });
        }
    }
}

/// The live columns of type `name` (or an array of it) that stay: a column this plan drops (an
/// undeclared column, a table pruned) keeps the old type until it is gone.
fn enum_uses(name: &QualName, desired: &Schema, live: &Schema, prune: bool) -> Vec<EnumUse> {
    let mut out = Vec::new();
    for (tn, t) in &live.tables {
        let declared = desired.tables.get(tn);
        if declared.is_none() && prune {
            continue;
        }
        for c in &t.columns {
            if !matches!(&c.ty.base, crate::model::BaseType::Named(q) if q == name) {
                continue;
            }
            let want = declared.map(|d| d.column(&c.name));
            if matches!(want, Some(None)) {
                continue;
            }
            let expr = |d: &Option<ColumnDefault>| match d {
                Some(ColumnDefault::Expr(e)) => Some(e.clone()),
                _ => None,
            };
            let sets_default = match want.flatten() {
                // Declared with another type, or another default: its own change sets it.
                Some(w) if w.ty != c.ty || !same_default(&w.default, &c.default, &c.ty) => None,
                Some(w) => expr(&w.default),
                None => expr(&c.default),
            };
            out.push(EnumUse {
                using: declared
                    .and_then(|_| desired.upgrade(tn, &c.name))
                    .and_then(|u| u.using.clone()),
                table: tn.clone(),
                column: c.name.clone(),
                array: c.ty.array,
                drops_default: expr(&c.default).is_some(),
                sets_default,
                protected: declared.is_some_and(|d| d.prevent_destroy),
            });
        }
    }
    out
}

fn diff_table(
    out: &mut Vec<Change>,
    want: &Table,
    have: &Table,
    upgrades: &BTreeMap<String, ColumnUpgrade>,
) {
    let name = &want.name;
    for c in &want.columns {
        let up = upgrades.get(&c.name);
        match have.column(&c.name) {
            // A default fills the new column by itself; a backfill has nothing to do.
            None => out.push(Change::AddColumn {
                table: name.clone(),
                column: c.clone(),
                backfill: up
                    .and_then(|u| u.backfill.clone())
                    .filter(|_| !c.nullable && c.default.is_none()),
            }),
            Some(h) => diff_column(out, want, c, h, up),
        }
    }
    for h in &have.columns {
        if want.column(&h.name).is_none() {
            out.push(Change::DropColumn {
                table: name.clone(),
                column: h.name.clone(),
                protected: want.prevent_destroy,
            });
        }
    }
    if want.comment != have.comment {
        out.push(Change::SetTableComment {
            table: name.clone(),
            comment: want.comment.clone(),
        });
    }
    diff_constraints(out, name, &constraints(want), &constraints(have));
    diff_indexes(out, name, &want.indexes, &have.indexes);
}

fn diff_column(
    out: &mut Vec<Change>,
    owner: &Table,
    want: &Column,
    have: &Column,
    up: Option<&ColumnUpgrade>,
) {
    let table = &owner.name;
    let expr = |d: &Option<ColumnDefault>| match d {
        Some(ColumnDefault::Expr(e)) => Some(e.clone()),
        _ => None,
    };
    // A type change takes the expression defaults with it (see `Change::AlterType`).
    let (drops_default, sets_default) = (expr(&have.default).is_some(), expr(&want.default));
    let default_in_type_change = want.ty != have.ty && (drops_default || sets_default.is_some());
    if want.ty != have.ty {
        out.push(Change::AlterType {
            table: table.clone(),
            column: want.name.clone(),
            from: have.ty.clone(),
            to: want.ty.clone(),
            protected: owner.prevent_destroy,
            drops_default,
            sets_default,
            collation: want.collation.clone(),
            serial_sequence: serial_sequence(table, want, have),
            using: up.and_then(|u| u.using.clone()),
        });
    } else if want.collation != have.collation {
        out.push(Change::SetCollation {
            table: table.clone(),
            column: want.name.clone(),
            ty: want.ty.clone(),
            from: have.collation.clone(),
            to: want.collation.clone(),
        });
    }
    let serial_involved = matches!(want.default, Some(ColumnDefault::Serial { .. }))
        || matches!(have.default, Some(ColumnDefault::Serial { .. }));
    if (!default_in_type_change || serial_involved)
        && !same_default(&want.default, &have.default, &want.ty)
    {
        let creates_sequence = match &want.default {
            Some(ColumnDefault::Serial { .. }) => Some(SerialSequence {
                name: QualName::new(
                    table.schema.clone(),
                    crate::model::names::serial_sequence_name(&table.name, &want.name),
                ),
                data_type: DataType::new(want.ty.base.clone()),
            }),
            _ => None,
        };
        let drops_sequence = match &have.default {
            Some(ColumnDefault::Serial { sequence: Some(s) }) => {
                Some(QualName::new(table.schema.clone(), s.clone()))
            }
            _ => None,
        };
        out.push(Change::SetDefault {
            table: table.clone(),
            column: want.name.clone(),
            from: have.default.clone(),
            to: want.default.clone(),
            past_max: creates_sequence.is_some(),
            creates_sequence,
            drops_sequence,
        });
    }
    let set_nullable = (want.nullable != have.nullable).then(|| Change::SetNullable {
        table: table.clone(),
        column: want.name.clone(),
        nullable: want.nullable,
        backfill: up
            .and_then(|u| u.backfill.clone())
            .filter(|_| !want.nullable),
    });
    // SET NOT NULL before an identity is added (PostgreSQL only adds one to a NOT NULL
    // column); DROP NOT NULL after it is dropped (an identity column cannot lose NOT NULL).
    let dropping_identity = have.identity.is_some() && want.identity.is_none();
    if !dropping_identity {
        out.extend(set_nullable.clone());
    }
    if want.identity != have.identity {
        let options = match (have.identity, want.identity_options()) {
            (None, Some(o)) => {
                let mut clauses =
                    o.sql_differences(&SequenceOptions::defaults(&want.ty.base, o.increment));
                if o.increment != 1 {
                    clauses.insert(0, format!("INCREMENT BY {}", o.increment));
                }
                clauses
            }
            _ => Vec::new(),
        };
        out.push(Change::SetIdentity {
            table: table.clone(),
            column: want.name.clone(),
            from: have.identity,
            to: want.identity,
            options,
            past_max: have.identity.is_none(),
        });
    }
    if dropping_identity {
        out.extend(set_nullable);
    }
    if let (Some(_), Some(_), Some(w), Some(h)) = (
        want.identity,
        have.identity,
        want.identity_options(),
        have.identity_options(),
    ) && w != h
    {
        out.push(Change::AlterIdentity {
            table: table.clone(),
            column: want.name.clone(),
            from: h,
            to: w,
            restart: None,
        });
    }
    if want.comment != have.comment {
        out.push(Change::SetColumnComment {
            table: table.clone(),
            column: want.name.clone(),
            comment: want.comment.clone(),
        });
    }
}

/// A declared `serial` column matches a live one whose `nextval()` default is a sequence the
/// column owns, whatever that sequence is called or however it was made (a table renamed after
/// its serial was created keeps `old_id_seq`): the sequence is then the column's, not a
/// standalone one to create or drop. `None` when no column needs adopting.
pub fn adopt_serials(desired: &Schema, live: &Schema) -> Option<Schema> {
    let mut adopt = Vec::new();
    for (name, t) in &desired.tables {
        let Some(lt) = live.tables.get(name) else {
            continue;
        };
        for c in &t.columns {
            if !matches!(c.default, Some(ColumnDefault::Serial { .. })) {
                continue;
            }
            let Some(lc) = lt.columns.iter().find(|l| l.name == c.name) else {
                continue;
            };
            let Some(ColumnDefault::Expr(e)) = &lc.default else {
                continue;
            };
            let owned = live.sequences.values().find(|sq| {
                sq.owned_by
                    .as_ref()
                    .is_some_and(|o| o.table == *name && o.column == c.name)
                    && e.sql == nextval_of(&sq.name)
            });
            if let Some(sq) = owned {
                adopt.push((name.clone(), c.name.clone(), sq.name.clone()));
            }
        }
    }
    if adopt.is_empty() {
        return None;
    }
    let mut live = live.clone();
    for (table, column, seq) in adopt {
        live.sequences.remove(&seq);
        if let Some(c) = (live.tables.get_mut(&table))
            .and_then(|t| t.columns.iter_mut().find(|c| c.name == column))
        {
            c.default = Some(ColumnDefault::Serial {
                sequence: Some(seq.name),
            });
        }
    }
    Some(live)
}

/// `nextval('seq'::regclass)` as PostgreSQL spells a default on `seq`: the name qualified unless
/// its schema is `public` (tableform reads the catalog with `search_path` pinned to it).
fn nextval_of(seq: &QualName) -> String {
    let unqualified = crate::model::names::quote_ident(&seq.name);
    let name = if seq.schema == "public" {
        unqualified
    } else {
        format!(
            "{}.{unqualified}",
            crate::model::names::quote_ident(&seq.schema)
        )
    };
    format!("nextval('{}'::regclass)", name.replace('\'', "''"))
}

/// The live sequence of a column that is serial on both sides and changes between the serial
/// types: its `AS` type changes with the column's.
fn serial_sequence(table: &QualName, want: &Column, have: &Column) -> Option<QualName> {
    use crate::model::types::Serial;
    match (&want.default, &have.default) {
        (Some(ColumnDefault::Serial { .. }), Some(ColumnDefault::Serial { sequence: Some(s) }))
            if !want.ty.array
                && want.ty.base != have.ty.base
                && Serial::keyword(&want.ty.base).is_some() =>
        {
            Some(QualName::new(table.schema.clone(), s.clone()))
        }
        _ => None,
    }
}

fn same_default(a: &Option<ColumnDefault>, b: &Option<ColumnDefault>, ty: &DataType) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(ColumnDefault::Serial { .. }), Some(ColumnDefault::Serial { .. })) => true,
        (Some(ColumnDefault::Expr(x)), Some(ColumnDefault::Expr(y))) => x.equivalent(y, Some(ty)),
        _ => false,
    }
}

fn constraints(t: &Table) -> Vec<Constraint> {
    let mut out = Vec::new();
    out.extend(t.primary_key.clone().map(Constraint::PrimaryKey));
    out.extend(t.uniques.iter().cloned().map(Constraint::Unique));
    out.extend(t.checks.iter().cloned().map(Constraint::Check));
    out.extend(t.foreign_keys.iter().cloned().map(Constraint::ForeignKey));
    out
}

/// Matches by name; a same-definition pair under different names is a rename.
fn diff_constraints(
    out: &mut Vec<Change>,
    table: &QualName,
    want: &[Constraint],
    have: &[Constraint],
) {
    let have_by_name: BTreeMap<&str, &Constraint> = have.iter().map(|c| (c.name(), c)).collect();
    let want_names: BTreeSet<&str> = want.iter().map(Constraint::name).collect();
    let mut spare: Vec<&Constraint> = have
        .iter()
        .filter(|c| !want_names.contains(c.name()))
        .collect();
    let comment = |out: &mut Vec<Change>, w: &Constraint, h: &Constraint| {
        if w.comment() != h.comment() {
            out.push(Change::SetComment {
                target: CommentOn::Constraint {
                    table: table.clone(),
                    constraint: w.name().to_string(),
                },
                comment: w.comment().clone(),
            });
        }
    };
    for w in want {
        match have_by_name.get(w.name()) {
            Some(h) if w.same_definition(h) => comment(out, w, h),
            // Declared valid, live NOT VALID, otherwise the same: validated in place.
            Some(h) if w.valid() && !h.valid() && w.same_definition(&h.validated()) => {
                out.push(Change::ValidateConstraint {
                    table: table.clone(),
                    name: w.name().to_string(),
                });
                comment(out, w, h);
            }
            Some(h) => {
                out.push(Change::DropConstraint {
                    table: table.clone(),
                    constraint: (*h).clone(),
                    because: None,
                });
                out.push(Change::AddConstraint {
                    table: table.clone(),
                    constraint: w.clone(),
                });
            }
            None => match spare.iter().position(|h| w.same_definition(h)) {
                Some(i) => {
                    let h = spare.remove(i);
                    out.push(Change::RenameConstraint {
                        table: table.clone(),
                        from: h.name().to_string(),
                        to: w.name().to_string(),
                        declared: false,
                    });
                    comment(out, w, h);
                }
                None => out.push(Change::AddConstraint {
                    table: table.clone(),
                    constraint: w.clone(),
                }),
            },
        }
    }
    for h in spare {
        out.push(Change::DropConstraint {
            table: table.clone(),
            constraint: h.clone(),
            because: None,
        });
    }
}

/// Same index whatever its name.
pub fn same_index(a: &Index, b: &Index) -> bool {
    let preds = match (&a.predicate, &b.predicate) {
        (None, None) => true,
        (Some(x), Some(y)) => x.equivalent(y, None),
        _ => false,
    };
    let keys = a.keys.len() == b.keys.len()
        && a.keys.iter().zip(&b.keys).all(|(x, y)| {
            x.descending == y.descending
                && x.nulls_first == y.nulls_first
                && x.same_options(y)
                && match (&x.part, &y.part) {
                    (IndexPart::Column(p), IndexPart::Column(q)) => p == q,
                    (IndexPart::Expr(p), IndexPart::Expr(q)) => p.equivalent(q, None),
                    _ => false,
                }
        });
    a.valid == b.valid
        && a.unique == b.unique
        && a.method == b.method
        && a.include == b.include
        && a.with.same_as(&b.with)
        && a.nulls_not_distinct == b.nulls_not_distinct
        && preds
        && keys
}

fn diff_indexes(out: &mut Vec<Change>, table: &QualName, want: &[Index], have: &[Index]) {
    let want_names: BTreeSet<&str> = want.iter().map(|i| i.name.as_str()).collect();
    let mut spare: Vec<&Index> = have
        .iter()
        .filter(|h| !want_names.contains(h.name.as_str()))
        .collect();
    let comment = |out: &mut Vec<Change>, w: &Index, h: &Index| {
        if w.comment != h.comment {
            out.push(Change::SetComment {
                target: CommentOn::Index {
                    table: table.clone(),
                    index: w.name.clone(),
                },
                comment: w.comment.clone(),
            });
        }
    };
    for w in want {
        match have.iter().find(|h| h.name == w.name) {
            Some(h) if same_index(w, h) => comment(out, w, h),
            Some(h) => {
                out.push(Change::DropIndex {
                    table: table.clone(),
                    index: h.clone(),
                    because: Some("redefined: created again as declared".into()),
                });
                out.push(Change::CreateIndex {
                    table: table.clone(),
                    index: w.clone(),
                });
            }
            None => match spare.iter().position(|h| same_index(w, h)) {
                Some(i) => {
                    let h = spare.remove(i);
                    out.push(Change::RenameIndex {
                        table: table.clone(),
                        from: h.name.clone(),
                        to: w.name.clone(),
                        declared: false,
                    });
                    comment(out, w, h);
                }
                None => out.push(Change::CreateIndex {
                    table: table.clone(),
                    index: w.clone(),
                }),
            },
        }
    }
    for h in spare {
        out.push(Change::DropIndex {
            table: table.clone(),
            index: h.clone(),
            because: None,
        });
    }
}
