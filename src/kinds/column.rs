//! Columns: added (with a `backfill` when NOT NULL on a table with rows), dropped, their type
//! (widened, converted, or by a declared `using`), collation, default (serial included),
//! nullability, identity and comment; renamed (`renamed_from`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::comment;
use super::{KindChange, Sign, alter, one};
use crate::diff::verdict::{FACT_CAP, backfill_note, count, restart_note};
use crate::diff::{Facts, ObjectKind, Options, Question, Verdict};
use crate::inspect::catalog::Live;
use crate::model::names::{quote_ident, quote_literal};
use crate::model::types::Serial;
use crate::model::{
    BaseType, Column, ColumnDefault, ColumnUpgrade, DataType, Identity, QualName, Schema,
    SequenceOptions, SqlExpr, Table, integer_range,
};
use crate::plan::Phase;

/// Every column of the managed schemas' tables, in table order.
pub const QUERY: &str = "
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum),
       CASE WHEN et.typtype IN ('e', 'd', 'c') OR etn.nspname NOT IN ('pg_catalog', 'information_schema')
            THEN etn.nspname END,
       et.typname, t.typcategory = 'A', seq.relname, a.attidentity::text, a.attgenerated::text,
       pg_get_expr(d.adbin, d.adrelid) = format('nextval(%L::regclass)', seq.oid::regclass::text),
       seq.seqstart, seq.seqincrement, seq.seqmin, seq.seqmax, seq.seqcache, seq.seqcycle,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN coll.collname::text END,
       CASE WHEN a.attidentity <> '' AND has_sequence_privilege(seq.oid, 'SELECT,USAGE')
            THEN COALESCE(pg_sequence_last_value(seq.oid), seq.seqstart) END,
       -- What a column has that the model does not carry, spelled as in DDL (attcompression
       -- is PostgreSQL 14+, and attstattarget is NULL by default from 17 on: read by name).
       array_remove(ARRAY[
         CASE WHEN a.attstorage <> t.typstorage THEN 'STORAGE ' || CASE a.attstorage
              WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END,
         CASE to_jsonb(a) ->> 'attcompression' WHEN 'p' THEN 'COMPRESSION pglz' WHEN 'l' THEN 'COMPRESSION lz4' END,
         CASE WHEN COALESCE((to_jsonb(a) ->> 'attstattarget')::int, -1) >= 0
              THEN 'STATISTICS ' || (to_jsonb(a) ->> 'attstattarget') END,
         (SELECT 'SET (' || string_agg(o, ', ') || ')' FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_%'),
         CASE WHEN a.attgenerated = 's' THEN 'GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED' END
       ]::text[], NULL)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem ELSE t.oid END
JOIN pg_namespace etn ON etn.oid = et.typnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation coll ON coll.oid = a.attcollation
LEFT JOIN LATERAL (
    SELECT s.oid, s.relname, ps.seqstart, ps.seqincrement, ps.seqmin, ps.seqmax, ps.seqcache, ps.seqcycle
    FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
    JOIN pg_sequence ps ON ps.seqrelid = s.oid
    WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum
      AND dep.classid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
    -- A column may own more sequences than its own: the identity's or the default's first.
    ORDER BY dep.deptype = 'i' OR COALESCE(pg_get_expr(d.adbin, d.adrelid) = format('nextval(%L::regclass)', s.oid::regclass::text), false) DESC
    LIMIT 1) seq ON true
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY n.nspname, c.relname, a.attnum";

/// The rows of [`QUERY`] into the tables [`super::table::read`] made.
pub fn read(rows: &[Row], live: &mut Live) {
    let s = &mut live.schema;
    for r in rows {
        let table = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let Some(t) = s.tables.get_mut(&table) else {
            continue;
        };
        let c = from_row(r);
        let extra: Vec<String> = r.get(22);
        if !extra.is_empty() {
            live.not_carried.push(crate::model::NotCarried {
                object: format!("column {} of {}", quote_ident(&c.name), t.name),
                table: t.name.clone(),
                name: c.name.clone(),
                live: extra.join(", "),
                modelled: "none of these (the model does not carry them)".into(),
            });
        }
        if let Some(v) = r.get::<_, Option<i64>>(21) {
            s.identity_values
                .insert((t.name.clone(), c.name.clone()), v);
        }
        t.columns.push(c);
    }
}

fn from_row(r: &Row) -> Column {
    let name: String = r.get(2);
    let formatted: String = r.get(3);
    let udt_schema: Option<String> = r.get(7);
    let udt_name: String = r.get(8);
    let is_array: bool = r.get(9);
    let owned_seq: Option<String> = r.get(10);
    let ty = match udt_schema {
        Some(schema) => DataType {
            base: BaseType::Named(QualName::new(schema, udt_name)),
            array: is_array,
        },
        // A type tableform does not model is carried by its format_type() spelling.
        None => DataType::from_catalog(&formatted),
    };
    // A generated column's expression is stored like a default but is not one: tableform does
    // not model generated columns, and must never plan `SET/DROP DEFAULT` on one.
    let generated = r.get::<_, String>(12) == "s";
    let default_sql: Option<String> = if generated { None } else { r.get(5) };
    // The server compares the default with nextval() of the column's own sequence, so quoting
    // and schema qualification are spelled the way it spells them.
    let nextval_of_own_sequence = r.get::<_, Option<bool>>(13).unwrap_or(false);
    let default = default_sql.map(|d| match &owned_seq {
        // A nextval() default on the column's own sequence is what serial creates.
        Some(seq) if nextval_of_own_sequence => ColumnDefault::Serial {
            sequence: Some(seq.clone()),
        },
        _ => ColumnDefault::Expr(SqlExpr::raw(d)),
    });
    let identity = match r.get::<_, String>(11).as_str() {
        "a" => Some(Identity::Always),
        "d" => Some(Identity::ByDefault),
        _ => None,
    };
    let identity_sequence = match (identity, r.get::<_, Option<i64>>(14)) {
        (Some(_), Some(start)) => Some(SequenceOptions {
            start,
            increment: r.get(15),
            min_value: r.get(16),
            max_value: r.get(17),
            cache: r.get(18),
            cycle: r.get(19),
        })
        .filter(|o| *o != SequenceOptions::defaults(&ty.base, o.increment) || o.increment != 1),
        _ => None,
    };
    Column {
        name,
        ty,
        nullable: !r.get::<_, bool>(4),
        default,
        identity,
        identity_sequence,
        comment: r.get(6),
        collation: r.get(20),
    }
}

/// A column that owns a sequence and takes its `nextval()` default from it is `serial` only when
/// the sequence is exactly what `serial` makes: named `table_column_seq` beside its table, of the
/// column's integer type, with the default bounds, no comment, and the column NOT NULL. Anything
/// else (a sequence renamed or shared, a nullable column, other bounds) would be changed by
/// declaring `serial`, so it stays a sequence of its own and the column a plain default. The
/// diff still lets a declared `serial` adopt such a column ([`adopt_serials`]).
pub fn settle_serials(s: &mut Schema, defaults_of: Vec<(QualName, String)>) {
    for (seq, default_text) in defaults_of {
        let Some(sq) = s.sequences.get(&seq) else {
            continue;
        };
        let Some(own) = sq.owned_by.clone() else {
            continue;
        };
        let Some(c) = (s.tables.get_mut(&own.table))
            .and_then(|t| t.columns.iter_mut().find(|c| c.name == own.column))
        else {
            continue;
        };
        let shaped = seq.schema == own.table.schema
            && seq.name == crate::model::names::serial_sequence_name(&own.table.name, &c.name)
            && !c.nullable
            && !c.ty.array
            && Serial::keyword(&c.ty.base).is_some()
            && sq.data_type == DataType::new(c.ty.base.clone())
            && sq.options == SequenceOptions::defaults(&c.ty.base, 1)
            && sq.comment.is_none()
            && matches!(c.default, Some(ColumnDefault::Serial { .. }));
        if shaped {
            s.sequences.remove(&seq);
        } else {
            c.default = Some(ColumnDefault::Expr(SqlExpr::raw(default_text)));
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnChange {
    /// `ALTER TABLE t ADD COLUMN c ...`. With a `backfill` (a NOT NULL column without a
    /// default, added to a table with rows): added nullable, filled with
    /// `UPDATE t SET c = <backfill> WHERE c IS NULL`, then `SET NOT NULL`.
    AddColumn {
        table: QualName,
        column: Column,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backfill: Option<SqlExpr>,
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
        sets_default: Option<SqlExpr>,
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
        using: Option<SqlExpr>,
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
        backfill: Option<SqlExpr>,
    },
    /// `COMMENT ON COLUMN t.c IS ...`
    SetColumnComment {
        table: QualName,
        column: String,
        comment: Option<String>,
    },
    /// `renamed_from` on a column: `ALTER TABLE t RENAME COLUMN from TO to`, first.
    RenameColumn {
        table: QualName,
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

/// The columns of a declared table that exists: added, changed, or (not declared) dropped.
pub fn diff(
    out: &mut Vec<super::Change>,
    want: &Table,
    have: &Table,
    upgrades: &BTreeMap<String, ColumnUpgrade>,
) {
    let name = &want.name;
    for c in &want.columns {
        let up = upgrades.get(&c.name);
        match have.column(&c.name) {
            // A default fills the new column by itself; a backfill has nothing to do.
            None => out.push(
                ColumnChange::AddColumn {
                    table: name.clone(),
                    column: c.clone(),
                    backfill: up
                        .and_then(|u| u.backfill.clone())
                        .filter(|_| !c.nullable && c.default.is_none()),
                }
                .into(),
            ),
            Some(h) => diff_column(out, want, c, h, up),
        }
    }
    for h in &have.columns {
        if want.column(&h.name).is_none() {
            out.push(
                ColumnChange::DropColumn {
                    table: name.clone(),
                    column: h.name.clone(),
                    protected: want.prevent_destroy,
                }
                .into(),
            );
        }
    }
}

fn diff_column(
    out: &mut Vec<super::Change>,
    owner: &Table,
    want: &Column,
    have: &Column,
    up: Option<&ColumnUpgrade>,
) {
    let mut push = |c: ColumnChange| out.push(c.into());
    let table = &owner.name;
    let expr = |d: &Option<ColumnDefault>| match d {
        Some(ColumnDefault::Expr(e)) => Some(e.clone()),
        _ => None,
    };
    // A type change takes the expression defaults with it (see `ColumnChange::AlterType`).
    let (drops_default, sets_default) = (expr(&have.default).is_some(), expr(&want.default));
    let default_in_type_change = want.ty != have.ty && (drops_default || sets_default.is_some());
    if want.ty != have.ty {
        push(ColumnChange::AlterType {
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
        push(ColumnChange::SetCollation {
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
        push(ColumnChange::SetDefault {
            table: table.clone(),
            column: want.name.clone(),
            from: have.default.clone(),
            to: want.default.clone(),
            past_max: creates_sequence.is_some(),
            creates_sequence,
            drops_sequence,
        });
    }
    let set_nullable = (want.nullable != have.nullable).then(|| ColumnChange::SetNullable {
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
    if !dropping_identity && let Some(c) = set_nullable.clone() {
        push(c);
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
        push(ColumnChange::SetIdentity {
            table: table.clone(),
            column: want.name.clone(),
            from: have.identity,
            to: want.identity,
            options,
            past_max: have.identity.is_none(),
        });
    }
    if dropping_identity && let Some(c) = set_nullable {
        push(c);
    }
    if let (Some(_), Some(_), Some(w), Some(h)) = (
        want.identity,
        have.identity,
        want.identity_options(),
        have.identity_options(),
    ) && w != h
    {
        push(ColumnChange::AlterIdentity {
            table: table.clone(),
            column: want.name.clone(),
            from: h,
            to: w,
            restart: None,
        });
    }
    if want.comment != have.comment {
        push(ColumnChange::SetColumnComment {
            table: table.clone(),
            column: want.name.clone(),
            comment: want.comment.clone(),
        });
    }
}

/// An identity whose new bounds exclude its sequence's current value restarts, as a standalone
/// sequence does (PostgreSQL refuses the bounds otherwise).
pub fn restart_identities(changes: &mut [super::Change], live: &Schema) {
    for c in changes {
        if let super::Change::Column(ColumnChange::AlterIdentity {
            table,
            column,
            to,
            restart,
            ..
        }) = c
        {
            *restart = (live
                .identity_values
                .get(&(table.clone(), column.clone()))
                .copied())
            .filter(|v| *v < to.min_value || *v > to.max_value);
        }
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
    let unqualified = quote_ident(&seq.name);
    let name = if seq.schema == "public" {
        unqualified
    } else {
        format!("{}.{unqualified}", quote_ident(&seq.schema))
    };
    format!("nextval('{}'::regclass)", name.replace('\'', "''"))
}

/// The live sequence of a column that is serial on both sides and changes between the serial
/// types: its `AS` type changes with the column's.
fn serial_sequence(table: &QualName, want: &Column, have: &Column) -> Option<QualName> {
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

/// Whether two defaults are the same for a column of type `ty` (any two serials are).
pub fn same_default(a: &Option<ColumnDefault>, b: &Option<ColumnDefault>, ty: &DataType) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(ColumnDefault::Serial { .. }), Some(ColumnDefault::Serial { .. })) => true,
        (Some(ColumnDefault::Expr(x)), Some(ColumnDefault::Expr(y))) => x.equivalent(y, Some(ty)),
        _ => false,
    }
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

/// `COLLATE name`, or the type's default collation.
fn collate_clause(collation: &Option<String>) -> String {
    format!(
        " COLLATE {}",
        quote_ident(collation.as_deref().unwrap_or("default"))
    )
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

/// A backfill: the NULLs filled with the declared expression, then `SET NOT NULL`, each its own
/// statement (apply has locked the table, whose NULL count is one of the plan's facts).
fn fill(table: &QualName, column: &str, e: &SqlExpr) -> Vec<(Phase, String)> {
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

impl ColumnChange {
    /// The change as it runs given `facts`: a backfill with nothing to fill (the fact it rests
    /// on is zero) runs no `UPDATE`, the column is added, or set, NOT NULL as it would be
    /// without the key (its verdict says so); nothing to count past on an empty table, so a
    /// new sequence starts where it starts.
    pub fn settled(&self, facts: &Facts) -> ColumnChange {
        let mut c = self.clone();
        let empty = |t: &QualName| facts.get(&Question::Rows(t.clone())) == Some(&0);
        match &mut c {
            ColumnChange::AddColumn {
                table, backfill, ..
            } if empty(table) => *backfill = None,
            ColumnChange::SetNullable {
                table,
                column,
                backfill,
                ..
            } if facts.get(&Question::Nulls(table.clone(), column.clone())) == Some(&0) => {
                *backfill = None
            }
            ColumnChange::SetDefault {
                table, past_max, ..
            }
            | ColumnChange::SetIdentity {
                table, past_max, ..
            } if empty(table) => *past_max = false,
            _ => {}
        }
        c
    }

    fn table(&self) -> &QualName {
        use ColumnChange::*;
        match self {
            AddColumn { table, .. }
            | DropColumn { table, .. }
            | AlterType { table, .. }
            | SetCollation { table, .. }
            | SetIdentity { table, .. }
            | AlterIdentity { table, .. }
            | SetDefault { table, .. }
            | SetNullable { table, .. }
            | SetColumnComment { table, .. }
            | RenameColumn { table, .. } => table,
        }
    }
}

fn judge_type_change(change: &ColumnChange, rows: u64, destructive: bool) -> Verdict {
    let ColumnChange::AlterType {
        table,
        column,
        from,
        to,
        protected,
        using,
        ..
    } = change
    else {
        return Verdict::change();
    };
    if *protected && (!from.widens_to(to) || from.change_rewrites(to)) {
        return Verdict::refuse(format!(
            "{table} has prevent_destroy: changing `{column}` from {from} to {to} would rewrite it"
        ));
    }
    let n = rows.min(FACT_CAP + 1);
    if let Some(e) = using {
        return Verdict::note(format!(
            "converts with USING {}: rewrites the table under an ACCESS EXCLUSIVE lock ({} at plan time); apply fails, changing nothing, if the expression fails on a row",
            e.sql,
            count(n, "row")
        ));
    }
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

fn judge_default(change: &ColumnChange, rows: u64) -> Verdict {
    match change {
        ColumnChange::SetDefault {
            to: Some(ColumnDefault::Serial { .. }),
            column,
            creates_sequence: Some(seq),
            ..
        } => match rows {
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
        ColumnChange::SetDefault {
            to: Some(ColumnDefault::Serial { .. }),
            column,
            ..
        } => Verdict::refuse(format!(
            "turning existing column `{column}` into a serial needs a sequence created and set past the existing values; do it by hand"
        )),
        ColumnChange::SetDefault {
            drops_sequence: Some(seq),
            column,
            ..
        } => Verdict::note(format!(
            "`{column}` is no longer serial: its own sequence {seq} is dropped after the default"
        )),
        _ => Verdict::change(),
    }
}

impl KindChange for ColumnChange {
    fn object(&self) -> (ObjectKind, QualName) {
        (ObjectKind::Table, self.table().clone())
    }

    fn questions(&self) -> Vec<Question> {
        use ColumnChange::*;
        match self {
            AddColumn { table, column, .. } if !column.nullable && column.default.is_none() => {
                vec![Question::Rows(table.clone())]
            }
            SetNullable {
                table,
                column,
                nullable: false,
                ..
            } => vec![Question::Nulls(table.clone(), column.clone())],
            SetDefault {
                table,
                creates_sequence: Some(_),
                ..
            }
            | AlterType { table, .. }
            | DropColumn { table, .. }
            | SetIdentity {
                table, from: None, ..
            } => vec![Question::Rows(table.clone())],
            _ => Vec::new(),
        }
    }

    fn judge(&self, facts: &Facts, opts: &Options) -> Verdict {
        use ColumnChange::*;
        let rows = facts
            .get(&Question::Rows(self.table().clone()))
            .copied()
            .unwrap_or(u64::MAX);
        let destructive = opts.allow_destructive;
        match self {
            SetIdentity {
                column, from: None, ..
            } => match rows {
                0 => Verdict::change(),
                n => Verdict::note(format!(
                    "its sequence is then set past the largest `{column}` ({} at plan time; apply reads the largest value once the table is locked)",
                    count(n, "row")
                )),
            },
            SetIdentity { .. } | AlterIdentity { restart: None, .. } => Verdict::change(),
            AlterIdentity {
                to,
                restart: Some(v),
                ..
            } => restart_note(to, *v),
            AddColumn {
                table,
                column,
                backfill,
            } => {
                if column.nullable || column.default.is_some() {
                    return Verdict::change();
                }
                match (rows, backfill) {
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
            DropColumn { column, .. } => {
                if rows == 0 {
                    Verdict::note("the table is empty")
                } else if destructive {
                    Verdict::note(format!("drops the column's data ({})", count(rows, "row")))
                } else {
                    Verdict::refuse(format!(
                        "dropping column `{column}` would lose its data ({}); pass --allow-destructive to allow it",
                        count(rows, "row")
                    ))
                }
            }
            AlterType { .. } => judge_type_change(self, rows, destructive),
            SetDefault { .. } => judge_default(self, rows),
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
            RenameColumn { from, .. } => Verdict::note(format!(
                "renamed_from: its values, indexes and constraints follow; whatever still says `{from}` (views, functions, the application) must change with it"
            )),
            SetNullable { .. } | SetColumnComment { .. } => Verdict::change(),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        use ColumnChange::*;
        match self {
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
                // A widening needs no conversion; anything else only runs when the verdict
                // allowed it. An enum converts to another type through its text (there is no
                // cast from one enum to another). A declared `using` replaces either.
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
            RenameColumn { table, from, to } => one(
                Phase::Renames,
                format!(
                    "{} RENAME COLUMN {} TO {}",
                    alter(table),
                    quote_ident(from),
                    quote_ident(to)
                ),
            ),
        }
    }

    fn summary(&self) -> String {
        use ColumnChange::*;
        match self {
            SetIdentity { column, to, .. } => match to {
                Some(i) => format!("column {}: {}", quote_ident(column), i.sql().to_lowercase()),
                None => format!("column {}: drop identity", quote_ident(column)),
            },
            AlterIdentity {
                column, from, to, ..
            } => format!(
                "column {}: identity {}",
                quote_ident(column),
                from.changes_to(to).join(", ")
            ),
            AddColumn {
                column, backfill, ..
            } => match backfill {
                Some(e) => format!("add column {} (backfill {})", column_def(column), e.sql),
                None => format!("add column {}", column_def(column)),
            },
            DropColumn { column, .. } => format!("drop column {}", quote_ident(column)),
            AlterType {
                column,
                from,
                to,
                drops_default,
                sets_default,
                collation,
                serial_sequence,
                using,
                ..
            } => {
                let using = using
                    .as_ref()
                    .map_or(String::new(), |e| format!(" USING {}", e.sql));
                let mut default = match (drops_default, sets_default) {
                    (true, Some(d)) => format!(" (default dropped, then set again: {})", d.sql),
                    (true, None) => " (default dropped)".to_string(),
                    (false, Some(d)) => format!(" (then default {})", d.sql),
                    (false, None) => String::new(),
                };
                if let Some(seq) = serial_sequence {
                    default.push_str(&format!(" (sequence {seq} AS {to})"));
                }
                let collate = collation
                    .as_ref()
                    .map_or(String::new(), |c| format!(" COLLATE {}", quote_ident(c)));
                format!(
                    "column {}: type {from} -> {to}{collate}{using}{default}",
                    quote_ident(column)
                )
            }
            SetCollation {
                column, from, to, ..
            } => {
                let name = |c: &Option<String>| {
                    c.as_deref()
                        .map_or("the type's default".to_string(), quote_ident)
                };
                format!(
                    "column {}: collation {} -> {}",
                    quote_ident(column),
                    name(from),
                    name(to)
                )
            }
            SetDefault {
                column, from, to, ..
            } => {
                let col = quote_ident(column);
                match (from, to) {
                    (_, Some(ColumnDefault::Serial { .. })) => format!("column {col}: make serial"),
                    (Some(ColumnDefault::Serial { .. }), None) => {
                        format!("column {col}: no longer serial (drop its default and sequence)")
                    }
                    (_, Some(d)) => format!("column {col}: set default {}", d.describe()),
                    (Some(f), None) => format!("column {col}: drop default {}", f.describe()),
                    (None, None) => format!("column {col}: no default"),
                }
            }
            SetNullable {
                column,
                nullable,
                backfill,
                ..
            } => {
                let what = if *nullable {
                    "drop NOT NULL"
                } else {
                    "set NOT NULL"
                };
                let fill = backfill
                    .as_ref()
                    .map_or(String::new(), |e| format!(" (backfill {})", e.sql));
                format!("column {}: {what}{fill}", quote_ident(column))
            }
            SetColumnComment {
                column, comment, ..
            } => match comment {
                Some(_) => format!("column {}: set comment", quote_ident(column)),
                None => format!("column {}: remove comment", quote_ident(column)),
            },
            RenameColumn { from, to, .. } => format!(
                "rename column {} to {} (renamed_from)",
                quote_ident(from),
                quote_ident(to)
            ),
        }
    }

    fn drift(&self) -> Option<String> {
        use ColumnChange::*;
        match self {
            DropColumn { column, .. } => {
                Some(format!("column {} is not declared", quote_ident(column)))
            }
            AddColumn { column, .. } => Some(format!(
                "column {} is declared but missing",
                quote_ident(&column.name)
            )),
            AlterType {
                column, from, to, ..
            } => Some(format!(
                "column {} is {from} in the database, {to} in the declaration",
                quote_ident(column)
            )),
            SetNullable {
                column, nullable, ..
            } => Some(format!(
                "column {} is {} in the database, {} in the declaration",
                quote_ident(column),
                if *nullable { "NOT NULL" } else { "nullable" },
                if *nullable { "nullable" } else { "NOT NULL" }
            )),
            SetDefault {
                column, from, to, ..
            } => Some(format!(
                "column {} has default {} in the database, {} in the declaration",
                quote_ident(column),
                from.as_ref().map_or("none".to_string(), |d| d.describe()),
                to.as_ref().map_or("none".to_string(), |d| d.describe())
            )),
            _ => None,
        }
    }

    fn sign(&self) -> Sign {
        match self {
            ColumnChange::AddColumn { .. } => Sign::Add,
            ColumnChange::DropColumn { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        use ColumnChange::*;
        match self {
            AddColumn {
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
            SetNullable {
                column,
                backfill: Some(e),
                ..
            } => vec![(format!("column {column} backfill"), e)],
            AlterType {
                column,
                using: Some(e),
                ..
            } => vec![(format!("column {column} using"), e)],
            SetDefault {
                column,
                to: Some(ColumnDefault::Expr(e)),
                ..
            } => vec![(format!("column {column} default"), e)],
            _ => Vec::new(),
        }
    }
}
