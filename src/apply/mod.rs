//! Running a plan: all of it in one transaction, or none of it.
//!
//! Order of events: `BEGIN`; take the tableform advisory lock (waiting at most `lock_wait`); set
//! `lock_timeout` and `statement_timeout` for the transaction; lock every table whose verdict
//! rests on its data (`ACCESS EXCLUSIVE`, as the steps will, under the lock timeout and its
//! retries); read the catalog again and stop if it no longer matches the fingerprint the plan
//! was computed against; only then ask the data questions again (no writer can add a row any
//! more) and stop if an answer the plan relied on changed; run every step; `COMMIT`. Any failure
//! rolls everything back and names the step, its SQL and the server's message.
//!
//! Every step goes to the server in a Parse message of its own ([`session::run`]): no text in a
//! plan can make the server run a statement the plan does not show.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use tokio_postgres::error::SqlState;

use crate::diff::{self, Change, Options, Verdict};
use crate::inspect::{self, connect::reason, session};
use crate::model::names::quote_literal;
use crate::model::{self, Scope};
use crate::plan::Plan;
use crate::plan::{Phase, Step};

pub mod rehearse;

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
    #[error(
        "plan is stale: the data changed since the plan was made: {0}; nothing was applied, plan again"
    )]
    DataNoLongerHolds(String),
    #[error("step {index} of {total} failed, {}:\n  {sql}\n{message}", rollback_scope(*committed_early))]
    Step {
        index: usize,
        total: usize,
        sql: String,
        message: String,
        /// Whether enum values had been committed before this step (see [`early_commit_point`]).
        committed_early: bool,
    },
    #[error("the transaction committed, but building an index concurrently failed:\n  {sql}\n{message}\n{}", if *dropped { "The invalid index it left was dropped; plan again to retry." } else { "Plan again to retry." })]
    Concurrent {
        sql: String,
        message: String,
        dropped: bool,
    },
    #[error(
        "could not lock {table} to check its data again before changing it; everything was rolled back:\n{message}"
    )]
    LockTable { table: String, message: String },
    #[error("COMMIT failed, {}:\n{message}", rollback_scope(*committed_early))]
    CommitFailed {
        message: String,
        committed_early: bool,
    },
    /// The connection failed while `COMMIT` was in flight: only the server knows the outcome.
    #[error(
        "the connection failed while the transaction was committing ({reason}): the changes may or may not have been committed; run `tableform plan` to see where the database stands"
    )]
    CommitUnknown { reason: String },
    /// A batch of steps failed; the caller re-runs them one by one to name the failing step.
    #[error("a batch of steps failed")]
    BatchFailed,
    /// The running statement was cancelled (`pg_cancel_backend`, `statement_timeout`, a signal)
    /// or the server is shutting down: the apply stops, whatever the step.
    #[error("{message}; {}", rollback_scope(*committed_early))]
    Cancelled {
        message: String,
        committed_early: bool,
    },
    #[error("{0}")]
    Database(String),
    /// Any other failure after enum values were committed early.
    #[error("{0}; the enum values added before it had been committed already and stay")]
    PartlyCommitted(Box<ApplyError>),
}

fn rollback_scope(committed_early: bool) -> &'static str {
    if committed_early {
        "the enum values added before it had been committed already and stay; everything after them was rolled back"
    } else {
        "everything was rolled back"
    }
}

/// Whether an error means "stop now" rather than "this statement failed": the statement was
/// cancelled, the server is going away, or the connection is gone.
fn is_cancel(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        Some(c) => {
            *c == SqlState::QUERY_CANCELED
                || *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
        }
        None => e.is_closed(),
    }
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
    stop: &AtomicBool,
    mut on_step: impl FnMut(usize, &str),
) -> Result<(), ApplyError> {
    if plan.has_refusals() {
        return Err(ApplyError::Refused);
    }
    prepare(client, plan).await?;
    let (in_tx, deferred): (Vec<&Step>, Vec<&Step>) = plan
        .steps
        .iter()
        .partition(|s| !(opts.concurrent_indexes && s.phase == Phase::Indexes));
    let batched = early_commit_point(plan, &in_tx).is_none();
    let mut outcome = transaction(
        client,
        plan,
        (scope, judging),
        (opts, batched, stop),
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
            (opts, false, stop),
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
    let tenant = (plan.tenant.as_ref()).filter(|_| !deferred.is_empty());
    if let Some(t) = tenant {
        // Outside a transaction: for the session, until the builds are done.
        session::run(client, &session::session_search_path_for(t)).await?;
    }
    let mut built = Ok(());
    for (i, step) in deferred.iter().enumerate() {
        if stop.load(Ordering::SeqCst) {
            built = Err(ApplyError::Concurrent {
                sql: step.sql.clone(),
                message: "interrupted before this index build started".into(),
                dropped: false,
            });
            break;
        }
        on_step(in_tx.len() + 1 + i, &step.sql);
        built = build_concurrently(client, step, opts).await;
        if built.is_err() {
            break;
        }
    }
    if tenant.is_some() {
        session::run(client, "SET search_path = public").await?;
    }
    built
}

/// Before any step runs (apply or rehearsal): the server reads each of the plan's expressions
/// as one expression (a saved plan's too), and the session notices a vanished client.
async fn prepare(client: &Client, plan: &Plan) -> Result<(), ApplyError> {
    let exprs: Vec<(String, &str)> = (plan.objects.iter())
        .flat_map(|o| o.changes.iter().map(move |c| (o, c)))
        .flat_map(|(o, c)| {
            c.change
                .expressions()
                .into_iter()
                .map(move |(place, e)| (format!("{}, {place}", o.name), e.sql.as_str()))
        })
        .collect();
    inspect::guard::one_expression_each(client, &exprs)
        .await
        .map_err(|e| ApplyError::Database(e.to_string()))?;
    // PostgreSQL 14+: notice a vanished client during a long statement instead of finishing it.
    let _ = client
        .batch_execute("SET client_connection_check_interval = '1s'")
        .await;
    Ok(())
}

/// Inside the transaction, before the steps: lock the tables the verdicts rest on, check the
/// catalog is still the one the plan was made against, and ask the data questions again.
async fn hold_and_recheck(
    client: &Client,
    plan: &Plan,
    (scope, judging): (&Scope, &Options),
    opts: &ApplyOptions,
) -> Result<(), ApplyError> {
    lock_data_tables(client, plan, opts).await?;
    let mut live = inspect::inspect(client, &scope.schemas).await?;
    scope.hide(&mut live.schema);
    let found = model::fingerprint(&live.schema);
    if found != plan.live_fingerprint {
        return Err(ApplyError::Stale {
            expected: short(&plan.live_fingerprint),
            found: short(&found),
        });
    }
    recheck_data(client, plan, judging).await
}

/// `BEGIN`, the advisory lock, and the transaction's timeouts. A tenant's plan takes the
/// database's lock shared and its tenant's exclusively: tenants of one database apply side by
/// side, never beside an apply to the whole database nor another apply to the same tenant.
async fn begin(
    client: &Client,
    opts: &ApplyOptions,
    stop: &AtomicBool,
    tenant: Option<&str>,
) -> Result<(), ApplyError> {
    client
        .batch_execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await?;
    take_lock(client, opts.lock_wait, stop, tenant).await?;
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
    (opts, batched, stop): (&ApplyOptions, bool, &AtomicBool),
    steps: &[&Step],
    on_step: &mut impl FnMut(usize, &str),
) -> Result<(), ApplyError> {
    begin(client, opts, stop, plan.tenant.as_deref()).await?;
    hold_and_recheck(client, plan, (scope, judging), opts).await?;
    enter_tenant(client, plan).await?;
    let commit_after = early_commit_point(plan, steps);
    let mut committed_early = false;
    let total = steps.len();
    let mut i = 0;
    while i < steps.len() {
        stopped(stop, committed_early)?;
        on_step(i, &steps[i].sql);
        let run = if batched {
            uncontended_run(&steps[i..])
        } else {
            0
        };
        if run > 1 {
            let sql: Vec<&str> = steps[i..i + run].iter().map(|s| s.sql.as_str()).collect();
            if let Err(e) = session::pipeline(client, &sql).await {
                if is_cancel(&e) {
                    return Err(ApplyError::Cancelled {
                        message: server_message(&e),
                        committed_early,
                    });
                }
                return Err(ApplyError::BatchFailed);
            }
            i += run;
            continue;
        }
        run_step(client, (i, total), steps[i], opts)
            .await
            .map_err(|e| e.committed_early(committed_early))?;
        if commit_after == Some(i) {
            commit(client).await?;
            committed_early = true;
            begin(client, opts, stop, plan.tenant.as_deref())
                .await
                .map_err(|e| e.committed_early(true))?;
            enter_tenant(client, plan)
                .await
                .map_err(|e| e.committed_early(true))?;
        }
        i += 1;
    }
    stopped(stop, committed_early)?;
    on_step(total, "COMMIT");
    commit(client)
        .await
        .map_err(|e| e.committed_early(committed_early))
}

/// An interrupt between statements stops the apply before the next one (or before `COMMIT`).
fn stopped(stop: &AtomicBool, committed_early: bool) -> Result<(), ApplyError> {
    if stop.load(Ordering::SeqCst) {
        return Err(ApplyError::Cancelled {
            message: "interrupted".into(),
            committed_early,
        });
    }
    Ok(())
}

/// `COMMIT`. An error the server sent means it rolled back; a connection that failed on the way
/// leaves the outcome unknown, and the message says so.
async fn commit(client: &Client) -> Result<(), ApplyError> {
    match client.batch_execute("COMMIT").await {
        Ok(()) => Ok(()),
        Err(e) if e.as_db_error().is_some() => Err(ApplyError::CommitFailed {
            message: server_message(&e),
            committed_early: false,
        }),
        Err(e) => Err(ApplyError::CommitUnknown { reason: reason(&e) }),
    }
}

impl ApplyError {
    fn committed_early(self, early: bool) -> Self {
        match self {
            ApplyError::Step {
                index,
                total,
                sql,
                message,
                ..
            } => ApplyError::Step {
                index,
                total,
                sql,
                message,
                committed_early: early,
            },
            ApplyError::Cancelled { message, .. } => ApplyError::Cancelled {
                message,
                committed_early: early,
            },
            ApplyError::CommitFailed { message, .. } => ApplyError::CommitFailed {
                message,
                committed_early: early,
            },
            other if early => ApplyError::PartlyCommitted(Box::new(other)),
            other => other,
        }
    }

    /// Whether enum values this apply added were committed before the failure.
    pub fn kept_early_commit(&self) -> bool {
        match self {
            ApplyError::Step {
                committed_early, ..
            }
            | ApplyError::Cancelled {
                committed_early, ..
            }
            | ApplyError::CommitFailed {
                committed_early, ..
            } => *committed_early,
            ApplyError::PartlyCommitted(_) => true,
            _ => false,
        }
    }
}

/// Locks every table a data-dependent verdict is about, in the mode its steps take anyway, so
/// that no writer can commit a row between the re-check and the step. A writer's open
/// transaction makes this wait (under `lock_timeout`, retried like any step).
async fn lock_data_tables(
    client: &Client,
    plan: &Plan,
    opts: &ApplyOptions,
) -> Result<(), ApplyError> {
    let tables: std::collections::BTreeSet<&model::QualName> = plan
        .facts
        .iter()
        .filter_map(|f| f.question.table())
        .collect();
    for t in tables {
        let sql = format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", t.sql());
        match with_retries(client, &sql, opts).await {
            Ok(()) => {}
            Err((e, _)) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => {
                return Err(ApplyError::Stale {
                    expected: short(&plan.live_fingerprint),
                    found: format!("{t} no longer exists"),
                });
            }
            Err((e, _)) if is_cancel(&e) => return Err(step_error(&e, 0, (0, 0), &sql)),
            Err((e, attempts)) => {
                let mut message = server_message(&e);
                if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
                    message.push_str(&format!(
                        "\n(the lock was not granted within lock_timeout, {} times; another session holds it)",
                        attempts + 1
                    ));
                }
                return Err(ApplyError::LockTable {
                    table: t.to_string(),
                    message,
                });
            }
        }
    }
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
            Change::Enum(crate::kinds::enum_type::EnumChange::AddEnumValue { value, .. }) => {
                Some(quote_literal(value))
            }
            _ => None,
        })
        .collect();
    let last = steps.iter().rposition(|s| s.phase == Phase::EnumValues)?;
    let used_later = steps[last + 1..]
        .iter()
        .any(|s| added.iter().any(|v| s.sql.contains(v.as_str())));
    used_later.then_some(last)
}

/// One statement; a step on an object others may hold locks on runs under a savepoint, so that a
/// lock timeout can be retried (with backoff, a bounded number of times) without losing the
/// steps before it.
async fn run_step(
    client: &Client,
    (i, total): (usize, usize),
    step: &Step,
    opts: &ApplyOptions,
) -> Result<(), ApplyError> {
    let outcome = if step.contended {
        with_retries(client, &step.sql, opts).await
    } else {
        session::run(client, &step.sql).await.map_err(|e| (e, 0))
    };
    outcome.map_err(|(e, attempts)| step_error(&e, attempts, (i + 1, total), &step.sql))
}

/// Runs `sql` under a savepoint, trying again after a lock timeout. The error carries how many
/// attempts were retried.
async fn with_retries(
    client: &Client,
    sql: &str,
    opts: &ApplyOptions,
) -> Result<(), (tokio_postgres::Error, u32)> {
    let mut attempt = 0;
    loop {
        let outcome = session::pipeline(
            client,
            &[
                "SAVEPOINT tableform_step",
                sql,
                "RELEASE SAVEPOINT tableform_step",
            ],
        )
        .await;
        let err = match outcome {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let lock_timeout = err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE);
        if lock_timeout && attempt < opts.lock_retries {
            session::run(client, "ROLLBACK TO SAVEPOINT tableform_step")
                .await
                .map_err(|e| (e, attempt))?;
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
            continue;
        }
        return Err((err, attempt));
    }
}

/// The error for a failed statement: a cancel stops the apply; a lock that was never granted
/// says how often it was tried.
fn step_error(
    err: &tokio_postgres::Error,
    attempts: u32,
    (index, total): (usize, usize),
    sql: &str,
) -> ApplyError {
    let mut message = server_message(err);
    if is_cancel(err) {
        return ApplyError::Cancelled {
            message: format!("{message}\n(while running: {sql})"),
            committed_early: false,
        };
    }
    if err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        message.push_str(&format!(
            "\n(a table lock was not granted within lock_timeout, {} times; another session holds it)",
            attempts + 1
        ));
    }
    ApplyError::Step {
        index,
        total,
        sql: sql.to_string(),
        message,
        committed_early: false,
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
    let Err(e) = session::run(client, &sql).await else {
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
                session::run(
                    client,
                    &format!("DROP INDEX CONCURRENTLY IF EXISTS {}", name.sql()),
                )
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
/// nothing"). Rows may have arrived since the plan was made: with the tables locked, ask again,
/// and stop if an answer the plan relied on is no longer true (a count that was zero is not) or
/// if any change would now be refused.
async fn recheck_data(client: &Client, plan: &Plan, judging: &Options) -> Result<(), ApplyError> {
    let changes = plan.objects.iter().flat_map(|o| o.changes.iter());
    let questions = diff::questions(changes.clone().map(|c| &c.change));
    if questions.is_empty() {
        return Ok(());
    }
    let facts = inspect::facts(client, &questions).await?;
    for f in &plan.facts {
        let now = facts.get(&f.question).copied().unwrap_or(u64::MAX);
        // A materialized view's row count is for a note, never a condition.
        let informational = matches!(f.question.asked(), diff::Question::ViewRows(_));
        if f.count == 0 && now > 0 && !informational {
            return Err(ApplyError::DataNoLongerHolds(
                f.question.no_longer_zero(now),
            ));
        }
    }
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

/// A tenant's plan, after the catalog was read again (with the pinned `search_path`): its steps
/// read declared text in the tenant's schema first, as the plan said.
async fn enter_tenant(client: &Client, plan: &Plan) -> Result<(), ApplyError> {
    if let Some(tenant) = &plan.tenant {
        session::run(client, &session::search_path_for(tenant)).await?;
    }
    Ok(())
}

async fn take_lock(
    client: &Client,
    wait: Duration,
    stop: &AtomicBool,
    tenant: Option<&str>,
) -> Result<(), ApplyError> {
    let start = Instant::now();
    loop {
        stopped(stop, false)?;
        let row = match tenant {
            None => {
                client
                    .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&LOCK_KEY])
                    .await?
            }
            // The tenant's key is in the two-integer key space, apart from LOCK_KEY's.
            Some(t) => {
                client
                    .query_one(
                        "SELECT pg_try_advisory_xact_lock_shared($1) AND pg_try_advisory_xact_lock(hashtext('tableform'), hashtext($2))",
                        &[&LOCK_KEY, &t],
                    )
                    .await?
            }
        };
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
