//! Server-side canonicalisation of expressions that the offline rules could not prove equal.
//!
//! PostgreSQL stores an expression in its own spelling (`vote IN (-1, 1)` becomes
//! `(vote = ANY (ARRAY['-1'::integer, 1]))`). Rather than imitate its deparser, we let it deparse
//! the declared expression: in a transaction that is always rolled back, a `TEMP` table with the
//! columns the expression mentions (with their live types) receives the declared default, check
//! or index, and the catalog tells how PostgreSQL spells it. When that spelling equals the live
//! one, the declared expression takes the live spelling, so the diff sees no difference.
//!
//! How PostgreSQL spells an expression depends only on the expression and the types of the
//! columns it mentions, so identical probes (the same check on many tables) are asked once. All
//! probes go in one batch and are read back in three queries: a constant number of round trips
//! whatever the schema's size. Temporary tables need no privilege on the real tables, and nothing
//! outlives the transaction.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::catalog::InspectError;
use super::session;
use crate::model::names::quote_ident;
use crate::model::{ColumnDefault, Index, IndexPart, QualName, Schema, SqlExpr, Table};

enum Task {
    Default { table: usize, column: String },
    Check { table: usize, name: String },
    Index { table: usize, name: String },
    Policy { table: usize, name: String },
    Partition { table: usize, name: String },
    Generated { table: usize, column: String },
    Exclusion { table: usize, name: String },
}

impl Task {
    fn table(&self) -> usize {
        match self {
            Task::Default { table, .. }
            | Task::Check { table, .. }
            | Task::Index { table, .. }
            | Task::Policy { table, .. }
            | Task::Partition { table, .. }
            | Task::Generated { table, .. }
            | Task::Exclusion { table, .. } => *table,
        }
    }
}

/// What one probe needs: a table with these columns, and the expression to attach to it.
#[derive(Debug, Clone)]
struct Spec {
    columns: Vec<(String, String)>,
    attach: Attach,
}

#[derive(Debug, Clone)]
enum Attach {
    Default {
        column: String,
        expr: String,
    },
    Check {
        expr: String,
    },
    Index(Box<Index>),
    Policy {
        command: &'static str,
        using: Option<String>,
        with_check: Option<String>,
    },
    /// An exclusion constraint: what follows `EXCLUDE`.
    Exclusion {
        definition: String,
    },
    /// A generated column of this type and expression, added to the probe's table.
    Generated {
        column: String,
        ty: String,
        expr: String,
    },
    /// A partition with the declared bounds, of a table partitioned by `key`.
    Partition {
        key: String,
        bound: String,
    },
}

impl Spec {
    /// Identical probes (same columns, same statement) are asked once. The statement is written
    /// with the probe's object names, never by substituting placeholders into text that holds a
    /// declared expression.
    fn key(&self) -> (Vec<(String, String)>, String) {
        let mut statement = attach(None, self);
        if let Attach::Partition { key, .. } = &self.attach {
            statement = format!("{statement}\u{0}{key}");
        }
        (self.columns.clone(), statement)
    }
}

/// BEGIN, the batch, three read-backs, ROLLBACK.
const PROBE_ROUND_TRIPS: usize = 6;

/// Where the probe runs: the database itself, or a scratch server (`--dev-url`) that lacks the
/// database's enum types, which the probe then creates inside its rolled-back transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeOn {
    Database,
    Scratch,
}

/// Rewrites declared expressions into the live spelling where PostgreSQL says they are the same.
/// Returns how many round trips that took (0 when nothing needed asking).
///
/// Functions' argument defaults are probed the same way, as the defaults of columns of the
/// arguments' types (PostgreSQL coerces both to the type and deparses both alike): in one
/// more batch, only when some differ.
pub async fn reconcile(
    client: &mut Client,
    desired: &mut Schema,
    live: &Schema,
    on: ProbeOn,
) -> Result<usize, InspectError> {
    let (mut routines, routines_live, at) = crate::kinds::function::default_probes(desired, live);
    routines.home = desired.home.clone();
    let mut trips = 0;
    if !routines.tables.is_empty() {
        trips += Box::pin(reconcile_tables(client, &mut routines, &routines_live, on)).await?;
        crate::kinds::function::take_spellings(desired, &routines, &at);
    }
    trips += crate::kinds::trigger::reconcile_when(client, desired, live).await?;
    trips += crate::kinds::function::reconcile_bodies(client, desired, live).await?;
    trips += crate::kinds::domain::reconcile(client, desired, live, on).await?;
    Ok(trips + reconcile_tables(client, desired, live, on).await?)
}

async fn reconcile_tables(
    client: &mut Client,
    desired: &mut Schema,
    live: &Schema,
    on: ProbeOn,
) -> Result<usize, InspectError> {
    let names: Vec<QualName> = desired
        .tables
        .keys()
        .filter(|n| live.tables.contains_key(*n))
        .cloned()
        .collect();
    let tasks = tasks(&names, desired, live);
    if tasks.is_empty() {
        return Ok(0);
    }
    // One probe per distinct spec; each task points at its probe.
    let mut probes: BTreeMap<(Vec<(String, String)>, String), usize> = BTreeMap::new();
    let mut specs: Vec<(usize, Spec)> = Vec::new();
    let mut task_probe = Vec::new();
    for task in &tasks {
        let ti = task.table();
        let spec = spec(task, &desired.tables[&names[ti]], &live.tables[&names[ti]]);
        task_probe.push(spec.map(|s| {
            let next = probes.len();
            let k = *probes.entry(s.key()).or_insert(next);
            if k == next {
                specs.push((k, s));
            }
            k
        }));
    }

    let home = desired.home.clone();
    let tx = client.transaction().await?;
    session::declared_path(tx.client(), home.as_deref()).await?;
    let extra = match on {
        ProbeOn::Database => 0,
        ProbeOn::Scratch => missing_types(tx.client(), live).await?,
    };
    let script: Vec<String> = specs
        .iter()
        .flat_map(|(k, s)| [create_table(*k, s), attach(Some(*k), s)])
        .collect();
    let script: Vec<&str> = script.iter().map(String::as_str).collect();
    if let Err(e) = session::pipeline(tx.client(), &script).await {
        read_only(&e, specs.len())?;
        // A declared expression the server rejects spoils the batch: probe one by one, each under
        // a savepoint, so the others still get their answer.
        tx.rollback().await?;
        return one_by_one(
            client,
            (&names, &tasks, &task_probe),
            (&specs, on),
            desired,
            live,
        )
        .await;
    }
    session::catalog_path(tx.client(), home.as_deref()).await?;
    let spellings = read_back(&tx).await?;
    tx.rollback().await?;
    apply_spellings((&names, &tasks, &task_probe), &spellings, desired, live);
    Ok(PROBE_ROUND_TRIPS + extra)
}

/// A connection that may not create temporary tables (a hot standby, a read-only transaction,
/// a role without TEMP) cannot probe: say so, and what to do, instead of a bare server error.
fn read_only(e: &tokio_postgres::Error, count: usize) -> Result<(), InspectError> {
    match session::temp_refused(e) {
        Some(reason) => Err(InspectError::ReadOnly { count, reason }),
        None => Ok(()),
    }
}

/// On a scratch server, creates the database's enum types, domains and composite types that are
/// missing there (inside the probe's transaction, so they vanish with it): probe columns of those
/// types need them. Domains and composite types are created as the catalog reads them. Returns
/// the round trips taken.
pub(crate) async fn missing_types(client: &Client, live: &Schema) -> Result<usize, InspectError> {
    use crate::model::names::quote_literal;
    if live.enums.is_empty() && live.domains.is_empty() && live.composites.is_empty() {
        return Ok(0);
    }
    let names: Vec<String> = (live.enums.keys())
        .chain(live.domains.keys())
        .chain(live.composites.keys())
        .map(QualName::sql)
        .collect();
    let missing: Vec<String> = client
        .query(
            "SELECT q FROM unnest($1::text[]) AS q WHERE to_regtype(q) IS NULL",
            &[&names],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut sql = Vec::new();
    for e in live
        .enums
        .values()
        .filter(|e| missing.contains(&e.name.sql()))
    {
        sql.push(format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(&e.name.schema)
        ));
        let labels: Vec<String> = e.values.iter().map(|v| quote_literal(v)).collect();
        sql.push(format!(
            "CREATE TYPE {} AS ENUM ({})",
            e.name.sql(),
            labels.join(", ")
        ));
    }
    let created = crate::kinds::domain::create_sql(live, |q| missing.contains(&q.sql()));
    sql.extend(created);
    let sql: Vec<&str> = sql.iter().map(String::as_str).collect();
    session::pipeline(client, &sql).await?;
    Ok(2)
}

async fn one_by_one(
    client: &mut Client,
    (names, tasks, task_probe): (&[QualName], &[Task], &[Option<usize>]),
    (specs, on): (&[(usize, Spec)], ProbeOn),
    desired: &mut Schema,
    live: &Schema,
) -> Result<usize, InspectError> {
    let home = desired.home.clone();
    let tx = client.transaction().await?;
    session::declared_path(tx.client(), home.as_deref()).await?;
    if on == ProbeOn::Scratch {
        missing_types(tx.client(), live).await?;
    }
    for (k, s) in specs {
        session::run(tx.client(), "SAVEPOINT tableform_probe").await?;
        let created = session::run(tx.client(), &create_table(*k, s)).await;
        if let Err(e) = &created {
            read_only(e, specs.len())?;
        }
        // Rejected by the server (an expression, or on a scratch server a column type it does
        // not know): that probe goes unanswered; the diff shows the difference, and apply
        // reports the server's message against the step.
        let attached = match created {
            Ok(()) => session::run(tx.client(), &attach(Some(*k), s)).await,
            Err(e) => Err(e),
        };
        let end = match attached {
            Ok(()) => "RELEASE SAVEPOINT tableform_probe",
            Err(_) => "ROLLBACK TO SAVEPOINT tableform_probe",
        };
        session::run(tx.client(), end).await?;
    }
    session::catalog_path(tx.client(), home.as_deref()).await?;
    let spellings = read_back(&tx).await?;
    tx.rollback().await?;
    apply_spellings((names, tasks, task_probe), &spellings, desired, live);
    Ok(PROBE_ROUND_TRIPS + 4 * specs.len())
}

/// Expressions that still differ after the offline canonicalisation, on tables on both sides.
fn tasks(names: &[QualName], desired: &Schema, live: &Schema) -> Vec<Task> {
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
        for x in &want.exclusions {
            if let Some(h) = have.exclusions.iter().find(|h| h.name == x.name)
                && h.definition != x.definition
            {
                tasks.push(Task::Exclusion {
                    table: ti,
                    name: x.name.clone(),
                });
            }
        }
        for c in &want.columns {
            if let (Some(w), Some(Some(h))) = (
                &c.generated,
                have.column(&c.name).map(|h| h.generated.as_ref()),
            ) && !w.equivalent(h, Some(&c.ty))
            {
                tasks.push(Task::Generated {
                    table: ti,
                    column: c.name.clone(),
                });
            }
        }
        for p in &want.partitions {
            if let Some(h) = have.partitions.iter().find(|h| h.name == p.name)
                && h.bound != p.bound
            {
                tasks.push(Task::Partition {
                    table: ti,
                    name: p.name.clone(),
                });
            }
        }
        for pol in &want.policies {
            let same = |a: &Option<SqlExpr>, b: &Option<SqlExpr>| match (a, b) {
                (Some(x), Some(y)) => x.equivalent(y, None),
                (x, y) => x.is_none() == y.is_none(),
            };
            if let Some(h) = have.policies.iter().find(|h| h.name == pol.name)
                && !(same(&pol.using, &h.using) && same(&pol.with_check, &h.with_check))
            {
                tasks.push(Task::Policy {
                    table: ti,
                    name: pol.name.clone(),
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
    tasks
}

/// The columns of `want` that `sql` mentions, with the type they have in the database.
fn mentioned(sqls: &[&str], want: &Table, have: &Table) -> Vec<(String, String)> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let mut out = std::collections::BTreeMap::new();
    for sql in sqls {
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
            // Unreadable: give it every column.
            for c in &want.columns {
                out.insert(c.name.clone(), column_type(&c.name, want, have));
            }
            continue;
        };
        for t in tokens {
            if let Token::Word(w) = t {
                let name = if w.quote_style.is_some() {
                    w.value
                } else {
                    w.value.to_lowercase()
                };
                if want.column(&name).is_some() {
                    let ty = column_type(&name, want, have);
                    out.insert(name, ty);
                }
            }
        }
    }
    out.into_iter().collect()
}

/// The type the column will have after apply (what the expression is deparsed against): the
/// declared one. The live column's spelling is kept when both are the same type, so that a type
/// known to the database under another spelling (an extension's) still probes.
fn column_type(name: &str, want: &Table, have: &Table) -> String {
    match (want.column(name), have.column(name)) {
        (Some(w), Some(h)) if w.ty != h.ty => w.ty.to_string(),
        (_, Some(h)) => h.ty.to_string(),
        (Some(w), None) => w.ty.to_string(),
        (None, None) => String::new(),
    }
}

fn spec(task: &Task, want: &Table, have: &Table) -> Option<Spec> {
    match task {
        Task::Default { column, .. } => {
            let Some(ColumnDefault::Expr(e)) = want.column(column).and_then(|c| c.default.as_ref())
            else {
                return None;
            };
            Some(Spec {
                columns: vec![(column.clone(), column_type(column, want, have))],
                attach: Attach::Default {
                    column: column.clone(),
                    expr: e.sql.clone(),
                },
            })
        }
        Task::Check { name, .. } => {
            let c = want.checks.iter().find(|c| &c.name == name)?;
            Some(Spec {
                columns: mentioned(&[&c.expr.sql], want, have),
                attach: Attach::Check {
                    expr: c.expr.sql.clone(),
                },
            })
        }
        Task::Exclusion { name, .. } => {
            let x = want.exclusions.iter().find(|x| &x.name == name)?;
            Some(Spec {
                columns: mentioned(&[&x.definition], want, have),
                attach: Attach::Exclusion {
                    definition: x.definition.clone(),
                },
            })
        }
        Task::Generated { column, .. } => {
            let c = want.column(column)?;
            let e = c.generated.as_ref()?;
            Some(Spec {
                columns: (mentioned(&[&e.sql], want, have).into_iter())
                    .filter(|(n, _)| n != column)
                    .collect(),
                attach: Attach::Generated {
                    column: column.clone(),
                    ty: column_type(column, want, have),
                    expr: e.sql.clone(),
                },
            })
        }
        Task::Partition { name, .. } => {
            let part = want.partitions.iter().find(|p| &p.name == name)?;
            let key = want.partition_by.clone()?;
            Some(Spec {
                columns: mentioned(&[&key], want, have),
                attach: Attach::Partition {
                    key,
                    bound: part.bound.clone(),
                },
            })
        }
        Task::Policy { name, .. } => {
            let pol = want.policies.iter().find(|p| &p.name == name)?;
            let sqls: Vec<&str> = [&pol.using, &pol.with_check]
                .into_iter()
                .flatten()
                .map(|e| e.sql.as_str())
                .collect();
            Some(Spec {
                columns: mentioned(&sqls, want, have),
                attach: Attach::Policy {
                    command: pol.command.sql(),
                    using: pol.using.as_ref().map(|e| e.sql.clone()),
                    with_check: pol.with_check.as_ref().map(|e| e.sql.clone()),
                },
            })
        }
        Task::Index { name, .. } => {
            let i = want.indexes.iter().find(|i| &i.name == name)?;
            let mut sqls: Vec<&str> = i
                .keys
                .iter()
                .map(|k| match &k.part {
                    IndexPart::Column(c) => c.as_str(),
                    IndexPart::Expr(e) => e.sql.as_str(),
                })
                .collect();
            if let Some(p) = &i.predicate {
                sqls.push(&p.sql);
            }
            let mut columns = mentioned(&sqls, want, have);
            for k in &i.keys {
                if let IndexPart::Column(c) = &k.part
                    && !columns.iter().any(|(n, _)| n == c)
                {
                    columns.push((c.clone(), column_type(c, want, have)));
                }
            }
            columns.sort();
            Some(Spec {
                columns,
                attach: Attach::Index(Box::new(i.clone())),
            })
        }
    }
}

/// `tableform_probe_{k}`; without `k`, the name used only inside dedup keys.
fn probe_name(prefix: &str, k: Option<usize>) -> String {
    match k {
        Some(k) => format!("{prefix}{k}"),
        None => prefix.to_string(),
    }
}

fn create_table(k: usize, s: &Spec) -> String {
    let cols: Vec<String> = s
        .columns
        .iter()
        .map(|(n, t)| format!("{} {t}", quote_ident(n)))
        .collect();
    let partitioned = match &s.attach {
        Attach::Partition { key, .. } => format!(" PARTITION BY {key}"),
        _ => String::new(),
    };
    format!(
        "CREATE TEMP TABLE {} ({}){partitioned} ON COMMIT DROP",
        probe_name("tableform_probe_", Some(k)),
        cols.join(", ")
    )
}

/// The statement that attaches the probe's expression to its table (one statement: it goes out
/// in a Parse message of its own).
fn attach(k: Option<usize>, s: &Spec) -> String {
    let table = probe_name("tableform_probe_", k);
    match &s.attach {
        Attach::Default { column, expr } => format!(
            "ALTER TABLE pg_temp.{table} ALTER COLUMN {} SET DEFAULT {expr}",
            quote_ident(column)
        ),
        Attach::Check { expr } => format!(
            "ALTER TABLE pg_temp.{table} ADD CONSTRAINT {} CHECK ({expr}) NOT VALID",
            probe_name("tableform_probe_check_", k)
        ),
        Attach::Exclusion { definition } => format!(
            "ALTER TABLE pg_temp.{table} ADD CONSTRAINT {} EXCLUDE {definition}",
            probe_name("tableform_probe_excl_", k)
        ),
        Attach::Generated { column, ty, expr } => format!(
            "ALTER TABLE pg_temp.{table} ADD COLUMN {} {ty} GENERATED ALWAYS AS ({expr}) STORED",
            quote_ident(column)
        ),
        Attach::Partition { bound, .. } => format!(
            "CREATE TEMP TABLE {} PARTITION OF pg_temp.{table} {bound}",
            probe_name("tableform_probe_bound_", k)
        ),
        Attach::Policy {
            command,
            using,
            with_check,
        } => {
            let mut s = format!(
                "CREATE POLICY {} ON pg_temp.{table} FOR {command}",
                probe_name("tableform_probe_policy_", k)
            );
            if let Some(e) = using {
                s.push_str(&format!(" USING ({e})"));
            }
            if let Some(e) = with_check {
                s.push_str(&format!(" WITH CHECK ({e})"));
            }
            s
        }
        Attach::Index(i) => {
            let probe_index = Index {
                name: probe_name("tableform_probe_index_", k),
                ..(**i).clone()
            };
            crate::plan::sql::create_index(&QualName::new("pg_temp", table), &probe_index)
        }
    }
}

/// The server's spelling of every probe, by probe number.
struct Spellings {
    defaults: BTreeMap<usize, String>,
    checks: BTreeMap<usize, String>,
    indexes: BTreeMap<usize, (Vec<Option<String>>, Option<String>)>,
    /// A policy's `USING` and `WITH CHECK`.
    policies: BTreeMap<usize, (Option<String>, Option<String>)>,
    /// A partition's bounds.
    bounds: BTreeMap<usize, String>,
    /// An exclusion constraint's `pg_get_constraintdef`.
    exclusions: BTreeMap<usize, String>,
}

fn probe_number(name: &str, prefix: &str) -> Option<usize> {
    name.strip_prefix(prefix)?.parse().ok()
}

async fn read_back(
    tx: &tokio_postgres::Transaction<'_>,
) -> Result<Spellings, tokio_postgres::Error> {
    let defaults = tx
        .query(
            "SELECT c.relname::text, pg_get_expr(d.adbin, d.adrelid)
             FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
             WHERE c.relnamespace = pg_my_temp_schema() AND c.relname LIKE 'tableform_probe_%'
             UNION ALL
             SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid) FROM pg_class c
             WHERE c.relnamespace = pg_my_temp_schema() AND c.relname LIKE 'tableform_probe_bound_%'",
            &[],
        )
        .await?;
    let checks = tx
        .query(
            "SELECT conname::text, pg_get_expr(conbin, conrelid), NULL::text FROM pg_constraint
             WHERE connamespace = pg_my_temp_schema() AND conname LIKE 'tableform_probe_check_%'
             UNION ALL
             SELECT p.polname::text, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
             FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
             WHERE c.relnamespace = pg_my_temp_schema() AND p.polname LIKE 'tableform_probe_policy_%'
             UNION ALL
             SELECT conname::text, pg_get_constraintdef(oid), NULL::text FROM pg_constraint
             WHERE connamespace = pg_my_temp_schema() AND conname LIKE 'tableform_probe_excl_%'",
            &[],
        )
        .await?;
    let indexes = tx
        .query(
            "SELECT c.relname::text,
                    ARRAY(SELECT CASE WHEN x.indkey[k - 1] = 0 THEN pg_get_indexdef(x.indexrelid, k, true)
                                 ELSE '=' || (SELECT attname FROM pg_attribute
                                              WHERE attrelid = x.indrelid AND attnum = x.indkey[k - 1]) END
                          FROM generate_series(1, x.indnkeyatts) k ORDER BY k),
                    pg_get_expr(x.indpred, x.indrelid)
             FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
             WHERE c.relnamespace = pg_my_temp_schema() AND c.relname LIKE 'tableform_probe_index_%'",
            &[],
        )
        .await?;
    Ok(Spellings {
        defaults: defaults
            .iter()
            .filter_map(|r| {
                Some((
                    probe_number(&r.get::<_, String>(0), "tableform_probe_")?,
                    r.get(1),
                ))
            })
            .collect(),
        checks: checks
            .iter()
            .filter_map(|r| {
                Some((
                    probe_number(&r.get::<_, String>(0), "tableform_probe_check_")?,
                    r.get(1),
                ))
            })
            .collect(),
        bounds: defaults
            .iter()
            .filter_map(|r| {
                Some((
                    probe_number(&r.get::<_, String>(0), "tableform_probe_bound_")?,
                    r.get(1),
                ))
            })
            .collect(),
        exclusions: checks
            .iter()
            .filter_map(|r| {
                Some((
                    probe_number(&r.get::<_, String>(0), "tableform_probe_excl_")?,
                    r.get(1),
                ))
            })
            .collect(),
        policies: checks
            .iter()
            .filter_map(|r| {
                Some((
                    probe_number(&r.get::<_, String>(0), "tableform_probe_policy_")?,
                    (r.get(1), r.get(2)),
                ))
            })
            .collect(),
        indexes: indexes
            .iter()
            .filter_map(|r| {
                Some((
                    probe_number(&r.get::<_, String>(0), "tableform_probe_index_")?,
                    (r.get(1), r.get(2)),
                ))
            })
            .collect(),
    })
}

fn apply_spellings(
    (names, tasks, task_probe): (&[QualName], &[Task], &[Option<usize>]),
    spellings: &Spellings,
    desired: &mut Schema,
    live: &Schema,
) {
    for (task, k) in tasks.iter().zip(task_probe) {
        let Some(k) = k else { continue };
        let spelling = match task {
            Task::Default { .. } => spellings.defaults.get(k).cloned().map(Spelling::Expr),
            Task::Check { .. } => spellings.checks.get(k).cloned().map(Spelling::Expr),
            Task::Partition { .. } => spellings.bounds.get(k).cloned().map(Spelling::Expr),
            Task::Generated { .. } => spellings.defaults.get(k).cloned().map(Spelling::Expr),
            Task::Exclusion { .. } => spellings.exclusions.get(k).cloned().map(Spelling::Expr),
            Task::Policy { .. } => spellings
                .policies
                .get(k)
                .cloned()
                .map(|(using, with_check)| Spelling::Policy { using, with_check }),
            Task::Index { .. } => spellings
                .indexes
                .get(k)
                .cloned()
                .map(|(keys, predicate)| Spelling::Index { keys, predicate }),
        };
        if let Some(s) = spelling {
            adopt(task, &names[task.table()], s, desired, live);
        }
    }
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
    Policy {
        using: Option<String>,
        with_check: Option<String>,
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
        (Task::Exclusion { name, .. }, Spelling::Expr(s)) => {
            let s = s.trim_start_matches("EXCLUDE ");
            if let (Some(l), Some(w)) = (
                have.exclusions.iter().find(|x| &x.name == name),
                want.exclusions.iter_mut().find(|x| &x.name == name),
            ) && l.definition == s
            {
                w.definition = s.to_string();
            }
        }
        (Task::Generated { column, .. }, Spelling::Expr(s)) => {
            let live = have.column(column).and_then(|c| c.generated.clone());
            if let (Some(l), Some(c)) = (live, want.columns.iter_mut().find(|c| &c.name == column))
                && l.sql == s
            {
                c.generated = Some(l);
            }
        }
        (Task::Partition { name, .. }, Spelling::Expr(s)) => {
            if let (Some(l), Some(w)) = (
                have.partitions.iter().find(|p| &p.name == name),
                want.partitions.iter_mut().find(|p| &p.name == name),
            ) && l.bound == s
            {
                w.bound = s;
            }
        }
        (Task::Policy { name, .. }, Spelling::Policy { using, with_check }) => {
            let (Some(l), Some(w)) = (
                have.policies.iter().find(|p| &p.name == name),
                want.policies.iter_mut().find(|p| &p.name == name),
            ) else {
                return;
            };
            let text = |e: &Option<SqlExpr>| e.as_ref().map(|e| e.sql.clone());
            if using == text(&l.using) {
                w.using = l.using.clone();
            }
            if with_check == text(&l.with_check) {
                w.with_check = l.with_check.clone();
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
            // A key spelled `=name` is a plain column: PostgreSQL reduced the declared expression
            // to one (`(email::text)` on a text column is just `email`).
            for ((wk, lk), spelled) in w.keys.iter_mut().zip(&l.keys).zip(keys) {
                match (&wk.part, &lk.part, spelled) {
                    (IndexPart::Expr(_), IndexPart::Expr(le), Some(s)) if le.sql == s => {
                        wk.part = IndexPart::Expr(SqlExpr::raw(s));
                    }
                    (IndexPart::Expr(_), IndexPart::Column(lc), Some(s))
                        if s.strip_prefix('=') == Some(lc.as_str()) =>
                    {
                        wk.part = IndexPart::Column(lc.clone());
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}
