//! The verdict rules: which changes may run, and why not. `docs/verdicts.md` is this file's table
//! in prose; the two must agree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Change, Question};
use crate::model::ColumnDefault;
use crate::model::names::quote_ident;

/// Counts above this are reported as "more than".
pub const FACT_CAP: u64 = 1_000_000;

/// Answers to [`Question`]s.
pub type Facts = BTreeMap<Question, u64>;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Turn refusals of drops and type changes into changes.
    pub allow_destructive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// A missing object is created.
    Create,
    /// Closed in place without losing data; `note` says what it costs (a table rewrite).
    Change { note: Option<String> },
    /// Would lose or rewrite data, or needs a human decision.
    Refuse { reason: String },
}

impl Verdict {
    fn change() -> Self {
        Verdict::Change { note: None }
    }

    fn note(note: impl Into<String>) -> Self {
        Verdict::Change {
            note: Some(note.into()),
        }
    }

    fn refuse(reason: impl Into<String>) -> Self {
        Verdict::Refuse {
            reason: reason.into(),
        }
    }

    pub fn is_refusal(&self) -> bool {
        matches!(self, Verdict::Refuse { .. })
    }
}

/// "3 rows", "more than 1000000 rows".
pub fn count(n: u64, what: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    if n > FACT_CAP {
        format!("more than {FACT_CAP} {what}s")
    } else {
        format!("{n} {what}{plural}")
    }
}

/// What a backfill will do, with the count labelled as what it was when the plan was made.
fn backfill_note(column: &str, e: &crate::model::SqlExpr, n: u64) -> String {
    format!(
        "backfill: `{column}` is set to {} where it is NULL ({} at plan time; apply fills every NULL row it finds once the table is locked), then NOT NULL is set",
        e.sql,
        count(n.min(FACT_CAP + 1), "row")
    )
}

/// Decides whether one change may run. `facts` must answer the change's questions
/// ([`super::Diff::questions`]); a missing answer is treated as "has rows", the safe side.
pub fn judge(change: &Change, facts: &Facts, opts: &Options) -> Verdict {
    use Change::*;
    let rows = |t| facts.get(&Question::Rows(t)).copied().unwrap_or(u64::MAX);
    let destructive = opts.allow_destructive;
    match change {
        CreateSchema { .. } | CreateEnum { .. } | CreateTable { .. } | CreateSequence { .. } => {
            Verdict::Create
        }
        SetIdentity {
            table,
            column,
            from: None,
            ..
        } => match rows(table.clone()) {
            0 => Verdict::change(),
            n => Verdict::note(format!(
                "its sequence is then set past the largest `{column}` ({} at plan time; apply reads the largest value once the table is locked)",
                count(n, "row")
            )),
        },
        DropSequence { name } => match facts.get(&Question::SequenceUsed(name.clone())).copied() {
            Some(0) => Verdict::note("the sequence never handed out a value"),
            _ if destructive => {
                Verdict::note("the sequence has handed out values: its position is lost")
            }
            _ => Verdict::refuse(format!(
                "sequence {name} has handed out values: dropping it loses its position, and a sequence created again would repeat them; pass --allow-destructive to allow it"
            )),
        },
        SetIdentity { .. }
        | AlterIdentity { restart: None, .. }
        | AlterSequence { restart: None, .. }
        | DropEnum { .. }
        | DropSchema { .. } => Verdict::change(),
        AlterIdentity {
            to,
            restart: Some(v),
            ..
        } => restart_note(to, *v),
        AlterSequence {
            to,
            restart: Some(v),
            ..
        } => restart_note(&to.options, *v),
        AddEnumValue { .. } => Verdict::change(),
        ReshapeEnum {
            name,
            from,
            to,
            uses,
            ..
        } => {
            let columns = || {
                let cols: Vec<String> = (uses.iter())
                    .map(|u| format!("{}.{}", u.table, quote_ident(&u.column)))
                    .collect();
                match cols.len() {
                    0 => "no column uses it".to_string(),
                    1 => format!("converts column {}", cols[0]),
                    n => format!("converts {n} columns ({})", cols.join(", ")),
                }
            };
            if let Some(u) = uses.iter().find(|u| u.protected) {
                return Verdict::refuse(format!(
                    "{} has prevent_destroy: recreating enum {name} would rewrite it",
                    u.table
                ));
            }
            // Every column converted by a declared `using`: nothing is left to chance.
            let declared = !uses.is_empty() && uses.iter().all(|u| u.using.is_some());
            if !destructive && !declared {
                return Verdict::refuse(format!(
                    "enum values cannot be removed or reordered in place (database has [{}], declared [{}]); declare a `using` conversion on each column, or --allow-destructive would recreate the type ({})",
                    from.join(", "),
                    to.join(", "),
                    columns()
                ));
            }
            let removed = change.removed_enum_values();
            let held: Vec<String> = if removed.is_empty() {
                Vec::new()
            } else {
                (uses.iter())
                    .filter(|u| u.using.is_none())
                    .filter_map(|u| {
                        let q = Question::EnumValues {
                            table: u.table.clone(),
                            column: u.column.clone(),
                            array: u.array,
                            values: removed.clone(),
                        };
                        match facts.get(&q).copied().unwrap_or(u64::MAX) {
                            0 => None,
                            n => Some(format!(
                                "{} in `{}` of {}",
                                count(n, "row"),
                                u.column,
                                u.table
                            )),
                        }
                    })
                    .collect()
            };
            if held.is_empty() {
                Verdict::note(format!(
                    "recreates the type and {}, rewriting under an exclusive lock",
                    columns()
                ))
            } else {
                Verdict::refuse(format!(
                    "the removed value{} {} {} still held: {}; change those rows by hand first",
                    if removed.len() == 1 { "" } else { "s" },
                    removed.join(", "),
                    if removed.len() == 1 { "is" } else { "are" },
                    held.join(", ")
                ))
            }
        }
        DropTable { table } => match rows(table.clone()) {
            0 => Verdict::note("the table is empty"),
            n if destructive => Verdict::note(format!("drops {}", count(n, "row"))),
            n => Verdict::refuse(format!(
                "dropping {table} would delete {}; pass --allow-destructive to allow it",
                count(n, "row")
            )),
        },
        AddColumn {
            table,
            column,
            backfill,
        } => {
            if column.nullable || column.default.is_some() {
                return Verdict::change();
            }
            match (rows(table.clone()), backfill) {
                (0, Some(_)) => Verdict::note(
                    "backfill is a no-op: the table is empty, there is nothing to fill (the key can stay)",
                ),
                (0, None) => {
                    Verdict::note("NOT NULL without a default is fine: the table is empty")
                }
                (n, Some(e)) => Verdict::note(backfill_note(&column.name, e, n)),
                (n, None) => Verdict::refuse(format!(
                    "column `{}` is NOT NULL without a default and {table} has {}; declare a default, make it nullable, or declare a `backfill` expression",
                    column.name,
                    count(n, "row")
                )),
            }
        }
        DropColumn {
            table,
            column,
            protected: true,
        } => Verdict::refuse(format!(
            "{table} has prevent_destroy: column `{column}` is not declared but will not be dropped; declare it, or lift prevent_destroy"
        )),
        AlterType {
            table,
            column,
            from,
            to,
            protected: true,
            ..
        } if !from.widens_to(to) || from.change_rewrites(to) => Verdict::refuse(format!(
            "{table} has prevent_destroy: changing `{column}` from {from} to {to} would rewrite it"
        )),
        DropColumn { table, column, .. } => {
            let n = rows(table.clone());
            if n == 0 {
                Verdict::note("the table is empty")
            } else if destructive {
                Verdict::note(format!("drops the column's data ({})", count(n, "row")))
            } else {
                Verdict::refuse(format!(
                    "dropping column `{column}` would lose its data ({}); pass --allow-destructive to allow it",
                    count(n, "row")
                ))
            }
        }
        AlterType {
            table,
            using: Some(e),
            ..
        } => Verdict::note(format!(
            "converts with USING {}: rewrites the table under an ACCESS EXCLUSIVE lock ({} at plan time); apply fails, changing nothing, if the expression fails on a row",
            e.sql,
            count(rows(table.clone()).min(FACT_CAP + 1), "row")
        )),
        AlterType {
            table,
            column,
            from,
            to,
            ..
        } => {
            let n = rows(table.clone()).min(FACT_CAP + 1);
            if from.widens_to(to) {
                if from.change_rewrites(to) {
                    Verdict::note(format!(
                        "rewrites the table ({}) under an exclusive lock",
                        count(n, "row")
                    ))
                } else {
                    Verdict::change()
                }
            } else if destructive || n == 0 {
                Verdict::note(format!(
                    "converts {} with USING {}",
                    count(n, "row"),
                    from.conversion(column, to)
                ))
            } else {
                Verdict::refuse(format!(
                    "changing `{column}` from {from} to {to} could fail or lose data ({}); declare a `using` conversion, or pass --allow-destructive",
                    count(n, "row")
                ))
            }
        }
        SetDefault {
            table,
            to: Some(ColumnDefault::Serial { .. }),
            column,
            creates_sequence: Some(seq),
            ..
        } => match rows(table.clone()) {
            0 => Verdict::note(format!(
                "creates sequence {}, owned by `{column}`, as its default",
                seq.name
            )),
            n => Verdict::note(format!(
                "creates sequence {}, owned by `{column}`, as its default, set past the largest `{column}` ({} at plan time; apply reads the largest value once the table is locked)",
                seq.name,
                count(n, "row")
            )),
        },
        SetDefault {
            to: Some(ColumnDefault::Serial { .. }),
            column,
            ..
        } => Verdict::refuse(format!(
            "turning existing column `{column}` into a serial needs a sequence created and set past the existing values; do it by hand"
        )),
        SetDefault {
            drops_sequence: Some(seq),
            column,
            ..
        } => Verdict::note(format!(
            "`{column}` is no longer serial: its own sequence {seq} is dropped after the default"
        )),
        SetNullable {
            table,
            column,
            nullable: false,
            backfill,
        } => {
            let nulls = facts
                .get(&Question::Nulls(table.clone(), column.clone()))
                .copied()
                .unwrap_or(u64::MAX);
            match (nulls, backfill) {
                (0, Some(_)) => Verdict::note(format!(
                    "backfill is a no-op: `{column}` holds no NULL, there is nothing to fill (the key can stay)"
                )),
                (0, None) => Verdict::change(),
                (n, Some(e)) => Verdict::note(backfill_note(column, e, n)),
                (n, None) => Verdict::refuse(format!(
                    "`{column}` cannot become NOT NULL: it is NULL in {}; declare a `backfill` expression, or fill them in by hand first",
                    count(n, "row")
                )),
            }
        }
        SetCollation { column, .. } => Verdict::note(format!(
            "the indexes on `{column}` are rebuilt under an exclusive lock (the table is not rewritten)"
        )),
        ValidateConstraint { .. } => Verdict::note(
            "checks every existing row; it fails, and the whole apply rolls back, if one violates it",
        ),
        SetComment { .. } => Verdict::change(),
        RenameTable { from, .. } => Verdict::note(format!(
            "renamed_from: its rows, indexes, constraints and the foreign keys that reference it follow; whatever still says {from} (views, functions, the application) must change with it"
        )),
        RenameColumn { from, .. } => Verdict::note(format!(
            "renamed_from: its values, indexes and constraints follow; whatever still says `{from}` (views, functions, the application) must change with it"
        )),
        RenameEnumValue { .. } => {
            Verdict::note("renamed_values: rows holding the old value hold the new one")
        }
        AmbiguousRename { what, from, to, .. } => Verdict::refuse(format!(
            "renamed_from is ambiguous: both {what} {from} and {what} {to} exist; drop or rename one of them by hand, or remove the key"
        )),
        SetDefault { .. }
        | SetNullable { .. }
        | SetColumnComment { .. }
        | SetTableComment { .. }
        | AddConstraint { .. }
        | DropConstraint { .. }
        | RenameConstraint { .. }
        | CreateIndex { .. }
        | DropIndex { .. }
        | RenameIndex { .. } => Verdict::change(),
    }
}

/// The note of a sequence (standalone or an identity's) whose new bounds exclude its current
/// value `v`: it restarts at its start.
fn restart_note(o: &crate::model::SequenceOptions, v: i64) -> Verdict {
    // Back to or past values it handed out, in its own direction.
    let repeats = if o.increment > 0 {
        o.start <= v
    } else {
        o.start >= v
    };
    Verdict::note(format!(
        "its current value {v} is outside the new bounds ({} to {}): it restarts at {}{}",
        o.min_value,
        o.max_value,
        o.start,
        if repeats {
            ", and may hand out values it handed out before"
        } else {
            ""
        }
    ))
}
