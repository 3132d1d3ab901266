//! Enum types: values added in place (`ADD VALUE`), renamed (`renamed_values`), or, when values
//! are removed or reordered, the type recreated and every column using it converted.

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::column::same_default;
use super::comment::{CommentChange, CommentOn};
use super::constraint::{Constraint, ConstraintChange};
use super::index::IndexChange;
use super::{KindChange, Sign, alter, one};
use crate::diff::verdict::count;
use crate::diff::{Diff, Facts, ObjectKind, Options, Question, Unmanaged, Verdict};
use crate::model::names::{quote_ident, quote_literal};
use crate::model::{ColumnDefault, IndexPart, QualName, Schema, SqlExpr};
use crate::plan::Phase;

// ---- Model ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: QualName,
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

// ---- Catalog, diff, changes ----

/// Every enum type of the managed schemas, with its values in order.
pub const QUERY: &str = "
SELECT n.nspname, t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder),
       obj_description(t.oid, 'pg_type')
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = ANY($1)
GROUP BY n.nspname, t.typname, t.oid";

/// The rows of [`QUERY`] into `s`.
pub fn read(rows: &[Row], s: &mut Schema) {
    for r in rows {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let values = r.get(2);
        let comment = r.get(3);
        s.enums.insert(
            name.clone(),
            EnumType {
                name,
                values,
                comment,
            },
        );
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnumChange {
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
        /// The domains and composite types of the type, which would stay bound to the old one.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        type_users: Vec<String>,
    },
    /// `DROP TYPE t` (only with `--prune`)
    DropEnum { name: QualName },
    /// `renamed_values` of an enum: `ALTER TYPE t RENAME VALUE 'from' TO 'to'`, first.
    RenameEnumValue {
        name: QualName,
        from: String,
        to: String,
    },
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
    pub sets_default: Option<SqlExpr>,
    /// Its table has `prevent_destroy` (the conversion rewrites it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protected: bool,
    /// The column's declared conversion (`using`), in place of `c::text::new`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<SqlExpr>,
}

impl EnumChange {
    /// For a [`EnumChange::ReshapeEnum`]: the values the database has that the declaration drops.
    pub fn removed_values(&self) -> Vec<String> {
        match self {
            EnumChange::ReshapeEnum { from, to, .. } => {
                (from.iter()).filter(|v| !to.contains(v)).cloned().collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Declared enum types: created, or compared value by value.
pub fn diff(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for (name, e) in &desired.enums {
        match live.enums.get(name) {
            None => out
                .changes
                .push(EnumChange::CreateEnum { def: e.clone() }.into()),
            Some(l) => {
                let before = out.changes.len();
                let reshaped = diff_values(out, e, l, desired, live, prune);
                if e.comment != l.comment && !reshaped {
                    out.changes.push(
                        CommentChange::SetComment {
                            target: CommentOn::Enum { name: name.clone() },
                            comment: e.comment.clone(),
                        }
                        .into(),
                    );
                }
                if out.changes.len() == before {
                    out.unchanged.push((ObjectKind::Enum, name.clone()));
                }
            }
        }
    }
}

/// Live enum types the declaration does not mention: unmanaged, or dropped with `--prune`.
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for name in (live.enums.keys()).filter(|n| !desired.enums.contains_key(*n)) {
        if prune {
            out.changes
                .push(EnumChange::DropEnum { name: name.clone() }.into());
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::Enum,
                name: name.clone(),
                kept: None,
                owned_by: None,
            });
        }
    }
}

/// New values may be added anywhere; removing or reordering values cannot be done in place (the
/// type is recreated, see [`EnumChange::ReshapeEnum`]). Whether it is recreated.
fn diff_values(
    out: &mut Diff,
    want: &EnumType,
    have: &EnumType,
    desired: &Schema,
    live: &Schema,
    prune: bool,
) -> bool {
    let kept: Vec<&String> = want
        .values
        .iter()
        .filter(|v| have.values.contains(v))
        .collect();
    let reshaped =
        kept.len() != have.values.len() || kept.iter().zip(&have.values).any(|(a, b)| *a != b);
    if reshaped {
        out.changes.push(
            EnumChange::ReshapeEnum {
                name: want.name.clone(),
                from: have.values.clone(),
                to: want.values.clone(),
                uses: uses(&want.name, desired, live, prune),
                comment: want.comment.clone(),
                type_users: super::domain::type_users(&want.name, desired, live, prune),
            }
            .into(),
        );
        return true;
    }
    for (i, v) in want.values.iter().enumerate() {
        if !have.values.contains(v) {
            // Place it before the next value that already exists, or at the end.
            let before = want.values[i + 1..]
                .iter()
                .find(|n| have.values.contains(n))
                .cloned();
            out.changes.push(
                EnumChange::AddEnumValue {
                    name: want.name.clone(),
                    value: v.clone(),
                    before,
                }
                .into(),
            );
        }
    }
    false
}

/// The live columns of type `name` (or an array of it) that stay: a column this plan drops (an
/// undeclared column, a table pruned) keeps the old type until it is gone.
fn uses(name: &QualName, desired: &Schema, live: &Schema, prune: bool) -> Vec<EnumUse> {
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

/// A recreated enum type converts its columns with `ALTER COLUMN ... TYPE`, which PostgreSQL
/// cannot do while a check or an index expression or predicate on the column compares it with
/// a value of the old type (`operator does not exist: st = st__old`). Such checks and indexes
/// are dropped first and created again after, from the declaration (or as they were, when the
/// table is not declared); ones the diff already drops or creates are left to it.
pub fn make_recreation_possible(changes: &mut Vec<super::Change>, desired: &Schema, live: &Schema) {
    use super::Change;
    let uses: Vec<(QualName, QualName, String)> = (changes.iter())
        .filter_map(|c| match c {
            Change::Enum(EnumChange::ReshapeEnum { name, uses, .. }) => Some((name, uses)),
            _ => None,
        })
        .flat_map(|(name, uses)| {
            uses.iter()
                .map(move |u| (name.clone(), u.table.clone(), u.column.clone()))
        })
        .collect();
    let mut extra: Vec<Change> = Vec::new();
    for (enum_name, table, column) in uses {
        let Some(lt) = live.tables.get(&table) else {
            continue;
        };
        let dt = desired.tables.get(&table);
        let names = |e: &SqlExpr| mentions(&e.sql, &column);
        for ck in lt.checks.iter().filter(|c| names(&c.expr)) {
            let handled = changes.iter().chain(&extra).any(|c| {
                matches!(c, Change::Constraint(ConstraintChange::DropConstraint { table: t, constraint, .. } | ConstraintChange::AddConstraint { table: t, constraint })
                    if *t == table && constraint.name() == ck.name)
            });
            if handled {
                continue;
            }
            extra.push(
                ConstraintChange::DropConstraint {
                    table: table.clone(),
                    constraint: Constraint::Check(ck.clone()),
                    because: Some(format!(
                        "out of the way of the recreation of {enum_name}, then added again"
                    )),
                }
                .into(),
            );
            let again = match dt {
                Some(d) => d.checks.iter().find(|c| c.name == ck.name).cloned(),
                None => Some(ck.clone()),
            };
            if let Some(again) = again {
                extra.push(
                    ConstraintChange::AddConstraint {
                        table: table.clone(),
                        constraint: Constraint::Check(again),
                    }
                    .into(),
                );
            }
        }
        let by_expression = |i: &&crate::model::Index| {
            i.predicate.as_ref().is_some_and(names)
                || i.keys.iter().any(|k| match &k.part {
                    IndexPart::Expr(e) => names(e),
                    IndexPart::Column(_) => false,
                })
        };
        for ix in lt.indexes.iter().filter(by_expression) {
            let handled = changes.iter().chain(&extra).any(|c| {
                matches!(c, Change::Index(IndexChange::DropIndex { table: t, index, .. } | IndexChange::CreateIndex { table: t, index })
                    if *t == table && index.name == ix.name)
            });
            if handled {
                continue;
            }
            extra.push(
                IndexChange::DropIndex {
                    table: table.clone(),
                    index: ix.clone(),
                    because: Some(format!(
                        "out of the way of the recreation of {enum_name}, then created again"
                    )),
                }
                .into(),
            );
            let again = match dt {
                Some(d) => d.indexes.iter().find(|i| i.name == ix.name).cloned(),
                None => Some(ix.clone()),
            };
            if let Some(again) = again {
                extra.push(
                    IndexChange::CreateIndex {
                        table: table.clone(),
                        index: again,
                    }
                    .into(),
                );
            }
        }
    }
    changes.extend(extra);
}

/// Whether `sql` names `column` (as a whole word, or quoted): conservative, since a check or
/// index dropped and created again needlessly costs a scan, never a row.
pub(crate) fn mentions(sql: &str, column: &str) -> bool {
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

/// The enum type recreated with other values: the old one renamed out of the way, the new one
/// created, every column converted through its text (its default dropped first, as it is bound to
/// the old type, and set again), and the old type dropped once nothing uses it (columns this plan
/// drops keep it until then).
fn reshape(
    name: &QualName,
    values: &[String],
    uses: &[EnumUse],
    text: &Option<String>,
) -> Vec<(Phase, String)> {
    // Cut to 58 bytes first, so that PostgreSQL's truncation to 63 cannot make it the type's
    // own name.
    let mut end = 58.min(name.name.len());
    while !name.name.is_char_boundary(end) {
        end -= 1;
    }
    let old = QualName::new(name.schema.clone(), format!("{}__old", &name.name[..end]));
    let list: Vec<String> = values.iter().map(|v| quote_literal(v)).collect();
    let mut out = vec![
        format!(
            "ALTER TYPE {} RENAME TO {}",
            name.sql(),
            quote_ident(&old.name)
        ),
        format!("CREATE TYPE {} AS ENUM ({})", name.sql(), list.join(", ")),
    ];
    for u in uses {
        let alter_column = format!(
            "{} ALTER COLUMN {}",
            alter(&u.table),
            quote_ident(&u.column)
        );
        if u.drops_default {
            out.push(format!("{alter_column} DROP DEFAULT"));
        }
        let (brackets, ty) = if u.array {
            ("[]", "text[]")
        } else {
            ("", "text")
        };
        let using = match &u.using {
            Some(e) => e.sql.clone(),
            None => format!("{}::{ty}::{}{brackets}", quote_ident(&u.column), name.sql()),
        };
        out.push(format!(
            "{alter_column} TYPE {}{brackets} USING {using}",
            name.sql()
        ));
        if let Some(d) = &u.sets_default {
            out.push(format!("{alter_column} SET DEFAULT {}", d.sql));
        }
    }
    let mut out: Vec<(Phase, String)> = out.into_iter().map(|s| (Phase::Types, s)).collect();
    out.push((Phase::DropTypes, format!("DROP TYPE {}", old.sql())));
    if text.is_some() {
        out.push(super::comment::set(
            &CommentOn::Enum { name: name.clone() },
            text,
        ));
    }
    out
}

/// The verdict of a recreation: refused when a table using it has `prevent_destroy`, when no
/// `using` and no `--allow-destructive` says how, or when rows still hold a removed value.
fn judge_reshape(change: &EnumChange, facts: &Facts, destructive: bool) -> Verdict {
    let EnumChange::ReshapeEnum {
        name,
        from,
        to,
        uses,
        type_users,
        ..
    } = change
    else {
        return Verdict::change();
    };
    if !type_users.is_empty() {
        return Verdict::refuse(format!(
            "enum values cannot be removed or reordered in place, and recreating enum {name} would leave {} bound to the old type; change them by hand",
            super::domain::used_by(type_users)
        ));
    }
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
    let removed = change.removed_values();
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

impl KindChange for EnumChange {
    fn object(&self) -> (ObjectKind, QualName) {
        use EnumChange::*;
        match self {
            CreateEnum { def } => (ObjectKind::Enum, def.name.clone()),
            AddEnumValue { name, .. }
            | ReshapeEnum { name, .. }
            | DropEnum { name }
            | RenameEnumValue { name, .. } => (ObjectKind::Enum, name.clone()),
        }
    }

    fn questions(&self) -> Vec<Question> {
        let EnumChange::ReshapeEnum { uses, .. } = self else {
            return Vec::new();
        };
        let values = self.removed_values();
        if values.is_empty() {
            return Vec::new();
        }
        (uses.iter())
            .map(|u| Question::EnumValues {
                table: u.table.clone(),
                column: u.column.clone(),
                array: u.array,
                values: values.clone(),
            })
            .collect()
    }

    fn judge(&self, facts: &Facts, opts: &Options) -> Verdict {
        use EnumChange::*;
        match self {
            CreateEnum { .. } => Verdict::Create,
            AddEnumValue { .. } | DropEnum { .. } => Verdict::change(),
            ReshapeEnum { .. } => judge_reshape(self, facts, opts.allow_destructive),
            RenameEnumValue { .. } => {
                Verdict::note("renamed_values: rows holding the old value hold the new one")
            }
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        use EnumChange::*;
        match self {
            CreateEnum { def } => {
                let values: Vec<String> = def.values.iter().map(|v| quote_literal(v)).collect();
                let mut out = one(
                    Phase::Types,
                    format!(
                        "CREATE TYPE {} AS ENUM ({})",
                        def.name.sql(),
                        values.join(", ")
                    ),
                );
                if def.comment.is_some() {
                    let on = CommentOn::Enum {
                        name: def.name.clone(),
                    };
                    out.push(super::comment::set(&on, &def.comment));
                }
                out
            }
            AddEnumValue {
                name,
                value,
                before,
            } => {
                let pos = before
                    .as_ref()
                    .map(|b| format!(" BEFORE {}", quote_literal(b)))
                    .unwrap_or_default();
                one(
                    Phase::EnumValues,
                    format!(
                        "ALTER TYPE {} ADD VALUE {}{pos}",
                        name.sql(),
                        quote_literal(value)
                    ),
                )
            }
            ReshapeEnum {
                name,
                to,
                uses,
                comment: text,
                ..
            } => reshape(name, to, uses, text),
            DropEnum { name } => one(Phase::DropTypes, format!("DROP TYPE {}", name.sql())),
            RenameEnumValue { name, from, to } => one(
                Phase::Renames,
                format!(
                    "ALTER TYPE {} RENAME VALUE {} TO {}",
                    name.sql(),
                    quote_literal(from),
                    quote_literal(to)
                ),
            ),
        }
    }

    fn summary(&self) -> String {
        use EnumChange::*;
        match self {
            CreateEnum { def } => format!("create enum type ({})", def.values.join(", ")),
            AddEnumValue { value, before, .. } => match before {
                Some(b) => format!("add value '{value}' before '{b}'"),
                None => format!("add value '{value}'"),
            },
            ReshapeEnum { from, to, .. } => {
                format!("values [{}] -> [{}]", from.join(", "), to.join(", "))
            }
            DropEnum { .. } => "drop enum type (not declared)".into(),
            RenameEnumValue { from, to, .. } => format!(
                "rename value {} to {} (renamed_values)",
                quote_literal(from),
                quote_literal(to)
            ),
        }
    }

    fn drift(&self) -> Option<String> {
        matches!(self, EnumChange::CreateEnum { .. })
            .then(|| "declared but missing from the database".to_string())
    }

    fn sign(&self) -> Sign {
        match self {
            EnumChange::CreateEnum { .. } | EnumChange::AddEnumValue { .. } => Sign::Add,
            EnumChange::DropEnum { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        let EnumChange::ReshapeEnum { uses, .. } = self else {
            return Vec::new();
        };
        (uses.iter())
            .filter_map(|u| {
                let e = u.using.as_ref()?;
                Some((format!("table {}, column {} using", u.table, u.column), e))
            })
            .collect()
    }

    fn contended(&self, _created: &std::collections::BTreeSet<&QualName>) -> bool {
        !matches!(self, EnumChange::CreateEnum { .. })
    }
}
