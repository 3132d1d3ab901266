//! `renamed_from`: the declared renames, as changes, and the live model as it is once they ran.
//!
//! Each declared rename is looked up in the live model: the old name alone is a rename (a
//! change, run first), the new name alone is a rename done already (a note: the key can go),
//! both is ambiguous (refused), neither is an object to create. The rest of the diff is computed
//! against the live model with the renames applied, so a renamed column can change type in the
//! same plan; the real catalog's fingerprint is untouched.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::column::ColumnChange;
use super::constraint::ConstraintChange;
use super::enum_type::EnumChange;
use super::index::IndexChange;
use super::table::TableChange;
use super::{Change, KindChange};
use crate::diff::{Facts, ObjectKind, Options, Verdict};
use crate::model::{IndexPart, QualName, Schema, Table};
use crate::plan::Phase;

/// What the declared renames give.
#[derive(Debug, Default)]
pub struct Renamed {
    pub changes: Vec<Change>,
    /// Renames already done: the key can be removed now.
    pub notes: BTreeMap<(ObjectKind, QualName), Vec<String>>,
    /// The live model with the renames applied, when there was any.
    pub live: Option<Schema>,
}

fn done_note(what: &str, old: &str, new: &str) -> String {
    format!(
        "renamed_from = \"{old}\" is a no-op: {what} {new} exists and {old} does not (renamed already); the key can be removed now"
    )
}

pub fn renames(desired: &Schema, live: &Schema) -> Renamed {
    let r = &desired.renames;
    let mut out = Renamed::default();
    if r.is_empty() {
        return out;
    }
    let mut l = live.clone();
    for (new, old) in &r.tables {
        match (l.tables.contains_key(old), l.tables.contains_key(new)) {
            (true, false) => {
                out.changes.push(Change::from(TableChange::RenameTable {
                    from: old.clone(),
                    to: new.clone(),
                }));
                rename_table(&mut l, old, new);
            }
            (false, true) => note(
                &mut out,
                ObjectKind::Table,
                new,
                done_note("table", &old.to_string(), &new.to_string()),
            ),
            (true, true) => out
                .changes
                .push(Change::from(RenameChange::AmbiguousRename {
                    kind: ObjectKind::Table,
                    object: new.clone(),
                    what: "table".into(),
                    from: old.to_string(),
                    to: new.to_string(),
                })),
            (false, false) => {}
        }
    }
    for (table, cols) in &r.columns {
        for (new, old) in cols {
            let Some(t) = l.tables.get(table) else {
                continue;
            };
            match (t.column(old).is_some(), t.column(new).is_some()) {
                (true, false) => {
                    out.changes.push(Change::from(ColumnChange::RenameColumn {
                        table: table.clone(),
                        from: old.clone(),
                        to: new.clone(),
                    }));
                    rename_column(&mut l, table, old, new);
                }
                (false, true) => note(
                    &mut out,
                    ObjectKind::Table,
                    table,
                    done_note("column", old, new),
                ),
                (true, true) => out.changes.push(ambiguous(table, "column", old, new)),
                (false, false) => {}
            }
        }
    }
    for (table, idxs) in &r.indexes {
        for (new, old) in idxs {
            let Some(t) = l.tables.get_mut(table) else {
                continue;
            };
            let has = |n: &str| t.indexes.iter().any(|i| i.name == n);
            match (has(old), has(new)) {
                (true, false) => {
                    out.changes.push(Change::from(IndexChange::RenameIndex {
                        table: table.clone(),
                        from: old.clone(),
                        to: new.clone(),
                        declared: true,
                    }));
                    for i in t.indexes.iter_mut().filter(|i| i.name == *old) {
                        i.name = new.clone();
                    }
                    let key = QualName::new(table.schema.clone(), old.clone());
                    if let Some(n) = l.index_scans.remove(&key) {
                        l.index_scans
                            .insert(QualName::new(table.schema.clone(), new.clone()), n);
                    }
                }
                (false, true) => note(
                    &mut out,
                    ObjectKind::Table,
                    table,
                    done_note("index", old, new),
                ),
                (true, true) => out.changes.push(ambiguous(table, "index", old, new)),
                (false, false) => {}
            }
        }
    }
    for (table, cons) in &r.constraints {
        for (new, old) in cons {
            let Some(t) = l.tables.get_mut(table) else {
                continue;
            };
            match (constraint_named(t, old), constraint_named(t, new)) {
                (true, false) => {
                    out.changes
                        .push(Change::from(ConstraintChange::RenameConstraint {
                            table: table.clone(),
                            from: old.clone(),
                            to: new.clone(),
                            declared: true,
                        }));
                    rename_constraint(t, old, new);
                }
                (false, true) => note(
                    &mut out,
                    ObjectKind::Table,
                    table,
                    done_note("constraint", old, new),
                ),
                (true, true) => out.changes.push(ambiguous(table, "constraint", old, new)),
                (false, false) => {}
            }
        }
    }
    for (name, values) in &r.enum_values {
        for (new, old) in values {
            let Some(e) = l.enums.get_mut(name) else {
                continue;
            };
            match (e.values.contains(old), e.values.contains(new)) {
                (true, false) => {
                    out.changes.push(Change::from(EnumChange::RenameEnumValue {
                        name: name.clone(),
                        from: old.clone(),
                        to: new.clone(),
                    }));
                    for v in e.values.iter_mut().filter(|v| *v == old) {
                        *v = new.clone();
                    }
                }
                (false, true) => note(
                    &mut out,
                    ObjectKind::Enum,
                    name,
                    done_note("value", &format!("'{old}'"), &format!("'{new}'")),
                ),
                (true, true) => out
                    .changes
                    .push(Change::from(RenameChange::AmbiguousRename {
                        kind: ObjectKind::Enum,
                        object: name.clone(),
                        what: "value".into(),
                        from: old.clone(),
                        to: new.clone(),
                    })),
                (false, false) => {}
            }
        }
    }
    if !out.changes.is_empty() {
        out.live = Some(l);
    }
    out
}

fn note(out: &mut Renamed, kind: ObjectKind, name: &QualName, text: String) {
    out.notes
        .entry((kind, name.clone()))
        .or_default()
        .push(text);
}

fn ambiguous(table: &QualName, what: &str, old: &str, new: &str) -> Change {
    Change::from(RenameChange::AmbiguousRename {
        kind: ObjectKind::Table,
        object: table.clone(),
        what: what.into(),
        from: old.into(),
        to: new.into(),
    })
}

fn constraint_named(t: &Table, n: &str) -> bool {
    t.primary_key.as_ref().is_some_and(|k| k.name == n)
        || t.uniques.iter().any(|u| u.name == n)
        || t.checks.iter().any(|c| c.name == n)
        || t.foreign_keys.iter().any(|f| f.name == n)
}

fn rename_constraint(t: &mut Table, old: &str, new: &str) {
    let set = |n: &mut String| {
        if n == old {
            *n = new.to_string();
        }
    };
    if let Some(k) = &mut t.primary_key {
        set(&mut k.name);
    }
    t.uniques.iter_mut().for_each(|u| set(&mut u.name));
    t.checks.iter_mut().for_each(|c| set(&mut c.name));
    t.foreign_keys.iter_mut().for_each(|f| set(&mut f.name));
}

/// The live model after `ALTER TABLE old RENAME TO new` (and `SET SCHEMA`): foreign keys that
/// reference it, sequences it owns and the numbers kept by table follow it.
fn rename_table(l: &mut Schema, old: &QualName, new: &QualName) {
    let Some(mut t) = l.tables.remove(old) else {
        return;
    };
    t.name = new.clone();
    if old.schema != new.schema {
        for i in &t.indexes {
            if let Some(n) = l
                .index_scans
                .remove(&QualName::new(old.schema.clone(), i.name.clone()))
            {
                l.index_scans
                    .insert(QualName::new(new.schema.clone(), i.name.clone()), n);
            }
        }
        l.schemas.insert(new.schema.clone());
    }
    l.tables.insert(new.clone(), t);
    for other in l.tables.values_mut() {
        for f in other
            .foreign_keys
            .iter_mut()
            .filter(|f| f.ref_table == *old)
        {
            f.ref_table = new.clone();
        }
    }
    for s in l.sequences.values_mut() {
        if let Some(o) = s.owned_by.as_mut().filter(|o| o.table == *old) {
            o.table = new.clone();
        }
    }
    let moved: Vec<_> = (l.identity_values.keys())
        .filter(|(t, _)| t == old)
        .cloned()
        .collect();
    for k in moved {
        if let Some(v) = l.identity_values.remove(&k) {
            l.identity_values.insert((new.clone(), k.1), v);
        }
    }
}

/// The live model after `ALTER TABLE t RENAME COLUMN old TO new`: keys, indexes, expressions,
/// foreign keys from other tables and owned sequences name it by its new name.
fn rename_column(l: &mut Schema, table: &QualName, old: &str, new: &str) {
    let set = |n: &mut String| {
        if n == old {
            *n = new.to_string();
        }
    };
    if let Some(t) = l.tables.get_mut(table) {
        t.columns.iter_mut().for_each(|c| set(&mut c.name));
        if let Some(k) = &mut t.primary_key {
            k.columns.iter_mut().for_each(set);
        }
        for u in &mut t.uniques {
            u.columns.iter_mut().for_each(set);
            u.include.iter_mut().for_each(set);
        }
        for f in &mut t.foreign_keys {
            f.columns.iter_mut().for_each(set);
        }
        for c in &mut t.checks {
            c.expr = c.expr.with_renamed_ident(old, new);
        }
        for i in &mut t.indexes {
            for k in &mut i.keys {
                match &mut k.part {
                    IndexPart::Column(c) => set(c),
                    IndexPart::Expr(e) => *e = e.with_renamed_ident(old, new),
                }
            }
            i.include.iter_mut().for_each(set);
            if let Some(p) = &mut i.predicate {
                *p = p.with_renamed_ident(old, new);
            }
        }
    }
    for other in l.tables.values_mut() {
        for f in other
            .foreign_keys
            .iter_mut()
            .filter(|f| f.ref_table == *table)
        {
            f.ref_columns.iter_mut().for_each(set);
        }
    }
    for s in l.sequences.values_mut() {
        if let Some(o) = s.owned_by.as_mut().filter(|o| o.table == *table) {
            set(&mut o.column);
        }
    }
    if let Some(v) = l.identity_values.remove(&(table.clone(), old.to_string())) {
        l.identity_values
            .insert((table.clone(), new.to_string()), v);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RenameChange {
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

impl KindChange for RenameChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let RenameChange::AmbiguousRename { kind, object, .. } = self;
        (*kind, object.clone())
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        let RenameChange::AmbiguousRename { what, from, to, .. } = self;
        Verdict::refuse(format!(
            "renamed_from is ambiguous: both {what} {from} and {what} {to} exist; drop or rename one of them by hand, or remove the key"
        ))
    }

    /// Refused: never runs.
    fn statements(&self) -> Vec<(Phase, String)> {
        Vec::new()
    }

    fn summary(&self) -> String {
        let RenameChange::AmbiguousRename { what, from, to, .. } = self;
        format!("rename {what} {from} to {to}: both exist")
    }
}
