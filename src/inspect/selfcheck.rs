//! The self-check that makes silent loss visible: every live index and every primary key and
//! unique constraint is rebuilt from the model on a temporary copy of its table, and
//! PostgreSQL's deparse of the rebuilt object is compared with its deparse of the live one.
//!
//! Both sides are spelled by the server (`pg_get_indexdef`, `pg_get_constraintdef`), so nothing
//! is normalised by hand: an object whose two spellings differ holds something the model does not
//! carry, and is reported with both spellings (`plan`, `drift`, and import's notes) instead of
//! being planned as if it matched. Like the expression probe this runs in a transaction that is
//! always rolled back, on `TEMP` tables (`CREATE TEMP TABLE ... (LIKE t)` copies the columns'
//! names, types, collations and NOT NULL), in a constant number of round trips. Foreign keys are
//! left out: rebuilding one would lock the table it references.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::catalog::InspectError;
use super::session;
use crate::diff::Constraint;
use crate::model::names::quote_ident;
use crate::model::{NotCarried, QualName, Schema};
use crate::plan::sql::{constraint_def, create_index};

/// What the self-check could do.
#[derive(Debug, Default)]
pub struct SelfCheck {
    pub not_carried: Vec<NotCarried>,
    /// Queries sent (BEGIN, the batch, three read-backs, ROLLBACK; more when one item failed).
    pub queries: usize,
    /// Set when the connection may not create temporary tables: the check did not run.
    pub skipped: Option<String>,
}

struct Item {
    object: String,
    table: QualName,
    name: String,
    /// The live object's name (index) or (table, constraint name).
    live_key: (QualName, String),
    /// The name the rebuilt object gets.
    probe_name: String,
    sql: String,
}

/// Tables copied per transaction. Every temporary copy, and each index and key rebuilt on it,
/// takes a lock until its transaction ends, and the server's lock table is shared by every
/// session (`max_locks_per_transaction × max_connections`, 6,400 entries by default): one
/// transaction over thousands of tables would fill it, and the application's own sessions would
/// fail with "out of shared memory" while the plan runs. Fifty tables hold a couple of hundred
/// locks at a time.
const BATCH: usize = 50;

/// Runs the check over every table of `live`, [`BATCH`] tables per transaction.
pub async fn run(client: &mut Client, live: &Schema) -> Result<SelfCheck, InspectError> {
    let all: Vec<&crate::model::Table> = live.tables.values().collect();
    let mut out = SelfCheck::default();
    for batch in all.chunks(BATCH) {
        let mut one = run_batch(client, batch).await?;
        if one.skipped.is_some() {
            return Ok(one);
        }
        out.not_carried.append(&mut one.not_carried);
        out.queries += one.queries;
    }
    Ok(out)
}

async fn run_batch(
    client: &mut Client,
    batch: &[&crate::model::Table],
) -> Result<SelfCheck, InspectError> {
    let mut tables = Vec::new();
    let mut items = Vec::new();
    for (k, t) in batch.iter().enumerate() {
        let copy = format!("tableform_self_{k}");
        let on = QualName::new("pg_temp", copy.clone());
        let mut any = false;
        for (j, i) in t.indexes.iter().enumerate() {
            let probe_name = format!("{copy}_i{j}");
            let mut rebuilt = i.clone();
            rebuilt.name = probe_name.clone();
            items.push(Item {
                object: format!(
                    "index {}",
                    QualName::new(t.name.schema.clone(), i.name.clone())
                ),
                table: t.name.clone(),
                name: i.name.clone(),
                live_key: (
                    QualName::new(t.name.schema.clone(), i.name.clone()),
                    String::new(),
                ),
                probe_name,
                sql: create_index(&on, &rebuilt),
            });
            any = true;
        }
        // Checks are left out: a check is its expression plus NOT VALID and NO INHERIT, all
        // carried, and PostgreSQL's deparse of an expression does not always read back to the
        // same tree (`x IN ('a')` on a varchar column), which would be reported as a loss.
        let constraints = (t
            .primary_key
            .clone()
            .map(Constraint::PrimaryKey)
            .into_iter())
        .chain(t.uniques.iter().cloned().map(Constraint::Unique));
        for (j, c) in constraints.enumerate() {
            let probe_name = format!("{copy}_c{j}");
            let renamed = rename(c.clone(), &probe_name);
            items.push(Item {
                object: format!("constraint {} on {}", quote_ident(c.name()), t.name),
                table: t.name.clone(),
                name: c.name().to_string(),
                live_key: (t.name.clone(), c.name().to_string()),
                probe_name,
                sql: format!(
                    "ALTER TABLE pg_temp.{copy} ADD {}",
                    constraint_def(&renamed)
                ),
            });
            any = true;
        }
        if any {
            tables.push(format!(
                "CREATE TEMP TABLE {copy} (LIKE {}) ON COMMIT DROP",
                t.name.sql()
            ));
        }
    }
    if items.is_empty() {
        return Ok(SelfCheck::default());
    }
    let tx = client.transaction().await?;
    let mut sql: Vec<&str> = tables.iter().map(String::as_str).collect();
    sql.extend(items.iter().map(|i| i.sql.as_str()));
    let mut failed: BTreeMap<usize, String> = BTreeMap::new();
    if let Err(e) = session::pipeline(tx.client(), &sql).await {
        if let Some(reason) = session::temp_refused(&e) {
            return Ok(SelfCheck {
                skipped: Some(reason),
                ..SelfCheck::default()
            });
        }
        // Something did not rebuild: start again, one item at a time under a savepoint, so
        // that the failure is reported against its object.
        tx.rollback().await?;
        return one_by_one(client, (&tables, &items)).await;
    }
    let mut result = compare(&tx, &items, &mut failed).await?;
    tx.rollback().await?;
    result.queries = 6;
    Ok(result)
}

async fn one_by_one(
    client: &mut Client,
    (tables, items): (&[String], &[Item]),
) -> Result<SelfCheck, InspectError> {
    let tx = client.transaction().await?;
    let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    session::pipeline(tx.client(), &tables).await?;
    let mut failed = BTreeMap::new();
    for (n, item) in items.iter().enumerate() {
        session::run(tx.client(), "SAVEPOINT tableform_self").await?;
        let end = match session::run(tx.client(), &item.sql).await {
            Ok(()) => "RELEASE SAVEPOINT tableform_self",
            Err(e) => {
                failed.insert(n, super::connect::reason(&e));
                "ROLLBACK TO SAVEPOINT tableform_self"
            }
        };
        session::run(tx.client(), end).await?;
    }
    let mut result = compare(&tx, items, &mut failed).await?;
    tx.rollback().await?;
    result.queries = 12 + 3 * items.len();
    Ok(result)
}

/// Reads both spellings of every item and lists the ones that differ.
async fn compare(
    tx: &tokio_postgres::Transaction<'_>,
    items: &[Item],
    failed: &mut BTreeMap<usize, String>,
) -> Result<SelfCheck, InspectError> {
    let live_indexes: Vec<String> = (items.iter())
        .filter(|i| i.live_key.1.is_empty())
        .map(|i| i.live_key.0.sql())
        .collect();
    let (tables, names): (Vec<String>, Vec<String>) = (items.iter())
        .filter(|i| !i.live_key.1.is_empty())
        .map(|i| (i.live_key.0.sql(), i.live_key.1.clone()))
        .unzip();
    let index_params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&live_indexes];
    let constraint_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&tables, &names];
    let (live_index_defs, live_constraint_defs, probes) = tokio::try_join!(
        tx.query(
            "SELECT q, pg_get_indexdef(to_regclass(q), 0, true) FROM unnest($1::text[]) AS q",
            &index_params,
        ),
        tx.query(
            "SELECT v.t, v.n, pg_get_constraintdef(con.oid, true)
             FROM unnest($1::text[], $2::text[]) AS v(t, n)
             JOIN pg_constraint con ON con.conrelid = to_regclass(v.t) AND con.conname = v.n",
            &constraint_params,
        ),
        tx.query(
            "SELECT c.relname::text, pg_get_indexdef(c.oid, 0, true) FROM pg_class c
             WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind = 'i'
               AND c.relname LIKE 'tableform\\_self\\_%\\_i%'
             UNION ALL
             SELECT con.conname::text, pg_get_constraintdef(con.oid, true) FROM pg_constraint con
             WHERE con.connamespace = pg_my_temp_schema() AND con.conname LIKE 'tableform\\_self\\_%'",
            &[],
        ),
    )?;
    let live_index: BTreeMap<String, Option<String>> = (live_index_defs.iter())
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let live_constraint: BTreeMap<(String, String), String> = (live_constraint_defs.iter())
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    let probe: BTreeMap<String, String> = probes.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut out = SelfCheck::default();
    for (n, item) in items.iter().enumerate() {
        let is_index = item.live_key.1.is_empty();
        let live = if is_index {
            live_index.get(&item.live_key.0.sql()).cloned().flatten()
        } else {
            live_constraint
                .get(&(item.live_key.0.sql(), item.live_key.1.clone()))
                .cloned()
        };
        let Some(live) = live else { continue };
        let modelled = match failed.remove(&n) {
            Some(reason) => format!("(cannot be created from the model: {reason})"),
            None => match probe.get(&item.probe_name) {
                Some(p) => p.clone(),
                None => continue,
            },
        };
        let same = if is_index {
            after_using(&live) == after_using(&modelled)
        } else {
            live == modelled
        };
        if !same {
            let shown = if modelled.starts_with('(') {
                modelled
            } else if is_index {
                // Shown under the live index's own name and table.
                let head = live.split_once(" USING ").map_or("", |(h, _)| h);
                format!("{head} USING {}", after_using(&modelled))
            } else {
                format!("CONSTRAINT {} {modelled}", quote_ident(&item.live_key.1))
            };
            out.not_carried.push(NotCarried {
                object: item.object.clone(),
                table: item.table.clone(),
                name: item.name.clone(),
                live: if is_index {
                    live
                } else {
                    format!("CONSTRAINT {} {live}", quote_ident(&item.live_key.1))
                },
                modelled: shown,
            });
        }
    }
    Ok(out)
}

/// `CREATE INDEX name ON table USING btree (...)` -> `btree (...)`: the part that is the same
/// for an index and its rebuilt copy (names and table differ by construction).
fn after_using(def: &str) -> &str {
    def.split_once(" USING ").map_or(def, |(_, rest)| rest)
}

fn rename(c: Constraint, name: &str) -> Constraint {
    match c {
        Constraint::PrimaryKey(mut k) => {
            k.name = name.into();
            Constraint::PrimaryKey(k)
        }
        Constraint::Unique(mut u) => {
            u.name = name.into();
            Constraint::Unique(u)
        }
        Constraint::Check(mut ch) => {
            ch.name = name.into();
            Constraint::Check(ch)
        }
        Constraint::ForeignKey(mut f) => {
            f.name = name.into();
            Constraint::ForeignKey(f)
        }
        Constraint::Exclusion(mut x) => {
            x.name = name.into();
            Constraint::Exclusion(x)
        }
    }
}
