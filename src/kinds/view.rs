//! Views and materialized views. A query is kept as the SQL text it was declared with: the
//! server, not tableform, reads and deparses it (`pg_get_viewdef`) to compare it with the live
//! one.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::trigger::Trigger;
use super::{Change, KindChange, Sign, one};
use crate::diff::verdict::count;
use crate::diff::{Diff, Facts, ObjectKind, Options, Question, Unmanaged, Verdict};
use crate::model::{Index, QualName, Schema};
use crate::plan::Phase;

/// `WITH [LOCAL | CASCADED] CHECK OPTION` of an updatable view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOption {
    Local,
    Cascaded,
}

impl CheckOption {
    pub fn sql(self) -> &'static str {
        match self {
            CheckOption::Local => "LOCAL",
            CheckOption::Cascaded => "CASCADED",
        }
    }
}

/// `[view.NAME]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub name: QualName,
    /// The `SELECT` (or `VALUES`, `WITH ...`) as declared, trimmed, without a final `;`.
    pub query: String,
    /// `CREATE VIEW v (a, b, ...)`: the names of the output columns; empty: the query's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub security_barrier: bool,
    /// `security_invoker` (PostgreSQL 15+): the base tables are accessed with the caller's
    /// privileges rather than the view owner's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub security_invoker: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_option: Option<CheckOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Triggers on the view (`INSTEAD OF` row triggers, `BEFORE`/`AFTER` statement triggers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    /// Declared side only: the view's old name (`ALTER VIEW ... RENAME TO`, then `SET SCHEMA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<QualName>,
}

/// `[materialized_view.NAME]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterializedView {
    pub name: QualName,
    /// As [`View::query`].
    pub query: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// `WITH DATA` (the default) or `WITH NO DATA` when created: the view is populated, or left
    /// unscannable until `REFRESH MATERIALIZED VIEW`. It says how the view is created, not a
    /// state to converge to.
    pub with_data: bool,
    /// Indexes on the materialized view, named as on a table (`<view>_<columns>_idx`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Declared side only: the materialized view's old name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<QualName>,
}

// ---- Live facts the model does not carry ----

/// What a view reads, from `pg_depend` of its rewrite rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ViewDep {
    /// A column of a table, view or materialized view.
    Column { relation: QualName, column: String },
    /// A relation as a whole (no column named).
    Relation(QualName),
    /// A type (an enum constant, a cast).
    Type(QualName),
}

impl ViewDep {
    fn relation(&self) -> Option<&QualName> {
        match self {
            ViewDep::Column { relation, .. } | ViewDep::Relation(relation) => Some(relation),
            ViewDep::Type(_) => None,
        }
    }
}

/// Per view or materialized view, what the model does not carry. Live side: its output columns
/// (name, type) and what it reads. Declared side: the output columns of the declared query as
/// the server sees them (filled by the view probe), no dependencies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewInfo {
    pub columns: Vec<(String, String)>,
    pub deps: Vec<ViewDep>,
    /// Materialized views: whether it holds data (`WITH NO DATA` leaves it unscannable).
    pub populated: bool,
    /// Declared side: the query and column names as declared, when the probe replaced them with
    /// the live ones (the same view to PostgreSQL). A view created again around another change
    /// is created from these, as written.
    pub declared: Option<(String, Vec<String>)>,
}

// ---- Catalog ----

/// Every view and materialized view of the managed schemas (not an extension's), with its
/// deparsed query, output columns, options, comment, and what its rewrite rule depends on
/// (`pg_depend` through `pg_rewrite`): relations with their columns, and types.
pub const QUERY: &str = "
WITH dep AS (
  SELECT DISTINCT rw.ev_class, d.refclassid, d.refobjid, d.refobjsubid
  FROM pg_rewrite rw
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
  WHERE d.refobjid <> rw.ev_class AND d.deptype = 'n'
)
SELECT n.nspname::text, c.relname::text, c.relkind::text, pg_get_viewdef(c.oid, true),
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       COALESCE(c.reloptions, '{}'), obj_description(c.oid, 'pg_class'), c.relispopulated,
       ARRAY(SELECT rn.nspname::text FROM dep JOIN pg_class rc ON rc.oid = dep.refobjid
             JOIN pg_namespace rn ON rn.oid = rc.relnamespace
             WHERE dep.ev_class = c.oid AND dep.refclassid = 'pg_class'::regclass
             ORDER BY dep.refobjid, dep.refobjsubid),
       ARRAY(SELECT rc.relname::text FROM dep JOIN pg_class rc ON rc.oid = dep.refobjid
             WHERE dep.ev_class = c.oid AND dep.refclassid = 'pg_class'::regclass
             ORDER BY dep.refobjid, dep.refobjsubid),
       ARRAY(SELECT COALESCE(ra.attname::text, '') FROM dep
             LEFT JOIN pg_attribute ra ON dep.refobjsubid > 0 AND ra.attrelid = dep.refobjid
                                      AND ra.attnum = dep.refobjsubid
             WHERE dep.ev_class = c.oid AND dep.refclassid = 'pg_class'::regclass
             ORDER BY dep.refobjid, dep.refobjsubid),
       ARRAY(SELECT tn.nspname::text FROM dep JOIN pg_type t ON t.oid = dep.refobjid
             JOIN pg_namespace tn ON tn.oid = t.typnamespace
             WHERE dep.ev_class = c.oid AND dep.refclassid = 'pg_type'::regclass
               AND tn.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY dep.refobjid),
       ARRAY(SELECT t.typname::text FROM dep JOIN pg_type t ON t.oid = dep.refobjid
             JOIN pg_namespace tn ON tn.oid = t.typnamespace
             WHERE dep.ev_class = c.oid AND dep.refclassid = 'pg_type'::regclass
               AND tn.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY dep.refobjid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                  AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY 1, 2";

/// The rows of [`QUERY`] into `s`: views, materialized views (their indexes are read with the
/// other indexes, after this), and what each reads.
pub fn read(rows: &[Row], s: &mut Schema) {
    for r in rows {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let names: Vec<String> = r.get(4);
        let types: Vec<String> = r.get(5);
        let options: Vec<String> = r.get(6);
        let option = |key: &str| {
            (options.iter())
                .find_map(|o| o.strip_prefix(&format!("{key}=")))
                .map(str::to_string)
        };
        let on = |key: &str| option(key).is_some_and(|v| v == "true" || v == "on");
        let (schemas, relations, columns): (Vec<String>, Vec<String>, Vec<String>) =
            (r.get(9), r.get(10), r.get(11));
        let mut deps: Vec<ViewDep> = (schemas.into_iter().zip(relations).zip(columns))
            .map(|((schema, relation), column)| {
                let relation = QualName::new(schema, relation);
                if column.is_empty() {
                    ViewDep::Relation(relation)
                } else {
                    ViewDep::Column { relation, column }
                }
            })
            .collect();
        let (tschemas, tnames): (Vec<String>, Vec<String>) = (r.get(12), r.get(13));
        deps.extend(
            (tschemas.into_iter().zip(tnames)).map(|(s, n)| ViewDep::Type(QualName::new(s, n))),
        );
        let query: String = r.get::<_, Option<String>>(3).unwrap_or_default();
        let comment: Option<String> = r.get(7);
        s.view_info.insert(
            name.clone(),
            ViewInfo {
                columns: names.iter().cloned().zip(types).collect(),
                deps,
                populated: r.get(8),
                declared: None,
            },
        );
        if r.get::<_, String>(2) == "m" {
            s.materialized_views.insert(
                name.clone(),
                MaterializedView {
                    name,
                    query,
                    columns: names,
                    with_data: r.get(8),
                    indexes: Vec::new(),
                    comment,
                    renamed_from: None,
                },
            );
        } else {
            s.views.insert(
                name.clone(),
                View {
                    name,
                    query,
                    columns: names,
                    security_barrier: on("security_barrier"),
                    security_invoker: on("security_invoker"),
                    check_option: match option("check_option").as_deref() {
                        Some("local") => Some(CheckOption::Local),
                        Some("cascaded") => Some(CheckOption::Cascaded),
                        _ => None,
                    },
                    comment,
                    triggers: Vec::new(),
                    renamed_from: None,
                },
            );
        }
    }
}

// ---- Changes ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ViewChange {
    /// `CREATE VIEW v [(columns)] [WITH (...)] AS query [WITH ... CHECK OPTION]`; `again`: it
    /// was dropped by this plan (why).
    CreateView {
        def: View,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        again: Option<String>,
        /// How many views it reads through (creates run shallow first, drops deep first).
        #[serde(default)]
        depth: usize,
    },
    /// `CREATE OR REPLACE VIEW`: the same leading columns (names and types), new ones only
    /// appended.
    ReplaceView {
        def: View,
        #[serde(default)]
        depth: usize,
    },
    /// `DROP VIEW v`: not declared (only with `--prune`), or `because` it is created again.
    DropView {
        name: QualName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        because: Option<String>,
        #[serde(default)]
        depth: usize,
    },
    /// `CREATE MATERIALIZED VIEW m [(columns)] AS query WITH [NO] DATA`, then its indexes.
    CreateMaterializedView {
        def: MaterializedView,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        again: Option<String>,
        #[serde(default)]
        depth: usize,
    },
    /// `DROP MATERIALIZED VIEW m`: not declared (only with `--prune`), or `because` it is
    /// created again (and repopulated).
    DropMaterializedView {
        name: QualName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        because: Option<String>,
        /// Whether it holds data (its rows can be counted).
        #[serde(default)]
        populated: bool,
        #[serde(default)]
        depth: usize,
    },
    /// A change to an index of a materialized view that stays (as on a table).
    MaterializedViewIndex {
        name: QualName,
        index: super::index::IndexChange,
    },
    /// The comment of an index of a materialized view that stays.
    MaterializedViewIndexComment {
        name: QualName,
        comment: super::comment::CommentChange,
    },
    /// A change to a trigger of a view that stays (as on a table); a view created (again) gets
    /// its triggers with it.
    ViewTrigger {
        name: QualName,
        trigger: super::trigger::TriggerChange,
    },
    /// `COMMENT ON [MATERIALIZED] VIEW v IS ...`
    SetViewComment {
        name: QualName,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        materialized: bool,
        comment: Option<String>,
    },
    /// `renamed_from`: `ALTER [MATERIALIZED] VIEW from RENAME TO ...` (then `SET SCHEMA`),
    /// before every other step.
    RenameView {
        from: QualName,
        to: QualName,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        materialized: bool,
    },
    /// A change this plan cannot make to a view: it is refused, with the reason.
    ViewBlocked {
        name: QualName,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        materialized: bool,
        reason: String,
    },
}

impl ViewChange {
    fn depth_mut(&mut self) -> Option<&mut usize> {
        match self {
            ViewChange::CreateView { depth, .. }
            | ViewChange::ReplaceView { depth, .. }
            | ViewChange::DropView { depth, .. }
            | ViewChange::CreateMaterializedView { depth, .. }
            | ViewChange::DropMaterializedView { depth, .. } => Some(depth),
            _ => None,
        }
    }

    fn name(&self) -> &QualName {
        match self {
            ViewChange::CreateView { def, .. } | ViewChange::ReplaceView { def, .. } => &def.name,
            ViewChange::CreateMaterializedView { def, .. } => &def.name,
            ViewChange::DropView { name, .. }
            | ViewChange::DropMaterializedView { name, .. }
            | ViewChange::SetViewComment { name, .. }
            | ViewChange::MaterializedViewIndex { name, .. }
            | ViewChange::MaterializedViewIndexComment { name, .. }
            | ViewChange::ViewTrigger { name, .. }
            | ViewChange::ViewBlocked { name, .. } => name,
            ViewChange::RenameView { to, .. } => to,
        }
    }

    fn materialized(&self) -> bool {
        match self {
            ViewChange::CreateMaterializedView { .. }
            | ViewChange::DropMaterializedView { .. }
            | ViewChange::MaterializedViewIndex { .. }
            | ViewChange::MaterializedViewIndexComment { .. } => true,
            ViewChange::SetViewComment { materialized, .. }
            | ViewChange::RenameView { materialized, .. }
            | ViewChange::ViewBlocked { materialized, .. } => *materialized,
            _ => false,
        }
    }
}

const COLUMNS_CHANGED: &str = "columns changed: PostgreSQL cannot replace it in place";
const UNCOMPARED: &str = "its query changed and reads what this plan creates or renames, so its new columns are known only once it runs: dropped and created again";

// ---- Diff ----

/// Whether `CREATE OR REPLACE VIEW` can turn the live view into the declared one: the live
/// columns are the declared query's leading columns, with the same names and types (the
/// declared side's are known only when the view probe answered).
fn replaceable(name: &QualName, desired: &Schema, live: &Schema) -> bool {
    let (Some(want), Some(have)) = (desired.view_info.get(name), live.view_info.get(name)) else {
        return false;
    };
    !want.columns.is_empty()
        && want.columns.len() >= have.columns.len()
        && want.columns[..have.columns.len()] == have.columns[..]
}

fn same_view(a: &View, b: &View) -> bool {
    (
        &a.query,
        &a.columns,
        a.security_barrier,
        a.security_invoker,
        a.check_option,
    ) == (
        &b.query,
        &b.columns,
        b.security_barrier,
        b.security_invoker,
        b.check_option,
    )
}

/// `renamed_from` on views and materialized views whose old name exists and new one does not:
/// the rename changes, and the live model as the later changes see it (renamed, and what every
/// view reads renamed too, including the tables and columns `table_renames` renames).
pub fn renames(
    desired: &Schema,
    live: &Schema,
    table_renames: &[Change],
) -> (Vec<Change>, Option<Schema>) {
    use super::column::ColumnChange;
    use super::table::TableChange;
    let mut changes = Vec::new();
    let mut moved: BTreeMap<QualName, QualName> = BTreeMap::new();
    let mut views_moved: Vec<(&QualName, &QualName, bool)> = Vec::new();
    let declared = (desired
        .views
        .values()
        .map(|v| (&v.name, &v.renamed_from, false)))
    .chain((desired.materialized_views.values()).map(|m| (&m.name, &m.renamed_from, true)));
    for (name, from, materialized) in declared {
        let Some(from) = from else { continue };
        let exists = |n: &QualName| {
            if materialized {
                live.materialized_views.contains_key(n)
            } else {
                live.views.contains_key(n)
            }
        };
        if exists(name) || !exists(from) || live.view_info.contains_key(name) {
            continue;
        }
        views_moved.push((from, name, materialized));
        moved.insert(from.clone(), name.clone());
        changes.push(
            ViewChange::RenameView {
                from: from.clone(),
                to: name.clone(),
                materialized,
            }
            .into(),
        );
    }
    let mut columns: BTreeMap<(QualName, String), String> = BTreeMap::new();
    for c in table_renames {
        match c {
            Change::Table(TableChange::RenameTable { from, to }) => {
                moved.insert(from.clone(), to.clone());
            }
            Change::Column(ColumnChange::RenameColumn { table, from, to }) => {
                columns.insert((table.clone(), from.clone()), to.clone());
            }
            _ => {}
        }
    }
    if moved.is_empty() && columns.is_empty() {
        return (changes, None);
    }
    // Only now is the live model copied: a plan that renames nothing (almost every plan) never
    // holds a second copy of every table.
    let mut renamed = live.clone();
    for (from, name, materialized) in views_moved {
        if materialized {
            if let Some(mut m) = renamed.materialized_views.remove(from) {
                m.name = name.clone();
                renamed.materialized_views.insert(name.clone(), m);
            }
        } else if let Some(mut v) = renamed.views.remove(from) {
            v.name = name.clone();
            renamed.views.insert(name.clone(), v);
        }
        if let Some(i) = renamed.view_info.remove(from) {
            renamed.view_info.insert(name.clone(), i);
        }
    }
    for info in renamed.view_info.values_mut() {
        for d in &mut info.deps {
            match d {
                ViewDep::Column { relation, column } => {
                    if let Some(to) = moved.get(relation) {
                        *relation = to.clone();
                    }
                    if let Some(to) = columns.get(&(relation.clone(), column.clone())) {
                        *column = to.clone();
                    }
                }
                ViewDep::Relation(relation) => {
                    if let Some(to) = moved.get(relation) {
                        *relation = to.clone();
                    }
                }
                ViewDep::Type(_) => {}
            }
        }
    }
    (changes, Some(renamed))
}

/// The declared view as written (the probe may have given it the live text, which is the same
/// view to PostgreSQL): statements show what the user wrote.
fn as_declared(want: &View, desired: &Schema) -> View {
    let mut v = want.clone();
    if let Some((query, columns)) = desired
        .view_info
        .get(&want.name)
        .and_then(|i| i.declared.clone())
    {
        (v.query, v.columns) = (query, columns);
    }
    v
}

fn matview_as_declared(want: &MaterializedView, desired: &Schema) -> MaterializedView {
    let mut v = want.clone();
    if let Some((query, columns)) = desired
        .view_info
        .get(&want.name)
        .and_then(|i| i.declared.clone())
    {
        (v.query, v.columns) = (query, columns);
    }
    v
}

/// Declared views and materialized views: created, replaced, or dropped and created again.
pub fn diff(desired: &Schema, live: &Schema, out: &mut Diff) {
    for (name, want) in &desired.views {
        let Some(have) = live.views.get(name) else {
            out.changes.push(
                ViewChange::CreateView {
                    def: want.clone(),
                    again: None,
                    depth: 0,
                }
                .into(),
            );
            continue;
        };
        let before = out.changes.len();
        let mut recreated = false;
        if !same_view(want, have) {
            if replaceable(name, desired, live) {
                out.changes.push(
                    ViewChange::ReplaceView {
                        def: as_declared(want, desired),
                        depth: 0,
                    }
                    .into(),
                );
            } else {
                recreated = true;
                // Without the probe's answer the declared columns are unknown: the declared
                // query does not run against the database as it is (it reads what this plan
                // creates or renames), and only creating it anew is sure to work.
                let why = if desired.view_info.contains_key(name) {
                    COLUMNS_CHANGED
                } else {
                    UNCOMPARED
                };
                out.changes.push(
                    ViewChange::DropView {
                        name: name.clone(),
                        because: Some(why.into()),
                        depth: 0,
                    }
                    .into(),
                );
                out.changes.push(
                    ViewChange::CreateView {
                        def: as_declared(want, desired),
                        again: Some(why.into()),
                        depth: 0,
                    }
                    .into(),
                );
            }
        }
        if !recreated && want.comment != have.comment {
            out.changes.push(
                ViewChange::SetViewComment {
                    name: name.clone(),
                    materialized: false,
                    comment: want.comment.clone(),
                }
                .into(),
            );
        }
        if !recreated {
            let mut triggers = Vec::new();
            super::trigger::diff(&mut triggers, name, &want.triggers, &have.triggers);
            out.changes.extend(on_view(name, triggers));
        }
        if out.changes.len() == before {
            out.unchanged.push((ObjectKind::View, name.clone()));
        }
    }
    for (name, want) in &desired.materialized_views {
        let Some(have) = live.materialized_views.get(name) else {
            out.changes.push(
                ViewChange::CreateMaterializedView {
                    def: want.clone(),
                    again: None,
                    depth: 0,
                }
                .into(),
            );
            continue;
        };
        let before = out.changes.len();
        if (&want.query, &want.columns) != (&have.query, &have.columns) {
            let why = "its query changed: dropped, created again and repopulated";
            out.changes.push(
                ViewChange::DropMaterializedView {
                    name: name.clone(),
                    because: Some(why.into()),
                    populated: live.view_info.get(name).is_some_and(|i| i.populated),
                    depth: 0,
                }
                .into(),
            );
            out.changes.push(
                ViewChange::CreateMaterializedView {
                    def: matview_as_declared(want, desired),
                    again: Some(why.into()),
                    depth: 0,
                }
                .into(),
            );
        } else {
            let mut indexes = Vec::new();
            super::index::diff(&mut indexes, name, &want.indexes, &have.indexes);
            // Listed under the materialized view.
            out.changes.extend(indexes.into_iter().map(|c| {
                match c {
                    Change::Index(index) => ViewChange::MaterializedViewIndex {
                        name: name.clone(),
                        index,
                    }
                    .into(),
                    Change::Comment(comment) => ViewChange::MaterializedViewIndexComment {
                        name: name.clone(),
                        comment,
                    }
                    .into(),
                    other => other,
                }
            }));
            if want.comment != have.comment {
                out.changes.push(
                    ViewChange::SetViewComment {
                        name: name.clone(),
                        materialized: true,
                        comment: want.comment.clone(),
                    }
                    .into(),
                );
            }
        }
        if out.changes.len() == before {
            out.unchanged
                .push((ObjectKind::MaterializedView, name.clone()));
        }
    }
}

/// Trigger changes of view `name`, listed under it.
pub fn on_view(name: &QualName, changes: Vec<Change>) -> impl Iterator<Item = Change> + '_ {
    changes.into_iter().map(move |c| match c {
        Change::Trigger(trigger) => ViewChange::ViewTrigger {
            name: name.clone(),
            trigger,
        }
        .into(),
        other => other,
    })
}

/// A declared view that this plan drops and creates again loses the live triggers the
/// declaration does not have: without `--prune`, that is refused, naming them (tableform never
/// drops what it does not manage silently); with it, they are dropped as undeclared.
pub fn keep_undeclared_triggers(
    changes: &mut Vec<Change>,
    desired: &Schema,
    live: &Schema,
    prune: bool,
) {
    if prune {
        return;
    }
    let mut blocked = Vec::new();
    for c in changes.iter() {
        let Change::View(ViewChange::DropView {
            name,
            because: Some(why),
            ..
        }) = c
        else {
            continue;
        };
        let (Some(want), Some(have)) = (desired.views.get(name), live.views.get(name)) else {
            continue;
        };
        let lost: Vec<String> = (have.triggers.iter())
            .filter(|h| {
                !(want.triggers.iter())
                    .any(|w| w.name == h.name || w.renamed_from.as_ref() == Some(&h.name))
            })
            .map(|h| format!("`{}`", h.name))
            .collect();
        if lost.is_empty() {
            continue;
        }
        blocked.push(
            ViewChange::ViewBlocked {
                name: name.clone(),
                materialized: false,
                reason: format!(
                    "view {name} is dropped and created again ({why}), which drops its {} {}, not declared: declare {} (`tableform import` writes {}), or pass --prune to drop {}",
                    if lost.len() == 1 { "trigger" } else { "triggers" },
                    lost.join(", "),
                    if lost.len() == 1 { "it" } else { "them" },
                    if lost.len() == 1 { "it" } else { "them" },
                    if lost.len() == 1 { "it" } else { "them" },
                ),
            }
            .into(),
        );
    }
    changes.extend(blocked);
}

/// A name declared as one kind of view that the database holds as the other: creating the
/// declared one needs the live one dropped, which only `--prune` allows (then it is dropped
/// first and the declared one created).
fn kind_switch(name: &QualName, materialized: bool) -> ViewChange {
    let (declared, held) = if materialized {
        ("a materialized view", "a view")
    } else {
        ("a view", "a materialized view")
    };
    ViewChange::ViewBlocked {
        name: name.clone(),
        materialized,
        reason: format!(
            "{name} is declared as {declared} and the database holds {held} of that name, which the declaration does not mention: pass --prune to drop it and create the declared one"
        ),
    }
}

/// Live views and materialized views the declaration does not mention: unmanaged, or dropped
/// with `--prune`.
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for name in (live.views.keys()).filter(|n| !desired.views.contains_key(*n)) {
        if !prune && desired.materialized_views.contains_key(name) {
            out.changes.push(kind_switch(name, true).into());
        } else if prune {
            out.changes.push(
                ViewChange::DropView {
                    name: name.clone(),
                    because: None,
                    depth: 0,
                }
                .into(),
            );
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::View,
                name: name.clone(),
                kept: None,
                owned_by: None,
            });
        }
    }
    for name in
        (live.materialized_views.keys()).filter(|n| !desired.materialized_views.contains_key(*n))
    {
        if !prune && desired.views.contains_key(name) {
            out.changes.push(kind_switch(name, false).into());
        } else if prune {
            out.changes.push(
                ViewChange::DropMaterializedView {
                    name: name.clone(),
                    because: None,
                    populated: live.view_info.get(name).is_some_and(|i| i.populated),
                    depth: 0,
                }
                .into(),
            );
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::MaterializedView,
                name: name.clone(),
                kept: None,
                owned_by: None,
            });
        }
    }
}

// ---- What other changes need out of the way ----

/// What a change does to something views read, for the reason given to a view dropped and
/// created again around it.
/// Changed columns, recreated types and recreated views, each with the reason given to the
/// views dropped around it.
type Roots = (
    BTreeMap<(QualName, String), String>,
    BTreeMap<QualName, String>,
    BTreeMap<QualName, String>,
);

fn dependency_roots(changes: &[Change]) -> Roots {
    use super::column::ColumnChange;
    use super::enum_type::EnumChange;
    let (mut columns, mut types, mut relations) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for c in changes {
        match c {
            Change::Column(ColumnChange::AlterType { table, column, .. }) => {
                columns.insert(
                    (table.clone(), column.clone()),
                    format!("the type change of column `{column}` of {table}"),
                );
            }
            Change::Column(ColumnChange::SetCollation { table, column, .. }) => {
                columns.insert(
                    (table.clone(), column.clone()),
                    format!("the collation change of column `{column}` of {table}"),
                );
            }
            Change::Column(ColumnChange::DropColumn { table, column, .. }) => {
                columns.insert(
                    (table.clone(), column.clone()),
                    format!("the drop of column `{column}` of {table}"),
                );
            }
            Change::Enum(EnumChange::ReshapeEnum { name, uses, .. }) => {
                let why = format!("the recreation of enum type {name}");
                types.insert(name.clone(), why.clone());
                for u in uses {
                    columns.insert((u.table.clone(), u.column.clone()), why.clone());
                }
            }
            Change::View(ViewChange::DropView {
                name,
                because: Some(_),
                ..
            }) => {
                relations.insert(name.clone(), format!("the recreation of view {name}"));
            }
            Change::View(ViewChange::DropMaterializedView {
                name,
                because: Some(_),
                ..
            }) => {
                relations.insert(
                    name.clone(),
                    format!("the recreation of materialized view {name}"),
                );
            }
            _ => {}
        }
    }
    (columns, types, relations)
}

/// PostgreSQL cannot change the type or collation of a column a view reads, drop such a
/// column, or recreate an enum type a view uses, while the view exists ("cannot alter type of
/// a column used by a view"); nor drop a view another one reads. Every live view that reads
/// what such a change touches, directly or through other views, is dropped first
/// ([`Phase::DropViews`]) and created again afterwards ([`Phase::Views`]) from its declaration.
/// A view that is not declared cannot be rebuilt faithfully: the plan is refused, naming it.
/// Then every view change gets its depth, which orders creates and drops.
pub fn make_changes_possible(changes: &mut Vec<Change>, desired: &Schema, live: &Schema) {
    let (columns, types, mut relations) = dependency_roots(changes);
    // Which live views are hit, and why: a fixpoint over what they read.
    let mut hit: BTreeMap<QualName, String> = BTreeMap::new();
    loop {
        let mut grew = false;
        for (v, info) in &live.view_info {
            if hit.contains_key(v) {
                continue;
            }
            let why = info.deps.iter().find_map(|d| match d {
                ViewDep::Column { relation, column } => columns
                    .get(&(relation.clone(), column.clone()))
                    .or_else(|| relations.get(relation)),
                ViewDep::Relation(r) => relations.get(r),
                ViewDep::Type(t) => types.get(t),
            });
            if let Some(why) = why.cloned() {
                relations.insert(v.clone(), format!("the recreation of {v}"));
                hit.insert(v.clone(), why);
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    for (v, why) in hit {
        let dropped = changes.iter().any(|c| {
            matches!(c, Change::View(ViewChange::DropView { name, .. } | ViewChange::DropMaterializedView { name, .. }) if *name == v)
        });
        if dropped {
            continue;
        }
        let because = format!("out of the way of {why}, then created again");
        if !rebuild(changes, desired, live, &v, because) {
            let materialized = live.materialized_views.contains_key(&v);
            let what = if materialized {
                "materialized view"
            } else {
                "view"
            };
            changes.push(
                ViewChange::ViewBlocked {
                    name: v.clone(),
                    materialized,
                    reason: format!(
                        "{what} {v} reads what {why} changes, and is not declared: PostgreSQL cannot make that change while the {what} exists, and tableform does not recreate what it does not manage; declare it (`tableform import` writes its declaration) or drop it first"
                    ),
                }
                .into(),
            );
        }
    }
    set_depths(changes, desired, live);
}

/// Whether the live view or materialized view `v` is declared (as the same kind). If so, it is
/// dropped (`because`) and created again from its declaration, replacing its other changes,
/// unless the plan drops it already.
pub fn rebuild(
    changes: &mut Vec<Change>,
    desired: &Schema,
    live: &Schema,
    v: &QualName,
    because: String,
) -> bool {
    let materialized = live.materialized_views.contains_key(v);
    let declared = if materialized {
        desired.materialized_views.contains_key(v)
    } else {
        desired.views.contains_key(v)
    };
    if !declared {
        return false;
    }
    let dropped = changes.iter().any(|c| {
        matches!(c, Change::View(ViewChange::DropView { name, .. } | ViewChange::DropMaterializedView { name, .. }) if name == v)
    });
    if dropped {
        return true;
    }
    {
        let v = v.clone();
        // Its other changes are made by creating it again from its declaration.
        let ours = |c: &Change| matches!(c, Change::View(vc) if vc.name() == &v);
        match (desired.views.get(&v), desired.materialized_views.get(&v)) {
            (Some(def), _) if !materialized => {
                let def = as_declared(def, desired);
                changes.retain(|c| !ours(c));
                changes.push(
                    ViewChange::DropView {
                        name: v.clone(),
                        because: Some(because.clone()),
                        depth: 0,
                    }
                    .into(),
                );
                changes.push(
                    ViewChange::CreateView {
                        def,
                        again: Some(because),
                        depth: 0,
                    }
                    .into(),
                );
            }
            (_, Some(def)) if materialized => {
                let def = matview_as_declared(def, desired);
                changes.retain(|c| !ours(c));
                changes.push(
                    ViewChange::DropMaterializedView {
                        name: v.clone(),
                        because: Some(because.clone()),
                        populated: live.view_info.get(&v).is_some_and(|i| i.populated),
                        depth: 0,
                    }
                    .into(),
                );
                changes.push(
                    ViewChange::CreateMaterializedView {
                        def,
                        again: Some(because),
                        depth: 0,
                    }
                    .into(),
                );
            }
            _ => unreachable!("declared as checked above"),
        }
    }
    true
}

/// A declared view or materialized view that reads a table or view this plan drops as not
/// declared (`--prune`) would stop the `DROP` at apply (PostgreSQL drops nothing a view reads):
/// refused at plan time, naming both. What it reads is known from `pg_depend` for a live view
/// and, for one this plan creates or replaces, from its query naming the dropped relation as a
/// word (with its schema, when that is another one than the view's and not `public`).
pub fn refuse_reading_pruned(changes: &mut Vec<Change>, desired: &Schema, live: &Schema) {
    use super::table::TableChange;
    let pruned: Vec<(QualName, &'static str)> = (changes.iter())
        .filter_map(|c| match c {
            Change::Table(TableChange::DropTable { table }) => Some((table.clone(), "table")),
            Change::View(ViewChange::DropView {
                name,
                because: None,
                ..
            }) => Some((name.clone(), "view")),
            Change::View(ViewChange::DropMaterializedView {
                name,
                because: None,
                ..
            }) => Some((name.clone(), "materialized view")),
            _ => None,
        })
        .collect();
    if pruned.is_empty() {
        return;
    }
    let declared = (desired.views.values())
        .map(|v| (&v.name, &v.query, false))
        .chain((desired.materialized_views.values()).map(|m| (&m.name, &m.query, true)));
    let mut blocked = Vec::new();
    for (name, query, materialized) in declared {
        // A view this plan creates (again) or replaces reads what its declared query names;
        // one it leaves alone, what it reads now.
        let created = changes.iter().any(|c| {
            matches!(c, Change::View(ViewChange::CreateView { def, .. } | ViewChange::ReplaceView { def, .. }) if def.name == *name)
                || matches!(c, Change::View(ViewChange::CreateMaterializedView { def, .. }) if def.name == *name)
        });
        let reads = |r: &QualName| {
            let live_reads = (live.view_info.get(name))
                .is_some_and(|i| i.deps.iter().any(|d| d.relation() == Some(r)));
            // Another schema's table is named with its schema (unless it is `public`).
            let named = names(query, &r.name)
                && (r.schema == name.schema || r.schema == "public" || names(query, &r.schema));
            live_reads || (created && named)
        };
        let read: Vec<String> = (pruned.iter())
            .filter(|(r, _)| r != name && reads(r))
            .map(|(r, what)| format!("{what} {r}"))
            .collect();
        if read.is_empty() {
            continue;
        }
        let what = if materialized {
            "materialized view"
        } else {
            "view"
        };
        blocked.push(
            ViewChange::ViewBlocked {
                name: name.clone(),
                materialized,
                reason: format!(
                    "the declared {what} {name} reads {}, which {} not declared: --prune would drop {}, and PostgreSQL cannot while the {what} reads {}; declare {}, or change the {what} not to read {}",
                    read.join(", "),
                    if read.len() == 1 { "is" } else { "are" },
                    if read.len() == 1 { "it" } else { "them" },
                    if read.len() == 1 { "it" } else { "them" },
                    if read.len() == 1 { "it" } else { "them" },
                    if read.len() == 1 { "it" } else { "them" },
                ),
            }
            .into(),
        );
    }
    changes.extend(blocked);
}

/// Whether `query` names `name` as a whole word (unquoted names case-insensitively).
fn names(query: &str, name: &str) -> bool {
    let (q, n) = (query.to_lowercase(), name.to_lowercase());
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    q.match_indices(&n).any(|(at, _)| {
        let before = q[..at].chars().next_back();
        let after = q[at + n.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// Each view change's depth: how many views deep it reads. The graph joins what live views
/// read (`pg_depend`) with, for declared views, the other declared views whose names occur in
/// the query as a word. The latter over-approximates (a column, alias or string spelled like a
/// view counts too): a view may be created later than it needed to be, never too early. A
/// cycle of such false mentions is cut where it closes.
fn set_depths(changes: &mut [Change], desired: &Schema, live: &Schema) {
    let mut edges: BTreeMap<&QualName, BTreeSet<&QualName>> = BTreeMap::new();
    let views: BTreeSet<&QualName> = (live.view_info.keys())
        .chain(desired.views.keys())
        .chain(desired.materialized_views.keys())
        .collect();
    for (v, info) in &live.view_info {
        let e = edges.entry(v).or_default();
        e.extend(
            (info.deps.iter())
                .filter_map(ViewDep::relation)
                .filter(|r| views.contains(r) && *r != v),
        );
    }
    let declared = (desired.views.values().map(|d| (&d.name, &d.query))).chain(
        desired
            .materialized_views
            .values()
            .map(|d| (&d.name, &d.query)),
    );
    for (v, query) in declared {
        let e = edges.entry(v).or_default();
        for other in &views {
            if *other != v && names(query, &other.name) {
                e.insert(other);
            }
        }
    }
    fn depth<'a>(
        v: &'a QualName,
        edges: &BTreeMap<&'a QualName, BTreeSet<&'a QualName>>,
        memo: &mut BTreeMap<&'a QualName, usize>,
        path: &mut Vec<&'a QualName>,
    ) -> usize {
        if let Some(d) = memo.get(v) {
            return *d;
        }
        if path.contains(&v) {
            return 0;
        }
        path.push(v);
        let d = (edges.get(v).into_iter().flatten())
            .map(|w| depth(w, edges, memo, path) + 1)
            .max()
            .unwrap_or(0);
        path.pop();
        memo.insert(v, d);
        d
    }
    let mut memo = BTreeMap::new();
    let depths: BTreeMap<QualName, usize> = (edges.keys())
        .map(|v| ((*v).clone(), depth(v, &edges, &mut memo, &mut Vec::new())))
        .collect();
    for c in changes.iter_mut() {
        if let Change::View(vc) = c {
            let d = depths.get(vc.name()).copied().unwrap_or(0);
            if let Some(slot) = vc.depth_mut() {
                *slot = d;
            }
        }
    }
}

// ---- SQL ----

/// The query as a statement's tail: without the `;` a deparse (`pg_get_viewdef`) ends with.
pub(crate) fn body(query: &str) -> &str {
    let q = query.trim_end();
    q.strip_suffix(';').unwrap_or(q).trim_end()
}

fn column_list(columns: &[String]) -> String {
    if columns.is_empty() {
        String::new()
    } else {
        format!(" ({})", super::ident_list(columns))
    }
}

fn create_view(v: &View, replace: bool) -> String {
    let mut options = Vec::new();
    if v.security_barrier {
        options.push("security_barrier = true".to_string());
    }
    if v.security_invoker {
        options.push("security_invoker = true".to_string());
    }
    if let Some(c) = v.check_option {
        options.push(format!("check_option = {}", c.sql().to_lowercase()));
    }
    format!(
        "CREATE {}VIEW {}{}{} AS\n{}",
        if replace { "OR REPLACE " } else { "" },
        v.name.sql(),
        column_list(&v.columns),
        if options.is_empty() {
            String::new()
        } else {
            format!(" WITH ({})", options.join(", "))
        },
        body(&v.query)
    )
}

/// " with 1 trigger", " with 2 triggers", or nothing.
fn with_triggers(v: &View) -> String {
    match v.triggers.len() {
        0 => String::new(),
        1 => " with 1 trigger".into(),
        n => format!(" with {n} triggers"),
    }
}

fn target(name: &QualName, materialized: bool) -> String {
    format!(
        "{}VIEW {}",
        if materialized { "MATERIALIZED " } else { "" },
        name.sql()
    )
}

impl KindChange for ViewChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let kind = if self.materialized() {
            ObjectKind::MaterializedView
        } else {
            ObjectKind::View
        };
        (kind, self.name().clone())
    }

    fn questions(&self) -> Vec<Question> {
        match self {
            ViewChange::MaterializedViewIndex { index, .. } => index.questions(),
            ViewChange::DropMaterializedView {
                name,
                populated: true,
                ..
            } => vec![Question::ViewRows(name.clone())],
            _ => Vec::new(),
        }
    }

    fn judge(&self, facts: &Facts, opts: &Options) -> Verdict {
        match self {
            ViewChange::MaterializedViewIndex { index, .. } => index.judge(facts, opts),
            ViewChange::ViewTrigger { trigger, .. } => trigger.judge(facts, opts),
            ViewChange::MaterializedViewIndexComment { comment, .. } => comment.judge(facts, opts),
            ViewChange::CreateView { again: None, .. }
            | ViewChange::CreateMaterializedView { again: None, .. } => Verdict::Create,
            ViewChange::CreateView { again: Some(_), .. }
            | ViewChange::CreateMaterializedView { again: Some(_), .. } => {
                Verdict::note("created again as declared")
            }
            ViewChange::ReplaceView { .. }
            | ViewChange::SetViewComment { .. }
            | ViewChange::RenameView { .. } => Verdict::change(),
            ViewChange::DropView { because, .. } => match because {
                Some(why) => Verdict::note(why.clone()),
                None => Verdict::change(),
            },
            ViewChange::DropMaterializedView {
                name,
                because,
                populated,
                ..
            } => {
                let rows = if *populated {
                    let n = facts.get(&Question::ViewRows(name.clone())).copied();
                    format!(
                        "it holds {}",
                        n.map_or("rows".to_string(), |n| count(n, "row"))
                    )
                } else {
                    "it holds no data (created WITH NO DATA, never refreshed)".to_string()
                };
                match because {
                    Some(why) => Verdict::note(format!(
                        "{why}; it is repopulated from its query when created again ({rows} now)"
                    )),
                    None => Verdict::note(format!("{rows}, derived from its query")),
                }
            }
            ViewChange::ViewBlocked { reason, .. } => Verdict::refuse(reason.clone()),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            ViewChange::MaterializedViewIndex { index, .. } => index.statements(),
            ViewChange::ViewTrigger { trigger, .. } => trigger.statements(),
            ViewChange::MaterializedViewIndexComment { comment, .. } => comment.statements(),
            ViewChange::CreateView { def, .. } => {
                let mut out = one(Phase::Views, create_view(def, false));
                for t in &def.triggers {
                    out.extend(super::trigger::create(&def.name, t));
                }
                if def.comment.is_some() {
                    out.push((
                        Phase::Comments,
                        super::comment::comment(target(&def.name, false), &def.comment),
                    ));
                }
                out
            }
            ViewChange::ReplaceView { def, .. } => one(Phase::Views, create_view(def, true)),
            ViewChange::DropView { name, .. } => {
                one(Phase::DropViews, format!("DROP VIEW {}", name.sql()))
            }
            ViewChange::CreateMaterializedView { def, .. } => {
                let mut out = one(
                    Phase::Views,
                    format!(
                        "CREATE MATERIALIZED VIEW {}{} AS\n{}\nWITH {}DATA",
                        def.name.sql(),
                        column_list(&def.columns),
                        body(&def.query),
                        if def.with_data { "" } else { "NO " }
                    ),
                );
                for i in &def.indexes {
                    out.push((Phase::Views, super::index::create_index(&def.name, i)));
                    out.extend(super::index::index_comment(&def.name, i, Phase::Comments));
                }
                if def.comment.is_some() {
                    out.push((
                        Phase::Comments,
                        super::comment::comment(target(&def.name, true), &def.comment),
                    ));
                }
                out
            }
            ViewChange::DropMaterializedView { name, .. } => one(
                Phase::DropViews,
                format!("DROP MATERIALIZED VIEW {}", name.sql()),
            ),
            ViewChange::SetViewComment {
                name,
                materialized,
                comment,
            } => one(
                Phase::Comments,
                super::comment::comment(target(name, *materialized), comment),
            ),
            ViewChange::RenameView {
                from,
                to,
                materialized,
            } => {
                let mut out = vec![(
                    Phase::Renames,
                    format!(
                        "ALTER {} RENAME TO {}",
                        target(from, *materialized),
                        crate::model::names::quote_ident(&to.name)
                    ),
                )];
                if from.schema != to.schema {
                    let moved = QualName::new(from.schema.clone(), to.name.clone());
                    out.push((
                        Phase::Renames,
                        format!(
                            "ALTER {} SET SCHEMA {}",
                            target(&moved, *materialized),
                            crate::model::names::quote_ident(&to.schema)
                        ),
                    ));
                }
                out
            }
            ViewChange::ViewBlocked { .. } => Vec::new(),
        }
    }

    fn rank(&self, phase: Phase) -> i64 {
        let depth = match self {
            ViewChange::CreateView { depth, .. }
            | ViewChange::ReplaceView { depth, .. }
            | ViewChange::DropView { depth, .. }
            | ViewChange::CreateMaterializedView { depth, .. }
            | ViewChange::DropMaterializedView { depth, .. } => *depth as i64,
            _ => 0,
        };
        // Shallow first when creating; deep first (dependents before what they read) when
        // dropping.
        if phase == Phase::DropViews {
            -depth
        } else {
            depth
        }
    }

    fn summary(&self) -> String {
        match self {
            ViewChange::MaterializedViewIndex { index, .. } => index.summary(),
            ViewChange::ViewTrigger { trigger, .. } => trigger.summary(),
            ViewChange::MaterializedViewIndexComment { comment, .. } => comment.summary(),
            ViewChange::CreateView {
                again: None, def, ..
            } => {
                format!("create view{}", with_triggers(def))
            }
            ViewChange::CreateMaterializedView {
                again: None, def, ..
            } => format!(
                "create materialized view{}",
                match def.indexes.len() {
                    0 => String::new(),
                    1 => " with 1 index".into(),
                    n => format!(" with {n} indexes"),
                }
            ),
            ViewChange::CreateView {
                again: Some(_),
                def,
                ..
            } => format!("create view again{}", with_triggers(def)),
            ViewChange::CreateMaterializedView { again: Some(_), .. } => {
                "create materialized view again (repopulated)".into()
            }
            ViewChange::ReplaceView { .. } => {
                "replace view (CREATE OR REPLACE: same leading columns)".into()
            }
            ViewChange::DropView { because: None, .. } => "drop view (not declared)".into(),
            ViewChange::DropMaterializedView { because: None, .. } => {
                "drop materialized view (not declared)".into()
            }
            ViewChange::DropView {
                because: Some(_), ..
            } => "drop view (created again below)".into(),
            ViewChange::DropMaterializedView {
                because: Some(_), ..
            } => "drop materialized view (created again below)".into(),
            ViewChange::SetViewComment { comment, .. } => match comment {
                Some(c) => format!("set comment {c:?}"),
                None => "remove comment".into(),
            },
            ViewChange::RenameView { from, .. } => format!("rename from {from} (renamed_from)"),
            ViewChange::ViewBlocked { .. } => "stands in the way of this plan".into(),
        }
    }

    fn drift(&self) -> Option<String> {
        match self {
            ViewChange::CreateView { again: None, .. }
            | ViewChange::CreateMaterializedView { again: None, .. } => {
                Some("declared but missing from the database".into())
            }
            ViewChange::DropView {
                because: Some(why), ..
            }
            | ViewChange::DropMaterializedView {
                because: Some(why), ..
            } => Some(format!("differs: {why}")),
            ViewChange::CreateView { again: Some(_), .. }
            | ViewChange::CreateMaterializedView { again: Some(_), .. } => {
                Some("differs: to be dropped and created again from its declaration".into())
            }
            _ => None,
        }
    }

    fn sign(&self) -> Sign {
        match self {
            ViewChange::CreateView { .. } | ViewChange::CreateMaterializedView { .. } => Sign::Add,
            ViewChange::DropView { .. } | ViewChange::DropMaterializedView { .. } => Sign::Remove,
            ViewChange::MaterializedViewIndex { index, .. } => index.sign(),
            ViewChange::ViewTrigger { trigger, .. } => trigger.sign(),
            ViewChange::MaterializedViewIndexComment { comment, .. } => comment.sign(),
            _ => Sign::Alter,
        }
    }

    fn contended(&self, _created: &BTreeSet<&QualName>) -> bool {
        !matches!(
            self,
            ViewChange::CreateView { again: None, .. }
                | ViewChange::CreateMaterializedView { again: None, .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::column::ColumnChange;
    use crate::model::DataType;

    fn q(n: &str) -> QualName {
        QualName::new("public", n)
    }

    fn view(name: &str, query: &str) -> View {
        View {
            name: q(name),
            query: query.into(),
            columns: Vec::new(),
            security_barrier: false,
            security_invoker: false,
            check_option: None,
            comment: None,
            triggers: Vec::new(),
            renamed_from: None,
        }
    }

    /// `a` reads `t.c`; `b` reads `a`.
    fn live() -> Schema {
        let mut s = Schema::default();
        for (name, deps) in [
            (
                "a",
                vec![ViewDep::Column {
                    relation: q("t"),
                    column: "c".into(),
                }],
            ),
            (
                "b",
                vec![ViewDep::Column {
                    relation: q("a"),
                    column: "c".into(),
                }],
            ),
        ] {
            s.views.insert(q(name), view(name, "SELECT 1"));
            s.view_info.insert(
                q(name),
                ViewInfo {
                    deps,
                    ..Default::default()
                },
            );
        }
        s
    }

    fn alter_type() -> Change {
        ColumnChange::AlterType {
            table: q("t"),
            column: "c".into(),
            from: DataType::parse("integer").unwrap(),
            to: DataType::parse("bigint").unwrap(),
            protected: false,
            drops_default: false,
            sets_default: None,
            collation: None,
            serial_sequence: None,
            using: None,
        }
        .into()
    }

    #[test]
    fn names_matches_whole_words_only() {
        assert!(names("SELECT * FROM Rich_Accounts r", "rich_accounts"));
        assert!(!names("SELECT * FROM rich_accounts_old", "rich_accounts"));
        assert!(!names("SELECT enriched FROM t", "rich"));
    }

    #[test]
    fn a_type_change_recreates_the_views_reading_it_transitively_in_dependency_order() {
        let live = live();
        let mut desired = Schema::default();
        desired.views.insert(q("a"), view("a", "SELECT c FROM t"));
        desired.views.insert(q("b"), view("b", "SELECT c FROM a"));
        let mut changes = vec![alter_type()];
        make_changes_possible(&mut changes, &desired, &live);
        let steps: Vec<(Phase, i64, String)> = (changes.iter())
            .flat_map(|c| {
                let k = c.as_kind();
                k.statements()
                    .into_iter()
                    .map(move |(p, s)| (p, k.rank(p), s))
            })
            .filter(|(p, _, _)| matches!(p, Phase::DropViews | Phase::Views))
            .collect();
        let mut sorted = steps.clone();
        sorted.sort_by_key(|(p, r, _)| (*p, *r));
        let sql: Vec<&str> = sorted.iter().map(|(_, _, s)| s.as_str()).collect();
        assert_eq!(
            sql,
            [
                "DROP VIEW public.b",
                "DROP VIEW public.a",
                "CREATE VIEW public.a AS\nSELECT c FROM t",
                "CREATE VIEW public.b AS\nSELECT c FROM a",
            ]
        );
    }

    #[test]
    fn an_undeclared_view_in_the_way_is_refused_by_name() {
        let live = live();
        let mut desired = Schema::default();
        desired.views.insert(q("a"), view("a", "SELECT c FROM t"));
        let mut changes = vec![alter_type()];
        make_changes_possible(&mut changes, &desired, &live);
        let refused: Vec<String> = (changes.iter())
            .map(|c| c.as_kind().judge(&Facts::new(), &Options::default()))
            .filter_map(|v| match v {
                Verdict::Refuse { reason } => Some(reason),
                _ => None,
            })
            .collect();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].starts_with("view public.b reads"),
            "{}",
            refused[0]
        );
    }
}
