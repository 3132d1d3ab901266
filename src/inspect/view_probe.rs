//! Server-side comparison of declared view queries with the live ones.
//!
//! Whether two queries are the same view is PostgreSQL's call, never a regex's: in a
//! transaction that is always rolled back, each declared view (or materialized view) that exists
//! live is created as `CREATE TEMP VIEW pg_temp.tableform_view_probe_N [(columns)] AS <query>`,
//! and `pg_get_viewdef` of it is compared with `pg_get_viewdef` of the live one. When they are
//! equal, the declared side takes the live text and column names, so the diff sees no change.
//! The probe's output columns (names and types) are kept on the declared side either way: they
//! tell whether `CREATE OR REPLACE VIEW` can do a change.
//!
//! A materialized view cannot be temporary; its query goes into a temporary plain view
//! instead. Both kinds store their query as a rewrite rule and `pg_get_viewdef` deparses both
//! through the same code, so the texts compare.
//!
//! Each `CREATE TEMP VIEW` holds declared text and goes out alone in its own Parse message (see
//! [`super::session`]): a query `SELECT 1; DROP TABLE t` cannot run as two statements. Creating a
//! view runs nothing of its query, and PostgreSQL refuses data-modifying `WITH` in a view. All
//! statements are pipelined: BEGIN, the batch, one read-back, ROLLBACK, whatever the number of
//! views. A query the server rejects (it reads a column this plan adds) spoils the batch; the
//! probes are then sent one by one under savepoints, and the rejected ones go unanswered (the
//! diff then drops and creates the view, and apply reports the server's message if it is wrong).

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::catalog::InspectError;
use super::session;
use crate::kinds::view::body;
use crate::model::{QualName, Schema};

struct Task {
    name: QualName,
    materialized: bool,
    statement: String,
}

const READ_BACK: &str = "
SELECT c.relname::text, pg_get_viewdef(c.oid, true),
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
FROM pg_class c
WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind = 'v'
  AND c.relname LIKE 'tableform\\_view\\_probe\\_%'";

/// Adopts the live text of every declared view PostgreSQL deparses the same as the live one.
/// Returns the round trips it took (0 when no declared view exists live).
pub async fn reconcile_views(
    client: &mut Client,
    desired: &mut Schema,
    live: &Schema,
) -> Result<usize, InspectError> {
    let tasks = tasks(desired, live);
    if tasks.is_empty() {
        return Ok(0);
    }
    let tx = client.transaction().await?;
    let home = desired.home.clone();
    session::declared_path(tx.client(), home.as_deref()).await?;
    let (answers, trips) = probe(tx.client(), &tasks, home.as_deref()).await?;
    tx.rollback().await?;
    adopt(&tasks, &answers, desired, live);
    // BEGIN and ROLLBACK, around the probe's own.
    Ok(trips + 2)
}

/// The same inside a transaction that is already open (a rehearsal, after its steps): the
/// probe's views live and die under a savepoint.
pub async fn reconcile_views_in(
    client: &Client,
    desired: &mut Schema,
    live: &Schema,
) -> Result<(), InspectError> {
    let tasks = tasks(desired, live);
    if tasks.is_empty() {
        return Ok(());
    }
    let (answers, _) = probe(client, &tasks, None).await?;
    session::run(client, "ROLLBACK TO SAVEPOINT tableform_view_probe").await?;
    adopt(&tasks, &answers, desired, live);
    Ok(())
}

fn tasks(desired: &Schema, live: &Schema) -> Vec<Task> {
    let mut tasks = Vec::new();
    let mut add = |name: &QualName, materialized: bool, query: &str, columns: &[String]| {
        let k = tasks.len();
        let cols = if columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", crate::kinds::ident_list(columns))
        };
        tasks.push(Task {
            name: name.clone(),
            materialized,
            statement: format!(
                "CREATE TEMP VIEW pg_temp.tableform_view_probe_{k}{cols} AS\n{}\n",
                body(query)
            ),
        });
    };
    // A view declared with `renamed_from` is compared with the live one of its old name.
    let held = |name: &QualName, from: &Option<QualName>, in_live: &dyn Fn(&QualName) -> bool| {
        in_live(name) || from.as_ref().is_some_and(in_live)
    };
    for (name, v) in &desired.views {
        if held(name, &v.renamed_from, &|n| live.views.contains_key(n)) {
            add(name, false, &v.query, &v.columns);
        }
    }
    for (name, m) in &desired.materialized_views {
        if held(name, &m.renamed_from, &|n| {
            live.materialized_views.contains_key(n)
        }) {
            add(name, true, &m.query, &m.columns);
        }
    }
    tasks
}

/// Inside an open transaction: `SAVEPOINT tableform_view_probe` and every probe view in one
/// pipeline, then the read-back (2 round trips); the caller rolls back. When the server rejects
/// one, back to the savepoint and one by one, each under a savepoint of its own.
async fn probe(
    client: &Client,
    tasks: &[Task],
    home: Option<&str>,
) -> Result<(Answers, usize), InspectError> {
    let mut statements: Vec<&str> = vec!["SAVEPOINT tableform_view_probe"];
    statements.extend(tasks.iter().map(|t| t.statement.as_str()));
    let mut trips = 2;
    if let Err(e) = session::pipeline(client, &statements).await {
        if let Some(reason) = session::temp_refused(&e) {
            return Err(InspectError::ReadOnly {
                count: tasks.len(),
                reason,
            });
        }
        session::run(client, "ROLLBACK TO SAVEPOINT tableform_view_probe").await?;
        for t in tasks {
            session::run(client, "SAVEPOINT tableform_view_probe_one").await?;
            let end = match session::run(client, &t.statement).await {
                Ok(()) => "RELEASE SAVEPOINT tableform_view_probe_one",
                Err(_) => "ROLLBACK TO SAVEPOINT tableform_view_probe_one",
            };
            session::run(client, end).await?;
        }
        trips += 1 + 3 * tasks.len();
    }
    session::catalog_path(client, home).await?;
    Ok((read_back(client).await?, trips))
}

/// A live view's query text and column names.
type Definition = (String, Vec<String>);

type Answers = BTreeMap<usize, (String, Vec<(String, String)>)>;

async fn read_back(client: &Client) -> Result<Answers, tokio_postgres::Error> {
    let rows = client.query(READ_BACK, &[]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let k: usize = (r.get::<_, String>(0))
                .strip_prefix("tableform_view_probe_")?
                .parse()
                .ok()?;
            let names: Vec<String> = r.get(2);
            let types: Vec<String> = r.get(3);
            Some((k, (r.get(1), names.into_iter().zip(types).collect())))
        })
        .collect())
}

fn adopt(tasks: &[Task], answers: &Answers, desired: &mut Schema, live: &Schema) {
    for (k, t) in tasks.iter().enumerate() {
        let Some((deparse, columns)) = answers.get(&k) else {
            continue;
        };
        let mut declared = None;
        let mut take =
            |query: &mut String, cols: &mut Vec<String>, h_query: &str, h_cols: &[String]| {
                if deparse == h_query {
                    declared = Some((
                        std::mem::replace(query, h_query.to_string()),
                        std::mem::replace(cols, h_cols.to_vec()),
                    ));
                }
            };
        // The live view of its name, or of its old name (`renamed_from`).
        let held = |from: &Option<QualName>, get: &dyn Fn(&QualName) -> Option<Definition>| {
            get(&t.name).or_else(|| from.as_ref().and_then(get))
        };
        if t.materialized {
            if let Some(w) = desired.materialized_views.get_mut(&t.name)
                && let Some((q, c)) = held(&w.renamed_from, &|n| {
                    (live.materialized_views.get(n)).map(|h| (h.query.clone(), h.columns.clone()))
                })
            {
                take(&mut w.query, &mut w.columns, &q, &c);
            }
        } else if let Some(w) = desired.views.get_mut(&t.name)
            && let Some((q, c)) = held(&w.renamed_from, &|n| {
                (live.views.get(n)).map(|h| (h.query.clone(), h.columns.clone()))
            })
        {
            take(&mut w.query, &mut w.columns, &q, &c);
        }
        desired.view_info.insert(
            t.name.clone(),
            crate::kinds::view::ViewInfo {
                columns: columns.clone(),
                declared,
                ..Default::default()
            },
        );
    }
}
