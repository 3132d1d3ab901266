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
use crate::model::{ColumnDefault, Index, IndexPart, QualName, Schema, SqlExpr};

enum Task {
    Default { table: usize, column: String },
    Check { table: usize, name: String },
    Index { table: usize, name: String },
}

/// Rewrites declared expressions into the live spelling where PostgreSQL says they are the same.
/// Returns how many round trips that took (0 when nothing needed asking).
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
    // First all probes at once: a constant number of round trips, whatever the schema's size.
    let mut script = Vec::new();
    let mut created = std::collections::BTreeSet::new();
    for (n, task) in tasks.iter().enumerate() {
        let ti = task.table();
        if created.insert(ti) {
            script.push(create_probe_table(ti, &names[ti]));
        }
        script.extend(task_statement(n, task, &names[ti], desired));
    }
    if tx.batch_execute(&script.join(";\n")).await.is_ok() {
        let spellings = read_back(&tx, &tasks).await?;
        tx.rollback().await?;
        for (n, spelling) in spellings {
            let ti = tasks[n].table();
            adopt(&tasks[n], &names[ti], spelling, desired, live);
        }
        return Ok(PROBE_ROUND_TRIPS);
    }
    // A declared expression the server rejects spoils the batch: probe one by one, each under a
    // savepoint, so the others still get their answer.
    tx.rollback().await?;
    let tx = client.transaction().await?;
    let mut created = std::collections::BTreeSet::new();
    for (n, task) in tasks.iter().enumerate() {
        let ti = task.table();
        if created.insert(ti) {
            tx.batch_execute(&create_probe_table(ti, &names[ti]))
                .await?;
        }
        let Some(statement) = task_statement(n, task, &names[ti], desired) else {
            continue;
        };
        tx.batch_execute("SAVEPOINT tableform_probe").await?;
        match tx.batch_execute(&statement).await {
            Ok(()) => {
                tx.batch_execute("RELEASE SAVEPOINT tableform_probe")
                    .await?;
            }
            // The server rejected the declared expression; the diff shows it and apply will
            // report the server's message against the step.
            Err(_) => {
                tx.batch_execute("ROLLBACK TO SAVEPOINT tableform_probe")
                    .await?;
            }
        }
    }
    let spellings = read_back(&tx, &tasks).await?;
    tx.rollback().await?;
    for (n, spelling) in spellings {
        let ti = tasks[n].table();
        adopt(&tasks[n], &names[ti], spelling, desired, live);
    }
    Ok(PROBE_ROUND_TRIPS + 3 * tasks.len())
}

/// BEGIN, the batch, three read-backs, ROLLBACK.
const PROBE_ROUND_TRIPS: usize = 6;

impl Task {
    fn table(&self) -> usize {
        match self {
            Task::Default { table, .. } | Task::Check { table, .. } | Task::Index { table, .. } => {
                *table
            }
        }
    }
}

fn probe_name(ti: usize) -> String {
    format!("tableform_probe_{ti}")
}

fn create_probe_table(ti: usize, table: &QualName) -> String {
    format!(
        "CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP",
        probe_name(ti),
        table.sql()
    )
}

/// The statement that attaches the declared expression of task `n` to its probe table.
fn task_statement(n: usize, task: &Task, table: &QualName, desired: &Schema) -> Option<String> {
    let t = &desired.tables[table];
    let probe = probe_name(task.table());
    match task {
        Task::Default { column, .. } => match t.column(column).and_then(|c| c.default.as_ref()) {
            Some(ColumnDefault::Expr(e)) => Some(format!(
                "ALTER TABLE {probe} ALTER COLUMN {} SET DEFAULT {}",
                quote_ident(column),
                e.sql
            )),
            _ => None,
        },
        Task::Check { name, .. } => t.checks.iter().find(|c| &c.name == name).map(|c| {
            format!(
                "ALTER TABLE {probe} ADD CONSTRAINT tableform_probe_check_{n} CHECK ({}) NOT VALID",
                c.expr.sql
            )
        }),
        Task::Index { name, .. } => t.indexes.iter().find(|i| &i.name == name).map(|i| {
            let probe_index = Index {
                name: format!("tableform_probe_index_{n}"),
                ..i.clone()
            };
            crate::plan::sql::create_index(&QualName::new("pg_temp", probe), &probe_index)
        }),
    }
}

/// How the server spelled every probe, by task number.
async fn read_back(
    tx: &tokio_postgres::Transaction<'_>,
    tasks: &[Task],
) -> Result<Vec<(usize, Spelling)>, tokio_postgres::Error> {
    let defaults = tx
        .query(
            "SELECT c.relname::text, a.attname::text, pg_get_expr(d.adbin, d.adrelid)
             FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
             JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
             WHERE c.relnamespace = pg_my_temp_schema() AND c.relname LIKE 'tableform_probe_%'",
            &[],
        )
        .await?;
    let checks = tx
        .query(
            "SELECT conname::text, pg_get_expr(conbin, conrelid) FROM pg_constraint
             WHERE connamespace = pg_my_temp_schema() AND conname LIKE 'tableform_probe_check_%'",
            &[],
        )
        .await?;
    let indexes = tx
        .query(
            "SELECT c.relname::text,
                    ARRAY(SELECT CASE WHEN x.indkey[k - 1] = 0 THEN pg_get_indexdef(x.indexrelid, k, true) END
                          FROM generate_series(1, x.indnkeyatts) k ORDER BY k),
                    pg_get_expr(x.indpred, x.indrelid)
             FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
             WHERE c.relnamespace = pg_my_temp_schema() AND c.relname LIKE 'tableform_probe_index_%'",
            &[],
        )
        .await?;
    let mut out = Vec::new();
    for (n, task) in tasks.iter().enumerate() {
        let spelling = match task {
            Task::Default { column, table } => {
                let probe = probe_name(*table);
                defaults
                    .iter()
                    .find(|r| r.get::<_, String>(0) == probe && &r.get::<_, String>(1) == column)
                    .map(|r| Spelling::Expr(r.get(2)))
            }
            Task::Check { .. } => {
                let name = format!("tableform_probe_check_{n}");
                checks
                    .iter()
                    .find(|r| r.get::<_, String>(0) == name)
                    .map(|r| Spelling::Expr(r.get(1)))
            }
            Task::Index { .. } => {
                let name = format!("tableform_probe_index_{n}");
                indexes
                    .iter()
                    .find(|r| r.get::<_, String>(0) == name)
                    .map(|r| Spelling::Index {
                        keys: r.get(1),
                        predicate: r.get(2),
                    })
            }
        };
        out.extend(spelling.map(|s| (n, s)));
    }
    Ok(out)
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
