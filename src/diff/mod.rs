//! Model x model -> typed changes.
//!
//! [`diff`] compares the desired schema with the live one, kind by kind (each kind's comparison
//! lives in its home under [`crate::kinds`]), and lists every difference as a [`Change`]; it
//! decides nothing about safety. Whether a change may run is [`judge`]'s business, which may
//! need facts about the data ("does this table have rows?"): [`Diff::questions`] lists them, the
//! caller answers them from the database, and the verdicts are pure functions of the changes,
//! the answers and the options. Nothing here does I/O.

pub mod verdict;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::kinds::{
    column, composite, constraint, domain, enum_type, extension, function, privilege, schema,
    sequence, table, trigger, view,
};
use crate::model::{QualName, Schema};

pub use crate::kinds::Change;
pub use crate::kinds::column::{SerialSequence, adopt_serials};
pub use crate::kinds::comment::CommentOn;
pub use crate::kinds::constraint::Constraint;
pub use crate::kinds::enum_type::EnumUse;
pub use crate::kinds::index::same_index;
pub use crate::kinds::rename;
pub use verdict::{Facts, Options, Verdict, judge};

/// The kind of object a change belongs to, for grouping in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Schema,
    Enum,
    Domain,
    Composite,
    Sequence,
    Table,
    /// Known by its name alone (extensions are database-wide): the name's schema is empty.
    Extension,
    /// Known by its signature: the name is `name(argument types)`, the name part quoted as SQL.
    Function,
    /// As [`ObjectKind::Function`].
    Procedure,
    View,
    MaterializedView,
    /// Only for an unmanaged trigger of a declared table or view (a declared trigger's changes
    /// are its table's or view's): the name's name part is `trigger ON schema.table`, quoted as
    /// SQL.
    Trigger,
    /// `ALTER DEFAULT PRIVILEGES`: the name's name part says whose new objects of which kind,
    /// and where ("tables created by owner in schema app").
    DefaultPrivileges,
}

impl ObjectKind {
    /// What plans call it.
    pub fn word(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Enum => "enum",
            ObjectKind::Domain => "domain",
            ObjectKind::Composite => "composite type",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Table => "table",
            ObjectKind::Extension => "extension",
            ObjectKind::Function => "function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Trigger => "trigger",
            ObjectKind::DefaultPrivileges => "default privileges",
        }
    }

    /// An object's name as plans show it: SQL, schema-qualified where it has a schema.
    pub fn label(self, name: &QualName) -> String {
        use crate::model::names::quote_ident;
        match self {
            ObjectKind::Schema => quote_ident(&name.schema),
            ObjectKind::Extension => quote_ident(&name.name),
            ObjectKind::Trigger | ObjectKind::DefaultPrivileges => name.name.clone(),
            ObjectKind::Function | ObjectKind::Procedure => {
                format!("{}.{}", quote_ident(&name.schema), name.name)
            }
            _ => name.to_string(),
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
    /// How many rows a materialized view holds: for the note of a drop, never a condition (a
    /// materialized view cannot be locked, and its rows are derived from its query).
    ViewRows(QualName),
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
            Question::SequenceUsed(_) | Question::ViewRows(_) | Question::Renamed { .. } => None,
        }
    }

    /// Why a plan that relied on a zero answer no longer holds.
    pub fn no_longer_zero(&self, now: u64) -> String {
        match self.asked() {
            Question::Rows(t) | Question::ViewRows(t) => format!(
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
                Change::Table(table::TableChange::RenameTable { from, to }) => {
                    n.tables.insert(to.clone(), from.clone());
                }
                Change::Column(column::ColumnChange::RenameColumn { table, from, to }) => {
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
            Question::SequenceUsed(_) | Question::ViewRows(_) | Question::Renamed { .. } => {
                q.clone()
            }
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
    let qs: BTreeSet<Question> = (changes.into_iter())
        .flat_map(|c| c.as_kind().questions())
        .collect();
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
    // Views renamed too, and what they read seen by the new names.
    let (view_renames, views_renamed) = view::renames(desired, live, &renamed.changes);
    let live = views_renamed.as_ref().unwrap_or(live);
    let mut out = Diff {
        changes: renamed.changes.clone(),
        notes: renamed.notes.clone(),
        ..Diff::default()
    };
    out.changes.extend(view_renames);
    // The declared objects, kind by kind (a table's columns, constraints and indexes with it).
    schema::diff(desired, live, &mut out);
    extension::diff(desired, live, &mut out);
    function::diff(desired, live, &mut out);
    enum_type::diff(desired, live, prune, &mut out);
    domain::diff(desired, live, prune, &mut out);
    composite::diff(desired, live, prune, &mut out);
    table::diff(desired, live, &mut out);
    sequence::diff(desired, live, &mut out);
    view::diff(desired, live, &mut out);
    // The live objects the declaration does not mention: unmanaged, or dropped with `--prune`,
    // dependents before what they depend on.
    trigger::undeclared(desired, live, prune, &mut out);
    table::undeclared(desired, live, prune, &mut out);
    sequence::undeclared(desired, live, prune, &mut out);
    function::undeclared(desired, live, prune, &mut out);
    composite::undeclared(desired, live, prune, &mut out);
    domain::undeclared(desired, live, prune, &mut out);
    enum_type::undeclared(desired, live, prune, &mut out);
    view::undeclared(desired, live, prune, &mut out);
    extension::undeclared(desired, live, prune, &mut out);
    schema::undeclared(desired, live, prune, &mut out);
    // What PostgreSQL needs out of the way for some changes to run.
    constraint::make_drops_possible(&mut out.changes, desired, live);
    enum_type::make_recreation_possible(&mut out.changes, desired, live);
    column::restart_identities(&mut out.changes, live);
    trigger::follow_recreated_functions(&mut out.changes, desired, live);
    function::rebuild_users(&mut out.changes, desired, live);
    // Views reading columns and types changed above are dropped and created again around them
    // (after the enum pass, whose recreations they may read).
    view::make_changes_possible(&mut out.changes, desired, live);
    view::keep_undeclared_triggers(&mut out.changes, desired, live, prune);
    view::refuse_reading_pruned(&mut out.changes, desired, live);
    function::refuse_blocked_by_bodies(&mut out.changes, live);
    // Last: the privileges of objects this plan creates or creates again are granted afresh.
    privilege::diff(desired, live, &mut out);
    not_unchanged(&mut out);
    out.renamed_live = (renamed.live.is_some() || views_renamed.is_some()).then(|| live.clone());
    out
}

/// Objects that [`constraint::make_drops_possible`] and the like gave changes to are no longer
/// unchanged.
fn not_unchanged(out: &mut Diff) {
    let changed: BTreeSet<(ObjectKind, QualName)> =
        out.changes.iter().map(Change::object).collect();
    out.unchanged.retain(|o| !changed.contains(o));
}
