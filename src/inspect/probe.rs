//! Server-side canonicalisation of expressions that the offline rules could not prove equal.
//!
//! PostgreSQL stores an expression in its own spelling (`vote IN (-1, 1)` becomes
//! `(vote = ANY (ARRAY['-1'::integer, 1]))`). Rather than imitate its deparser, we let it deparse
//! the declared expression: in a transaction that is always rolled back, a `TEMP` table `LIKE`
//! the live one receives the declared default, check or index, and the catalog tells how
//! PostgreSQL spells it. When that spelling equals the live one, the declared expression takes the
//! live spelling, so the diff sees no difference. Temporary tables need no privilege on the real
//! tables, and nothing outlives the transaction.

use tokio_postgres::Client;

use super::catalog::InspectError;
use crate::model::names::quote_ident;
use crate::model::{ColumnDefault, Index, IndexPart, Schema, SqlExpr};

enum Task {
    Default { table: usize, column: String },
    Check { table: usize, name: String },
    Index { table: usize, name: String },
}

/// Rewrites declared expressions into the live spelling where PostgreSQL says they are the same.
/// Returns how many expressions were asked about.
pub async fn reconcile(
    client: &mut Client,
    desired: &mut Schema,
    live: &Schema,
) -> Result<usize, InspectError> {
    let names: Vec<_> = desired
        .tables
        .keys()
        .filter(|n| live.tables.contains_key(*n))
        .cloned()
        .collect();
    let mut tasks = Vec::new();
    for (ti, name) in names.iter().enumerate() {
        let (want, have) = (&desired.tables[name], &live.tables[name]);
        for c in &want.columns {
            if let (Some(ColumnDefault::Expr(w)), Some(h)) = (&c.default, have.column(&c.name))
                && let Some(ColumnDefault::Expr(hd)) = &h.default
                && !w.equivalent(hd, Some(&c.ty))
            {
                tasks.push(Task::Default {
                    table: ti,
                    column: c.name.clone(),
                });
            }
        }
        for ch in &want.checks {
            if let Some(h) = have.checks.iter().find(|h| h.name == ch.name)
                && !ch.expr.equivalent(&h.expr, None)
            {
                tasks.push(Task::Check {
                    table: ti,
                    name: ch.name.clone(),
                });
            }
        }
        for i in &want.indexes {
            if let Some(h) = have.indexes.iter().find(|h| h.name == i.name)
                && !crate::diff::same_index(i, h)
                && has_expressions(i)
            {
                tasks.push(Task::Index {
                    table: ti,
                    name: i.name.clone(),
                });
            }
        }
    }
    if tasks.is_empty() {
        return Ok(0);
    }
    let tx = client.transaction().await?;
    let mut created = std::collections::BTreeSet::new();
    for (n, task) in tasks.iter().enumerate() {
        let ti = match task {
            Task::Default { table, .. } | Task::Check { table, .. } | Task::Index { table, .. } => {
                *table
            }
        };
        let probe = format!("tableform_probe_{ti}");
        if created.insert(ti) {
            tx.batch_execute(&format!(
                "CREATE TEMP TABLE {probe} (LIKE {}) ON COMMIT DROP",
                names[ti].sql()
            ))
            .await?;
        }
        tx.batch_execute("SAVEPOINT tableform_probe").await?;
        let outcome = run_task(&tx, (n, task), &probe, &names[ti], desired).await;
        match outcome {
            Ok(Some(spelling)) => {
                tx.batch_execute("RELEASE SAVEPOINT tableform_probe")
                    .await?;
                adopt(task, &names[ti], spelling, desired, live);
            }
            // The server rejected the declared expression; the diff shows it and apply will
            // report the server's message against the step.
            Ok(None) | Err(_) => {
                tx.batch_execute("ROLLBACK TO SAVEPOINT tableform_probe")
                    .await?
            }
        }
    }
    tx.rollback().await?;
    Ok(tasks.len())
}

fn has_expressions(i: &Index) -> bool {
    i.predicate.is_some() || i.keys.iter().any(|k| matches!(k.part, IndexPart::Expr(_)))
}

/// The server's spelling of the declared expression(s) of one task.
enum Spelling {
    Expr(String),
    Index {
        keys: Vec<Option<String>>,
        predicate: Option<String>,
    },
}

async fn run_task(
    tx: &tokio_postgres::Transaction<'_>,
    (n, task): (usize, &Task),
    probe: &str,
    table: &crate::model::QualName,
    desired: &Schema,
) -> Result<Option<Spelling>, tokio_postgres::Error> {
    let t = &desired.tables[table];
    match task {
        Task::Default { column, .. } => {
            let Some(ColumnDefault::Expr(e)) = t.column(column).and_then(|c| c.default.as_ref())
            else {
                return Ok(None);
            };
            tx.batch_execute(&format!(
                "ALTER TABLE {probe} ALTER COLUMN {} SET DEFAULT {}",
                quote_ident(column),
                e.sql
            ))
            .await?;
            let row = tx
                .query_one(
                    "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a
                     ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                     WHERE d.adrelid = $1::text::regclass AND a.attname = $2",
                    &[&format!("pg_temp.{probe}"), column],
                )
                .await?;
            Ok(Some(Spelling::Expr(row.get(0))))
        }
        Task::Check { name, .. } => {
            let Some(c) = t.checks.iter().find(|c| &c.name == name) else {
                return Ok(None);
            };
            let check_name = format!("tableform_probe_check_{n}");
            tx.batch_execute(&format!(
                "ALTER TABLE {probe} ADD CONSTRAINT {check_name} CHECK ({}) NOT VALID",
                c.expr.sql
            ))
            .await?;
            let row = tx
                .query_one(
                    "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint
                     WHERE conrelid = $1::text::regclass AND conname = $2",
                    &[&format!("pg_temp.{probe}"), &check_name],
                )
                .await?;
            Ok(Some(Spelling::Expr(row.get(0))))
        }
        Task::Index { name, .. } => {
            let Some(i) = t.indexes.iter().find(|i| &i.name == name) else {
                return Ok(None);
            };
            let index_name = format!("tableform_probe_index_{n}");
            let probe_index = Index {
                name: index_name.clone(),
                ..i.clone()
            };
            let probe_table = crate::model::QualName::new("pg_temp", probe);
            tx.batch_execute(&crate::plan::sql::create_index(&probe_table, &probe_index))
                .await?;
            let row = tx
                .query_one(
                    "SELECT ARRAY(SELECT CASE WHEN x.indkey[k - 1] = 0 THEN pg_get_indexdef(x.indexrelid, k, true) END
                                  FROM generate_series(1, x.indnkeyatts) k ORDER BY k),
                            pg_get_expr(x.indpred, x.indrelid)
                     FROM pg_index x WHERE x.indexrelid = $1::text::regclass",
                    &[&format!("pg_temp.{index_name}")],
                )
                .await?;
            Ok(Some(Spelling::Index {
                keys: row.get(0),
                predicate: row.get(1),
            }))
        }
    }
}

/// Takes the live spelling for the declared expression when the server spells both the same.
fn adopt(
    task: &Task,
    table: &crate::model::QualName,
    spelling: Spelling,
    desired: &mut Schema,
    live: &Schema,
) {
    let (want, have) = (desired.tables.get_mut(table), live.tables.get(table));
    let (Some(want), Some(have)) = (want, have) else {
        return;
    };
    match (task, spelling) {
        (Task::Default { column, .. }, Spelling::Expr(s)) => {
            let live_default = have.column(column).and_then(|c| c.default.clone());
            if let (Some(ColumnDefault::Expr(l)), Some(c)) = (
                live_default,
                want.columns.iter_mut().find(|c| &c.name == column),
            ) && l.sql == s
            {
                c.default = Some(ColumnDefault::Expr(l));
            }
        }
        (Task::Check { name, .. }, Spelling::Expr(s)) => {
            if let (Some(l), Some(c)) = (
                have.checks.iter().find(|c| &c.name == name),
                want.checks.iter_mut().find(|c| &c.name == name),
            ) && l.expr.sql == s
            {
                c.expr = l.expr.clone();
            }
        }
        (Task::Index { name, .. }, Spelling::Index { keys, predicate }) => {
            let (Some(l), Some(w)) = (
                have.indexes.iter().find(|i| &i.name == name),
                want.indexes.iter_mut().find(|i| &i.name == name),
            ) else {
                return;
            };
            if predicate.as_deref() == l.predicate.as_ref().map(|p| p.sql.as_str()) {
                w.predicate = l.predicate.clone();
            }
            for ((wk, lk), spelled) in w.keys.iter_mut().zip(&l.keys).zip(keys) {
                if let (IndexPart::Expr(_), IndexPart::Expr(le), Some(s)) =
                    (&wk.part, &lk.part, spelled)
                    && le.sql == s
                {
                    wk.part = IndexPart::Expr(SqlExpr::raw(s));
                }
            }
        }
        _ => {}
    }
}
