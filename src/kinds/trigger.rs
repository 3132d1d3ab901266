//! Triggers, on tables (`[[table.NAME.triggers]]`) and on views (`[[view.NAME.triggers]]`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::{QualName, SqlExpr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

impl TriggerTiming {
    pub fn sql(self) -> &'static str {
        match self {
            TriggerTiming::Before => "BEFORE",
            TriggerTiming::After => "AFTER",
            TriggerTiming::InsteadOf => "INSTEAD OF",
        }
    }
}

/// In the order `pg_get_triggerdef` prints them (`INSERT OR DELETE OR UPDATE OR TRUNCATE`), which
/// is also the order of a trigger's [`Trigger::events`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEvent {
    Insert,
    Delete,
    Update,
    Truncate,
}

impl TriggerEvent {
    pub fn sql(self) -> &'static str {
        match self {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Delete => "DELETE",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Truncate => "TRUNCATE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerLevel {
    Row,
    Statement,
}

/// `pg_trigger.tgenabled`: `O` origin (the default: fires unless `session_replication_role` is
/// `replica`), `A` always, `R` replica (only then), `D` disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEnabled {
    Origin,
    Always,
    Replica,
    Disabled,
}

impl TriggerEnabled {
    /// The `ALTER TABLE ... ENABLE|DISABLE TRIGGER` form that sets this state.
    pub fn alter_sql(self) -> &'static str {
        match self {
            TriggerEnabled::Origin => "ENABLE TRIGGER",
            TriggerEnabled::Always => "ENABLE ALWAYS TRIGGER",
            TriggerEnabled::Replica => "ENABLE REPLICA TRIGGER",
            TriggerEnabled::Disabled => "DISABLE TRIGGER",
        }
    }
}

/// `CREATE CONSTRAINT TRIGGER`: its deferral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConstraintTrigger {
    pub deferrable: bool,
    pub initially_deferred: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub timing: TriggerTiming,
    /// At least one; a set, so `["update", "insert"]` and `["insert", "update"]` are one trigger.
    pub events: BTreeSet<TriggerEvent>,
    /// `UPDATE OF col, ...` (with the `update` event only), in declared order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update_of: Vec<String>,
    pub level: TriggerLevel,
    /// `WHEN (condition)`, a boolean expression over `OLD` and `NEW` (row level only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<SqlExpr>,
    /// `EXECUTE FUNCTION s.f(...)`: always schema-qualified here.
    pub function: QualName,
    /// The literal arguments passed to the function (`TG_ARGV`), as strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    pub enabled: TriggerEnabled,
    /// `Some`: a constraint trigger (`AFTER ... FOR EACH ROW` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<ConstraintTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Declared side only: the trigger's old name (`ALTER TRIGGER ... RENAME TO`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

// ---- Catalog ----

use tokio_postgres::Row;

use super::comment::comment;
use super::{KindChange, Sign, alter};
use crate::diff::{Diff, Facts, ObjectKind, Options, Unmanaged, Verdict};
use crate::model::Schema;
use crate::model::names::{quote_ident, quote_literal};
use crate::plan::Phase;

/// The triggers of the managed schemas' tables and views (not the internal ones of foreign
/// keys, nor the clones a partition gets from its parent), with the parts of `tgtype`, the `UPDATE OF`
/// columns, `pg_get_triggerdef` (the `WHEN` condition is read from it), the function, the
/// arguments, the enabled state and the deferral of a constraint trigger.
pub const QUERY: &str = "
SELECT n.nspname::text, c.relname::text, t.tgname::text, t.tgtype::int4,
       ARRAY(SELECT a.attname::text FROM unnest(t.tgattr::int2[]) WITH ORDINALITY u(k, i)
             JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = u.k ORDER BY u.i),
       pg_get_triggerdef(t.oid), fn.nspname::text, p.proname::text, t.tgargs,
       t.tgenabled::text, t.tgconstraint <> 0, t.tgdeferrable, t.tginitdeferred,
       obj_description(t.oid, 'pg_trigger'), t.tgqual IS NOT NULL
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace fn ON fn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND n.nspname = ANY($1)
  AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition";

/// The `WHEN (...)` condition of a `pg_get_triggerdef` text, without its parentheses: the
/// balanced group after `FOR EACH ROW|STATEMENT WHEN `, string literals and quoted names
/// skipped.
fn when_of(def: &str) -> Option<String> {
    let start = [" FOR EACH ROW WHEN (", " FOR EACH STATEMENT WHEN ("]
        .iter()
        .filter_map(|m| def.find(m).map(|i| i + m.len()))
        .min()?;
    let mut depth = 1;
    let mut quote: Option<char> = None;
    for (i, ch) in def[start..].char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(def[start..start + i].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// The rows of [`QUERY`] into the tables and views already read.
pub fn read(rows: &[Row], s: &mut Schema) {
    for r in rows {
        let table = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let triggers = match s.tables.get_mut(&table) {
            Some(t) => &mut t.triggers,
            None => match s.views.get_mut(&table) {
                Some(v) => &mut v.triggers,
                None => continue,
            },
        };
        let ty: i32 = r.get(3);
        let mut events = BTreeSet::new();
        for (bit, e) in [
            (4, TriggerEvent::Insert),
            (8, TriggerEvent::Delete),
            (16, TriggerEvent::Update),
            (32, TriggerEvent::Truncate),
        ] {
            if ty & bit != 0 {
                events.insert(e);
            }
        }
        let timing = if ty & 64 != 0 {
            TriggerTiming::InsteadOf
        } else if ty & 2 != 0 {
            TriggerTiming::Before
        } else {
            TriggerTiming::After
        };
        let def: String = r.get(5);
        let args: Vec<u8> = r.get(8);
        let mut arguments: Vec<String> = (args.split(|b| *b == 0))
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        // Each argument ends with a NUL: the last piece is empty.
        arguments.pop();
        let is_constraint: bool = r.get(10);
        triggers.push(Trigger {
            name: r.get(2),
            timing,
            events,
            update_of: r.get(4),
            level: if ty & 1 != 0 {
                TriggerLevel::Row
            } else {
                TriggerLevel::Statement
            },
            when: if r.get::<_, bool>(14) {
                when_of(&def).map(SqlExpr::raw)
            } else {
                None
            },
            function: QualName::new(r.get::<_, String>(6), r.get::<_, String>(7)),
            arguments,
            enabled: match r.get::<_, String>(9).as_str() {
                "A" => TriggerEnabled::Always,
                "R" => TriggerEnabled::Replica,
                "D" => TriggerEnabled::Disabled,
                _ => TriggerEnabled::Origin,
            },
            constraint: is_constraint.then(|| ConstraintTrigger {
                deferrable: r.get(11),
                initially_deferred: r.get(12),
            }),
            comment: r.get(13),
            renamed_from: None,
        });
    }
}

// ---- Diff ----

/// Whether two triggers are the same but for their enabled state and comment: every part
/// compared as it is, the `WHEN` condition by [`SqlExpr::equivalent`].
fn same_definition(a: &Trigger, b: &Trigger) -> bool {
    let strip = |t: &Trigger| Trigger {
        when: None,
        enabled: TriggerEnabled::Origin,
        comment: None,
        renamed_from: None,
        ..t.clone()
    };
    strip(a) == strip(b)
        && match (&a.when, &b.when) {
            (None, None) => true,
            (Some(x), Some(y)) => x.equivalent(y, None),
            _ => false,
        }
}

/// The declared triggers of a table that exists: created, renamed (`renamed_from`), replaced
/// (dropped and created again), enabled or disabled, commented.
pub fn diff(
    out: &mut Vec<crate::kinds::Change>,
    table: &QualName,
    want: &[Trigger],
    have: &[Trigger],
) {
    for w in want {
        let found = have.iter().find(|h| h.name == w.name).or_else(|| {
            let old = w.renamed_from.as_ref()?;
            let h = have.iter().find(|h| &h.name == old)?;
            out.push(
                TriggerChange::RenameTrigger {
                    table: table.clone(),
                    from: old.clone(),
                    to: w.name.clone(),
                }
                .into(),
            );
            Some(h)
        });
        let Some(h) = found else {
            out.push(
                TriggerChange::CreateTrigger {
                    table: table.clone(),
                    def: w.clone(),
                }
                .into(),
            );
            continue;
        };
        if !same_definition(w, h) {
            out.push(
                TriggerChange::ReplaceTrigger {
                    table: table.clone(),
                    from: Box::new(Trigger {
                        name: w.name.clone(),
                        ..h.clone()
                    }),
                    to: Box::new(w.clone()),
                }
                .into(),
            );
            continue;
        }
        if w.enabled != h.enabled {
            out.push(
                TriggerChange::SetTriggerEnabled {
                    table: table.clone(),
                    name: w.name.clone(),
                    from: h.enabled,
                    to: w.enabled,
                }
                .into(),
            );
        }
        if w.comment != h.comment {
            out.push(
                TriggerChange::SetTriggerComment {
                    table: table.clone(),
                    name: w.name.clone(),
                    comment: w.comment.clone(),
                }
                .into(),
            );
        }
    }
}

/// The triggers of a table created by this plan.
pub fn create_all(out: &mut Vec<crate::kinds::Change>, table: &QualName, want: &[Trigger]) {
    for w in want {
        out.push(
            TriggerChange::CreateTrigger {
                table: table.clone(),
                def: w.clone(),
            }
            .into(),
        );
    }
}

/// The object an unmanaged trigger is listed as: `name ON schema.table`, in the table's schema.
pub fn object_name(table: &QualName, name: &str) -> QualName {
    QualName::new(
        table.schema.clone(),
        format!("{} ON {}", quote_ident(name), table.sql()),
    )
}

/// Live triggers of declared tables and views that the declaration does not mention:
/// unmanaged (listed in plan and drift), or dropped with `--prune`.
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    let tables = (desired.tables.iter())
        .filter_map(|(name, t)| Some((name, &t.triggers, &live.tables.get(name)?.triggers, false)));
    let views = (desired.views.iter())
        .filter_map(|(name, v)| Some((name, &v.triggers, &live.views.get(name)?.triggers, true)));
    for (name, want, have, on_view) in tables.chain(views) {
        for h in have {
            let declared =
                (want.iter()).any(|w| w.name == h.name || w.renamed_from.as_ref() == Some(&h.name));
            if declared {
                continue;
            }
            if prune {
                let drop = TriggerChange::DropTrigger {
                    table: name.clone(),
                    name: h.name.clone(),
                };
                out.changes.push(if on_view {
                    super::view::ViewChange::ViewTrigger {
                        name: name.clone(),
                        trigger: drop,
                    }
                    .into()
                } else {
                    drop.into()
                });
            } else {
                out.unmanaged.push(Unmanaged {
                    kind: ObjectKind::Trigger,
                    name: object_name(name, &h.name),
                    kept: None,
                    owned_by: None,
                });
            }
        }
    }
}

/// A trigger whose function this plan drops and creates again (`DROP FUNCTION` fails while a
/// trigger uses it) is dropped first and created again after it, when no other change of the
/// plan does so already.
pub fn follow_recreated_functions(
    out: &mut Vec<crate::kinds::Change>,
    desired: &Schema,
    live: &Schema,
) {
    use crate::kinds::Change;
    use crate::kinds::function::RoutineChange;
    let recreated: Vec<QualName> = (out.iter())
        .filter_map(|c| match c {
            Change::Routine(RoutineChange::RecreateRoutine { from, .. })
                if from.arguments.is_empty() =>
            {
                Some(from.name.clone())
            }
            _ => None,
        })
        .collect();
    if recreated.is_empty() {
        return;
    }
    use crate::kinds::view::ViewChange;
    let trigger_of = |c: &Change| match c {
        Change::Trigger(t) | Change::View(ViewChange::ViewTrigger { trigger: t, .. }) => {
            Some(t.clone())
        }
        _ => None,
    };
    let handled = |out: &[Change], table: &QualName, name: &str| {
        out.iter().filter_map(trigger_of).any(|c| match c {
            TriggerChange::ReplaceTrigger { table: t, to, .. } => t == *table && to.name == name,
            TriggerChange::DropTrigger { table: t, name: n } => t == *table && n == name,
            _ => false,
        })
    };
    let mut extra = Vec::new();
    let tables = (live.tables.iter()).filter_map(|(name, l)| {
        Some((
            name,
            &l.triggers,
            &desired.tables.get(name)?.triggers,
            false,
        ))
    });
    let views = (live.views.iter()).filter_map(|(name, l)| {
        Some((name, &l.triggers, &desired.views.get(name)?.triggers, true))
    });
    for (name, have, want, on_view) in tables.chain(views) {
        for h in have.iter().filter(|h| recreated.contains(&h.function)) {
            let Some(w) = want.iter().find(|w| w.name == h.name) else {
                continue;
            };
            if !handled(out, name, &h.name) {
                // Created again whole: its state and comment with it.
                out.retain(|c| {
                    !matches!(trigger_of(c),
                        Some(TriggerChange::SetTriggerEnabled { table: t, name: n, .. }
                        | TriggerChange::SetTriggerComment { table: t, name: n, .. })
                        if t == *name && n == h.name)
                });
                let replace = TriggerChange::ReplaceTrigger {
                    table: name.clone(),
                    from: Box::new(h.clone()),
                    to: Box::new(w.clone()),
                };
                extra.push(if on_view {
                    ViewChange::ViewTrigger {
                        name: name.clone(),
                        trigger: replace,
                    }
                    .into()
                } else {
                    replace.into()
                });
            }
        }
    }
    out.extend(extra);
}

// ---- Changes and SQL ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TriggerChange {
    /// `CREATE [CONSTRAINT] TRIGGER n ... ON t ... EXECUTE FUNCTION f(...)`
    CreateTrigger { table: QualName, def: Trigger },
    /// `DROP TRIGGER n ON t` early, `CREATE TRIGGER` once its function exists (a trigger has
    /// no `ALTER` for its definition)
    ReplaceTrigger {
        table: QualName,
        from: Box<Trigger>,
        to: Box<Trigger>,
    },
    /// `ALTER TABLE t ENABLE [REPLICA|ALWAYS] | DISABLE TRIGGER n`
    SetTriggerEnabled {
        table: QualName,
        name: String,
        from: TriggerEnabled,
        to: TriggerEnabled,
    },
    /// `ALTER TRIGGER from ON t RENAME TO to` (`renamed_from`)
    RenameTrigger {
        table: QualName,
        from: String,
        to: String,
    },
    /// `COMMENT ON TRIGGER n ON t IS ...`
    SetTriggerComment {
        table: QualName,
        name: String,
        comment: Option<String>,
    },
    /// `DROP TRIGGER n ON t` (only with `--prune`)
    DropTrigger { table: QualName, name: String },
}

/// `CREATE [CONSTRAINT] TRIGGER ...`: one statement.
pub fn create_sql(table: &QualName, t: &Trigger) -> String {
    let events: Vec<String> = (t.events.iter())
        .map(|e| match e {
            TriggerEvent::Update if !t.update_of.is_empty() => {
                format!("UPDATE OF {}", super::ident_list(&t.update_of))
            }
            e => e.sql().to_string(),
        })
        .collect();
    let mut sql = format!(
        "CREATE {}TRIGGER {} {} {} ON {}",
        if t.constraint.is_some() {
            "CONSTRAINT "
        } else {
            ""
        },
        quote_ident(&t.name),
        t.timing.sql(),
        events.join(" OR "),
        table.sql()
    );
    if let Some(c) = &t.constraint {
        sql.push_str(if c.deferrable {
            " DEFERRABLE"
        } else {
            " NOT DEFERRABLE"
        });
        sql.push_str(if c.initially_deferred {
            " INITIALLY DEFERRED"
        } else {
            " INITIALLY IMMEDIATE"
        });
    }
    sql.push_str(match t.level {
        TriggerLevel::Row => " FOR EACH ROW",
        TriggerLevel::Statement => " FOR EACH STATEMENT",
    });
    if let Some(w) = &t.when {
        sql.push_str(&format!(" WHEN ({})", w.sql));
    }
    let args: Vec<String> = t.arguments.iter().map(|a| quote_literal(a)).collect();
    sql.push_str(&format!(
        " EXECUTE FUNCTION {}({})",
        t.function.sql(),
        args.join(", ")
    ));
    sql
}

fn enable_sql(table: &QualName, name: &str, e: TriggerEnabled) -> String {
    format!("{} {} {}", alter(table), e.alter_sql(), quote_ident(name))
}

fn comment_target(table: &QualName, name: &str) -> String {
    format!("TRIGGER {} ON {}", quote_ident(name), table.sql())
}

/// A trigger's statements once its table and function exist: create, its state, its comment.
pub(crate) fn create(table: &QualName, t: &Trigger) -> Vec<(Phase, String)> {
    let mut out = vec![(Phase::Triggers, create_sql(table, t))];
    if t.enabled != TriggerEnabled::Origin {
        out.push((Phase::Triggers, enable_sql(table, &t.name, t.enabled)));
    }
    if t.comment.is_some() {
        out.push((
            Phase::Comments,
            comment(comment_target(table, &t.name), &t.comment),
        ));
    }
    out
}

fn drop_sql(table: &QualName, name: &str) -> String {
    format!("DROP TRIGGER {} ON {}", quote_ident(name), table.sql())
}

/// "before update of total, status for each row".
fn describe(t: &Trigger) -> String {
    let events: Vec<String> = (t.events.iter())
        .map(|e| match e {
            TriggerEvent::Update if !t.update_of.is_empty() => {
                format!("update of {}", t.update_of.join(", "))
            }
            e => e.sql().to_lowercase(),
        })
        .collect();
    format!(
        "{} {} for each {}{}, {}()",
        t.timing.sql().to_lowercase(),
        events.join(" or "),
        match t.level {
            TriggerLevel::Row => "row",
            TriggerLevel::Statement => "statement",
        },
        if t.when.is_some() { " when ..." } else { "" },
        t.function
    )
}

fn enabled_word(e: TriggerEnabled) -> &'static str {
    match e {
        TriggerEnabled::Origin => "enabled",
        TriggerEnabled::Always => "enabled always",
        TriggerEnabled::Replica => "enabled replica",
        TriggerEnabled::Disabled => "disabled",
    }
}

impl KindChange for TriggerChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let table = match self {
            TriggerChange::CreateTrigger { table, .. }
            | TriggerChange::ReplaceTrigger { table, .. }
            | TriggerChange::SetTriggerEnabled { table, .. }
            | TriggerChange::RenameTrigger { table, .. }
            | TriggerChange::SetTriggerComment { table, .. }
            | TriggerChange::DropTrigger { table, .. } => table,
        };
        (ObjectKind::Table, table.clone())
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        match self {
            TriggerChange::ReplaceTrigger { .. } => Verdict::note(
                "dropped and created again in the one transaction (a trigger has no ALTER for its definition): no committed write misses it",
            ),
            TriggerChange::DropTrigger { .. } => Verdict::note("not declared (--prune)"),
            _ => Verdict::change(),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            TriggerChange::CreateTrigger { table, def } => create(table, def),
            TriggerChange::ReplaceTrigger { table, from, to } => {
                let mut out = vec![(Phase::DropTriggers, drop_sql(table, &from.name))];
                out.extend(create(table, to));
                out
            }
            TriggerChange::SetTriggerEnabled {
                table, name, to, ..
            } => {
                vec![(Phase::Triggers, enable_sql(table, name, *to))]
            }
            TriggerChange::RenameTrigger { table, from, to } => vec![(
                Phase::Renames,
                format!(
                    "ALTER TRIGGER {} ON {} RENAME TO {}",
                    quote_ident(from),
                    table.sql(),
                    quote_ident(to)
                ),
            )],
            TriggerChange::SetTriggerComment {
                table,
                name,
                comment: c,
            } => vec![(Phase::Comments, comment(comment_target(table, name), c))],
            TriggerChange::DropTrigger { table, name } => {
                vec![(Phase::DropTriggers, drop_sql(table, name))]
            }
        }
    }

    fn summary(&self) -> String {
        match self {
            TriggerChange::CreateTrigger { def, .. } => format!(
                "create trigger {} ({})",
                quote_ident(&def.name),
                describe(def)
            ),
            TriggerChange::ReplaceTrigger { from, to, .. } => {
                let (a, b) = (describe(from), describe(to));
                if a == b {
                    format!(
                        "replace trigger {} (its condition or arguments differ)",
                        quote_ident(&to.name)
                    )
                } else {
                    format!("replace trigger {}: {a} -> {b}", quote_ident(&to.name))
                }
            }
            TriggerChange::SetTriggerEnabled { name, from, to, .. } => format!(
                "trigger {}: {} -> {}",
                quote_ident(name),
                enabled_word(*from),
                enabled_word(*to)
            ),
            TriggerChange::RenameTrigger { from, to, .. } => format!(
                "rename trigger {} to {} (renamed_from)",
                quote_ident(from),
                quote_ident(to)
            ),
            TriggerChange::SetTriggerComment { name, comment, .. } => match comment {
                Some(_) => format!("set comment on trigger {}", quote_ident(name)),
                None => format!("remove comment on trigger {}", quote_ident(name)),
            },
            TriggerChange::DropTrigger { name, .. } => {
                format!("drop trigger {} (not declared)", quote_ident(name))
            }
        }
    }

    fn sign(&self) -> Sign {
        match self {
            TriggerChange::CreateTrigger { .. } => Sign::Add,
            TriggerChange::DropTrigger { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        let t = match self {
            TriggerChange::CreateTrigger { def, .. } => def,
            TriggerChange::ReplaceTrigger { to, .. } => &**to,
            _ => return Vec::new(),
        };
        (t.when.iter())
            .map(|w| (format!("when of trigger {}", t.name), w))
            .collect()
    }

    fn contended(&self, created: &BTreeSet<&QualName>) -> bool {
        match self {
            TriggerChange::CreateTrigger { table, .. } => !created.contains(table),
            _ => true,
        }
    }
}

// ---- WHEN conditions, canonicalised by the server ----

/// Where a declared `WHEN` differs from the live one as far as [`SqlExpr::equivalent`] can
/// tell, asks PostgreSQL how it spells the declared one: inside a transaction that is always
/// rolled back, a temporary table with the live table's columns gets a copy of the trigger
/// (with a temporary do-nothing trigger function), and `pg_get_triggerdef` tells. When that
/// spelling equals the live one, the declared condition takes it. Every statement is its own
/// (declared text is never part of a multi-statement string); they are pipelined, so the round
/// trips do not grow with the number of triggers. When the server rejects one, they are sent
/// again one by one, each trigger under a savepoint, so the others still get their answer (the
/// diff then shows the rejected one, and apply reports the server's message). Returns the
/// round trips.
pub async fn reconcile_when(
    client: &mut tokio_postgres::Client,
    desired: &mut Schema,
    live: &Schema,
) -> Result<usize, crate::inspect::InspectError> {
    use crate::inspect::session;
    let mut asks: Vec<(QualName, usize, String)> = Vec::new();
    for (name, t) in &desired.tables {
        let Some(l) = live.tables.get(name) else {
            continue;
        };
        for (i, w) in t.triggers.iter().enumerate() {
            if let Some(h) = l.triggers.iter().find(|h| h.name == w.name)
                && let (Some(a), Some(b)) = (&w.when, &h.when)
                && !a.equivalent(b, None)
            {
                asks.push((name.clone(), i, b.sql.clone()));
            }
        }
    }
    if asks.is_empty() {
        return Ok(0);
    }
    // The setup (function, one table per live table) and one trigger per ask.
    let mut setup = vec![
        "CREATE FUNCTION pg_temp.tableform_probe_trigger() RETURNS trigger LANGUAGE plpgsql AS $tf$BEGIN RETURN NULL; END$tf$".to_string(),
    ];
    let mut tables: Vec<&QualName> = Vec::new();
    let mut probes = Vec::new();
    for (k, (name, i, _)) in asks.iter().enumerate() {
        let ti = match tables.iter().position(|t| *t == name) {
            Some(ti) => ti,
            None => {
                let cols: Vec<String> = (live.tables[name].columns.iter())
                    .map(|c| format!("{} {}", quote_ident(&c.name), c.ty))
                    .collect();
                setup.push(format!(
                    "CREATE TEMP TABLE tableform_probe_t{} ({})",
                    tables.len(),
                    cols.join(", ")
                ));
                tables.push(name);
                tables.len() - 1
            }
        };
        let probe = Trigger {
            name: format!("tableform_probe_{k}"),
            function: QualName::new("pg_temp", "tableform_probe_trigger"),
            arguments: Vec::new(),
            constraint: None,
            ..desired.tables[name].triggers[*i].clone()
        };
        let table = QualName::new("pg_temp", format!("tableform_probe_t{ti}"));
        probes.push(create_sql(&table, &probe));
    }
    let refused = |e: tokio_postgres::Error| match session::temp_refused(&e) {
        Some(reason) => crate::inspect::InspectError::ReadOnly {
            count: asks.len(),
            reason,
        },
        None => e.into(),
    };
    let all: Vec<&str> = setup.iter().chain(&probes).map(String::as_str).collect();
    let home = desired.home.clone();
    let mut tx = client.transaction().await?;
    session::declared_path(tx.client(), home.as_deref()).await?;
    let mut trips = 4; // BEGIN, the batch, the read-back, ROLLBACK
    if session::pipeline(tx.client(), &all).await.is_err() {
        tx.rollback().await?;
        tx = client.transaction().await?;
        session::declared_path(tx.client(), home.as_deref()).await?;
        let setup: Vec<&str> = setup.iter().map(String::as_str).collect();
        session::pipeline(tx.client(), &setup)
            .await
            .map_err(refused)?;
        trips += 2;
        trips += session::each_in_savepoint(tx.client(), &probes).await?;
    }
    session::catalog_path(tx.client(), home.as_deref()).await?;
    let rows = tx
        .client()
        .query(
            "SELECT t.tgname::text, pg_get_triggerdef(t.oid) FROM pg_trigger t
             WHERE t.tgrelid IN (SELECT c.oid FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema())
               AND t.tgname LIKE 'tableform\\_probe\\_%'",
            &[],
        )
        .await?;
    tx.rollback().await?;
    for r in &rows {
        let (probe, def): (String, String) = (r.get(0), r.get(1));
        let Some(k) =
            (probe.strip_prefix("tableform_probe_")).and_then(|k| k.parse::<usize>().ok())
        else {
            continue;
        };
        let (name, i, live_when) = &asks[k];
        if when_of(&def).as_deref() == Some(live_when.as_str())
            && let Some(t) = desired.tables.get_mut(name)
        {
            t.triggers[*i].when = Some(SqlExpr::raw(live_when.clone()));
        }
    }
    Ok(trips)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Change;
    use crate::kinds::function::{
        FunctionAttrs, Parallel, Returns, Routine, RoutineKind, Volatility,
    };
    use crate::model::{BaseType, DataType, Table};

    fn routine(returns: &str) -> Routine {
        Routine {
            name: QualName::new("public", "touch"),
            kind: RoutineKind::Function,
            arguments: Vec::new(),
            function: Some(FunctionAttrs {
                returns: Returns::Type {
                    ty: DataType::new(BaseType::Opaque(returns.into())),
                    setof: false,
                },
                volatility: Volatility::Volatile,
                strict: false,
                leakproof: false,
                parallel: Parallel::Unsafe,
                cost: None,
                rows: None,
            }),
            language: "plpgsql".into(),
            body: "BEGIN RETURN NEW; END".into(),
            security_definer: false,
            set: Default::default(),
            comment: None,
        }
    }

    fn schema(returns: &str, enabled: TriggerEnabled) -> Schema {
        let mut s = Schema::default();
        let r = routine(returns);
        s.functions.insert(r.key(), r);
        let name = QualName::new("public", "t");
        s.tables.insert(
            name.clone(),
            Table {
                triggers: vec![Trigger {
                    name: "t_touch".into(),
                    timing: TriggerTiming::Before,
                    events: [TriggerEvent::Update].into(),
                    update_of: Vec::new(),
                    level: TriggerLevel::Row,
                    when: None,
                    function: QualName::new("public", "touch"),
                    arguments: Vec::new(),
                    enabled,
                    constraint: None,
                    comment: None,
                    renamed_from: None,
                }],
                ..Table::empty(name)
            },
        );
        s
    }

    #[test]
    fn a_trigger_whose_function_is_dropped_and_created_again_is_too() {
        let live = schema("trigger", TriggerEnabled::Origin);
        let desired = schema("record", TriggerEnabled::Disabled);
        let d = crate::diff::diff(&desired, &live, false);
        let kinds: Vec<String> = (d.changes.iter())
            .map(|c| {
                serde_json::to_value(c).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            ["recreate_routine", "replace_trigger"],
            "{:?}",
            d.changes
        );
        let steps: Vec<(Phase, String)> = d
            .changes
            .iter()
            .flat_map(|c| c.as_kind().statements())
            .collect();
        assert!(steps.contains(&(
            Phase::DropTriggers,
            "DROP TRIGGER t_touch ON public.t".into()
        )));
        assert!(steps.contains(&(
            Phase::Triggers,
            "ALTER TABLE public.t DISABLE TRIGGER t_touch".into()
        )));
        assert!(
            !d.changes
                .iter()
                .any(|c| matches!(c, Change::Trigger(TriggerChange::SetTriggerEnabled { .. })))
        );
    }

    #[test]
    fn the_when_condition_is_the_balanced_group_after_when() {
        let def = "CREATE TRIGGER t BEFORE UPDATE ON public.a FOR EACH ROW WHEN ((old.x <> ')' AND (new.y > 1))) EXECUTE FUNCTION f(')')";
        assert_eq!(
            when_of(def).as_deref(),
            Some("(old.x <> ')' AND (new.y > 1))")
        );
        assert_eq!(
            when_of("CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()"),
            None
        );
    }
}
