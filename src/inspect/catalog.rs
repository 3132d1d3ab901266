//! Reading the live schema from the PostgreSQL catalog: one query per object kind for all
//! managed schemas at once, so the number of round trips does not grow with the schema.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::{Client, Row};

use crate::model::{
    BaseType, Check, Column, ColumnDefault, DataType, EnumType, FkAction, FkMatch, ForeignKey,
    Identity, ImpliedKey, Index, IndexKey, IndexPart, OwnedBy, PrimaryKey, QualName, Schema,
    Sequence, SequenceOptions, SqlExpr, StorageParams, Table, Unique,
};

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("reading the catalog failed: {0}")]
    Query(String),
    /// The expression probe needs temporary tables and this connection cannot create them.
    #[error(
        "comparing {count} declared expression{} with the database's needs temporary tables, and this connection cannot create them ({reason}); pass --dev-url with a server where tableform may create temporary tables, or plan as a role with the TEMP privilege on a writable server (see docs/security.md)",
        if *count == 1 { "" } else { "s" }
    )]
    ReadOnly { count: usize, reason: String },
}

impl From<tokio_postgres::Error> for InspectError {
    fn from(e: tokio_postgres::Error) -> Self {
        InspectError::Query(super::connect::reason(&e))
    }
}

const NAMESPACES: &str = "SELECT nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = ANY($1)";

// The last column lists what a table has that the model does not carry, spelled as in DDL.
const TABLES: &str = "
SELECT n.nspname, c.relname, obj_description(c.oid, 'pg_class'),
       array_remove(ARRAY[
         CASE WHEN c.relpersistence = 'u' THEN 'UNLOGGED' END,
         CASE WHEN c.reloptions IS NOT NULL THEN 'WITH (' || array_to_string(c.reloptions, ', ') || ')' END,
         CASE WHEN c.relkind = 'r' AND am.amname <> 'heap' THEN 'USING ' || quote_ident(am.amname) END,
         CASE WHEN c.reltablespace <> 0 THEN 'TABLESPACE ' || quote_ident(ts.spcname) END,
         CASE WHEN c.relrowsecurity THEN 'ENABLE ROW LEVEL SECURITY' END,
         CASE WHEN c.relforcerowsecurity THEN 'FORCE ROW LEVEL SECURITY' END,
         CASE c.relreplident WHEN 'n' THEN 'REPLICA IDENTITY NOTHING' WHEN 'f' THEN 'REPLICA IDENTITY FULL'
                             WHEN 'i' THEN 'REPLICA IDENTITY USING INDEX' END,
         (SELECT 'INHERITS (' || string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) || ')'
          FROM pg_inherits i WHERE i.inhrelid = c.oid),
         CASE WHEN c.relkind = 'p' THEN 'PARTITION BY ' || pg_get_partkeydef(c.oid) END
       ]::text[], NULL)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_am am ON am.oid = c.relam
LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)";

const COLUMNS: &str = "
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

const CONSTRAINTS: &str = "
SELECT n.nspname, c.relname, con.conname, con.contype::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
       fn.nspname, fc.relname,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord),
       con.confupdtype::text, con.confdeltype::text, con.condeferrable, con.condeferred,
       pg_get_expr(con.conbin, con.conrelid),
       ARRAY(SELECT a.attname::text FROM generate_series(ux.indnkeyatts + 1, ux.indnatts) k
             JOIN pg_attribute a ON a.attrelid = ux.indrelid AND a.attnum = ux.indkey[k - 1] ORDER BY k),
       COALESCE(ui.reloptions, '{}'),
       COALESCE((to_jsonb(ux) ->> 'indnullsnotdistinct')::bool, false),
       con.convalidated, con.connoinherit,
       con.confmatchtype::text, obj_description(con.oid, 'pg_constraint')
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_index ux ON con.contype = 'u' AND ux.indexrelid = con.conindid
LEFT JOIN pg_class ui ON ui.oid = ux.indexrelid
WHERE con.contype IN ('p', 'u', 'f', 'c') AND c.relkind IN ('r', 'p') AND n.nspname = ANY($1)
ORDER BY n.nspname, c.relname, con.conname";

const INDEXES: &str = "
SELECT n.nspname, c.relname, i.relname, x.indisunique, am.amname,
       ARRAY(SELECT CASE WHEN x.indkey[k - 1] = 0 THEN NULL ELSE
                (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = x.indrelid AND a.attnum = x.indkey[k - 1]) END
             FROM generate_series(1, x.indnkeyatts) k ORDER BY k),
       ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) k ORDER BY k),
       ARRAY(SELECT x.indoption[k - 1]::int4 FROM generate_series(1, x.indnkeyatts) k ORDER BY k),
       pg_get_expr(x.indpred, x.indrelid), x.indisvalid,
       ARRAY(SELECT CASE WHEN co.oid IS NULL THEN NULL WHEN pg_collation_is_visible(co.oid)
                THEN quote_ident(co.collname) ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
             FROM generate_series(1, x.indnkeyatts) k
             LEFT JOIN pg_collation co ON co.oid = x.indcollation[k - 1]
             LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace ORDER BY k),
       ARRAY(SELECT CASE WHEN oc.oid IS NULL THEN NULL WHEN pg_opclass_is_visible(oc.oid)
                THEN quote_ident(oc.opcname) ELSE quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END
             FROM generate_series(1, x.indnkeyatts) k
             LEFT JOIN pg_opclass oc ON oc.oid = x.indclass[k - 1]
             LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace ORDER BY k),
       pg_get_indexdef(x.indexrelid, 0, true),
       ARRAY(SELECT a.attname::text FROM generate_series(x.indnkeyatts + 1, x.indnatts) k
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k - 1] ORDER BY k),
       COALESCE(i.reloptions, '{}'),
       COALESCE((to_jsonb(x) ->> 'indnullsnotdistinct')::bool, false),
       obj_description(i.oid, 'pg_class'),
       ARRAY(SELECT COALESCE(oc.opcdefault, false) FROM generate_series(1, x.indnkeyatts) k
             LEFT JOIN pg_opclass oc ON oc.oid = x.indclass[k - 1] ORDER BY k)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = i.relam
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid
                  AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY n.nspname, c.relname, i.relname";

const SEQUENCES: &str = "
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
       s.seqmin, s.seqmax, s.seqcache, s.seqcycle, obj_description(c.oid, 'pg_class'),
       own.nspname, own.relname, own.attname,
       COALESCE(CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE')
                     THEN pg_sequence_last_value(c.oid) END, s.seqstart),
       COALESCE(own.is_default, false), own.default_text
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT tn.nspname::text, t.relname::text, a.attname::text,
           COALESCE(pg_get_expr(ad.adbin, ad.adrelid) = format('nextval(%L::regclass)', c.oid::regclass::text), false) AS is_default,
           pg_get_expr(ad.adbin, ad.adrelid) AS default_text
    FROM pg_depend d
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = t.oid AND ad.adnum = a.attnum
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
      AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' AND d.refobjsubid > 0
    LIMIT 1) own ON true
WHERE n.nspname = ANY($1)
  -- An identity's sequence is part of its column. The sequence a column owns and takes its
  -- nextval() default from is read too (is_default): it is serial only if it is exactly what
  -- serial makes (see settle_serials).
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i')";

const ENUMS: &str = "
SELECT n.nspname, t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder),
       obj_description(t.oid, 'pg_type')
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = ANY($1)
GROUP BY n.nspname, t.typname, t.oid";

/// What the catalog holds, as the model, plus what the model cannot express.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub schema: Schema,

    /// Catalog queries sent, for the performance report.
    pub queries: usize,
    /// The server's `server_version`.
    pub server_version: String,
    /// Which cluster and database this is (see [`identity`]).
    pub system_identifier: String,
    pub database: String,
    /// Tables and columns with properties the model does not carry (`UNLOGGED`, `STORAGE
    /// EXTERNAL`, ...): reported with the self-check's findings, never changed.
    pub not_carried: Vec<crate::model::NotCarried>,
}

/// The query [`identity`] and [`inspect`] send: the cluster's `system_identifier` (shared by a
/// primary and its physical replicas, unique otherwise) and the database's name.
const IDENTITY: &str =
    "SELECT (SELECT system_identifier::text FROM pg_control_system()), current_database()::text";

const VERSION_AND_IDENTITY: &str = "SELECT current_setting('server_version'), (SELECT system_identifier::text FROM pg_control_system()), current_database()::text";

/// `(system_identifier, current_database())` of the connected database.
pub async fn identity(client: &Client) -> Result<(String, String), InspectError> {
    let row = client.query_one(IDENTITY, &[]).await?;
    Ok((row.get(0), row.get(1)))
}

/// Reads every table, column, constraint, index and enum type of `schemas`.
/// Per managed schema, the objects of kinds tableform does not model (they keep the schema from
/// being dropped). Members of extensions count as their extension.
const UNMODELLED: &str = "
WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1)),
     ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
     counted AS (
  SELECT relnamespace AS ns, CASE relkind WHEN 'v' THEN 'views' WHEN 'm' THEN 'materialized views'
           WHEN 'f' THEN 'foreign tables' WHEN 'c' THEN 'composite types'
           ELSE 'partitioned tables' END AS kind
    FROM pg_class WHERE relkind IN ('v', 'm', 'f', 'c', 'p')
      AND (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL SELECT pronamespace, 'functions' FROM pg_proc
    WHERE (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL SELECT typnamespace, CASE typtype WHEN 'd' THEN 'domains' WHEN 'r' THEN 'range types'
           ELSE 'base types' END FROM pg_type
    WHERE typtype IN ('d', 'r', 'b') AND typelem = 0 AND typrelid = 0
      AND (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
      AND typnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname = 'pg_catalog')
  UNION ALL SELECT extnamespace, 'extensions' FROM pg_extension
  UNION ALL SELECT collnamespace, 'collations' FROM pg_collation
    WHERE (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL SELECT oprnamespace, 'operators' FROM pg_operator
    WHERE (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL SELECT connamespace, 'exclusion constraints' FROM pg_constraint WHERE contype = 'x'
)
SELECT ns.nspname::text, c.kind, count(*) FROM counted c JOIN ns ON ns.oid = c.ns
GROUP BY 1, 2 ORDER BY 1, 2";

pub async fn inspect(client: &Client, schemas: &BTreeSet<String>) -> Result<Live, InspectError> {
    let names: Vec<String> = schemas.iter().cloned().collect();
    let p: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&names];
    // Sent together: tokio-postgres pipelines queries that are awaited concurrently.
    let (version, nsp, tables, columns, constraints, indexes, enums, sequences, unmodelled, scans) =
        tokio::try_join!(
            client.query_one(VERSION_AND_IDENTITY, &[]),
            client.query(NAMESPACES, &p),
            client.query(TABLES, &p),
            client.query(COLUMNS, &p),
            client.query(CONSTRAINTS, &p),
            client.query(INDEXES, &p),
            client.query(ENUMS, &p),
            client.query(SEQUENCES, &p),
            client.query(UNMODELLED, &p),
            client.query(
                "SELECT schemaname::text, indexrelname::text, idx_scan FROM pg_stat_user_indexes
             WHERE schemaname = ANY($1)",
                &p
            ),
        )?;
    let mut live = Live {
        queries: 10,
        server_version: version.get(0),
        system_identifier: version.get(1),
        database: version.get(2),
        ..Live::default()
    };
    let s = &mut live.schema;
    s.schemas = nsp.iter().map(|r| r.get::<_, String>(0)).collect();
    for r in &scans {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        s.index_scans.insert(name, r.get(2));
    }
    for r in &nsp {
        if let Some(c) = r.get::<_, Option<String>>(1) {
            s.schema_comments.insert(r.get(0), Some(c));
        }
    }
    for r in &unmodelled {
        let (kind, n): (String, i64) = (r.get(1), r.get(2));
        let what = format!(
            "{n} {}",
            if n == 1 {
                kind.trim_end_matches('s')
            } else {
                &kind
            }
        );
        s.unmodelled.entry(r.get(0)).or_default().push(what);
    }
    for r in &enums {
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
    let mut defaults_of = Vec::new();
    for r in &sequences {
        let name = qual(r, 0);
        if r.get::<_, bool>(14) {
            defaults_of.push((name.clone(), r.get::<_, String>(15)));
        }
        s.sequence_values.insert(name.clone(), r.get(13));
        let data_type =
            DataType::parse(&r.get::<_, String>(2)).unwrap_or(DataType::new(BaseType::BigInt));
        s.sequences.insert(
            name.clone(),
            Sequence {
                name,
                data_type,
                options: SequenceOptions {
                    start: r.get(3),
                    increment: r.get(4),
                    min_value: r.get(5),
                    max_value: r.get(6),
                    cache: r.get(7),
                    cycle: r.get(8),
                },
                comment: r.get(9),
                owned_by: r.get::<_, Option<String>>(10).map(|schema| OwnedBy {
                    table: QualName::new(schema, r.get::<_, String>(11)),
                    column: r.get(12),
                }),
            },
        );
    }
    for r in &tables {
        let name = qual(r, 0);
        let extra: Vec<String> = r.get(3);
        if !extra.is_empty() {
            live.not_carried.push(crate::model::NotCarried {
                object: format!("table {name}"),
                table: name.clone(),
                name: String::new(),
                live: extra.join(", "),
                modelled: "none of these (the model does not carry them)".into(),
            });
        }
        s.tables.insert(
            name.clone(),
            Table {
                name,
                columns: Vec::new(),
                primary_key: None,
                uniques: Vec::new(),
                foreign_keys: Vec::new(),
                checks: Vec::new(),
                indexes: Vec::new(),
                comment: r.get(2),
                prevent_destroy: false,
                triggers: Vec::new(),
            },
        );
    }
    for r in &columns {
        if let Some(t) = s.tables.get_mut(&qual(r, 0)) {
            let c = column(r);
            let extra: Vec<String> = r.get(22);
            if !extra.is_empty() {
                live.not_carried.push(crate::model::NotCarried {
                    object: format!(
                        "column {} of {}",
                        crate::model::names::quote_ident(&c.name),
                        t.name
                    ),
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
    settle_serials(s, defaults_of);
    for r in &constraints {
        if let Some(t) = s.tables.get_mut(&qual(r, 0)) {
            add_constraint(t, r);
        }
    }
    for r in &indexes {
        let table = qual(r, 0);

        if let Some(t) = live.schema.tables.get_mut(&table) {
            t.indexes.push(index(r));
        }
    }
    Ok(live)
}

/// A column that owns a sequence and takes its `nextval()` default from it is `serial` only when
/// the sequence is exactly what `serial` makes: named `table_column_seq` beside its table, of the
/// column's integer type, with the default bounds, no comment, and the column NOT NULL. Anything
/// else (a sequence renamed or shared, a nullable column, other bounds) would be changed by
/// declaring `serial`, so it stays a sequence of its own and the column a plain default. The
/// diff still lets a declared `serial` adopt such a column ([`crate::diff`]).
fn settle_serials(s: &mut Schema, defaults_of: Vec<(QualName, String)>) {
    use crate::model::types::Serial;
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

fn qual(r: &Row, i: usize) -> QualName {
    QualName::new(r.get::<_, String>(i), r.get::<_, String>(i + 1))
}

fn column(r: &Row) -> Column {
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

fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

fn add_constraint(t: &mut Table, r: &Row) {
    let name: String = r.get(2);
    let kind: String = r.get(3);
    let columns: Vec<String> = r.get(4);
    // 13-15: a unique constraint's INCLUDE, storage parameters, NULLS NOT DISTINCT;
    // 16-19: validity, NO INHERIT, MATCH type, comment.
    let comment: Option<String> = r.get(19);
    match kind.as_str() {
        "p" => {
            t.primary_key = Some(PrimaryKey {
                name,
                columns,
                comment,
            })
        }
        "u" => t.uniques.push(Unique {
            name,
            columns,
            nulls_not_distinct: r.get(15),
            deferrable: r.get(10),
            initially_deferred: r.get(11),
            include: r.get(13),
            with: StorageParams::from_reloptions(&r.get::<_, Vec<String>>(14)),
            comment,
        }),
        "f" => t.foreign_keys.push(ForeignKey {
            name,
            columns,
            ref_table: qual(r, 5),
            ref_columns: r.get(7),
            on_update: action(&r.get::<_, String>(8)),
            on_delete: action(&r.get::<_, String>(9)),
            deferrable: r.get(10),
            initially_deferred: r.get(11),
            match_type: match r.get::<_, String>(18).as_str() {
                "f" => FkMatch::Full,
                _ => FkMatch::Simple,
            },
            valid: r.get(16),
            comment,
        }),
        "c" => t.checks.push(Check {
            name,
            expr: SqlExpr::raw(r.get::<_, String>(12)),
            valid: r.get(16),
            no_inherit: r.get(17),
            comment,
        }),
        _ => {}
    }
}

fn index(r: &Row) -> Index {
    let cols: Vec<Option<String>> = r.get(5);
    let defs: Vec<String> = r.get(6);
    let options: Vec<i32> = r.get(7);
    let collations: Vec<Option<String>> = r.get(10);
    let opclasses: Vec<Option<String>> = r.get(11);
    let default_opclass: Vec<bool> = r.get(17);
    let full: String = r.get(12);
    let method: String = r.get(4);
    let segments = key_segments(&full, &method);
    let keys = cols
        .into_iter()
        .zip(defs)
        .zip(options)
        .enumerate()
        .map(|(k, ((col, def), opt))| {
            let suffix = segments
                .get(k)
                .and_then(|s| s.strip_prefix(def.as_str()))
                .unwrap_or("");
            let part = match col {
                Some(c) => IndexPart::Column(c),
                None => IndexPart::Expr(SqlExpr::raw(def)),
            };
            // indoption bits: 1 = DESC, 2 = NULLS FIRST (see pg_index.h)
            let desc = opt & 1 != 0;
            let mut key = IndexKey::new(part, desc, Some(opt & 2 != 0));
            let collation = collations.get(k).cloned().flatten();
            let opclass = opclasses.get(k).cloned().flatten();
            // Spelled out in the definition only when not the key's default, exactly as
            // pg_get_indexdef() decides it.
            let mut rest = suffix;
            if let Some(c) = &collation
                && let Some(after) = rest.strip_prefix(&format!(" COLLATE {c}"))
            {
                key.collation = Some(c.clone());
                rest = after;
            }
            // A default operator class is spelled out too when it has parameters (`tsvector_ops
            // (siglen='100')`): the model carries the class, not its parameters (the self-check
            // reports those), so such a key keeps the default class implied.
            if let Some(o) = &opclass
                && let Some(after) = rest.strip_prefix(&format!(" {o}"))
                && (after.is_empty() || after.starts_with([' ', '(']))
                && !(after.starts_with(" (") && default_opclass.get(k).copied().unwrap_or(false))
            {
                key.opclass = Some(o.clone());
            }
            key.implied = ImpliedKey {
                collation: collation.filter(|_| key.collation.is_none()),
                opclass: opclass.filter(|_| key.opclass.is_none()),
            };
            key
        })
        .collect();
    Index {
        name: r.get(2),
        unique: r.get(3),
        method,
        keys,
        predicate: r.get::<_, Option<String>>(8).map(SqlExpr::raw),
        include: r.get(13),
        with: StorageParams::from_reloptions(&r.get::<_, Vec<String>>(14)),
        nulls_not_distinct: r.get(15),
        valid: r.get(9),
        comment: r.get(16),
    }
}

/// The key list of a `pg_get_indexdef()` text, one entry per key as the server spells it
/// (`email COLLATE "C" text_pattern_ops DESC`); empty when the text is not as expected.
fn key_segments(def: &str, method: &str) -> Vec<String> {
    let marker = format!(" USING {method} (");
    let Some(start) = def.find(&marker).map(|i| i + marker.len()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut depth, mut quote) = (0usize, None::<char>);
    for c in def[start..].chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => {
                out.push(current.trim_start().to_string());
                return out;
            }
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(std::mem::take(&mut current).trim_start().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    Vec::new()
}

/// Row counts and NULL counts the verdicts depend on, answered in one query.
pub async fn facts(
    client: &Client,
    questions: &[Question],
) -> Result<BTreeMap<Question, u64>, InspectError> {
    if questions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let parts: Vec<String> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| match q.asked() {
            Question::Rows(t) => format!(
                "SELECT {i}, count(*) FROM (SELECT 1 FROM {} LIMIT {}) s",
                t.sql(),
                FACT_CAP + 1
            ),
            Question::Nulls(t, c) => format!(
                "SELECT {i}, count(*) FROM (SELECT 1 FROM {} WHERE {} IS NULL LIMIT {}) s",
                t.sql(),
                crate::model::names::quote_ident(c),
                FACT_CAP + 1
            ),
            Question::EnumValues {
                table,
                column,
                array,
                values,
            } => {
                let col = crate::model::names::quote_ident(column);
                let list: Vec<String> = values
                    .iter()
                    .map(|v| crate::model::names::quote_literal(v))
                    .collect();
                let held = if *array {
                    format!("{col}::text[] && ARRAY[{}]::text[]", list.join(", "))
                } else {
                    format!("{col}::text IN ({})", list.join(", "))
                };
                format!(
                    "SELECT {i}, count(*) FROM (SELECT 1 FROM {} WHERE {held} LIMIT {}) s",
                    table.sql(),
                    FACT_CAP + 1
                )
            }
            Question::SequenceUsed(s) => format!(
                "SELECT {i}, CASE WHEN is_called THEN 1::bigint ELSE 0::bigint END FROM {}",
                s.sql()
            ),
            // `asked` is never itself a rename.
            Question::Renamed { .. } => format!("SELECT {i}, 0::bigint WHERE false"),
        })
        .collect();
    let rows = client.query(&parts.join(" UNION ALL "), &[]).await?;
    let answers = rows
        .iter()
        .map(|r| {
            let i: i32 = r.get(0);
            let n: i64 = r.get(1);
            (questions[i as usize].clone(), n as u64)
        })
        .collect();
    // A question about an object the plan renames answers for its new name too, which the
    // verdicts ask by.
    Ok(crate::diff::judged_facts(&answers))
}

pub use crate::diff::Question;
use crate::diff::verdict::FACT_CAP;

/// Every schema that is not PostgreSQL's own.
pub async fn user_schemas(client: &Client) -> Result<BTreeSet<String>, InspectError> {
    let rows = client
        .query(
            "SELECT nspname::text FROM pg_namespace
             WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// How many objects of the kinds tableform does not manage the schemas hold, in one query.
pub async fn unmanaged_counts(
    client: &Client,
    schemas: &BTreeSet<String>,
) -> Result<Vec<(String, i64)>, InspectError> {
    let names: Vec<String> = schemas.iter().cloned().collect();
    let rows = client
        .query(
            "WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = ANY($1)),
                  ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
             SELECT 'views', count(*) FROM pg_class WHERE relkind = 'v' AND relnamespace IN (SELECT oid FROM ns)
             UNION ALL SELECT 'materialized views', count(*) FROM pg_class WHERE relkind = 'm' AND relnamespace IN (SELECT oid FROM ns)
             UNION ALL SELECT 'foreign tables', count(*) FROM pg_class WHERE relkind = 'f' AND relnamespace IN (SELECT oid FROM ns)
             UNION ALL SELECT 'partitions', count(*) FROM pg_class WHERE relispartition AND relnamespace IN (SELECT oid FROM ns)
             UNION ALL SELECT 'functions', count(*) FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns) AND oid NOT IN (SELECT objid FROM ext)
             UNION ALL SELECT 'triggers', count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace IN (SELECT oid FROM ns)
             UNION ALL SELECT 'policies', count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace IN (SELECT oid FROM ns)
             UNION ALL SELECT 'domains', count(*) FROM pg_type WHERE typtype = 'd' AND typnamespace IN (SELECT oid FROM ns)
             UNION ALL SELECT 'exclusion constraints', count(*) FROM pg_constraint WHERE contype = 'x' AND connamespace IN (SELECT oid FROM ns)",
            &[&names],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::key_segments;

    #[test]
    fn the_key_list_of_an_index_definition_is_split_at_its_top_level_commas() {
        let def = r#"CREATE INDEX "a, b" ON public.t USING btree (name COLLATE "C" DESC, lower((x)::text, 'a,)b') text_pattern_ops, "Odd "", col") INCLUDE (z) WITH (fillfactor='70')"#;
        assert_eq!(
            key_segments(def, "btree"),
            [
                r#"name COLLATE "C" DESC"#,
                "lower((x)::text, 'a,)b') text_pattern_ops",
                r#""Odd "", col""#,
            ]
        );
        assert!(key_segments(def, "gin").is_empty());
    }
}
