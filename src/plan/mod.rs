//! Typed changes -> a plan: per-object verdicts, ordered SQL steps, and its renderings.
//!
//! A plan is data. It is built from a [`Diff`](crate::diff::Diff) and the facts its verdicts
//! needed, without touching the database, and can be rendered, saved, and applied later.

pub mod file;
pub mod rehearsal;
pub mod render;
pub mod sql;

use serde::{Deserialize, Serialize};

use crate::diff::{Change, Diff, Facts, ObjectKind, Options, Verdict, judge};
use crate::kinds::column::ColumnChange;
use crate::kinds::constraint::ConstraintChange;
use crate::kinds::enum_type::EnumChange;
use crate::kinds::index::IndexChange;
use crate::kinds::table::TableChange;
use crate::model::names::quote_ident;
use crate::model::{ColumnDefault, QualName, Schema, Table};
pub use sql::Phase;

/// What happens to one object as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Change,
    Skip,
    Refuse,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectPlan {
    pub kind: ObjectKind,
    pub name: QualName,
    pub action: Action,
    pub changes: Vec<PlannedChange>,
    /// For a table that exists and changes: its definition before and after, as diff lines
    /// (`"  "` kept, `"- "` removed, `"+ "` added).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub definition_diff: Vec<String>,
    /// Declared `backfill`/`using` keys with nothing to do in this plan, and why ("the table is
    /// new"), and `renamed_from` keys whose rename was done already: harmless, reported so a
    /// reviewer knows they did not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedChange {
    pub change: Change,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// One line for people: "add column status character varying NOT NULL DEFAULT 'active'".
    pub summary: String,
}

/// One SQL statement of the plan, pointing back at the object it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub phase: Phase,
    pub object: QualName,
    pub sql: String,
    /// The index a `CREATE INDEX` step builds (apply may build it concurrently).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<QualName>,
    /// Whether the step touches objects that existed before the plan, whose locks other sessions
    /// may hold: apply runs such a step under a savepoint so a lock timeout can be retried. Steps
    /// on objects the plan itself creates cannot wait for anyone and skip that cost.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub contended: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Fingerprint of the live schema the plan was computed against (see `model::fingerprint`).
    pub live_fingerprint: String,
    /// Fingerprint of the declared schema.
    pub desired_fingerprint: String,
    pub objects: Vec<ObjectPlan>,
    /// Tables in the managed schemas the declaration does not mention; never touched.
    pub unmanaged: Vec<crate::diff::Unmanaged>,
    /// Statements in the order they run. Empty when any change is refused.
    pub steps: Vec<Step>,
    /// The answers about the data that the verdicts rest on, as they were when the plan was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<crate::diff::Fact>,
    /// Objects of kinds tableform does not model, per managed schema: reported, never touched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_managed: Vec<NotManaged>,
    /// Live objects holding properties the model does not carry (the self-check).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_carried: Vec<crate::model::NotCarried>,
    /// Why the self-check did not run (a connection that cannot create temporary tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_check_skipped: Option<String>,
    /// A tenant's plan (a schema-per-tenant fleet): its schema. Its steps run after
    /// `SET LOCAL search_path = tenant, public`, so declared text reads its own tables first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

/// What one managed schema holds that tableform does not model ("2 views", "1 function").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotManaged {
    pub schema: String,
    pub holds: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub change: usize,
    pub unchanged: usize,
    pub refused: usize,
}

impl Plan {
    /// Judges every change and orders the statements of the allowed ones.
    pub fn build(
        inputs: (&Schema, &Schema),
        diff: &Diff,
        facts: &Facts,
        opts: &Options,
        fingerprints: (String, String),
    ) -> Plan {
        let (desired, live) = inputs;
        // After the renames, the changes name tables and columns by their new names.
        let live = diff.renamed_live.as_ref().unwrap_or(live);
        let judged = crate::diff::judged_facts(facts);
        let mut objects: Vec<ObjectPlan> = Vec::new();
        for change in &diff.changes {
            let (kind, name) = change.object();
            let verdict =
                crate::kinds::index::with_usage(judge(change, &judged, opts), change, live);
            let change = &without_idle_backfill(change, &judged);
            let planned = PlannedChange {
                verdict,
                summary: render::summarise(change),
                change: change.clone(),
            };
            match objects
                .iter_mut()
                .find(|o| o.kind == kind && o.name == name)
            {
                Some(o) => o.changes.push(planned),
                None => objects.push(ObjectPlan {
                    definition_diff: match (kind, desired.tables.get(&name), live.tables.get(&name))
                    {
                        (ObjectKind::Table, Some(d), Some(l)) => definition_diff(d, l),
                        _ => Vec::new(),
                    },
                    kind,
                    name,
                    action: Action::Skip,
                    changes: vec![planned],
                    notes: Vec::new(),
                }),
            }
        }
        for (kind, name) in &diff.unchanged {
            objects.push(ObjectPlan {
                kind: *kind,
                name: name.clone(),
                action: Action::Skip,
                changes: Vec::new(),
                definition_diff: Vec::new(),
                notes: Vec::new(),
            });
        }
        for o in &mut objects {
            o.action = object_action(&o.changes);
            if o.kind == ObjectKind::Table {
                o.notes = idle_upgrades(desired, live, &o.name, &diff.changes);
            }
            if let Some(notes) = diff.notes.get(&(o.kind, o.name.clone())) {
                o.notes.extend(notes.iter().cloned());
            }
        }
        objects.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        let mut plan = Plan {
            live_fingerprint: fingerprints.0,
            desired_fingerprint: fingerprints.1,
            objects,
            unmanaged: diff.unmanaged.clone(),
            steps: Vec::new(),
            not_carried: Vec::new(),
            self_check_skipped: None,
            tenant: desired.home.clone(),
            not_managed: (live.unmodelled.iter())
                .map(|(schema, holds)| NotManaged {
                    schema: schema.clone(),
                    holds: holds.clone(),
                })
                .collect(),
            facts: diff
                .questions()
                .into_iter()
                .map(|q| crate::diff::Fact {
                    count: facts.get(&q).copied().unwrap_or(u64::MAX),
                    question: q,
                })
                .collect(),
        };
        plan.steps = plan.derived_steps();
        plan
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for o in &self.objects {
            match o.action {
                Action::Create => s.create += 1,
                Action::Change => s.change += 1,
                Action::Skip => s.unchanged += 1,
                Action::Refuse => s.refused += 1,
            }
        }
        s
    }

    /// The steps this plan's own objects give: what [`Plan::build`] wrote into `steps`. A saved
    /// plan whose `steps` differ was edited.
    pub fn derived_steps(&self) -> Vec<Step> {
        if self.has_refusals() {
            Vec::new()
        } else {
            order_steps(&self.objects)
        }
    }

    pub fn has_refusals(&self) -> bool {
        self.objects.iter().any(|o| o.action == Action::Refuse)
    }

    /// Whether applying would change anything.
    pub fn has_changes(&self) -> bool {
        self.objects
            .iter()
            .any(|o| matches!(o.action, Action::Create | Action::Change))
    }
}

/// The change as it runs given the facts (a backfill with nothing to fill runs no `UPDATE`; see
/// [`ColumnChange::settled`]).
fn without_idle_backfill(change: &Change, facts: &Facts) -> Change {
    match change {
        Change::Column(c) => c.settled(facts).into(),
        c => c.clone(),
    }
}

/// The declared `backfill` and `using` keys of `table` that no change of this plan uses, each
/// with why it has nothing to do. (A backfill a change carries but whose fact is zero is said
/// by that change's verdict.)
fn idle_upgrades(
    desired: &Schema,
    live: &Schema,
    table: &QualName,
    changes: &[Change],
) -> Vec<String> {
    let Some(ups) = desired.upgrades.get(table) else {
        return Vec::new();
    };
    let new_table = !live.tables.contains_key(table);
    let mut out = Vec::new();
    // In declaration order.
    let declared = desired
        .tables
        .get(table)
        .map_or(&[][..], |t| &t.columns[..]);
    for (column, up) in declared
        .iter()
        .filter_map(|c| ups.get(&c.name).map(|u| (&c.name, u)))
    {
        let col = crate::model::names::quote_ident(column);
        if up.backfill.is_some() {
            let used = changes.iter().any(|c| match c {
                Change::Column(ColumnChange::AddColumn {
                    table: t,
                    column: k,
                    backfill: Some(_),
                }) => t == table && k.name == *column,
                Change::Column(ColumnChange::SetNullable {
                    table: t,
                    column: k,
                    backfill: Some(_),
                    ..
                }) => t == table && k == column,
                _ => false,
            });
            let why = if new_table {
                Some("the table is new, there are no rows to fill".to_string())
            } else if live
                .tables
                .get(table)
                .and_then(|t| t.column(column))
                .is_none()
            {
                Some("the column is added with a default, which fills it".to_string())
            } else {
                Some(format!("{col} is already NOT NULL"))
            };
            if let (false, Some(why)) = (used, why) {
                out.push(format!(
                    "column {col}: backfill is a no-op: {why} (the key can stay)"
                ));
            }
        }
        if up.using.is_some() {
            let used = changes.iter().any(|c| match c {
                Change::Column(ColumnChange::AlterType {
                    table: t,
                    column: k,
                    using: Some(_),
                    ..
                }) => t == table && k == column,
                Change::Enum(EnumChange::ReshapeEnum { uses, .. }) => uses
                    .iter()
                    .any(|u| u.table == *table && u.column == *column && u.using.is_some()),
                _ => false,
            });
            if !used {
                let why = if new_table {
                    "the table is new, there are no rows to convert".to_string()
                } else if live
                    .tables
                    .get(table)
                    .and_then(|t| t.column(column))
                    .is_none()
                {
                    "the column is new, there are no values to convert".to_string()
                } else {
                    format!("the type of {col} does not change")
                };
                out.push(format!(
                    "column {col}: using is a no-op: {why} (the key can stay)"
                ));
            }
        }
    }
    out
}

impl Plan {
    /// Records what the self-check found, and refuses every change to those objects: tableform
    /// never drops or rewrites an object to "fix" a difference it cannot see, since rebuilding
    /// it from the model would lose what the model does not carry.
    pub fn protect(&mut self, not_carried: Vec<crate::model::NotCarried>) {
        // The live objects by the names the changes use once the declared renames ran.
        let renamed: Vec<crate::model::NotCarried> = (not_carried.iter())
            .map(|n| after_renames(&self.objects, n))
            .collect();
        for o in &mut self.objects {
            for c in &mut o.changes {
                let hit = (not_carried.iter().zip(&renamed))
                    .find(|(_, r)| touches(&c.change, r))
                    .map(|(n, _)| n);
                if let Some(n) = hit
                    && !c.verdict.is_refusal()
                {
                    c.verdict = Verdict::Refuse {
                        reason: format!(
                            "{} holds more than tableform's model carries (the database has `{}`); rebuilding it from the declaration would lose that: change it by hand",
                            n.object, n.live
                        ),
                    };
                }
            }
            o.action = object_action(&o.changes);
        }
        if self.has_refusals() {
            self.steps.clear();
        }
        self.not_carried = not_carried;
    }
}

/// `n` with its table and its own name as the plan's declared renames leave them.
fn after_renames(objects: &[ObjectPlan], n: &crate::model::NotCarried) -> crate::model::NotCarried {
    let mut out = n.clone();
    let changes = || {
        objects
            .iter()
            .flat_map(|o| o.changes.iter().map(|c| &c.change))
    };
    for c in changes() {
        if let Change::Table(TableChange::RenameTable { from, to }) = c
            && *from == out.table
        {
            out.table = to.clone();
        }
    }
    for c in changes() {
        match c {
            Change::Index(IndexChange::RenameIndex {
                table,
                from,
                to,
                declared: true,
            })
            | Change::Constraint(ConstraintChange::RenameConstraint {
                table,
                from,
                to,
                declared: true,
            }) if *table == out.table && *from == out.name => out.name = to.clone(),
            _ => {}
        }
    }
    out
}

/// Whether `change` drops, builds again or renames the index or constraint `n` is about (a
/// declared rename keeps the object as it is: what happens to it after is judged by its new
/// name). Notes on tables and columns protect nothing: tableform never rebuilds those.
fn touches(change: &Change, n: &crate::model::NotCarried) -> bool {
    let (index, constraint) = (
        n.object.starts_with("index "),
        n.object.starts_with("constraint "),
    );
    match change {
        Change::Index(IndexChange::RenameIndex { declared: true, .. })
        | Change::Constraint(ConstraintChange::RenameConstraint { declared: true, .. }) => false,
        Change::Index(
            IndexChange::DropIndex {
                table, index: i, ..
            }
            | IndexChange::CreateIndex { table, index: i },
        ) => index && *table == n.table && i.name == n.name,
        Change::Index(IndexChange::RenameIndex { table, from, .. }) => {
            index && *table == n.table && *from == n.name
        }
        Change::Constraint(
            ConstraintChange::DropConstraint {
                table,
                constraint: c,
                ..
            }
            | ConstraintChange::AddConstraint {
                table,
                constraint: c,
            },
        ) => constraint && *table == n.table && c.name() == n.name,
        Change::Constraint(ConstraintChange::RenameConstraint { table, from, .. }) => {
            constraint && *table == n.table && *from == n.name
        }
        _ => false,
    }
}

fn object_action(changes: &[PlannedChange]) -> Action {
    if changes.iter().any(|c| c.verdict.is_refusal()) {
        Action::Refuse
    } else if changes.iter().any(|c| c.verdict == Verdict::Create) {
        Action::Create
    } else if changes.is_empty() {
        Action::Skip
    } else {
        Action::Change
    }
}

/// Statements sorted by phase; within a phase, by rank (views: dependency order), then in object
/// order and then in change order.
fn order_steps(objects: &[ObjectPlan]) -> Vec<Step> {
    let created: std::collections::BTreeSet<&QualName> = objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Table && o.action == Action::Create)
        .map(|o| &o.name)
        .collect();
    let mut steps: Vec<(Phase, i64, usize, Step)> = Vec::new();
    for o in objects {
        for c in &o.changes {
            let index = match &c.change {
                Change::Index(i) => i.built(),
                _ => None,
            };
            for (phase, sql) in sql::statements(&c.change) {
                let n = steps.len();
                steps.push((
                    phase,
                    c.change.as_kind().rank(phase),
                    n,
                    Step {
                        phase,
                        object: o.name.clone(),
                        sql,
                        index: index.clone(),
                        contended: c.change.as_kind().contended(&created),
                    },
                ));
            }
        }
    }
    steps.sort_by_key(|(phase, rank, n, _)| (*phase, *rank, *n));
    steps.into_iter().map(|(_, _, _, s)| s).collect()
}

/// The table as lines: columns, then constraints, then indexes.
fn table_lines(t: &Table) -> Vec<String> {
    use crate::diff::Constraint;
    let mut lines: Vec<String> = t.columns.iter().map(sql::column_def).collect();
    let constraints = t
        .primary_key
        .clone()
        .map(Constraint::PrimaryKey)
        .into_iter()
        .chain(t.uniques.iter().cloned().map(Constraint::Unique))
        .chain(t.checks.iter().cloned().map(Constraint::Check))
        .chain(t.foreign_keys.iter().cloned().map(Constraint::ForeignKey))
        .chain(t.exclusions.iter().cloned().map(Constraint::Exclusion));
    // By name, as the catalog lists them, so order alone never shows as a difference.
    let mut constraints: Vec<Constraint> = constraints.collect();
    constraints.sort_by(|a, b| a.name().cmp(b.name()));
    lines.extend(constraints.iter().map(sql::constraint_def));
    let mut indexes: Vec<_> = t.indexes.iter().collect();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    lines.extend(indexes.into_iter().map(|i| sql::create_index(&t.name, i)));
    if let Some(k) = &t.partition_by {
        lines.push(format!("PARTITION BY {k}"));
    }
    let mut partitions: Vec<_> = t.partitions.iter().collect();
    partitions.sort_by(|a, b| a.name.cmp(&b.name));
    lines.extend(
        partitions
            .into_iter()
            .map(|p| format!("PARTITION {} {}", quote_ident(&p.name), p.bound)),
    );
    if t.unlogged {
        lines.push("UNLOGGED".into());
    }
    if t.row_level_security {
        lines.push("ENABLE ROW LEVEL SECURITY".into());
    }
    if t.force_row_level_security {
        lines.push("FORCE ROW LEVEL SECURITY".into());
    }
    let mut policies: Vec<_> = t.policies.iter().collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    lines.extend(policies.into_iter().map(crate::kinds::policy::definition));
    if !t.with.is_empty() {
        lines.push(t.with.sql().trim_start().to_string());
    }
    lines
}

/// What the table will look like after apply: the declared columns in the table's physical order
/// (new ones at the end, where `ADD COLUMN` puts them), with the live spelling wherever the
/// declaration means the same thing, so that only real differences show.
fn after_apply(desired: &Table, live: &Table) -> Table {
    let mut after = desired.clone();
    let mut columns = Vec::new();
    for l in &live.columns {
        if let Some(d) = desired.column(&l.name) {
            let mut c = d.clone();
            let same_default = match (&d.default, &l.default) {
                (Some(ColumnDefault::Expr(a)), Some(ColumnDefault::Expr(b))) => {
                    a.equivalent(b, Some(&d.ty))
                }
                (Some(ColumnDefault::Serial { .. }), Some(ColumnDefault::Serial { .. })) => true,
                _ => false,
            };
            if same_default {
                c.default = l.default.clone();
            }
            columns.push(c);
        }
    }
    columns.extend(
        desired
            .columns
            .iter()
            .filter(|d| live.column(&d.name).is_none())
            .cloned(),
    );
    after.columns = columns;
    for c in &mut after.checks {
        if let Some(l) = live
            .checks
            .iter()
            .find(|l| l.name == c.name && l.expr.equivalent(&c.expr, None))
        {
            c.expr = l.expr.clone();
        }
    }
    after
}

fn definition_diff(desired: &Table, live: &Table) -> Vec<String> {
    let before = table_lines(live).join("\n") + "\n";
    let after = table_lines(&after_apply(desired, live)).join("\n") + "\n";
    similar::TextDiff::from_lines(&before, &after)
        .iter_all_changes()
        .map(|c| {
            let sign = match c.tag() {
                similar::ChangeTag::Equal => ' ',
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
            };
            format!("{sign} {}", c.value().trim_end_matches('\n'))
        })
        .collect()
}
