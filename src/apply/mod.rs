//! Running a plan: all of it in one transaction, or none of it.
//!
//! Order of events: `BEGIN`; take the tableform advisory lock (waiting at most `lock_wait`); set
//! `lock_timeout` and `statement_timeout` for the transaction; read the catalog again and stop if
//! it no longer matches the fingerprint the plan was computed against (someone changed the
//! database since); run every step; `COMMIT`. Any failure rolls everything back and names the
//! step, its SQL and the server's message.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use tokio_postgres::error::SqlState;

use crate::diff::{self, Change, Options, Verdict};
use crate::inspect::{self, connect::reason};
use crate::model::names::quote_literal;
use crate::model::{self, Scope};
use crate::plan::Plan;
use crate::plan::{Phase, Step};

/// The advisory lock every tableform apply takes (the bytes of "tblform" as a number), so that
/// two applies on one database never interleave.
pub const LOCK_KEY: i64 = 0x0074_626c_666f_726d;

#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// How long to wait for another tableform apply to finish.
    pub lock_wait: Duration,
    /// `lock_timeout` for each statement: how long to wait for a table lock held by the application.
    pub lock_timeout: Duration,
    /// `statement_timeout`; zero means none.
    pub statement_timeout: Duration,
    /// How often a statement that hit `lock_timeout` is tried again.
    pub lock_retries: u32,
    /// Build new indexes on existing tables with `CREATE INDEX CONCURRENTLY`, after the commit.
    pub concurrent_indexes: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            lock_wait: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::ZERO,
            lock_retries: 3,
            concurrent_indexes: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the plan holds refusals; nothing was applied")]
    Refused,
    #[error("another tableform apply holds the lock on this database; gave up after {0:?}")]
    Locked(Duration),
    #[error(
        "plan is stale: the database changed since the plan was made (expected {expected}, found {found}); nothing was applied, plan again"
    )]
    Stale { expected: String, found: String },
    #[error(
        "plan is stale: the data changed since the plan was made, and {object} would now be refused: {reason}; nothing was applied, plan again"
    )]
    DataChanged { object: String, reason: String },
    #[error("step {index} of {total} failed, everything was rolled back:\n  {sql}\n{message}")]
    Step {
        index: usize,
        total: usize,
        sql: String,
        message: String,
    },
    #[error("the transaction committed, but building an index concurrently failed:\n  {sql}\n{message}\n{}", if *dropped { "The invalid index it left was dropped; plan again to retry." } else { "Plan again to retry." })]
    Concurrent {
        sql: String,
        message: String,
        dropped: bool,
    },
    /// A batch of steps failed; the caller re-runs them one by one to name the failing step.
    #[error("a batch of steps failed")]
    BatchFailed,
    #[error("{0}")]
    Database(String),
}

impl From<tokio_postgres::Error> for ApplyError {
    fn from(e: tokio_postgres::Error) -> Self {
        ApplyError::Database(reason(&e))
    }
}

impl From<inspect::InspectError> for ApplyError {
    fn from(e: inspect::InspectError) -> Self {
        ApplyError::Database(e.to_string())
    }
}

/// Runs `plan` on `client`. `scope` is what the plan looked at, re-read under the lock to check
/// the plan is not stale; `judging` are the options its verdicts were made with. `on_step` is told
/// before each step starts (for progress output).
pub async fn apply(
    client: &Client,
    plan: &Plan,
    scope: &Scope,
    judging: &Options,
    opts: &ApplyOptions,
    mut on_step: impl FnMut(usize, &str),
) -> Result<(), ApplyError> {
    if plan.has_refusals() {
        return Err(ApplyError::Refused);
    }
    // PostgreSQL 14+: notice a vanished client during a long statement instead of finishing it.
    let _ = client
        .batch_execute("SET client_connection_check_interval = '1s'")
        .await;
    let (in_tx, deferred): (Vec<&Step>, Vec<&Step>) = plan
        .steps
        .iter()
        .partition(|s| !(opts.concurrent_indexes && s.phase == Phase::Indexes));
    let batched = early_commit_point(plan, &in_tx).is_none();
    let mut outcome = transaction(
        client,
        plan,
        (scope, judging),
        (opts, batched),
        &in_tx,
        &mut on_step,
    )
    .await;
    if matches!(outcome, Err(ApplyError::BatchFailed)) {
        // A batch does not say which of its statements failed: roll back and run the same steps
        // one at a time, which stops at the failing one with its SQL and the server's message.
        let _ = client.batch_execute("ROLLBACK").await;
        outcome = transaction(
            client,
            plan,
            (scope, judging),
            (opts, false),
            &in_tx,
            &mut on_step,
        )
        .await;
    }
    if let Err(e) = outcome {
        // If the connection is gone, the server has rolled back already.
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(e);
    }
    for (i, step) in deferred.iter().enumerate() {
        on_step(in_tx.len() + i, &step.sql);
        build_concurrently(client, step, opts).await?;
    }
    Ok(())
}

/// `BEGIN`, the advisory lock, and the transaction's timeouts.
async fn begin(client: &Client, opts: &ApplyOptions) -> Result<(), ApplyError> {
    client.batch_execute("BEGIN").await?;
    take_lock(client, opts.lock_wait).await?;
    client
        .batch_execute(&format!(
            "SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
            opts.lock_timeout.as_millis(),
            opts.statement_timeout.as_millis()
        ))
        .await?;
    Ok(())
}

/// `batched`: send runs of steps that only touch objects the plan creates in one round trip (a
/// failure then comes back as [`ApplyError::BatchFailed`], for the caller to retry step by step).
async fn transaction(
    client: &Client,
    plan: &Plan,
    (scope, judging): (&Scope, &Options),
    (opts, batched): (&ApplyOptions, bool),
    steps: &[&Step],
    on_step: &mut impl FnMut(usize, &str),
) -> Result<(), ApplyError> {
    begin(client, opts).await?;
    let mut live = inspect::inspect(client, &scope.schemas).await?;
    scope.hide(&mut live.schema);
    let found = model::fingerprint(&live.schema);
    if found != plan.live_fingerprint {
        return Err(ApplyError::Stale {
            expected: short(&plan.live_fingerprint),
            found: short(&found),
        });
    }
    recheck_data(client, plan, judging).await?;
    let commit_after = early_commit_point(plan, steps);
    let total = steps.len();
    let mut i = 0;
    while i < steps.len() {
        on_step(i, &steps[i].sql);
        let run = if batched {
            uncontended_run(&steps[i..])
        } else {
            0
        };
        if run > 1 {
            let sql: Vec<&str> = steps[i..i + run].iter().map(|s| s.sql.as_str()).collect();
            if client.batch_execute(&sql.join(";\n")).await.is_err() {
                return Err(ApplyError::BatchFailed);
            }
            i += run;
            continue;
        }
        run_step(client, (i, total), steps[i], opts).await?;
        if commit_after == Some(i) {
            client.batch_execute("COMMIT").await?;
            begin(client, opts).await?;
        }
        i += 1;
    }
    client.batch_execute("COMMIT").await?;
    Ok(())
}

/// How many steps from the start of `steps` only touch objects the plan creates (they cannot wait
/// for another session's lock, so they need no savepoint and can share a round trip).
fn uncontended_run(steps: &[&Step]) -> usize {
    steps.iter().take_while(|s| !s.contended).count()
}

/// PostgreSQL refuses to use an enum value added in the same transaction ("unsafe use of new
/// value"). When a later step names a value the plan adds, the `ADD VALUE` steps (which come
/// first) are committed on their own: the one place where a failed apply can leave something
/// behind, and it is a declared enum value, harmless to keep.
fn early_commit_point(plan: &Plan, steps: &[&Step]) -> Option<usize> {
    let added: Vec<String> = plan
        .objects
        .iter()
        .flat_map(|o| &o.changes)
        .filter_map(|c| match &c.change {
            Change::AddEnumValue { value, .. } => Some(quote_literal(value)),
            _ => None,
        })
        .collect();
    let last = steps.iter().rposition(|s| s.phase == Phase::EnumValues)?;
    let used_later = steps[last + 1..]
        .iter()
        .any(|s| added.iter().any(|v| s.sql.contains(v.as_str())));
    used_later.then_some(last)
}

/// One statement under a savepoint, so that a lock timeout can be retried (with backoff, a bounded
/// number of times) without losing the steps before it.
async fn run_step(
    client: &Client,
    (i, total): (usize, usize),
    step: &Step,
    opts: &ApplyOptions,
) -> Result<(), ApplyError> {
    if !step.contended {
        return client
            .batch_execute(&step.sql)
            .await
            .map_err(|e| ApplyError::Step {
                index: i + 1,
                total,
                sql: step.sql.clone(),
                message: server_message(&e),
            });
    }
    let mut attempt = 0;
    loop {
        let sql = format!(
            "SAVEPOINT tableform_step; {}; RELEASE SAVEPOINT tableform_step",
            step.sql
        );
        let err = match client.batch_execute(&sql).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let lock_timeout = err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE);
        if lock_timeout && attempt < opts.lock_retries {
            client
                .batch_execute("ROLLBACK TO SAVEPOINT tableform_step")
                .await?;
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
            continue;
        }
        let mut message = server_message(&err);
        if lock_timeout {
            message.push_str(&format!(
                "\n(a table lock was not granted within lock_timeout, {} times; another session holds it)",
                attempt + 1
            ));
        }
        return Err(ApplyError::Step {
            index: i + 1,
            total,
            sql: step.sql.clone(),
            message,
        });
    }
}

/// 0.5 s, 1 s, 2 s, ... capped at 8 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.min(4)))
}

/// `CREATE INDEX CONCURRENTLY` after the commit. A failed build leaves an invalid index behind,
/// which is dropped again so the next plan starts clean.
async fn build_concurrently(
    client: &Client,
    step: &Step,
    opts: &ApplyOptions,
) -> Result<(), ApplyError> {
    // Index steps are `CREATE [UNIQUE] INDEX name ON ...` (plan::sql::create_index): the keyword
    // goes right after that prefix, nowhere else.
    let sql = ["CREATE UNIQUE INDEX ", "CREATE INDEX "]
        .iter()
        .find_map(|p| {
            step.sql
                .strip_prefix(p)
                .map(|rest| format!("{p}CONCURRENTLY {rest}"))
        })
        .unwrap_or_else(|| step.sql.clone());
    client
        .batch_execute(&format!(
            "SET lock_timeout = {}",
            opts.lock_timeout.as_millis()
        ))
        .await?;
    let Err(e) = client.batch_execute(&sql).await else {
        return Ok(());
    };
    let message = server_message(&e);
    let dropped = match &step.index {
        Some(name) => {
            let invalid = client
                .query_opt(
                    "SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($1) AND NOT indisvalid",
                    &[&name.sql()],
                )
                .await?;
            if invalid.is_some() {
                client
                    .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", name.sql()))
                    .await?;
            }
            invalid.is_some()
        }
        None => false,
    };
    Err(ApplyError::Concurrent {
        sql,
        message,
        dropped,
    })
}

/// The verdicts may depend on the data ("the table is empty, so dropping the column loses
/// nothing"). The structure is unchanged, but rows may have arrived since the plan was made: ask
/// again, under the lock, and stop if any change would now be refused.
async fn recheck_data(client: &Client, plan: &Plan, judging: &Options) -> Result<(), ApplyError> {
    let changes = plan.objects.iter().flat_map(|o| o.changes.iter());
    let questions = diff::questions(changes.clone().map(|c| &c.change));
    if questions.is_empty() {
        return Ok(());
    }
    let facts = inspect::facts(client, &questions).await?;
    for (o, c) in plan
        .objects
        .iter()
        .flat_map(|o| o.changes.iter().map(move |c| (o, c)))
    {
        if let Verdict::Refuse { reason } = diff::judge(&c.change, &facts, judging)
            && !c.verdict.is_refusal()
        {
            return Err(ApplyError::DataChanged {
                object: o.name.to_string(),
                reason,
            });
        }
    }
    Ok(())
}

fn short(fp: &str) -> String {
    fp.chars().take(19).collect()
}

/// The server's message with its detail and hint, as psql shows them.
fn server_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = format!("ERROR:  {}", db.message());
            if let Some(d) = db.detail() {
                m.push_str(&format!("\nDETAIL:  {d}"));
            }
            if let Some(h) = db.hint() {
                m.push_str(&format!("\nHINT:  {h}"));
            }
            m
        }
        None => reason(e),
    }
}

async fn take_lock(client: &Client, wait: Duration) -> Result<(), ApplyError> {
    let start = Instant::now();
    loop {
        let row = client
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&LOCK_KEY])
            .await?;
        if row.get::<_, bool>(0) {
            return Ok(());
        }
        if start.elapsed() >= wait {
            return Err(ApplyError::Locked(wait));
        }
        tokio::time::sleep(Duration::from_millis(200).min(wait.saturating_sub(start.elapsed())))
            .await;
    }
}
