//! Reading the live schema from the PostgreSQL catalog: one query per object kind for all
//! managed schemas at once, so the number of round trips does not grow with the schema. Each
//! kind's query and the reading of its rows live in its home under [`crate::kinds`].

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::session;
use crate::model::Schema;
use crate::model::names::quote_literal;

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
    /// The server's own spelling of every index and key of the tables, read in the same snapshot
    /// for the self-check to compare with its rebuilds (empty from [`inspect`], whose callers run
    /// no self-check).
    pub spellings: LiveSpellings,
}

/// `pg_get_indexdef()` of the tables' indexes (by the index's schema-qualified name) and
/// `pg_get_constraintdef()` of their primary keys and unique constraints (by table and name).
#[derive(Debug, Clone, Default)]
pub struct LiveSpellings {
    pub indexes: std::collections::HashMap<crate::model::QualName, String>,
    pub constraints: std::collections::HashMap<(crate::model::QualName, String), String>,
}

/// The query [`identity`] and [`inspect`] send: the cluster's `system_identifier` (shared by a
/// primary and its physical replicas, unique otherwise) and the database's name.
const IDENTITY: &str =
    "SELECT (SELECT system_identifier::text FROM pg_control_system()), current_database()::text";

const VERSION_AND_IDENTITY: &str = "SELECT current_setting('server_version'), (SELECT system_identifier::text FROM pg_control_system()), current_database()::text, current_setting('server_version_num')::int";

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
  SELECT relnamespace AS ns, 'foreign tables' AS kind
    FROM pg_class WHERE relkind = 'f'
      AND (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL SELECT pronamespace, 'aggregates' FROM pg_proc WHERE prokind IN ('a', 'w')
      AND (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL SELECT typnamespace, CASE typtype WHEN 'r' THEN 'range types'
           ELSE 'base types' END FROM pg_type
    WHERE typtype IN ('r', 'b') AND typelem = 0 AND typrelid = 0
      AND (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
      AND typnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname = 'pg_catalog')
  UNION ALL SELECT collnamespace, 'collations' FROM pg_collation
    WHERE (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL SELECT oprnamespace, 'operators' FROM pg_operator
    WHERE (tableoid, oid) NOT IN (SELECT classid, objid FROM ext)
)
SELECT ns.nspname::text, c.kind, count(*) FROM counted c JOIN ns ON ns.oid = c.ns
GROUP BY 1, 2 ORDER BY 1, 2";

/// Reads the live schema of `schemas` on `client` (each query in its own statement, or in the
/// caller's transaction).
pub async fn inspect(client: &Client, schemas: &BTreeSet<String>) -> Result<Live, InspectError> {
    read(client, client, schemas, false).await
}

/// [`inspect`], with the [`LiveSpellings`] the self-check compares (a plan's read).
pub async fn inspect_spelled(
    client: &Client,
    schemas: &BTreeSet<String>,
) -> Result<Live, InspectError> {
    read(client, client, schemas, true).await
}

/// [`inspect_spelled`] over two connections to the same database, as `pg_dump -j` reads it:
/// `client` exports its snapshot and `helper` imports it, both in read-only `REPEATABLE READ`
/// transactions, so both halves of the catalog are read as of one moment while the server works
/// on them side by side (the constraint and index queries on `helper`, the rest on `client`).
/// Both transactions are rolled back. When the snapshot cannot be shared (a server that cannot
/// export one, a pooler that moved the helper elsewhere), the catalog is read on `client` alone,
/// as one snapshot still; where no transaction can be opened at all, as [`inspect_spelled`]
/// reads it.
pub async fn inspect_shared(
    client: &Client,
    helper: &Client,
    schemas: &BTreeSet<String>,
) -> Result<Live, InspectError> {
    const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    if session::run(client, BEGIN).await.is_err() {
        // A pooler that runs each statement on its own: each query reads on its own, as before.
        return read(client, client, schemas, true).await;
    }
    let shared = async {
        let id: String = client
            .query_one("SELECT pg_export_snapshot()", &[])
            .await?
            .get(0);
        session::run(helper, BEGIN).await?;
        // A server-made identifier, quoted: SET TRANSACTION SNAPSHOT takes no parameter.
        session::run(
            helper,
            &format!("SET TRANSACTION SNAPSHOT {}", quote_literal(&id)),
        )
        .await
    }
    .await;
    let live = match shared {
        Ok(()) => read(client, helper, schemas, true).await,
        Err(_) => {
            // The export itself may have failed, leaving the transaction aborted: a new one.
            session::run(client, "ROLLBACK").await?;
            session::run(client, BEGIN).await?;
            read(client, client, schemas, true).await
        }
    };
    let _ = session::run(helper, "ROLLBACK").await;
    session::run(client, "ROLLBACK").await?;
    live
}

/// The catalog queries, the heavier half (constraints, indexes) sent on `helper` (which is
/// `client` itself, or a connection reading the same snapshot); with `spelled`, the
/// [`LiveSpellings`] too.
async fn read(
    client: &Client,
    helper: &Client,
    schemas: &BTreeSet<String>,
    spelled: bool,
) -> Result<Live, InspectError> {
    use crate::kinds::{
        column, composite, constraint, domain, enum_type, extension, function, index, policy,
        privilege, schema, sequence, table, trigger, view,
    };
    let names: Vec<String> = schemas.iter().cloned().collect();
    let p: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&names];
    // First the server's version, which some kinds' queries are written for (a field read by
    // name where it exists costs far less than reading the row's `to_jsonb`).
    let version = client.query_one(VERSION_AND_IDENTITY, &[]).await?;
    let number: i32 = version.get(3);
    let (columns_query, constraints_query, indexes_query) = (
        column::query(number),
        constraint::query(number, spelled),
        index::query(number, spelled),
    );
    // Then one query per kind, sent together: tokio-postgres pipelines queries that are awaited
    // concurrently.
    let (
        nsp,
        tables,
        columns,
        constraints,
        indexes,
        enums,
        sequences,
        unmodelled,
        scans,
        policies,
        roles,
        partitions,
        views,
        extensions,
        functions,
        triggers,
        privileges,
        default_privileges,
        domains,
        composites,
    ) = tokio::try_join!(
        client.query(schema::QUERY, &p),
        client.query(table::QUERY, &p),
        gathered(client, &columns_query, &p, column::gather_row),
        parsed(helper, &constraints_query, &p, constraint::parse_row),
        parsed(helper, &indexes_query, &p, index::parse_row),
        client.query(enum_type::QUERY, &p),
        client.query(sequence::QUERY, &p),
        client.query(UNMODELLED, &p),
        client.query(index::SCANS, &p),
        client.query(policy::QUERY, &p),
        client.query(policy::ROLES, &[]),
        client.query(table::PARTITIONS, &p),
        client.query(view::QUERY, &p),
        client.query(extension::QUERY, &p),
        client.query(function::QUERY, &p),
        client.query(trigger::QUERY, &p),
        client.query(privilege::QUERY, &p),
        client.query(privilege::DEFAULTS_QUERY, &p),
        client.query(domain::QUERY, &p),
        client.query(composite::QUERY, &p),
    )?;
    let mut live = Live {
        queries: 21,
        server_version: version.get(0),
        system_identifier: version.get(1),
        database: version.get(2),
        ..Live::default()
    };
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
        live.schema
            .unmodelled
            .entry(r.get(0))
            .or_default()
            .push(what);
    }
    // Each kind reads its rows, containers before what they contain.
    schema::read(&nsp, &mut live.schema);
    extension::read(&extensions, &mut live.schema);
    function::read(&functions, &mut live.schema);
    enum_type::read(&enums, &mut live.schema);
    domain::read(&domains, &mut live.schema);
    composite::read(&composites, &mut live.schema);
    let defaults_of = sequence::read(&sequences, &mut live.schema);
    table::read(&tables, &mut live);
    column::read(columns, &mut live);
    column::settle_serials(&mut live.schema, defaults_of);
    constraint::read(constraints, &mut live.schema, &mut live.spellings);
    view::read(&views, &mut live.schema);
    index::read(indexes, &scans, &mut live.schema, &mut live.spellings);
    policy::read(&policies, &roles, &mut live.schema);
    table::read_partitions(&partitions, &mut live.schema);
    trigger::read(&triggers, &mut live.schema);
    privilege::read(&privileges, &default_privileges, &mut live.schema);
    if !spelled {
        // The few definitions read to see a key's collation or class are not kept either.
        live.spellings = LiveSpellings::default();
    }
    Ok(live)
}

/// Runs `query` and folds each row into a list with `gather` as it arrives (see [`parsed`]).
async fn gathered<T>(
    client: &Client,
    query: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    mut gather: impl FnMut(&mut Vec<T>, &tokio_postgres::Row),
) -> Result<Vec<T>, tokio_postgres::Error> {
    use futures_util::TryStreamExt;
    let rows = client.query_raw(query, params.iter().copied()).await?;
    let mut rows = std::pin::pin!(rows);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        gather(&mut out, &row);
    }
    Ok(out)
}

/// Runs `query` and reads each row with `parse` as it arrives, so the rows are never all held:
/// tokio-postgres keeps every field's range beside a row's bytes, and at 10,000 tables the
/// column, constraint and index rows held together were a third of a plan's peak memory. Each
/// stream is read by its own future (awaited together with the others, so they are pipelined):
/// tokio-postgres stops reading the connection while a stream's rows are not taken, and a
/// stream left waiting for another would stall every query behind it.
async fn parsed<T>(
    client: &Client,
    query: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    parse: fn(&tokio_postgres::Row) -> T,
) -> Result<Vec<T>, tokio_postgres::Error> {
    gathered(client, query, params, |out, r| out.push(parse(r))).await
}

/// The current values of the sequences and identities whose bounds `desired` changes, into
/// `live` (one query, none when there are none). Returns the number of queries sent.
pub async fn sequence_positions(
    client: &Client,
    desired: &crate::model::Schema,
    live: &mut crate::model::Schema,
) -> Result<usize, InspectError> {
    use crate::kinds::sequence;
    let wanted = sequence::positions_wanted(desired, live);
    if wanted.is_empty() {
        return Ok(0);
    }
    let [a, b, c, d] = sequence::positions_params(&wanted);
    let rows = client
        .query(sequence::POSITIONS_QUERY, &[&a, &b, &c, &d])
        .await?;
    sequence::read_positions(&rows, &wanted, live);
    Ok(1)
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
            Question::Rows(t) | Question::ViewRows(t) => format!(
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
             SELECT 'foreign tables', count(*) FROM pg_class WHERE relkind = 'f' AND relnamespace IN (SELECT oid FROM ns)
             UNION ALL SELECT 'aggregates', count(*) FROM pg_proc WHERE prokind IN ('a', 'w') AND pronamespace IN (SELECT oid FROM ns) AND oid NOT IN (SELECT objid FROM ext)
             UNION ALL SELECT 'triggers', count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relkind NOT IN ('r', 'p', 'v') AND c.relnamespace IN (SELECT oid FROM ns)",
            &[&names],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect())
}
