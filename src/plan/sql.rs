//! Changes -> SQL statements. Every identifier goes through `quote_ident` and every literal through
//! `quote_literal`; expressions are inserted only after the loader checked that each is exactly one
//! SQL expression.

use crate::diff::{Change, CommentOn, Constraint, EnumUse};
use crate::model::names::{quote_ident, quote_literal};
use crate::model::types::Serial;
use crate::model::{
    Check, Column, ColumnDefault, DataType, FkAction, FkMatch, ForeignKey, Identity, Index,
    IndexKey, IndexPart, OwnedBy, QualName, Sequence, Table, Unique, integer_range,
};

/// When a statement runs, relative to the others: drops that others depend on come first, foreign
/// keys after every table exists (which also resolves cycles), comments last.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `renamed_from`: `ALTER ... RENAME`, before every other step, which all use the new names.
    Renames,
    /// `ALTER TYPE ... ADD VALUE`: first, because PostgreSQL only lets later statements use a new
    /// value once it is committed (apply commits early when they do).
    EnumValues,
    DropForeignKeys,
    DropConstraints,
    CreateSchemas,
    Types,
    CreateTables,
    AlterColumns,
    /// `UPDATE t SET c = <backfill> WHERE c IS NULL`, then `SET NOT NULL`: after every column
    /// exists in its final type (a backfill may read the others), before constraints.
    Backfill,
    Constraints,
    /// New indexes on existing tables: with `--concurrent-indexes`, built after the commit.
    /// Before foreign keys, which may rely on a new unique index.
    Indexes,
    ForeignKeys,
    Comments,
    DropTables,
    /// Sequences and types, once no table uses them.
    DropTypes,
    DropSchemas,
}

/// Sets an identity column's sequence past the largest value the column holds, in one statement
/// that reads it (under the table's lock, which apply takes first). Nothing happens when the
/// column holds no value the sequence could hand out again (none, or all below its start), or
/// when the sequence counts down.
fn identity_past_max(table: &QualName, column: &str) -> String {
    let col = quote_ident(column);
    format!(
        "SELECT setval(s.seq, m.top) FROM (SELECT pg_get_serial_sequence({}, {})::regclass AS seq) s, (SELECT max({col}) AS top FROM {}) m, pg_catalog.pg_sequence p WHERE p.seqrelid = s.seq AND p.seqincrement > 0 AND m.top >= p.seqstart AND m.top <= p.seqmax",
        quote_literal(&table.sql()),
        quote_literal(column),
        table.sql()
    )
}

/// A declared rename (`renamed_from`) runs before everything else; one the diff found (same
/// definition, other name) runs with the constraints.
fn rename_phase(declared: bool) -> Phase {
    if declared {
        Phase::Renames
    } else {
        Phase::Constraints
    }
}

fn ident_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn alter(table: &QualName) -> String {
    format!("ALTER TABLE {}", table.sql())
}

/// `name type [DEFAULT e] [NOT NULL]`, as in CREATE TABLE and ADD COLUMN.
pub fn column_def(c: &Column) -> String {
    let mut s = format!("{} ", quote_ident(&c.name));
    match &c.default {
        Some(ColumnDefault::Serial { .. })
            if !c.ty.array && Serial::keyword(&c.ty.base).is_some() =>
        {
            // serial creates the sequence, the default and the ownership, and implies NOT NULL
            s.push_str(Serial::keyword(&c.ty.base).unwrap_or("serial"));
            return s;
        }
        Some(ColumnDefault::Expr(e)) => {
            s.push_str(&c.ty.to_string());
            if c.collation.is_some() {
                s.push_str(&collate_clause(&c.collation));
            }
            s.push_str(" DEFAULT ");
            s.push_str(&e.sql);
        }
        _ => {
            s.push_str(&c.ty.to_string());
            if c.collation.is_some() {
                s.push_str(&collate_clause(&c.collation));
            }
        }
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if let Some(identity) = c.identity_sql() {
        s.push(' ');
        s.push_str(&identity);
    }
    s
}

/// `ALTER SEQUENCE s AS new` for a serial column changing between the serial types. A wider type
/// takes the new type's maximum by itself (PostgreSQL moves a bound that was the old type's own);
/// a narrower one sets the bounds of a serial of the new type with it, as `AS integer` alone
/// fails on a maximum beyond integer's.
fn serial_sequence_type(seq: &QualName, from: &DataType, to: &DataType) -> String {
    let (_, new_max) = integer_range(&to.base);
    let (_, old_max) = integer_range(&from.base);
    if new_max >= old_max {
        format!("ALTER SEQUENCE {} AS {to}", seq.sql())
    } else {
        format!(
            "ALTER SEQUENCE {} AS {to} MINVALUE 1 MAXVALUE {new_max}",
            seq.sql()
        )
    }
}

/// `ALTER SEQUENCE s OWNED BY t.c`, once the tables and their columns exist.
fn owned_by(name: &QualName, o: &OwnedBy) -> (Phase, String) {
    (
        Phase::Constraints,
        format!("ALTER SEQUENCE {} OWNED BY {}", name.sql(), o.sql()),
    )
}

/// The options of `CREATE SEQUENCE` / `ALTER SEQUENCE`, all spelled out.
fn sequence_options(s: &Sequence) -> String {
    let o = &s.options;
    format!(
        "AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
        s.data_type,
        o.increment,
        o.min_value,
        o.max_value,
        o.start,
        o.cache,
        if o.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

fn action_clause(kw: &str, a: FkAction) -> String {
    if a == FkAction::NoAction {
        String::new()
    } else {
        format!(" ON {kw} {}", a.sql())
    }
}

fn foreign_key_def(fk: &ForeignKey) -> String {
    let mut s = format!(
        "FOREIGN KEY ({}) REFERENCES {}({}){}{}",
        ident_list(&fk.columns),
        fk.ref_table.sql(),
        ident_list(&fk.ref_columns),
        action_clause("UPDATE", fk.on_update),
        action_clause("DELETE", fk.on_delete),
    );
    if fk.match_type == FkMatch::Full {
        s.push_str(" MATCH FULL");
    }
    if fk.deferrable {
        s.push_str(" DEFERRABLE");
        if fk.initially_deferred {
            s.push_str(" INITIALLY DEFERRED");
        }
    }
    if !fk.valid {
        s.push_str(" NOT VALID");
    }
    s
}

/// `CHECK (e) [NO INHERIT] [NOT VALID]`.
fn check_def(ch: &Check) -> String {
    let mut s = format!("CHECK ({})", ch.expr.sql);
    if ch.no_inherit {
        s.push_str(" NO INHERIT");
    }
    if !ch.valid {
        s.push_str(" NOT VALID");
    }
    s
}

/// `UNIQUE [NULLS NOT DISTINCT] (cols) [INCLUDE (...)] [WITH (...)] [DEFERRABLE ...]`
fn unique_def(u: &Unique) -> String {
    let mut s = String::from("UNIQUE ");
    if u.nulls_not_distinct {
        s.push_str("NULLS NOT DISTINCT ");
    }
    s.push_str(&format!("({})", ident_list(&u.columns)));
    if !u.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", ident_list(&u.include)));
    }
    s.push_str(&u.with.sql());
    if u.deferrable || u.initially_deferred {
        s.push_str(" DEFERRABLE");
        if u.initially_deferred {
            s.push_str(" INITIALLY DEFERRED");
        }
    }
    s
}

/// `CONSTRAINT name ...` as it appears in CREATE TABLE and ADD CONSTRAINT.
pub fn constraint_def(c: &Constraint) -> String {
    let body = match c {
        Constraint::PrimaryKey(pk) => format!("PRIMARY KEY ({})", ident_list(&pk.columns)),
        Constraint::Unique(u) => unique_def(u),
        Constraint::Check(ch) => check_def(ch),
        Constraint::ForeignKey(fk) => foreign_key_def(fk),
    };
    format!("CONSTRAINT {} {body}", quote_ident(c.name()))
}

/// One index key as SQL: `email`, `"Order" DESC`, `(lower(email)) NULLS FIRST`.
pub fn index_key(k: &IndexKey) -> String {
    let mut s = match &k.part {
        IndexPart::Column(c) => quote_ident(c),
        IndexPart::Expr(e) => format!("({})", e.sql),
    };
    if let Some(c) = &k.collation {
        s.push_str(&format!(" COLLATE {c}"));
    }
    if let Some(o) = &k.opclass {
        s.push_str(&format!(" {o}"));
    }
    if k.descending {
        s.push_str(" DESC");
    }
    match k.nulls_first {
        Some(true) => s.push_str(" NULLS FIRST"),
        Some(false) => s.push_str(" NULLS LAST"),
        None => {}
    }
    s
}

pub fn create_index(table: &QualName, i: &Index) -> String {
    let keys: Vec<String> = i.keys.iter().map(index_key).collect();
    let mut s = format!(
        "CREATE {}INDEX {} ON {}",
        if i.unique { "UNIQUE " } else { "" },
        quote_ident(&i.name),
        table.sql()
    );
    if i.method != "btree" {
        s.push_str(&format!(" USING {}", i.method));
    }
    s.push_str(&format!(" ({})", keys.join(", ")));
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", ident_list(&i.include)));
    }
    if i.nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    s.push_str(&i.with.sql());
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {}", p.sql));
    }
    s
}

fn comment(target: String, text: &Option<String>) -> String {
    let value = text.as_deref().map_or("NULL".to_string(), quote_literal);
    format!("COMMENT ON {target} IS {value}")
}

/// What `COMMENT ON` names for a [`CommentOn`].
fn comment_target(on: &CommentOn) -> String {
    match on {
        CommentOn::Schema { schema } => format!("SCHEMA {}", quote_ident(schema)),
        CommentOn::Enum { name } => format!("TYPE {}", name.sql()),
        CommentOn::Sequence { name } => format!("SEQUENCE {}", name.sql()),
        CommentOn::Index { table, index } => {
            format!(
                "INDEX {}",
                QualName::new(table.schema.clone(), index.clone()).sql()
            )
        }
        CommentOn::Constraint { table, constraint } => {
            format!("CONSTRAINT {} ON {}", quote_ident(constraint), table.sql())
        }
    }
}

/// `COLLATE name`, or the type's default collation.
fn collate_clause(collation: &Option<String>) -> String {
    format!(
        " COLLATE {}",
        quote_ident(collation.as_deref().unwrap_or("default"))
    )
}

/// The `COMMENT ON CONSTRAINT` a newly added constraint needs, if it has a comment.
fn constraint_comment(table: &QualName, c: &Constraint) -> Option<(Phase, String)> {
    c.comment().as_ref()?;
    let on = CommentOn::Constraint {
        table: table.clone(),
        constraint: c.name().to_string(),
    };
    Some((Phase::Comments, comment(comment_target(&on), c.comment())))
}

/// The `COMMENT ON INDEX` a new index needs, if it has a comment, in `phase`.
fn index_comment(table: &QualName, i: &Index, phase: Phase) -> Option<(Phase, String)> {
    i.comment.as_ref()?;
    let on = CommentOn::Index {
        table: table.clone(),
        index: i.name.clone(),
    };
    Some((phase, comment(comment_target(&on), &i.comment)))
}

fn create_table(t: &Table) -> Vec<(Phase, String)> {
    let mut lines: Vec<String> = t.columns.iter().map(column_def).collect();
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
        out.push((Phase::Constraints, create_index(&t.name, i)));
        out.extend(index_comment(&t.name, i, Phase::Comments));
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

/// The enum type recreated with other values: the old one renamed out of the way, the new one
/// created, every column converted through its text (its default dropped first, as it is bound to
/// the old type, and set again), and the old type dropped once nothing uses it (columns this plan
/// drops keep it until then).
fn reshape_enum(
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
        let on = CommentOn::Enum { name: name.clone() };
        out.push((Phase::Comments, comment(comment_target(&on), text)));
    }
    out
}

/// A backfill: the NULLs filled with the declared expression, then `SET NOT NULL`, each its own
/// statement (apply has locked the table, whose NULL count is one of the plan's facts).
fn fill(table: &QualName, column: &str, e: &crate::model::SqlExpr) -> Vec<(Phase, String)> {
    let col = quote_ident(column);
    vec![
        (
            Phase::Backfill,
            format!(
                "UPDATE {} SET {col} = {} WHERE {col} IS NULL",
                table.sql(),
                e.sql
            ),
        ),
        (
            Phase::Backfill,
            format!("{} ALTER COLUMN {col} SET NOT NULL", alter(table)),
        ),
    ]
}

/// The statements for one change, each with its phase.
pub fn statements(change: &Change) -> Vec<(Phase, String)> {
    use Change::*;
    let one = |p: Phase, s: String| vec![(p, s)];
    match change {
        CreateSchema { schema } => one(
            Phase::CreateSchemas,
            format!("CREATE SCHEMA {}", quote_ident(schema)),
        ),
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
                out.push((Phase::Comments, comment(comment_target(&on), &def.comment)));
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
        } => reshape_enum(name, to, uses, text),
        CreateTable { def } => create_table(def),
        DropTable { table } => one(Phase::DropTables, format!("DROP TABLE {}", table.sql())),
        SetIdentity {
            table,
            column,
            from,
            to,
            options,
            past_max,
        } => {
            let action = match (from, to) {
                (None, Some(i)) if options.is_empty() => format!("ADD {}", i.sql()),
                (None, Some(i)) => format!("ADD {} ({})", i.sql(), options.join(" ")),
                (Some(_), Some(Identity::Always)) => "SET GENERATED ALWAYS".to_string(),
                (Some(_), Some(Identity::ByDefault)) => "SET GENERATED BY DEFAULT".to_string(),
                (_, None) => "DROP IDENTITY".to_string(),
            };
            let mut out = one(
                Phase::AlterColumns,
                format!(
                    "{} ALTER COLUMN {} {action}",
                    alter(table),
                    quote_ident(column)
                ),
            );
            if *past_max && to.is_some() {
                out.push((Phase::Backfill, identity_past_max(table, column)));
            }
            out
        }
        AlterIdentity {
            table,
            column,
            from,
            to,
            restart,
        } => {
            let mut sets: Vec<String> = to
                .sql_differences(from)
                .into_iter()
                .map(|o| format!("SET {o}"))
                .collect();
            if restart.is_some() {
                sets.push("RESTART".into());
            }
            one(
                Phase::AlterColumns,
                format!(
                    "{} ALTER COLUMN {} {}",
                    alter(table),
                    quote_ident(column),
                    sets.join(" ")
                ),
            )
        }
        CreateSequence { def } => {
            let mut out = one(
                Phase::Types,
                format!(
                    "CREATE SEQUENCE {} {}",
                    def.name.sql(),
                    sequence_options(def)
                ),
            );
            if let Some(o) = &def.owned_by {
                out.push(owned_by(&def.name, o));
            }
            if def.comment.is_some() {
                let on = CommentOn::Sequence {
                    name: def.name.clone(),
                };
                out.push((Phase::Comments, comment(comment_target(&on), &def.comment)));
            }
            out
        }
        AlterSequence { from, to, restart } => {
            let mut out = Vec::new();
            if (&from.data_type, &from.options) != (&to.data_type, &to.options) {
                out.push((
                    Phase::Types,
                    format!(
                        "ALTER SEQUENCE {} {}{}",
                        to.name.sql(),
                        sequence_options(to),
                        if restart.is_some() { " RESTART" } else { "" }
                    ),
                ));
            }
            if from.owned_by != to.owned_by {
                // Released before any column is dropped (which would drop the sequence with
                // it), and given to its new owner once the column exists.
                if from.owned_by.is_some() {
                    out.push((
                        Phase::Types,
                        format!("ALTER SEQUENCE {} OWNED BY NONE", to.name.sql()),
                    ));
                }
                if let Some(o) = &to.owned_by {
                    out.push(owned_by(&to.name, o));
                }
            }
            out
        }
        DropSequence { name } => one(Phase::DropTypes, format!("DROP SEQUENCE {}", name.sql())),
        DropEnum { name } => one(Phase::DropTypes, format!("DROP TYPE {}", name.sql())),
        DropSchema { schema } => one(
            Phase::DropSchemas,
            format!("DROP SCHEMA {}", quote_ident(schema)),
        ),
        AddColumn {
            table,
            column,
            backfill,
        } => {
            let mut added = column.clone();
            if backfill.is_some() {
                added.nullable = true;
            }
            let mut out = one(
                Phase::AlterColumns,
                format!("{} ADD COLUMN {}", alter(table), column_def(&added)),
            );
            if let Some(e) = backfill {
                out.extend(fill(table, &column.name, e));
            }
            if column.comment.is_some() {
                let target = format!("COLUMN {}.{}", table.sql(), quote_ident(&column.name));
                out.push((Phase::Comments, comment(target, &column.comment)));
            }
            out
        }
        DropColumn { table, column, .. } => one(
            Phase::AlterColumns,
            format!("{} DROP COLUMN {}", alter(table), quote_ident(column)),
        ),
        AlterType {
            table,
            column,
            from,
            to,
            drops_default,
            sets_default,
            collation,
            serial_sequence,
            using: declared,
            ..
        } => {
            let col = quote_ident(column);
            // A widening needs no conversion; anything else only runs when the verdict allowed
            // it. An enum converts to another type through its text (there is no cast from one
            // enum to another). A declared `using` replaces either.
            let using = if let Some(e) = declared {
                format!(" USING {}", e.sql)
            } else if from.widens_to(to) {
                String::new()
            } else {
                format!(" USING {}", from.conversion(&col, to))
            };
            let collate = match collation {
                Some(_) => collate_clause(collation),
                None => String::new(),
            };
            let alter_column = format!("{} ALTER COLUMN {col}", alter(table));
            let mut sql = Vec::new();
            if *drops_default {
                sql.push(format!("{alter_column} DROP DEFAULT"));
            }
            sql.push(format!("{alter_column} TYPE {to}{collate}{using}"));
            if let Some(d) = sets_default {
                sql.push(format!("{alter_column} SET DEFAULT {}", d.sql));
            }
            if let Some(seq) = serial_sequence {
                sql.push(serial_sequence_type(seq, from, to));
            }
            sql.into_iter().map(|s| (Phase::AlterColumns, s)).collect()
        }
        SetCollation {
            table,
            column,
            ty,
            to,
            ..
        } => one(
            Phase::AlterColumns,
            format!(
                "{} ALTER COLUMN {} TYPE {ty}{}",
                alter(table),
                quote_ident(column),
                collate_clause(to)
            ),
        ),
        ValidateConstraint { table, name } => one(
            Phase::ForeignKeys,
            format!("{} VALIDATE CONSTRAINT {}", alter(table), quote_ident(name)),
        ),
        SetComment {
            target,
            comment: text,
        } => one(Phase::Comments, comment(comment_target(target), text)),
        SetDefault {
            table,
            column,
            to,
            creates_sequence,
            drops_sequence,
            past_max,
            ..
        } => {
            let col = quote_ident(column);
            let mut out = Vec::new();
            let action = match (to, creates_sequence) {
                (Some(ColumnDefault::Expr(e)), _) => format!("SET DEFAULT {}", e.sql),
                (Some(ColumnDefault::Serial { .. }), Some(seq)) => {
                    // What `serial` makes: the sequence, owned by the column, as its default.
                    out.push((
                        Phase::AlterColumns,
                        format!(
                            "CREATE SEQUENCE {} AS {} OWNED BY {}.{col}",
                            seq.name.sql(),
                            seq.data_type,
                            table.sql()
                        ),
                    ));
                    format!(
                        "SET DEFAULT nextval({}::regclass)",
                        quote_literal(&seq.name.sql())
                    )
                }
                (Some(ColumnDefault::Serial { .. }), None) => return Vec::new(),
                (None, _) => "DROP DEFAULT".to_string(),
            };
            out.push((
                Phase::AlterColumns,
                format!("{} ALTER COLUMN {col} {action}", alter(table)),
            ));
            if let Some(seq) = drops_sequence {
                out.push((Phase::AlterColumns, format!("DROP SEQUENCE {}", seq.sql())));
            }
            if let (true, Some(seq)) = (*past_max, creates_sequence) {
                // Read under the table's lock (apply takes it first): the next value is one
                // past the largest the column holds.
                out.push((
                    Phase::Backfill,
                    format!(
                        "SELECT setval({}, greatest(coalesce(max({col}), 0), 0) + 1, false) FROM {}",
                        quote_literal(&seq.name.sql()),
                        table.sql()
                    ),
                ));
            }
            out
        }
        SetNullable {
            table,
            column,
            nullable: false,
            backfill: Some(e),
        } => fill(table, column, e),
        SetNullable {
            table,
            column,
            nullable,
            ..
        } => {
            let action = if *nullable {
                "DROP NOT NULL"
            } else {
                "SET NOT NULL"
            };
            one(
                Phase::AlterColumns,
                format!(
                    "{} ALTER COLUMN {} {action}",
                    alter(table),
                    quote_ident(column)
                ),
            )
        }
        SetColumnComment {
            table,
            column,
            comment: text,
        } => one(
            Phase::Comments,
            comment(
                format!("COLUMN {}.{}", table.sql(), quote_ident(column)),
                text,
            ),
        ),
        SetTableComment {
            table,
            comment: text,
        } => one(
            Phase::Comments,
            comment(format!("TABLE {}", table.sql()), text),
        ),
        AddConstraint { table, constraint } => {
            let phase = match constraint {
                Constraint::ForeignKey(_) => Phase::ForeignKeys,
                _ => Phase::Constraints,
            };
            let mut out = one(
                phase,
                format!("{} ADD {}", alter(table), constraint_def(constraint)),
            );
            out.extend(constraint_comment(table, constraint));
            out
        }
        DropConstraint {
            table, constraint, ..
        } => {
            let phase = match constraint {
                Constraint::ForeignKey(_) => Phase::DropForeignKeys,
                _ => Phase::DropConstraints,
            };
            one(
                phase,
                format!(
                    "{} DROP CONSTRAINT {}",
                    alter(table),
                    quote_ident(constraint.name())
                ),
            )
        }
        RenameConstraint {
            table,
            from,
            to,
            declared,
        } => one(
            rename_phase(*declared),
            format!(
                "{} RENAME CONSTRAINT {} TO {}",
                alter(table),
                quote_ident(from),
                quote_ident(to)
            ),
        ),
        // The comment goes with the build (after it, when it is built concurrently).
        CreateIndex { table, index } => {
            let mut out = one(Phase::Indexes, create_index(table, index));
            out.extend(index_comment(table, index, Phase::Indexes));
            out
        }
        DropIndex { table, index, .. } => one(
            Phase::DropConstraints,
            format!(
                "DROP INDEX {}",
                QualName::new(table.schema.clone(), index.name.clone()).sql()
            ),
        ),
        RenameIndex {
            table,
            from,
            to,
            declared,
        } => one(
            rename_phase(*declared),
            format!(
                "ALTER INDEX {} RENAME TO {}",
                QualName::new(table.schema.clone(), from.clone()).sql(),
                quote_ident(to)
            ),
        ),
        RenameTable { from, to } => {
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
        RenameColumn { table, from, to } => one(
            Phase::Renames,
            format!(
                "{} RENAME COLUMN {} TO {}",
                alter(table),
                quote_ident(from),
                quote_ident(to)
            ),
        ),
        RenameEnumValue { name, from, to } => one(
            Phase::Renames,
            format!(
                "ALTER TYPE {} RENAME VALUE {} TO {}",
                name.sql(),
                quote_literal(from),
                quote_literal(to)
            ),
        ),
        // Refused: never runs.
        AmbiguousRename { .. } => Vec::new(),
    }
}
